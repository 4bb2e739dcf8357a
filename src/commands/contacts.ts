/**
 * Knowing the customer: a social identity is linked to a paying customer in
 * the CRM only with the customer's consent, recorded with how it was given
 * (their own message saying so, a verified form, or verbally on a call) and
 * withdrawable at any time. "Their own message" is real consent only as their answer to our
 * question: an agent asks in the conversation (`askForConsent`, a reply through the normal reply
 * path, recorded in `crm_consent_ask`), and only a reply of theirs written after that question
 * was sent, in the same conversation, that reads as an agreement (src/core/consentReply.ts) is
 * accepted as evidence. Linking and unlinking are audited. Merging two profiles of one
 * person, and splitting them again, is src/commands/contactMerge.ts (a merge never puts a
 * profile under a CRM link its consent did not cover).
 */
import { sql, type RawBuilder } from 'kysely';
import { classifyConsentReply, type ConsentReplyVerdict } from '../core/consentReply.js';
import type { Visibility } from '../core/types.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { ChannelAccount } from '../store/schema.js';
import { decodeText } from '../store/text.js';
import { contactHistory, mergeContacts, searchContacts, splitIdentity, type MergeContactsInput, type SplitIdentityInput } from './contactMerge.js';
import type { Tx } from '../store/util.js';
import type { Actor } from './context.js';
import type { WithReply } from './conversations.js';

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
  return !!(await theirMessage(db, brandId, messageId, contactIds));
}

/** The inbound message of the brand written by one of `contactIds`' identities (what consent evidence reads of it). */
async function theirMessage(db: Tx, brandId: number, messageId: number, contactIds: readonly number[]) {
  return db.selectFrom('message').innerJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
    .select(['message.id', 'message.conversation_id', 'message.created_at', 'message.text', 'message.text_escaped']).where('message.id', '=', messageId).where('message.brand_id', '=', brandId).where('message.direction', '=', 'inbound')
    .where('contact_identity.contact_id', 'in', [...contactIds]).executeTakeFirst();
}

/** The wording of the consent question when the brand has not set its own. */
export const DEFAULT_CONSENT_ASK_TEXT = 'To look up your order we\'d like to link this profile to your customer account with us. Is that OK? Reply YES to agree.';

/**
 * Network timestamps are often whole seconds (X's are): a reply written right after the question
 * went out may carry a time up to a second before our clock recorded the send.
 */
const NETWORK_TIME_SLACK_MS = 1000;

/** The consent dialog's candidates: at most this many agreements, the latest (`consentCandidates`). */
export const CONSENT_AGREEMENTS_MAX = 20;
/** …and at most this many of their other replies, the latest, shown as not counting. */
export const CONSENT_OTHERS_MAX = 30;
/** Their replies are read this many at a time, and at most `CONSENT_SCAN_MAX` in all (a conversation of thousands of messages). */
const CONSENT_SCAN_BATCH = 500;
const CONSENT_SCAN_MAX = 20_000;

/**
 * The latest consent question that went out in `conversationId` before a message of the customer
 * written at `created_at`: only a question sent (the outbox's send time, not when it was written:
 * one waiting for sign-off, rejected or failed was never seen) can have been answered, and their
 * message must have been stored after the question was (its id above it, so a late-arriving older
 * message does not count).
 */
export async function askBefore(db: Tx, conversationId: number, message: { id: number; created_at: number }) {
  return asksAnswerable(db, conversationId, { id: message.id, sentBy: message.created_at + NETWORK_TIME_SLACK_MS })
    .select(['crm_consent_ask.message_id', 'crm_consent_ask.asked_at', 'crm_consent_ask.asked_by', 'outbox.sent_at'])
    .orderBy('outbox.sent_at', 'desc').orderBy('crm_consent_ask.id', 'desc').limit(1).executeTakeFirst();
}

/**
 * The consent questions of `conversationId` a customer's message can answer (`askBefore`'s rule):
 * sent by `sentBy` (its writing time plus the networks' clock slack) and stored before it (`id`).
 * Given as values for one message, or as references to an outer query's message (`consentCandidates`).
 */
function asksAnswerable(db: Tx, conversationId: number, message: { id: number | RawBuilder<number>; sentBy: number | RawBuilder<number> }) {
  return db.selectFrom('crm_consent_ask').innerJoin('outbox', 'outbox.message_id', 'crm_consent_ask.message_id')
    .where('crm_consent_ask.conversation_id', '=', conversationId).where('outbox.status', '=', 'sent')
    .where('outbox.sent_at', '<=', message.sentBy).where('crm_consent_ask.message_id', '<', message.id);
}

/**
 * Check the consent given for a link (400 `crm.consent_evidence` with what is missing): a message
 * given as evidence is shown as the customer's consent, whatever the method, so it must be one
 * written by `contactIds` (the contact, or either of two being merged). For `customer_message` it
 * must also answer our question: written after a consent question was sent in the same
 * conversation, and reading as an agreement (src/core/consentReply.ts). Its note, trimmed.
 */
/** A consent `checkConsent` accepted: its note, trimmed, and for `customer_message` the question their message answered. */
export interface CheckedConsent {
  note: string | null;
  askMessageId: number | null;
}

export async function checkConsent(db: Tx, brandId: number, c: ConsentInput, contactIds: readonly number[]): Promise<CheckedConsent> {
  if (c.method === 'customer_message' && c.messageId == null) throw badRequest('crm.consent_evidence', 'point to the customer\'s message in which they agreed');
  const m = c.messageId != null ? await theirMessage(db, brandId, c.messageId, contactIds) : undefined;
  if (c.messageId != null && !m) throw badRequest('crm.consent_evidence', 'the consent message must be one this customer sent', { reason: 'not_theirs' });
  let askMessageId: number | null = null;
  if (c.method === 'customer_message' && m) {
    const ask = await askBefore(db, m.conversation_id, m);
    if (!ask) {
      throw badRequest('crm.consent_evidence', 'this message does not answer a request for consent: ask for their consent in this conversation first (the question must have been sent), then choose their reply to it', { reason: 'no_ask' });
    }
    const reading = classifyConsentReply(decodeText(m.text, m.text_escaped));
    if (reading.verdict !== 'agree') throw badRequest('crm.consent_evidence', `their reply is not an agreement: ${reading.reason}`, { reason: 'not_agreement', verdict: reading.verdict });
    askMessageId = Number(ask.message_id);
  }
  if (c.method !== 'customer_message' && (!c.note || c.note.trim().length < 10)) throw badRequest('crm.consent_evidence', 'describe how the customer consented (form reference, call date...)');
  return { note: c.note?.trim() || null, askMessageId };
}

/**
 * Link a contact to a CRM customer with a checked consent, in the caller's transaction: the
 * contact row first (on PostgreSQL the update locks it, so two links at once take turns and the
 * second withdraws the first's consent, else both would stay current and the consent shown could
 * be for another CRM id than the link), then the current consent withdrawn, the new one recorded
 * and audited as `contact.crm_linked` with what it replaced (the consent as recorded, so the
 * audit export keeps it after a withdrawal; `auditExtra` adds to it). The new consent record's id.
 */
export async function recordConsent(trx: Tx, actor: Actor, p: { contactId: number; crmCustomerId: string; consent: ConsentInput; checked: CheckedConsent; auditExtra?: Record<string, unknown> }, now: number): Promise<number> {
  const { contactId, crmCustomerId, consent: c, checked: { note, askMessageId } } = p;
  await trx.updateTable('contact').set({ crm_customer_id: crmCustomerId, crm_consent_at: now, crm_linked_by: actor.userId, updated_at: now }).where('id', '=', contactId).execute();
  const replaced = await trx.updateTable('crm_consent').set({ withdrawn_at: now }).where('contact_id', '=', contactId).where('withdrawn_at', 'is', null).returning('crm_customer_id').execute();
  const consent = await trx.insertInto('crm_consent').values({ brand_id: actor.brandId, contact_id: contactId, crm_customer_id: crmCustomerId, method: c.method, evidence_message_id: c.messageId ?? null, note, granted_at: now, recorded_by: actor.userId! }).returning('id').executeTakeFirstOrThrow();
  await audit(trx, {
    brandId: actor.brandId, actor: actor.name, action: 'contact.crm_linked', subjectType: 'contact', subjectId: contactId,
    data: { crmCustomerId, method: c.method, evidenceMessageId: c.messageId ?? null, note, previous: replaced.map((r) => r.crm_customer_id).join(', ') || null, ...(c.method === 'customer_message' ? { askMessageId } : {}), ...p.auditExtra },
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
    const checked = await checkConsent(store.db, actor.brandId, c, [contactId]);
    const now = clock.now();
    await store.db.transaction().execute((trx) => recordConsent(trx, actor, { contactId, crmCustomerId: id, consent: c, checked }, now));
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

  /** The brand's wording of the consent question (its own, or the default). */
  async consentAskText(brandId: number): Promise<{ text: string; custom: boolean }> {
    const row = await this.deps.store.db.selectFrom('crm_consent_setting').select('ask_text').where('brand_id', '=', brandId).executeTakeFirst();
    return row ? { text: row.ask_text, custom: true } : { text: DEFAULT_CONSENT_ASK_TEXT, custom: false };
  }

  /** An admin sets the brand's wording of the consent question (null: back to the default); audited. */
  async setConsentAskText(actor: Actor, text: string | null) {
    if (actor.role !== 'admin' || actor.userId == null) throw forbidden();
    const t = text?.trim() ?? '';
    if (text != null && (t.length < 10 || t.length > 1000)) throw badRequest('validation', 'the consent question needs 10 to 1000 characters');
    const { store, clock } = this.deps;
    const now = clock.now();
    await store.db.transaction().execute(async (trx) => {
      await trx.deleteFrom('crm_consent_setting').where('brand_id', '=', actor.brandId).execute();
      if (text != null) await trx.insertInto('crm_consent_setting').values({ brand_id: actor.brandId, ask_text: t, updated_at: now, updated_by: actor.userId! }).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'crm.consent_ask_text_set', subjectType: 'brand', subjectId: actor.brandId, data: { text: text != null ? t : null } }, now);
    });
    return this.consentAskText(actor.brandId);
  }

  /**
   * Ask the customer of a conversation for consent to a CRM link: a reply through the normal
   * reply path (`io.reply`: outbox, sign-off when the brand's policy needs one, reply checks),
   * private when the conversation is private or the channel can message privately, else public
   * (`p.visibility` overrides), with the brand's question unless the agent edited it. The
   * question is recorded (the reply, who, when) in the transaction that stores the reply, before
   * it is queued for the outbox: a question that goes out is always recorded, and one whose record
   * fails is neither stored nor sent. Only a reply of theirs after it has gone out counts as
   * `customer_message` consent. A repeated request (same idempotency key) records and sends once.
   */
  async askForConsent(
    actor: Actor,
    conversationId: number,
    p: { text?: string | null; visibility?: Visibility | null; idempotencyKey?: string | null },
    io: { canMessagePrivately: (account: ChannelAccount) => boolean; reply: (v: { text: string; visibility: Visibility; idempotencyKey?: string | null; withReply: WithReply }) => Promise<{ message: { id: number; status: string }; duplicate: boolean; approval: unknown }> },
  ) {
    if (!['agent', 'approver', 'admin'].includes(actor.role) || actor.userId == null) throw forbidden();
    const { store, clock } = this.deps;
    const conv = await store.db.selectFrom('conversation').select(['id', 'contact_id', 'channel_account_id', 'visibility']).where('id', '=', conversationId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!conv) throw notFound('conversation');
    if (conv.contact_id == null) throw conflict('crm.no_customer', 'this conversation has no customer to ask');
    const text = p.text?.trim() || (await this.consentAskText(actor.brandId)).text;
    const account = await store.db.selectFrom('channel_account').selectAll().where('id', '=', conv.channel_account_id).executeTakeFirst();
    const visibility: Visibility = p.visibility ?? (conv.visibility === 'private' || (account != null && io.canMessagePrivately(account)) ? 'private' : 'public');
    const record = async (trx: Tx, messageId: number, contactId: number, now: number) => {
      await trx.insertInto('crm_consent_ask').values({ brand_id: actor.brandId, conversation_id: conv.id, contact_id: contactId, message_id: messageId, asked_by: actor.userId!, asked_at: now }).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'contact.crm_consent_asked', subjectType: 'contact', subjectId: contactId, conversationId: conv.id, data: { messageId, visibility } }, now);
    };
    // recorded with the reply, in its transaction, before the outbox entry (`WithReply`): of the
    // conversation's customer as the reply finds it
    const r = await io.reply({
      text, visibility, idempotencyKey: p.idempotencyKey ?? null,
      withReply: async (trx, { message, conversation, now }) => {
        if (conversation.contact_id == null) throw conflict('crm.no_customer', 'this conversation has no customer to ask');
        await record(trx, Number(message.id), conversation.contact_id, now);
      },
    });
    const messageId = Number(r.message.id);
    // a repeated request answers with the first reply, recorded with it (one stored before the
    // question was recorded with its reply is recorded now: it is the same question)
    let asked = await store.db.selectFrom('crm_consent_ask').select('asked_at').where('message_id', '=', messageId).executeTakeFirst();
    if (!asked && r.duplicate) {
      const now = clock.now();
      await store.db.transaction().execute(async (trx) => {
        if (!(await trx.selectFrom('crm_consent_ask').select('id').where('message_id', '=', messageId).executeTakeFirst())) await record(trx, messageId, conv.contact_id!, now);
      });
      asked = { asked_at: now };
    }
    return { ...r, ask: { messageId, visibility, askedAt: new Date(Number(asked?.asked_at ?? clock.now())).toISOString() } };
  }

  /**
   * What the link dialog offers as `customer_message` evidence in a conversation: the consent
   * questions asked there (latest first, with whether each went out), and the customer's replies
   * that answer one that went out (`askBefore`: written after it was sent, stored after it), each
   * read by the classifier: their agreements (however many messages ago, up to
   * `CONSENT_AGREEMENTS_MAX`, the latest), then their latest other replies (up to
   * `CONSENT_OTHERS_MAX`), each group by time. Their replies are read a batch at a time, latest
   * first, never a window of the latest few: a "yes" written long before the last message is still offered.
   */
  async consentCandidates(actor: Actor, conversationId: number) {
    if (!['agent', 'approver', 'admin'].includes(actor.role)) throw forbidden();
    const db = this.deps.store.db;
    const conv = await db.selectFrom('conversation').select(['id', 'contact_id']).where('id', '=', conversationId).where('brand_id', '=', actor.brandId).executeTakeFirst();
    if (!conv) throw notFound('conversation');
    const asks = await db.selectFrom('crm_consent_ask').innerJoin('message', 'message.id', 'crm_consent_ask.message_id').leftJoin('app_user', 'app_user.id', 'crm_consent_ask.asked_by')
      .select((eb) => ['crm_consent_ask.message_id', 'crm_consent_ask.asked_at', 'crm_consent_ask.asked_by', 'app_user.name as asked_by_name', 'message.status', 'message.visibility',
        eb.selectFrom('outbox').select((o) => o.fn.max('outbox.sent_at').as('s')).whereRef('outbox.message_id', '=', 'crm_consent_ask.message_id').where('outbox.status', '=', 'sent').as('sent_at')])
      .where('crm_consent_ask.conversation_id', '=', conv.id).orderBy('crm_consent_ask.asked_at', 'desc').orderBy('crm_consent_ask.id', 'desc').limit(20).execute();
    let candidates: { messageId: number; text: string; createdAt: string; verdict: ConsentReplyVerdict; reason: string; at: number }[] = [];
    if (conv.contact_id != null && asks.some((a) => a.sent_at != null)) {
      const agreements: typeof candidates = [];
      const others: typeof candidates = [];
      let before: number | null = null;
      for (let read = 0; read < CONSENT_SCAN_MAX && agreements.length < CONSENT_AGREEMENTS_MAX;) {
        let q = db.selectFrom('message').innerJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
          .select(['message.id', 'message.text', 'message.text_escaped', 'message.created_at'])
          .where('message.conversation_id', '=', conv.id).where('message.direction', '=', 'inbound').where('contact_identity.contact_id', '=', conv.contact_id)
          // an answer to a question that went out before it (the rule `checkConsent` applies through `askBefore`)
          .where(({ exists }) => exists(asksAnswerable(db, conv.id, { id: sql.ref<number>('message.id'), sentBy: sql<number>`${sql.ref('message.created_at')} + ${NETWORK_TIME_SLACK_MS}` }).select('crm_consent_ask.id')));
        if (before != null) q = q.where('message.id', '<', before);
        const rows = await q.orderBy('message.id', 'desc').limit(CONSENT_SCAN_BATCH).execute();
        for (const m of rows) {
          const text = decodeText(m.text, m.text_escaped);
          const r = classifyConsentReply(text);
          const c = { messageId: Number(m.id), text, createdAt: new Date(Number(m.created_at)).toISOString(), verdict: r.verdict, reason: r.reason, at: Number(m.created_at) };
          if (r.verdict === 'agree') { if (agreements.length < CONSENT_AGREEMENTS_MAX) agreements.push(c); }
          else if (others.length < CONSENT_OTHERS_MAX) others.push(c);
        }
        read += rows.length;
        if (rows.length < CONSENT_SCAN_BATCH) break;
        before = Number(rows[rows.length - 1]!.id);
      }
      const byTime = (a: { at: number; messageId: number }, b: { at: number; messageId: number }) => a.at - b.at || a.messageId - b.messageId;
      candidates = [...agreements.sort(byTime), ...others.sort(byTime)];
    }
    return {
      asks: asks.map((a) => ({ messageId: Number(a.message_id), askedAt: new Date(Number(a.asked_at)).toISOString(), askedBy: { id: Number(a.asked_by), name: a.asked_by_name ?? null }, status: a.status, sentAt: a.sent_at != null ? new Date(Number(a.sent_at)).toISOString() : null, visibility: a.visibility })),
      candidates: candidates.map(({ at: _at, ...c }) => c),
    };
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
