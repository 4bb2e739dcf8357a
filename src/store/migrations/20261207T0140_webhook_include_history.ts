/**
 * Outbound webhooks for history imports (docs/webhooks.md):
 *  - `webhook_endpoint.include_history`: 1 when the endpoint also takes the events of imported
 *    history (a `message.received` whose message was imported, a `conversation.created` whose
 *    conversation an import opened), sent with `"history": true`; 0 (the default, and every
 *    endpoint registered before): it takes live events only, as before.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('webhook_endpoint').addColumn('include_history', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
