import { describe, expect, it } from 'vitest';
import {
  CalendarError,
  canonicalTimeZone,
  civilDayOf,
  formatIsoDate,
  fromWallMs,
  genericZoneLabel,
  parseIsoDate,
  toWallMs,
  weekdayOfDay,
  zoneAbbreviation,
  zoneOffsetMs,
} from './wf_time.js';

const t = (iso: string) => Date.parse(iso);
const H = 3_600_000;

describe('zone offsets', () => {
  it.each([
    ['Europe/London', '2026-01-15T12:00:00Z', 0],
    ['Europe/London', '2026-07-15T12:00:00Z', H],
    ['America/New_York', '2026-01-15T12:00:00Z', -5 * H],
    ['Asia/Kathmandu', '2026-01-15T12:00:00Z', 5.75 * H],
    ['Australia/Lord_Howe', '2026-01-15T12:00:00Z', 11 * H],
    ['Australia/Lord_Howe', '2026-07-15T12:00:00Z', 10.5 * H],
  ])('%s at %s', (zone, iso, offset) => {
    expect(zoneOffsetMs(zone, t(iso))).toBe(offset);
  });

  it('switches at the exact transition instant', () => {
    // London springs forward at 01:00 UTC on 2026-03-29.
    expect(zoneOffsetMs('Europe/London', t('2026-03-29T00:59:59Z'))).toBe(0);
    expect(zoneOffsetMs('Europe/London', t('2026-03-29T01:00:00Z'))).toBe(H);
    expect(zoneOffsetMs('Europe/London', t('2026-10-25T00:59:59Z'))).toBe(H);
    expect(zoneOffsetMs('Europe/London', t('2026-10-25T01:00:00Z'))).toBe(0);
  });

  it('converts wall times, moving skipped ones forward and taking the earlier repeated one', () => {
    const wall = (iso: string) => t(`${iso}Z`);
    expect(fromWallMs('Europe/London', wall('2026-03-29T01:30:00'))).toBe(t('2026-03-29T01:30:00Z'));
    expect(fromWallMs('Europe/London', wall('2026-03-29T02:30:00'))).toBe(t('2026-03-29T01:30:00Z'));
    expect(fromWallMs('Europe/London', wall('2026-10-25T01:30:00'))).toBe(t('2026-10-25T00:30:00Z'));
    expect(fromWallMs('America/New_York', wall('2026-07-04T09:00:00'))).toBe(t('2026-07-04T13:00:00Z'));
    expect(toWallMs('America/New_York', t('2026-07-04T13:00:00Z'))).toBe(wall('2026-07-04T09:00:00'));
  });
});

describe('civil days', () => {
  it('numbers days and weekdays in the zone', () => {
    const day = civilDayOf('Asia/Tokyo', t('2026-03-22T16:00:00Z')); // already Monday 01:00 in Tokyo
    expect(formatIsoDate(day)).toBe('2026-03-23');
    expect(weekdayOfDay(day)).toBe(1);
    expect(parseIsoDate('2026-03-23')).toBe(day);
    expect(parseIsoDate('2026-02-29')).toBeNull();
    expect(parseIsoDate('2026-3-1')).toBeNull();
  });
});

describe('zone names', () => {
  it('validates and canonicalizes', () => {
    expect(canonicalTimeZone('europe/london')).toBe('Europe/London');
    expect(() => canonicalTimeZone('Nowhere/Land')).toThrow(CalendarError);
    expect(() => canonicalTimeZone('')).toThrow(/required/);
  });

  it('abbreviates as customers read it', () => {
    expect(zoneAbbreviation('Europe/London', t('2026-01-15T12:00:00Z'))).toBe('GMT');
    expect(zoneAbbreviation('Europe/London', t('2026-07-15T12:00:00Z'))).toBe('BST');
    expect(zoneAbbreviation('America/New_York', t('2026-07-15T12:00:00Z'))).toBe('EDT');
    expect(zoneAbbreviation('Europe/Paris', t('2026-01-15T12:00:00Z'))).toBe('CET');
    expect(zoneAbbreviation('Asia/Kolkata', t('2026-01-15T12:00:00Z'))).toBe('GMT+5:30');
    expect(genericZoneLabel('America/Los_Angeles')).toBe('PT');
    expect(genericZoneLabel('Europe/London')).toBe('GMT/BST');
    expect(genericZoneLabel('Australia/Sydney')).toBe('GMT+10/GMT+11');
    expect(genericZoneLabel('UTC')).toBe('UTC');
  });
});
