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
import { mergeContacts, searchContacts, splitIdentity, type MergeContactsInput, type SplitIdentityInput } from './contactMerge.js';
import type { Actor } from './context.js';

export const CONSENT_METHODS = ['customer_message', 'verified_form', 'verbal'] as const;
export type ConsentMethod = (typeof CONSENT_METHODS)[number];

export class ContactCommands {
  constructor(private readonly deps: { store: Store; bus: EventBus; clock: Clock }) {}

  async linkCrm(actor: Actor, contactId: number, p: { crmCustomerId: string; consent?: { method: ConsentMethod; messageId?: number | null; note?: string | null } | null | undefined }) {
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
    if (c.method === 'customer_message' && c.messageId == null) throw badRequest('crm.consent_evidence', 'point to the customer\'s message in which they agreed');
    // a message given as evidence is shown as the customer's consent, whatever the method: it must be theirs
    if (c.messageId != null) {
      const m = await store.db.selectFrom('message').select(['id', 'direction', 'author_identity_id']).where('id', '=', c.messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
      const ident = m?.author_identity_id ? await store.db.selectFrom('contact_identity').select('contact_id').where('id', '=', m.author_identity_id).executeTakeFirst() : null;
      if (!m || m.direction !== 'inbound' || ident?.contact_id !== contactId) throw badRequest('crm.consent_evidence', 'the consent message must be one this customer sent');
    }
    if (c.method !== 'customer_message' && (!c.note || c.note.trim().length < 10)) {
      throw badRequest('crm.consent_evidence', 'describe how the customer consented (form reference, call date...)');
    }
    const note = c.note?.trim() || null;
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      // The contact row first: on PostgreSQL the update locks it, so two links at once take
      // turns and the second withdraws the first's consent (else both stay current, and the
      // consent shown could be for another CRM id than the link). What it replaced is audited.
      await trx.updateTable('contact').set({ crm_customer_id: id, crm_consent_at: now, crm_linked_by: actor.userId, updated_at: now }).where('id', '=', contactId).execute();
      const replaced = await trx.updateTable('crm_consent').set({ withdrawn_at: now }).where('contact_id', '=', contactId).where('withdrawn_at', 'is', null).returning('crm_customer_id').execute();
      await trx.insertInto('crm_consent').values({ brand_id: actor.brandId, contact_id: contactId, crm_customer_id: id, method: c.method, evidence_message_id: c.messageId ?? null, note, granted_at: now, recorded_by: actor.userId! }).execute();
      await audit(trx, {
        brandId: actor.brandId, actor: actor.name, action: 'contact.crm_linked', subjectType: 'contact', subjectId: contactId,
        // the consent as recorded, so the audit export keeps it after a withdrawal
        data: { crmCustomerId: id, method: c.method, evidenceMessageId: c.messageId ?? null, note, previous: replaced.map((r) => r.crm_customer_id).join(', ') || null },
      }, now);
    });
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
    const notLinked = () => conflict('crm.not_linked', 'this customer is not linked to a CRM record (any more); there is nothing to remove');
    if (contact.crm_customer_id == null) throw notLinked();
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      const cleared = await trx
        .updateTable('contact')
        .set({ crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, updated_at: now })
        .where('id', '=', contactId)
        .where('crm_customer_id', 'is not', null)
        .executeTakeFirst();
      if (Number(cleared.numUpdatedRows) === 0) throw notLinked();
      await trx.updateTable('crm_consent').set({ withdrawn_at: now }).where('contact_id', '=', contactId).where('withdrawn_at', 'is', null).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'contact.crm_unlinked', subjectType: 'contact', subjectId: contactId, data: { reason, previous: contact.crm_customer_id } }, now);
    });
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

  /** The brand's contacts by handle, name or email address, for picking one to merge with. */
  search(actor: Actor, q: string, limit: number) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    return searchContacts(this.deps.store, actor.brandId, q, limit);
  }
}
