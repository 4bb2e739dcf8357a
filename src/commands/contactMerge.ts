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
import { foldWord, NAME_KEY_LENGTH, NAME_WORD, wordKey } from '../core/nameWords.js';
import { searchKey } from '../core/searchKey.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { AuditEvent } from '../store/schema.js';
import { lockBrand, type Tx } from '../store/util.js';
import { checkConsent, messageOf, recordConsent, removeCrmLink, type CheckedConsent, type ConsentInput } from './contacts.js';
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
  /**
   * Also remove the CRM link that came with the merge being undone (see `splitIdentity`), with
   * the reason audited as a CRM unlink's. When the link did not come with it: 409
   * `contact.split_link_kept` and nothing is written.
   */
  removeCrmLink?: { reason: string } | null;
}

export interface SplitIdentityResult {
  contactId: number;
  newContactId: number;
  identityId: number;
  conversationsMoved: number[];
  crmLinkRemoved: boolean;
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
  db.selectFrom('audit_event').select(['subject_id', 'action', 'data', 'created_at']).where('brand_id', '=', brandId).where(MERGE_ENTRIES).where('subject_id', 'in', contactIds.map(String)).orderBy('id');

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
    let checked: CheckedConsent = { note: null, askMessageId: null };
    if (needsConsent) {
      if (!c) throw conflict('contact.merge_consent_required', 'one of them is linked to a CRM customer: the link may cover the other profile only with the customer\'s consent; record how they gave it, or remove the link first');
      checked = await checkConsent(trx, actor.brandId, c, pair);
      if (actor.userId == null) throw forbidden('consent is recorded by a person');
    }

    const survivorConversation = await latestConversation(trx, contactId);
    const otherConversation = await latestConversation(trx, otherId);
    const identities = await trx.updateTable('contact_identity').set({ contact_id: contactId, updated_at: now }).where('contact_id', '=', otherId).where('brand_id', '=', actor.brandId)
      .returning(['id', 'network', 'handle']).execute();
    const conversations = await trx.updateTable('conversation').set({ contact_id: contactId }).where('contact_id', '=', otherId).where('brand_id', '=', actor.brandId).returning('id').execute();
    await trx.updateTable('crm_consent').set({ contact_id: contactId }).where('contact_id', '=', otherId).where('brand_id', '=', actor.brandId).execute();

    // the link on the survivor, with the new consent (the one it had, moved here too, superseded)
    const crmConsentId = needsConsent && c && link ? await recordConsent(trx, actor, { contactId, crmCustomerId: link, consent: c, checked, auditExtra: { merge: true } }, now) : null;
    await trx.updateTable('contact').set({ updated_at: now, ...(!survivor.display_name && other.display_name ? { display_name: other.display_name } : {}) }).where('id', '=', contactId).execute();
    await trx.deleteFrom('contact').where('id', '=', otherId).execute();

    const data = {
      contactId, otherContactId: otherId, reason, evidenceMessageId: p.evidenceMessageId ?? null,
      identities: identities.map((i) => ({ id: Number(i.id), network: i.network, handle: i.handle })),
      conversationsMoved: conversations.map((r) => Number(r.id)),
      crmLink: link == null ? 'none' : needsConsent ? (a == null ? 'moved_with_consent' : 'extended_with_consent') : 'same',
      // the consent this merge recorded: a split finds from it whether the link is still the one the merge brought
      crmConsentId,
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
 * The CRM link on `contactId` that came with the merge that brought `identityId` in, when there
 * is one to offer to remove with a split of it: that merge moved the link here from the contact
 * merged in (`crmLink: 'moved_with_consent'`: this customer's own profiles were not linked
 * before it), the consent it recorded is still the current one (not re-linked or replaced
 * since), and no other profile that came with that merge stays (`staying`: the identities
 * that stay after the split). A link the customer had before the merge is never offered.
 *
 * Merges recorded before the entry named its consent (`crmConsentId`, from 12-06) are read from
 * what that merge wrote in the same transaction, at the same `now`: the consent record it made
 * on the survivor (`granted_at` = the entry's time, the merged link's CRM id) and its
 * `contact.crm_linked` entry marked `merge: true`. Only when exactly one consent record and one
 * such entry fit is it that merge's; otherwise (two links recorded in the same millisecond, a
 * consent record erased) nothing is offered, as before.
 */
async function linkFromMerge(db: Tx, brandId: number, contact: { id: number; crm_customer_id: string | null }, identityId: number, staying: readonly number[]) {
  if (contact.crm_customer_id == null) return null;
  const merges = await mergeEntriesOf(db, brandId, [contact.id]).execute();
  type Merged = { crmLink?: unknown; crmConsentId?: unknown; identities?: { id?: unknown }[]; contactId?: unknown };
  let brought: (Merged & { at: number }) | null = null;
  for (const m of merges) {
    if (m.action !== 'contact.merged') continue;
    try {
      const d = JSON.parse(m.data) as Merged;
      if (Array.isArray(d.identities) && d.identities.some((i) => i?.id === identityId)) brought = { ...d, at: Number(m.created_at) }; // the latest merge that brought it
    } catch {
      continue;
    }
  }
  if (!brought || brought.crmLink !== 'moved_with_consent') return null;
  if ((brought.identities ?? []).some((i) => typeof i?.id === 'number' && i.id !== identityId && staying.includes(i.id))) return null;
  const consentId = typeof brought.crmConsentId === 'number' ? brought.crmConsentId : await olderMergeConsent(db, brandId, contact, brought);
  if (consentId == null) return null;
  const current = await db.selectFrom('crm_consent').select('id').where('contact_id', '=', contact.id).where('brand_id', '=', brandId).where('withdrawn_at', 'is', null).execute();
  if (current.length !== 1 || Number(current[0]!.id) !== consentId) return null;
  return { crmCustomerId: contact.crm_customer_id };
}

/** The consent record an older merge entry (no `crmConsentId`) made, when the trail names exactly one (see `linkFromMerge`). */
async function olderMergeConsent(db: Tx, brandId: number, contact: { id: number; crm_customer_id: string | null }, merge: { at: number; contactId?: unknown }): Promise<number | null> {
  // the entry is about the survivor of that merge; its consent records have moved with it since, to this contact
  if (typeof merge.contactId !== 'number') return null;
  const made = await db.selectFrom('crm_consent').select('id').where('contact_id', '=', contact.id).where('brand_id', '=', brandId)
    .where('granted_at', '=', merge.at).where('crm_customer_id', '=', contact.crm_customer_id!).execute();
  if (made.length !== 1) return null;
  const linked = await db.selectFrom('audit_event').select('data').where('brand_id', '=', brandId).where('action', '=', 'contact.crm_linked').where('subject_type', '=', 'contact')
    .where('subject_id', '=', String(merge.contactId)).where('created_at', '=', merge.at).execute();
  const byMerge = linked.filter((l) => {
    try {
      const d = JSON.parse(l.data) as { merge?: unknown; crmCustomerId?: unknown };
      return d.merge === true && d.crmCustomerId === contact.crm_customer_id;
    } catch {
      return false;
    }
  });
  return byMerge.length === 1 ? Number(made[0]!.id) : null;
}

/** A contact's merges and splits, and what a split of its profiles would offer (see `contactHistory`). */
export interface ContactHistory {
  entries: AuditEvent[];
  /** The CRM link that came with a merge, and the profiles whose split may remove it with them (`linkFromMerge`). */
  crmLinkFromMerge: { crmCustomerId: string; identityIds: number[] } | null;
}

/**
 * A contact's merges and splits, newest first (at most 100): those about it and about every
 * contact merged into it (`mergedContactIds`), each once (a merge is written on both customers'
 * latest conversations). The author card shows them on every conversation of the customer, not
 * only on the conversations they were written on; and, for the split dialog, which profiles'
 * split may take the CRM link that came with their merge along. 404 for a contact not the brand's.
 */
export async function contactHistory(store: Store, brandId: number, contactId: number): Promise<ContactHistory> {
  return store.db.transaction().execute(async (trx) => {
    const contact = await trx.selectFrom('contact').select(['id', 'crm_customer_id']).where('id', '=', contactId).where('brand_id', '=', brandId).executeTakeFirst();
    if (!contact) throw notFound('contact');
    const ids = [contactId, ...(await mergedContactIds(trx, brandId, contactId))];
    const rows = await trx.selectFrom('audit_event').selectAll().where('brand_id', '=', brandId).where(MERGE_ENTRIES).where('subject_id', 'in', ids.map(String)).orderBy('id', 'desc').limit(400).execute();
    const seen = new Set<string>();
    const entries = rows.filter((r) => {
      const k = `${r.action}\u0000${r.subject_id}\u0000${r.created_at}\u0000${r.data}`;
      return seen.has(k) ? false : (seen.add(k), true);
    }).slice(0, 100);
    let crmLinkFromMerge: ContactHistory['crmLinkFromMerge'] = null;
    if (contact.crm_customer_id != null) {
      const identities = (await trx.selectFrom('contact_identity').select('id').where('contact_id', '=', contactId).where('brand_id', '=', brandId).execute()).map((i) => Number(i.id));
      const offered: number[] = [];
      for (const id of identities) {
        if (identities.length > 1 && (await linkFromMerge(trx, brandId, { id: contactId, crm_customer_id: contact.crm_customer_id }, id, identities.filter((i) => i !== id)))) offered.push(id);
      }
      if (offered.length) crmLinkFromMerge = { crmCustomerId: contact.crm_customer_id, identityIds: offered };
    }
    return { entries, crmLinkFromMerge };
  });
}

/**
 * Undo a wrong merge, an identity at a time: `identityId` leaves `contactId` for a new contact,
 * with the conversations that are its own (those where every customer message is its). A
 * conversation the two wrote in stays. The CRM link and its consent stay with `contactId`: a
 * split takes identities away from a link, never adds one. The last identity cannot leave (409
 * `contact.split_last_identity`). Audited on both customers' timelines.
 *
 * A link the merge being undone brought (`linkFromMerge`: it moved here from the contact merged
 * in, and the last of that contact's profiles is leaving) may be removed in the same step
 * (`removeCrmLink`, with a reason): as `crm-unlink` removes one (consent withdrawn, history
 * kept, audited as `contact.crm_unlinked`, with the split it came with). Asked for any other
 * link (one the customer had before the merge, or one re-linked since): 409
 * `contact.split_link_kept`, nothing written; such a link is removed on its own, with a reason.
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
    const unlinkReason = p.removeCrmLink ? p.removeCrmLink.reason.trim() : null;
    const fromMerge = unlinkReason == null ? null : await linkFromMerge(trx, actor.brandId, { id: contactId, crm_customer_id: contact.crm_customer_id }, p.identityId, identities.map((i) => Number(i.id)).filter((i) => i !== p.identityId));
    if (unlinkReason != null) {
      if (unlinkReason.length < 3) throw badRequest('validation', 'say why the CRM link is removed (at least 3 characters)');
      if (!fromMerge) throw conflict('contact.split_link_kept', 'this CRM link did not come with the merge being undone (the customer had it before, or it was recorded again since): remove it on its own, with a reason');
    }
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
    if (fromMerge && unlinkReason != null) {
      await removeCrmLink(trx, actor, { contactId, previous: fromMerge.crmCustomerId, reason: unlinkReason, auditExtra: { split: { identityId: p.identityId, newContactId } } }, now);
    }
    return { newContactId, moved, unlinked: fromMerge != null };
  });
  bus.publish(actor.brandId, 'contact.updated', { contactId, splitContactId: out.newContactId, ...(out.unlinked ? { crmCustomerId: null } : {}) });
  return { contactId, newContactId: out.newContactId, identityId: p.identityId, conversationsMoved: out.moved, crmLinkRemoved: out.unlinked };
}

export interface ContactSearchItem {
  id: number;
  displayName: string | null;
  crmLinked: boolean;
  identities: { identityId: number; network: string; handle: string; displayName: string | null }[];
}

/**
 * What an agent typed, as the indexes read it (src/store/migrations/20261206T1630_contact_search_keys.ts):
 * `handle` and `email` folded by `searchKey` (src/core/searchKey.ts), as the stored
 * `handle_key` / `address_key` are, each with the least string above every string it starts
 * (null: none), and the words of it for the display names.
 */
export interface ContactSearchTerms {
  handle: string;
  handleBelow: string | null;
  email: string;
  emailBelow: string | null;
  words: string[];
}

/** The least string greater than every string that starts with `p` (code point, i.e. UTF-8 byte, order); null when there is none. */
export function prefixUpperBound(p: string): string | null {
  const cps = Array.from(p, (c) => c.codePointAt(0)!);
  while (cps.length) {
    const last = cps.pop()!;
    if (last < 0x10ffff) {
      cps.push(last === 0xd7ff ? 0xe000 : last + 1);
      return String.fromCodePoint(...cps);
    }
  }
  return null;
}

/** The words of a query as the word table cuts names (letters, digits; a few at most), as the full-text indexes it replaced did. */
const wordsOf = (s: string) => (s.match(NAME_WORD) ?? []).slice(0, 6);

/**
 * A name word this long or longer is matched as the start of a word; a shorter one only as a
 * whole word ("Li" finds "Li Na", not "Lisa"). A prefix of one or two letters is the start of a
 * large share of all names (every "Customer", "Cu…" and "Ch…" of a brand of millions), and the
 * full-text indexes read every match of a prefix before the newest can be picked: the first
 * letters of what an agent types find handles and email addresses (a range of a b-tree, read in
 * its order and stopped at the limit), and names from the third letter on (the word table's key:
 * a 3-letter prefix is one run of its index, in the page's order).
 */
export const NAME_PREFIX_MIN = NAME_KEY_LENGTH; // a shorter prefix is not one run of the word table's key
const namePrefix = (w: string) => [...w].length >= NAME_PREFIX_MIN;

export function contactSearchTerms(q: string): ContactSearchTerms | null {
  // control characters (a NUL is refused by PostgreSQL) and lone surrogates never match a stored name
  const raw = q.toWellFormed().replace(/\p{Cc}/gu, '').normalize('NFC').trim();
  const handle = raw.replace(/^@+/, '');
  if (!handle) return null;
  const h = searchKey(handle);
  const e = searchKey(raw);
  return { handle: h, handleBelow: prefixUpperBound(h), email: e, emailBelow: prefixUpperBound(e), words: wordsOf(raw) };
}

/**
 * The three searches, each through its index and in its order, at most `limit` rows each: handles
 * and email addresses whose key starts with the term (alphabetical: the exact one first), identities
 * with a display-name word starting with each word (`NAME_PREFIX_MIN`; newest first), from the
 * word table `contact_name_word`. Each row
 * brings the value its key was made from, which `searchContacts` checks again. Exported for the
 * test that reads their plans.
 */
export function contactSearchQueries(store: Store, brandId: number, t: ContactSearchTerms, limit: number) {
  // the keys are "C"-collated text on PostgreSQL, plain (BINARY) text on SQLite: byte order on both
  const range = (col: 'handle_key' | 'address_key', from: string, below: string | null) =>
    sql`${sql.ref(col)} >= ${from}${below == null ? sql`` : sql` AND ${sql.ref(col)} < ${below}`}`;
  const handles = sql<{ contact_id: number; value: string }>`SELECT contact_id, handle AS value FROM contact_identity WHERE brand_id = ${brandId} AND ${range('handle_key', t.handle, t.handleBelow)} ORDER BY handle_key LIMIT ${limit}`;
  const emails = sql<{ contact_id: number; value: string }>`SELECT contact_id, network_user_id AS value FROM contact_identity WHERE brand_id = ${brandId} AND network = ${sql.lit('email')} AND ${range('address_key', t.email, t.emailBelow)} ORDER BY address_key LIMIT ${limit}`;
  // names: the word table (src/store/migrations/20261206T2000_contact_name_words.ts), driven by
  // the query's longest word: its key's run of the index, newest identity first, each identity
  // once, every other word checked on the identity's own entries (their primary key), stopped at
  // the limit. A 3-letter prefix reads `limit` entries (a few more when an identity has two
  // words starting with it), a longer one only those of its key's run until the page is full.
  let names = null;
  if (t.words.length) {
    const terms = t.words.map((w) => {
      const word = foldWord(w);
      return { key: wordKey(word), word, prefix: namePrefix(w) };
    });
    const match = (alias: string, x: (typeof terms)[number]) => {
      const col = sql.ref(`${alias}.word`);
      if (!x.prefix) return sql`${sql.ref(`${alias}.word_key`)} = ${x.key} AND ${col} = ${x.word}`;
      const below = prefixUpperBound(x.word);
      return sql`${sql.ref(`${alias}.word_key`)} = ${x.key} AND ${col} >= ${x.word}${below == null ? sql`` : sql` AND ${col} < ${below}`}`;
    };
    const lead = terms.reduce((a, b) => ([...b.word].length > [...a.word].length ? b : a));
    const others = terms.filter((x) => x !== lead);
    const also = others.map((x) => sql` AND EXISTS (SELECT 1 FROM contact_name_word o WHERE o.brand_id = ${brandId} AND ${match('o', x)} AND o.identity_id = w.identity_id)`);
    names = sql<{ contact_id: number; value: null }>`SELECT i.contact_id AS contact_id, NULL AS value FROM (SELECT DISTINCT w.identity_id AS identity_id FROM contact_name_word w WHERE w.brand_id = ${brandId} AND ${match('w', lead)}${sql.join(also, sql``)} ORDER BY w.identity_id DESC LIMIT ${limit}) p JOIN contact_identity i ON i.id = p.identity_id ORDER BY p.identity_id DESC`;
  }
  return { handles, emails, names };
}

/**
 * The brand's contacts with a profile whose handle (with or without its @) or email address
 * starts with `q`, or whose display name has words starting with each of `q`'s words
 * (case-insensitive; `%` and `_` are characters like any other), at most `limit`, with their
 * identities: for picking the profile to merge with. Handle matches first, then email
 * addresses, then names. Every search goes through an index: never a scan of the brand's
 * identities.
 */
export async function searchContacts(store: Store, brandId: number, q: string, limit: number): Promise<ContactSearchItem[]> {
  const t = contactSearchTerms(q);
  if (!t) return [];
  const { handles, emails, names } = contactSearchQueries(store, brandId, t, limit);
  const found: number[] = [];
  // a key is checked against the value it was made from: one a writer left behind when it changed
  // the value (the erasure's) finds nobody
  const still = (value: string | null, term: string) => value == null || searchKey(value).startsWith(term);
  for (const [query, term] of [[handles, t.handle], [emails, t.email], [names, '']] as const) {
    if (query) for (const r of (await query.execute(store.db)).rows) if (still(r.value, term)) found.push(Number(r.contact_id));
  }
  const ids = [...new Set(found)].slice(0, limit);
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
