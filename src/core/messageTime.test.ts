import { describe, expect, it } from 'vitest';
import { EARLIEST_MESSAGE_TIME, MESSAGE_TIME_SKEW_MS, plausibleMessageTime } from './messageTime.js';

const NOW = Date.UTC(2026, 10, 17, 10, 0);
const MIN = 60_000;
const DAY = 86_400_000;

describe('plausibleMessageTime', () => {
  it('keeps a message\'s own time when it is before its receipt, however old (after 2000)', () => {
    for (const t of [NOW, NOW - 1, NOW - 3 * MIN, NOW - 400 * DAY, Date.UTC(2011, 7, 29, 3, 20, 5), EARLIEST_MESSAGE_TIME]) {
      expect(plausibleMessageTime(t, NOW)).toEqual({ createdAt: t, corrected: null });
    }
  });

  it('tolerates a sender\'s clock up to the skew ahead of ours', () => {
    expect(MESSAGE_TIME_SKEW_MS).toBe(5 * MIN);
    expect(plausibleMessageTime(NOW + MIN, NOW)).toEqual({ createdAt: NOW + MIN, corrected: null });
    expect(plausibleMessageTime(NOW + MESSAGE_TIME_SKEW_MS, NOW)).toEqual({ createdAt: NOW + MESSAGE_TIME_SKEW_MS, corrected: null });
  });

  it('dates a message further in the future at its receipt', () => {
    for (const t of [NOW + MESSAGE_TIME_SKEW_MS + 1, NOW + DAY, Date.UTC(2099, 11, 31), Date.UTC(9999, 0, 1), 8.64e15]) {
      expect(plausibleMessageTime(t, NOW)).toEqual({ createdAt: NOW, corrected: 'future' });
    }
  });

  it('dates a message before 2000 (a missing time read as 0, 1970) at its receipt', () => {
    for (const t of [0, 1, Date.UTC(1970, 0, 1, 0, 0, 1), EARLIEST_MESSAGE_TIME - 1]) {
      expect(plausibleMessageTime(t, NOW)).toEqual({ createdAt: NOW, corrected: 'before_2000' });
    }
    expect(EARLIEST_MESSAGE_TIME).toBe(Date.parse('2000-01-01T00:00:00Z'));
  });
});
