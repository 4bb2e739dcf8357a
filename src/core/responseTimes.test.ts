import { describe, expect, it } from 'vitest';
import { measureResponseTimes, parseTwcsTime, percentile, roundFixed, type TwcsTweet } from './responseTimes.js';

describe('parseTwcsTime', () => {
  it('reads the Twitter API form and the ISO form to the same instant', () => {
    const a = parseTwcsTime('Tue Oct 31 22:10:47 +0000 2017');
    expect(a).toBe(Date.UTC(2017, 9, 31, 22, 10, 47));
    expect(parseTwcsTime('2017-10-31 22:10:47+00:00')).toBe(a);
    expect(parseTwcsTime('2017-10-31T22:10:47Z')).toBe(a);
    expect(parseTwcsTime('2017-10-31 22:10:47.250+00:00')).toBe(a! + 250);
  });
  it('applies offsets in both forms', () => {
    expect(parseTwcsTime('Wed Nov 01 00:10:47 +0200 2017')).toBe(Date.UTC(2017, 9, 31, 22, 10, 47));
    expect(parseTwcsTime('Tue Oct 31 17:10:47 -0500 2017')).toBe(Date.UTC(2017, 9, 31, 22, 10, 47));
    expect(parseTwcsTime('2017-11-01 00:10:47+02:00')).toBe(Date.UTC(2017, 9, 31, 22, 10, 47));
  });
  it('rejects impossible or inconsistent dates', () => {
    expect(parseTwcsTime('Mon Oct 31 22:10:47 +0000 2017')).toBeNull(); // 31 Oct 2017 was a Tuesday
    expect(parseTwcsTime('Fri Feb 30 22:10:47 +0000 2017')).toBeNull();
    expect(parseTwcsTime('2017-10-31 24:10:47+00:00')).toBeNull();
    expect(parseTwcsTime('31/10/2017 22:10')).toBeNull();
    expect(parseTwcsTime('')).toBeNull();
  });
});

describe('percentile (type 2: averaged inverted CDF)', () => {
  it('is the usual median and averages at exact ranks', () => {
    expect(percentile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(percentile([1, 2, 3], 0.5)).toBe(2);
    expect(percentile([1, 2, 3, 4], 0.25)).toBe(1.5);
  });
  it('takes the next observed value between ranks', () => {
    const xs = Array.from({ length: 11 }, (_, i) => i * 10); // 0..100
    expect(percentile(xs, 0.9)).toBe(90); // h = 9.9 → the 10th smallest
    expect(percentile(xs, 0.95)).toBe(100); // h = 10.45 → the 11th
  });
  it('handles the ends', () => {
    expect(percentile([5, 7], 0)).toBe(5);
    expect(percentile([5, 7], 1)).toBe(7);
    expect(() => percentile([], 0.5)).toThrow();
  });
});

describe('roundFixed', () => {
  it('rounds the double as stored, like the published figures', () => {
    expect(roundFixed(189 / 60, 1)).toBe(3.1);
    expect(roundFixed((366 / 60 + 408 / 60) / 2, 1)).toBe(6.4);
    expect(roundFixed(3.36, 1)).toBe(3.4);
  });
});

describe('measureResponseTimes', () => {
  const t = (tweetId: string, authorId: string, inbound: boolean, min: number, parent: string | null, line: number): TwcsTweet => ({
    tweetId, authorId, inbound, createdAt: Date.UTC(2017, 9, 31) + min * 60_000, inResponseToTweetId: parent, line,
  });
  it('takes the earliest brand reply, ignores customer replies and unanswered tweets', () => {
    const r = measureResponseTimes([
      t('1', 'c1', true, 0, null, 2),
      t('3', 'Brand', false, 30, '1', 3), // later reply
      t('2', 'Brand', false, 10, '1', 4), // first reply
      t('4', 'c1', true, 12, '2', 5), // customer answers the brand: an inbound tweet of its own
      t('5', 'Brand', false, 13, '4', 6),
      t('6', 'c3', true, 0, null, 7), // never answered
      t('7', 'c4', true, 20, '1', 8), // a customer reply to a customer is not a brand reply
    ]);
    expect(r.inbound).toBe(4);
    expect(r.replies.map((x) => [x.inboundTweetId, x.replyTweetId, x.minutes])).toEqual([
      ['1', '2', 10],
      ['4', '5', 1],
    ]);
    expect(r.overall!.n).toBe(2);
  });
  it('breaks equal reply times by the smaller tweet id, numerically', () => {
    const r = measureResponseTimes([t('1', 'c', true, 0, null, 2), t('100', 'B', false, 5, '1', 3), t('99', 'A', false, 5, '1', 4)]);
    expect(r.replies[0]!.replyTweetId).toBe('99');
  });
  it('reports a reply dated before its message and does not count it', () => {
    const r = measureResponseTimes([t('1', 'c', true, 10, null, 2), t('2', 'B', false, 5, '1', 3)]);
    expect(r.overall).toBeNull();
    expect(r.issues).toEqual([{ line: 3, reason: expect.stringMatching(/dated before/) }]);
  });
});
