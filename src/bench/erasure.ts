/**
 * Erasing one customer from a large brand (`parley contact erase`, src/commands/erase.ts):
 * how long it takes in all, and how long its write transactions hold the store. On SQLite
 * there is one writer, so while an erasure's transaction is open, ingest waits; a probe in a
 * worker thread (its own connection, `busy_timeout = 0`) writes a row every millisecond and
 * reports the longest stretch in which it could not.
 *
 * The brand is seedLarge's (half brand replies on SQLite; PostgreSQL's inbound messages get a
 * brand reply each), with internal notes and notifications on a share of the conversations,
 * quarantined deliveries and relayed live events, and one customer on X and by email whose
 * `@handle` and address the brand's replies and notes elsewhere mention.
 * `--notes=N` adds N internal notes written since the customer's first message (a busy desk over
 * the years they were active), two of which quote them: the erasure reads for quotes only the notes
 * its word index finds one of their passages in (before: every note written since).
 * `--theirs=N` gives the customer N more messages (each a passage looked for).
 * Run: `npx tsx src/bench/erasure.ts [messages] [--postgres] [--notes=N] [--theirs=N]`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { sql } from 'kysely';
import { eraseContact } from '../commands/erase.js';
import { systemActor } from '../commands/context.js';
import { EventBus } from '../events/bus.js';
import { systemClock } from '../lib/clock.js';
import { startPostgres } from '../lib/services.js';
import { openStore, type Store } from '../store/db.js';
import { seedLarge } from './sections.js';

const require = createRequire(import.meta.url);
const HANDLE = 'zed_person';
const ADDRESS = 'zed.q@example.org';

/** Messages, notes and notifications for a brand of about `messages` messages, and the customer to erase. */
async function seed(store: Store, messages: number, recentNotes = 0, theirs = 0): Promise<{ brandId: number; contactId: number }> {
  const sqlite = store.dialect === 'sqlite';
  const { brandId, accountId, agentIds } = await seedLarge(store, sqlite ? messages / 2 : messages / 2, { perConv: sqlite ? 2 : 1, slug: 'erasure' });
  const now = Date.now();
  if (!sqlite) {
    // a brand reply to every message
    await sql`insert into message (brand_id, conversation_id, channel_account_id, network, network_message_id, direction, visibility, kind, text, created_at, received_at, status, is_auto, source)
      select brand_id, conversation_id, channel_account_id, 'x', 'R' || id, 'outbound', 'public', 'reply', text, created_at + 60000, created_at + 60000, 'sent', 0, 'agent'
      from message where brand_id = ${brandId}`.execute(store.db);
  }
  // notes on one conversation in ten, notifications on one in twenty
  await sql`insert into note (brand_id, conversation_id, author_user_id, text, mentions, created_at)
    select brand_id, id, ${agentIds[0]!}, 'Checked the order history, nothing unusual: ' || subject, '[]', created_at from conversation where brand_id = ${brandId} and id % 10 = 0`.execute(store.db);
  await sql`insert into notification (brand_id, user_id, kind, title, body, conversation_id, created_at, read_at)
    select brand_id, ${agentIds[0]!}, 'assigned', 'Assigned to you', subject, id, created_at, null from conversation where brand_id = ${brandId} and id % 20 = 0`.execute(store.db);

  // the customer: on X and by email, one conversation of three messages
  const contactId = Number((await store.db.insertInto('contact').values({ brand_id: brandId, display_name: 'Zoë Quokkason', crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id);
  const identity = (network: string, userId: string, handle: string) => store.db.insertInto('contact_identity')
    .values({ brand_id: brandId, contact_id: contactId, network, network_user_id: userId, handle, display_name: 'Zoë', followers: 3, verified: 0, profile_url: null, avatar_url: null, created_at: now, updated_at: now })
    .returning('id').executeTakeFirstOrThrow();
  const xIdentity = Number((await identity('x', '88127001', HANDLE)).id);
  await identity('email', ADDRESS, ADDRESS);
  const conversationId = Number((await store.db.insertInto('conversation').values({
    brand_id: brandId, channel_account_id: accountId, contact_id: contactId, network: 'x', visibility: 'public', status: 'open', priority: 1, assignee_id: null, team_id: null,
    subject: 'parcel', created_at: now, updated_at: now, last_message_at: now, waiting_since: now, cycle_started_at: now, reopened_count: 0, message_count: 3, version: 1,
  } as never).returning('id').executeTakeFirstOrThrow()).id);
  for (let k = 0; k < 3; k++) {
    await store.db.insertInto('message').values({
      brand_id: brandId, conversation_id: conversationId, channel_account_id: accountId, network: 'x', network_message_id: `zed-${k}`, direction: k === 1 ? 'outbound' : 'inbound',
      author_identity_id: k === 1 ? null : xIdentity, visibility: 'public', kind: 'mention', text: k === 1 ? `@${HANDLE} sorry, Zoë` : `@LargeCare my parcel ${k}`, created_at: now + k, received_at: now + k, status: k === 1 ? 'sent' : 'received', is_auto: 0, source: 'import',
    } as never).execute();
  }
  // a customer active for years: more messages of theirs, each of its own words (each a passage erasure looks for)
  for (let k = 0; k < theirs; k++) {
    await store.db.insertInto('message').values({
      brand_id: brandId, conversation_id: conversationId, channel_account_id: accountId, network: 'x', network_message_id: `zed-more-${k}`, direction: 'inbound',
      author_identity_id: xIdentity, visibility: 'public', kind: 'mention', text: `@LargeCare order ${k} of mine: the parcel never came and the tracking page is stuck on ${k}`, created_at: now + 3 + k, received_at: now + 3 + k, status: 'received', is_auto: 0, source: 'import',
    } as never).execute();
  }
  // internal notes written since their first message, on the brand's conversations in turn: two quote them
  for (let written = 0; written < recentNotes;) {
    const r = await sql`insert into note (brand_id, conversation_id, author_user_id, text, mentions, created_at)
      select brand_id, id, ${agentIds[0]!}, 'Customer ' || id || ' asked where the parcel is; the courier says delivered, checked the order history, nothing unusual.', '[]', ${now + 1_000 + written} + id
      from conversation where brand_id = ${brandId} and id <> ${conversationId} order by id limit ${recentNotes - written}`.execute(store.db);
    const n = Number(r.numAffectedRows ?? 0);
    if (!n) break;
    written += n;
  }
  if (recentNotes) {
    for (const k of [0, 2]) {
      await store.db.insertInto('note').values({ brand_id: brandId, conversation_id: conversationId - 1, author_user_id: agentIds[0]!, text: `Another customer wrote "@LargeCare my parcel ${k}" too`, mentions: '[]', created_at: now + 5_000 }).execute();
    }
  }
  // quarantined deliveries (one for a thousand messages) and a few minutes of relayed live events
  // (one for a hundred): each table read for them; one of each is theirs
  await sql`insert into quarantine (brand_id, source, reason, line, raw, created_at, resolved_at)
    select brand_id, 'x', 'no author', null, '{"id":"' || id || '","text":"' || subject || '"}', created_at, null from conversation where brand_id = ${brandId} and id % ${sqlite ? 500 : 1000} = 3`.execute(store.db);
  await sql`insert into live_event (brand_id, type, data, created_at)
    select brand_id, 'message.created', '{"type":"message.created","data":{"id":' || (id * 2) || ',"conversationId":' || id || '}}', created_at from conversation where brand_id = ${brandId} and id % ${sqlite ? 50 : 100} = 4`.execute(store.db);
  await store.db.insertInto('quarantine').values({ brand_id: brandId, source: 'x', reason: 'rate limited', line: null, raw: JSON.stringify({ user: { id_str: '88127001', screen_name: HANDLE }, text: 'my parcel' }), created_at: now, resolved_at: null }).execute();
  await store.db.insertInto('live_event').values({ brand_id: brandId, type: 'conversation.updated', data: JSON.stringify({ type: 'conversation.updated', data: { id: conversationId } }), created_at: now }).execute();
  // the brand's replies and notes elsewhere that name them: one conversation in 50,000
  await sql`update message set text = text || ${` cc @${HANDLE}`} where brand_id = ${brandId} and direction = 'outbound' and conversation_id % 50000 = 7`.execute(store.db);
  await sql`update note set text = text || ${` (see ${ADDRESS})`} where brand_id = ${brandId} and conversation_id % 50000 = 10`.execute(store.db);
  if (store.dialect === 'postgres') await sql`analyze`.execute(store.db);
  return { brandId, contactId };
}

/** The write transactions' times (ms), from their callback's start to its end. */
function timeTransactions(store: Store): number[] {
  const held: number[] = [];
  type Builder = { execute<T>(fn: (trx: unknown) => Promise<T>): Promise<T>; [k: string]: unknown };
  const db = store.db as unknown as { transaction(): Builder };
  const open = db.transaction.bind(db);
  // the erasure's read-only snapshot (its scan, on PostgreSQL) holds no write lock: only write transactions are timed
  const wrap = (builder: Builder, readOnly: boolean): Builder => new Proxy(builder, {
    get(target, key, receiver) {
      if (key === 'execute') {
        return <T>(fn: (trx: unknown) => Promise<T>) => target.execute(async (trx) => {
          const t0 = performance.now();
          try {
            return await fn(trx);
          } finally {
            if (!readOnly) held.push(performance.now() - t0);
          }
        });
      }
      const value = Reflect.get(target, key, receiver) as unknown;
      if (typeof value !== 'function') return value;
      // setIsolationLevel, setAccessMode…: each gives a new builder, wrapped in turn
      return (...args: unknown[]) => {
        const next = (value as (...a: unknown[]) => unknown).apply(target, args);
        return next && typeof next === 'object' && 'execute' in next ? wrap(next as Builder, readOnly || (key === 'setAccessMode' && args[0] === 'read only')) : next;
      };
    },
  });
  db.transaction = () => wrap(open(), false);
  return held;
}

/** A writer on its own connection: its longest wait (ms) for the write lock while running. */
function probeWriter(file: string): { stop(): Promise<{ writes: number; busy: number; longest_wait_ms: number }> } {
  const worker = new Worker(`
    const { parentPort, workerData } = require('node:worker_threads');
    const Database = require(workerData.module);
    const db = new Database(workerData.file);
    db.pragma('busy_timeout = 0');
    const write = db.prepare("insert into kv (key, value, updated_at) values ('bench.probe', '0', 0) on conflict (key) do update set updated_at = updated_at + 1");
    let writes = 0, busy = 0, last = performance.now(), longest = 0, stop = false;
    parentPort.on('message', () => { stop = true; });
    const tick = () => {
      if (stop) { parentPort.postMessage({ writes, busy, longest_wait_ms: longest }); db.close(); return; }
      try { write.run(); writes++; const t = performance.now(); longest = Math.max(longest, t - last); last = t; } catch (e) { if (e.code !== 'SQLITE_BUSY') throw e; busy++; }
      setTimeout(tick, 1);
    };
    tick();
  `, { eval: true, workerData: { file, module: require.resolve('better-sqlite3') } });
  return {
    stop: () => new Promise((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
      worker.postMessage('stop');
    }),
  };
}

export async function benchErasure(store: Store, messages: number, sqliteFile?: string, recentNotes = 0, theirs = 0) {
  const t0 = performance.now();
  const { brandId, contactId } = await seed(store, messages, recentNotes, theirs);
  const seeded_s = (performance.now() - t0) / 1000;
  const count = Number((await sql<{ n: number }>`select count(*) as n from message where brand_id = ${brandId}`.execute(store.db)).rows[0]!.n);
  const held = timeTransactions(store);
  const probe = sqliteFile ? probeWriter(sqliteFile) : null;
  await new Promise((r) => setTimeout(r, 200));
  const t1 = performance.now();
  const result = await eraseContact({ store, bus: new EventBus(), clock: systemClock }, systemActor(brandId, 'bench'), { contactId, reason: 'bench erasure' });
  const total_ms = performance.now() - t1;
  await new Promise((r) => setTimeout(r, 200));
  const writer = probe ? await probe.stop() : null;
  const notes = Number((await sql<{ n: number }>`select count(*) as n from note where brand_id = ${brandId}`.execute(store.db)).rows[0]!.n);
  return { dialect: store.dialect, messages: count, notes, seeded_s, total_ms, transactions_ms: held, longest_transaction_ms: Math.max(...held), probe: writer, alsoErased: result.alsoErased };
}

async function main() {
  const args = process.argv.slice(2);
  const messages = Number(args.find((a) => /^\d+$/.test(a)) ?? 1_000_000);
  const notes = Number(args.find((a) => a.startsWith('--notes='))?.slice('--notes='.length) ?? 0);
  const theirs = Number(args.find((a) => a.startsWith('--theirs='))?.slice('--theirs='.length) ?? 0);
  if (args.includes('--postgres')) {
    const pg = await startPostgres();
    const store = await openStore({ databaseUrl: pg.url });
    try {
      console.log(JSON.stringify(await benchErasure(store, messages, undefined, notes, theirs), null, 2));
    } finally {
      await store.close();
      await pg.stop();
    }
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-bench-erasure-'));
  const file = join(dir, 'parley.db');
  const store = await openStore({ sqliteFile: file });
  try {
    console.log(JSON.stringify(await benchErasure(store, messages, file, notes, theirs), null, 2));
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\/src\//, '/src/'))) {
  await main();
  process.exit(0); // the store's checkpointer thread would keep it running
}
