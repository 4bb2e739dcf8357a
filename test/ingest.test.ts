import { createPipelineTriage } from '../src/triage/pipelineTriage.js';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { EventBus } from '../src/events/bus.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { parseCsv } from '../src/lib/csv.js';
import { ManualClock } from '../src/lib/clock.js';
import { sharedDataFile } from '../src/lib/paths.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { decodeText } from '../src/store/text.js';
import type { NormalizedMessage } from '../src/core/types.js';
import { describeEachStore } from './db.js';
import { messageStream } from '../src/bench/data.js';
import { BENCH_X_ACCOUNT, BENCH_X_SECRET, xDeliveries } from '../src/bench/deliveries.js';
import { handleXWebhook, SIGNATURE_HEADER } from '../src/channels/x/webhook.js';
import { jsonArrayItemBytes } from '../src/lib/json.js';

const T0 = Date.UTC(2026, 10, 23, 12);

async function counts(db: any) {
  const one = async (t: string) => Number((await db.selectFrom(t).select((eb: any) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
  return { messages: await one('message'), conversations: await one('conversation'), contacts: await one('contact'), facts: await one('reporting_fact') };
}

describeEachStore('TWCS import through the pipeline', (get) => {
  it('imports every row once, threads reply chains, and re-import changes nothing', async () => {
    const { store } = get();
    const bus = new EventBus();
    const pipeline = new IngestPipeline({ store, bus, clock: new ManualClock(T0) });
    const file = sharedDataFile('twcs/twcs_head5k.csv');
    const first = await importTwcs(store, pipeline, file, { brandSlug: 'acme' });
    expect(first.rows).toBe(3996);
    expect(first.stored + first.quarantined).toBe(3996);
    expect(first.bad).toEqual([]);
    const c1 = await counts(store.db);
    expect(c1.messages).toBe(first.stored);

    // tweets 1..5 are one sprintcare thread (replies chain 5 ← 4 ← 3 ← 1 ← 2)
    const thread = await store.db.selectFrom('message').select(['network_message_id', 'conversation_id', 'direction']).where('network_message_id', 'in', ['1', '2', '3', '4', '5']).execute();
    expect(thread).toHaveLength(5);
    expect(new Set(thread.map((m) => m.conversation_id)).size).toBe(1);
    expect(thread.filter((m) => m.direction === 'outbound').map((m) => m.network_message_id).sort()).toEqual(['1', '4']);

    const again = await importTwcs(store, pipeline, file, { brandSlug: 'acme' });
    expect(again.stored).toBe(0);
    expect(again.duplicates).toBe(first.stored);
    expect(await counts(store.db)).toEqual(c1);
  });

  it('imports the good rows of a corrupted copy and names the bad lines', async () => {
    const { store } = get();
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(T0) });
    const records = parseCsv(readFileSync(sharedDataFile('twcs/twcs_head5k.csv'), 'utf8')).slice(0, 41).map((r) => r.raw);
    const bad = [
      '1,900000000001,cust1,Maybe,Tue Oct 31 22:10:47 +0000 2017,@AppleSupport hi,,', // bad inbound flag
      '2,900000000002,cust2,True,not a date,@AppleSupport hi,,',
      '3,900000000003,cust3,True,Tue Oct 31 22:10:47 +0000 2017,too,few',
      '4,900000000004,cust4,True,Tue Oct 31 22:10:47 +0000 2017,"@AppleSupport unclosed quote,,',
    ];
    // header, then a bad row after every 5th good record
    const out: string[] = [records[0]!];
    const badLines: number[] = [];
    let line = 2;
    records.slice(1).forEach((rec, i) => {
      out.push(rec);
      line += rec.split('\n').length;
      if (i % 5 === 4 && bad.length) {
        badLines.push(line);
        out.push(bad.shift()!);
        line += 1;
      }
    });
    const dir = mkdtempSync(join(tmpdir(), 'parley-twcs-'));
    const file = join(dir, 'broken.csv');
    writeFileSync(file, out.join('\n') + '\n');
    const r = await importTwcs(store, pipeline, file, { brandSlug: 'broken' }).finally(() => rmSync(dir, { recursive: true, force: true }));
    expect(r.rows).toBe(44);
    expect(r.bad.map((b) => b.line)).toEqual(badLines);
    expect(r.bad.map((b) => b.reason)).toEqual([
      expect.stringMatching(/inbound/),
      expect.stringMatching(/created_at/),
      expect.stringMatching(/expected 8 fields/),
      expect.stringMatching(/unclosed quote/),
    ]);
    const q = await store.db.selectFrom('quarantine').select(['line', 'reason']).where('brand_id', '=', r.brandId).orderBy('line').execute();
    expect(q.map((x) => x.line)).toEqual(badLines);
    // every good record made it in
    expect(r.stored).toBe(40);
    const n = await store.db.selectFrom('message').select((eb) => eb.fn.countAll().as('n')).where('brand_id', '=', r.brandId).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(40);
  });
});

describeEachStore('ingest pipeline', (get) => {
  const base = (id: string, over: Partial<NormalizedMessage> = {}): NormalizedMessage => ({
    network: 'x', networkMessageId: id, direction: 'inbound', visibility: 'public', kind: 'mention',
    author: { networkUserId: 'u1', handle: 'alice', displayName: 'Alice', followers: 120 }, text: `hello ${id}`, createdAt: T0, raw: { id }, ...over,
  });

  it('stores a redelivered item once and reports duplicates', async () => {
    const { store } = get();
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: 'dedupe', name: 'Dedupe' }, now);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'DedupeCare' }, now);
    const bus = new EventBus();
    const events: string[] = [];
    bus.subscribe(brandId, (e) => events.push(e.type));
    const p = new IngestPipeline({ store, bus, clock: new ManualClock(T0) });
    const item = { channelAccountId: acct, message: base('d1'), source: 'network' as const };
    const [a] = await p.ingest(brandId, [item, item]);
    const [b] = await p.ingest(brandId, [item]);
    const [c] = await p.ingest(brandId, [item]);
    expect(a!.status).toBe('stored');
    expect(b).toMatchObject({ status: 'duplicate', messageId: (a as any).messageId });
    expect(c!.status).toBe('duplicate');
    const n = await store.db.selectFrom('message').select((eb) => eb.fn.countAll().as('n')).where('brand_id', '=', brandId).executeTakeFirstOrThrow();
    expect(Number(n.n)).toBe(1);
    expect(events.filter((e) => e === 'message.created')).toHaveLength(1);
  });

  it('gives triage the last five unanswered texts of each conversation, oldest first, since it began waiting', async () => {
    const { store } = get();
    const brandId = await createBrand(store.db, { slug: 'unanswered', name: 'Unanswered' }, T0);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'WaitCare' }, T0);
    const seen = new Map<string, string[]>();
    const triage = Object.assign((reqs: { message: NormalizedMessage; previousUnanswered: string[] }[]) => reqs.map((r) => (seen.set(r.message.networkMessageId, r.previousUnanswered), null)), {});
    const p = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(T0 + 3600_000), triage: triage as never });
    const min = 60_000;
    const from = (user: string) => ({ author: { networkUserId: user, handle: user } });
    const send = (...msgs: NormalizedMessage[]) => p.ingest(brandId, msgs.map((message) => ({ channelAccountId: acct, message, source: 'network' as const })));
    // alice: asked, was answered, then waited through seven posts (one a batch); bob: waiting since long before
    await send(base('b0', { ...from('bob'), text: 'bob first', createdAt: T0 - 180 * min }));
    await send(base('a0', { ...from('alice'), text: 'answered question', createdAt: T0 }));
    await send(base('r0', { ...from('brand'), direction: 'outbound', fromBrand: true, kind: 'reply', text: 'our answer', inReplyToNetworkId: 'a0', createdAt: T0 + min }));
    for (let i = 1; i <= 7; i++) await send(base(`a${i}`, { ...from('alice'), text: `alice waits ${i}`, createdAt: T0 + (1 + i) * min }));
    await send(base('b1', { ...from('bob'), text: 'bob again', createdAt: T0 + 20 * min }), base('a8', { ...from('alice'), text: 'alice waits 8', createdAt: T0 + 21 * min }), base('a9', { ...from('alice'), text: 'alice waits 9', createdAt: T0 + 22 * min }));
    const convOf = async (id: string) => (await store.db.selectFrom('message').select('conversation_id').where('network_message_id', '=', id).executeTakeFirstOrThrow()).conversation_id;
    expect(await convOf('r0')).toBe(await convOf('a0'));
    expect(await convOf('a8')).toBe(await convOf('a0'));
    expect(await convOf('b1')).toBe(await convOf('b0'));
    expect(seen.get('a1')).toEqual([]);
    expect(seen.get('a3')).toEqual(['alice waits 1', 'alice waits 2']);
    expect(seen.get('a8')).toEqual(['alice waits 3', 'alice waits 4', 'alice waits 5', 'alice waits 6', 'alice waits 7']);
    // a message of the same batch counts as well
    expect(seen.get('a9')).toEqual(['alice waits 4', 'alice waits 5', 'alice waits 6', 'alice waits 7', 'alice waits 8']);
    expect(seen.get('b1')).toEqual(['bob first']);
  });

  it('quarantines what arrives for a disabled channel account, with the reason, and stores it again once enabled', async () => {
    const { store } = get();
    const brandId = await createBrand(store.db, { slug: 'paused', name: 'Paused' }, T0);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'PausedCare' }, T0);
    await store.db.updateTable('channel_account').set({ status: 'disabled' }).where('id', '=', acct).execute();
    const p = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(T0) });
    const [o] = await p.ingest(brandId, [{ channelAccountId: acct, message: base('p1'), source: 'network' }]);
    expect(o).toMatchObject({ status: 'quarantined', reason: expect.stringContaining('is disabled') });
    expect(await store.db.selectFrom('message').select('id').where('brand_id', '=', brandId).execute()).toHaveLength(0);
    const q = await store.db.selectFrom('quarantine').select(['reason', 'raw']).where('brand_id', '=', brandId).execute();
    expect(q).toEqual([{ reason: expect.stringContaining('@PausedCare'), raw: expect.stringContaining('p1') }]);
    await store.db.updateTable('channel_account').set({ status: 'active' }).where('id', '=', acct).execute();
    p.invalidateAccounts();
    const [again] = await p.ingest(brandId, [{ channelAccountId: acct, message: base('p1'), source: 'network' }]);
    expect(again!.status).toBe('stored');
  });

  it('keeps the triage of an unanswered complaint when a milder message follows it, and lets a new wait speak for itself', async () => {
    const { store } = get();
    const brandId = await createBrand(store.db, { slug: 'mild', name: 'Mild' }, T0);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'AcmeHelp' }, T0);
    const p = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(T0 + 10 * 60_000), triage: await createPipelineTriage({ worker: false }) });
    const send = (m: NormalizedMessage) => p.ingest(brandId, [{ channelAccountId: acct, message: m, source: 'network' as const }]);
    const conv = async () => store.db.selectFrom('conversation').select(['id', 'triage_action', 'category', 'sentiment', 'priority']).where('brand_id', '=', brandId).executeTakeFirstOrThrow();
    await send(base('c1', { text: '@AcmeHelp my laptop is completely broken after the update and nobody answers. I want a refund NOW!!', createdAt: T0 }));
    const complaint = await conv();
    expect(complaint).toMatchObject({ triage_action: 'respond', sentiment: 'negative' });
    // unanswered, the customer adds a mild word: the conversation still reads as the complaint
    await send(base('c2', { text: '@AcmeHelp ok thanks', kind: 'reply', inReplyToNetworkId: 'c1', createdAt: T0 + 60_000 }));
    const afterThanks = await conv();
    expect(afterThanks.id).toBe(complaint.id);
    expect(afterThanks).toMatchObject({ triage_action: 'respond', category: complaint.category, sentiment: 'negative', priority: complaint.priority });
    // a more urgent message while waiting does speak for it
    const m3 = (await p.ingest(brandId, [{ channelAccountId: acct, message: base('c3', { text: '@AcmeHelp STILL WAITING??? this is the third time I ask, where is my refund', kind: 'reply', inReplyToNetworkId: 'c2', createdAt: T0 + 120_000 }), source: 'network' }]))[0] as { messageId: number };
    const chased = await conv();
    const stored = await store.db.selectFrom('message').select(['triage_action', 'sentiment']).where('id', '=', m3.messageId).executeTakeFirstOrThrow();
    expect(chased.priority).toBeGreaterThanOrEqual(complaint.priority);
    expect(chased).toMatchObject({ triage_action: stored.triage_action, sentiment: stored.sentiment });
    // once answered, the next message starts a new wait and speaks for the conversation
    await send(base('r1', { author: { networkUserId: 'brand', handle: 'AcmeHelp' }, direction: 'outbound', fromBrand: true, kind: 'reply', text: 'So sorry, Alice: the refund is on its way, 3-5 days.', inReplyToNetworkId: 'c3', createdAt: T0 + 180_000 }));
    const m4 = (await send(base('c4', { text: '@AcmeHelp great, thank you so much, you are the best!', kind: 'reply', inReplyToNetworkId: 'r1', createdAt: T0 + 240_000 })))[0] as { messageId: number };
    const own = await store.db.selectFrom('message').select(['triage_action', 'triage_category', 'sentiment']).where('id', '=', m4.messageId).executeTakeFirstOrThrow();
    const thanked = await conv();
    expect(own.sentiment).toBe('positive');
    expect(thanked).toMatchObject({ sentiment: own.sentiment, triage_action: own.triage_action, category: own.triage_category });
  });

  it("sees another process's edit of the channel account (its handle for triage) within five seconds, its own at once", async () => {
    const { store } = get();
    const brandId = await createBrand(store.db, { slug: 'acctttl', name: 'Ttl' }, Date.now());
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'OldCare' }, Date.now());
    const clock = new ManualClock(T0);
    const handles: string[][] = [];
    const triage = Object.assign((reqs: { brandHandles: string[] }[]) => reqs.map((r) => (handles.push(r.brandHandles), null)), {});
    const p = new IngestPipeline({ store, bus: new EventBus(), clock, triage: triage as never });
    const send = (id: string) => p.ingest(brandId, [{ channelAccountId: acct, message: base(id, { author: { networkUserId: `t${id}`, handle: `t${id}` } }), source: 'network' }]);
    await send('t1');
    // another process renames the account: this one keeps its cached row for a while…
    await store.db.updateTable('channel_account').set({ handle: 'NewCare' }).where('id', '=', acct).execute();
    clock.advance(4_000);
    await send('t2');
    // …and reads it again after five seconds
    clock.advance(1_500);
    await send('t3');
    // an edit in this process clears the cache at once
    await store.db.updateTable('channel_account').set({ handle: 'NewestCare' }).where('id', '=', acct).execute();
    p.invalidateAccounts();
    await send('t4');
    expect(handles).toEqual([['OldCare'], ['OldCare'], ['NewCare'], ['NewestCare']]);
  });

  it('stores hostile text verbatim and quarantines malformed items with the reason', async () => {
    const { store } = get();
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: 'hostile', name: 'Hostile' }, now);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'HostileCare' }, now);
    const p = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(T0) });
    const hostile = [
      '<script>alert(1)</script>',
      '<img src=x onerror="fetch(\'/api/me\')">',
      'bidi \u202Eevil\u202C text',
      'x'.repeat(100 * 1024),
      'lone \ud800 surrogate and \udc00 another',
      'nul \u0000 byte',
      'emoji 👩‍👩‍👧 ok',
    ];
    const items = hostile.map((text, i) => ({ channelAccountId: acct, message: base(`h${i}`, { text, author: { networkUserId: `hu${i}`, handle: `h${i}` } }), source: 'api' as const }));
    items.push({ channelAccountId: acct, message: { ...base('bad'), createdAt: 'yesterday' } as any, source: 'api' as const });
    items.push({ channelAccountId: acct, message: { nonsense: true } as any, source: 'api' as const });
    const out = await p.ingest(brandId, items);
    expect(out.slice(0, hostile.length).every((o) => o.status === 'stored')).toBe(true);
    expect(out[hostile.length]).toMatchObject({ status: 'quarantined', reason: expect.stringMatching(/createdAt/) });
    expect(out[hostile.length + 1]!.status).toBe('quarantined');
    for (let i = 0; i < hostile.length; i++) {
      const row = await store.db.selectFrom('message').select(['text', 'text_escaped']).where('id', '=', (out[i] as any).messageId).executeTakeFirstOrThrow();
      expect(decodeText(row.text, row.text_escaped)).toBe(hostile[i]);
    }
    const q = await store.db.selectFrom('quarantine').selectAll().where('brand_id', '=', brandId).execute();
    expect(q).toHaveLength(2);
    expect(q[0]!.raw).toContain('yesterday');
  });

  it('threads by reply chain, by same author within the window, and reopens resolved conversations', async () => {
    const { store } = get();
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: 'thread', name: 'Thread' }, now);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'ThreadCare' }, now);
    const H = 3600_000;
    // the pipeline's clock is past each batch's messages (a message dated ahead of it is dated at its receipt)
    const clock = new ManualClock(T0 + 5 * H);
    const p = new IngestPipeline({ store, bus: new EventBus(), clock, threadingWindowMs: 3600_000 });
    const bob = { networkUserId: 'bob', handle: 'bob' };
    const brand = { networkUserId: 'brand', handle: 'ThreadCare' };
    const o = await p.ingest(brandId, [
      { channelAccountId: acct, message: base('t1', { author: bob, createdAt: T0 }), source: 'network' },
      { channelAccountId: acct, message: base('t2', { author: brand, fromBrand: true, direction: 'outbound', inReplyToNetworkId: 't1', createdAt: T0 + 600_000 }), source: 'network' },
      { channelAccountId: acct, message: base('t3', { author: bob, createdAt: T0 + 0.5 * H }), source: 'network' },
      { channelAccountId: acct, message: base('t4', { author: bob, createdAt: T0 + 5 * H }), source: 'network' },
    ]);
    const conv = (i: number) => (o[i] as any).conversationId;
    expect(conv(1)).toBe(conv(0));
    expect(conv(2)).toBe(conv(0)); // same author within the window
    expect(conv(3)).not.toBe(conv(0)); // outside the window: a new conversation
    const facts = await store.db.selectFrom('reporting_fact').select(['kind', 'value_s']).where('conversation_id', '=', conv(0)).where('kind', '!=', 'inbound').orderBy('id').execute();
    expect(facts).toEqual([
      { kind: 'first_response', value_s: 600 },
      { kind: 'message_response', value_s: 600 },
      { kind: 'message_answered', value_s: null },
    ]);
    // resolve, then a reply in the chain reopens it
    await store.db.updateTable('conversation').set({ status: 'resolved', resolved_at: T0 + H }).where('id', '=', conv(0)).execute();
    clock.set(T0 + 30 * H);
    const [r] = await p.ingest(brandId, [{ channelAccountId: acct, message: base('t5', { author: bob, inReplyToNetworkId: 't2', createdAt: T0 + 30 * H }), source: 'network' }]);
    expect((r as any).conversationId).toBe(conv(0));
    const c = await store.db.selectFrom('conversation').selectAll().where('id', '=', conv(0)).executeTakeFirstOrThrow();
    expect(c.status).toBe('open');
    expect(c.reopened_count).toBe(1);
    expect(c.cycle_started_at).toBe(T0 + 30 * H);
    expect(c.message_count).toBe(4);
  });

  it('threads a reply that arrived before its parent into the same conversation', async () => {
    const { store } = get();
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: 'ooo', name: 'Out of order' }, now);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'OooCare' }, now);
    const p = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(T0) });
    const [child] = await p.ingest(brandId, [{ channelAccountId: acct, message: base('c2', { author: { networkUserId: 'brand', handle: 'OooCare' }, fromBrand: true, direction: 'outbound', inReplyToNetworkId: 'c1', createdAt: T0 + 120_000 }), source: 'network' }]);
    const [parent] = await p.ingest(brandId, [{ channelAccountId: acct, message: base('c1', { createdAt: T0 }), source: 'network' }]);
    expect((parent as any).conversationId).toBe((child as any).conversationId);
    const f = await store.db.selectFrom('reporting_fact').select(['kind', 'value_s']).where('kind', '=', 'message_response').where('brand_id', '=', brandId).execute();
    expect(f).toEqual([{ kind: 'message_response', value_s: 120 }]);
  });

  it('stores a brand post the network marks as automated as automatic: never a response', async () => {
    const { store } = get();
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: 'bots', name: 'Bots' }, now);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'BotCare' }, now);
    const p = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(T0) });
    const brand = { author: { networkUserId: 'brand', handle: 'BotCare' }, fromBrand: true, direction: 'outbound' as const, inReplyToNetworkId: 'q1' };
    const [q] = await p.ingest(brandId, [{ channelAccountId: acct, message: base('q1', { createdAt: T0 }), source: 'network' }]);
    await p.ingest(brandId, [{ channelAccountId: acct, message: base('bot1', { ...brand, automated: true, createdAt: T0 + 60_000 }), source: 'network' }]);
    const convId = (q as any).conversationId;
    const afterBot = await store.db.selectFrom('conversation').select(['first_response_at', 'waiting_since']).where('id', '=', convId).executeTakeFirstOrThrow();
    expect(afterBot).toEqual({ first_response_at: null, waiting_since: T0 });
    expect((await store.db.selectFrom('message').select('is_auto').where('network_message_id', '=', 'bot1').executeTakeFirstOrThrow()).is_auto).toBe(1);
    await p.ingest(brandId, [{ channelAccountId: acct, message: base('human1', { ...brand, createdAt: T0 + 300_000 }), source: 'network' }]);
    const facts = await store.db.selectFrom('reporting_fact').select(['kind', 'value_s']).where('brand_id', '=', brandId).where('kind', 'in', ['first_response', 'message_response']).orderBy('kind').execute();
    expect(facts).toEqual([{ kind: 'first_response', value_s: 300 }, { kind: 'message_response', value_s: 300 }]);
    expect((await store.db.selectFrom('conversation').select('first_response_at').where('id', '=', convId).executeTakeFirstOrThrow()).first_response_at).toBe(T0 + 300_000);
  });
});

describeEachStore('X webhook deliveries through the pipeline', (get) => {
  it('store each event once, its payload exactly as X sent it (multi-byte text included)', async () => {
    const { store } = get();
    const brandId = await createBrand(store.db, { slug: 'xhook', name: 'X hook' }, T0);
    const acct = await createChannelAccount(store.db, { brandId, network: 'x', handle: BENCH_X_ACCOUNT.username }, T0);
    const p = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(T0) });
    const stream = [...messageStream(300, { t0: T0, rate: 1000 })];
    stream[7] = { ...stream[7]!, text: 'caf\u00e9 \u{1F600} \u201Cquoted\u201D <b>&amp;</b> \u202Ebidi' };
    const deliveries = xDeliveries(stream);
    const sent = new Map<string, string>(); // network id → the event's exact text in its delivery
    for (const d of deliveries) {
      const body = JSON.parse(d.body.toString('utf8'));
      const items = jsonArrayItemBytes(d.body, body.tweet_create_events ? 'tweet_create_events' : 'direct_message_events')!;
      const { messages } = handleXWebhook({ method: 'POST', query: {}, headers: { [SIGNATURE_HEADER]: d.signature }, rawBody: d.body }, BENCH_X_SECRET, BENCH_X_ACCOUNT, T0);
      messages.forEach((m, i) => sent.set(m.networkMessageId, items[i]!.toString('utf8')));
      const out = await p.ingest(brandId, messages.map((message) => ({ channelAccountId: acct, message, source: 'network' as const })));
      expect(out.every((o) => o.status === 'stored')).toBe(true);
      // redelivered: stored once
      expect((await p.ingest(brandId, messages.map((message) => ({ channelAccountId: acct, message, source: 'network' as const })))).every((o) => o.status === 'duplicate')).toBe(true);
    }
    const rows = await store.db.selectFrom('message').select(['network_message_id', 'raw', 'visibility']).where('brand_id', '=', brandId).execute();
    expect(rows).toHaveLength(stream.length);
    for (const r of rows) {
      expect(typeof r.raw).toBe('string');
      const want = sent.get(r.network_message_id!)!;
      // a DM's payload is its event with the sender's user object
      expect(r.visibility === 'private' ? JSON.parse(r.raw as string).event : r.raw).toEqual(r.visibility === 'private' ? JSON.parse(want) : want);
    }
    const odd = rows.filter((r) => (r.raw as string).includes('caf\u00e9 \u{1F600} \u201Cquoted\u201D'));
    expect(odd).toHaveLength(1);
  });
});
