/**
 * Read queries behind the inbox: conversation lists with filters and keyset
 * pagination, per-view counts, a conversation with everything the agent needs,
 * and full-text search (FTS5 on SQLite, tsvector on PostgreSQL; emoji, which both drop, in
 * `message_emoji`), newest first.
 */
import { sql, type Expression, type ExpressionBuilder, type RawBuilder, type SqlBool } from 'kysely';
import type { HealthView } from '../channels/healthSummary.js';
import { splitQueryEmoji } from '../core/emojiSearch.js';
import { summarizeReplyError } from '../outbox/replyError.js';
import { presentAudit, presentConversation, presentIdentity, presentMessage, presentNote, type AuthorJson, type ContactSummaryJson, type ConversationJson } from '../server/presenters.js';
import type { Store } from './db.js';
import { AUTHOR_ACTIONS } from '../core/moderationEffect.js';
import type { Conversation, DB } from './schema.js';
import { chunks, readSnapshot, type Tx } from './util.js';
import { indexPending } from './fts.js';

export const VIEWS = ['new', 'open', 'mine', 'team', 'waiting', 'resolved', 'all'] as const;
export type View = (typeof VIEWS)[number];
export const SORTS = ['recent', 'priority', 'due', 'oldest'] as const;
export type Sort = (typeof SORTS)[number];

export interface ConversationFilter {
  brandId: number;
  /** The viewer, for `mine` and `team`. */
  userId: number | null;
  view?: View;
  status?: string[];
  assigneeId?: number | 'none';
  teamId?: number;
  channelAccountId?: number;
  network?: string;
  priorityMin?: number;
  label?: string;
  sentiment?: string;
  category?: string;
  /** What triage says the conversation needs (any of): respond, monitor, ignore. */
  triageAction?: string[];
  /** Only conversations whose SLA is due before now + this many ms (and not met). */
  dueWithinMs?: number;
  /** Only customers' conversations linked to this incident (its statements' conversations, which have no contact, are not). */
  incidentId?: number;
  /**
   * How the conversation began: `listening`, found by keyword listening (the post did not address
   * the brand); `addressed`, anything else (a mention, reply, DM...). A residual test on `origin`.
   */
  origin?: 'listening' | 'addressed';
  q?: string;
  sort?: Sort;
  cursor?: string | null;
  limit?: number;
  /**
   * Also count what the filter matches (ignoring the cursor): see `listConversations`.
   */
  total?: boolean;
  now: number;
}

/** A list total stops counting here; more are reported as `totalCapped` (the UI says "10,000+"). */
export const LIST_TOTAL_CAP = 10_000;
/** Views that hold only unresolved work, whose rows an index narrows to the active set. */
const ACTIVE_VIEWS: ReadonlySet<View> = new Set(['new', 'open', 'mine', 'team', 'waiting']);

type Cursor = { k: (number | null)[]; id: number };

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify(c)).toString('base64url');
}

export function decodeCursor(s: string | null | undefined): Cursor | null {
  if (!s) return null;
  try {
    const c = JSON.parse(Buffer.from(s, 'base64url').toString('utf8'));
    if (c && Array.isArray(c.k) && typeof c.id === 'number') return c as Cursor;
  } catch {
    /* fall through */
  }
  throw Object.assign(new Error('invalid cursor'), { code: 'cursor.invalid' });
}

const FAR = 8.64e15;

/** The sort keys of a conversation, in order, all descending-compared after normalisation. */
function sortKeys(sort: Sort, c: Conversation): (number | null)[] {
  switch (sort) {
    case 'recent':
      return [c.last_message_at];
    case 'priority':
      return [c.priority, c.last_message_at];
    case 'due':
      return [c.sla_due_at ?? FAR];
    case 'oldest':
      return [c.waiting_since ?? FAR];
  }
}

/** Tokens of a search box, safe to splice into either engine's query language. */
export function searchTokens(q: string): string[] {
  return (q.normalize('NFKC').toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
}

/** A search box as the search runs it: its emoji (see src/core/emojiSearch.ts) and its words (the text less the emoji). */
export function parseSearch(q: string): { words: string[]; emoji: string[] } {
  const { emoji, rest } = splitQueryEmoji(q);
  return { words: searchTokens(rest), emoji };
}

/**
 * Message ids matching `q`, newest first. Every token must match; the last word as a prefix
 * (search-as-you-type). Words go to the full-text index; emoji, which it drops, to
 * `message_emoji` (each one a whole emoji: 👍 finds every skin tone, 👍🏽 only that one).
 */
export async function searchMessageIds(store: Store, brandId: number, q: string, limit: number, beforeId?: number): Promise<number[]> {
  const { words: tokens, emoji } = parseSearch(q);
  if (!tokens.length && !emoji.length) return [];
  if (store.dialect === 'sqlite') await indexPending(store); // what ingest has not indexed yet (it does so in thousands)
  // each emoji narrows the ids, as each word does: a primary-key probe for each id the other
  // terms find (as an IN list, SQLite would hand it to FTS5 as a rowid constraint, and FTS5
  // would run the whole word query again for each id)
  const hasEmoji = (id: RawBuilder<unknown>, terms: string[]) =>
    sql.join(terms.map((t) => sql`and exists (select 1 from message_emoji x where x.brand_id = ${brandId} and x.term = ${t} and x.message_id = ${id})`), sql` `);
  if (!tokens.length) {
    const [first, ...more] = emoji;
    const rows = await sql<{ id: number }>`
      select e.message_id as id from message_emoji e
      where e.brand_id = ${brandId} and e.term = ${first!} ${beforeId ? sql`and e.message_id < ${beforeId}` : sql``} ${hasEmoji(sql`e.message_id`, more)}
      order by e.message_id desc limit ${limit}`.execute(store.db);
    return rows.rows.map((r) => Number(r.id));
  }
  if (store.dialect === 'sqlite') {
    const match = tokens.map((t, i) => `"${t}"${i === tokens.length - 1 ? '*' : ''}`).join(' ');
    const rows = await sql<{ id: number }>`
      select m.id from message_fts f join message m on m.id = f.rowid
      where message_fts match ${match} and m.brand_id = ${brandId} ${beforeId ? sql`and f.rowid < ${beforeId}` : sql``} ${hasEmoji(sql`f.rowid`, emoji)}
      order by f.rowid desc limit ${limit}`.execute(store.db);
    return rows.rows.map((r) => r.id);
  }
  const tsq = tokens.map((t, i) => (i === tokens.length - 1 ? `${t}:*` : t)).join(' & ');
  const rows = await sql<{ id: number }>`
    select id from message where search @@ to_tsquery('simple', ${tsq}) and brand_id = ${brandId} ${beforeId ? sql`and id < ${beforeId}` : sql``} ${hasEmoji(sql`id`, emoji)}
    order by id desc limit ${limit}`.execute(store.db);
  return rows.rows.map((r) => Number(r.id));
}

function viewFilter(eb: ExpressionBuilder<DB, 'conversation'>, f: ConversationFilter, teamIds: number[]): Expression<SqlBool>[] {
  const out: Expression<SqlBool>[] = [];
  switch (f.view ?? 'all') {
    case 'new':
      out.push(eb('status', '=', 'new'));
      break;
    case 'open':
      out.push(eb('status', 'in', ['new', 'open']));
      break;
    case 'mine':
      out.push(eb('assignee_id', '=', f.userId ?? -1), eb('status', '!=', 'resolved'));
      break;
    case 'team':
      out.push(eb('team_id', 'in', teamIds.length ? teamIds : [-1]), eb('status', '!=', 'resolved'));
      break;
    case 'waiting':
      out.push(eb('status', '=', 'waiting'));
      break;
    case 'resolved':
      out.push(eb('status', '=', 'resolved'));
      break;
    case 'all':
      break;
  }
  return out;
}

export async function teamIdsOf(store: Store, userId: number | null): Promise<number[]> {
  if (userId == null) return [];
  return (await store.db.selectFrom('team_member').select('team_id').where('user_id', '=', userId).execute()).map((r) => r.team_id);
}

/**
 * A page of a view, filtered, in keyset order. With `total`, also how many conversations the
 * filter matches, when that is cheap to know: a list that fits on its first page is its own
 * total; otherwise the count walks an index of unresolved work (brand and status, assignee
 * or team; on PostgreSQL `conversation_active`), is reported up to `LIST_TOTAL_CAP`, and runs
 * only over unresolved work or a full-text match (at most 1,000 conversations), never over the
 * brand's whole resolved history, whose size has no bound: there `total` is null (the UI says
 * how many it shows).
 */
export async function listConversations(store: Store, f: ConversationFilter): Promise<{ items: ConversationJson[]; nextCursor: string | null; total?: number | null; totalCapped?: boolean }> {
  const sort = f.sort ?? 'recent';
  const limit = Math.min(Math.max(f.limit ?? 50, 1), 200);
  const teamIds = f.view === 'team' ? await teamIdsOf(store, f.userId) : [];
  let matchIds: number[] | null = null;
  if (f.q && f.q.trim()) {
    const msgIds = await searchMessageIds(store, f.brandId, f.q, 1000);
    const convIds = new Set<number>();
    for (const part of chunks(msgIds, 500)) {
      const rows = await store.db.selectFrom('message').select('conversation_id').where('id', 'in', part).execute();
      for (const r of rows) convIds.add(r.conversation_id);
    }
    matchIds = [...convIds];
    if (!matchIds.length) return { items: [], nextCursor: null, ...(f.total ? { total: 0, totalCapped: false } : {}) };
  }
  const cursor = decodeCursor(f.cursor);
  // Every filter but the cursor: shared by the page and its total.
  const filters = (eb: ExpressionBuilder<DB, 'conversation'>): Expression<SqlBool>[] => {
    const conds = viewFilter(eb, f, teamIds);
    if (f.status?.length) conds.push(eb('status', 'in', f.status));
    if (f.assigneeId === 'none') conds.push(eb('assignee_id', 'is', null));
    else if (f.assigneeId != null) conds.push(eb('assignee_id', '=', f.assigneeId));
    if (f.teamId != null) conds.push(eb('team_id', '=', f.teamId));
    if (f.channelAccountId != null) conds.push(eb('channel_account_id', '=', f.channelAccountId));
    if (f.network) conds.push(eb('network', '=', f.network));
    if (f.priorityMin != null) conds.push(eb('priority', '>=', f.priorityMin));
    if (f.sentiment) conds.push(eb('sentiment', '=', f.sentiment));
    if (f.category) conds.push(eb('category', '=', f.category));
    // a residual test on the rows the view's index walk reads, like sentiment and category
    if (f.triageAction?.length) conds.push(eb('triage_action', 'in', f.triageAction));
    if (f.dueWithinMs != null) conds.push(eb('sla_due_at', 'is not', null), eb('sla_due_at', '<=', f.now + f.dueWithinMs), eb('status', '!=', 'resolved'));
    if (f.incidentId != null) conds.push(eb('incident_id', '=', f.incidentId), eb('contact_id', 'is not', null));
    if (f.origin === 'listening') conds.push(eb('origin', '=', 'listening'));
    else if (f.origin === 'addressed') conds.push(eb.or([eb('origin', 'is', null), eb('origin', '!=', 'listening')]));
    if (f.label) conds.push(eb('id', 'in', eb.selectFrom('conversation_label').select('conversation_id').where('label', '=', f.label.toLowerCase())));
    if (matchIds) conds.push(eb('id', 'in', matchIds));
    return conds;
  };
  let q = store.db.selectFrom('conversation').selectAll().where('brand_id', '=', f.brandId);
  q = q.where((eb) => {
    const conds = filters(eb);
    if (cursor) conds.push(keysetAfter(eb, sort, cursor));
    return eb.and(conds);
  });
  switch (sort) {
    case 'recent':
      q = q.orderBy('last_message_at', 'desc').orderBy('id', 'desc');
      break;
    case 'priority':
      q = q.orderBy('priority', 'desc').orderBy('last_message_at', 'desc').orderBy('id', 'desc');
      break;
    case 'due':
      q = q.orderBy(sql`coalesce(sla_due_at, ${FAR})`, 'asc').orderBy('id', 'asc');
      break;
    case 'oldest':
      q = q.orderBy(sql`coalesce(waiting_since, ${FAR})`, 'asc').orderBy('id', 'asc');
      break;
  }
  const rows = await q.limit(limit + 1).execute();
  const page = rows.slice(0, limit);
  const items = await decorate(store, page);
  const last = page[page.length - 1];
  const nextCursor = rows.length > limit && last ? encodeCursor({ k: sortKeys(sort, last), id: last.id }) : null;
  if (!f.total) return { items, nextCursor };
  // The whole list is on this page: its length is the total, no count needed.
  if (!cursor && !nextCursor) return { items, nextCursor, total: items.length, totalCapped: false };
  const bounded = matchIds != null || ACTIVE_VIEWS.has(f.view ?? 'all') || (!!f.status?.length && !f.status.includes('resolved'));
  if (!bounded) return { items, nextCursor, total: null, totalCapped: false };
  let matching = store.db.selectFrom('conversation').select(sql<number>`1`.as('one')).where('brand_id', '=', f.brandId).where((eb) => eb.and(filters(eb)));
  // SQLite walks conversation_inbox (brand, status) and stops at the cap. PostgreSQL counts every
  // match, and reports the cap: under a LIMIT its planner prices a sequential scan as stopping
  // early, as if matches were spread evenly through the table, but unresolved work is the newest
  // rows, behind the whole resolved history at the table's start, so the scan read nearly every
  // row. Without one, reading the unresolved rows through `conversation_active` costs what it
  // reads (bounded by the open work, not the history) and is the plan it takes.
  if (store.dialect === 'sqlite') matching = matching.limit(LIST_TOTAL_CAP + 1);
  const counted = await store.db.selectFrom(matching.as('m')).select((eb) => eb.fn.countAll<number | string>().as('n')).executeTakeFirstOrThrow();
  const n = Number(counted.n);
  return { items, nextCursor, total: Math.min(n, LIST_TOTAL_CAP), totalCapped: n > LIST_TOTAL_CAP };
}

function keysetAfter(eb: ExpressionBuilder<DB, 'conversation'>, sort: Sort, c: Cursor): Expression<SqlBool> {
  const [a, b] = c.k;
  switch (sort) {
    case 'recent':
      return eb.or([eb('last_message_at', '<', a!), eb.and([eb('last_message_at', '=', a!), eb('id', '<', c.id)])]);
    case 'priority':
      return eb.or([
        eb('priority', '<', a!),
        eb.and([eb('priority', '=', a!), eb('last_message_at', '<', b!)]),
        eb.and([eb('priority', '=', a!), eb('last_message_at', '=', b!), eb('id', '<', c.id)]),
      ]);
    case 'due': {
      const due = sql<number>`coalesce(sla_due_at, ${FAR})`;
      return eb.or([eb(due, '>', a!), eb.and([eb(due, '=', a!), eb('id', '>', c.id)])]);
    }
    case 'oldest': {
      const w = sql<number>`coalesce(waiting_since, ${FAR})`;
      return eb.or([eb(w, '>', a!), eb.and([eb(w, '=', a!), eb('id', '>', c.id)])]);
    }
  }
}

/**
 * The contact summaries the inbox shows on conversation rows, by contact id: the contact's
 * name with its first identity's handle, followers and badge. The list API and the live
 * conversation events both use this, so a row patched or inserted by an event shows the
 * same customer as a reload would.
 */
export async function contactSummaries(db: Tx, contactIds: Iterable<number | null | undefined>): Promise<Map<number, ContactSummaryJson>> {
  const ids = [...new Set([...contactIds].filter((x): x is number => x != null))];
  const contacts = new Map<number, ContactSummaryJson>();
  for (const part of chunks(ids, 500)) {
    const rows = await db
      .selectFrom('contact')
      .leftJoin('contact_identity', 'contact_identity.contact_id', 'contact.id')
      .select(['contact.id as id', 'contact.display_name as display_name', 'contact_identity.handle as handle', 'contact_identity.followers as followers', 'contact_identity.verified as verified'])
      .where('contact.id', 'in', part)
      .orderBy('contact.id')
      .orderBy('contact_identity.id')
      .execute();
    for (const r of rows) {
      if (contacts.has(r.id)) continue;
      contacts.set(r.id, { id: r.id, displayName: r.display_name, handle: r.handle, followers: r.followers, verified: r.verified === 1 });
    }
  }
  return contacts;
}

/**
 * A conversation as the inbox lists it, with its contact summary: what commands return
 * and publish in `conversation.updated`, so a row that arrives or moves live knows its customer.
 */
export async function presentListedConversation(db: Tx, c: Conversation, extra: { labels?: string[] } = {}): Promise<ConversationJson> {
  const contact = c.contact_id != null ? (await contactSummaries(db, [c.contact_id])).get(c.contact_id) ?? null : null;
  return presentConversation(c, { ...extra, contact });
}

/**
 * For conversations without a contact (a brand's own post that customers answered, say): their
 * first author, as the conversation's detail names it (its first message with an author, by
 * time), so the inbox row names the customer as the header does. Two queries for a whole page,
 * only when it has such conversations.
 */
async function firstAuthorSummaries(db: Tx, conversationIds: number[]): Promise<Map<number, ContactSummaryJson>> {
  const firstIdentity = new Map<number, number>();
  for (const part of chunks(conversationIds, 500)) {
    // one row a conversation, its first authored message read through `message_conversation`
    // (conversation_id, created_at): a brand post thousands answered costs no more than one reply
    const rows = await db
      .selectFrom('conversation as c')
      .select((eb) => ['c.id', eb.selectFrom('message as m').select('m.author_identity_id').whereRef('m.conversation_id', '=', 'c.id').where('m.author_identity_id', 'is not', null)
        .orderBy('m.created_at').orderBy('m.id').limit(1).as('author_identity_id')])
      .where('c.id', 'in', part)
      .execute();
    for (const r of rows) if (r.author_identity_id != null) firstIdentity.set(Number(r.id), Number(r.author_identity_id));
  }
  const out = new Map<number, ContactSummaryJson>();
  if (!firstIdentity.size) return out;
  const identities = new Map<number, AuthorJson>();
  for (const part of chunks([...new Set(firstIdentity.values())], 500)) {
    for (const i of await db.selectFrom('contact_identity').selectAll().where('id', 'in', part).execute()) identities.set(i.id, presentIdentity(i));
  }
  for (const [conversationId, identityId] of firstIdentity) {
    const a = identities.get(identityId);
    if (a) out.set(conversationId, { id: a.contactId, displayName: a.displayName, handle: a.handle, followers: a.followers, verified: a.verified });
  }
  return out;
}

/** Contact summary and labels for a page of conversations, in two queries (two more when some have no contact: their first author). */
async function decorate(store: Store, convs: Conversation[]) {
  if (!convs.length) return [];
  const contacts = await contactSummaries(store.db, convs.map((c) => c.contact_id));
  // (an incident statement's conversation is the brand's post: no customer to name, even once customers answer it)
  const authors = await firstAuthorSummaries(store.db, convs.filter((c) => c.contact_id == null && c.incident_id == null).map((c) => c.id));
  const labels = new Map<number, string[]>();
  const lrows = await store.db.selectFrom('conversation_label').select(['conversation_id', 'label']).where('conversation_id', 'in', convs.map((c) => c.id)).orderBy('label').execute();
  for (const r of lrows) {
    const l = labels.get(r.conversation_id) ?? [];
    l.push(r.label);
    labels.set(r.conversation_id, l);
  }
  return convs.map((c) => presentConversation(c, { contact: c.contact_id != null ? contacts.get(c.contact_id) ?? null : authors.get(c.id) ?? null, labels: labels.get(c.id) ?? [] }));
}

/** Counts for the inbox views, for the viewer. */
export async function viewCounts(store: Store, brandId: number, userId: number | null) {
  const teamIds = await teamIdsOf(store, userId);
  const byStatus = await store.db.selectFrom('conversation').select(['status', (eb) => eb.fn.countAll<number>().as('n')]).where('brand_id', '=', brandId).groupBy('status').execute();
  const s = Object.fromEntries(byStatus.map((r) => [r.status, Number(r.n)])) as Record<string, number>;
  const mine = userId == null ? 0 : Number((await store.db.selectFrom('conversation').select((eb) => eb.fn.countAll<number>().as('n')).where('assignee_id', '=', userId).where('status', '!=', 'resolved').executeTakeFirstOrThrow()).n);
  const team = teamIds.length ? Number((await store.db.selectFrom('conversation').select((eb) => eb.fn.countAll<number>().as('n')).where('team_id', 'in', teamIds).where('status', '!=', 'resolved').executeTakeFirstOrThrow()).n) : 0;
  const total = Object.values(s).reduce((a, b) => a + b, 0);
  return { new: s.new ?? 0, open: (s.new ?? 0) + (s.open ?? 0), mine, team, waiting: s.waiting ?? 0, resolved: s.resolved ?? 0, all: total };
}

/**
 * A `reply.failed` entry written before its reason was summarized quoted the network: for a
 * reader who is not an admin, the summary of its code in its place.
 */
function auditFor(e: ReturnType<typeof presentAudit>, view: HealthView): ReturnType<typeof presentAudit> {
  if (view === 'detail' || e.action !== 'reply.failed' || typeof e.data.code !== 'string') return e;
  return { ...e, data: { ...e.data, reason: summarizeReplyError(`${e.data.code}: ${String(e.data.reason ?? '')}`) } };
}

/** `view`: how much of a failed reply's error its reader sees (`healthViewFor` their role). */
export async function getConversationDetail(store: Store, brandId: number, id: number, view: HealthView = 'summary') {
  return readSnapshot(store, (db) => conversationDetail(db, brandId, id, view));
}

async function conversationDetail(db: Tx, brandId: number, id: number, view: HealthView) {
  const conv = await db.selectFrom('conversation').selectAll().where('id', '=', id).where('brand_id', '=', brandId).executeTakeFirst();
  if (!conv) return null;
  const messages = await db.selectFrom('message').selectAll().where('conversation_id', '=', id).orderBy('created_at').orderBy('id').limit(1000).execute();
  const identityIds = [...new Set(messages.map((m) => m.author_identity_id).filter((x): x is number => x != null))];
  const authors = new Map<number, AuthorJson>();
  if (identityIds.length) for (const i of await db.selectFrom('contact_identity').selectAll().where('id', 'in', identityIds).execute()) authors.set(i.id, presentIdentity(i));
  const notes = await db.selectFrom('note').selectAll().where('conversation_id', '=', id).orderBy('created_at').execute();
  const auditRows = await db.selectFrom('audit_event').selectAll().where('conversation_id', '=', id).orderBy('id', 'desc').limit(200).execute();
  const labels = (await db.selectFrom('conversation_label').select('label').where('conversation_id', '=', id).orderBy('label').execute()).map((r) => r.label);
  let contact = null;
  if (conv.contact_id != null) {
    const c = await db.selectFrom('contact').selectAll().where('id', '=', conv.contact_id).executeTakeFirst();
    const identities = await db.selectFrom('contact_identity').selectAll().where('contact_id', '=', conv.contact_id).execute();
    const past = await db
      .selectFrom('conversation')
      .select(['id', 'network', 'status', 'subject', 'last_message_at', 'channel_account_id'])
      .where('contact_id', '=', conv.contact_id)
      .where('id', '!=', id)
      .orderBy('last_message_at', 'desc')
      .limit(20)
      .execute();
    if (c) {
      contact = {
        id: c.id,
        displayName: c.display_name,
        crmCustomerId: c.crm_customer_id,
        crmConsentAt: c.crm_consent_at ? new Date(c.crm_consent_at).toISOString() : null,
        identities: identities.map(presentIdentity),
        pastConversations: past.map((p) => ({ id: p.id, network: p.network, status: p.status, subject: p.subject, lastMessageAt: new Date(p.last_message_at).toISOString(), channelAccountId: p.channel_account_id })),
      };
    }
  }
  const first = identityIds.length ? authors.get(identityIds[0]!) ?? null : null;
  const moderation = await moderationState(db, id, identityIds);
  return {
    conversation: presentConversation(conv, { labels, contact: first ? { id: first.contactId, displayName: first.displayName, handle: first.handle, followers: first.followers, verified: first.verified } : null }),
    messages: messages.map((m) => presentMessage(m, m.author_identity_id != null ? authors.get(m.author_identity_id) ?? null : null, undefined, view)),
    notes: notes.map(presentNote),
    contact,
    audit: auditRows.map((e) => auditFor(presentAudit(e), view)),
    moderation,
  };
}

/**
 * What moderation has done and not undone, for the conversation's view: which of its posts are
 * hidden or deleted on the network, and which of its authors the brand blocks, restricts or mutes
 * (from any conversation). The latest action that was done decides; failed ones changed nothing.
 */
async function moderationState(db: Tx, conversationId: number, identityIds: number[]) {
  const cols = ['id', 'message_id', 'identity_id', 'action', 'created_at', 'actor_user_id'] as const;
  const byConversation = await db.selectFrom('moderation_action').select(cols).where('conversation_id', '=', conversationId).where('status', '=', 'done').execute();
  const byAuthor = identityIds.length
    ? await db.selectFrom('moderation_action').select(cols).where('identity_id', 'in', identityIds).where('action', 'in', AUTHOR_ACTIONS).where('status', '=', 'done').execute()
    : [];
  const rows = [...new Map([...byConversation, ...byAuthor].map((r) => [r.id, r])).values()].sort((a, b) => a.id - b.id);
  const messages = new Map<number, { messageId: number; hidden: boolean; deleted: boolean; at: string; byUserId: number }>();
  const authors = new Map<number, { identityId: number; blocked: boolean; restricted: boolean; muted: boolean; at: string; byUserId: number }>();
  for (const r of rows) {
    const at = new Date(r.created_at).toISOString();
    if (['hide', 'unhide', 'delete'].includes(r.action) && r.message_id != null) {
      const m = messages.get(r.message_id) ?? { messageId: r.message_id, hidden: false, deleted: false, at, byUserId: r.actor_user_id };
      if (r.action === 'delete') m.deleted = true;
      else m.hidden = r.action === 'hide';
      messages.set(r.message_id, { ...m, at, byUserId: r.actor_user_id });
    } else if (r.identity_id != null && (AUTHOR_ACTIONS as readonly string[]).includes(r.action)) {
      const a = authors.get(r.identity_id) ?? { identityId: r.identity_id, blocked: false, restricted: false, muted: false, at, byUserId: r.actor_user_id };
      if (r.action === 'block' || r.action === 'unblock') a.blocked = r.action === 'block';
      else if (r.action === 'restrict' || r.action === 'unrestrict') a.restricted = r.action === 'restrict';
      else a.muted = r.action === 'mute';
      authors.set(r.identity_id, { ...a, at, byUserId: r.actor_user_id });
    }
  }
  return {
    messages: [...messages.values()].filter((m) => m.hidden || m.deleted),
    authors: [...authors.values()].filter((a) => a.blocked || a.restricted || a.muted),
  };
}

/** Messages matching a search, newest first, with their conversation's subject. */
export async function searchMessages(store: Store, brandId: number, q: string, limit = 50, beforeId?: number) {
  const ids = await searchMessageIds(store, brandId, q, limit, beforeId);
  if (!ids.length) return { items: [], nextBefore: null };
  const rows = await store.db
    .selectFrom('message')
    .innerJoin('conversation', 'conversation.id', 'message.conversation_id')
    .selectAll('message')
    .select(['conversation.subject as conversation_subject', 'conversation.status as conversation_status'])
    .where('message.id', 'in', ids)
    .orderBy('message.id', 'desc')
    .execute();
  const identityIds = [...new Set(rows.map((r) => r.author_identity_id).filter((x): x is number => x != null))];
  const authors = new Map<number, AuthorJson>();
  if (identityIds.length) for (const i of await store.db.selectFrom('contact_identity').selectAll().where('id', 'in', identityIds).execute()) authors.set(i.id, presentIdentity(i));
  return {
    items: rows.map((r) => ({ ...presentMessage(r, r.author_identity_id != null ? authors.get(r.author_identity_id) ?? null : null), conversationSubject: r.conversation_subject, conversationStatus: r.conversation_status })),
    nextBefore: ids.length === limit ? ids[ids.length - 1]! : null,
  };
}
