/**
 * Redaction: a message's content goes, its row stays. Used when a customer deletes their
 * post on the network (X's and Meta's terms require honouring deletions) and when a person
 * is erased (GDPR Art. 17). The text becomes empty, and the escaped text, raw payload, link
 * and triage detail (its reasons may quote the text) are cleared; ids, times, direction,
 * conversation and the triage columns reports group by stay, so SLA facts, rollups, counts
 * and threading are unchanged.
 *
 * The full-text index follows the text: on SQLite the FTS5 update trigger takes the old text
 * out of `message_fts` for rows already indexed (rows above the watermark are indexed later,
 * with the empty text); on PostgreSQL the generated tsvector column is recomputed. The emoji
 * terms in `message_emoji` are deleted here (their triggers would do it too; this does not
 * depend on them). A conversation whose subject quotes a redacted message loses the subject,
 * and a notification on that conversation whose body quotes it (an SLA or snooze notice
 * carries the subject) gets `[erased]` (erasure) or `[deleted]` as its body.
 *
 * Idempotent: a message already redacted is left alone and not audited again.
 */
import { sql } from 'kysely';
import { audit } from './audit.js';
import type { Store } from './db.js';
import { secureDeleting } from './secureDelete.js';
import { decodeText } from './text.js';
import { inLists, inValues, type Tx } from './util.js';

/**
 * Why a message was redacted: its author deleted it on the network; the brand deleted it
 * through moderation (the network's deletion notice came back for a post the desk deleted);
 * it is gone from the network and nobody can say who deleted it (the brand's delete went
 * unanswered, src/pipeline/deletions.ts); the person was erased; `deleted_or_removed`: gone from a
 * network that cannot say who took it away — its author, or moderation (Mastodon: a moderator's
 * removal of one status reads as the author's deletion; Instagram: a block or restriction made in
 * the Instagram app reads as one too).
 */
export const REDACTION_REASONS = ['deleted_by_author', 'deleted_by_brand', 'deleted', 'erasure', 'deleted_or_removed'] as const;
export type RedactionReason = (typeof REDACTION_REASONS)[number];

export interface RedactMessagesInput {
  brandId: number;
  messageIds: readonly number[];
  reason: RedactionReason;
  /** Audit actor: `user:<id>`, `system:webhook:x`… */
  actor: string;
  now: number;
}

export interface RedactMessagesResult {
  /** Messages redacted now (those already redacted, or of another brand, are not listed). */
  redacted: number[];
  /** Their conversations, to announce. */
  conversationIds: number[];
  /** Notifications whose body quoted one of them, now `[erased]` or `[deleted]`. */
  notifications: number;
}

/**
 * Redact messages of one brand inside the caller's transaction, so a caller that also
 * changes other records (an erasure) commits or rolls back everything together.
 * Each redacted message gets one audit entry, without its content.
 */
export async function redactMessages(trx: Tx, store: Store, input: RedactMessagesInput): Promise<RedactMessagesResult> {
  // the words leave the file's pages and the full-text index too (src/store/secureDelete.ts)
  return secureDeleting(trx, store, () => redactIn(trx, store, input));
}

async function redactIn(trx: Tx, store: Store, input: RedactMessagesInput): Promise<RedactMessagesResult> {
  const ids = [...new Set(input.messageIds)];
  const redacted: number[] = [];
  const conversationOf = new Map<number, number>();
  const conversations = new Map<number, string[]>();
  for (const part of inLists(ids)) {
    const rows = await trx
      .selectFrom('message')
      .select(['id', 'conversation_id', 'text', 'text_escaped'])
      .where('brand_id', '=', input.brandId)
      .where('redacted_at', 'is', null)
      .where(inValues(store, 'id', part, 'bigint'))
      .execute();
    if (!rows.length) continue;
    const rowIds = rows.map((r) => Number(r.id));
    await trx
      .updateTable('message')
      .set({ text: '', text_escaped: null, raw: null, url: null, triage: null, redacted_at: input.now, redacted_reason: input.reason })
      .where(inValues(store, 'id', rowIds, 'bigint'))
      .where('redacted_at', 'is', null)
      .execute();
    await sql`DELETE FROM message_emoji WHERE message_id IN (${sql.join(rowIds)})`.execute(trx);
    for (const r of rows) {
      redacted.push(Number(r.id));
      conversationOf.set(Number(r.id), r.conversation_id);
      let texts = conversations.get(r.conversation_id);
      if (!texts) conversations.set(r.conversation_id, (texts = []));
      texts.push(decodeText(r.text, r.text_escaped));
    }
  }
  if (!redacted.length) return { redacted, conversationIds: [], notifications: 0 };
  let notifications = 0;

  // the subject is the opening message's text, shortened: it goes with that text
  for (const [conversationId, texts] of conversations) {
    const c = await trx.selectFrom('conversation').select('subject').where('id', '=', conversationId).executeTakeFirst();
    if (c && c.subject && texts.some((t) => quotes(t, c.subject))) {
      await trx.updateTable('conversation').set({ subject: '' }).where('id', '=', conversationId).execute();
    }
    const notices = await trx.selectFrom('notification').select(['id', 'body']).where('brand_id', '=', input.brandId).where('conversation_id', '=', conversationId).execute();
    const quoting = notices.filter((n) => n.body && texts.some((t) => quotes(t, n.body))).map((n) => n.id);
    if (quoting.length) await trx.updateTable('notification').set({ body: input.reason === 'erasure' ? '[erased]' : '[deleted]' }).where('id', 'in', quoting).execute();
    notifications += quoting.length;
  }
  for (const id of redacted) {
    await audit(trx, { brandId: input.brandId, actor: input.actor, action: 'message.redacted', subjectType: 'message', subjectId: id, conversationId: conversationOf.get(id) ?? null, data: { reason: input.reason } }, input.now);
  }
  return { redacted, conversationIds: [...conversations.keys()], notifications };
}

/** Does a subject come from this text (the whole of it, flattened, or its first 199 characters)? */
function quotes(text: string, subject: string): boolean {
  const flat = text.replace(/\s+/g, ' ').trim();
  const head = subject.endsWith('…') ? subject.slice(0, -1) : subject;
  return head.length > 0 && flat.startsWith(head);
}

/**
 * Remember that a network item was deleted before Parley stored it: the ingest pipeline
 * refuses it should it arrive later (webhooks do not keep order). Only the id is kept.
 */
export async function addTombstone(trx: Tx, t: { brandId: number; network: string; networkMessageId: string; reason: RedactionReason; now: number }): Promise<void> {
  await trx
    .insertInto('message_tombstone')
    .values({ brand_id: t.brandId, network: t.network, network_message_id: t.networkMessageId, reason: t.reason, created_at: t.now })
    .onConflict((oc) => oc.columns(['brand_id', 'network', 'network_message_id']).doNothing())
    .execute();
}

/** Which of these `${network}\0${id}` keys have a tombstone in this brand. */
export async function tombstoned(trx: Tx, store: Store, brandId: number, keys: Iterable<string>): Promise<Set<string>> {
  const out = new Set<string>();
  const byNetwork = new Map<string, string[]>();
  for (const k of keys) {
    const i = k.indexOf('\u0000');
    const n = k.slice(0, i);
    let list = byNetwork.get(n);
    if (!list) byNetwork.set(n, (list = []));
    list.push(k.slice(i + 1));
  }
  for (const [network, ids] of byNetwork) {
    for (const part of inLists(ids)) {
      const rows = await trx
        .selectFrom('message_tombstone')
        .select('network_message_id')
        .where('brand_id', '=', brandId)
        .where('network', '=', network)
        .where(inValues(store, 'network_message_id', part, 'text'))
        .execute();
      for (const r of rows) out.add(`${network}\u0000${r.network_message_id}`);
    }
  }
  return out;
}
