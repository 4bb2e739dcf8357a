/**
 * Knowing the customer: a social identity is linked to a paying customer in
 * the CRM only with the customer's consent, recorded with how it was given
 * (their own message saying so, a verified form, or verbally on a call) and
 * withdrawable at any time. Linking and unlinking are audited. Merging two profiles of one
 * person, and splitting them again, is src/commands/contactMerge.ts (a merge never puts a
 * profile under a CRM link its consent did not cover).
 */
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { contactHistory, mergeContacts, searchContacts, splitIdentity, type MergeContactsInput, type SplitIdentityInput } from './contactMerge.js';
import type { Tx } from '../store/util.js';
import type { Actor } from './context.js';

export const CONSENT_METHODS = ['customer_message', 'verified_form', 'verbal'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

/** How a customer consented, as a CRM link (or a merge that extends one) records it. */
export interface ConsentInput {
  method: ConsentMethod;
  /** Their message saying so: required for `customer_message`, and always theirs when given. */
  messageId?: number | null;
  /** How they consented on a form or a call (at least 10 characters then). */
  note?: string | null;
}

/** Whether a message is an inbound one of the brand written by one of `contactIds`' identities. */
export async function messageOf(db: Tx, brandId: number, messageId: number, contactIds: readonly number[]): Promise<boolean> {
  const m = await db.selectFrom('message').innerJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
    .select(['message.id']).where('message.id', '=', messageId).where('message.brand_id', '=', brandId).where('message.direction', '=', 'inbound')
    .where('contact_identity.contact_id', 'in', [...contactIds]).executeTakeFirst();
  return !!m;
}

/**
 * Check the consent given for a link (400 `crm.consent_evidence` with what is missing): a message
 * given as evidence is shown as the customer's consent, whatever the method, so it must be one
 * written by `contactIds` (the contact, or either of two being merged). Its note, trimmed.
 */
export async function checkConsent(db: Tx, brandId: number, c: ConsentInput, contactIds: readonly number[]): Promise<string | null> {
  if (c.method === 'customer_message' && c.messageId == null) throw badRequest('crm.consent_evidence', 'point to the customer\'s message in which they agreed');
  if (c.messageId != null && !(await messageOf(db, brandId, c.messageId, contactIds))) throw badRequest('crm.consent_evidence', 'the consent message must be one this customer sent');
  if (c.method !== 'customer_message' && (!c.note || c.note.trim().length < 10)) throw badRequest('crm.consent_evidence', 'describe how the customer consented (form reference, call date...)');
  return c.note?.trim() || null;
}

/**
 * Link a contact to a CRM customer with a checked consent, in the caller's transaction: the
 * contact row first (on PostgreSQL the update locks it, so two links at once take turns and the
 * second withdraws the first's consent, else both would stay current and the consent shown could
 * be for another CRM id than the link), then the current consent withdrawn, the new one recorded
 * and audited as `contact.crm_linked` with what it replaced (the consent as recorded, so the
 * audit export keeps it after a withdrawal; `auditExtra` adds to it). The new consent record's id.
 */
export async function recordConsent(trx: Tx, actor: Actor, p: { contactId: number; crmCustomerId: string; consent: ConsentInput; note: string | null; auditExtra?: Record<string, unknown> }, now: number): Promise<number> {
  const { contactId, crmCustomerId, consent: c, note } = p;
  await trx.updateTable('contact').set({ crm_customer_id: crmCustomerId, crm_consent_at: now, crm_linked_by: actor.userId, updated_at: now }).where('id', '=', contactId).execute();
  const replaced = await trx.updateTable('crm_consent').set({ withdrawn_at: now }).where('contact_id', '=', contactId).where('withdrawn_at', 'is', null).returning('crm_customer_id').execute();
  const consent = await trx.insertInto('crm_consent').values({ brand_id: actor.brandId, contact_id: contactId, crm_customer_id: crmCustomerId, method: c.method, evidence_message_id: c.messageId ?? null, note, granted_at: now, recorded_by: actor.userId! }).returning('id').executeTakeFirstOrThrow();
  await audit(trx, {
    brandId: actor.brandId, actor: actor.name, action: 'contact.crm_linked', subjectType: 'contact', subjectId: contactId,
    data: { crmCustomerId, method: c.method, evidenceMessageId: c.messageId ?? null, note, previous: replaced.map((r) => r.crm_customer_id).join(', ') || null, ...p.auditExtra },
  }, now);
  return Number(consent.id);
}

/** 409 `crm.not_linked`: there is no link (any more) to remove. */
const notLinked = () => conflict('crm.not_linked', 'this customer is not linked to a CRM record (any more); there is nothing to remove');

/**
 * Remove a contact's CRM link in the caller's transaction, as `crm-unlink` does: the link cleared
 * only by an update that still finds it (else 409 `crm.not_linked`, so of two removals at once
 * only one is recorded), the current consent withdrawn, the history kept, audited as
 * `contact.crm_unlinked` with the reason and the CRM id it had (`auditExtra` adds to it).
 */
export async function removeCrmLink(trx: Tx, actor: Actor, p: { contactId: number; previous: string; reason: string; auditExtra?: Record<string, unknown> }, now: number): Promise<void> {
  const cleared = await trx
    .updateTable('contact')
    .set({ crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, updated_at: now })
    .where('id', '=', p.contactId)
    .where('crm_customer_id', 'is not', null)
    .executeTakeFirst();
  if (Number(cleared.numUpdatedRows) === 0) throw notLinked();
  await trx.updateTable('crm_consent').set({ withdrawn_at: now }).where('contact_id', '=', p.contactId).where('withdrawn_at', 'is', null).execute();
  await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'contact.crm_unlinked', subjectType: 'contact', subjectId: p.contactId, data: { reason: p.reason, previous: p.previous, ...p.auditExtra } }, now);
}

export class ContactCommands {
  constructor(private readonly deps: { store: Store; bus: EventBus; clock: Clock }) {}

  async linkCrm(actor: Actor, contactId: number, p: { crmCustomerId: string; consent?: ConsentInput | null | undefined }) {
    if (!['agent', 'approver', 'admin'].includes(actor.role) || actor.userId == null) throw forbidden();
    const { store, clock } = this.deps;
    const contact = await store.db.selectFrom('contact').selectAll().where('id', '=', contactId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!contact) throw notFound('contact');
    const id = p.crmCustomerId.trim();
    if (!id || id.length > 200) throw badRequest('validation', 'crmCustomerId is required (at most 200 characters)');
    // an id is copied between systems and exported: no line breaks, NULs or other control characters
    if (/\p{Cc}/u.test(id)) throw badRequest('validation', 'crmCustomerId contains a control character (a line break, tab or NUL)');
    if (!p.consent) throw badRequest('crm.consent_required', 'link a social profile to a customer record only with their consent: record how they gave it');
    const c = p.consent;
    const note = await checkConsent(store.db, actor.brandId, c, [contactId]);
    const now = clock.now();
    await store.db.transaction().execute((trx) => recordConsent(trx, actor, { contactId, crmCustomerId: id, consent: c, note }, now));
    this.deps.bus.publish(actor.brandId, 'contact.updated', { contactId, crmCustomerId: id });
    return { contactId, crmCustomerId: id, consentAt: new Date(now).toISOString(), method: c.method };
  }

  /**
   * The customer withdrew consent (or the link was wrong): the CRM id is removed, the history kept.
   * A contact that is not linked is a 409 `crm.not_linked` and nothing is written: the link is
   * cleared only by an update that still finds it, so of two unlinks at once only one is recorded.
   */
  async unlinkCrm(actor: Actor, contactId: number, reason: string) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    const { store, clock } = this.deps;
    const contact = await store.db.selectFrom('contact').selectAll().where('id', '=', contactId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!contact) throw notFound('contact');
    const previous = contact.crm_customer_id;
    if (previous == null) throw notLinked();
    const now = clock.now();
    await store.db.transaction().execute((trx) => removeCrmLink(trx, actor, { contactId, previous, reason }, now));
    this.deps.bus.publish(actor.brandId, 'contact.updated', { contactId, crmCustomerId: null });
  }

  /** Merge `p.otherContactId` into `contactId`: see `mergeContacts` (src/commands/contactMerge.ts). */
  merge(actor: Actor, contactId: number, p: MergeContactsInput) {
    return mergeContacts(this.deps, actor, contactId, p);
  }

  /** Move one identity (and its own conversations) out to a new contact: see `splitIdentity`. */
  split(actor: Actor, contactId: number, p: SplitIdentityInput) {
    return splitIdentity(this.deps, actor, contactId, p);
  }

  /** The merges and splits of a contact and of the contacts merged into it, and what a split would offer: see `contactHistory`. */
  history(actor: Actor, contactId: number) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    return contactHistory(this.deps.store, actor.brandId, contactId);
  }

  /** The brand's contacts by handle, name or email address, for picking one to merge with. */
  search(actor: Actor, q: string, limit: number) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    return searchContacts(this.deps.store, actor.brandId, q, limit);
  }
}
