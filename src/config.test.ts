import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('PARLEY_TRUST_PROXY', () => {
  const trust = (v: string) => loadConfig({ PARLEY_TRUST_PROXY: v }).trustProxy;
  it('reads true as the one proxy in front, never the whole chain', () => {
    expect(trust('true')).toBe(1);
    expect(trust('false')).toBe(false);
    expect(loadConfig({}).trustProxy).toBe(false);
  });
  it('takes a hop count or proxy addresses and CIDRs', () => {
    expect(trust('2')).toBe(2);
    expect(trust('10.0.0.0/8, 192.168.1.7,::1')).toEqual(['10.0.0.0/8', '192.168.1.7', '::1']);
  });
  it('refuses anything else with the variable named', () => {
    expect(() => trust('proxy.example.com')).toThrow(ConfigError);
    expect(() => trust('proxy.example.com')).toThrow(/PARLEY_TRUST_PROXY.*proxy\.example\.com/);
  });
  it('asks for a metrics token of some length', () => {
    expect(() => loadConfig({ PARLEY_METRICS_TOKEN: 'short' })).toThrow(/PARLEY_METRICS_TOKEN/);
  });
});

describe('PARLEY_DEMO_HISTORY_DAYS', () => {
  it('is a week by default, 0 for none, a whole number of days up to 35', () => {
    expect(loadConfig({}).demoHistoryDays).toBe(7);
    expect(loadConfig({ PARLEY_DEMO_HISTORY_DAYS: '0' }).demoHistoryDays).toBe(0);
    expect(loadConfig({ PARLEY_DEMO_HISTORY_DAYS: '1' }).demoHistoryDays).toBe(1);
    expect(loadConfig({}, { demoHistoryDays: 2 }).demoHistoryDays).toBe(2);
    for (const bad of ['-1', '1.5', 'a week', '36']) expect(() => loadConfig({ PARLEY_DEMO_HISTORY_DAYS: bad })).toThrow(/PARLEY_DEMO_HISTORY_DAYS/);
  });
});
