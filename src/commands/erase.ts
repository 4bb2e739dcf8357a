/**
 * Erasing a customer (GDPR Art. 17, right to erasure): everything Parley holds that says
 * who they are or what they wrote goes, while the facts that reports count stay.
 *  - every message they wrote is redacted (src/store/redact.ts: text, payload, link; the
 *    row stays, so counts, SLA facts and threading are unchanged);
 *  - each of their identities loses its handle, name, avatar, profile link, follower count
 *    and network user id (replaced by "erased"; a later message from them starts afresh);
 *  - the contact loses its name, CRM link and consent records;
 *  - notifications: a body quoting one of their messages becomes `[erased]` (redact.ts), and
 *    their handle (`@handle`) in a title or body becomes `@erased`; on their conversations
 *    their display name goes too;
 *  - quarantined deliveries of theirs are deleted: a JSON payload with their network user id
 *    as a value (or their handle as the value of a handle field: screen_name, username,
 *    handle, acct), an import line with their id as a field. A payload that names neither
 *    (rejected for lacking its author, say) cannot be told apart and stays;
 *  - relayed live events (`live_event`, kept minutes) about their messages or conversations
 *    are deleted;
 *  - earlier audit entries keep who did what when, but lose what they held about the person:
 *    a CRM link's customer id, consent note and previous id; moderation entries' evidence
 *    (`[erased]`) and author handle; the cited rule stays;
 *  - moderation of their posts or of them keeps its action, rule and status; the evidence
 *    (the agent's words, which quote them) becomes `[erased]`;
 *  - a web chat visitor's token record goes (their visitor id was their network user id).
 * Internal notes may quote them: those are not rewritten automatically (an agent's words, and
 * which ones quote the person is a judgement); the result says how many notes the admin should
 * read. Expert questions and answers on their conversations are the same kind of staff text
 * and are left as notes are. Triage corrections hold only labels (category, sentiment...): no
 * text of theirs. The brand's own replies (which may address them by handle) are the brand's
 * published words and stay. Admins (or the system: `parley contact erase`) only, with a reason;
 * audited with who, when and why, never the erased content. The brand's own account (an
 * identity that is one of the brand's channel accounts) is refused.
 */
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { publishRedacted } from '../pipeline/deletions.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { redactMessages } from '../store/redact.js';
import { inLists, inValues, type Tx } from '../store/util.js';
import type { Actor } from './context.js';

/** What replaces a name or handle. */
export const ERASED = 'erased';

export interface EraseContactInput {
  contactId: number;
  /** Why (the request's reference, e.g. "GDPR request #123"): audited. */
  reason: string;
}

export interface EraseContactResult {
  contactId: number;
  messagesRedacted: number;
  identitiesErased: number;
  /** Conversations with internal notes, which may quote the person: for the admin to review. */
  notesToReview: { count: number; conversationIds: number[] };
  /** What else was erased: rows changed or deleted, per kind. */
  alsoErased: AlsoErased;
}

export interface AlsoErased {
  notifications: number;
  quarantined: number;
  liveEvents: number;
  auditEntries: number;
  moderationEvidence: number;
  webchatVisitors: number;
}

/** What replaces quoted text (moderation evidence). */
export const ERASED_TEXT = '[erased]';

export async function eraseContact(deps: { store: Store; bus: EventBus; clock: Clock }, actor: Actor, p: EraseContactInput): Promise<EraseContactResult> {
  if (!(actor.role === 'admin' && actor.userId != null) && actor.role !== 'system') throw forbidden('only an admin can erase a customer');
  const reason = p.reason.trim();
  if (reason.length < 3) throw badRequest('validation', 'say why the customer is erased (at least 3 characters), e.g. the request\'s reference');
  const { store, bus, clock } = deps;
  const contact = await store.db.selectFrom('contact').select('id').where('id', '=', p.contactId).where('brand_id', '=', actor.brandId).executeTakeFirst();
  if (!contact) throw notFound('contact');
  const now = clock.now();
  const out = await store.db.transaction().execute(async (trx) => {
    const identities = await trx.selectFrom('contact_identity').select(['id', 'network', 'network_user_id', 'handle', 'display_name']).where('contact_id', '=', p.contactId).where('brand_id', '=', actor.brandId).execute();
    for (const i of identities) {
      const own = await trx.selectFrom('channel_account').select('id').where('brand_id', '=', actor.brandId).where('network', '=', i.network).where('external_id', '=', i.network_user_id).executeTakeFirst();
      if (own) throw conflict('contact.brand_account', 'this contact is one of the brand\'s own accounts: it cannot be erased');
    }
    const identityIds = identities.map((i) => Number(i.id));
    const messageIds = identityIds.length
      ? (await trx.selectFrom('message').select('id').where('brand_id', '=', actor.brandId).where('author_identity_id', 'in', identityIds).where('direction', '=', 'inbound').execute()).map((m) => Number(m.id))
      : [];
    const conversations = (await trx.selectFrom('conversation').select('id').where('contact_id', '=', p.contactId).where('brand_id', '=', actor.brandId).execute()).map((c) => Number(c.id));
    const redaction = await redactMessages(trx, store, { brandId: actor.brandId, messageIds, reason: 'erasure', actor: actor.name, now });
    const alsoErased = await eraseTraces(trx, store, { brandId: actor.brandId, contactId: p.contactId, identities, messageIds, conversations });
    alsoErased.notifications += redaction.notifications;
    for (const id of identityIds) {
      await trx.updateTable('contact_identity')
        .set({ handle: ERASED, display_name: ERASED, avatar_url: null, profile_url: null, followers: null, verified: 0, network_user_id: `${ERASED}:${id}`, updated_at: now })
        .where('id', '=', id)
        .execute();
    }
    await trx.deleteFrom('crm_consent').where('contact_id', '=', p.contactId).execute();
    await trx.updateTable('contact').set({ display_name: ERASED, crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, updated_at: now }).where('id', '=', p.contactId).execute();
    const notes = conversations.length
      ? await trx.selectFrom('note').select(['conversation_id']).where('conversation_id', 'in', conversations).execute()
      : [];
    const notesToReview = { count: notes.length, conversationIds: [...new Set(notes.map((n) => Number(n.conversation_id)))].sort((a, b) => a - b) };
    await audit(trx, {
      brandId: actor.brandId, actor: actor.name, action: 'contact.erased', subjectType: 'contact', subjectId: p.contactId,
      // who, when (the entry's time) and why; counts only, never what was erased
      data: { reason, messagesRedacted: redaction.redacted.length, identitiesErased: identityIds.length, notesToReview: notesToReview.count, alsoErased },
    }, now);
    return { messagesRedacted: redaction.redacted, identitiesErased: identityIds.length, notesToReview, alsoErased };
  });
  await publishRedacted({ store, bus }, actor.brandId, out.messagesRedacted);
  bus.publish(actor.brandId, 'contact.updated', { contactId: p.contactId, crmCustomerId: null, erased: true });
  return { contactId: p.contactId, messagesRedacted: out.messagesRedacted.length, identitiesErased: out.identitiesErased, notesToReview: out.notesToReview, alsoErased: out.alsoErased };
}

interface Traces {
  brandId: number;
  contactId: number;
  identities: readonly { id: number; network: string; network_user_id: string; handle: string; display_name: string | null }[];
  messageIds: readonly number[];
  conversations: readonly number[];
}

/** Rows read per page when scanning a table for the person. */
const SCAN_PAGE = 500;

/** The person's traces outside their messages, identities and contact (see the file's comment). */
async function eraseTraces(trx: Tx, store: Store, t: Traces): Promise<AlsoErased> {
  const handles = [...new Set(t.identities.map((i) => i.handle.replace(/^@/, '')).filter((h) => h.length >= 2 && h !== ERASED))];
  const names = [...new Set(t.identities.map((i) => i.display_name?.trim() ?? '').filter((n) => n.length >= 3 && n !== ERASED))];
  const userIds = [...new Set(t.identities.map((i) => i.network_user_id).filter((u) => u !== '' && !u.startsWith(`${ERASED}:`)))];
  const messages = new Set(t.messageIds);
  const conversations = new Set(t.conversations);
  const out: AlsoErased = { notifications: 0, quarantined: 0, liveEvents: 0, auditEntries: 0, moderationEvidence: 0, webchatVisitors: 0 };

  // notifications naming them: `@handle` anywhere in the brand; their name on their conversations
  const handleRe = handles.length ? new RegExp(`@(?:${handles.map(escapeRe).join('|')})(?![\\p{L}\\p{N}_])`, 'giu') : null;
  const nameRe = names.length ? new RegExp(names.map(escapeRe).join('|'), 'giu') : null;
  const scrub = (s: string, theirs: boolean) => {
    let r = handleRe ? s.replace(handleRe, `@${ERASED}`) : s;
    if (theirs && nameRe) r = r.replace(nameRe, ERASED);
    return r;
  };
  for (let after = 0; ;) {
    const rows = await trx.selectFrom('notification').select(['id', 'title', 'body', 'conversation_id']).where('brand_id', '=', t.brandId).where('id', '>', after)
      .where((eb) => eb.or([
        ...handles.flatMap((h) => [eb(eb.fn('lower', ['title']), 'like', `%@${h.toLowerCase()}%`), eb(eb.fn('lower', ['body']), 'like', `%@${h.toLowerCase()}%`)]),
        ...(t.conversations.length ? [eb('conversation_id', 'in', [...t.conversations])] : []),
      ]))
      .orderBy('id').limit(SCAN_PAGE).execute();
    for (const n of rows) {
      const theirs = n.conversation_id != null && conversations.has(Number(n.conversation_id));
      const title = scrub(n.title, theirs);
      const body = scrub(n.body, theirs);
      if (title === n.title && body === n.body) continue;
      await trx.updateTable('notification').set({ title, body }).where('id', '=', n.id).execute();
      out.notifications++;
    }
    if (rows.length < SCAN_PAGE) break;
    after = Number(rows[rows.length - 1]!.id);
  }

  // quarantined deliveries of theirs: narrowed in SQL by a substring, decided on the parsed payload
  const needles = [...userIds, ...handles];
  if (needles.length) {
    for (let after = 0; ;) {
      const rows = await trx.selectFrom('quarantine').select(['id', 'raw']).where('brand_id', '=', t.brandId).where('id', '>', after)
        .where((eb) => eb.or(needles.map((n) => eb(eb.fn('lower', ['raw']), 'like', `%${n.toLowerCase()}%`))))
        .orderBy('id').limit(SCAN_PAGE).execute();
      const theirs = rows.filter((r) => deliveryOf(r.raw, userIds, handles)).map((r) => Number(r.id));
      for (const part of inLists(theirs)) {
        const r = await trx.deleteFrom('quarantine').where(inValues(store, 'id', part, 'bigint')).executeTakeFirst();
        out.quarantined += Number(r.numDeletedRows);
      }
      if (rows.length < SCAN_PAGE) break;
      after = Number(rows[rows.length - 1]!.id);
    }
  }

  // live events relayed between processes (minutes old at most): those about their messages or conversations
  if (messages.size || conversations.size) {
    for (let after = 0; ;) {
      const rows = await trx.selectFrom('live_event').select(['id', 'data']).where('brand_id', '=', t.brandId).where('id', '>', after).orderBy('id').limit(SCAN_PAGE).execute();
      const theirs = rows.filter((r) => liveEventAbout(r.data, messages, conversations)).map((r) => Number(r.id));
      for (const part of inLists(theirs)) {
        const r = await trx.deleteFrom('live_event').where(inValues(store, 'id', part, 'bigint')).executeTakeFirst();
        out.liveEvents += Number(r.numDeletedRows);
      }
      if (rows.length < SCAN_PAGE) break;
      after = Number(rows[rows.length - 1]!.id);
    }
  }

  // moderation of their posts or of them: the action, rule and status stay, the evidence goes
  const identityIds = t.identities.map((i) => Number(i.id));
  const moderation = identityIds.length || messages.size
    ? await trx.selectFrom('moderation_action').select(['id', 'evidence']).where('brand_id', '=', t.brandId).where((eb) => eb.or([
      ...(identityIds.length ? [eb('identity_id', 'in', identityIds)] : []),
      ...[...inLists([...messages])].map((part) => eb('message_id', 'in', part)),
    ])).execute()
    : [];
  const evidenceIds = moderation.filter((m) => m.evidence !== ERASED_TEXT).map((m) => Number(m.id));
  for (const part of inLists(evidenceIds)) {
    const r = await trx.updateTable('moderation_action').set({ evidence: ERASED_TEXT }).where(inValues(store, 'id', part, 'bigint')).executeTakeFirst();
    out.moderationEvidence += Number(r.numUpdatedRows);
  }

  // audit entries: who did what when stays; what they held about the person goes
  const entries = await trx.selectFrom('audit_event').select(['id', 'action', 'data']).where('brand_id', '=', t.brandId).where((eb) => eb.or([
    eb.and([eb('subject_type', '=', 'contact'), eb('subject_id', '=', String(t.contactId)), eb('action', 'in', ['contact.crm_linked', 'contact.crm_unlinked'])]),
    ...[...inLists([...messages])].map((part) => eb.and([eb('subject_type', '=', 'message'), eb('subject_id', 'in', part.map(String)), eb('action', 'like', 'moderation.%')])),
    ...[...inLists(moderation.map((m) => String(m.id)))].map((part) => eb.and([eb('subject_type', '=', 'moderation_action'), eb('subject_id', 'in', part), eb('action', 'like', 'moderation.%')])),
  ])).execute();
  for (const e of entries) {
    let data: Record<string, unknown>;
    try {
      data = JSON.parse(e.data) as Record<string, unknown>;
    } catch {
      continue;
    }
    if (data === null || typeof data !== 'object') continue;
    const fields = e.action.startsWith('moderation.') ? { evidence: ERASED_TEXT, author: ERASED } : { crmCustomerId: ERASED_TEXT, note: ERASED_TEXT, previous: ERASED_TEXT };
    let changed = false;
    for (const [k, v] of Object.entries(fields)) {
      if (data[k] != null && data[k] !== v) {
        data[k] = v;
        changed = true;
      }
    }
    if (!changed) continue;
    await trx.updateTable('audit_event').set({ data: JSON.stringify(data) }).where('id', '=', e.id).execute();
    out.auditEntries++;
  }

  // a web chat visitor's token record: their visitor id was the identity's network user id
  const visitors = t.identities.filter((i) => i.network === 'webchat').map((i) => i.network_user_id);
  if (visitors.length) {
    const r = await trx.deleteFrom('webchat_visitor').where('brand_id', '=', t.brandId).where('visitor_id', 'in', visitors).executeTakeFirst();
    out.webchatVisitors = Number(r.numDeletedRows);
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Keys whose value names an account (a handle, not an id). */
const HANDLE_KEY = /^(screen_name|username|user_name|handle|acct|author_handle|authorHandle)$/i;

/**
 * Is this quarantined payload a delivery of theirs? A JSON payload: one of its values is
 * their network user id (a short id, under 6 characters, only as the value of a key with
 * "id" in its name), or one of their handles as the value of a handle field. Not JSON (an
 * import line, or a payload cut at 256 KB): their id (6 characters or more) as a whole field
 * or token. A mention of them in someone else's post does not count.
 */
export function deliveryOf(raw: string, userIds: readonly string[], handles: readonly string[]): boolean {
  const ids = new Set(userIds);
  const hs = new Set(handles.map((h) => h.toLowerCase()));
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return userIds.some((id) => id.length >= 6 && new RegExp(`(^|[^\\p{L}\\p{N}_:-])${escapeRe(id)}($|[^\\p{L}\\p{N}_:-])`, 'u').test(raw));
  }
  const walk = (v: unknown, key: string, depth: number): boolean => {
    if (depth > 40) return false;
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint') {
      const s = String(v);
      if (ids.has(s) && (s.length >= 6 || /id/i.test(key))) return true;
      return typeof v === 'string' && HANDLE_KEY.test(key) && hs.has(s.replace(/^@/, '').toLowerCase());
    }
    if (Array.isArray(v)) return v.some((x) => walk(x, key, depth + 1));
    if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => walk(x, k, depth + 1));
    return false;
  };
  return walk(parsed, '', 0);
}

/** Is this relayed live event (`{ type, data }`) about one of these messages or conversations? */
function liveEventAbout(json: string, messages: ReadonlySet<number>, conversations: ReadonlySet<number>): boolean {
  let e: { type?: unknown; data?: unknown };
  try {
    e = JSON.parse(json) as typeof e;
  } catch {
    return false;
  }
  const type = typeof e.type === 'string' ? e.type : '';
  const seen = (v: unknown, set: ReadonlySet<number>) => (typeof v === 'number' || typeof v === 'string') && set.has(Number(v));
  const walk = (v: unknown, key: string, depth: number): boolean => {
    if (depth > 20) return false;
    if (Array.isArray(v)) return v.some((x) => walk(x, key, depth + 1));
    if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => walk(x, k, depth + 1));
    if (key === 'messageId' || key === 'message_id') return seen(v, messages);
    if (key === 'conversationId' || key === 'conversation_id') return seen(v, conversations);
    return false;
  };
  const d = e.data as Record<string, unknown> | undefined;
  if (d && typeof d === 'object' && !Array.isArray(d)) {
    if (type.startsWith('message') && seen(d.id, messages)) return true;
    if (type.startsWith('conversation') && seen(d.id, conversations)) return true;
  }
  return walk(e.data, '', 0);
}
