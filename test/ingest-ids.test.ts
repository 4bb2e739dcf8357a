/**
 * "Every inbound mention is stored exactly once", and an outcome says what happened:
 * - an id that cannot be stored exactly as it came (a lone surrogate: not well-formed
 *   Unicode; a NUL) is quarantined with the reason, the rest of the batch stored;
 * - a message row the insert skipped (already stored, though the lookup did not find it) is
 *   never reported stored: the batch is rolled back and run again, finding it as a duplicate
 *   with the stored row's ids, or fails with the error and stores nothing;
 * - a copy later in the same batch names the message it repeats.
 */
import pg from 'pg';
import { afterEach, expect, it, vi } from 'vitest';
import { EventBus } from '../src/events/bus.js';
import { ManualClock } from '../src/lib/clock.js';
import { IngestPipeline, RowsNotInsertedError, type IngestItem } from '../src/pipeline/ingest.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import type { NormalizedMessage } from '../src/core/types.js';
import type { Store } from '../src/store/db.js';
import { describeEachStore } from './db.js';

const T0 = Date.UTC(2026, 10, 23, 12);

const base = (id: string, over: Partial<NormalizedMessage> = {}): NormalizedMessage => ({
  network: 'x', networkMessageId: id, direction: 'inbound', visibility: 'public', kind: 'mention',
  author: { networkUserId: 'u1', handle: 'alice' }, text: `hello ${id}`, createdAt: T0, raw: { id }, ...over,
});

async function setup(store: Store, slug: string) {
  const brandId = await createBrand(store.db, { slug, name: slug }, T0);
  const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: `${slug}Care` }, T0);
  const bus = new EventBus();
  const events: { type: string; data: any }[] = [];
  bus.subscribe(brandId, (e: any) => events.push(e));
  const p = new IngestPipeline({ store, bus, clock: new ManualClock(T0 + 60_000) });
  const send = (...msgs: NormalizedMessage[]) => p.ingest(brandId, msgs.map((message): IngestItem => ({ channelAccountId: acct, message, source: 'api' })));
  return { brandId, acct, p, send, events };
}

async function snapshot(store: Store, brandId: number) {
  const messages = await store.db.selectFrom('message').select(['id', 'conversation_id', 'network_message_id']).where('brand_id', '=', brandId).orderBy('id').execute();
  const conversations = await store.db.selectFrom('conversation').select(['id', 'message_count']).where('brand_id', '=', brandId).orderBy('id').execute();
  const facts = await store.db.selectFrom('reporting_fact').select(['id', 'kind', 'message_id']).where('brand_id', '=', brandId).orderBy('id').execute();
  const quarantine = await store.db.selectFrom('quarantine').select(['id', 'reason']).where('brand_id', '=', brandId).orderBy('id').execute();
  return { messages: messages.map((m) => ({ ...m, id: Number(m.id), conversation_id: Number(m.conversation_id) })), conversations, facts, quarantine };
}

afterEach(() => vi.restoreAllMocks());

describeEachStore('ingest: ids that cannot be stored exactly as they came', (get) => {
  it('quarantines a message id with a lone surrogate, with the reason; a redelivery is never reported stored under an id no row has', async () => {
    const { store } = get();
    const { brandId, send } = await setup(store, 'surrogate');
    const id = 's1\ud800';
    const [first, good] = await send(base(id), base('ok1'));
    expect(first).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/^networkMessageId: not well-formed Unicode \(a lone surrogate\)/) });
    expect(good!.status).toBe('stored');
    const [replay] = await send(base(id, { text: 'replay' }));
    expect(replay!.status).toBe('quarantined');
    const [next] = await send(base('ok2'));
    const s = await snapshot(store, brandId);
    // every stored outcome names a row that exists, holding that message
    expect(s.messages.map((m) => m.network_message_id)).toEqual(['ok1', 'ok2']);
    expect(next).toMatchObject({ status: 'stored', messageId: s.messages[1]!.id });
    expect((good as any).messageId).toBe(s.messages[0]!.id);
    // the conversation counts the messages it has
    expect(s.conversations.map((c) => Number(c.message_count))).toEqual([2]);
    expect(s.quarantine).toHaveLength(2);
  });

  it('quarantines an author id, a reply id or a thread root id that is not well-formed Unicode, or an id holding a NUL, and stores the rest', async () => {
    const { store } = get();
    const { brandId, send } = await setup(store, 'badids');
    const out = await send(
      base('a1', { author: { networkUserId: 'u\udc00', handle: 'h' } }),
      base('a2', { inReplyToNetworkId: 'p\ud801' }),
      base('a3', { threadRootNetworkId: '\udfff' }),
      base('n\u0000ul'),
      base('a4', { author: { networkUserId: 'u\u0000', handle: 'h' } }),
      base('a5', { inReplyToNetworkId: 'p\u0000' }),
      base('fine', { text: 'lone \ud800 surrogate and NUL \u0000 in the text are kept' }),
    );
    expect(out.slice(0, 6).map((o) => (o.status === 'quarantined' ? o.reason.split(':')[0] : o.status))).toEqual([
      'author.networkUserId', 'inReplyToNetworkId', 'threadRootNetworkId', 'networkMessageId', 'author.networkUserId', 'inReplyToNetworkId',
    ]);
    expect(out.slice(0, 3).every((o) => o.status === 'quarantined' && o.reason.includes('lone surrogate'))).toBe(true);
    expect(out.slice(3, 6).every((o) => o.status === 'quarantined' && o.reason.includes('NUL'))).toBe(true);
    expect(out[6]!.status).toBe('stored');
    // the same author sends again: found, not a second identity (nor a failed batch)
    expect((await send(base('a1', { author: { networkUserId: 'u\udc00', handle: 'h' } })))[0]!.status).toBe('quarantined');
    const s = await snapshot(store, brandId);
    expect(s.messages.map((m) => m.network_message_id)).toEqual(['fine']);
    expect(s.quarantine).toHaveLength(6);
  });
});

describeEachStore('ingest: a message row the insert skipped is never reported stored', (get, dialect) => {
  it('runs the batch again when the lookup missed a stored copy: a duplicate with the stored ids, nothing counted, written or published for it', async () => {
    const { store } = get();
    const { brandId, send, events } = await setup(store, `skip${dialect}`);
    const [a] = await send(base('m1'));
    expect(a!.status).toBe('stored');
    const before = await snapshot(store, brandId);
    const nEvents = events.length;
    // the lookup misses the stored copy once (as when another transaction stores it meanwhile)
    const lookup = vi.spyOn(IngestPipeline.prototype as any, 'findMessages').mockImplementationOnce(async () => new Map());
    const [again, other] = await send(base('m1', { text: 'redelivered' }), base('m2'));
    expect(lookup).toHaveBeenCalled();
    expect(again).toEqual({ status: 'duplicate', messageId: (a as any).messageId, conversationId: (a as any).conversationId });
    const after = await snapshot(store, brandId);
    expect(other).toMatchObject({ status: 'stored', messageId: after.messages[1]!.id });
    expect(after.messages.map((m) => m.network_message_id)).toEqual(['m1', 'm2']);
    expect(after.conversations.map((c) => Number(c.message_count))).toEqual([2]);
    // facts and live events for m2 only
    expect(after.facts.filter((f) => !before.facts.some((b) => b.id === f.id)).every((f) => f.message_id == null || Number(f.message_id) === after.messages[1]!.id)).toBe(true);
    const created = events.slice(nEvents).filter((e) => e.type === 'message.created');
    expect(created.map((e) => e.data.id)).toEqual([after.messages[1]!.id]);
    // ids are never handed out twice: the next message's id is its own row
    const [next] = await send(base('m3'));
    const last = await snapshot(store, brandId);
    expect(next).toMatchObject({ status: 'stored', messageId: last.messages[2]!.id });
    expect(last.messages[2]!.network_message_id).toBe('m3');
  });

  it('fails with the error and stores nothing when the insert skips a row again', async () => {
    const { store } = get();
    const { brandId, send, events } = await setup(store, `skipagain${dialect}`);
    await send(base('k1'));
    const before = await snapshot(store, brandId);
    const nEvents = events.length;
    const real = (IngestPipeline.prototype as any).findMessages;
    vi.spyOn(IngestPipeline.prototype as any, 'findMessages').mockImplementation(async function (this: unknown, ...args: unknown[]) {
      const found: Map<string, unknown> = await real.apply(this, args);
      found.delete('x\u0000k1'); // the stored copy is never found
      return found;
    });
    const err = await send(base('k1', { text: 'again' }), base('k2'), { ...base('bad'), createdAt: 'never' } as never).catch((e) => e);
    expect(err).toBeInstanceOf(RowsNotInsertedError);
    expect(err.message).toContain('x "k1"');
    expect(await snapshot(store, brandId)).toEqual(before);
    expect(events.length).toBe(nEvents);
  });

  if (dialect === 'postgres') {
    it('finds the copy another transaction stored meanwhile (the outbox recording a sent reply as its echo arrives)', async () => {
      const t = get();
      const { store } = t;
      const { brandId, send } = await setup(store, 'echo');
      const [q] = await send(base('q1'));
      const conv = Number((q as any).conversationId);
      // the outbox's reply: stored without a network id until the network answers the send
      const reply = await store.db.insertInto('message').values({
        brand_id: brandId, conversation_id: conv, channel_account_id: (await store.db.selectFrom('conversation').select('channel_account_id').where('id', '=', conv).executeTakeFirstOrThrow()).channel_account_id,
        network: 'x', network_message_id: null, direction: 'outbound', visibility: 'public', kind: 'reply', author_identity_id: null, author_user_id: null, in_reply_to_network_id: 'q1',
        thread_root_network_id: null, reply_to_message_id: Number((q as any).messageId), text: 'our answer', text_escaped: null, url: null, created_at: T0 + 1000, received_at: T0 + 1000, raw: null,
        status: 'sending', error: null, is_auto: 0, source: 'agent', idempotency_key: 'k-echo', triage: null, triage_action: null, triage_category: null, sentiment: null, complaint: null,
        accolade: null, chaser: null, intent: null, language: null, priority: null, first_reply_at: null,
      } as never).returning('id').executeTakeFirstOrThrow();
      const before = await snapshot(store, brandId);
      const outbox = new pg.Client({ connectionString: t.databaseUrl });
      await outbox.connect();
      try {
        await outbox.query('begin');
        await outbox.query(`update message set network_message_id = 'r1', status = 'sent' where id = $1`, [reply.id]);
        // the echo of the reply arrives: its insert waits for the outbox's transaction, then finds the row taken
        const echo = send(base('r1', { direction: 'outbound', fromBrand: true, kind: 'reply', inReplyToNetworkId: 'q1', text: 'our answer', createdAt: T0 + 1000 }));
        await new Promise((r) => setTimeout(r, 300));
        await outbox.query('commit');
        const [o] = await echo;
        expect(o).toEqual({ status: 'duplicate', messageId: Number(reply.id), conversationId: conv });
      } finally {
        await outbox.end();
      }
      const after = await snapshot(store, brandId);
      expect(after.messages.map((m) => m.network_message_id)).toEqual(['q1', 'r1']);
      expect(after.conversations).toEqual(before.conversations);
      expect(after.facts).toEqual(before.facts);
    });
  }
});

describeEachStore('ingest: a copy within one batch', (get) => {
  it('names the message it repeats', async () => {
    const { store } = get();
    const { send } = await setup(store, 'inbatch');
    const [a, b, c] = await send(base('d1', { text: 'A' }), base('d1', { text: 'B' }), base('d2'));
    expect(a).toMatchObject({ status: 'stored', conversationCreated: true });
    expect(b).toEqual({ status: 'duplicate', messageId: (a as any).messageId, conversationId: (a as any).conversationId });
    expect(c!.status).toBe('stored');
  });
});

describeEachStore('ingest: a post URL holding a NUL', (get) => {
  it('is stored without the NUL; the batch is not lost (PostgreSQL refuses NUL in text)', async () => {
    const { store } = get();
    const { send } = await setup(store, 'nulurl');
    const [a, b] = await send(base('n1', { url: 'https://x.com/a/status/1\u0000evil' }), base('n2'));
    expect(a!.status).toBe('stored');
    expect(b!.status).toBe('stored');
    const row = await store.db.selectFrom('message').select('url').where('id', '=', (a as any).messageId).executeTakeFirstOrThrow();
    expect(row.url).toBe('https://x.com/a/status/1evil');
  });
});
