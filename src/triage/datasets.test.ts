import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/paths.js';
import { detectLayout, labelledTexts, readTable } from './datasets.js';
import { isHeldOut, splitKey } from './split.js';

const fx = (f: string) => join(repoRoot, 'test', 'fixtures', 'triage', f);

describe('detectLayout', () => {
  it.each([
    ['complaints.csv', 'complaints'],
    ['tweeteval_sentiment.csv', 'tweeteval'],
    ['tweeteval_offensive.csv', 'tweeteval'],
    ['sms_spam.csv', 'sms'],
    ['youtube_spam.csv', 'youtube'],
    ['banking77.csv', 'banking77'],
    ['airline.csv', 'airline'],
    ['twcs.csv', 'twcs'],
  ])('%s → %s', (file, layout) => {
    expect(detectLayout(readTable(fx(file)).header)).toBe(layout);
  });

  it('falls back to a generic text,label layout and rejects unknown headers', () => {
    expect(detectLayout(['text', 'label'])).toBe('text_label');
    expect(detectLayout(['label', 'text'])).toBe('text_label');
    expect(detectLayout(['foo', 'bar'])).toBeNull();
  });
});

describe('labelledTexts', () => {
  it('reads each layout’s text and label columns as written', () => {
    expect(labelledTexts(readTable(fx('sms_spam.csv')), 'sms').map((r) => r.label)).toEqual(['spam', 'ham', 'spam', 'ham']);
    expect(labelledTexts(readTable(fx('youtube_spam.csv')), 'youtube')[0]!.text).toMatch(/Check out my channel/);
    expect(labelledTexts(readTable(fx('airline.csv')), 'airline').map((r) => r.label)).toEqual(['negative', 'positive', 'neutral']);
    expect(labelledTexts(readTable(fx('banking77.csv')), 'banking77')[1]!.label).toBe('transaction_charged_twice');
  });
});

describe('held-out split', () => {
  it('is keyed by normalized text and holds out about a fifth', () => {
    expect(isHeldOut('Hello  World ')).toBe(isHeldOut('hello world'));
    expect(splitKey('  A\tB  ')).toBe('a b');
    let held = 0;
    for (let i = 0; i < 5000; i++) if (isHeldOut(`text number ${i}`)) held++;
    expect(held / 5000).toBeGreaterThan(0.17);
    expect(held / 5000).toBeLessThan(0.23);
  });
});
