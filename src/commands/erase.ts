/**
 * Erasing a customer (GDPR Art. 17, right to erasure): everything Parley holds that says
 * who they are or what they wrote goes, while the facts that reports count stay.
 *  - every message they wrote is redacted (src/store/redact.ts: text, payload, link; the
 *    row stays, so counts, SLA facts and threading are unchanged);
 *  - each of their identities loses its handle, name, avatar, profile link, follower count
 *    and network user id (replaced by "erased"; a later message from them starts afresh);
 *  - the contact loses its name, CRM link and consent records.
 * Internal notes may quote them: those are not rewritten automatically (an agent's words, and
 * which ones quote the person is a judgement); the result says how many notes the admin should
 * read. Admins only, with a reason; audited with who, when and why, never the erased content.
 * The brand's own account (an identity that is one of the brand's channel accounts) is refused.
 */
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { publishRedacted } from '../pipeline/deletions.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import { redactMessages } from '../store/redact.js';
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
}

export async function eraseContact(deps: { store: Store; bus: EventBus; clock: Clock }, actor: Actor, p: EraseContactInput): Promise<EraseContactResult> {
  if (actor.role !== 'admin' || actor.userId == null) throw forbidden('only an admin can erase a customer');
  const reason = p.reason.trim();
  if (reason.length < 3) throw badRequest('validation', 'say why the customer is erased (at least 3 characters), e.g. the request\'s reference');
  const { store, bus, clock } = deps;
  const contact = await store.db.selectFrom('contact').select('id').where('id', '=', p.contactId).where('brand_id', '=', actor.brandId).executeTakeFirst();
  if (!contact) throw notFound('contact');
  const now = clock.now();
  const out = await store.db.transaction().execute(async (trx) => {
    const identities = await trx.selectFrom('contact_identity').select(['id', 'network', 'network_user_id']).where('contact_id', '=', p.contactId).where('brand_id', '=', actor.brandId).execute();
    for (const i of identities) {
      const own = await trx.selectFrom('channel_account').select('id').where('brand_id', '=', actor.brandId).where('network', '=', i.network).where('external_id', '=', i.network_user_id).executeTakeFirst();
      if (own) throw conflict('contact.brand_account', 'this contact is one of the brand\'s own accounts: it cannot be erased');
    }
    const identityIds = identities.map((i) => Number(i.id));
    const messageIds = identityIds.length
      ? (await trx.selectFrom('message').select('id').where('brand_id', '=', actor.brandId).where('author_identity_id', 'in', identityIds).where('direction', '=', 'inbound').execute()).map((m) => Number(m.id))
      : [];
    const redaction = await redactMessages(trx, store, { brandId: actor.brandId, messageIds, reason: 'erasure', actor: actor.name, now });
    for (const id of identityIds) {
      await trx.updateTable('contact_identity')
        .set({ handle: ERASED, display_name: ERASED, avatar_url: null, profile_url: null, followers: null, verified: 0, network_user_id: `${ERASED}:${id}`, updated_at: now })
        .where('id', '=', id)
        .execute();
    }
    await trx.deleteFrom('crm_consent').where('contact_id', '=', p.contactId).execute();
    await trx.updateTable('contact').set({ display_name: ERASED, crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, updated_at: now }).where('id', '=', p.contactId).execute();
    const conversations = (await trx.selectFrom('conversation').select('id').where('contact_id', '=', p.contactId).where('brand_id', '=', actor.brandId).execute()).map((c) => Number(c.id));
    const notes = conversations.length
      ? await trx.selectFrom('note').select(['conversation_id']).where('conversation_id', 'in', conversations).execute()
      : [];
    const notesToReview = { count: notes.length, conversationIds: [...new Set(notes.map((n) => Number(n.conversation_id)))].sort((a, b) => a - b) };
    await audit(trx, {
      brandId: actor.brandId, actor: actor.name, action: 'contact.erased', subjectType: 'contact', subjectId: p.contactId,
      // who, when (the entry's time) and why; counts only, never what was erased
      data: { reason, messagesRedacted: redaction.redacted.length, identitiesErased: identityIds.length, notesToReview: notesToReview.count },
    }, now);
    return { messagesRedacted: redaction.redacted, identitiesErased: identityIds.length, notesToReview };
  });
  await publishRedacted({ store, bus }, actor.brandId, out.messagesRedacted);
  bus.publish(actor.brandId, 'contact.updated', { contactId: p.contactId, crmCustomerId: null, erased: true });
  return { contactId: p.contactId, messagesRedacted: out.messagesRedacted.length, identitiesErased: out.identitiesErased, notesToReview: out.notesToReview };
}
