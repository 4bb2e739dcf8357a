/**
 * Reading the audit trail brand-wide: most entries (CRM links, guidelines, people,
 * settings, tokens, sign-ins, channels, incidents) belong to no conversation, so the
 * per-conversation trail cannot show them. Pages come newest first by keyset on
 * (created_at, id), walked down the (brand_id, created_at) index on both engines: on
 * SQLite the index carries the rowid (= id) as its last key, so no sort is needed; on
 * PostgreSQL an incremental sort orders the rare ties within one millisecond. The trail
 * is only read here, never changed.
 *
 * On PostgreSQL the table is shared by every brand of the database. A filter that picks
 * out few entries (one subject, one person) and has no index of its own is planned there
 * as a sequential scan of the whole table, every brand's entries, plus a sort; so pages
 * are read with sequential scans off, which keeps the read on the brand's part of the
 * (brand_id, created_at) index (or on the conversation index), as on SQLite.
 */
import { sql, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { AppError } from '../errors.js';
import type { Dialect, Store } from './db.js';
import type { AuditEvent, DB } from './schema.js';
import { decodeText } from './text.js';
import type { Tx } from './util.js';

export const AUDIT_PAGE_MAX = 200;

/** What to read. `action` ending in `.` or `*` matches by prefix (`reply.`, `contact.crm_*`), else exactly. */
export interface AuditFilter {
  brandId: number;
  action?: string;
  subjectType?: string;
  subjectId?: string;
  actorUserId?: number;
  conversationId?: number;
  /** Inclusive, ms. */
  from?: number;
  /** Exclusive, ms. */
  to?: number;
}

/** Where the previous page stopped: the last entry's time and id. */
export interface AuditCursor {
  createdAt: number;
  id: number;
}

export function encodeAuditCursor(c: AuditCursor): string {
  return Buffer.from(JSON.stringify(['a1', c.createdAt, c.id])).toString('base64url');
}

/** The cursor a page handed out; anything else is a 400 `cursor.invalid`. */
export function decodeAuditCursor(s: string | null | undefined): AuditCursor | null {
  if (!s) return null;
  try {
    const v = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 3 && v[0] === 'a1' && Number.isSafeInteger(v[1]) && Number.isSafeInteger(v[2]) && v[2] > 0) return { createdAt: v[1], id: v[2] };
  } catch {
    /* fall through */
  }
  throw new AppError(400, 'cursor.invalid', 'the cursor is not one this server issued');
}

/** `reply.` and `contact.crm_*` are prefixes; `reply.sent` is one action. */
export function actionMatch(action: string): { prefix: string } | { exact: string } {
  if (action.endsWith('*')) return { prefix: action.slice(0, -1) };
  if (action.endsWith('.')) return { prefix: action };
  return { exact: action };
}

function conditions(eb: ExpressionBuilder<DB, 'audit_event'>, dialect: Dialect, f: AuditFilter, cursor: AuditCursor | null): Expression<SqlBool> {
  const conds: Expression<SqlBool>[] = [eb('brand_id', '=', f.brandId)];
  if (f.from != null) conds.push(eb('created_at', '>=', f.from));
  if (f.to != null) conds.push(eb('created_at', '<', f.to));
  if (cursor) {
    // the range half keeps the walk on the index; the OR settles ties within one millisecond
    conds.push(eb('created_at', '<=', cursor.createdAt));
    conds.push(eb.or([eb('created_at', '<', cursor.createdAt), eb('id', '<', cursor.id)]));
  }
  if (f.action) {
    const m = actionMatch(f.action);
    if ('exact' in m) conds.push(eb('action', '=', m.exact));
    else if (m.prefix && dialect === 'postgres') {
      // LIKE (case-sensitive there, `_` and `%` escaped): PostgreSQL estimates it from the column's
      // statistics, where a substr() comparison gets a blind guess that makes it read the whole range
      conds.push(sql<SqlBool>`action like ${`${m.prefix.replace(/[\\%_]/g, '\\$&')}%`}`);
    } else if (m.prefix) {
      // SQLite's LIKE ignores case: an exact comparison of the first characters instead
      conds.push(eb(sql<string>`substr(action, 1, ${sql.lit(m.prefix.length)})`, '=', m.prefix));
    }
  }
  if (f.subjectType) conds.push(eb('subject_type', '=', f.subjectType));
  if (f.subjectId != null) conds.push(eb('subject_id', '=', f.subjectId));
  if (f.actorUserId != null) conds.push(eb('actor_user_id', '=', f.actorUserId));
  if (f.conversationId != null) conds.push(eb('conversation_id', '=', f.conversationId));
  return eb.and(conds);
}

/** The query for one page (`limit` rows), exported so tests can read its plan (run it through `readAudit`). */
export function auditPageQuery(db: Tx, dialect: Dialect, f: AuditFilter, cursor: AuditCursor | null, limit: number) {
  return db
    .selectFrom('audit_event')
    .selectAll()
    .where((eb) => conditions(eb, dialect, f, cursor))
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit);
}

/** Run audit reads as the module header says: on PostgreSQL in a read-only transaction with sequential scans off. */
export async function readAudit<T>(store: Store, fn: (db: Tx) => Promise<T>): Promise<T> {
  if (store.dialect !== 'postgres') return fn(store.db);
  return store.db.transaction().setAccessMode('read only').execute(async (trx) => {
    await sql`set local enable_seqscan = off`.execute(trx);
    return fn(trx);
  });
}

/** One page, newest first, and the cursor of the next (null on the last page). */
export async function listAudit(store: Store, f: AuditFilter, page: { cursor?: string | null; limit?: number } = {}): Promise<{ rows: AuditEvent[]; nextCursor: string | null }> {
  const limit = Math.min(Math.max(1, page.limit ?? 50), AUDIT_PAGE_MAX);
  const cursor = decodeAuditCursor(page.cursor);
  const rows = await readAudit(store, (db) => auditPageQuery(db, store.dialect, f, cursor, limit + 1).execute());
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { rows: items, nextCursor: rows.length > limit && last ? encodeAuditCursor({ createdAt: Number(last.created_at), id: Number(last.id) }) : null };
}

/** Every matching entry from `cursor` on, newest first, read in keyset batches (for an export that need not fit in memory). */
export async function* auditBatches(store: Store, f: AuditFilter, cursor: string | null | undefined, batch = 500): AsyncGenerator<AuditEvent[]> {
  let at = decodeAuditCursor(cursor);
  for (;;) {
    const from = at;
    const rows = await readAudit(store, (db) => auditPageQuery(db, store.dialect, f, from, batch).execute());
    if (rows.length) yield rows;
    if (rows.length < batch) return;
    const last = rows[rows.length - 1]!;
    at = { createdAt: Number(last.created_at), id: Number(last.id) };
  }
}

/**
 * Who each actor is, in words: a person's name, an API token with its name and owner,
 * or Parley itself for system work. People of other brands are never named.
 */
export async function actorNames(store: Store, brandId: number, rows: readonly Pick<AuditEvent, 'actor' | 'actor_user_id'>[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const userIds = new Set<number>();
  const tokenIds = new Set<number>();
  for (const r of rows) {
    if (r.actor_user_id != null) userIds.add(Number(r.actor_user_id));
    const t = /^token:(\d+)$/.exec(r.actor);
    if (t) tokenIds.add(Number(t[1]));
  }
  const users = new Map<number, string>();
  if (userIds.size) for (const u of await store.db.selectFrom('app_user').select(['id', 'name']).where('brand_id', '=', brandId).where('id', 'in', [...userIds]).execute()) users.set(Number(u.id), u.name);
  const tokens = new Map<number, string>();
  if (tokenIds.size) {
    const rowsT = await store.db
      .selectFrom('api_token')
      .innerJoin('app_user', 'app_user.id', 'api_token.user_id')
      .select(['api_token.id', 'api_token.name', 'app_user.name as owner'])
      .where('api_token.brand_id', '=', brandId)
      .where('api_token.id', 'in', [...tokenIds])
      .execute();
    for (const t of rowsT) tokens.set(Number(t.id), `API token “${t.name}” of ${t.owner}`);
  }
  for (const r of rows) {
    if (out.has(r.actor)) continue;
    let name: string;
    const t = /^token:(\d+)$/.exec(r.actor);
    if (r.actor_user_id != null) name = users.get(Number(r.actor_user_id)) ?? `Person #${r.actor_user_id}`;
    else if (t) name = tokens.get(Number(t[1])) ?? `API token #${t[1]}`;
    else if (r.actor === 'system') name = 'Parley';
    else if (r.actor.startsWith('system:')) name = `Parley (${r.actor.slice(7)})`;
    else name = r.actor;
    out.set(r.actor, name);
  }
  return out;
}

/** One CSV cell (RFC 4180), neutralised as the reports' CSV does: a spreadsheet never runs a cell that looks like a formula. */
export function csvCell(v: unknown): string {
  let s = v == null ? '' : String(v);
  if (/^[=+\-@\t\r]/.test(s) && typeof v === 'string') s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const AUDIT_CSV_COLUMNS = ['id', 'created_at', 'actor', 'actor_name', 'action', 'subject_type', 'subject_id', 'conversation_id', 'data'] as const;

/** CSV lines (each ending in CRLF) for a batch of entries. */
export function auditCsvLines(rows: readonly AuditEvent[], names: Map<string, string>): string {
  let out = '';
  for (const r of rows) {
    const cells = [Number(r.id), new Date(Number(r.created_at)).toISOString(), r.actor, names.get(r.actor) ?? r.actor, r.action, r.subject_type, r.subject_id, r.conversation_id == null ? '' : Number(r.conversation_id), r.data];
    out += `${cells.map(csvCell).join(',')}\r\n`;
  }
  return out;
}

/**
 * The consent behind a contact's current CRM link: how it was given, the customer's own
 * message when that was the evidence, the note, and who recorded it. Null when the
 * contact is not linked.
 */
export async function currentCrmConsent(store: Store, brandId: number, contactId: number) {
  const contact = await store.db.selectFrom('contact').select(['id', 'crm_customer_id']).where('id', '=', contactId).where('brand_id', '=', brandId).executeTakeFirst();
  if (!contact) return undefined;
  if (contact.crm_customer_id == null) return { contactId, crmCustomerId: null, consent: null };
  const c = await store.db
    .selectFrom('crm_consent')
    .leftJoin('app_user', (j) => j.onRef('app_user.id', '=', 'crm_consent.recorded_by').on('app_user.brand_id', '=', brandId))
    .select(['crm_consent.id', 'crm_consent.crm_customer_id', 'crm_consent.method', 'crm_consent.evidence_message_id', 'crm_consent.note', 'crm_consent.granted_at', 'crm_consent.recorded_by', 'app_user.name as recorded_by_name'])
    .where('crm_consent.contact_id', '=', contactId)
    .where('crm_consent.brand_id', '=', brandId)
    .where('crm_consent.withdrawn_at', 'is', null)
    .orderBy('crm_consent.granted_at', 'desc')
    .orderBy('crm_consent.id', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!c) return { contactId, crmCustomerId: contact.crm_customer_id, consent: null };
  const m = c.evidence_message_id != null
    ? await store.db.selectFrom('message').select(['id', 'conversation_id', 'text', 'text_escaped', 'created_at']).where('id', '=', c.evidence_message_id).where('brand_id', '=', brandId).executeTakeFirst()
    : undefined;
  return {
    contactId,
    crmCustomerId: contact.crm_customer_id,
    consent: {
      crmCustomerId: c.crm_customer_id,
      method: c.method,
      note: c.note,
      grantedAt: new Date(Number(c.granted_at)).toISOString(),
      recordedBy: { id: Number(c.recorded_by), name: c.recorded_by_name ?? null },
      evidenceMessage: m ? { id: Number(m.id), conversationId: Number(m.conversation_id), text: decodeText(m.text, m.text_escaped), createdAt: new Date(Number(m.created_at)).toISOString() } : null,
    },
  };
}
