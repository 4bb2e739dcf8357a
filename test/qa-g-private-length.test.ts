/**
 * QA of the length check on private replies: a direct message is measured by the network's
 * limit for direct messages, not its public post limit. A 400-character DM on X (DMs take
 * 10,000 characters) or a 500-grapheme Bluesky chat message (chat.bsky.convo messages take
 * 1,000 graphemes, as the Bluesky connector itself enforces) is no "split it into a thread";
 * the same text in public still is, and a chat message over 1,000 graphemes is still too long.
 */
import { describe, expect, it } from 'vitest';
import { DM_MAX_GRAPHEMES } from '../src/channels/bluesky/index.js';
import { checkReply } from '../src/core/replyChecks.js';

const codes = (network: 'x' | 'bluesky' | 'mastodon', visibility: 'public' | 'private', text: string) => checkReply({ text, network, visibility, customer: { name: 'Dana Doe', handle: 'dana' } });
const sentence = 'Hi Dana, your refund for the broken kettle was approved today and reaches your card within five working days. ';
const ofLength = (n: number) => sentence.repeat(Math.ceil(n / sentence.length)).slice(0, n - 1).trimEnd() + '.';

describe('the length of a private reply', () => {
  it('measures an X direct message by the DM limit, a post by 280', () => {
    const text = ofLength(400);
    expect(codes('x', 'private', text).results.map((r) => r.code)).not.toContain('reply.too_long');
    expect(codes('x', 'public', text).results.find((r) => r.code === 'reply.too_long')?.detail).toMatch(/\/280$/);
    expect(codes('x', 'private', ofLength(10_050)).results.find((r) => r.code === 'reply.too_long')).toMatchObject({ severity: 'block', detail: expect.stringMatching(/\/10000$/) });
  });

  it('measures a Bluesky chat message by the chat limit the connector enforces', () => {
    expect(DM_MAX_GRAPHEMES).toBe(1000);
    expect(codes('bluesky', 'private', ofLength(500)).ok).toBe(true);
    expect(codes('bluesky', 'public', ofLength(500)).results[0]).toMatchObject({ code: 'reply.too_long', detail: expect.stringMatching(/\/300$/) });
    expect(codes('bluesky', 'private', ofLength(1100)).results[0]).toMatchObject({ code: 'reply.too_long', detail: expect.stringMatching(/\/1000$/) });
  });

  it('agrees with the composer on every network it counts DMs for', async () => {
    const { ruleFor } = await import('../web/src/lib/length.js');
    for (const network of ['x', 'facebook', 'instagram', 'bluesky'] as const) {
      const limit = ruleFor(network, 'private').limit;
      expect(checkReply({ text: ofLength(limit), network, visibility: 'private', customer: { name: 'Dana Doe' } }).results.map((r) => r.code), network).not.toContain('reply.too_long');
      expect(checkReply({ text: ofLength(limit + 20), network, visibility: 'private', customer: { name: 'Dana Doe' } }).results[0], network).toMatchObject({ code: 'reply.too_long', detail: expect.stringMatching(new RegExp(`/${limit}$`)) });
    }
  });

  it('keeps Mastodon at its status limit: a private mention is a status too', () => {
    expect(codes('mastodon', 'private', ofLength(600)).results[0]).toMatchObject({ code: 'reply.too_long' });
  });
});
