/**
 * Searching for emoji, on both engines with the same results: a message is found by the emoji
 * in it (whole sequences; ❤️ = ❤; 👍 finds every tone, 👍🏽 only its own), alone or with words
 * (every term must match, the last word as a prefix, as before), in what ingest stores and in
 * rows that were there before the migration. Word search is unchanged; results show the text
 * as it arrived; hostile queries get an empty result or a 400, never a 500. PostgreSQL computes
 * the terms in SQL: they are checked against src/core/emojiSearch.ts on every pictograph.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { EXTENDED_PICTOGRAPHIC, emojiTerms, mayHaveEmoji, pgEmojiTermsFunction } from '../src/core/emojiSearch.js';
import { indexPending } from '../src/store/fts.js';
import { up } from '../src/store/migrations/20261205T1330_emoji_search.js';
import { listConversations, searchMessageIds, searchMessages } from '../src/store/queries.js';
import { describeEachStore, DIALECTS, type TestDatabase } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const NOW = Date.UTC(2026, 11, 6, 12);

const TEXTS = {
  angry: 'where is my refund 😡😡',
  angryNoRefund: 'this is a joke 😡',
  refundCalm: 'refund received, thanks',
  fire: 'your app is 🔥 today',
  heartVs16: 'love you guys ❤️',
  heartPlain: 'love the update ❤',
  broken: 'my order came broken 💔',
  thumbsTone: 'sorted, thanks 👍🏽',
  thumbsDark: 'ok 👍🏿',
  thumbs: 'fine 👍',
  family: 'booked for the family 👨‍👩‍👧',
  man: 'just me 👨',
  flagFr: 'shipping to 🇫🇷 please',
  flagDe: 'shipping to 🇩🇪 please',
  keycap: 'press 1️⃣ for help',
  shrugWoman: 'no idea 🤷🏽‍♀️',
  pray: 'please help 🙏',
  heartOnFire: 'obsessed ❤️‍🔥',
  email: 'emj elephant excellent',
} as const;
type Key = keyof typeof TEXTS;

/** A brand whose messages are `TEXTS`, one conversation each; returns the message id of each key. */
async function seed(store: TestDatabase['store'], slug: string): Promise<{ brandId: number; ids: Record<Key, number> }> {
  const brandId = await createBrand(store.db, { slug, name: slug }, NOW);
  const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: `${slug}Care`, driver: 'demo' }, NOW);
  const ids = {} as Record<Key, number>;
  for (const [i, key] of (Object.keys(TEXTS) as Key[]).entries()) {
    const conv = await store.db.insertInto('conversation').values({ brand_id: brandId, channel_account_id: accountId, network: 'x', visibility: 'public', status: 'open', created_at: NOW, updated_at: NOW, last_message_at: NOW + i, cycle_started_at: NOW, reopened_count: 0, message_count: 1, version: 1, priority: 0, subject: TEXTS[key] }).returning('id').executeTakeFirstOrThrow();
    const msg = await store.db.insertInto('message').values({ brand_id: brandId, conversation_id: conv.id, channel_account_id: accountId, network: 'x', network_message_id: `${slug}-${key}`, direction: 'inbound', visibility: 'public', kind: 'mention', text: TEXTS[key], created_at: NOW + i, received_at: NOW + i, status: 'received', is_auto: 0, source: 'network' }).returning('id').executeTakeFirstOrThrow();
    ids[key] = Number(msg.id);
  }
  return { brandId, ids };
}

describeEachStore('emoji search', (get, dialect) => {
  let brandId: number;
  let ids: Record<Key, number>;
  /** The keys of the messages a search finds, newest first. */
  const found = async (q: string) => {
    const byId = new Map(Object.entries(ids).map(([k, id]) => [id, k]));
    return (await searchMessageIds(get().store, brandId, q, 50)).map((id) => byId.get(id) ?? id);
  };

  beforeAll(async () => {
    ({ brandId, ids } = await seed(get().store, 'emoji'));
  });

  it('finds a message by the emoji in it, whole sequences included', async () => {
    expect(await found('😡')).toEqual(['angryNoRefund', 'angry']);
    expect(await found('🔥')).toEqual(['fire']); // not ❤️‍🔥: a sequence is not its parts
    expect(await found('💔')).toEqual(['broken']);
    expect(await found('🙏')).toEqual(['pray']);
    expect(await found('👨‍👩‍👧')).toEqual(['family']);
    expect(await found('👨')).toEqual(['man']);
    expect(await found('🇫🇷')).toEqual(['flagFr']);
    expect(await found('🇩🇪')).toEqual(['flagDe']);
    expect(await found('1️⃣')).toEqual(['keycap']);
    expect(await found('1⃣')).toEqual(['keycap']);
    expect(await found('❤️‍🔥')).toEqual(['heartOnFire']);
  });

  it('matches ❤️ and ❤ alike; an emoji without a tone finds every tone, one with a tone only itself', async () => {
    expect(await found('❤️')).toEqual(['heartPlain', 'heartVs16']);
    expect(await found('❤')).toEqual(['heartPlain', 'heartVs16']);
    expect(await found('👍')).toEqual(['thumbs', 'thumbsDark', 'thumbsTone']);
    expect(await found('👍🏽')).toEqual(['thumbsTone']);
    expect(await found('👍🏿')).toEqual(['thumbsDark']);
    expect(await found('👍🏻')).toEqual([]);
    expect(await found('🤷')).toEqual(['shrugWoman']);
    expect(await found('🤷‍♀️')).toEqual(['shrugWoman']);
    expect(await found('🤷‍♂️')).toEqual([]);
  });

  it('combines emoji with words as words combine: every term must match, the last word as a prefix', async () => {
    expect(await found('refund 😡')).toEqual(['angry']);
    expect(await found('😡 refund')).toEqual(['angry']);
    expect(await found('😡refund')).toEqual(['angry']);
    expect(await found('ref 😡')).toEqual(['angry']); // the last word is a prefix
    expect(await found('joke 😡')).toEqual(['angryNoRefund']);
    expect(await found('😡 💔')).toEqual([]);
    expect(await found('shipping please 🇫🇷')).toEqual(['flagFr']);
    expect(await found('thanks 👍')).toEqual(['thumbsTone']);
  });

  it('leaves word search as it was: words, prefixes, and no emoji found by a word', async () => {
    expect(await found('refund')).toEqual(['refundCalm', 'angry']);
    expect(await found('ref')).toEqual(['refundCalm', 'angry']);
    expect(await found('shipping please')).toEqual(['flagDe', 'flagFr']);
    expect(await found('e')).toEqual(['email']); // a one-letter prefix finds words, not every message with an emoji
    expect(await found('emj')).toEqual(['email']);
    expect(await found('')).toEqual([]);
    expect(await found('  , ! ')).toEqual([]);
  });

  it('pages emoji results newest first, and filters the inbox list by them', async () => {
    const { store } = get();
    const first = await searchMessageIds(store, brandId, '👍', 2);
    expect(first).toEqual([ids.thumbs, ids.thumbsDark]);
    expect(await searchMessageIds(store, brandId, '👍', 2, first[1])).toEqual([ids.thumbsTone]);
    const list = await listConversations(store, { brandId, userId: null, view: 'all', q: '😡', now: NOW });
    expect(list.items).toHaveLength(2);
    // another brand's messages are not found
    const other = await seed(store, 'emoji-other');
    expect(await searchMessageIds(store, brandId, '🔥', 50)).toEqual([ids.fire]);
    expect(await searchMessageIds(store, other.brandId, '🔥', 50)).toEqual([other.ids.fire]);
  });

  it('shows results as the text arrived: the real emoji, variation selectors and all', async () => {
    const r = await searchMessages(get().store, brandId, '❤', 50);
    expect(r.items.map((i) => i.text)).toEqual([TEXTS.heartPlain, TEXTS.heartVs16]);
    expect(r.items[1]!.text).toContain('\ufe0f');
    expect((await searchMessages(get().store, brandId, '👍🏽', 50)).items.map((i) => i.text)).toEqual([TEXTS.thumbsTone]);
  });

  it('answers hostile queries with an empty or bounded result, never an error', async () => {
    expect(await found('\ud83d')).toEqual([]);
    expect(await found('\ude21\ud83d')).toEqual([]);
    expect(await found('refund \ud83d')).toEqual(['refundCalm', 'angry']);
    expect(await found('\ufe0f\u200d\u{1f3fd}')).toEqual([]); // parts of emoji without an emoji
    const many = Array.from({ length: 10_000 }, (_, i) => String.fromCodePoint(0x1f600 + (i % 80))).join('');
    expect(await found(many)).toEqual([]); // eight different emoji, in no one message
    expect(await found('😡'.repeat(10_000))).toEqual(['angryNoRefund', 'angry']);
    expect(await found(Array.from({ length: 5000 }, () => '👍').join('\u200d'))).toEqual([]); // no such emoji
    expect(await found("😡' or 1=1 --")).toEqual([]);
  });

  it('keeps the terms in step with the text: a changed text is refiled, a deleted message leaves none', async () => {
    const { store } = get();
    const { brandId: b, ids: own } = await seed(store, 'emoji-edit');
    await store.db.updateTable('message').set({ text: 'now happy 😊' }).where('id', '=', own.angry).execute();
    expect(await searchMessageIds(store, b, '😊', 50)).toEqual([own.angry]);
    expect(await searchMessageIds(store, b, '😡', 50)).toEqual([own.angryNoRefund]);
    await store.db.deleteFrom('message').where('id', '=', own.pray).execute();
    expect(await searchMessageIds(store, b, '🙏', 50)).toEqual([]);
    const left = await sql<{ n: number }>`select count(*) as n from message_emoji where message_id = ${own.pray}`.execute(store.db);
    expect(Number(left.rows[0]!.n)).toBe(0);
  });

  it('makes the messages stored before the migration searchable, and running it again doubles nothing', async () => {
    const { store } = get();
    const { brandId: b, ids: own } = await seed(store, 'emoji-old');
    await indexPending(store); // full-text indexed, as rows written before the migration were
    await sql`delete from message_emoji`.execute(store.db);
    expect(await searchMessageIds(store, b, '🔥', 50)).toEqual([]);
    await up(store.db as never, { dialect, id: ['bigint', (c) => c] });
    expect(await searchMessageIds(store, b, '🔥', 50)).toEqual([own.fire]);
    expect(await searchMessageIds(store, b, '👍', 50)).toEqual([own.thumbs, own.thumbsDark, own.thumbsTone]);
    const count = async () => Number((await sql<{ n: number }>`select count(*) as n from message_emoji`.execute(store.db)).rows[0]!.n);
    const n = await count();
    await up(store.db as never, { dialect, id: ['bigint', (c) => c] });
    expect(await count()).toBe(n);
    // and every brand's rows again, as after the first run: the seeded texts' terms, no more
    const expected = (await store.db.selectFrom('message').select(['text']).execute()).reduce((sum, r) => sum + emojiTerms(r.text).length, 0);
    expect(n).toBe(expected);
  });

  if (dialect === 'postgres') {
    it("computes in SQL exactly the terms src/core/emojiSearch.ts computes, on every pictograph, flag, keycap, tone and mix", async () => {
      const texts = corpus();
      const { rows } = await sql<{ i: number; terms: string[]; may: boolean }>`
        select u.i, parley_emoji_terms(u.t) as terms, u.t ~ ${sql.lit(pgEmojiTermsFunction().anyPattern)} as may
        from unnest(${texts}::text[]) with ordinality as u(t, i)`.execute(get().store.db);
      expect(rows).toHaveLength(texts.length);
      const mismatches: string[] = [];
      for (const r of rows) {
        const t = texts[Number(r.i) - 1]!;
        const js = [...emojiTerms(t)].sort();
        const pg = [...r.terms].sort();
        if (JSON.stringify(js) !== JSON.stringify(pg) || r.may !== mayHaveEmoji(t)) mismatches.push(`${JSON.stringify(t)}: js ${JSON.stringify(js)} pg ${JSON.stringify(pg)}`);
      }
      expect(mismatches.slice(0, 10)).toEqual([]);
    });
  }
});

/** Every pictograph alone and with a selector, every tone on every pictograph that takes one, every flag and keycap, and random mixes. */
function corpus(): string[] {
  const out: string[] = [];
  const picts: string[] = [];
  for (const [a, b] of EXTENDED_PICTOGRAPHIC) for (let c = a; c <= b; c++) picts.push(String.fromCodePoint(c));
  const tones = [0x1f3fb, 0x1f3fc, 0x1f3fd, 0x1f3fe, 0x1f3ff].map((c) => String.fromCodePoint(c));
  for (const p of picts) {
    out.push(p, `${p}\ufe0f`, `${p}\ufe0e`, `x${p}y`);
    if (/\p{Emoji_Modifier_Base}/u.test(p)) for (const t of tones) out.push(`${p}${t}`, `${p}${t}\u200d\u2640\ufe0f`, `${p}\u200d\u2642\ufe0f`);
  }
  const ri = Array.from({ length: 26 }, (_, i) => String.fromCodePoint(0x1f1e6 + i));
  for (const a of ri) for (const b of ri) out.push(`${a}${b}`);
  out.push(ri.join(''), ri.slice(0, 3).join(''));
  for (const k of '0123456789#*') out.push(`${k}\ufe0f\u20e3`, `${k}\u20e3`, `${k}\ufe0e\u20e3`);
  out.push('👨‍👩‍👧‍👦', '👩🏽‍💻', '🏳️‍🌈', '🏴‍☠️', '🧑🏻‍🤝‍🧑🏿', '👁️‍🗨️', '🏃‍♀️‍➡️', '🏴󠁧󠁢󠁥󠁮󠁧󠁿', '🏴󠁧󠁢󠁳󠁣󠁴󠁿', '❤️‍🩹', Array.from({ length: 20 }, () => '👍').join('\u200d'));
  // random mixes of emoji parts, letters, digits and spaces
  const parts = [...picts.slice(0, 40), ...picts.slice(-40), ...tones, ...ri.slice(0, 4), '\u200d', '\ufe0f', '\ufe0e', '\u20e3', '\u2640', '\u2642', '\u{e0067}', '\u{e007f}', 'a', 'Z', '1', '#', '*', ' ', 'é', '日'];
  let seed = 42;
  const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n);
  for (let i = 0; i < 4000; i++) out.push(Array.from({ length: 1 + rnd(12) }, () => parts[rnd(parts.length)]!).join(''));
  return out;
}

/** Through the desk: what the ingest pipeline stores is found by its emoji, and the API refuses a query too long with a 4xx. */
for (const dialect of DIALECTS) {
  describe(`emoji search through the API [${dialect}]`, () => {
    let desk: TestDesk;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect);
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    it('finds ingested messages by emoji and shows their text; a hostile query is a 400 or an empty page, never a 500', async () => {
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      const a = mention({ text: '@AcmeCare refund me now 😡' });
      const b = mention({ text: '@AcmeCare thank you so much 🙏🏾❤️' });
      const res = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [a, b] });
      expect(res.status).toBeLessThan(300);
      const search = async (q: string) => ana.get(`/api/search?q=${encodeURIComponent(q)}`);
      const angry = await search('😡');
      expect(angry.status).toBe(200);
      expect(angry.json.items.map((i: any) => i.text)).toEqual([a.text]);
      expect((await search('refund 😡')).json.items.map((i: any) => i.networkMessageId)).toEqual([a.networkMessageId]);
      expect((await search('🙏')).json.items.map((i: any) => i.text)).toEqual([b.text]);
      expect((await search('❤')).json.items.map((i: any) => i.networkMessageId)).toEqual([b.networkMessageId]);
      expect((await ana.get(`/api/conversations?view=all&q=${encodeURIComponent('🙏🏾')}`)).json.items).toHaveLength(1);

      // past the 500 characters a query may have: a 400 problem; 10,000 emoji do not even make a request line Node accepts (431)
      const tooLong = await search('😡'.repeat(1000));
      expect(tooLong.status).toBe(400);
      expect(tooLong.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await ana.get(`/api/conversations?q=${encodeURIComponent('🔥'.repeat(1000))}`)).status).toBe(400);
      expect((await search('😡'.repeat(10_000))).status).toBe(431);
      // broken UTF-8 in the query string (half an emoji): no error
      const broken = await ana.get('/api/search?q=%F0%9F%98');
      expect(broken.status).toBeLessThan(500);
      const lone = await ana.get('/api/search?q=%ED%A0%BD');
      expect(lone.status).toBeLessThan(500);
      if (lone.status === 200) expect(lone.json.items).toEqual([]);
    });

    if (dialect === 'postgres') {
      it("files the ingested batch's emoji terms in one statement, as the trigger would, and leaves the trigger to every other writer (migration 20261207T1540)", async () => {
        const db = desk.db.store.db;
        // a second trigger with the real one's definition (its WHEN condition included) that only notes the messages it fires for
        await sql`create table if not exists emoji_trigger_calls (message_id bigint)`.execute(db);
        await sql`CREATE OR REPLACE FUNCTION note_emoji_trigger_call() RETURNS trigger LANGUAGE plpgsql AS $fn$
          BEGIN INSERT INTO emoji_trigger_calls VALUES (NEW.id); RETURN NULL; END $fn$`.execute(db);
        const real = (await sql<{ d: string }>`select pg_get_triggerdef(oid) as d from pg_trigger where tgname = 'message_emoji_insert' and not tgisinternal`.execute(db)).rows[0]!.d;
        expect(real).toMatch(/^CREATE TRIGGER message_emoji_insert .* EXECUTE FUNCTION message_emoji_sync\(\)$/);
        await sql.raw(real.replace('CREATE TRIGGER message_emoji_insert ', 'CREATE TRIGGER message_emoji_insert_watch ').replace('message_emoji_sync()', 'note_emoji_trigger_call()')).execute(db);
        const admin = await Client.signIn(desk.url, 'admin@acme.test');
        const texts = ['@AcmeCare 👨‍👩‍👧 booked, 👍🏽 thanks', '@AcmeCare no emoji here', '@AcmeCare 🇫🇷 shipping? 1️⃣ ❤️‍🔥 ❤️'];
        const res = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: texts.map((text) => mention({ text })) });
        const ids: number[] = res.json.outcomes.map((o: any) => o.messageId);
        expect(ids).toHaveLength(3);
        const filed = async (id: number) => (await db.selectFrom('message_emoji').select('term').where('message_id', '=', id).execute()).map((r) => r.term).sort();
        const stored = await db.selectFrom('message').select(['id', 'text', 'brand_id']).where('id', 'in', ids).orderBy('id').execute();
        for (const m of stored) expect(await filed(Number(m.id)), m.text).toEqual([...emojiTerms(m.text)].sort());
        expect(await filed(ids[0]!)).not.toEqual([]);
        const calls = async () => (await sql<{ message_id: string }>`select message_id from emoji_trigger_calls`.execute(db)).rows.map((r) => Number(r.message_id));
        expect(await calls()).toEqual([]); // the batch filed them itself
        // any other writer (a reply, an import written directly) is still served by the trigger
        const conv = await db.selectFrom('message').select(['conversation_id', 'channel_account_id']).where('id', '=', ids[0]!).executeTakeFirstOrThrow();
        const other = await db.insertInto('message').values({ brand_id: desk.brandId, conversation_id: conv.conversation_id, channel_account_id: conv.channel_account_id, network: 'x', network_message_id: 'emoji-direct', direction: 'outbound', visibility: 'public', kind: 'reply', text: 'glad to help 🙏🏾', created_at: NOW, received_at: NOW, status: 'sent', is_auto: 0, source: 'agent' } as never).returning('id').executeTakeFirstOrThrow();
        expect(await calls()).toEqual([Number(other.id)]);
        expect(await filed(Number(other.id))).toEqual([...emojiTerms('glad to help 🙏🏾')].sort());
        // the batch turned the trigger off for its own insert only: a later insert in a transaction is served
        await db.transaction().execute(async (trx) => {
          await sql`select set_config('parley.emoji_terms_by_writer', 'off', true)`.execute(trx);
          await trx.insertInto('message').values({ brand_id: desk.brandId, conversation_id: conv.conversation_id, channel_account_id: conv.channel_account_id, network: 'x', network_message_id: 'emoji-direct-2', direction: 'outbound', visibility: 'public', kind: 'reply', text: 'on it 🔥', created_at: NOW, received_at: NOW, status: 'sent', is_auto: 0, source: 'agent' } as never).execute();
        });
        expect(await calls()).toHaveLength(2);
        expect((await ana.get(`/api/search?q=${encodeURIComponent('👍')}`)).json.items.map((i: any) => i.text)).toEqual([texts[0]]);
      });
    }
  });
}
