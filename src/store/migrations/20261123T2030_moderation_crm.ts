/**
 * Community guidelines (the published rules moderation must cite), the
 * moderation log, and consent records for linking a social identity to a
 * paying customer in the CRM.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('community_guideline')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('title', 'text', (c) => c.notNull())
    .addColumn('description', 'text', (c) => c.notNull())
    .addColumn('allowed_actions', 'text', (c) => c.notNull().defaultTo('["hide","delete","block","mute"]'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('retired_at', 'bigint')
    .addUniqueConstraint('community_guideline_code', ['brand_id', 'code'])
    .execute();
  await db.schema
    .createTable('moderation_action')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('message_id', 'bigint')
    .addColumn('conversation_id', 'bigint')
    .addColumn('identity_id', 'bigint')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('guideline_id', 'bigint', (c) => c.notNull())
    .addColumn('evidence', 'text', (c) => c.notNull())
    .addColumn('actor_user_id', 'bigint', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('error', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('moderation_action_conversation').on('moderation_action').columns(['conversation_id']).execute();
  await db.schema
    .createTable('crm_consent')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('crm_customer_id', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('evidence_message_id', 'bigint')
    .addColumn('note', 'text')
    .addColumn('granted_at', 'bigint', (c) => c.notNull())
    .addColumn('withdrawn_at', 'bigint')
    .addColumn('recorded_by', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crm_consent_contact').on('crm_consent').columns(['contact_id']).execute();
}
