/**
 * Reading a takedown off hydrated labels (./labels.ts), label by label: what counts (a
 * `!takedown` / `!suspend` label of a trusted moderation service on the subject itself) and what
 * does not (a negated or expired one, a self-label, another source, another subject, a client-side
 * value such as `!hide`). The real AppView's side of it is test/bluesky-labels.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { takenDownByLabel } from './labels.js';

const MOD = 'did:plc:ar7c4by46qjdydhdevvrndac';
const AUTHOR = 'did:plc:author0000000000000000000';
const POST = `at://${AUTHOR}/app.bsky.feed.post/3kabc`;
const NOW = Date.parse('2026-12-07T12:00:00.000Z');
const rules = { author: AUTHOR, authorities: new Set([MOD]), now: NOW };
const label = (over: Record<string, unknown> = {}) => ({ src: MOD, uri: AUTHOR, val: '!takedown', cts: '2026-12-01T00:00:00.000Z', ...over });

describe('takenDownByLabel', () => {
  it('a `!takedown` or `!suspend` label of a trusted moderation service on the account or the post is a takedown', () => {
    expect(takenDownByLabel([label()], AUTHOR, rules)).toBe(true);
    expect(takenDownByLabel([label({ val: '!suspend' })], AUTHOR, rules)).toBe(true);
    expect(takenDownByLabel([label({ uri: POST })], POST, rules)).toBe(true);
  });

  it('values the AppView does not redact for (`!hide`, `!warn`, descriptive labels) are not', () => {
    for (const val of ['!hide', '!warn', '!no-unauthenticated', 'spam', 'porn', '!TAKEDOWN']) expect(takenDownByLabel([label({ val })], AUTHOR, rules)).toBe(false);
  });

  it('a negation retracts the label it follows; a label applied again after its negation stands again; at the same instant the negation wins', () => {
    expect(takenDownByLabel([label({ neg: true })], AUTHOR, rules)).toBe(false);
    const negated = [label(), label({ neg: true, cts: '2026-12-02T00:00:00.000Z' })];
    expect(takenDownByLabel(negated, AUTHOR, rules)).toBe(false);
    expect(takenDownByLabel([...negated].reverse(), AUTHOR, rules)).toBe(false); // order in the list does not matter, cts does
    expect(takenDownByLabel([...negated, label({ cts: '2026-12-03T00:00:00.000Z' })], AUTHOR, rules)).toBe(true);
    expect(takenDownByLabel([label(), label({ neg: true })], AUTHOR, rules)).toBe(false);
    // a negation of one value leaves the other standing
    expect(takenDownByLabel([label(), label({ val: '!suspend' }), label({ neg: true, cts: '2026-12-02T00:00:00.000Z' })], AUTHOR, rules)).toBe(true);
  });

  it('an expired label no longer applies; one that expires later does; an unreadable expiry is not taken as standing', () => {
    expect(takenDownByLabel([label({ exp: '2026-12-07T11:59:59.000Z' })], AUTHOR, rules)).toBe(false);
    expect(takenDownByLabel([label({ exp: new Date(NOW).toISOString() })], AUTHOR, rules)).toBe(false);
    expect(takenDownByLabel([label({ exp: '2026-12-08T00:00:00.000Z' })], AUTHOR, rules)).toBe(true);
    expect(takenDownByLabel([label({ exp: 'next tuesday' })], AUTHOR, rules)).toBe(false);
    expect(takenDownByLabel([label({ exp: 42 })], AUTHOR, rules)).toBe(false);
  });

  it('a self-label (src = the author) is the author\'s word, not moderation, even when the author is a labeler Parley trusts', () => {
    expect(takenDownByLabel([label({ src: AUTHOR, uri: POST })], POST, rules)).toBe(false);
    expect(takenDownByLabel([label({ src: AUTHOR })], AUTHOR, { ...rules, authorities: new Set([MOD, AUTHOR]) })).toBe(false);
  });

  it('a label from a source Parley does not trust, or about another subject (the profile record, another post), is not', () => {
    expect(takenDownByLabel([label({ src: 'did:plc:somelabeler000000000000' })], AUTHOR, rules)).toBe(false);
    expect(takenDownByLabel([label({ uri: `at://${AUTHOR}/app.bsky.actor.profile/self` })], AUTHOR, rules)).toBe(false);
    expect(takenDownByLabel([label({ uri: `${POST}x` })], POST, rules)).toBe(false);
    expect(takenDownByLabel([label()], POST, rules)).toBe(false); // the account's label is not the post's
  });

  it('anything that is not a label list is no label', () => {
    for (const labels of [undefined, null, 'x', {}, [null, 1, 'x', { val: '!takedown' }, { src: MOD, uri: AUTHOR }]]) expect(takenDownByLabel(labels, AUTHOR, rules)).toBe(false);
  });
});
