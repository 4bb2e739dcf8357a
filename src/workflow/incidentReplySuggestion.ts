/**
 * The suggested personal reply in a customer's conversation linked to an incident with a posted
 * statement (`incidentReply`, src/core/incidentReply.ts): read from the store — the incident's
 * latest sent statement and the next update said with one, the customer's name and language from their latest message, the
 * network and visibility they wrote in, the brand's time zone — and built by the pure builder.
 * Nothing is written and nothing is sent: the agent puts it in their draft ("Use in reply").
 */
import { incidentReply, type IncidentReply } from '../core/incidentReply.js';
import type { Network } from '../core/types.js';
import { forbidden, notFound } from '../errors.js';
import type { Actor } from '../commands/context.js';
import type { Store } from '../store/db.js';
import { decodeText } from '../store/text.js';

export interface IncidentReplySuggestion {
  incidentId: number;
  incidentTitle: string;
  /** The statement the suggestion is built from. */
  statementMessageId: number;
  suggestion: IncidentReply;
}

/**
 * The suggestion for a conversation, or null when it is not linked to an incident, the incident
 * has no posted statement, or the statement carries no fact to pass on. Agents, approvers and
 * admins (experts do not work the inbox: 403); another brand's conversation is 404.
 */
export async function incidentReplyFor(store: Store, actor: Actor, conversationId: number, now: number): Promise<IncidentReplySuggestion | null> {
  if (actor.role === 'expert') throw forbidden('experts answer the questions they are asked; they do not work the inbox');
  const { db } = store;
  const conv = await db.selectFrom('conversation').select(['id', 'incident_id', 'contact_id', 'network', 'language']).where('id', '=', conversationId).where('brand_id', '=', actor.brandId).executeTakeFirst();
  if (!conv) throw notFound('conversation');
  if (conv.incident_id == null || conv.contact_id == null) return null;
  const inc = await db.selectFrom('incident').select(['id', 'title', 'next_update_at']).where('id', '=', conv.incident_id).where('brand_id', '=', actor.brandId).executeTakeFirst();
  if (!inc) return null;
  const statement = await db
    .selectFrom('message')
    .innerJoin('conversation', 'conversation.id', 'message.conversation_id')
    .select(['message.id as id', 'message.text as text', 'message.text_escaped as text_escaped', 'message.language as language'])
    .where('conversation.incident_id', '=', inc.id)
    .where('conversation.contact_id', 'is', null)
    .where('message.kind', '=', 'post')
    .where('message.status', '=', 'sent')
    .orderBy('message.created_at', 'desc')
    .orderBy('message.id', 'desc')
    .executeTakeFirst();
  if (!statement) return null;
  const last = await db
    .selectFrom('message')
    .leftJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
    .select(['message.visibility as visibility', 'message.language as language', 'contact_identity.display_name as name'])
    .where('message.conversation_id', '=', conv.id)
    .where('message.direction', '=', 'inbound')
    .orderBy('message.created_at', 'desc')
    .orderBy('message.id', 'desc')
    .executeTakeFirst();
  const contact = await db.selectFrom('contact').select('display_name').where('id', '=', conv.contact_id).executeTakeFirst();
  const brand = await db.selectFrom('brand').select('timezone').where('id', '=', actor.brandId).executeTakeFirst();
  const suggestion = incidentReply({
    statement: decodeText(statement.text, statement.text_escaped),
    statementLanguage: statement.language,
    customerLanguage: last?.language ?? conv.language,
    customerName: last?.name ?? contact?.display_name ?? null,
    incidentTitle: inc.title,
    network: conv.network as Network,
    visibility: last?.visibility === 'private' ? 'private' : 'public',
    // a time already passed is no "next" update
    nextUpdateAt: inc.next_update_at != null && Number(inc.next_update_at) > now ? Number(inc.next_update_at) : null,
    timeZone: brand?.timezone ?? null,
    now,
  });
  return suggestion ? { incidentId: inc.id, incidentTitle: inc.title, statementMessageId: Number(statement.id), suggestion } : null;
}
