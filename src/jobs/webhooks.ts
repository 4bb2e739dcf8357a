/**
 * Outbound webhooks, the I/O (docs/webhooks.md).
 *
 * Deliveries are derived from durable rows, never from the live event bus (which publishes
 * after commit, so a crash between commit and publish would lose the event): a sweep reads
 * `message` (inbound → message.received), `conversation` (→ conversation.created),
 * `audit_event` (assignments, resolutions, sent replies, incidents, notes, labels, priority:
 * every command audits inside its own transaction) and `reporting_fact` (the `sla_breached`
 * fact the SLA workflow writes with the breach → sla.breached) past a cursor, and queues one
 * `webhook_delivery` per event and subscribed endpoint in the transaction that moves the cursor. Ingest itself does nothing more: a brand
 * with no endpoint costs nothing, and a sweep with no enabled endpoint reads nothing.
 * History (messages stored with source `import` or `backfill`, and the conversations such a
 * message opened: an import, the demo's past weeks, what a channel's first sync fetched from before
 * the desk listened) goes only to endpoints that include history (`include_history`), its envelope
 * saying `"history": true`; otherwise it is queued, retried and leased as a live event is.
 * A row with a lower id may commit after a higher one was read (on PostgreSQL, where writers
 * run at once; a rolled-back write leaves its ids unused on both): each sweep reads what is past
 * its cursor, notes the ids it skipped over as gaps (ranges, with when they were seen), and
 * reads only those ranges again on later sweeps; the unique (endpoint, event) index makes
 * finding an event twice harmless. So a sweep costs the new rows and a few range reads, however
 * fast the desk writes. On PostgreSQL a gap is waited for while a transaction that began before
 * it was seen is still open (only such a transaction can have drawn its ids), however long that
 * takes; on SQLite, whose writers take turns, nothing can fill a gap later (ids are never handed
 * out twice: migration 20261206T1910), and it is kept GAP_WAIT_MS.
 *
 * Delivery: due rows are claimed with a lease (FOR UPDATE SKIP LOCKED on PostgreSQL), so
 * several processes share the work and each attempt is made by one of them; each endpoint is
 * attempted in its own lane (at most ENDPOINT_CONCURRENCY at once), so a receiver that takes its
 * full timeout slows only its own deliveries; at-least-once, the same `webhook-id` on every
 * attempt. The address is resolved, checked (no loopback, private,
 * link-local or metadata targets unless allowed) and connected to as resolved, so DNS cannot
 * change between check and connect; redirects are not followed.
 */
import { randomUUID } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { sql, type ExpressionBuilder } from 'kysely';
import {
  addressAllowed, classifyAddress, DELIVERY_KEEP_MS, DELIVERY_TIMEOUT_MS, DISABLE_AFTER_FAILING_MS, ENDPOINT_CONCURRENCY, laneShares, nextRetryAt,
  RESPONSE_CAP_BYTES, signWebhook, TOTAL_CONCURRENCY, urlProblem, type WebhookEvent,
} from '../core/webhooks.js';
import { adminsOf } from '../events/adminDetail.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import type { SecretBox } from '../lib/secrets.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { DB } from '../store/schema.js';
import { decodeText } from '../store/text.js';
import type { Tx } from '../store/util.js';

export interface WebhookDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  secrets: SecretBox;
  allowPrivate: boolean;
  /** A delivery's answer must come within this (DELIVERY_TIMEOUT_MS; tests shorten it). */
  timeoutMs?: number;
  /** How long a round goes on starting deliveries (ROUND_MS; tests shorten it). */
  roundMs?: number;
  log?: { warn(o: unknown, m?: string): void; error(o: unknown, m?: string): void };
}

const SOURCES = ['message', 'conversation', 'audit_event', 'reporting_fact'] as const;
type Source = (typeof SOURCES)[number];
/**
 * The `message.source`s of history (src/pipeline/ingest.ts `MessageSource`): `import` (a TWCS
 * import, the demo's past weeks) and `backfill` (what a channel's sync fetched from before the desk
 * listened to the account: its first sync, or one restarted from no position; src/channels/sync.ts).
 */
const HISTORY_SOURCES = ['import', 'backfill'] as const;
const isHistorySource = (source: string) => (HISTORY_SOURCES as readonly string[]).includes(source);
/** SQLite: how long a gap is kept (nothing fills one later there; PostgreSQL waits for the transactions that could). */
export const GAP_WAIT_MS = 10 * 60_000;
/** The gaps a source keeps at most (ranges of ids): beyond, the oldest are given up, with a warning. */
const GAPS_MAX = 1_000;
/**
 * A range of ids skipped over, `[from, to, seenAt]`: `seenAt` on the database's clock
 * (PostgreSQL, compared with its transactions' start) or the desk's (SQLite).
 */
export type Gap = [number, number, number];
const PAGE = 500;
/** The rows found in gaps a sweep reads at most (the rest on the next sweep). */
const GAP_ROWS_MAX = PAGE * 4;
const LEASE_MS = 60_000;

interface Endpoint { id: number; brand_id: number; events: Set<string>; includeHistory: boolean; created_at: number }
/**
 * `at`: when it happened (the envelope's timestamp); `writtenAt`: the desk's clock when its row
 * was written, compared with an endpoint's creation; `history`: it comes from history (an import,
 * a channel's backfill: sent only to endpoints that include history, flagged `"history": true`).
 */
interface Derived { key: string; type: WebhookEvent; brandId: number; at: number; writtenAt: number; history?: boolean; data: Record<string, unknown> }

const iso = (t: number | string | null | undefined) => (t == null ? null : new Date(Number(t)).toISOString());

/** The envelope every delivery carries; an event of history (imported, backfilled) says so (`"history": true`), a live one carries no `history`. */
export function envelope(type: string, at: number, brandId: number, data: Record<string, unknown>, history = false): string {
  return JSON.stringify(history ? { type, timestamp: iso(at), brandId, history: true, data } : { type, timestamp: iso(at), brandId, data });
}

/**
 * Whether an endpoint takes an event: its type is among the endpoint's, it was written after the
 * endpoint was made, and it is live, or the endpoint includes history.
 */
export function endpointTakes(ep: { brand_id: number; events: ReadonlySet<string>; includeHistory: boolean; created_at: number }, ev: { brandId: number; type: string; writtenAt: number; history?: boolean }): boolean {
  return ep.brand_id === ev.brandId && ep.events.has(ev.type) && ev.writtenAt >= ep.created_at && (!ev.history || ep.includeHistory);
}

/** Current high-water marks of the sources: a new endpoint hears only what happens after it. */
export async function ensureCursors(db: Tx | Store['db'], now: number): Promise<void> {
  for (const source of SOURCES) {
    const max = Number((await db.selectFrom(source).select((eb) => eb.fn.max('id').as('m')).executeTakeFirst())?.m ?? 0);
    await db.insertInto('webhook_cursor').values({ source, last_id: max, gaps: '[]', updated_at: now }).onConflict((oc) => oc.column('source').doNothing()).execute();
  }
}

async function enabledEndpoints(store: Store): Promise<Endpoint[]> {
  const rows = await store.db.selectFrom('webhook_endpoint').select(['id', 'brand_id', 'events', 'include_history', 'created_at']).where('enabled', '=', 1).execute();
  return rows.map((r) => ({ id: r.id, brand_id: r.brand_id, created_at: Number(r.created_at), includeHistory: !!r.include_history, events: new Set(JSON.parse(r.events) as string[]) }));
}

/**
 * The events of `source`'s rows of `brandIds` among `ids`: what is past the cursor (`after`, a
 * page in id order) or the gaps still waited for.
 */
async function readSource(db: Tx, source: Source, brandIds: number[], ids: number[]): Promise<Derived[]> {
  const out: Derived[] = [];
  if (!ids.length) return out;
  if (source === 'message') {
    const rows = await db.selectFrom('message')
      .select(['id', 'brand_id', 'conversation_id', 'channel_account_id', 'network', 'kind', 'visibility', 'url', 'created_at', 'received_at', 'author_identity_id', 'direction', 'source', 'triage_action', 'triage_category', 'sentiment', 'priority', 'intent', 'language', 'complaint', 'accolade'])
      .where('id', 'in', ids).where('brand_id', 'in', brandIds).orderBy('id').execute();
    for (const r of rows) {
      if (r.direction !== 'inbound') continue;
      out.push({
        // history (an import, the demo's past weeks, a channel's backfill): only to endpoints that include history
        key: `message:${r.id}`, type: 'message.received', brandId: r.brand_id, at: Number(r.received_at), writtenAt: Number(r.received_at), history: isHistorySource(r.source),
        data: {
          messageId: r.id, conversationId: r.conversation_id, channelAccountId: r.channel_account_id, network: r.network, kind: r.kind, visibility: r.visibility,
          authorIdentityId: r.author_identity_id, text: null, url: r.url,
          createdAt: iso(r.created_at), receivedAt: iso(r.received_at),
          triage: { action: r.triage_action, category: r.triage_category, sentiment: r.sentiment, priority: r.priority, intent: r.intent, language: r.language, complaint: r.complaint == null ? null : !!r.complaint, accolade: r.accolade == null ? null : !!r.accolade },
        },
      });
    }
  } else if (source === 'conversation') {
    const rows = await db.selectFrom('conversation').select(['id', 'brand_id', 'channel_account_id', 'network', 'visibility', 'status', 'contact_id', 'created_at', 'updated_at'])
      .where('id', 'in', ids).where('brand_id', 'in', brandIds).orderBy('id').execute();
    const imported = await openedByHistory(db, rows.map((r) => r.id));
    for (const r of rows) {
      // created_at is the first message's time on the network; updated_at is the desk's clock (at creation, or later)
      out.push({ key: `conversation:${r.id}`, type: 'conversation.created', brandId: r.brand_id, at: Number(r.created_at), writtenAt: Number(r.updated_at), history: imported.has(r.id), data: { conversationId: r.id, channelAccountId: r.channel_account_id, network: r.network, visibility: r.visibility, status: r.status, contactId: r.contact_id, createdAt: iso(r.created_at) } });
    }
  } else if (source === 'reporting_fact') {
    const rows = await db.selectFrom('reporting_fact').select(['id', 'brand_id', 'occurred_at', 'conversation_id', 'agent_id', 'team_id', 'channel_account_id', 'network', 'visibility', 'priority', 'data'])
      .where('id', 'in', ids).where('brand_id', 'in', brandIds).where('kind', '=', 'sla_breached').orderBy('id').execute();
    for (const r of rows) {
      let d: Record<string, any> = {};
      try {
        d = JSON.parse(r.data ?? '{}');
      } catch { /* no data */ }
      out.push({
        // the breach's own identity, not the row's id: a breach withdrawn and worked out again is a new row, and is not sent twice
        key: `sla:${r.conversation_id}:${d.clock}:${d.cycle}:${r.occurred_at}`, type: 'sla.breached', brandId: r.brand_id, at: Number(r.occurred_at),
        // the fact carries when the clock was due, not when the desk saw it breach (now, or a moment ago)
        writtenAt: Number.MAX_SAFE_INTEGER,
        data: { conversationId: r.conversation_id, clock: d.clock ?? null, cycle: d.cycle ?? null, targetMs: d.targetMs ?? null, dueAt: iso(r.occurred_at), assigneeId: r.agent_id, teamId: r.team_id, channelAccountId: r.channel_account_id, network: r.network, visibility: r.visibility, priority: r.priority },
      });
    }
  } else {
    const rows = await db.selectFrom('audit_event').select(['id', 'brand_id', 'action', 'actor', 'subject_id', 'conversation_id', 'data', 'created_at'])
      .where('id', 'in', ids).where('brand_id', 'in', brandIds).orderBy('id').execute();
    for (const r of rows) {
      const ev = auditEvent(r);
      if (ev) out.push({ key: `audit:${r.id}`, brandId: r.brand_id, at: Number(r.created_at), writtenAt: Number(r.created_at), ...ev });
    }
  }
  return out;
}

/**
 * Which of these conversations history opened (an import, a channel's backfill): their first
 * message (the lowest id, written in the transaction that made the conversation, so there when
 * the conversation is) is of a history source.
 */
async function openedByHistory(db: Tx, conversationIds: number[]): Promise<Set<number>> {
  const out = new Set<number>();
  if (!conversationIds.length) return out;
  const firsts = await db.selectFrom('message').select((eb) => eb.fn.min('id').as('id')).where('conversation_id', 'in', conversationIds).groupBy('conversation_id').execute();
  const ids = firsts.map((r) => Number(r.id));
  if (!ids.length) return out;
  const rows = await db.selectFrom('message').select('conversation_id').where('id', 'in', ids).where('source', 'in', [...HISTORY_SOURCES]).execute();
  for (const r of rows) out.add(Number(r.conversation_id));
  return out;
}

/** The webhook event an audit row stands for, if any (only ids and essentials: never the audit's free data wholesale). */
function auditEvent(r: { action: string; actor: string; subject_id: string; conversation_id: number | null; data: string; created_at: number }): { type: WebhookEvent; data: Record<string, unknown> } | null {
  let d: Record<string, any> = {};
  try {
    d = JSON.parse(r.data);
  } catch { /* no data */ }
  const by = r.actor;
  const at = iso(r.created_at);
  switch (r.action) {
    case 'conversation.assigned':
      return { type: 'conversation.assigned', data: { conversationId: r.conversation_id, assigneeId: d.to?.assigneeId ?? null, teamId: d.to?.teamId ?? null, previousAssigneeId: d.from?.assigneeId ?? null, previousTeamId: d.from?.teamId ?? null, by, at } };
    case 'conversation.status':
      return d.to === 'resolved' && d.from !== 'resolved' ? { type: 'conversation.resolved', data: { conversationId: r.conversation_id, previousStatus: d.from ?? null, by, at } } : null;
    case 'reply.sent':
      return { type: 'reply.sent', data: { conversationId: r.conversation_id, messageId: Number(r.subject_id), networkMessageId: d.networkMessageId ?? null, url: d.url ?? null, at } };
    case 'incident.opened':
      return { type: 'incident.opened', data: { incidentId: Number(r.subject_id), title: d.title ?? null, by, at } };
    case 'incident.closed':
      return { type: 'incident.closed', data: { incidentId: Number(r.subject_id), by, at } };
    case 'note.added':
      // the note's words are read when sent (bodyOf), as a message's are
      return { type: 'conversation.note_added', data: { conversationId: r.conversation_id, noteId: Number(r.subject_id), text: null, mentionedUserIds: Array.isArray(d.mentions) ? d.mentions : [], by, at } };
    case 'conversation.labels':
      return { type: 'conversation.labels_changed', data: { conversationId: r.conversation_id, added: Array.isArray(d.add) ? d.add : [], removed: Array.isArray(d.remove) ? d.remove : [], by, at } };
    case 'conversation.priority':
      return d.from === d.to ? null : { type: 'conversation.priority_changed', data: { conversationId: r.conversation_id, priority: d.to ?? null, previousPriority: d.from ?? null, by, at } };
    default:
      return null;
  }
}

/** The ids of `source` past `after` (every brand's: what is missing between them is a gap), a page in id order. */
async function idsPast(db: Tx, source: Source, after: number): Promise<{ id: number; brand_id: number }[]> {
  const rows = await db.selectFrom(source).select(['id', 'brand_id']).where('id', '>', after).orderBy('id').limit(PAGE).execute();
  return rows.map((r) => ({ id: Number(r.id), brand_id: Number(r.brand_id) }));
}

/** The gaps `ids` (ascending, all past `after`) leave after `after`, seen at `now`. */
export function gapsIn(after: number, ids: number[], now: number): Gap[] {
  const gaps: Gap[] = [];
  let prev = after;
  for (const id of ids) {
    if (id > prev + 1) gaps.push([prev + 1, id - 1, now]);
    prev = id;
  }
  return gaps;
}

/**
 * `gaps` without the ids found; of what is left, only the gaps `waitFor` says may still be
 * filled (by their `seenAt`) are kept.
 */
export function remainingGaps(gaps: Gap[], found: Set<number>, waitFor: (seenAt: number) => boolean): Gap[] {
  const ids = [...found].sort((x, y) => x - y);
  const out: Gap[] = [];
  for (const [from, to, seenAt] of gaps) {
    if (!waitFor(seenAt)) continue;
    let start = from;
    for (const id of ids) {
      if (id < start || id > to) continue;
      if (id > start) out.push([start, id - 1, seenAt]);
      start = id + 1;
    }
    if (start <= to) out.push([start, to, seenAt]);
  }
  return out;
}

/**
 * Whether a gap seen at `seenAt` may still be filled. PostgreSQL: its ids were drawn by a
 * transaction that began before the gap was seen (`seenAt` is taken after the read that found
 * it); once every transaction open now began later (`oldestOpenTx`, null when none is open),
 * those have committed, and a read after this answer sees their rows, or rolled back. SQLite:
 * writers take turns and ids are never handed out twice, so nothing fills a gap later; it is
 * kept GAP_WAIT_MS all the same.
 */
export function mayBeFilled(dialect: 'sqlite' | 'postgres', seenAt: number, now: number, oldestOpenTx: number | null): boolean {
  if (dialect === 'postgres') return oldestOpenTx !== null && oldestOpenTx <= seenAt;
  return now - seenAt <= GAP_WAIT_MS;
}

/** The rows of `source` in the gaps (every brand's), in id order, at most GAP_ROWS_MAX. */
async function idsInGaps(db: Tx, source: Source, gaps: Gap[]): Promise<{ id: number; brand_id: number }[]> {
  const out: { id: number; brand_id: number }[] = [];
  for (let i = 0; i < gaps.length && out.length < GAP_ROWS_MAX; i += 100) {
    const part = gaps.slice(i, i + 100);
    const rows = await db.selectFrom(source).select(['id', 'brand_id']).where((eb) => eb.or(part.map(([from, to]) => eb.between('id', from, to)))).orderBy('id').limit(GAP_ROWS_MAX - out.length).execute();
    for (const r of rows) out.push({ id: Number(r.id), brand_id: Number(r.brand_id) });
  }
  return out;
}

/**
 * PostgreSQL: when the oldest transaction still open in this database began (the desk's
 * connections, under its role; not this one), on the database's clock in ms, or null if none
 * is. Read before the gaps are: a transaction that ended before this read is seen by it.
 */
async function oldestOpenTransaction(db: Tx): Promise<number | null> {
  const r = await sql<{ t: string | number | null }>`select floor(extract(epoch from min(xact_start)) * 1000) as t from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and backend_type = 'client backend' and xact_start is not null`.execute(db);
  const t = r.rows[0]?.t;
  return t == null ? null : Number(t);
}

/** PostgreSQL: the database's clock now, in ms (after the read that found a gap). */
async function databaseNow(db: Tx): Promise<number> {
  const r = await sql<{ t: string | number }>`select ceil(extract(epoch from clock_timestamp()) * 1000) as t`.execute(db);
  return Number(r.rows[0]!.t);
}

/** Queue deliveries for what happened since the last sweep; returns how many were queued. */
export async function deriveDeliveries(deps: WebhookDeps): Promise<number> {
  const { store, clock } = deps;
  const now = clock.now();
  const endpoints = await enabledEndpoints(store);
  if (!endpoints.length) {
    // nothing listens: nothing is read, and a new endpoint starts from then (ensureCursors)
    if (await store.db.selectFrom('webhook_cursor').select('source').limit(1).executeTakeFirst()) await store.db.deleteFrom('webhook_cursor').execute();
    return 0;
  }
  await ensureCursors(store.db, now);
  const brandIds = [...new Set(endpoints.map((e) => e.brand_id))];
  const listening = new Set(brandIds);
  let queued = 0;
  for (const source of SOURCES) {
    for (let first = true; ; first = false) {
      const page = await store.db.transaction().execute(async (trx) => {
        // one sweep at a time moves a source's cursor (PostgreSQL: the row locked; SQLite: one writer)
        const cur = await trx.selectFrom('webhook_cursor').selectAll().where('source', '=', source).$if(store.dialect === 'postgres', (q) => q.forUpdate()).executeTakeFirstOrThrow();
        const after = Number(cur.last_id);
        let gaps = JSON.parse(cur.gaps) as Gap[];
        // the gaps waited for are read once a sweep, with its first page; on PostgreSQL, who
        // could still fill them is asked first (see mayBeFilled)
        const pg = store.dialect === 'postgres';
        const oldestOpenTx = first && pg && gaps.length ? await oldestOpenTransaction(trx) : null;
        const inGaps = first && gaps.length ? await idsInGaps(trx, source, gaps) : [];
        const past = await idsPast(trx, source, after);
        const events = await readSource(trx, source, brandIds, [...past, ...inGaps].filter((r) => listening.has(r.brand_id)).map((r) => r.id));
        const rows = [];
        for (const ev of events) {
          for (const ep of endpoints) {
            if (!endpointTakes(ep, ev)) continue;
            rows.push({ brand_id: ev.brandId, endpoint_id: ep.id, event_key: ev.key, message_id: `msg_${randomUUID().replace(/-/g, '')}`, event_type: ev.type, payload: envelope(ev.type, ev.at, ev.brandId, ev.data, ev.history), status: 'pending', attempts: 0, next_attempt_at: now, created_at: now, updated_at: now });
          }
        }
        let n = 0;
        for (let i = 0; i < rows.length; i += 200) {
          const r = await trx.insertInto('webhook_delivery').values(rows.slice(i, i + 200)).onConflict((oc) => oc.columns(['endpoint_id', 'event_key']).doNothing()).executeTakeFirst();
          n += Number(r.numInsertedOrUpdatedRows ?? 0);
        }
        if (first || past.length) {
          if (first) {
            // more rows in the gaps than one sweep reads: none is given up before all are read
            const readAll = inGaps.length < GAP_ROWS_MAX;
            gaps = remainingGaps(gaps, new Set(inGaps.map((r) => r.id)), (seenAt) => !readAll || mayBeFilled(store.dialect, seenAt, now, oldestOpenTx));
          }
          const skipped = gapsIn(after, past.map((r) => r.id), 0);
          if (skipped.length) {
            const seenAt = pg ? await databaseNow(trx) : now;
            for (const g of skipped) gaps.push([g[0], g[1], seenAt]);
          }
          if (gaps.length > GAPS_MAX) {
            deps.log?.warn({ source, dropped: gaps.length - GAPS_MAX }, 'webhooks: too many uncommitted id ranges to wait for; the oldest are given up');
            gaps = gaps.slice(gaps.length - GAPS_MAX);
          }
          await trx.updateTable('webhook_cursor').set({ last_id: past.length ? past[past.length - 1]!.id : after, gaps: JSON.stringify(gaps), updated_at: now }).where('source', '=', source).execute();
        }
        return { n, more: past.length === PAGE };
      });
      queued += page.n;
      if (!page.more) break;
    }
  }
  return queued;
}

interface Attempt { status: number | null; error: string | null; body: string }

/** Resolve, check and pin the address, then POST once: no redirects, a timeout, a capped answer. */
export async function postOnce(url: string, headers: Record<string, string>, body: string, allowPrivate: boolean, timeoutMs = DELIVERY_TIMEOUT_MS): Promise<Attempt> {
  const problem = urlProblem(url, allowPrivate);
  if (problem) return { status: null, error: `refused: ${problem}`, body: '' };
  const u = new URL(url);
  const host = u.hostname.replace(/^\[|\]$/g, '');
  let address: string;
  let family: number;
  if (isIP(host)) {
    address = host;
    family = isIP(host);
  } else {
    let all: { address: string; family: number }[];
    try {
      all = await lookup(host, { all: true });
    } catch (err) {
      return { status: null, error: `DNS: ${(err as Error).message}`, body: '' };
    }
    const bad = all.find((a) => !addressAllowed(a.address, allowPrivate));
    if (bad || !all.length) return { status: null, error: `refused: ${host} resolves to ${bad?.address ?? 'nothing'} (${bad ? classifyAddress(bad.address).replace('_', '-') : 'no address'})`, body: '' };
    address = all[0]!.address;
    family = all[0]!.family;
  }
  const req = u.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise<Attempt>((resolve) => {
    let done = false;
    const finish = (a: Attempt) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(a);
    };
    const r = req(u, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Parley-Webhooks/1' },
      // connect to the address that was checked, not to whatever a second lookup answers
      lookup: ((_h: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) => (opts?.all ? cb(null, [{ address, family }]) : cb(null, address, family))) as never,
      servername: isIP(host) ? undefined : host,
    }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        if (size < RESPONSE_CAP_BYTES) chunks.push(c.subarray(0, RESPONSE_CAP_BYTES - size));
        size += c.length;
        if (size > RESPONSE_CAP_BYTES * 16) res.destroy();
      });
      const end = () => finish({ status: res.statusCode ?? null, error: null, body: Buffer.concat(chunks).toString('utf8') });
      res.on('end', end);
      res.on('close', end);
      res.on('error', end);
    });
    const timer = setTimeout(() => {
      r.destroy();
      finish({ status: null, error: `no answer within ${timeoutMs / 1000} s`, body: '' });
    }, timeoutMs);
    r.on('error', (err) => finish({ status: null, error: err.message, body: '' }));
    r.end(body);
  });
}

/** Turn an endpoint off and tell the brand's admins (a notification, as channel alerts do). */
async function disableEndpoint(deps: WebhookDeps, endpointId: number, reason: string, now: number): Promise<void> {
  const { store, bus } = deps;
  const ep = await store.db.selectFrom('webhook_endpoint').select(['id', 'brand_id', 'url', 'enabled']).where('id', '=', endpointId).executeTakeFirst();
  if (!ep || !ep.enabled) return;
  const admins = await adminsOf(store, ep.brand_id);
  const title = 'A webhook endpoint was turned off';
  const body = `${new URL(ep.url).host}: ${reason}. Check it in Settings → Integrations and turn it on again.`;
  await store.db.transaction().execute(async (trx) => {
    await trx.updateTable('webhook_endpoint').set({ enabled: 0, disabled_reason: reason, updated_at: now }).where('id', '=', ep.id).execute();
    await audit(trx, { brandId: ep.brand_id, actor: 'system:webhooks', action: 'webhook.disabled', subjectType: 'webhook_endpoint', subjectId: ep.id, data: { reason } }, now);
    for (const a of admins) await trx.insertInto('notification').values({ brand_id: ep.brand_id, user_id: a.id, kind: 'webhook.disabled', title, body, conversation_id: null, created_at: now }).execute();
  });
  if (admins.length) bus.publish(ep.brand_id, 'notification', { kind: 'webhook.disabled', title, body }, { userIds: admins.map((a) => a.id) });
}

/** A round looks for more to attempt once this many attempts have finished, or this long after the first did. */
const REFILL_BATCH = 25;
const REFILL_WAIT_MS = 20;

/** Due: pending and its time has come, or claimed by a process whose lease ran out. */
const due = (now: number) => (eb: ExpressionBuilder<DB, 'webhook_delivery'>) => eb.or([eb.and([eb('status', '=', 'pending'), eb('next_attempt_at', '<=', now)]), eb.and([eb('status', '=', 'delivering'), eb('locked_until', '<', now)])]);

/** The endpoints with deliveries due now (the round gives each its own lane). */
async function endpointsDue(store: Store, now: number): Promise<number[]> {
  const rows = await store.db.selectFrom('webhook_delivery').select('endpoint_id').where(due(now)).groupBy('endpoint_id').execute();
  return rows.map((r) => Number(r.endpoint_id));
}

/** Claim up to `limit` of one endpoint's due deliveries, with a lease: each attempt is made by one process. */
async function claim(deps: WebhookDeps, endpointId: number, limit: number, workerId: string) {
  const { store, clock } = deps;
  const now = clock.now();
  return store.db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('webhook_delivery').selectAll().where('endpoint_id', '=', endpointId).where(due(now)).orderBy('next_attempt_at').orderBy('id').limit(limit);
    if (store.dialect === 'postgres') q = q.forUpdate().skipLocked();
    const rows = await q.execute();
    for (const r of rows) await trx.updateTable('webhook_delivery').set({ status: 'delivering', locked_until: now + LEASE_MS, locked_by: workerId, attempts: r.attempts + 1, updated_at: now }).where('id', '=', r.id).execute();
    return rows.map((r) => ({ ...r, attempts: r.attempts + 1 }));
  });
}

/**
 * Attempt what is due until `until`: each endpoint in its own lane of at most `perEndpoint`
 * attempts at once (and `total` in all), refilled as its attempts finish, so a receiver that
 * takes its full timeout slows only its own deliveries while a fast one's keep flowing. No new
 * attempt starts after `until`; those under way are awaited. Returns how many were attempted.
 */
export async function deliverDue(deps: WebhookDeps, until: number, workerId = `webhooks-${process.pid}`, perEndpoint = ENDPOINT_CONCURRENCY, total = TOTAL_CONCURRENCY): Promise<number> {
  const inFlight = new Map<number, number>();
  const running = new Set<Promise<void>>();
  let wake: () => void = () => {};
  let finished = 0;
  let n = 0;
  for (;;) {
    finished = 0;
    let started = 0;
    if (Date.now() < until) {
      const shares = laneShares(await endpointsDue(deps.store, deps.clock.now()), inFlight, perEndpoint, total);
      for (const [endpointId, k] of shares) {
        for (const d of await claim(deps, endpointId, k, workerId)) {
          n++;
          started++;
          inFlight.set(endpointId, (inFlight.get(endpointId) ?? 0) + 1);
          const p: Promise<void> = attempt(deps, d)
            .catch((err) => deps.log?.error({ err, delivery: d.id }, 'webhook delivery failed unexpectedly'))
            .finally(() => {
              inFlight.set(endpointId, inFlight.get(endpointId)! - 1);
              running.delete(p);
              finished++;
              wake();
            });
          running.add(p);
        }
      }
    }
    // nothing started and nothing under way: nothing is due (or the round is over)
    if (!running.size && !started) return n;
    // lanes freed while claiming: look again at once; else wait for an attempt to finish
    if (!finished && running.size) await new Promise<void>((r) => (wake = r));
    // attempts finishing close together refill their lanes in one look (one query, one claim a
    // lane), not one look each: at most every REFILL_WAIT_MS, sooner once REFILL_BATCH are done
    if (running.size && finished < REFILL_BATCH) {
      await new Promise<void>((r) => {
        const timer = setTimeout(r, REFILL_WAIT_MS);
        wake = () => {
          if (finished < REFILL_BATCH) return;
          clearTimeout(timer);
          r();
        };
      });
    }
  }
}

/**
 * The body as sent: a customer's words are not copied into the delivery row (kept a week, outside
 * redaction and erasure) but read from the message when it is sent, so a redacted or erased
 * message goes out without them.
 */
async function bodyOf(store: Store, d: { event_type: string; payload: string }): Promise<string> {
  if (d.event_type === 'conversation.note_added') {
    // a note's words too (erasure rewrites them in place): read when sent, never kept in the delivery row
    const p = JSON.parse(d.payload) as { data: { noteId: number; text: string | null } };
    const n = await store.db.selectFrom('note').select('text').where('id', '=', p.data.noteId).executeTakeFirst();
    p.data.text = n ? decodeText(n.text, null) : '';
    return JSON.stringify(p);
  }
  if (d.event_type !== 'message.received') return d.payload;
  const p = JSON.parse(d.payload) as { data: { messageId: number; text: string | null } };
  const m = await store.db.selectFrom('message').select(['text', 'text_escaped', 'redacted_at']).where('id', '=', p.data.messageId).executeTakeFirst();
  p.data.text = !m || m.redacted_at != null ? '' : decodeText(m.text, m.text_escaped);
  return JSON.stringify(p);
}

async function attempt(deps: WebhookDeps, d: { id: number; endpoint_id: number; message_id: string; event_type: string; payload: string; attempts: number }): Promise<void> {
  const { store, clock, secrets } = deps;
  const ep = await store.db.selectFrom('webhook_endpoint').selectAll().where('id', '=', d.endpoint_id).executeTakeFirst();
  const finish = (set: { status: string; last_status?: number | null; last_error?: string | null; next_attempt_at?: number; delivered_at?: number }) =>
    store.db.updateTable('webhook_delivery').set({ ...set, locked_until: null, locked_by: null, updated_at: clock.now() }).where('id', '=', d.id).execute();
  if (!ep || !ep.enabled) {
    await finish({ status: 'failed', last_error: 'the endpoint is turned off' });
    return;
  }
  const secret = secrets.open<{ secret: string }>(ep.secret_sealed).secret;
  const body = await bodyOf(store, d);
  const ts = Math.floor(clock.now() / 1000);
  const res = await postOnce(ep.url, { 'webhook-id': d.message_id, 'webhook-timestamp': String(ts), 'webhook-signature': signWebhook(secret, d.message_id, ts, body) }, body, deps.allowPrivate, deps.timeoutMs ?? DELIVERY_TIMEOUT_MS);
  const now = clock.now();
  if (res.status !== null && res.status >= 200 && res.status < 300) {
    await finish({ status: 'delivered', last_status: res.status, last_error: null, delivered_at: now });
    if (ep.failing_since != null) await store.db.updateTable('webhook_endpoint').set({ failing_since: null }).where('id', '=', ep.id).execute();
    return;
  }
  const error = res.error ?? `HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 300)}` : ''}`;
  if (res.status === 410) {
    await finish({ status: 'failed', last_status: 410, last_error: error });
    await disableEndpoint(deps, ep.id, 'the receiver answered 410 Gone', now);
    return;
  }
  const next = nextRetryAt(d.attempts, now);
  await finish(next === null ? { status: 'failed', last_status: res.status, last_error: error } : { status: 'pending', last_status: res.status, last_error: error, next_attempt_at: next });
  const since = ep.failing_since ?? now;
  if (ep.failing_since == null) await store.db.updateTable('webhook_endpoint').set({ failing_since: now }).where('id', '=', ep.id).where('failing_since', 'is', null).execute();
  if (now - Number(since) >= DISABLE_AFTER_FAILING_MS) await disableEndpoint(deps, ep.id, `every delivery failed for ${Math.round((now - Number(since)) / 86_400_000)} days (last: ${error.slice(0, 200)})`, now);
}

/** Deliveries older than a week go. */
export async function pruneDeliveries(store: Store, now: number): Promise<void> {
  await store.db.deleteFrom('webhook_delivery').where('created_at', '<', now - DELIVERY_KEEP_MS).where('status', 'in', ['delivered', 'failed']).execute();
}

/** How long a round goes on starting the attempts that are due (each endpoint in its own lane) before it lets the next round queue what happened since. */
const ROUND_MS = 5_000;

/** One round: queue what happened, then attempt what is due, each endpoint in its own lane, for up to ROUND_MS (and the attempts under way then). */
export async function runWebhooks(deps: WebhookDeps): Promise<number> {
  await deriveDeliveries(deps);
  return deliverDue(deps, Date.now() + (deps.roundMs ?? ROUND_MS));
}
