/**
 * Outbound webhooks (docs/webhooks.md):
 *  - `webhook_endpoint`: one per URL an admin registered for a brand: the event types it takes
 *    (JSON array), on or off (`enabled`; `disabled_reason` says why the desk turned it off), its
 *    signing secret sealed with the instance secret (`secret_sealed`, SecretBox: it must be read
 *    back to sign), since when it has failed without a success (`failing_since`);
 *  - `webhook_delivery`: one per event per endpoint, unique on (`endpoint_id`, `event_key`) so an
 *    event found twice is queued once; `message_id` is the `webhook-id` header, the same on every
 *    attempt; status pending | delivering | delivered | failed, attempts, next attempt, lease
 *    (`locked_until`, `locked_by`), the last answer or error; pruned after 7 days;
 *  - `webhook_cursor`: how far the deriving sweep has read each durable source (`message`,
 *    `conversation`, `audit_event`): `last_id`, and `gaps`, the ranges of ids below it not yet
 *    seen (JSON `[from, to, seenAt]`): a row with a lower id can commit after a higher one.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('webhook_endpoint')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id').onDelete('cascade'))
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('events', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled_reason', 'text')
    .addColumn('secret_sealed', 'text', (c) => c.notNull())
    .addColumn('failing_since', 'bigint')
    .addColumn('created_by', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('webhook_endpoint_brand').on('webhook_endpoint').column('brand_id').execute();

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('endpoint_id', 'bigint', (c) => c.notNull().references('webhook_endpoint.id').onDelete('cascade'))
    .addColumn('event_key', 'text', (c) => c.notNull())
    .addColumn('message_id', 'text', (c) => c.notNull())
    .addColumn('event_type', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
    .addColumn('locked_until', 'bigint')
    .addColumn('locked_by', 'text')
    .addColumn('last_status', 'integer')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('delivered_at', 'bigint')
    .execute();
  await db.schema.createIndex('webhook_delivery_event').on('webhook_delivery').columns(['endpoint_id', 'event_key']).unique().execute();
  await db.schema.createIndex('webhook_delivery_due').on('webhook_delivery').columns(['status', 'next_attempt_at']).execute();
  await db.schema.createIndex('webhook_delivery_created').on('webhook_delivery').column('created_at').execute();

  await db.schema
    .createTable('webhook_cursor')
    .addColumn('source', 'text', (c) => c.primaryKey())
    .addColumn('last_id', 'bigint', (c) => c.notNull())
    .addColumn('gaps', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
}
