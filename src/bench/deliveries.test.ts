import { describe, expect, it } from 'vitest';
import { handleXWebhook, SIGNATURE_HEADER } from '../channels/x/webhook.js';
import { messageStream } from './data.js';
import { BENCH_X_ACCOUNT, BENCH_X_SECRET, xDeliveries } from './deliveries.js';

describe('benchmark webhook deliveries', () => {
  const msgs = [...messageStream(1500, { t0: Date.UTC(2026, 11, 4, 12), rate: 1000 })];
  const deliveries = xDeliveries(msgs);
  const normalized = deliveries.flatMap((d) =>
    handleXWebhook({ method: 'POST', query: {}, headers: { [SIGNATURE_HEADER]: d.signature }, rawBody: d.body }, BENCH_X_SECRET, BENCH_X_ACCOUNT, 0).messages);
  /** In stream order (a private message's delivery may come after later public ones). */
  const sorted = [...normalized].sort((a, b) => a.createdAt - b.createdAt);

  it('are signed X Account Activity bodies of at most 100 events, one kind each, that normalize back to every message of the stream', () => {
    expect(deliveries.every((d) => d.count >= 1 && d.count <= 100)).toBe(true);
    expect(deliveries.reduce((a, d) => a + d.count, 0)).toBe(msgs.length);
    for (const d of deliveries) {
      const body = JSON.parse(d.body.toString('utf8'));
      expect(body.for_user_id).toBe(BENCH_X_ACCOUNT.userId);
      expect(Boolean(body.tweet_create_events) !== Boolean(body.direct_message_events)).toBe(true);
    }
    expect(normalized).toHaveLength(msgs.length);
    sorted.forEach((m, i) => {
      const want = msgs[i]!;
      expect(m.createdAt).toBe(want.createdAt);
      expect(m.visibility).toBe(want.visibility);
      expect(m.direction).toBe(want.direction);
      // public posts start with the @-mention of whom they address, as on X; DMs are the text itself
      expect(m.visibility === 'private' ? m.text === want.text : m.text.endsWith(` ${want.text}`) && m.text.startsWith('@')).toBe(true);
      expect(m.raw && typeof m.raw === 'object').toBe(true);
    });
  });

  it('keep the stream\'s threads: a brand reply answers the post its message answered', () => {
    const idOf = new Map(msgs.map((m, i) => [m.networkMessageId, sorted[i]!.networkMessageId]));
    const replies = normalized.filter((m) => m.inReplyToNetworkId);
    expect(replies.length).toBe(msgs.filter((m) => m.inReplyToNetworkId).length);
    expect(replies.length).toBeGreaterThan(100);
    sorted.forEach((m, i) => {
      const parent = msgs[i]!.inReplyToNetworkId;
      expect(m.inReplyToNetworkId ?? null).toBe(parent ? idOf.get(parent)! : null);
      if (parent) expect(m.fromBrand).toBe(true);
    });
  });

  it('carry X\'s HTML escaping, undone by normalization', () => {
    const i = msgs.findIndex((m) => m.visibility === 'public' && /[&<>]/.test(m.text));
    expect(i).toBeGreaterThanOrEqual(0);
    const raw = deliveries.map((d) => d.body.toString('utf8')).join('');
    expect(raw).toContain('&amp;');
    expect(sorted[i]!.text.endsWith(msgs[i]!.text)).toBe(true);
  });
});
