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
 *    every identifier of theirs goes too (as in staff text, below);
 *  - quarantined deliveries of theirs are deleted: a JSON payload with their network user id
 *    as a value (or their handle as the value of a handle field: screen_name, username,
 *    handle, acct), an import line with their id as a field. A payload that names neither
 *    (rejected for lacking its author, say) cannot be told apart and stays;
 *  - relayed live events (`live_event`: events too large for a NOTIFY, read by id by the other
 *    processes, kept minutes) are rewritten, not deleted, so a process relaying one later still
 *    tells its clients what changed (`liveEventWithout`): one about their messages, conversations
 *    or contact loses every identifier and quote of theirs, their message its text (marked
 *    redacted by erasure) and their conversation a subject cut from their words; any other (a
 *    note, an expert question, a notice on someone else's conversation) loses their `@handle`,
 *    address and quotes; someone else's message or conversation stays as it is (the brand's
 *    reply loses their `@handle` and address, as its stored copy does);
 *  - earlier audit entries keep who did what when, but lose what they held about the person:
 *    a CRM link's customer id, consent note and previous id; moderation entries' evidence
 *    (`[erased]`) and author handle; the cited rule stays;
 *  - moderation of their posts or of them keeps its action, rule and status; the evidence
 *    (the agent's words, which quote them) becomes `[erased]`;
 *  - a web chat visitor's token record goes (their visitor id was their network user id);
 *  - replies to them not yet sent (queued, public or private, or waiting for sign-off) are
 *    withdrawn, audited and their authors told (src/outbox/deletedPost.ts): their identity is
 *    gone and the reply's text would read "@erased"; later replies to them are refused.
 * Staff text on their conversations loses their identifiers: in internal notes (an expert's
 * answer is a note too), expert questions (and the question copied into its `expert.asked`
 * audit entry) and the brand's stored outbound messages (text and payload), every
 * known handle (`@handle` → `@erased`; the bare handle → `erased`), display name, email
 * address, network user id and CRM customer id becomes `erased` (see `identifierScrubber`
 * for the matching rule: whole words, case-insensitive, Unicode-aware, nothing shorter than
 * 3 characters matched bare). An expert question on their conversations (and its `expert.asked`
 * copy and notice) and the expert's answer to it (a note, and its notice) also lose what they
 * quote of what the person wrote, as a question elsewhere does (`quoteScrubber`: a message of
 * theirs, or a line or sentence of it, of at least 20 characters, becomes `[erased]`), counted
 * in `expertQuotes`: an identifier rewrite alone would leave their words for anyone who can read
 * the question. A brand email's quote of their mail ("On … wrote:" and the `>` lines under
 * it, as src/channels/email/quote.ts finds them) becomes `[erased]`, and its stored RFC 5322 source and HTML copy are dropped (the text, rewritten, stays). The search
 * index follows the rewritten text. What a note says about them in other words cannot be told
 * apart: the result still lists the conversations with notes for the admin to read, with how
 * many were rewritten. Triage corrections hold only labels (category, sentiment...): no text
 * of theirs. Erasure does not delete the brand's posts on the network: a reply already
 * published there stays published (only Parley's copy is rewritten).
 * Elsewhere in the brand (other customers' conversations), what names them unmistakably goes
 * too (`eraseElsewhere`):
 *  - the brand's stored replies and the internal notes that name them as `@handle` or by
 *    email address: those two forms only (`mentionScrubber`), since a bare handle or name in
 *    a reply to someone else may be an ordinary word or another person's. An internal note
 *    also loses what it quotes of what they wrote (`quoteScrubber`, as an expert question does):
 *    only notes written since Parley first had a message of theirs (an earlier one cannot hold
 *    one) whose words hold one of their passages as a phrase (the notes' word index: SQLite
 *    FTS5 `note_fts`, PostgreSQL GIN on `to_tsvector('simple', text)`; `notesQuoting`) are read for
 *    quotes, the rest only when they name them. Other customers'
 *    own messages are not rewritten: they are those people's words and records (their own
 *    right of access covers them), not the brand's, and what they say cannot be told apart
 *    from what they say about someone else of the same name;
 *  - their email address in other people's stored emails: a payload past retention loses
 *    their keyed hash from its participants (computed as retention computes it, under the
 *    instance key for EMAIL_PARTICIPANT_PURPOSE: `secrets`; without it the hashes cannot be
 *    found and stay); a payload still whole loses them from its From, Reply-To, To and Cc
 *    (removed, not marked: a reply would go to a marker address, and every erased person's
 *    marker would be one shared participant) and loses its RFC 5322 source, which repeats
 *    those headers in forms that cannot all be rewritten (encoded words, base64). Its text
 *    and HTML are the sender's words and stay, as their message does; a brand email's words
 *    are rewritten as its replies are;
 *  - expert questions on other conversations (someone else's, or one they wrote in among
 *    others) lose their `@handle` and address, and quotes of what they wrote (`quoteScrubber`: a
 *    message of theirs, or a line or sentence of it, of at least 20 characters) become
 *    `[erased]`, in every copy (`eraseExpertQuestion`): the question, its `expert.asked` entry,
 *    the expert's answer (a note) and the notices that copy either (asked, overdue, answered, a
 *    colleague mentioned in the answer). A question is found by the ids of the messages it was
 *    recorded as quoting when it was asked or answered (`expert_quote`,
 *    src/commands/expertQuotes.ts: the question's conversation's messages, and those of other
 *    conversations that share words with it), and by its text: a question asked before that
 *    record, or quoting a message its word lookup did not find;
 *  - quotes of a message of theirs redacted before (they deleted it on the network, the brand
 *    did): its text is gone, so it is not looked for by text; notes, expert questions and reply
 *    drafts waiting for sign-off record, when written, the passages they quote of their
 *    conversation's messages and of other conversations' (found by the messages' word index) by
 *    message id and keyed hash (`quote_passage`, src/commands/expertQuotes.ts; notes and questions
 *    written before that record were recorded once by migration 20261207T0310): the notes and
 *    questions recorded as quoting any message of theirs are read, and a recorded passage found in
 *    them (by hash) becomes `[erased]`, as a quote found by text does (`recordedQuotes`); the
 *    hashes of their passages are deleted;
 *  - reply drafts on other conversations waiting for sign-off (the approvals queue): what they
 *    quote of what they wrote (by text, or by recorded passage) becomes `[erased]`, with the
 *    draft's copies (its audit entries, the notices that copy its text); it still waits, and the
 *    approver reads the marker before anything goes out (`draftsElsewhere`). Their `@handle` in it
 *    stays, as in any reply still to go out, and a reply already queued or being sent is the
 *    outbox's. Drafts the composer keeps while an agent types are in the agent's browser tab
 *    (web/src/conversation/Composer.tsx), never on the server: erasure cannot reach them;
 *  - an email that quotes their mail (it answers one of their mails by In-Reply-To or
 *    References, or its quote names their address: `eraseTheirQuote`), anyone's, loses that
 *    quoted history, its HTML copy and its RFC 5322 source; the sender's own words stay.
 * Those rows are found before the erasure's write transaction (`findElsewhere`), while ingest
 * and agents go on writing: on SQLite a range of ids at a time, on PostgreSQL in one read-only
 * snapshot, which also lists the ids below its high-water mark it did not hold (a sequence's id
 * may commit late). The transaction re-reads each row found, as it then is, and reads only the
 * rows the scan could not see. A brand of 1,000,000 messages kept ingest waiting 1.8 s on SQLite
 * with the scans inside; 0.06 s now (src/bench/erasure.ts). On PostgreSQL the notifications,
 * quarantined deliveries and live events of theirs are found the same way (`findTraces`, one more
 * snapshot, which also holds who they were then: a transaction that finds an identity, conversation
 * or message of theirs the snapshot did not know reads that table whole); on SQLite the
 * transaction still scans those itself. On PostgreSQL the transaction takes ingest's brand lock
 * first: a batch storing a message of theirs has committed before their messages are read (and it
 * is redacted), or waits for the erasure (and starts a new contact).
 * Admins (or the system: `parley contact erase`) only, with a reason; audited with who, when
 * and why, counts only, never the erased content. The brand's own account (an identity that
 * is one of the brand's channel accounts) is refused.
 */
import { sql, type ExpressionBuilder, type RawBuilder, type SqlBool } from 'kysely';
import { trimQuoted } from '../channels/email/quote.js';
import { EMAIL_PARTICIPANT_PURPOSE, normalizeAddress, participantHash } from '../channels/email/threading.js';
import { RETAINED_MARK } from '../channels/retainedRaw.js';
import { badRequest, conflict, forbidden, notFound } from '../errors.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../lib/clock.js';
import { jsonText } from '../lib/json.js';
import { publishWithdrawn, withdrawRepliesToErased } from '../outbox/deletedPost.js';
import { publishRedacted } from '../pipeline/deletions.js';
import { audit } from '../store/audit.js';
import type { DB } from '../store/schema.js';
import type { Store } from '../store/db.js';
import { redactMessages } from '../store/redact.js';
import { afterSecureDelete, secureDeleting } from '../store/secureDelete.js';
import { decodeText, encodeText } from '../store/text.js';
import { inLists, inValues, lockBrand, readSnapshot, type Tx } from '../store/util.js';
import { mergedContactIds } from './contactMerge.js';
import { quoteKey, recordedPassageScrubber } from './expertQuotes.js';
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
  /**
   * Conversations with internal notes, for the admin to read: their identifiers are replaced
   * (`rewritten` notes changed), but a note may still describe them in other words.
   */
  notesToReview: { count: number; conversationIds: number[]; rewritten: number };
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
  /** Internal notes on their conversations whose text named them (expert answers: or quoted them). */
  notes: number;
  /** Expert questions on their conversations whose text named or quoted them. */
  expertQuestions: number;
  /**
   * Expert questions on their conversations, and the experts' answers to them, in which a quote of
   * what they wrote became `[erased]` (each also counted in `expertQuestions` or `notes`).
   */
  expertQuotes: number;
  /** The brand's stored outbound messages that named or quoted them (Parley's copy; the network's post stays). */
  brandReplies: number;
  /** Replies to them, public or private, still waiting to go out (queued or for sign-off): withdrawn, never sent. */
  repliesWithdrawn: number;
  /** The brand's stored outbound messages on other customers' conversations that named them (`@handle`, email address). */
  brandRepliesElsewhere: number;
  /** Internal notes on other customers' conversations that named them (`@handle`, email address). */
  notesElsewhere: number;
  /** Other stored emails (anyone's, in the brand) that held their address in a header, or its keyed hash past retention: removed. */
  emailPayloads: number;
  /**
   * Expert questions on other customers' conversations that named them (`@handle`, email address) or
   * quoted what they wrote (the experts' answers that did are counted in `notesElsewhere`, the
   * notices of either in `notifications`).
   */
  expertQuestionsElsewhere: number;
  /** Other people's emails (and the brand's elsewhere) whose quoted history was their mail: the history erased. */
  quotedMails: number;
  /** Reply drafts on other customers' conversations, waiting for sign-off, whose quotes of what they wrote became `[erased]`. */
  draftsElsewhere: number;
}

/** What replaces quoted text (moderation evidence). */
export const ERASED_TEXT = '[erased]';

export interface EraseDeps {
  store: Store;
  bus: EventBus;
  clock: Clock;
  /**
   * The instance secret's keys (`SecretBox`): their address's keyed hash in retained email
   * payloads is found with it. Without it (a bare caller) those hashes stay.
   */
  secrets?: { deriveKey(purpose: string): Buffer };
  /** Called between the scan for them elsewhere in the brand and the erasure's transaction (tests: a write that lands in between). */
  afterScan?: () => Promise<void>;
  /** Called first and last inside the erasure's transaction (tests: what the transaction read). */
  inTransaction?: (trx: Tx, at: 'start' | 'end') => Promise<void>;
}

export async function eraseContact(deps: EraseDeps, actor: Actor, p: EraseContactInput): Promise<EraseContactResult> {
  if (!(actor.role === 'admin' && actor.userId != null) && actor.role !== 'system') throw forbidden('only an admin can erase a customer');
  const reason = p.reason.trim();
  if (reason.length < 3) throw badRequest('validation', 'say why the customer is erased (at least 3 characters), e.g. the request\'s reference');
  const { store, bus, clock } = deps;
  const contact = await store.db.selectFrom('contact').select('id').where('id', '=', p.contactId).where('brand_id', '=', actor.brandId).executeTakeFirst();
  if (!contact) throw notFound('contact');
  // the brand's rows elsewhere that name them, found before the transaction (SQLite: ingest writes meanwhile)
  const elsewhereOf = (identities: readonly { network: string; network_user_id: string; handle: string }[], conversations: readonly number[], written: Written): Elsewhere => ({
    brandId: actor.brandId,
    conversations,
    ...mentionsOf(identities),
    participantKey: deps.secrets?.deriveKey(EMAIL_PARTICIPANT_PURPOSE) ?? null,
    ...written,
  });
  const known = await store.db.selectFrom('contact_identity').select(['id', 'network', 'network_user_id', 'handle']).where('contact_id', '=', p.contactId).where('brand_id', '=', actor.brandId).execute();
  const before = await writtenBy(store.db, actor.brandId, known.map((i) => Number(i.id)));
  const found = await findElsewhere(store, elsewhereOf(known, [], before));
  const traces = await findTraces(store, actor.brandId, p.contactId, before.texts);
  await deps.afterScan?.();
  const now = clock.now();
  // their words leave the file too, not only the rows (src/store/secureDelete.ts)
  const out = await store.db.transaction().execute((trx) => secureDeleting(trx, store, async () => {
    await deps.inTransaction?.(trx, 'start');
    // ingest's lock (PostgreSQL): a batch storing a message of theirs has committed before the
    // reads below, or waits for the erasure (and then finds their identity erased)
    await lockBrand(trx, store, actor.brandId);
    const person = await trx.selectFrom('contact').select(['display_name', 'crm_customer_id']).where('id', '=', p.contactId).executeTakeFirstOrThrow();
    const identities = await trx.selectFrom('contact_identity').select(['id', 'network', 'network_user_id', 'handle', 'display_name']).where('contact_id', '=', p.contactId).where('brand_id', '=', actor.brandId).execute();
    for (const i of identities) {
      const own = await trx.selectFrom('channel_account').select('id').where('brand_id', '=', actor.brandId).where('network', '=', i.network).where('external_id', '=', i.network_user_id).executeTakeFirst();
      if (own) throw conflict('contact.brand_account', 'this contact is one of the brand\'s own accounts: it cannot be erased');
    }
    const identityIds = identities.map((i) => Number(i.id));
    const messageIds = identityIds.length
      ? (await trx.selectFrom('message').select('id').where(ofBrand(actor.brandId)).where('author_identity_id', 'in', identityIds).where('direction', '=', 'inbound').execute()).map((m) => Number(m.id))
      : [];
    const conversations = (await trx.selectFrom('conversation').select('id').where('contact_id', '=', p.contactId).where(ofBrand(actor.brandId)).execute()).map((c) => Number(c.id));
    // what they wrote, read before it is redacted: quotes of it elsewhere go too
    const written = await writtenBy(trx, actor.brandId, identityIds);
    const redaction = await redactMessages(trx, store, { brandId: actor.brandId, messageIds, reason: 'erasure', actor: actor.name, now });
    // before their words are replaced in the replies: a reply not yet sent is never sent ("@erased …")
    const withdrawn = await withdrawRepliesToErased(trx, store, { brandId: actor.brandId, conversationIds: conversations, actor: actor.name, now });
    const scrub = identifierScrubber({
      handles: identities.map((i) => i.handle),
      names: [...identities.map((i) => i.display_name ?? ''), person.display_name ?? ''],
      userIds: identities.map((i) => i.network_user_id),
      crmIds: person.crm_customer_id ? [person.crm_customer_id] : [],
    });
    // the contacts merged into this one (src/commands/contactMerge.ts): their identities and conversations are this one's now; audit entries about them keep their ids
    const merged = await mergedContactIds(trx, actor.brandId, p.contactId);
    // quotes of what they wrote (20 characters or more), in the expert questions and answers on their conversations and their notices;
    // and the passages of theirs recorded as quoted (by keyed hash), found also when the message was redacted before
    const quoted = quoteScrubber(written.texts);
    const recorded = await recordedQuotes(trx, store, actor.brandId, messageIds, now);
    const quotes = (s: string) => recorded.scrub(quoted.scrub(s));
    // the notices of the expert questions and answers on their conversations, before the rest of
    // their notices: one that holds the start of a question or answer whose cut falls in a quote
    // of theirs gets that start rewritten, the quote whole (read as it stands, the cut-off quote is not found)
    let expertNotices = 0;
    for (const [conversationId, texts] of await expertTextsOn(trx, actor.brandId, conversations, (s) => scrub(quotes(s)))) {
      expertNotices += await eraseExpertNotices(trx, actor.brandId, conversationId, texts, (s) => s);
    }
    const alsoErased = await eraseTraces(trx, store, { brandId: actor.brandId, contactId: p.contactId, mergedContactIds: merged, identities, messageIds, conversations, scrub, quotes: quoted.scrub, quotesKey: quoted.key }, traces);
    alsoErased.notifications += redaction.notifications + expertNotices;
    alsoErased.repliesWithdrawn = withdrawn.messages.length;
    const staff = await eraseStaffText(trx, store, { brandId: actor.brandId, conversations, scrub, quotes });
    Object.assign(alsoErased, { notes: staff.notes, expertQuestions: staff.expertQuestions, expertQuotes: staff.expertQuotes, brandReplies: staff.brandReplies });
    alsoErased.auditEntries += staff.auditEntries;
    // after their conversations (whose brand mails then name them as "erased"): the rest of the brand
    // every message of theirs (those redacted before too): the questions and notes recorded as quoting one
    const elsewhere = await eraseElsewhere(trx, store, { ...elsewhereOf(identities, conversations, { ...written, messageIds }), recorded }, found);
    Object.assign(alsoErased, {
      brandRepliesElsewhere: elsewhere.brandReplies, notesElsewhere: elsewhere.notes, emailPayloads: elsewhere.emailPayloads,
      expertQuestionsElsewhere: elsewhere.expertQuestions, quotedMails: elsewhere.quotedMails, draftsElsewhere: elsewhere.drafts,
    });
    alsoErased.auditEntries += elsewhere.auditEntries;
    alsoErased.notifications += elsewhere.notifications;
    // the keyed hashes of their passages go with their words
    for (const part of inLists(messageIds)) await trx.deleteFrom('quote_passage').where('brand_id', '=', actor.brandId).where(inValues(store, 'message_id', part, 'bigint')).execute();
    for (const id of identityIds) {
      await trx.updateTable('contact_identity')
        .set({ handle: ERASED, display_name: ERASED, avatar_url: null, profile_url: null, followers: null, verified: 0, network_user_id: `${ERASED}:${id}`, handle_key: null, address_key: null, updated_at: now })
        .where('id', '=', id)
        .execute();
    }
    await trx.deleteFrom('crm_consent').where('contact_id', '=', p.contactId).execute();
    // the consent questions asked of them (src/commands/contacts.ts): on their conversations, or
    // recorded against them or a contact merged into them
    await trx.deleteFrom('crm_consent_ask').where(ofBrand(actor.brandId)).where((eb) => eb.or([
      eb('contact_id', 'in', [p.contactId, ...merged]),
      ...(conversations.length ? [eb('conversation_id', 'in', conversations)] : []),
    ])).execute();
    await trx.updateTable('contact').set({ display_name: ERASED, crm_customer_id: null, crm_consent_at: null, crm_linked_by: null, updated_at: now }).where('id', '=', p.contactId).execute();
    const notes = conversations.length
      ? await trx.selectFrom('note').select(['conversation_id']).where('conversation_id', 'in', conversations).execute()
      : [];
    const notesToReview = { count: notes.length, conversationIds: [...new Set(notes.map((n) => Number(n.conversation_id)))].sort((a, b) => a - b), rewritten: staff.notes };
    await audit(trx, {
      brandId: actor.brandId, actor: actor.name, action: 'contact.erased', subjectType: 'contact', subjectId: p.contactId,
      // who, when (the entry's time) and why; counts only, never what was erased
      data: { reason, messagesRedacted: redaction.redacted.length, identitiesErased: identityIds.length, notesToReview: notesToReview.count, alsoErased },
    }, now);
    await deps.inTransaction?.(trx, 'end');
    return { messagesRedacted: redaction.redacted, identitiesErased: identityIds.length, notesToReview, alsoErased, withdrawn };
  }));
  afterSecureDelete(store);
  await publishRedacted({ store, bus }, actor.brandId, out.messagesRedacted);
  publishWithdrawn(bus, actor.brandId, out.withdrawn);
  bus.publish(actor.brandId, 'contact.updated', { contactId: p.contactId, crmCustomerId: null, erased: true });
  return { contactId: p.contactId, messagesRedacted: out.messagesRedacted.length, identitiesErased: out.identitiesErased, notesToReview: out.notesToReview, alsoErased: out.alsoErased };
}

interface Traces {
  brandId: number;
  contactId: number;
  /** Contacts merged into this one earlier (their audit entries are about the same person). */
  mergedContactIds: readonly number[];
  identities: readonly { id: number; network: string; network_user_id: string; handle: string; display_name: string | null }[];
  messageIds: readonly number[];
  conversations: readonly number[];
  /** Replaces their identifiers in a text (see `identifierScrubber`). */
  scrub: (s: string) => string;
  /** Replaces quotes of what they wrote with `[erased]` (`quoteScrubber`). */
  quotes: (s: string) => string;
  /** What `quotes` looks for (`quoteScrubber`'s key): a scan that looked for other quotes is not enough. */
  quotesKey: string;
}

/**
 * The brand's rows, checked on each row but not looked up by the brand (`+brand_id`): a
 * query that also names its rows by id, author or conversation is then planned on that
 * index, not on one of the brand's indexes that hold all its messages (SQLite, without
 * statistics, took those: a third of a second for one author's messages at 1,000,000).
 */
function ofBrand(brandId: number): RawBuilder<SqlBool> {
  return sql<SqlBool>`+${sql.ref('brand_id')} = ${brandId}`;
}

/** Rows read per page when scanning a table for the person. */
const SCAN_PAGE = 500;

/**
 * Rows read a page of SCAN_PAGE at a time, by id: `page(after)` reads the rows with ids above
 * `after` in id order (at most SCAN_PAGE), `each` handles each page, until one comes back short.
 */
async function byPages<R extends { id: unknown }>(page: (after: number) => Promise<R[]>, each: (rows: R[]) => Promise<void>): Promise<void> {
  for (let after = 0; ;) {
    const rows = await page(after);
    await each(rows);
    if (rows.length < SCAN_PAGE) return;
    after = Number(rows[rows.length - 1]!.id);
  }
}

/** The handles and network user ids that notifications and quarantined deliveries are searched for. */
function traceNeedles(identities: readonly { handle: string; network_user_id: string }[]): { handles: string[]; userIds: string[] } {
  return {
    handles: [...new Set(identities.map((i) => i.handle.replace(/^@/, '')).filter((h) => h.length >= 2 && h !== ERASED))],
    userIds: [...new Set(identities.map((i) => i.network_user_id).filter((u) => u !== '' && !u.startsWith(`${ERASED}:`)))],
  };
}

/** Email addresses as the scans compare them (`normalizeAddress`), each once, without those erasure already left. */
function theirAddresses(addresses: readonly string[]): string[] {
  return [...new Set(addresses.map(normalizeAddress).filter((a) => a.includes('@') && !a.startsWith(`${ERASED}:`)))];
}

/** What names them unmistakably outside their conversations (`mentionScrubber`): network handles and email addresses. */
function mentionsOf(identities: readonly { network: string; network_user_id: string; handle: string }[]): { handles: string[]; addresses: string[] } {
  return {
    handles: identities.filter((i) => i.network !== 'email').map((i) => i.handle),
    addresses: theirAddresses(identities.filter((i) => i.network === 'email').flatMap((i) => [i.network_user_id, i.handle])),
  };
}

/** The tables of the person's traces that are read for them by a scan of the brand's rows. */
const TRACE_TABLES = ['notification', 'quarantine', 'live_event'] as const;
type TraceTable = (typeof TRACE_TABLES)[number];

/**
 * The rows of `eraseTraces`' scans (notifications, quarantined deliveries, live events) that were
 * theirs when `findTraces` read them, in one read-only snapshot before the erasure's transaction,
 * with what it looked for: the transaction re-reads those rows, and reads the rows the snapshot
 * could not see (ids above its high-water mark, and the ranges of ids below it that it did not
 * hold). A table's rows are written once (a notification's read mark aside): a row the snapshot
 * saw and passed over still does not name them, unless the transaction looks for more (an
 * identity, conversation or message of theirs the snapshot did not know): then it reads that
 * table whole.
 */
interface TraceCandidates {
  handles: ReadonlySet<string>;
  userIds: ReadonlySet<string>;
  messages: ReadonlySet<number>;
  conversations: ReadonlySet<number>;
  /** Their contact and those merged into it (live events about a contact). */
  contacts: ReadonlySet<number>;
  /** Their email addresses (live events elsewhere that name them). */
  addresses: ReadonlySet<string>;
  /** `quoteScrubber`'s key for what they had written (live events elsewhere that quote them). */
  quotesKey: string;
  after: Record<TraceTable, number>;
  gaps: Record<TraceTable, readonly (readonly [number, number])[]>;
  ids: Record<TraceTable, number[]>;
}

/** The notifications that may name them: `@handle` in the title or body, or on one of their conversations (the row decides). */
function notificationsNaming(db: Tx, brandId: number, handles: readonly string[], conversations: readonly number[], which: RawBuilder<SqlBool>, after: number) {
  return db.selectFrom('notification').select(['id', 'title', 'body', 'conversation_id']).where('brand_id', '=', brandId).where(which).where('id', '>', after)
    .where((eb) => eb.or([
      ...handles.flatMap((h) => [eb(eb.fn('lower', ['title']), 'like', `%@${h.toLowerCase()}%`), eb(eb.fn('lower', ['body']), 'like', `%@${h.toLowerCase()}%`)]),
      ...[...inLists([...conversations])].map((part) => eb('conversation_id', 'in', part)),
    ]))
    .orderBy('id').limit(SCAN_PAGE).execute();
}

/** Quarantined payloads holding one of these strings (narrowed in SQL by a substring: `deliveryOf` decides). */
function quarantinedNaming(db: Tx, brandId: number, needles: readonly string[], which: RawBuilder<SqlBool>, after: number) {
  return db.selectFrom('quarantine').select(['id', 'raw']).where('brand_id', '=', brandId).where(which).where('id', '>', after)
    .where((eb) => eb.or(needles.map((n) => eb(eb.fn('lower', ['raw']), 'like', `%${n.toLowerCase()}%`))))
    .orderBy('id').limit(SCAN_PAGE).execute();
}

/** The brand's relayed live events (`liveEventAbout` decides). */
function liveEvents(db: Tx, brandId: number, which: RawBuilder<SqlBool>, after: number) {
  return db.selectFrom('live_event').select(['id', 'data']).where('brand_id', '=', brandId).where(which).where('id', '>', after).orderBy('id').limit(SCAN_PAGE).execute();
}

const ANY_ROW = sql<SqlBool>`1 = 1`;

/**
 * The scans of `eraseTraces` done before the erasure's transaction, on PostgreSQL: one read-only
 * snapshot (REPEATABLE READ), which blocks no writer, holds what the person was then (identities,
 * conversations, messages) and the rows of theirs among the notifications, quarantined
 * deliveries and live events, with each table's high-water mark and the ids below it the
 * snapshot did not hold (a sequence's id may commit late). SQLite: null (one writer: the
 * transaction scans, as the rows cannot change under it; see `findElsewhere` for its replies).
 */
async function findTraces(store: Store, brandId: number, contactId: number, texts: readonly string[]): Promise<TraceCandidates | null> {
  if (store.dialect !== 'postgres') return null;
  return readSnapshot(store, async (db) => {
    const identities = await db.selectFrom('contact_identity').select(['id', 'network', 'network_user_id', 'handle']).where('contact_id', '=', contactId).where('brand_id', '=', brandId).execute();
    const { handles, userIds } = traceNeedles(identities);
    const mentions = mentionsOf(identities);
    const contacts = new Set([contactId, ...(await mergedContactIds(db, brandId, contactId))]);
    const identityIds = identities.map((i) => Number(i.id));
    const messages = identityIds.length
      ? (await db.selectFrom('message').select('id').where(ofBrand(brandId)).where('author_identity_id', 'in', identityIds).where('direction', '=', 'inbound').execute()).map((m) => Number(m.id))
      : [];
    const conversations = (await db.selectFrom('conversation').select('id').where('contact_id', '=', contactId).where(ofBrand(brandId)).execute()).map((c) => Number(c.id));
    const after = {} as Record<TraceTable, number>;
    const gaps = {} as Record<TraceTable, [number, number][]>;
    for (const table of TRACE_TABLES) {
      after[table] = Number((await sql<{ m: number | string | null }>`SELECT max(id) AS m FROM ${sql.table(table)}`.execute(db)).rows[0]?.m ?? 0);
      gaps[table] = await idGaps(db, table, after[table]);
    }
    const ids: Record<TraceTable, number[]> = { notification: [], quarantine: [], live_event: [] };
    const upTo = (table: TraceTable) => sql<SqlBool>`id <= ${after[table]}`;
    if (handles.length || conversations.length) {
      await byPages((from) => notificationsNaming(db, brandId, handles, conversations, upTo('notification'), from), async (rows) => { ids.notification.push(...rows.map((r) => Number(r.id))); });
    }
    const needles = [...userIds, ...handles];
    if (needles.length) {
      await byPages((from) => quarantinedNaming(db, brandId, needles, upTo('quarantine'), from), async (rows) => {
        ids.quarantine.push(...rows.filter((r) => deliveryOf(r.raw, userIds, handles)).map((r) => Number(r.id)));
      });
    }
    const mine = new Set(messages);
    const theirs = new Set(conversations);
    // a live event about them (by id), or one elsewhere that names or quotes them: what the
    // transaction's rewrite changes (`liveEventWithout`), with every identifier of theirs as a
    // change (a superset: the transaction decides)
    const quoted = quoteScrubber(texts);
    const mention = mentionScrubber(mentions);
    const elsewhere = (s: string) => mention(quoted.scrub(s));
    const about = { messages: mine, conversations: theirs, contacts, theirs: (s: string) => `${s} `, elsewhere, mention, subjects: new Map<number, string>() };
    await byPages((from) => liveEvents(db, brandId, upTo('live_event'), from), async (rows) => {
      ids.live_event.push(...rows.filter((r) => liveEventWithout(r.data, about) !== r.data).map((r) => Number(r.id)));
    });
    return {
      handles: new Set(handles), userIds: new Set(userIds), messages: mine, conversations: theirs, contacts, addresses: new Set(mentions.addresses), quotesKey: quoted.key,
      after, gaps, ids,
    };
  });
}

/**
 * The rows of a trace table to decide on, a page at a time (`page(which, after)`: those `which`
 * selects with ids above `after`): every row when nothing was scanned (or the scan looked for
 * less), else the scan's rows (re-read), those in its gaps and those above its high-water mark.
 */
async function eachTrace<R extends { id: unknown }>(store: Store, scanned: TraceCandidates | null, table: TraceTable, page: (which: RawBuilder<SqlBool>, after: number) => Promise<R[]>, each: (rows: R[]) => Promise<void>): Promise<void> {
  const pass = (which: RawBuilder<SqlBool>) => byPages((after) => page(which, after), each);
  if (!scanned) return pass(ANY_ROW);
  for (const part of inLists(scanned.ids[table])) await pass(inValues(store, 'id', part, 'bigint'));
  const gaps = scanned.gaps[table];
  for (let i = 0; i < gaps.length; i += GAPS_PER_READ) {
    await pass(sql<SqlBool>`(${sql.join(gaps.slice(i, i + GAPS_PER_READ).map(([lo, hi]) => sql`id BETWEEN ${lo} AND ${hi}`), sql` OR `)})`);
  }
  await pass(sql<SqlBool>`id > ${scanned.after[table]}`);
}

const within = <T>(xs: Iterable<T>, set: ReadonlySet<T>) => [...xs].every((x) => set.has(x));

/** The person's traces outside their messages, identities and contact (see the file's comment); `found`: `findTraces`' (PostgreSQL). */
async function eraseTraces(trx: Tx, store: Store, t: Traces, found: TraceCandidates | null = null): Promise<AlsoErased> {
  const { handles, userIds } = traceNeedles(t.identities);
  const messages = new Set(t.messageIds);
  const conversations = new Set(t.conversations);
  const out: AlsoErased = { notifications: 0, quarantined: 0, liveEvents: 0, auditEntries: 0, moderationEvidence: 0, webchatVisitors: 0, notes: 0, expertQuestions: 0, expertQuotes: 0, brandReplies: 0, repliesWithdrawn: 0, brandRepliesElsewhere: 0, notesElsewhere: 0, emailPayloads: 0, expertQuestionsElsewhere: 0, quotedMails: 0, draftsElsewhere: 0 };
  // the scan serves a table only if it looked for all the transaction looks for there
  const sawHandles = !!found && within(handles, found.handles);
  const sawConversations = !!found && within(conversations, found.conversations);
  const scanned = (enough: boolean) => (enough ? found : null);

  // notifications naming them: `@handle` anywhere in the brand; every identifier on their
  // conversations, and quotes of what they wrote (an expert question's or answer's notice quotes it)
  const handleRe = handles.length ? new RegExp(`@(?:${handles.map(escapeRe).join('|')})(?![\\p{L}\\p{N}_])`, 'giu') : null;
  const scrub = (s: string, theirs: boolean) => {
    const q = theirs ? t.quotes(s) : s;
    const r = handleRe ? q.replace(handleRe, `@${ERASED}`) : q;
    return theirs ? t.scrub(r) : r;
  };
  if (handles.length || t.conversations.length) {
    await eachTrace(store, scanned(sawHandles && sawConversations), 'notification',
      (which, after) => notificationsNaming(trx, t.brandId, handles, t.conversations, which, after),
      async (rows) => {
        for (const n of rows) {
          const theirs = n.conversation_id != null && conversations.has(Number(n.conversation_id));
          const title = scrub(n.title, theirs);
          const body = scrub(n.body, theirs);
          if (title === n.title && body === n.body) continue;
          await trx.updateTable('notification').set({ title, body }).where('id', '=', n.id).execute();
          out.notifications++;
        }
      },
    );
  }

  // quarantined deliveries of theirs: narrowed in SQL by a substring, decided on the parsed payload
  const needles = [...userIds, ...handles];
  if (needles.length) {
    await eachTrace(store, scanned(sawHandles && !!found && within(userIds, found.userIds)), 'quarantine',
      (which, after) => quarantinedNaming(trx, t.brandId, needles, which, after),
      async (rows) => {
        const theirs = rows.filter((r) => deliveryOf(r.raw, userIds, handles)).map((r) => Number(r.id));
        for (const part of inLists(theirs)) {
          const r = await trx.deleteFrom('quarantine').where(inValues(store, 'id', part, 'bigint')).executeTakeFirst();
          out.quarantined += Number(r.numDeletedRows);
        }
      },
    );
  }

  // live events relayed between processes (minutes old at most, read by id when another process
  // is told of them): rewritten, not deleted, so a process relaying one later still tells its
  // clients what changed (`liveEventWithout`)
  const mentions = mentionsOf(t.identities);
  const mention = mentionScrubber(mentions);
  const contacts = new Set([t.contactId, ...t.mergedContactIds]);
  const subjects = new Map<number, string>();
  for (const part of inLists(t.conversations)) {
    for (const c of await trx.selectFrom('conversation').select(['id', 'subject']).where('id', 'in', part).execute()) subjects.set(Number(c.id), t.scrub(t.quotes(c.subject ?? '')));
  }
  const about = { messages, conversations, contacts, theirs: (s: string) => t.scrub(t.quotes(s)), elsewhere: (s: string) => mention(t.quotes(s)), mention, subjects };
  const sawLive = sawConversations && !!found && within(messages, found.messages) && within(contacts, found.contacts) && within(mentions.addresses, found.addresses) && found.quotesKey === t.quotesKey;
  await eachTrace(store, scanned(sawLive && sawHandles), 'live_event',
    (which, after) => liveEvents(trx, t.brandId, which, after),
    async (rows) => {
      for (const r of rows) {
        const data = liveEventWithout(r.data, about);
        if (data === r.data) continue;
        await trx.updateTable('live_event').set({ data }).where('id', '=', r.id).execute();
        out.liveEvents++;
      }
    },
  );

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
    eb.and([eb('subject_type', '=', 'contact'), eb('subject_id', 'in', [t.contactId, ...t.mergedContactIds].map(String)), eb('action', 'in', ['contact.crm_linked', 'contact.crm_unlinked'])]),
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

interface StaffText {
  brandId: number;
  conversations: readonly number[];
  scrub: (s: string) => string;
  /** Replaces quotes of what they wrote with `[erased]` (`quoteScrubber`): in expert questions and answers. */
  quotes: (s: string) => string;
}

/**
 * Their identifiers out of the staff's and the brand's words on their conversations: internal
 * notes, expert questions (and their copy in the `expert.asked` audit entry), the brand's
 * stored outbound messages. Expert questions, their `expert.asked` copy and the experts' answers
 * (the notes an answered question points to) also lose their quotes of what the person wrote
 * (`t.quotes`, before the identifiers: a quote of theirs that names them is still their words).
 * Counts of rows changed.
 */
async function eraseStaffText(trx: Tx, store: Store, t: StaffText): Promise<{ notes: number; expertQuestions: number; expertQuotes: number; brandReplies: number; auditEntries: number }> {
  const out = { notes: 0, expertQuestions: 0, expertQuotes: 0, brandReplies: 0, auditEntries: 0 };
  /** An expert's question or answer without their quotes and identifiers, and whether a quote went. */
  const expertText = (s: string) => {
    const unquoted = t.quotes(s);
    return { text: t.scrub(unquoted), quoted: unquoted !== s };
  };
  for (const part of inLists([...t.conversations])) {
    const questions = await trx.selectFrom('expert_request').select(['id', 'question', 'answer_note_id']).where('brand_id', '=', t.brandId).where('conversation_id', 'in', part).execute();
    const answers = new Set(questions.flatMap((q) => (q.answer_note_id == null ? [] : [Number(q.answer_note_id)])));

    const notes = await trx.selectFrom('note').select(['id', 'text']).where(ofBrand(t.brandId)).where('conversation_id', 'in', part).execute();
    for (const n of notes) {
      const answer = answers.has(Number(n.id)) ? expertText(n.text) : { text: t.scrub(n.text), quoted: false };
      if (answer.text === n.text) continue;
      await trx.updateTable('note').set({ text: answer.text }).where('id', '=', n.id).execute();
      out.notes++;
      if (answer.quoted) out.expertQuotes++;
    }

    for (const q of questions) {
      const question = expertText(q.question);
      if (question.text === q.question) continue;
      await trx.updateTable('expert_request').set({ question: question.text }).where('id', '=', q.id).execute();
      out.expertQuestions++;
      if (question.quoted) out.expertQuotes++;
    }
    // the earlier texts of answers their experts corrected (`expert_answer_revision`): as the answer
    await eraseAnswerRevisions(trx, questions.map((q) => Number(q.id)), (s) => expertText(s).text);
    // the question copied into `expert.asked` (its quotes too), an answer's texts before and after
    // a correction (`expert.answer_edited`), the reason a question was withdrawn or reassigned;
    // the handles and reason of a merge or split shown on their timeline
    const asked = await trx.selectFrom('audit_event').select(['id', 'action', 'subject_type', 'data']).where('brand_id', '=', t.brandId).where('action', 'in', ['expert.asked', ...EXPERT_TEXT_ENTRIES, 'contact.merged', 'contact.split']).where('conversation_id', 'in', part).execute();
    for (const e of asked) {
      const question = (e.action === 'expert.asked' || EXPERT_TEXT_ENTRIES.includes(e.action)) && e.subject_type === 'expert_request';
      const data = scrubPayload(e.data, question ? (s) => expertText(s).text : t.scrub);
      if (data === e.data) continue;
      await trx.updateTable('audit_event').set({ data }).where('id', '=', e.id).execute();
      out.auditEntries++;
    }

    // the brand's replies: the text (the search index follows: FTS5 trigger, generated tsvector) and the stored payload
    const replies = await trx.selectFrom('message').select(['id', 'text', 'text_escaped', 'raw', 'review_note'])
      .where(ofBrand(t.brandId)).where('conversation_id', 'in', part).where('direction', '=', 'outbound').execute();
    for (const m of replies) {
      const email = isEmailRaw(m.raw);
      const original = decodeText(m.text, m.text_escaped);
      const rewritten = t.scrub(email ? eraseQuotedMail(original) : original);
      const raw = m.raw == null ? null : scrubPayload(m.raw, t.scrub);
      const reviewNote = m.review_note == null ? null : t.scrub(m.review_note);
      if (rewritten === original && raw === m.raw && reviewNote === m.review_note) continue;
      const stored = encodeText(rewritten);
      await trx.updateTable('message').set({ text: stored.text, text_escaped: stored.escaped, raw, review_note: reviewNote }).where('id', '=', m.id).execute();
      out.brandReplies++;
    }
  }
  return out;
}

/** What the person wrote, read before it is redacted (`writtenBy`). */
interface Written {
  /** Their messages' ids: the expert questions that quote them are found by these (`expert_quote`). In the transaction: every message of theirs, redacted or not. */
  messageIds: readonly number[];
  /** The Message-IDs of their emails (`mailId`): a mail answering one of them quotes theirs. */
  mailIds: readonly string[];
  /** The texts of their messages: a quote of them in an expert question or internal note elsewhere goes. */
  texts: readonly string[];
  /** When Parley first had a message of theirs (the earliest of its times): a note written before cannot quote them. */
  since: number | null;
}

/** A Message-ID as compared: without its angle brackets, lower case. */
const mailId = (id: string) => id.trim().replace(/^<|>$/g, '').toLowerCase();

/** Their inbound messages' texts and email Message-IDs, not yet redacted (by author: an index lookup). */
async function writtenBy(db: Tx, brandId: number, identityIds: readonly number[]): Promise<Written> {
  if (!identityIds.length) return { messageIds: [], mailIds: [], texts: [], since: null };
  const rows = await db.selectFrom('message').select(['id', 'network', 'network_message_id', 'text', 'text_escaped', 'created_at', 'received_at']).where(ofBrand(brandId))
    .where('author_identity_id', 'in', [...identityIds]).where('direction', '=', 'inbound').where('redacted_at', 'is', null).execute();
  return {
    messageIds: rows.map((r) => Number(r.id)),
    mailIds: rows.filter((r) => r.network === 'email' && r.network_message_id != null).map((r) => mailId(r.network_message_id!)),
    texts: rows.map((r) => decodeText(r.text, r.text_escaped)),
    // (a loop, not Math.min(...rows): a prolific writer's rows would overflow the call's arguments)
    since: rows.reduce<number | null>((m, r) => Math.min(m ?? Infinity, Number(r.created_at), Number(r.received_at)), null),
  };
}

interface Elsewhere extends Written {
  brandId: number;
  /** The transaction's: the passages of theirs recorded as quoted (`recordedQuotes`). */
  recorded?: RecordedQuotes;
  /** Theirs: done by eraseStaffText with every identifier; passed over here. */
  conversations: readonly number[];
  /** Their handles on the networks (not email). */
  handles: readonly string[];
  /** Their email addresses. */
  addresses: readonly string[];
  /** The key of retained participant hashes (EMAIL_PARTICIPANT_PURPOSE), or null: then those hashes cannot be found. */
  participantKey: Buffer | null;
}

/** What the erasure looks for elsewhere in the brand, and how it rewrites what it finds. */
interface ElsewhereSearch {
  /** `@handle`, address and Message-ID, lower case: what the scans narrow by (a scan that looked for less is not enough). */
  lookedFor: string[];
  addresses: string[];
  /** Their emails' Message-IDs (`mailId`). */
  mailIds: string[];
  hashes: Set<string>;
  scrub: (s: string) => string;
  /** An expert question's text without their quoted words (`quoteScrubber`) and their `@handle` and address. */
  question: (s: string) => string;
  /** A text without their quoted words only (by text, and by recorded passage): a reply draft still to go out keeps their `@handle`. */
  quotes: (s: string) => string;
  /** What the quote matcher looks for: the transaction reads every question and note again when it changed since the scan. */
  quotesKey: string;
  naming: RawBuilder<SqlBool>;
  /** Notes that may name or quote them: naming them, or (when they wrote anything to quote) written since their first message. */
  notes: RawBuilder<SqlBool>;
}

function elsewhereSearch(t: Elsewhere, quoting: readonly number[] | null): ElsewhereSearch | null {
  const handles = [...new Set(t.handles.map((h) => h.trim().replace(/^@/, '')).filter((h) => h !== '' && h.toLowerCase() !== ERASED))];
  const addresses = theirAddresses(t.addresses);
  const mailIds = [...new Set(t.mailIds.map(mailId))].filter((id) => id.length >= 6);
  const needles = [...handles.map((h) => `@${h.toLowerCase()}`), ...addresses];
  const quotes = quoteScrubber(t.texts);
  if (!needles.length && !mailIds.length && !quotes.key && !t.recorded?.passages) return null;
  const hashes = new Set(addresses.length && t.participantKey ? addresses.map((a) => participantHash(t.participantKey!, a)) : []);
  const naming = needles.length ? sql<SqlBool>`(${sql.join(needles.map((n) => sql`lower(text) LIKE ${`%${n}%`}`), sql` OR `)})` : sql<SqlBool>`1 = 0`;
  const scrub = mentionScrubber({ handles, addresses });
  const recorded = t.recorded?.scrub ?? ((x: string) => x);
  // a quote is decided on the note's text; only notes written since their first message can hold
  // one, and of those only the ones the word index found a passage of theirs in (`notesQuoting`)
  const words = quoting === null || quoting.length > MAX_QUOTING_NOTES ? sql<SqlBool>`1 = 1` : quoting.length ? sql<SqlBool>`${sql.ref('id')} IN (${sql.join([...quoting])})` : sql<SqlBool>`1 = 0`;
  return {
    lookedFor: [...needles, ...mailIds], addresses, mailIds, hashes, scrub, question: (s) => scrub(recorded(quotes.scrub(s))), quotes: (s) => recorded(quotes.scrub(s)), quotesKey: quotes.key,
    naming,
    notes: quotes.key && t.since != null ? sql<SqlBool>`(${naming} OR (${sql.ref('created_at')} >= ${t.since} AND ${words}))` : naming,
  };
}

/** The kinds of rows elsewhere in the brand that may name or quote them, each found by a scan narrowed in SQL (questions: decided on the row). */
const ELSEWHERE_KINDS = ['replies', 'notes', 'mails', 'retained', 'questions'] as const;
type ElsewhereKind = (typeof ELSEWHERE_KINDS)[number];
/** The tables those kinds are read from, each with its own ids. */
type ScanTable = 'message' | 'note' | 'expert_request';
const SCAN_TABLES: readonly ScanTable[] = ['message', 'note', 'expert_request'];
const tableOf = (kind: ElsewhereKind): ScanTable => (kind === 'notes' ? 'note' : kind === 'questions' ? 'expert_request' : 'message');

/**
 * The rows of one kind that may name them, among those `which` selects (an id range or list).
 * A reply is found whatever its status (one sent between the scan and the rewrite is then
 * rewritten too); the rewrite decides on the row as it then is. Expert questions are few: every
 * one `which` selects is read (with its text), the caller decides.
 */
function elsewhereRows(db: Tx, brandId: number, s: ElsewhereSearch, kind: ElsewhereKind, which: RawBuilder<SqlBool>, limit = Number.MAX_SAFE_INTEGER): Promise<{ id: unknown; question?: string; answer?: string | null; text?: string }[]> {
  const messages = db.selectFrom('message').select('id').where(ofBrand(brandId)).where(which);
  switch (kind) {
    case 'replies':
      return messages.where('direction', '=', 'outbound').where(s.naming).orderBy('id').limit(limit).execute();
    case 'notes':
      return db.selectFrom('note').select(['id', 'text']).where(ofBrand(brandId)).where(which).where(s.notes).orderBy('id').limit(limit).execute();
    case 'mails': {
      // their address (a header, a quote's "On … wrote:"), or one of their mails' Message-ID (a reply to it)
      const needles = [...s.addresses, ...s.mailIds];
      if (!needles.length) return Promise.resolve([]);
      return messages.where('network', '=', 'email').where('raw', 'is not', null).where('raw', 'not like', RETAINED_PREFIX)
        .where((eb) => eb.or(needles.map((a) => eb(eb.fn('lower', ['raw']), 'like', `%${a}%`)))).orderBy('id').limit(limit).execute();
    }
    case 'retained':
      if (!s.hashes.size) return Promise.resolve([]);
      // a hash is base64url: `_` matches any character here, and SQLite's LIKE ignores case; the row decides
      return messages.where('network', '=', 'email').where('raw', 'like', RETAINED_PREFIX)
        .where((eb) => eb.or([...s.hashes].map((h) => eb('raw', 'like', `%${h}%`)))).orderBy('id').limit(limit).execute();
    case 'questions':
      // with the expert's answer (a note), which may quote them too
      return db.selectFrom('expert_request')
        .select((eb) => ['id', 'question', answerText(eb)])
        .where('brand_id', '=', brandId).where(which).orderBy('id').limit(limit).execute();
  }
}

/**
 * The rows elsewhere in the brand that named them when `findElsewhere` read them, outside the
 * erasure's transaction; the transaction re-reads each and rewrites it if it still names them,
 * and reads the rows the scan could not see: ids above its high-water mark and, on
 * PostgreSQL, ids in the gaps below it (a row committed after the scan's snapshot).
 */
export interface ElsewhereCandidates {
  /** What was looked for: the transaction scans everything again if it looks for more. */
  lookedFor: readonly string[];
  /** `ElsewhereSearch.quotesKey` when scanned: the transaction reads every question again if it changed. */
  quotes: string;
  /** The highest id of each table the scan saw. */
  after: Record<ScanTable, number>;
  /** PostgreSQL: the ranges of ids up to `after` the scan's snapshot did not hold (drawn and not yet committed, rolled back, deleted). */
  gaps: Record<ScanTable, readonly (readonly [number, number])[]>;
  ids: Record<ElsewhereKind, number[]>;
}

/** Found nothing, scanned nothing: the transaction scans every row. */
const SCANNED_NOTHING: ElsewhereCandidates = {
  lookedFor: [], quotes: '', after: { message: 0, note: 0, expert_request: 0 }, gaps: { message: [], note: [], expert_request: [] },
  ids: { replies: [], notes: [], mails: [], retained: [], questions: [] },
};

/** Ids read per statement by `findElsewhere`: each statement short, so a write (and, on SQLite, the event loop) gets its turn between two. */
const SCAN_SPAN = 20_000;

/**
 * The scans of `eraseElsewhere` (every reply, note, email and expert question of the brand, by
 * substring) done before the erasure's transaction, a range of ids at a time, while writers go on.
 * SQLite: each range its own read; ids are given out under the one write lock, so a row with an
 * id at most the high-water mark read first was there for the scan to see. PostgreSQL: one
 * read-only snapshot (REPEATABLE READ), which blocks no writer. Its ids come from sequences, so a
 * smaller id may commit later (ingest reserves its ids early in its transaction): the ids up to
 * the high-water mark the snapshot does not hold are kept as ranges, for the transaction to read.
 */
async function findElsewhere(store: Store, t: Elsewhere): Promise<ElsewhereCandidates> {
  if (!elsewhereSearch(t, [])) return SCANNED_NOTHING;
  const scan = async (db: Tx): Promise<ElsewhereCandidates> => {
    const s = elsewhereSearch(t, await notesQuoting(db, store.dialect, t.brandId, t.texts))!;
    const max = async (table: ScanTable) => Number((await sql<{ m: number | string | null }>`SELECT max(id) AS m FROM ${sql.table(table)}`.execute(db)).rows[0]?.m ?? 0);
    const after = { message: await max('message'), note: await max('note'), expert_request: await max('expert_request') };
    const gaps: ElsewhereCandidates['gaps'] = { message: [], note: [], expert_request: [] };
    if (store.dialect === 'postgres') for (const table of SCAN_TABLES) gaps[table] = await idGaps(db, table, after[table]);
    const ids: ElsewhereCandidates['ids'] = { replies: [], notes: [], mails: [], retained: [], questions: [] };
    for (const kind of ELSEWHERE_KINDS) {
      const upto = after[tableOf(kind)];
      for (let from = 0; from < upto; from += SCAN_SPAN) {
        const rows = await elsewhereRows(db, t.brandId, s, kind, sql<SqlBool>`id > ${from} AND id <= ${Math.min(from + SCAN_SPAN, upto)}`);
        const quotes = (x: string | null | undefined) => x != null && s.question(x) !== x;
        ids[kind].push(...rows.filter((r) => (kind === 'notes' ? quotes(r.text) : r.question == null || quotes(r.question) || quotes(r.answer))).map((r) => Number(r.id)));
        await new Promise((r) => setImmediate(r));
      }
    }
    return { lookedFor: s.lookedFor, quotes: s.quotesKey, after, gaps, ids };
  };
  return store.dialect === 'postgres' ? readSnapshot(store, scan) : scan(store.db);
}

/** The ranges of ids from 1 to `upto` that `table` does not hold (as `db` sees it), smallest first. */
async function idGaps(db: Tx, table: ScanTable | TraceTable, upto: number): Promise<[number, number][]> {
  const r = await sql<{ lo: number | string; hi: number | string }>`
    SELECT lo, hi FROM (SELECT coalesce(lag(id) OVER (ORDER BY id), 0) + 1 AS lo, id - 1 AS hi FROM ${sql.table(table)} WHERE id <= ${upto}) g
    WHERE hi >= lo ORDER BY lo`.execute(db);
  return r.rows.map((g) => [Number(g.lo), Number(g.hi)]);
}

/** Id ranges per statement when the transaction reads the scan's gaps. */
const GAPS_PER_READ = 200;

/**
 * Their `@handle` and email address out of the rest of the brand (see the file's comment): the
 * brand's outbound messages, the internal notes and expert questions on other conversations
 * (questions, their answers and notices also lose their quoted words), their address, or its
 * keyed hash, out of every stored email, and the quoted history of a mail that quotes theirs. Each table is narrowed in
 * SQL by a substring (`LIKE`), the match decided on the row: the rows `found` before the
 * transaction (re-read here, as they now are) and those it could not see (above its high-water
 * mark, in its gaps), or, when the scan looked for less, every row. Counts of rows changed.
 */
async function eraseElsewhere(trx: Tx, store: Store, t: Elsewhere, found: ElsewhereCandidates): Promise<{ brandReplies: number; notes: number; emailPayloads: number; expertQuestions: number; quotedMails: number; auditEntries: number; notifications: number; drafts: number }> {
  const out = { brandReplies: 0, notes: 0, emailPayloads: 0, expertQuestions: 0, quotedMails: 0, auditEntries: 0, notifications: 0, drafts: 0 };
  if (!elsewhereSearch(t, [])) return out;
  const s = elsewhereSearch(t, await notesQuoting(trx, store.dialect, t.brandId, t.texts))!;
  // an identity or mail of theirs added since the scan: it looked for less, so everything is looked at again
  const complete = s.lookedFor.every((n) => found.lookedFor.includes(n));
  const own = new Set(s.addresses);
  const mailIds = new Set(s.mailIds);
  const theirs = new Set(t.conversations);
  /** The rows of a kind to decide on: the scan's, re-read, those in its gaps, then every one above its high-water mark, a page at a time. */
  const each = async (kind: ElsewhereKind, handle: (id: number) => Promise<void>) => {
    const scanned = complete && ((kind !== 'questions' && kind !== 'notes') || found.quotes === s.quotesKey) ? found : SCANNED_NOTHING;
    const table = tableOf(kind);
    for (const part of inLists(scanned.ids[kind])) {
      for (const r of await elsewhereRows(trx, t.brandId, s, kind, inValues(store, 'id', part, 'bigint'))) await handle(Number(r.id));
    }
    for (let i = 0; i < scanned.gaps[table].length; i += GAPS_PER_READ) {
      const ranges = scanned.gaps[table].slice(i, i + GAPS_PER_READ);
      const which = sql<SqlBool>`(${sql.join(ranges.map(([lo, hi]) => sql`id BETWEEN ${lo} AND ${hi}`), sql` OR `)})`;
      for (const r of await elsewhereRows(trx, t.brandId, s, kind, which)) await handle(Number(r.id));
    }
    const after = scanned.after[table];
    await byPages(
      (from) => elsewhereRows(trx, t.brandId, s, kind, sql<SqlBool>`id > ${Math.max(from, after)}`, SCAN_PAGE),
      async (rows) => {
        for (const r of rows) await handle(Number(r.id));
      },
    );
  };
  const reply = (id: number) => trx.selectFrom('message').select(['id', 'conversation_id', 'status', 'network', 'text', 'text_escaped', 'raw', 'review_note']).where('id', '=', id).executeTakeFirstOrThrow();

  // the brand's words to others: text, review note, the network's answer or the mail as sent. A
  // reply still waiting to go out is left as its author wrote it: rewritten, it would publish
  // "@erased" (whoever holds that name) in a reply to someone else
  await each('replies', async (id) => {
    const m = await reply(id);
    if (UNSENT.includes(m.status) || theirs.has(Number(m.conversation_id))) return;
    const original = decodeText(m.text, m.text_escaped);
    const rewritten = s.scrub(original);
    const stored = m.raw == null ? null : jsonText(m.raw as string | Uint8Array);
    const raw = stored == null ? null : isEmailRaw(stored) ? eraseAddressesFromMail(stored, own, s.scrub) : scrubPayload(stored, s.scrub);
    const reviewNote = m.review_note == null ? null : s.scrub(m.review_note);
    if (rewritten === original && raw === stored && reviewNote === m.review_note) return;
    const text = encodeText(rewritten);
    await trx.updateTable('message').set({ text: text.text, text_escaped: text.escaped, raw, review_note: reviewNote }).where('id', '=', m.id).execute();
    out.brandReplies++;
  });

  // internal notes on other conversations (a note belongs to one conversation): their `@handle`
  // and address, and what they wrote quoted (as in an expert question). An expert's answer loses
  // only their `@handle` and address here: its quotes go with its question, below, which rewrites
  // the answer's notices from its text as it was (each note counted once)
  const notesDone = new Set<number>();
  const noteRead = new Set<number>();
  const note = async (id: number) => {
    if (noteRead.has(id)) return;
    noteRead.add(id);
    const n = await trx.selectFrom('note').select(['id', 'conversation_id', 'text']).where('id', '=', id).where(ofBrand(t.brandId)).executeTakeFirst();
    if (!n || theirs.has(Number(n.conversation_id))) return;
    const answers = await trx.selectFrom('expert_request').select('id').where('answer_note_id', '=', n.id).where('brand_id', '=', t.brandId).executeTakeFirst();
    const text = answers ? s.scrub(n.text) : s.question(n.text);
    if (text === n.text) return;
    await trx.updateTable('note').set({ text }).where('id', '=', n.id).execute();
    notesDone.add(Number(n.id));
  };
  await each('notes', note);
  // the notes recorded as quoting a message of theirs (`quote_passage`): one whose quote is of a
  // message redacted before is found only so
  for (const id of t.recorded?.notes ?? []) await note(id);

  // reply drafts on other conversations waiting for sign-off (the approvals queue, by the status
  // index): what they quote of what they wrote becomes `[erased]`, found by its text or, for a
  // message redacted before, by the passages recorded when the draft was written
  // (`recordDraftQuotes`); the approver reads the marker before anything goes out. Their `@handle`
  // stays, as in any reply still to go out; so does a reply already queued or being sent (the
  // outbox's). The draft's copies go too: its text in its audit entries (a rewrite at sign-off
  // keeps the text before and after) and in the notice telling its author it was rewritten.
  const waiting = await trx.selectFrom('message').select(['id', 'conversation_id', 'text', 'text_escaped', 'review_note'])
    .where('brand_id', '=', t.brandId).where('status', '=', 'pending_approval').where('direction', '=', 'outbound').orderBy('id').execute();
  for (const m of waiting) {
    if (theirs.has(Number(m.conversation_id))) continue;
    const original = decodeText(m.text, m.text_escaped);
    const rewritten = s.quotes(original);
    const reviewNote = m.review_note == null ? null : s.quotes(m.review_note);
    const copies = await trx.selectFrom('audit_event').select(['id', 'data']).where('brand_id', '=', t.brandId).where('conversation_id', '=', Number(m.conversation_id))
      .where('subject_type', '=', 'message').where('subject_id', '=', String(m.id)).execute();
    let changed = rewritten !== original || reviewNote !== m.review_note;
    for (const e of copies) {
      const data = scrubPayload(e.data, s.quotes);
      if (data === e.data) continue;
      await trx.updateTable('audit_event').set({ data }).where('id', '=', e.id).execute();
      out.auditEntries++;
      changed = true;
    }
    if (!changed) continue;
    if (rewritten !== original || reviewNote !== m.review_note) {
      const text = encodeText(rewritten);
      await trx.updateTable('message').set({ text: text.text, text_escaped: text.escaped, review_note: reviewNote }).where('id', '=', m.id).where('status', '=', 'pending_approval').execute();
    }
    const notices = await trx.selectFrom('notification').select(['id', 'body']).where('brand_id', '=', t.brandId).where('conversation_id', '=', Number(m.conversation_id))
      .where('kind', 'in', DRAFT_NOTICES).execute();
    for (const n of notices) {
      const cut = [200, 300].map((k) => original.slice(0, k)).includes(n.body) ? rewritten.slice(0, n.body.length) : null;
      const body = cut ?? s.quotes(n.body);
      if (body === n.body) continue;
      await trx.updateTable('notification').set({ body }).where('id', '=', n.id).execute();
      out.notifications++;
    }
    out.drafts++;
  }

  // expert questions on other conversations (someone else's, or one of several people's): their
  // `@handle` and address, and what they wrote quoted, go from the question and every copy of it
  // (`eraseExpertQuestion`). First those recorded as quoting one of their messages (`expert_quote`),
  // then those whose text names or quotes them (asked before that record, or quoting a message
  // from another conversation, which is not recorded)
  const questionsDone = new Set<number>();
  /** Per conversation, the texts of its questions and answers rewritten, as they were and are: their notices follow. */
  const copied = new Map<number, ExpertText[]>();
  const question = async (id: number) => {
    if (questionsDone.has(id)) return;
    questionsDone.add(id);
    const r = await eraseExpertQuestion(trx, t.brandId, id, theirs, s.question);
    if (!r) return;
    out.expertQuestions += r.questions;
    out.auditEntries += r.auditEntries;
    for (const n of r.notes) notesDone.add(n);
    copied.set(r.conversationId, [...(copied.get(r.conversationId) ?? []), ...r.texts]);
  };
  for (const part of inLists([...t.messageIds])) {
    const quoting = await trx.selectFrom('expert_quote').select('expert_request_id').where('brand_id', '=', t.brandId).where(inValues(store, 'message_id', part, 'bigint')).execute();
    for (const id of [...new Set(quoting.map((q) => Number(q.expert_request_id)))].sort((a, b) => a - b)) await question(id);
  }
  for (const id of t.recorded?.questions ?? []) await question(id);
  await each('questions', question);
  out.notes = notesDone.size;
  for (const [conversationId, texts] of copied) out.notifications += await eraseExpertNotices(trx, t.brandId, conversationId, texts, s.question);

  // stored emails still whole that name their address (their own are redacted: no payload) or
  // quote their mail, and those past retention that keep their address's keyed hash among the participants
  const mail = (retained: boolean) => async (id: number) => {
    const m = await trx.selectFrom('message').select(['id', 'direction', 'raw', 'text', 'text_escaped']).where('id', '=', id).executeTakeFirstOrThrow();
    if (m.raw == null) return;
    const stored = jsonText(m.raw as string | Uint8Array);
    if (retained) {
      const raw = withoutParticipants(stored, s.hashes);
      if (raw === stored) return;
      await trx.updateTable('message').set({ raw }).where('id', '=', m.id).execute();
      out.emailPayloads++;
      return;
    }
    // the quote first: its "On …, <address> wrote:" tells whose it is
    const unquoted = eraseTheirQuote(stored, { mailIds, addresses: s.addresses });
    const raw = eraseAddressesFromMail(unquoted, own, m.direction === 'outbound' ? s.scrub : null);
    if (raw === stored) return;
    const update: { raw: string; text?: string; text_escaped?: string | null } = { raw };
    if (unquoted !== stored) {
      out.quotedMails++;
      // the stored text holds the quote when it was all the mail said
      const original = decodeText(m.text, m.text_escaped);
      const text = eraseQuotedMail(original);
      if (text !== original.replace(/\r\n?/g, '\n')) Object.assign(update, (({ text: tx, escaped }) => ({ text: tx, text_escaped: escaped }))(encodeText(text)));
    }
    if (raw !== unquoted) out.emailPayloads++;
    await trx.updateTable('message').set(update).where('id', '=', m.id).execute();
  };
  await each('mails', mail(false));
  await each('retained', mail(true));
  return out;
}

/** An expert question's answer (a note), read beside the question: it may quote them too. */
const answerText = (eb: ExpressionBuilder<DB, 'expert_request'>) => eb.selectFrom('note').select('note.text').whereRef('note.id', '=', 'expert_request.answer_note_id').as('answer');

/** An expert question's question or answer, as it was and as rewritten (`eraseExpertQuestion`). */
interface ExpertText {
  part: 'question' | 'answer';
  before: string;
  after: string;
}

/**
 * One expert question on another customer's conversation (not one of `theirs`) without what
 * `rewrite` takes out (their quoted words, `@handle` and address): the question, its
 * `expert.asked` audit entry and the expert's answer (a note). Returns the counts of rows
 * changed, the answer notes changed, and the texts as they were and are, for its notices
 * (`eraseExpertNotices`); null for a question of theirs (or none).
 */
async function eraseExpertQuestion(trx: Tx, brandId: number, id: number, theirs: ReadonlySet<number>, rewrite: (s: string) => string): Promise<{ conversationId: number; questions: number; auditEntries: number; notes: number[]; texts: ExpertText[] } | null> {
  const q = await trx.selectFrom('expert_request').select(['id', 'conversation_id', 'question', 'answer_note_id']).where('id', '=', id).where('brand_id', '=', brandId).executeTakeFirst();
  if (!q || theirs.has(Number(q.conversation_id))) return null;
  const conversationId = Number(q.conversation_id);
  const out = { conversationId, questions: 0, auditEntries: 0, notes: [] as number[], texts: [{ part: 'question', before: q.question, after: rewrite(q.question) }] as ExpertText[] };
  const question = out.texts[0]!.after;
  if (question !== q.question) {
    await trx.updateTable('expert_request').set({ question }).where('id', '=', q.id).execute();
    out.questions++;
  }
  const asked = await trx.selectFrom('audit_event').select(['id', 'data']).where('conversation_id', '=', conversationId)
    .where('action', 'in', ['expert.asked', ...EXPERT_TEXT_ENTRIES]).where('subject_type', '=', 'expert_request').where('subject_id', '=', String(q.id)).execute();
  for (const e of asked) {
    const data = scrubPayload(e.data, rewrite);
    if (data === e.data) continue;
    await trx.updateTable('audit_event').set({ data }).where('id', '=', e.id).execute();
    out.auditEntries++;
  }
  const answer = q.answer_note_id == null ? undefined : await trx.selectFrom('note').select(['id', 'text']).where('id', '=', Number(q.answer_note_id)).where('conversation_id', '=', conversationId).executeTakeFirst();
  if (answer) {
    const text = rewrite(answer.text);
    out.texts.push({ part: 'answer', before: answer.text, after: text });
    if (text !== answer.text) {
      await trx.updateTable('note').set({ text }).where('id', '=', answer.id).execute();
      out.notes.push(Number(answer.id));
    }
  }
  // the answer's earlier texts (its expert corrected it), and their notices
  for (const r of await answerRevisions(trx, [Number(q.id)])) out.texts.push({ part: 'answer', before: r.text, after: rewrite(r.text) });
  await eraseAnswerRevisions(trx, [Number(q.id)], rewrite);
  return out;
}

/**
 * Audit entries of an expert question that copy staff text about it besides `expert.asked`: a
 * correction of its answer (both texts), its withdrawal or reassignment (the reason given).
 */
const EXPERT_TEXT_ENTRIES: readonly string[] = ['expert.answer_edited', 'expert.cancelled', 'expert.reassigned'];

/** The earlier texts of these questions' answers (`expert_answer_revision`, src/workflow/commands.ts `editExpertAnswer`). */
async function answerRevisions(trx: Tx, requestIds: readonly number[]): Promise<{ id: number; expert_request_id: number; text: string }[]> {
  const out: { id: number; expert_request_id: number; text: string }[] = [];
  for (const part of inLists([...requestIds])) {
    if (!part.length) continue;
    const rows = await trx.selectFrom('expert_answer_revision').select(['id', 'expert_request_id', 'text']).where('expert_request_id', 'in', part).execute();
    out.push(...rows.map((r) => ({ id: Number(r.id), expert_request_id: Number(r.expert_request_id), text: r.text })));
  }
  return out;
}

/** Rewrite the earlier texts of these questions' answers as their answers are; the count changed. */
async function eraseAnswerRevisions(trx: Tx, requestIds: readonly number[], rewrite: (s: string) => string): Promise<number> {
  let changed = 0;
  for (const r of await answerRevisions(trx, requestIds)) {
    const text = rewrite(r.text);
    if (text === r.text) continue;
    await trx.updateTable('expert_answer_revision').set({ text }).where('id', '=', r.id).execute();
    changed++;
  }
  return changed;
}

/** The expert questions and answers on these conversations, as they are and as `rewrite` leaves them, by conversation (nothing is written). */
async function expertTextsOn(trx: Tx, brandId: number, conversations: readonly number[], rewrite: (s: string) => string): Promise<Map<number, ExpertText[]>> {
  const out = new Map<number, ExpertText[]>();
  for (const part of inLists([...conversations])) {
    const rows = await trx.selectFrom('expert_request')
      .select((eb) => ['id', 'conversation_id', 'question', answerText(eb)])
      .where('brand_id', '=', brandId).where('conversation_id', 'in', part).execute();
    // an answer its expert corrected: its notices (answered, then corrected) may copy an earlier text
    const conversationOf = new Map(rows.map((r) => [Number(r.id), Number(r.conversation_id)]));
    for (const r of await answerRevisions(trx, rows.map((x) => Number(x.id)))) {
      const c = conversationOf.get(r.expert_request_id)!;
      out.set(c, [...(out.get(c) ?? []), { part: 'answer', before: r.text, after: rewrite(r.text) }]);
    }
    for (const r of rows) {
      const texts = out.get(Number(r.conversation_id)) ?? [];
      texts.push({ part: 'question', before: r.question, after: rewrite(r.question) });
      if (r.answer != null) texts.push({ part: 'answer', before: r.answer, after: rewrite(r.answer) });
      out.set(Number(r.conversation_id), texts);
    }
  }
  return out;
}

/** The notices that copy an expert question or its answer (src/workflow/commands.ts, src/commands/conversations.ts `addNote`), and how much of it each holds. */
const EXPERT_NOTICES: readonly { kind: string; part: ExpertText['part']; length: number }[] = [
  { kind: 'expert.asked', part: 'question', length: 300 },
  { kind: 'expert.overdue', part: 'question', length: 300 },
  { kind: 'expert.answered', part: 'answer', length: 300 },
  { kind: 'expert.answer_edited', part: 'answer', length: 300 },
  { kind: 'expert.reassigned', part: 'question', length: 300 },
  { kind: 'expert.cancelled', part: 'question', length: 300 },
  { kind: 'note.mention', part: 'answer', length: 200 },
];

/**
 * The notices on a conversation that copy its expert questions and answers (asked, overdue,
 * answered; a colleague mentioned in an answer), after those were rewritten (`texts`): a notice
 * holds the first 300 (200) characters of what it copies, so one that holds a text as it was
 * gets the same part of the text rewritten (a quote its end cut goes whole); any other notice of
 * those kinds there is rewritten as it stands. The count of notices changed.
 */
async function eraseExpertNotices(trx: Tx, brandId: number, conversationId: number, texts: readonly ExpertText[], rewrite: (s: string) => string): Promise<number> {
  let changed = 0;
  const notices = await trx.selectFrom('notification').select(['id', 'kind', 'body']).where('brand_id', '=', brandId).where('conversation_id', '=', conversationId)
    .where('kind', 'in', EXPERT_NOTICES.map((k) => k.kind)).execute();
  for (const n of notices) {
    const kinds = EXPERT_NOTICES.filter((k) => k.kind === n.kind);
    const copy = texts.flatMap((x) => kinds.filter((k) => k.part === x.part && n.body === x.before.slice(0, k.length)).map((k) => x.after.slice(0, k.length)))[0];
    const body = copy ?? rewrite(n.body);
    if (body === n.body) continue;
    await trx.updateTable('notification').set({ body }).where('id', '=', n.id).execute();
    changed++;
  }
  return changed;
}

/**
 * A stored email (`EmailRaw`, JSON) whose quoted history is their mail, without it: the mail
 * answers one of theirs (In-Reply-To or References holds one of `mailIds`), or its quoted lines
 * or reply header ("On …, <address> wrote:") name one of their addresses. Its text keeps the
 * sender's own words, the quoted history becoming one `[erased]` line (`eraseQuotedMail`), and
 * its HTML copy and RFC 5322 source (which quote it too) are dropped. Otherwise the same string.
 */
export function eraseTheirQuote(raw: string, p: { mailIds: ReadonlySet<string>; addresses: readonly string[] }): string {
  const parsed = emailRaw(raw);
  if (!parsed) return raw;
  const mail = { ...parsed };
  if (typeof mail.text !== 'string') return raw;
  const full = mail.text.replace(/\r\n?/g, '\n');
  const text = eraseQuotedMail(full);
  if (text === full) return raw;
  const refs = [mail.inReplyTo, ...(Array.isArray(mail.references) ? mail.references : [])];
  const answers = refs.some((r) => typeof r === 'string' && p.mailIds.has(mailId(r)));
  const named = (x: string) => p.addresses.reduce((n, a) => n + x.toLowerCase().split(a).length - 1, 0);
  if (!answers && named(full) <= named(text)) return raw;
  mail.text = text;
  for (const k of ['html', 'source', 'sourceBase64']) mail[k] = null;
  return JSON.stringify(mail);
}

/** The passages of theirs recorded as quoted (`quote_passage`): where, and a scrubber that finds them by keyed hash. */
interface RecordedQuotes {
  /** Replaces each recorded passage of theirs found in a text with `[erased]` (`recordedPassageScrubber`). */
  scrub: (s: string) => string;
  /** How many passages were recorded (0: `scrub` changes nothing). */
  passages: number;
  /** The notes and expert questions recorded as quoting them, by id. */
  notes: number[];
  questions: number[];
}

/**
 * The passages of these messages (every message of theirs: those redacted before too, whose text
 * is gone) that internal notes and expert questions were recorded as quoting when written
 * (src/commands/expertQuotes.ts), with the notes and questions that hold them.
 */
async function recordedQuotes(trx: Tx, store: Store, brandId: number, messageIds: readonly number[], now: number): Promise<RecordedQuotes> {
  const rows: { subject_type: string; subject_id: number; length: number; hash: string }[] = [];
  for (const part of inLists([...messageIds])) {
    rows.push(...await trx.selectFrom('quote_passage').select(['subject_type', 'subject_id', 'length', 'hash']).where('brand_id', '=', brandId).where(inValues(store, 'message_id', part, 'bigint')).execute());
  }
  const of = (type: string) => [...new Set(rows.filter((r) => r.subject_type === type).map((r) => Number(r.subject_id)))].sort((a, b) => a - b);
  const key = rows.length ? await quoteKey(trx, now, false) : null;
  return { scrub: recordedPassageScrubber(key, rows.map((r) => ({ length: Number(r.length), hash: r.hash })), ERASED_TEXT), passages: rows.length, notes: of('note'), questions: of('expert_request') };
}

/** Scripts written without spaces between words: a word index holds a run of them as one term, so a quote inside one is not found by it. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}]/u;

/**
 * The notes of the brand whose words hold one of the passages of these texts (`quotePassages`) as
 * a phrase, by the notes' word index (migration 20261207T0200: SQLite FTS5 `note_fts`, PostgreSQL
 * a GIN index on `to_tsvector('simple', text)`): a note quoting a passage holds its words in order
 * (the quote is then decided on the note's text). Read once per scan (one statement per
 * PHRASES_PER_QUERY phrases; on PostgreSQL each phrase its own indexed SELECT), not in each
 * statement that reads notes. Null (every note) when a passage has no word to look for (emoji,
 * punctuation) or is of a script written without spaces.
 */
async function notesQuoting(db: Tx, dialect: Store['dialect'], brandId: number, texts: readonly string[]): Promise<number[] | null> {
  const passages = quoteScrubber(texts).passages;
  if (!passages.length) return [];
  if (passages.some((p) => !/[\p{L}\p{N}]/u.test(p) || UNSPACED.test(p))) return null;
  const out = new Set<number>();
  for (let i = 0; i < passages.length; i += PHRASES_PER_QUERY) {
    const group = passages.slice(i, i + PHRASES_PER_QUERY);
    const rows = dialect === 'sqlite'
      ? await sql<{ id: number }>`SELECT note.id FROM note_fts JOIN note ON note.id = note_fts.rowid WHERE note_fts MATCH ${group.map((p) => `"${p.replace(/"/g, '""')}"`).join(' OR ')} AND note.brand_id = ${brandId}`.execute(db)
      : await sql<{ id: number | string }>`${sql.join(group.map((p) => sql`SELECT id FROM note WHERE to_tsvector('simple'::regconfig, text) @@ phraseto_tsquery('simple'::regconfig, ${p}) AND brand_id = ${brandId}`), sql` UNION `)}`.execute(db);
    for (const r of rows.rows) out.add(Number(r.id));
  }
  return [...out].sort((a, b) => a - b);
}

/** Notes found by the word index that are named by id in a statement at most (more: every note since their first message is read). */
const MAX_QUOTING_NOTES = 10_000;

/** Phrases per word-index query (`notesQuoting`). */
const PHRASES_PER_QUERY = 100;

/** Fewer characters than this are not taken for a quote of theirs: a short phrase ("thanks for your help") is anyone's. */
const MIN_QUOTE = 20;
/** Passages of theirs looked for at most (the longest): the pattern stays a reasonable size for a prolific writer. */
const MAX_QUOTES = 2_000;

/**
 * The passages of a text that count as a quote of it (`quoteScrubber`): the text whole, each of
 * its lines and each sentence of a line, of at least MIN_QUOTE characters, after NFC, lower
 * case, each run of white space one space.
 */
export function quotePassages(text: string): string[] {
  const passages = new Set<string>();
  const lines = text.normalize('NFC').split(/\r\n?|\n/);
  for (const x of [lines.join(' '), ...lines, ...lines.flatMap((l) => l.split(/(?<=[.!?…])\s+/u))]) {
    const p = x.replace(/\s+/gu, ' ').trim();
    if ([...p].length >= MIN_QUOTE) passages.add(p.toLowerCase());
  }
  return [...passages];
}

/**
 * A function that replaces quotes of what they wrote with `[erased]`: each of their texts whole,
 * each of its lines and sentences, of at least MIN_QUOTE characters, matched case-insensitively
 * after NFC with any white space between its words, longest first. `key` names what it looks for
 * ('' for nothing: then the function changes nothing).
 */
export function quoteScrubber(texts: readonly string[]): { scrub: (s: string) => string; key: string; passages: readonly string[] } {
  const passages = new Set(texts.flatMap(quotePassages));
  const longest = [...passages].sort((a, b) => b.length - a.length || (a < b ? -1 : 1)).slice(0, MAX_QUOTES);
  if (!longest.length) return { scrub: (s) => s, key: '', passages: [] };
  const re = new RegExp(longest.map((p) => p.split(' ').map(escapeRe).join('\\s+')).join('|'), 'giu');
  return {
    key: JSON.stringify(longest),
    passages: longest,
    scrub: (s) => {
      const n = s.normalize('NFC');
      const r = n.replace(re, ERASED_TEXT);
      return r === n ? s : r;
    },
  };
}

/** The notices that copy a reply draft's text (src/workflow/commands.ts: rewritten at sign-off, approved, rejected, and the approvers' notice that one waits for them). */
const DRAFT_NOTICES = ['reply.rewritten', 'reply.approved', 'reply.rejected', 'reply.pending_approval'];

/** A reply's states before the network has it (src/outbox/outbox.ts). */
const UNSENT = ['queued', 'pending_approval', 'sending'];

/** How a payload raw payload retention kept opens (src/channels/retainedRaw.ts). */
const RETAINED_PREFIX = `{"${RETAINED_MARK}":%`;

/**
 * A retained email payload without these participant hashes; null when no participant is left
 * (retention keeps nothing then either). Not such a payload, or none of them: the same string.
 */
export function withoutParticipants(raw: string, hashes: ReadonlySet<string>): string | null {
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(raw) as Record<string, unknown>;
  } catch {
    return raw;
  }
  if (o === null || typeof o !== 'object' || Array.isArray(o) || !Array.isArray(o.participants)) return raw;
  const kept = o.participants.filter((h) => !(typeof h === 'string' && hashes.has(h)));
  if (kept.length === o.participants.length) return raw;
  if (!kept.length && Object.keys(o).every((k) => k === RETAINED_MARK || k === 'participants')) return null;
  return JSON.stringify({ ...o, participants: kept });
}

/** The header lists of a stored email (src/channels/email/parse.ts `EmailRaw`). */
const ADDRESS_LISTS = ['from', 'replyTo', 'to', 'cc'] as const;

/**
 * A stored email (`EmailRaw`, JSON) without these addresses: removed from From, Reply-To, To and
 * Cc, and the RFC 5322 source (which repeats them) dropped. `scrub` (the brand's own mail) also
 * rewrites its words (the source goes then too); without it (someone else's mail) its text, HTML
 * and subject stay. Not an email, or not naming them: the same string.
 */
export function eraseAddressesFromMail(raw: string, addresses: ReadonlySet<string>, scrub: ((s: string) => string) | null): string {
  const parsed = emailRaw(raw);
  if (!parsed) return raw;
  const mail = { ...parsed };
  let named = false;
  for (const k of ADDRESS_LISTS) {
    const list = mail[k];
    if (!Array.isArray(list)) continue;
    const kept = list.filter((a: { address?: unknown } | null) => !(a && typeof a.address === 'string' && addresses.has(normalizeAddress(a.address))));
    if (kept.length !== list.length) named = true;
    mail[k] = kept;
  }
  let changed = named || (typeof mail.source === 'string' && [...addresses].some((a) => (mail.source as string).toLowerCase().includes(a)));
  if (scrub) {
    for (const k of ['text', 'html', 'subject']) {
      const s = mail[k];
      if (typeof s !== 'string') continue;
      const r = scrub(s);
      if (r !== s) {
        mail[k] = r;
        changed = true;
      }
    }
  }
  if (!changed) return raw;
  // the source repeats the headers and the words, in forms that cannot all be rewritten
  for (const k of ['source', 'sourceBase64']) if (mail[k] != null) mail[k] = null;
  return JSON.stringify(mail);
}

/**
 * The scrubber for text outside their conversations: only what names them unmistakably,
 * `@handle` (any length) → `@erased` and an email address → `erased`, matched as
 * `identifierScrubber` matches (whole words, case-insensitive, after NFC). A bare handle or
 * name is left: in a reply to someone else it may be an ordinary word or another person's.
 */
export function mentionScrubber(p: { handles: readonly string[]; addresses: readonly string[] }): (s: string) => string {
  const clean = (xs: readonly string[]) => [...new Set(xs.map((x) => x.normalize('NFC').trim()).filter((x) => x !== '' && x.toLowerCase() !== ERASED))]
    .sort((a, b) => [...b].length - [...a].length);
  const handles = clean(p.handles.map((h) => h.trim().replace(/^@/, '')));
  const addresses = clean(p.addresses);
  const at = handles.length ? new RegExp(`(?<!${WORD})@(?:${handles.map(escapeRe).join('|')})${AFTER}`, 'giu') : null;
  const mail = addresses.length ? new RegExp(`${BEFORE}(?:${addresses.map(escapeRe).join('|')})${AFTER}`, 'giu') : null;
  return (s) => {
    const n = s.normalize('NFC');
    let r = n;
    if (at) r = r.replace(at, `@${ERASED}`);
    if (mail) r = r.replace(mail, ERASED);
    return r === n ? s : r;
  };
}

/** The person's known identifiers, as the erasure found them. */
export interface PersonIdentifiers {
  /** Network handles (with or without the leading `@`; an email identity's handle is its address). */
  handles: readonly string[];
  /** Display names (identities' and the contact's). */
  names: readonly string[];
  /** Network user ids (an email identity's is its address). */
  userIds: readonly string[];
  crmIds: readonly string[];
}

/** A character that continues a word (letters, digits and combining marks of any script, `_`). */
const WORD = '[\\p{L}\\p{N}\\p{M}_]';
/** Not inside a longer word, address or dotted name: no word character (nor one joined by `.`, `@`, `+`, `-`) either side. */
const BEFORE = `(?<!${WORD}|${WORD}[.@+-])`;
const AFTER = `(?!${WORD}|[.@+-]${WORD})`;
/** Bare identifiers shorter than this are not matched: a 2-letter handle or name would wipe ordinary words. */
const MIN_BARE = 3;
/** Network user ids shorter than this are not matched in text (numeric ids that short collide with order numbers, prices...). */
const MIN_ID = 6;

/**
 * A function that replaces the person's identifiers in a text. Matching is on whole words,
 * case-insensitive, after Unicode NFC normalisation (of both), longest identifier first:
 *  - `@handle` (any length) → `@erased`;
 *  - a whole display name (its words separated by any white space), a bare handle, an email
 *    address, a CRM customer id (each at least 3 characters), a network user id (at least
 *    6) → `erased`;
 *  - each capitalised word of a display name of several words ("Quokkason" of "Zed
 *    Quokkason"), at least 3 characters, matched with its capital only: the surname "Will"
 *    goes, the word "will" stays.
 * "Whole word": no letter, digit, combining mark or `_` either side, nor one joined by `.`,
 * `@`, `+` or `-` (so "al" never matches inside "also", and "ann@x.test" not inside
 * "joann@x.test"). A text without any of them is returned as it is (the same string).
 */
export function identifierScrubber(p: PersonIdentifiers): (s: string) => string {
  const clean = (xs: readonly string[]) => [...new Set(xs.map((x) => x.normalize('NFC').trim()).filter((x) => x !== '' && x.toLowerCase() !== ERASED && !x.startsWith(`${ERASED}:`)))];
  const length = (x: string) => [...x].length;
  const longestFirst = (xs: string[]) => xs.sort((a, b) => length(b) - length(a));
  const handles = clean(p.handles.map((h) => h.trim().replace(/^@/, '')));
  const names = clean(p.names).filter((n) => length(n) >= MIN_BARE);
  const bare = longestFirst(clean([...names, ...handles, ...p.crmIds]).filter((x) => length(x) >= MIN_BARE).concat(clean(p.userIds).filter((x) => length(x) >= MIN_ID)));
  const known = new Set(bare.map((x) => x.toLowerCase()));
  const parts = longestFirst([...new Set(names.flatMap((n) => { const w = n.split(/\s+/u); return w.length > 1 ? w : []; }))]
    .filter((w) => length(w) >= MIN_BARE && /^\p{Lu}/u.test(w) && !known.has(w.toLowerCase())));
  const pattern = (x: string) => x.split(/\s+/u).map(escapeRe).join('\\s+');
  const at = handles.length ? new RegExp(`(?<!${WORD})@(?:${longestFirst(handles).map(escapeRe).join('|')})${AFTER}`, 'giu') : null;
  const words = bare.length ? new RegExp(`${BEFORE}(?:${bare.map(pattern).join('|')})${AFTER}`, 'giu') : null;
  const capitalised = parts.length ? new RegExp(`${BEFORE}(?:${parts.map(escapeRe).join('|')})${AFTER}`, 'gu') : null;
  return (s) => {
    const n = s.normalize('NFC');
    let r = n;
    if (at) r = r.replace(at, `@${ERASED}`);
    if (words) r = r.replace(words, ERASED);
    if (capitalised) r = r.replace(capitalised, ERASED);
    return r === n ? s : r;
  };
}

/** A reply's signature, which src/channels/email/quote.ts also trims: not the customer's. */
const SIGNATURE = /^(-- ?|sent from my [\w -]{2,40})$/i;
/** A mail of more lines than this has only its `>` lines erased (each header check re-reads the rest of the mail). */
const MAX_QUOTE_SCAN_LINES = 2_000;

/**
 * An email of the brand's without the customer's mail it quotes: `>` lines, and the quoted
 * history from its reply header ("On … wrote:", Outlook's "Original Message" block: where
 * src/channels/email/quote.ts cuts) to the end, each block replaced by one `[erased]` line.
 * The brand's own words and signature stay.
 */
export function eraseQuotedMail(text: string): string {
  const lines = text.replace(/\r\n?/g, '\n').split('\n');
  const quoted = (l: string) => /^\s*>/.test(l);
  const out: string[] = [];
  const mark = () => {
    if (out[out.length - 1] !== ERASED_TEXT) out.push(ERASED_TEXT);
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (quoted(line)) {
      mark();
      continue;
    }
    // a blank line between two quoted ones belongs to the quote
    if (!line.trim() && out[out.length - 1] === ERASED_TEXT && quoted(lines.slice(i).find((l) => l.trim()) ?? '')) continue;
    // quote.ts cuts everything from here as quoted history (asked with a line of ours above it)
    if (line.trim() && !SIGNATURE.test(line.trim()) && lines.length <= MAX_QUOTE_SCAN_LINES && trimQuoted(`x\n${lines.slice(i).join('\n')}`).text === 'x') {
      mark();
      break;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** Is this stored payload an email's (src/channels/email/parse.ts `EmailRaw`)? */
/** A stored payload that is an email (`EmailRaw`, JSON with kind 'email'), parsed; null for anything else. */
function emailRaw(raw: string | null): Record<string, unknown> | null {
  if (!raw) return null;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return null;
  }
  return v !== null && typeof v === 'object' && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'email' ? (v as Record<string, unknown>) : null;
}

const isEmailRaw = (raw: string | null): boolean => emailRaw(raw) !== null;

/**
 * A stored JSON payload (a network's answer to a send, an email as parsed, an audit entry's
 * data) with their identifiers replaced in every string. An email's quote of their mail goes
 * from its text, its subject after "Re:" is theirs, and its RFC 5322 source and HTML copy
 * (which quote them, encoded) are dropped. Not JSON: rewritten as text. Unchanged: the same
 * string.
 */
function scrubPayload(raw: string, scrub: (s: string) => string): string {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return scrub(raw);
  }
  let changed = false;
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && (v as { kind?: unknown }).kind === 'email') {
    const mail = { ...(v as Record<string, unknown>) };
    if (typeof mail.text === 'string') {
      const text = eraseQuotedMail(mail.text);
      if (text !== mail.text.replace(/\r\n?/g, '\n')) changed = true;
      mail.text = text;
    }
    for (const k of ['source', 'sourceBase64', 'html']) {
      if (mail[k] != null) {
        mail[k] = null;
        changed = true;
      }
    }
    const re = typeof mail.subject === 'string' && mail.inReplyTo != null ? /^((?:(?:re|aw|sv|antw|vs|r)\s*:\s*)+)(.*\S.*)$/is.exec(mail.subject) : null;
    if (re && re[2] !== ERASED_TEXT) {
      mail.subject = `${re[1]}${ERASED_TEXT}`;
      changed = true;
    }
    v = mail;
  }
  const out = scrubStrings(v, scrub);
  return changed || out.changed ? JSON.stringify(out.value) : raw;
}

/** `v` with `scrub` applied to each string in it (to 40 levels deep), and whether any changed. */
function scrubStrings(v: unknown, scrub: (s: string) => string): { value: unknown; changed: boolean } {
  let changed = false;
  const walk = (x: unknown, depth: number): unknown => {
    if (typeof x === 'string') {
      const r = scrub(x);
      if (r !== x) changed = true;
      return r;
    }
    if (depth > 40 || x === null || typeof x !== 'object') return x;
    if (Array.isArray(x)) return x.map((y) => walk(y, depth + 1));
    return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y, depth + 1)]));
  };
  return { value: walk(v, 0), changed };
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

/** What a relayed live event is checked and rewritten with (`liveEventWithout`). */
interface LiveEventErasure {
  messages: ReadonlySet<number>;
  conversations: ReadonlySet<number>;
  contacts: ReadonlySet<number>;
  /** For an event about them: every identifier of theirs, and quotes of what they wrote. */
  theirs: (s: string) => string;
  /** For any other event: their `@handle`, address and quotes of what they wrote. */
  elsewhere: (s: string) => string;
  /** For the brand's reply to someone else: their `@handle` and address (as its stored copy loses them). */
  mention: (s: string) => string;
  /** Their conversations' subjects as erasure left them (a subject cut from their words is emptied: src/store/redact.ts). */
  subjects: ReadonlyMap<number, string>;
}

/**
 * A relayed live event (`{ brandId, type, data, at, userIds }`, as src/events/pgBridge.ts stores
 * it) without what it carries of the person. One about their messages, conversations or contact
 * (`liveEventAbout`) loses every identifier and quote of theirs (`theirs`), and a message of
 * theirs its text, link and triage, marked redacted by erasure (as the `message.updated` the
 * erasure publishes shows it); any other (a note, an expert question, a notice on someone else's
 * conversation) loses their `@handle`, address and quotes (`elsewhere`). The event stays, with its
 * type and ids: a process relaying it later still tells its clients what changed, in the values
 * the desk now holds. Not JSON, or carrying nothing of theirs: the same string.
 */
export function liveEventWithout(json: string, p: LiveEventErasure): string {
  let e: { type?: unknown; data?: unknown };
  try {
    e = JSON.parse(json) as typeof e;
  } catch {
    return json;
  }
  if (e === null || typeof e !== 'object' || Array.isArray(e)) return json;
  const about = liveEventAbout(e, p.messages, p.conversations, p.contacts);
  // someone else's message or conversation is theirs to keep (as eraseElsewhere keeps it); the
  // brand's reply to them loses the person's `@handle` and address, as its stored copy does
  const type = typeof e.type === 'string' ? e.type : '';
  const d0 = e.data as { direction?: unknown } | null;
  const scrub = about ? p.theirs
    : type.startsWith('message') ? (d0 && typeof d0 === 'object' && d0.direction === 'outbound' ? p.mention : (s: string) => s)
    : type.startsWith('conversation') ? (s: string) => s
    : p.elsewhere;
  let { value: data, changed } = scrubStrings(e.data, scrub);
  const d = data as Record<string, unknown> | null;
  if (type.startsWith('message') && d && typeof d === 'object' && !Array.isArray(d) && (typeof d.id === 'number' || typeof d.id === 'string') && p.messages.has(Number(d.id))) {
    // the fields it has (a message as presented: src/server/presenters.ts presentMessage)
    const blank: Record<string, unknown> = {};
    if ('text' in d && d.text !== '') Object.assign(blank, { text: '', redacted: 'erasure' });
    if ('url' in d && d.url != null) blank.url = null;
    if ('triage' in d && d.triage != null) blank.triage = null;
    if (Object.keys(blank).length) {
      data = { ...d, ...blank };
      changed = true;
    }
  }
  // a subject cut from their words may end inside a sentence, where no quote of theirs is found: the one the desk now holds
  if (type.startsWith('conversation') && d && typeof d === 'object' && !Array.isArray(d) && typeof d.subject === 'string' && (typeof d.id === 'number' || typeof d.id === 'string')) {
    const subject = p.subjects.get(Number(d.id));
    if (subject !== undefined && subject !== d.subject) {
      data = { ...d, subject };
      changed = true;
    }
  }
  return changed ? JSON.stringify({ ...e, data }) : json;
}

/** Is this relayed live event (`{ type, data }`) about one of these messages, conversations or contacts? */
function liveEventAbout(e: { type?: unknown; data?: unknown }, messages: ReadonlySet<number>, conversations: ReadonlySet<number>, contacts: ReadonlySet<number>): boolean {
  const type = typeof e.type === 'string' ? e.type : '';
  const seen = (v: unknown, set: ReadonlySet<number>) => (typeof v === 'number' || typeof v === 'string') && set.has(Number(v));
  const walk = (v: unknown, key: string, depth: number): boolean => {
    if (depth > 20) return false;
    if (Array.isArray(v)) return v.some((x) => walk(x, key, depth + 1));
    if (v && typeof v === 'object') return Object.entries(v).some(([k, x]) => walk(x, k, depth + 1));
    if (key === 'messageId' || key === 'message_id') return seen(v, messages);
    if (key === 'conversationId' || key === 'conversation_id') return seen(v, conversations);
    if (key === 'contactId' || key === 'contact_id') return seen(v, contacts);
    return false;
  };
  const d = e.data as Record<string, unknown> | undefined;
  if (d && typeof d === 'object' && !Array.isArray(d)) {
    if (type.startsWith('message') && seen(d.id, messages)) return true;
    if (type.startsWith('conversation') && seen(d.id, conversations)) return true;
    if (type.startsWith('contact') && seen(d.id, contacts)) return true;
  }
  return walk(e.data, '', 0);
}
