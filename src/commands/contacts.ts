/**
 * Knowing the customer: a social identity is linked to a paying customer in
 * the CRM only with the customer's consent, recorded with how it was given
 * (their own message saying so, a verified form, or verbally on a call) and
 * withdrawable at any time. Linking and unlinking are audited.
 */
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
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
    if (!p.consent) throw badRequest('crm.consent_required', 'link a social profile to a customer record only with their consent: record how they gave it');
    const c = p.consent;
    if (c.method === 'customer_message') {
      if (c.messageId == null) throw badRequest('crm.consent_evidence', 'point to the customer\'s message in which they agreed');
      const m = await store.db.selectFrom('message').select(['id', 'direction', 'author_identity_id']).where('id', '=', c.messageId).where('brand_id', '=', actor.brandId).executeTakeFirst();
      const ident = m?.author_identity_id ? await store.db.selectFrom('contact_identity').select('contact_id').where('id', '=', m.author_identity_id).executeTakeFirst() : null;
      if (!m || m.direction !== 'inbound' || ident?.contact_id !== contactId) throw badRequest('crm.consent_evidence', 'the consent message must be one this customer sent');
    } else if (!c.note || c.note.trim().length < 10) {
      throw badRequest('crm.consent_evidence', 'describe how the customer consented (form reference, call date...)');
    }
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      await trx.updateTable('crm_consent').set({ withdrawn_at: now }).where('contact_id', '=', contactId).where('withdrawn_at', 'is', null).execute();
      await trx.insertInto('crm_consent').values({ brand_id: actor.brandId, contact_id: contactId, crm_customer_id: id, method: c.method, evidence_message_id: c.messageId ?? null, note: c.note ?? null, granted_at: now, recorded_by: actor.userId! }).execute();
      await trx.updateTable('contact').set({ crm_customer_id: id, crm_consent_at: now, crm_linked_by: actor.userId, updated_at: now }).where('id', '=', contactId).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'contact.crm_linked', subjectType: 'contact', subjectId: contactId, data: { crmCustomerId: id, method: c.method, evidenceMessageId: c.messageId ?? null } }, now);
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
}
