/**
 * Subject access export (GDPR Art. 15): one JSON document with everything Parley holds about
 * one customer (contact): their identities, the messages they wrote and the brand's messages to
 * them, CRM links with the consent records, notes on their conversations, triage results with
 * their reasons and corrections (profiling, Art. 22: the person may see why), moderation of
 * their posts and the audit entries about them.
 *
 * A customer may have tens of thousands of messages: the document is produced as a stream of
 * text chunks, each list read a page (EXPORT_PAGE rows) at a time by id, so memory stays flat
 * whatever the size. Other people's messages in the same public thread are not theirs and are
 * not included; neither are raw network payloads (the text, times and ids are the data; the
 * payload is the network's wrapping) nor staff passwords or credentials.
 *
 * The text is JSON with `<`, `>`, `&` and the two JS line separators escaped as \uXXXX: still
 * the same JSON, and inert if a browser is ever talked into reading it as HTML.
 */
import { sql, type SelectQueryBuilder } from 'kysely';
import { forbidden, notFound } from '../errors.js';
import { parseObject } from '../lib/json.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { DB, MessageRow } from '../store/schema.js';
import { decodeText } from '../store/text.js';
import { readStoredTriage } from '../store/triageJson.js';
import { mergedContactIds } from './contactMerge.js';
import type { Actor } from './context.js';

/** Rows read per query; a page is presented and handed on before the next is read. */
export const EXPORT_PAGE = 500;

/** The message columns the export shows: not `raw` (the network's wrapping, large, and maybe cleared by retention). */
const MESSAGE_COLUMNS = [
  'id', 'conversation_id', 'network', 'direction', 'visibility', 'kind', 'status', 'text', 'text_escaped', 'url', 'created_at', 'received_at', 'author_identity_id', 'reply_to_message_id',
  'triage', 'triage_action', 'triage_category', 'sentiment', 'complaint', 'accolade', 'chaser', 'intent', 'language', 'priority',
] as const;
type ExportedMessage = Pick<MessageRow, (typeof MESSAGE_COLUMNS)[number]>;

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(Number(ms)).toISOString());

/** JSON, with the characters that matter to HTML and JS parsers escaped (still valid JSON). */
export function safeJson(v: unknown): string {
  return JSON.stringify(v).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export interface ContactExport {
  /** The document as text chunks; the first is only read when the consumer asks. */
  chunks: AsyncGenerator<string>;
  filename: string;
}

/**
 * Check the request and audit it (who exported whom, when: `contact.export_started`, before the
 * first byte, so that even a download cut short is on record), then return the document as a
 * stream. Admins only: the export holds every private message of the person. A contact of
 * another brand is a 404, like one that does not exist.
 *
 * The end is audited too: `contact.exported` once the last chunk was produced, or
 * `contact.export_failed` with the reason when reading failed part way (the database) or the
 * consumer stopped reading (a client that went away). A failure is thrown on to the consumer
 * after the chunks already handed out: the HTTP route's stream errors, and Fastify destroys the
 * response, so the client never gets the end of the chunked body; the CLI exits non-zero and
 * keeps no file.
 */
export async function exportContact(store: Store, actor: Actor, contactId: number, now: number, page = EXPORT_PAGE, clock: () => number = Date.now): Promise<ContactExport> {
  if (actor.role !== 'admin' && actor.role !== 'system') throw forbidden();
  const contact = await store.db.selectFrom('contact').selectAll().where('id', '=', contactId).where('brand_id', '=', actor.brandId).executeTakeFirst();
  if (!contact) throw notFound('contact');
  await audit(store.db, { brandId: actor.brandId, actor: actor.name, action: 'contact.export_started', subjectType: 'contact', subjectId: contactId, data: { format: 'json' } }, now);
  return { chunks: audited(store, actor, contactId, contactDocument(store, actor.brandId, contactId, now, page), clock), filename: `parley-contact-${contactId}.json` };
}

/** The document's chunks, passed on; how the export ended is audited when it ends. */
async function* audited(store: Store, actor: Actor, contactId: number, chunks: AsyncGenerator<string>, clock: () => number): AsyncGenerator<string> {
  let bytes = 0;
  let failure: string | null = 'the export was abandoned before its end (the reader stopped)';
  try {
    for await (const c of chunks) {
      bytes += Buffer.byteLength(c);
      yield c;
    }
    failure = null;
  } catch (err) {
    failure = err instanceof Error ? err.message : String(err);
    throw err;
  } finally {
    const entry = failure == null
      ? { action: 'contact.exported', data: { format: 'json', bytes } }
      : { action: 'contact.export_failed', data: { format: 'json', bytesSent: bytes, error: failure.slice(0, 500) } };
    // the database may be what failed: the error thrown on is what the consumer must see
    await audit(store.db, { brandId: actor.brandId, actor: actor.name, subjectType: 'contact', subjectId: contactId, ...entry }, clock()).catch(() => {});
  }
}

async function* contactDocument(store: Store, brandId: number, contactId: number, now: number, page: number): AsyncGenerator<string> {
  const db = store.db;
  const contact = await db.selectFrom('contact').selectAll().where('id', '=', contactId).where('brand_id', '=', brandId).executeTakeFirstOrThrow();
  const brand = await db.selectFrom('brand').select(['id', 'name']).where('id', '=', brandId).executeTakeFirstOrThrow();
  const identities = await db.selectFrom('contact_identity').selectAll().where('contact_id', '=', contactId).where('brand_id', '=', brandId).orderBy('id').execute();
  const identityIds = identities.map((i) => Number(i.id));
  const consents = await db.selectFrom('crm_consent').selectAll().where('contact_id', '=', contactId).where('brand_id', '=', brandId).orderBy('id').execute();
  const asks = await db.selectFrom('crm_consent_ask').selectAll().where('contact_id', '=', contactId).where('brand_id', '=', brandId).orderBy('id').execute();

  const head = {
    format: 'parley.subject-access-export',
    version: 1,
    exportedAt: iso(now),
    controller: { brandId: Number(brand.id), brand: brand.name },
    contact: { id: Number(contact.id), displayName: contact.display_name, crmCustomerId: contact.crm_customer_id, crmConsentAt: iso(contact.crm_consent_at), createdAt: iso(contact.created_at), updatedAt: iso(contact.updated_at) },
    identities: identities.map((i) => ({
      id: Number(i.id), network: i.network, networkUserId: i.network_user_id, handle: i.handle, displayName: i.display_name, followers: i.followers,
      verified: Boolean(i.verified), profileUrl: i.profile_url, avatarUrl: i.avatar_url, createdAt: iso(i.created_at), updatedAt: iso(i.updated_at),
    })),
    crmConsents: consents.map((c) => ({
      id: Number(c.id), crmCustomerId: c.crm_customer_id, method: c.method, evidenceMessageId: c.evidence_message_id == null ? null : Number(c.evidence_message_id),
      note: c.note, grantedAt: iso(c.granted_at), withdrawnAt: iso(c.withdrawn_at), recordedByUserId: Number(c.recorded_by),
    })),
    // the brand's questions asking them for that consent: which reply asked, in which conversation, who and when
    crmConsentAsks: asks.map((a) => ({ id: Number(a.id), conversationId: Number(a.conversation_id), messageId: Number(a.message_id), askedByUserId: Number(a.asked_by), askedAt: iso(a.asked_at) })),
  };
  // the head without its closing brace; each list follows as `,"name":[...]`
  yield safeJson(head).slice(0, -1);

  const noIds = identityIds.length === 0;
  const theirConversations = db.selectFrom('conversation').select('id').where('contact_id', '=', contactId).where('brand_id', '=', brandId);
  const theirMessages = db.selectFrom('message').select('id').where('author_identity_id', 'in', noIds ? [-1] : identityIds).where('brand_id', '=', brandId);

  yield* list('conversations', (after) => db.selectFrom('conversation').selectAll().where('contact_id', '=', contactId).where('brand_id', '=', brandId).where('id', '>', after), page, (c) => ({
    id: Number(c.id), network: c.network, visibility: c.visibility, status: c.status, subject: c.subject, createdAt: iso(c.created_at), lastMessageAt: iso(c.last_message_at), resolvedAt: iso(c.resolved_at),
  }));

  const messageFields = (m: ExportedMessage) => ({
    id: Number(m.id), conversationId: Number(m.conversation_id), network: m.network, direction: m.direction, visibility: m.visibility, kind: m.kind, status: m.status,
    text: decodeText(m.text, m.text_escaped), url: m.url, createdAt: iso(m.created_at), receivedAt: iso(m.received_at),
  });

  // what they wrote, with what triage made of each message and why (its scores and reasons)
  yield* list('messagesWritten', (after) => db.selectFrom('message').select(MESSAGE_COLUMNS).where('author_identity_id', 'in', noIds ? [-1] : identityIds).where('brand_id', '=', brandId).where('id', '>', after), page, (m) => ({
    ...messageFields(m),
    authorIdentityId: m.author_identity_id == null ? null : Number(m.author_identity_id),
    triage: m.triage == null && m.triage_action == null ? null : {
      action: m.triage_action, category: m.triage_category, sentiment: m.sentiment, complaint: m.complaint == null ? null : Boolean(m.complaint),
      accolade: m.accolade == null ? null : Boolean(m.accolade), chaser: m.chaser == null ? null : Boolean(m.chaser), intent: m.intent, language: m.language, priority: m.priority,
      detail: readStoredTriage(m.triage),
    },
  }));

  // what the brand sent them: the brand's messages in their conversations, one conversation at a
  // time in the order of the (conversation_id, created_at) index: paged by id across all of them,
  // each page re-read and sorted the whole conversation (30,000 replies took 27 s on SQLite)
  yield `,"messagesReceived":[`;
  let sep = '';
  for (let afterConv = 0; ;) {
    const convs = await theirConversations.where('id', '>', afterConv).orderBy('id').limit(page).execute();
    for (const c of convs) {
      for (let at = -Infinity, afterId = 0; ;) {
        let q = db.selectFrom('message').select(MESSAGE_COLUMNS).where('conversation_id', '=', c.id).where('direction', '=', 'outbound').where('brand_id', '=', brandId);
        if (at !== -Infinity) q = q.where((eb) => eb.or([eb('created_at', '>', at), eb.and([eb('created_at', '=', at), eb('id', '>', afterId)])]));
        const rows = await q.orderBy('created_at').orderBy('id').limit(page).execute();
        if (!rows.length) break;
        let chunk = '';
        for (const m of rows) {
          chunk += sep + safeJson({ ...messageFields(m), inReplyToMessageId: m.reply_to_message_id == null ? null : Number(m.reply_to_message_id) });
          sep = ',';
        }
        yield chunk;
        const last = rows[rows.length - 1]!;
        at = Number(last.created_at);
        afterId = Number(last.id);
        if (rows.length < page) break;
      }
    }
    if (convs.length < page) break;
    afterConv = Number(convs[convs.length - 1]!.id);
  }
  yield ']';

  yield* list('triageCorrections', (after) => db.selectFrom('triage_correction').selectAll().where('message_id', 'in', theirMessages).where('brand_id', '=', brandId).where('id', '>', after), page, (t) => ({
    id: Number(t.id), messageId: Number(t.message_id), source: t.source, labels: parseObject(t.labels), createdAt: iso(t.created_at),
  }));

  yield* list('notes', (after) => db.selectFrom('note').selectAll().where('conversation_id', 'in', theirConversations).where('brand_id', '=', brandId).where('id', '>', after), page, (n) => ({
    id: Number(n.id), conversationId: Number(n.conversation_id), authorUserId: Number(n.author_user_id), text: n.text, createdAt: iso(n.created_at),
  }));

  // the earlier texts of experts' answers (notes) that their experts corrected (src/workflow/commands.ts `editExpertAnswer`)
  yield* list('expertAnswerRevisions', (after) => db.selectFrom('expert_answer_revision').selectAll().where('brand_id', '=', brandId).where('id', '>', after)
    .where('note_id', 'in', db.selectFrom('note').select('id').where('conversation_id', 'in', theirConversations).where('brand_id', '=', brandId)), page, (r) => ({
    id: Number(r.id), expertRequestId: Number(r.expert_request_id), noteId: Number(r.note_id), text: r.text, replacedBy: r.replaced_by == null ? null : Number(r.replaced_by), replacedAt: iso(r.replaced_at),
  }));

  yield* list('moderationActions', (after) => db.selectFrom('moderation_action').selectAll().where('brand_id', '=', brandId).where('id', '>', after)
    .where((eb) => eb.or([eb('identity_id', 'in', noIds ? [-1] : identityIds), eb('message_id', 'in', theirMessages)])), page, (a) => ({
    id: Number(a.id), action: a.action, messageId: a.message_id == null ? null : Number(a.message_id), identityId: a.identity_id == null ? null : Number(a.identity_id),
    guidelineId: Number(a.guideline_id), evidence: a.evidence, status: a.status, createdAt: iso(a.created_at),
  }));

  // entries about the contact (and the contacts merged into it: src/commands/contactMerge.ts), their messages, and their conversations
  const contactIds = [contactId, ...(await mergedContactIds(db, brandId, contactId))].map(String);
  yield* list('auditEvents', (after) => db.selectFrom('audit_event').selectAll().where('brand_id', '=', brandId).where('id', '>', after).where((eb) => eb.or([
    eb.and([eb('subject_type', '=', 'contact'), eb('subject_id', 'in', contactIds)]),
    eb.and([eb('subject_type', '=', 'message'), eb('subject_id', 'in', db.selectFrom('message').select(sql<string>`cast(id as text)`.as('sid')).where('author_identity_id', 'in', noIds ? [-1] : identityIds).where('brand_id', '=', brandId))]),
    eb('conversation_id', 'in', theirConversations),
  ])), page, (e) => ({
    id: Number(e.id), action: e.action, actor: e.actor, subjectType: e.subject_type, subjectId: e.subject_id, conversationId: e.conversation_id == null ? null : Number(e.conversation_id),
    data: parseObject(e.data), createdAt: iso(e.created_at),
  }));

  yield '}\n';
}

/** `,"name":[...]` read a page at a time by id (keyset), each page one chunk. */
async function* list<T extends keyof DB, R extends { id: number | string | bigint }>(
  name: string,
  query: (after: number) => SelectQueryBuilder<DB, T, R>,
  page: number,
  present: (row: R) => unknown,
): AsyncGenerator<string> {
  yield `,${JSON.stringify(name)}:[`;
  let after = 0;
  let first = true;
  for (;;) {
    const rows = await query(after).orderBy('id' as never).limit(page).execute();
    if (!rows.length) break;
    let chunk = '';
    for (const r of rows) {
      chunk += (first ? '' : ',') + safeJson(present(r as R));
      first = false;
    }
    yield chunk;
    after = Number(rows[rows.length - 1]!.id);
    if (rows.length < page) break;
  }
  yield ']';
}
