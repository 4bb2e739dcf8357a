/**
 * One customer, several profiles: merging two contacts of a brand into one, and splitting an
 * identity back out when a merge was wrong.
 *
 * Parley makes one contact per network identity (src/pipeline/ingest.ts), so the customer who
 * tweets, is taken private and then writes from their email address is two strangers. A merge
 * moves everything keyed by the other contact onto the surviving one: its identities, its
 * conversations and its CRM consent records (`contact_identity`, `conversation`, `crm_consent`
 * are the only tables with a `contact_id`; messages, moderation, web chat visitors and reporting
 * facts hang off an identity or a conversation and so follow them). The other contact row is
 * deleted: nothing points at it any more, and `mergedContactIds` finds it again from the audit
 * log for erasure and subject access (the audit entries about it keep its id).
 *
 * Ingest finds an identity's contact inside its own transaction, under the brand's ingest lock
 * (`lockBrand` scope 1), and caches no identity → contact in memory. A merge takes the same lock,
 * so an ingest in flight either commits before the merge (whose reads then see and move what it
 * wrote) or starts after it (and finds the identities on the survivor); none writes to the
 * deleted contact. Two merges of the same pair in opposite directions take turns on that lock:
 * the second finds one of its contacts gone (404) and moves nothing; no identity is lost.
 */
import { sql, type SqlBool } from 'kysely';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { lockBrand, type Tx } from '../store/util.js';
import { checkConsent, messageOf, recordConsent, type ConsentInput } from './contacts.js';
import type { Actor } from './context.js';

export interface ContactMergeDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
}

/** Consent given for the merged profiles, as `crm-link` records it (its message may be either contact's). */
export type MergeConsent = ConsentInput;

export interface MergeContactsInput {
  /** The contact whose identities and conversations move to the survivor; it is then deleted. */
  otherContactId: number;
  /** Why they are one person (e.g. "said in DM that @x is them"): audited, required. */
  reason: string;
  /** A message of either contact that shows it. */
  evidenceMessageId?: number | null;
  /** Needed when exactly one of the two is linked to a CRM customer (see `mergeContacts`). */
  crmConsent?: MergeConsent | null;
}

export interface MergeContactsResult {
  contactId: number;
  mergedContactId: number;
  identitiesMoved: number[];
  conversationsMoved: number[];
  crmCustomerId: string | null;
}

export interface SplitIdentityInput {
  identityId: number;
  reason?: string | null;
}

export interface SplitIdentityResult {
  contactId: number;
  newContactId: number;
  identityId: number;
  conversationsMoved: number[];
}

const WORKERS = ['agent', 'approver', 'admin'];

/**
 * The contacts whose rows now sit on `contactId`, found from the audit log (the merged contact
 * rows are deleted; entries about them keep their ids): every contact merged into it, in turn
 * (a contact merged into one that is merged later), less those whose every identity was split
 * off again, plus, for a contact a split made, the contacts its identity had come from. Erasure
 * and subject access export cover their audit entries too.
 */
/**
 * The merge and split entries, written as the partial index `audit_event_contact_merge` is (as
 * literals, not parameters: that is how both databases' planners see that the index holds them).
 */
const MERGE_ENTRIES = sql<SqlBool>`subject_type = 'contact' AND action IN ('contact.merged', 'contact.split')`;

/** The merge and split entries about these contacts, oldest first. */
export const mergeEntriesOf = (db: Tx, brandId: number, contactIds: readonly number[]) =>
  db.selectFrom('audit_event').select(['subject_id', 'action', 'data']).where('brand_id', '=', brandId).where(MERGE_ENTRIES).where('subject_id', 'in', contactIds.map(String)).orderBy('id');

export async function mergedContactIds(db: Tx, brandId: number, contactId: number): Promise<number[]> {
  const seen = new Set<number>([contactId]);
  let frontier = [contactId];
  while (frontier.length) {
    const rows = await mergeEntriesOf(db, brandId, frontier).execute();
    // per contact, the contacts merged into it and which of their identities are still there
    const merged = new Map<number, Map<number, Set<number>>>();
    for (const r of rows) {
      const subject = Number(r.subject_id);
      let d: { otherContactId?: unknown; identities?: { id?: unknown }[]; contactId?: unknown; newContactId?: unknown; identity?: { id?: unknown }; formerContactIds?: unknown };
      try {
        d = JSON.parse(r.data) as typeof d;
      } catch {
        continue;
      }
      const into = merged.get(subject) ?? new Map<number, Set<number>>();
      merged.set(subject, into);
      if (r.action === 'contact.merged' && typeof d.otherContactId === 'number') {
        const ids = into.get(d.otherContactId) ?? new Set<number>();
        for (const i of Array.isArray(d.identities) ? d.identities : []) if (typeof i?.id === 'number') ids.add(i.id);
        into.set(d.otherContactId, ids);
      } else if (r.action === 'contact.split') {
        const identity = d.identity?.id;
        if (d.contactId === subject) {
          // the identity left: a contact merged in whose identities have all left is no longer this one's
          for (const [other, ids] of into) if (typeof identity === 'number' && ids.delete(identity) && ids.size === 0) into.delete(other);
        } else if (d.newContactId === subject && Array.isArray(d.formerContactIds)) {
          for (const f of d.formerContactIds) if (typeof f === 'number' && typeof identity === 'number') into.set(f, new Set([identity]));
        }
      }
    }
    frontier = [];
    for (const into of merged.values()) for (const id of into.keys()) if (!seen.has(id)) (seen.add(id), frontier.push(id));
  }
  seen.delete(contactId);
  return [...seen].sort((a, b) => a - b);
}

/** Read both contacts under the brand's ingest lock (PostgreSQL: their rows too, lowest id first). */
async function lockContacts(trx: Tx, store: Store, brandId: number, ids: number[]) {
  await lockBrand(trx, store, brandId);
  let q = trx.selectFrom('contact').selectAll().where('brand_id', '=', brandId).where('id', 'in', ids).orderBy('id');
  if (store.dialect === 'postgres') q = q.forUpdate();
  return q.execute();
}

/** The latest conversation of a contact: where its timeline shows a merge or split. */
async function latestConversation(trx: Tx, contactId: number): Promise<number | null> {
  const c = await trx.selectFrom('conversation').select('id').where('contact_id', '=', contactId).orderBy('last_message_at', 'desc').orderBy('id', 'desc').limit(1).executeTakeFirst();
  return c ? Number(c.id) : null;
}

/**
 * Merge `otherContactId` into `contactId` (the survivor), in one transaction. Agents, approvers
 * and admins; both contacts of the actor's brand (404 otherwise); a reason is required; the
 * evidence, when given, must be an inbound message of either contact.
 *
 * CRM links. A link says "this customer's profile is customer X in the CRM", and Parley records
 * it only with the customer's consent; the link is the contact's, so it covers every identity the
 * contact has. A merge must never put identities under a link their consent did not cover:
 *  - both linked, to different CRM customers: 409 `contact.merge_conflict`, nothing written
 *    (two customer records for one person is for the CRM's people to sort out first);
 *  - both linked to the same CRM customer: each consent covered its own profiles for that very
 *    record, so together they cover the merged contact; the link stays, both consent histories
 *    move onto the survivor as they are;
 *  - exactly one linked (either side): the consent was given from that contact's profiles only.
 *    That the person is the same is the agent's judgement from a message, not the customer's
 *    agreement that their other profile be linked too; so the merge asks for that agreement
 *    (`crmConsent`, recorded as `crm-link` records it: their message, of either contact, a
 *    verified form or a call) and without it is a 409 `contact.merge_consent_required`. With it
 *    the link is on the survivor (moved there when it was the other's), the new consent is
 *    recorded and the earlier one is marked superseded (`withdrawn_at`, as a re-link does);
 *    every consent record keeps its history and moves with the contact. The link is never
 *    dropped silently: an agent who cannot get the consent removes the link first, with a reason.
 * A later split leaves the link where it is: it takes identities away, it never adds one.
 */
export async function mergeContacts(deps: ContactMergeDeps, actor: Actor, contactId: number, p: MergeContactsInput): Promise<MergeContactsResult> {
  if (!WORKERS.includes(actor.role)) throw forbidden();
  const reason = p.reason.trim();
  if (reason.length < 3) throw badRequest('validation', 'say why they are the same person (at least 3 characters)');
  const otherId = p.otherContactId;
  if (otherId === contactId) throw badRequest('validation', 'a contact cannot be merged with itself');
  const { store, bus, clock } = deps;
  const now = clock.now();
  const out = await store.db.transaction().execute(async (trx) => {
    const rows = await lockContacts(trx, store, actor.brandId, [contactId, otherId]);
    const survivor = rows.find((r) => Number(r.id) === contactId);
    const other = rows.find((r) => Number(r.id) === otherId);
    if (!survivor || !other) throw notFound('contact');
    const pair = [contactId, otherId];
    if (p.evidenceMessageId != null && !(await messageOf(trx, actor.brandId, p.evidenceMessageId, pair))) {
      throw badRequest('contact.merge_evidence', 'the evidence must be a message one of these two customers sent');
    }

    // the CRM link (see above): which one the merged contact has, and whether it needs consent
    const a = survivor.crm_customer_id;
    const b = other.crm_customer_id;
    if (a != null && b != null && a !== b) throw conflict('contact.merge_conflict', 'both customers are linked to different CRM customers: remove one link first');
    const link = a ?? b;
    const needsConsent = (a == null) !== (b == null);
    const c = p.crmConsent;
    let note: string | null = null;
    if (needsConsent) {
      if (!c) throw conflict('contact.merge_consent_required', 'one of them is linked to a CRM customer: the link may cover the other profile only with the customer\'s consent; record how they gave it, or remove the link first');
      note = await checkConsent(trx, actor.brandId, c, pair);
      if (actor.userId == null) throw forbidden('consent is recorded by a person');
    }

    const survivorConversation = await latestConversation(trx, contactId);
    const otherConversation = await latestConversation(trx, otherId);
    const identities = await trx.updateTable('contact_identity').set({ contact_id: contactId, updated_at: now }).where('contact_id', '=', otherId).where('brand_id', '=', actor.brandId)
      .returning(['id', 'network', 'handle']).execute();
    const conversations = await trx.updateTable('conversation').set({ contact_id: contactId }).where('contact_id', '=', otherId).where('brand_id', '=', actor.brandId).returning('id').execute();
    await trx.updateTable('crm_consent').set({ contact_id: contactId }).where('contact_id', '=', otherId).where('brand_id', '=', actor.brandId).execute();

    // the link on the survivor, with the new consent (the one it had, moved here too, superseded)
    if (needsConsent && c && link) await recordConsent(trx, actor, { contactId, crmCustomerId: link, consent: c, note, auditExtra: { merge: true } }, now);
    await trx.updateTable('contact').set({ updated_at: now, ...(!survivor.display_name && other.display_name ? { display_name: other.display_name } : {}) }).where('id', '=', contactId).execute();
    await trx.deleteFrom('contact').where('id', '=', otherId).execute();

    const data = {
      contactId, otherContactId: otherId, reason, evidenceMessageId: p.evidenceMessageId ?? null,
      identities: identities.map((i) => ({ id: Number(i.id), network: i.network, handle: i.handle })),
      conversationsMoved: conversations.map((r) => Number(r.id)),
      crmLink: link == null ? 'none' : needsConsent ? (a == null ? 'moved_with_consent' : 'extended_with_consent') : 'same',
    };
    // on both customers' timelines (their latest conversations); the entry is about the survivor
    const timelines = [...new Set([survivorConversation, otherConversation])];
    for (const conversationId of timelines) {
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'contact.merged', subjectType: 'contact', subjectId: contactId, conversationId, data }, now);
    }
    return { identities: data.identities.map((i) => i.id), conversations: data.conversationsMoved, link };
  });
  bus.publish(actor.brandId, 'contact.updated', { contactId, mergedContactId: otherId, crmCustomerId: out.link });
  // whoever has the other customer's conversation open sees it become the survivor's
  bus.publish(actor.brandId, 'contact.updated', { contactId: otherId, mergedInto: contactId });
  return { contactId, mergedContactId: otherId, identitiesMoved: out.identities, conversationsMoved: out.conversations, crmCustomerId: out.link };
}

/**
 * Undo a wrong merge, an identity at a time: `identityId` leaves `contactId` for a new contact,
 * with the conversations that are its own (those where every customer message is its). A
 * conversation the two wrote in stays. The CRM link and its consent stay with `contactId`: a
 * split takes identities away from a link, never adds one. The last identity cannot leave (409
 * `contact.split_last_identity`). Audited on both customers' timelines.
 */
export async function splitIdentity(deps: ContactMergeDeps, actor: Actor, contactId: number, p: SplitIdentityInput): Promise<SplitIdentityResult> {
  if (!WORKERS.includes(actor.role)) throw forbidden();
  const { store, bus, clock } = deps;
  const now = clock.now();
  const out = await store.db.transaction().execute(async (trx) => {
    const [contact] = await lockContacts(trx, store, actor.brandId, [contactId]);
    if (!contact) throw notFound('contact');
    const identities = await trx.selectFrom('contact_identity').select(['id', 'network', 'handle', 'display_name']).where('contact_id', '=', contactId).where('brand_id', '=', actor.brandId).execute();
    const identity = identities.find((i) => Number(i.id) === p.identityId);
    if (!identity) throw notFound('identity');
    if (identities.length < 2) throw conflict('contact.split_last_identity', 'this is the customer\'s only profile: there is nothing to split it from');
    const own = await trx.selectFrom('conversation as c').select('c.id').where('c.contact_id', '=', contactId).where('c.brand_id', '=', actor.brandId)
      .where(({ exists, selectFrom }) => exists(selectFrom('message as m').select(sql`1`.as('one')).whereRef('m.conversation_id', '=', 'c.id').where('m.author_identity_id', '=', p.identityId)))
      .where(({ exists, not, selectFrom }) => not(exists(selectFrom('message as m').select(sql`1`.as('one')).whereRef('m.conversation_id', '=', 'c.id').where('m.author_identity_id', 'is not', null).where('m.author_identity_id', '!=', p.identityId))))
      .execute();
    const moved = own.map((c) => Number(c.id));
    const created = await trx.insertInto('contact').values({
      brand_id: actor.brandId, display_name: identity.display_name || identity.handle || null, crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, created_at: now, updated_at: now,
    }).returning('id').executeTakeFirstOrThrow();
    const newContactId = Number(created.id);
    await trx.updateTable('contact_identity').set({ contact_id: newContactId, updated_at: now }).where('id', '=', p.identityId).execute();
    if (moved.length) await trx.updateTable('conversation').set({ contact_id: newContactId }).where('id', 'in', moved).execute();
    await trx.updateTable('contact').set({ updated_at: now }).where('id', '=', contactId).execute();
    // the contacts this identity was merged in from: their audit entries follow it (`mergedContactIds`)
    const merges = (await mergeEntriesOf(trx, actor.brandId, [contactId]).execute()).filter((m) => m.action === 'contact.merged');
    const formerContactIds = [...new Set(merges.flatMap((m) => {
      try {
        const d = JSON.parse(m.data) as { otherContactId?: unknown; identities?: { id?: unknown }[] };
        return typeof d.otherContactId === 'number' && d.identities?.some((i) => i?.id === p.identityId) ? [d.otherContactId] : [];
      } catch {
        return [];
      }
    }))];
    const data = { contactId, newContactId, identity: { id: p.identityId, network: identity.network, handle: identity.handle }, conversationsMoved: moved, formerContactIds, reason: p.reason?.trim() || null };
    // on both customers' timelines, each entry about its own customer
    for (const subject of [contactId, newContactId]) {
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'contact.split', subjectType: 'contact', subjectId: subject, conversationId: await latestConversation(trx, subject), data }, now);
    }
    return { newContactId, moved };
  });
  bus.publish(actor.brandId, 'contact.updated', { contactId, splitContactId: out.newContactId });
  return { contactId, newContactId: out.newContactId, identityId: p.identityId, conversationsMoved: out.moved };
}

export interface ContactSearchItem {
  id: number;
  displayName: string | null;
  crmLinked: boolean;
  identities: { identityId: number; network: string; handle: string; displayName: string | null }[];
}

/** `%`, `_` and the escape itself, taken literally in a LIKE pattern. */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The brand's contacts whose handle, name or email address contains `q` (case-insensitive),
 * at most `limit`, with their identities: for picking the profile to merge with.
 */
export async function searchContacts(store: Store, brandId: number, q: string, limit: number): Promise<ContactSearchItem[]> {
  const needle = q.trim().replace(/^@/, '').toLowerCase();
  if (!needle) return [];
  const pat = `%${likeLiteral(needle)}%`;
  const like = (col: string) => sql<boolean>`lower(${sql.ref(col)}) like ${pat} escape '\\'`;
  const byIdentity = await store.db.selectFrom('contact_identity').select('contact_id').distinct().where('brand_id', '=', brandId)
    .where((eb) => eb.or([like('handle'), like('display_name'), eb.and([eb('network', '=', 'email'), like('network_user_id')])]))
    .orderBy('contact_id', 'desc').limit(limit).execute();
  const byName = await store.db.selectFrom('contact').select('id').where('brand_id', '=', brandId).where(like('display_name')).orderBy('id', 'desc').limit(limit).execute();
  const ids = [...new Set([...byIdentity.map((r) => Number(r.contact_id)), ...byName.map((r) => Number(r.id))])].sort((a, b) => b - a).slice(0, limit);
  if (!ids.length) return [];
  const contacts = await store.db.selectFrom('contact').select(['id', 'display_name', 'crm_customer_id']).where('brand_id', '=', brandId).where('id', 'in', ids).execute();
  const idents = await store.db.selectFrom('contact_identity').select(['id', 'contact_id', 'network', 'handle', 'display_name']).where('brand_id', '=', brandId).where('contact_id', 'in', ids).orderBy('id').execute();
  const byId = new Map(contacts.map((c) => [Number(c.id), c]));
  return ids.filter((id) => byId.has(id)).map((id) => {
    const c = byId.get(id)!;
    return {
      id, displayName: c.display_name, crmLinked: c.crm_customer_id != null,
      identities: idents.filter((i) => Number(i.contact_id) === id).map((i) => ({ identityId: Number(i.id), network: i.network, handle: i.handle, displayName: i.display_name })),
    };
  });
}
