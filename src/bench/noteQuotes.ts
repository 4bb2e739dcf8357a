/**
 * What recording a note's quotes costs on a large brand (`recordNoteQuotes`,
 * src/commands/expertQuotes.ts): the note's write transaction also looks up, in the messages'
 * word index, the messages of other conversations the note may quote (`quotableElsewhere`). On
 * SQLite that transaction holds the one write lock, so its time is time ingest waits.
 *
 * The brand is seedLarge's (real TWCS texts, cycled; half brand replies on SQLite, a brand reply
 * to each inbound message on PostgreSQL). Each case writes a note in a transaction (inserted, its
 * quotes recorded, then rolled back: every run sees the same store) and times the recording:
 *  (a) short: a note that quotes nothing ("Called the customer, refund issued");
 *  (b) quote: a note quoting a line of a customer's message on another conversation (a different
 *      one each run);
 *  (c) long: 1,500 characters of the phrases agents write ("thank you so much for your patience…");
 *  (d) common: a note quoting one of the sentences most often written in the brand's messages.
 * Then the backfill of migration 20261207T0310 (`recordMissingQuotes`) over 1,000 notes written
 * before (a mix of those), per 1,000 notes.
 * Statements and rows read are counted by a Kysely plugin on the transaction.
 *
 * Run: `npx tsx src/bench/noteQuotes.ts [messages] [--postgres] [--runs=N] [--backfill=ROUNDS] [--db=FILE] [--url=POSTGRES_URL]`
 * (`--db`, `--url`: a SQLite file or PostgreSQL database kept between runs, seeded once).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type KyselyPlugin, type Transaction } from 'kysely';
import { quotePassages } from '../commands/erase.js';
import { recordMissingQuotes, recordNoteQuotes } from '../commands/expertQuotes.js';
import { startPostgres } from '../lib/services.js';
import { openStore, type Store } from '../store/db.js';
import type { DB } from '../store/schema.js';
import { decodeText } from '../store/text.js';
import { realTexts } from './data.js';
import { seedLarge } from './sections.js';
import { percentileOf } from './stats.js';

const SLUG = 'note-quotes';

/** Phrases agents write in notes, none a customer's words. */
const AGENT_PHRASES = [
  'thank you so much for your patience', 'we are looking into this for you', 'I have checked the order history and everything looks fine',
  'please let us know if there is anything else we can do', 'the customer called again today', 'I will follow up with the team tomorrow',
  'we have escalated this to the relevant team', 'sorry for the inconvenience this has caused', 'the refund has been issued to the original payment method',
  'could you please send us a DM with your account details', 'we are sorry to hear that', 'I have asked the courier for an update',
  'this should be resolved within the next few days', 'they said they would get back to us as soon as possible', 'I am not sure what happened here',
  'can you take a look at this when you have a moment', 'we need to check with the billing team first', 'the customer is still waiting for a reply',
  'thanks for reaching out to us', 'let me know what you think', 'I will keep an eye on this one', 'it looks like the issue is on our side',
];

/** A deterministic generator (the same notes each run of the bench). */
function rng(seed: number) {
  return () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
}

/** A long note: agent phrases, shuffled, to `chars` characters. */
function longNote(rnd: () => number, chars = 1_500): string {
  const parts: string[] = [];
  let length = 0;
  while (length < chars) {
    const p = AGENT_PHRASES[Math.floor(rnd() * AGENT_PHRASES.length)]!;
    parts.push(p);
    length += p.length + 2;
  }
  return (parts.join('. ') + '.').slice(0, chars);
}

/** The passages (quotePassages) most often written among the texts, each in how many. */
function commonPassages(texts: readonly string[], n: number): { passage: string; count: number }[] {
  const counts = new Map<string, number>();
  for (const t of texts) {
    // a sentence without the leading @mentions (the handles differ between customers)
    for (const p of quotePassages(t.replace(/(^|\s)@\w+/gu, ' '))) if (p.length <= 60) counts.set(p, (counts.get(p) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, n).map(([passage, count]) => ({ passage, count }));
}

/** Counts the statements run and the rows they returned on what it is plugged into. */
function counter(): { plugin: KyselyPlugin; statements: number; rows: number } {
  const c = {
    statements: 0,
    rows: 0,
    plugin: {
      transformQuery: (a) => {
        c.statements++;
        return a.node;
      },
      transformResult: async (a) => {
        c.rows += a.result.rows.length;
        return a.result;
      },
    } satisfies KyselyPlugin,
  };
  return c;
}

class Rollback extends Error {}

/** Run `fn` in a write transaction rolled back after it (the store unchanged); its result and time. */
async function inRolledBack<T>(store: Store, fn: (trx: Transaction<DB>) => Promise<T>): Promise<{ value: T; ms: number }> {
  let out: { value: T; ms: number } | undefined;
  try {
    await store.db.transaction().execute(async (trx) => {
      const t0 = performance.now();
      const value = await fn(trx);
      out = { value, ms: performance.now() - t0 };
      throw new Rollback();
    });
  } catch (e) {
    if (!(e instanceof Rollback)) throw e;
  }
  return out!;
}

async function seed(store: Store, messages: number): Promise<{ brandId: number; agentId: number }> {
  const found = await store.db.selectFrom('brand').select('id').where('slug', '=', SLUG).executeTakeFirst();
  if (found) {
    const agent = await store.db.selectFrom('app_user').select('id').where('brand_id', '=', Number(found.id)).orderBy('id').executeTakeFirstOrThrow();
    return { brandId: Number(found.id), agentId: Number(agent.id) };
  }
  const sqlite = store.dialect === 'sqlite';
  const { brandId, agentIds } = await seedLarge(store, messages / 2, { perConv: sqlite ? 2 : 1, slug: SLUG });
  if (!sqlite) {
    await sql`insert into message (brand_id, conversation_id, channel_account_id, network, network_message_id, direction, visibility, kind, text, created_at, received_at, status, is_auto, source)
      select brand_id, conversation_id, channel_account_id, 'x', 'R' || id, 'outbound', 'public', 'reply', text, created_at + 60000, created_at + 60000, 'sent', 0, 'agent'
      from message where brand_id = ${brandId}`.execute(store.db);
    await sql`analyze`.execute(store.db);
  }
  return { brandId, agentId: agentIds[0]! };
}

type Case = 'short' | 'quote' | 'long' | 'common';

export async function benchNoteQuotes(store: Store, messages: number, runs: number, backfillRounds = 1) {
  const t0 = performance.now();
  const { brandId, agentId } = await seed(store, messages);
  const seeded_s = Number(((performance.now() - t0) / 1000).toFixed(1));
  const count = Number((await sql<{ n: number }>`select count(*) as n from message where brand_id = ${brandId}`.execute(store.db)).rows[0]!.n);
  const convs = await sql<{ lo: number; hi: number }>`select min(id) as lo, max(id) as hi from conversation where brand_id = ${brandId}`.execute(store.db);
  const lo = Number(convs.rows[0]!.lo);
  const hi = Number(convs.rows[0]!.hi);
  const rnd = rng(4242);
  const conversation = () => lo + Math.floor(rnd() * (hi - lo + 1));
  const common = commonPassages(realTexts(), 10);

  /** A line of an inbound message on another conversation than `not`, of 30 characters or more. */
  const quotedLine = async (not: number): Promise<string> => {
    for (;;) {
      const c = conversation();
      if (c === not) continue;
      const m = await store.db.selectFrom('message').select(['text', 'text_escaped']).where('conversation_id', '=', c).where('direction', '=', 'inbound').executeTakeFirst();
      if (!m) continue;
      const lines = quotePassages(decodeText(m.text, m.text_escaped)).filter((p) => p.length >= 30 && p.length <= 200);
      if (lines.length) return lines[Math.floor(rnd() * lines.length)]!;
    }
  };

  const noteFor = async (kind: Case, on: number, i: number): Promise<string> => {
    switch (kind) {
      case 'short': return 'Called the customer, refund issued';
      case 'quote': return `Same problem as another customer: "${await quotedLine(on)}" Checking with the courier.`;
      case 'long': return longNote(rnd);
      case 'common': return `The customer says "${common[i % common.length]!.passage}" again, nothing new.`;
    }
  };

  const cases: Record<string, unknown> = {};
  for (const kind of ['short', 'quote', 'long', 'common'] as Case[]) {
    const ms: number[] = [];
    const statements: number[] = [];
    const rows: number[] = [];
    const recorded: number[] = [];
    const unrecorded: string[] = [];
    for (let i = 0; i < runs + 2; i++) {
      const on = conversation();
      const text = await noteFor(kind, on, i);
      const c = counter();
      const r = await inRolledBack(store, async (trx) => {
        const note = await trx.insertInto('note').values({ brand_id: brandId, conversation_id: on, author_user_id: agentId, text, mentions: '[]', created_at: Date.now() }).returning('id').executeTakeFirstOrThrow();
        const t = performance.now();
        const n = await recordNoteQuotes(trx.withPlugin(c.plugin), { brandId, conversationId: on, noteId: Number(note.id), text, now: Date.now() });
        return { n, ms: performance.now() - t };
      });
      if (i < 2) continue; // warm-up
      ms.push(r.value.ms);
      statements.push(c.statements);
      rows.push(c.rows);
      recorded.push(r.value.n);
      if (kind === 'quote' && !r.value.n) unrecorded.push(text);
    }
    cases[kind] = {
      runs, p50_ms: percentileOf(ms, 0.5), p95_ms: percentileOf(ms, 0.95), max_ms: percentileOf(ms, 1), min_ms: percentileOf(ms, 0),
      statements_max: Math.max(...statements), rows_read_p50: percentileOf(rows, 0.5), rows_read_max: Math.max(...rows),
      passages_recorded_p50: percentileOf(recorded, 0.5), runs_recording_none: recorded.filter((n) => n === 0).length,
      ...(unrecorded.length ? { notes_recording_none: unrecorded } : {}),
    };
    console.error(kind, JSON.stringify(cases[kind]));
  }

  // the backfill (migration 20261207T0310) over 1,000 notes written before: 40% short, 30% quoting
  // another conversation, 20% their own conversation's message, 10% long
  const backfill: number[] = [];
  let backfillRecorded = 0;
  for (let round = 0; round < backfillRounds; round++) {
    const notes: { conversation_id: number; text: string }[] = [];
    for (let i = 0; i < 1_000; i++) {
      const on = conversation();
      const k = i % 10;
      const text = k < 4 ? `Called the customer, refund issued (${i})` : k < 7 ? await noteFor('quote', on, i)
        : k < 9 ? `Checked the order history, nothing unusual: ${(await store.db.selectFrom('conversation').select('subject').where('id', '=', on).executeTakeFirstOrThrow()).subject}` : longNote(rnd);
      notes.push({ conversation_id: on, text });
    }
    const r = await inRolledBack(store, async (trx) => {
      const before = Number((await sql<{ m: number | null }>`select max(id) as m from note`.execute(trx)).rows[0]!.m ?? 0);
      for (let i = 0; i < notes.length; i += 100) {
        await trx.insertInto('note').values(notes.slice(i, i + 100).map((n) => ({ brand_id: brandId, conversation_id: n.conversation_id, author_user_id: agentId, text: n.text, mentions: '[]', created_at: Date.now() }))).execute();
      }
      const upto = Number((await sql<{ m: number | null }>`select max(id) as m from note`.execute(trx)).rows[0]!.m ?? 0);
      const t = performance.now();
      // the pass reads every note up to `upto` without passages: only these (the brand's seeded notes: none)
      const n = await recordMissingQuotes(trx, { upto: { note: upto, expert_request: 0 }, now: Date.now() });
      return { n, ms: performance.now() - t, notes: upto - before };
    });
    backfill.push(r.value.ms);
    backfillRecorded += r.value.n;
  }
  return {
    dialect: store.dialect, messages: count, seeded_s, cases,
    common_passages: common.slice(0, 5),
    backfill_per_1000_notes_ms: { rounds: backfill.length, values: backfill.map((x) => Math.round(x)), passages_recorded_per_round: backfill.length ? Math.round(backfillRecorded / backfill.length) : null },
  };
}

async function main() {
  const args = process.argv.slice(2);
  const messages = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const runs = Number(args.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? 40);
  const keep = args.find((a) => a.startsWith('--db='))?.slice('--db='.length);
  const rounds = Number(args.find((a) => a.startsWith('--backfill='))?.slice('--backfill='.length) ?? 1);
  const url = args.find((a) => a.startsWith('--url='))?.slice('--url='.length);
  if (url) {
    // a PostgreSQL database kept between runs (seeded once)
    const store = await openStore({ databaseUrl: url });
    try {
      console.log(JSON.stringify(await benchNoteQuotes(store, messages, runs, rounds), null, 2));
    } finally {
      await store.close();
    }
    return;
  }
  if (args.includes('--postgres')) {
    const pg = await startPostgres();
    const store = await openStore({ databaseUrl: pg.url });
    try {
      console.log(JSON.stringify(await benchNoteQuotes(store, messages, runs, rounds), null, 2));
    } finally {
      await store.close();
      await pg.stop();
    }
    return;
  }
  const dir = keep ? null : mkdtempSync(join(tmpdir(), 'parley-bench-notequotes-'));
  const file = keep ?? join(dir!, 'parley.db');
  if (keep && existsSync(file)) console.error(`reusing ${file}`);
  const store = await openStore({ sqliteFile: file });
  try {
    console.log(JSON.stringify(await benchNoteQuotes(store, messages, runs, rounds), null, 2));
  } finally {
    await store.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/src\//, '/src/'))) {
  await main();
  process.exit(0); // the store's checkpointer thread would keep it running
}
