/**
 * Consent for a CRM link "in their own message" is real consent only as the customer's answer
 * to our question (src/commands/contacts.ts): `crm_consent_ask` records each time an agent asked
 * in a conversation (the reply that asked, who, when), and `crm_consent_setting` holds the
 * brand's own wording of the question (none: the default in contacts.ts).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('crm_consent_ask')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('conversation_id', 'bigint', (c) => c.notNull())
    .addColumn('contact_id', 'bigint', (c) => c.notNull())
    .addColumn('message_id', 'bigint', (c) => c.notNull().unique())
    .addColumn('asked_by', 'bigint', (c) => c.notNull())
    .addColumn('asked_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('crm_consent_ask_conversation').on('crm_consent_ask').columns(['conversation_id', 'asked_at']).execute();
  await db.schema
    .createTable('crm_consent_setting')
    .addColumn('brand_id', 'bigint', (c) => c.primaryKey())
    .addColumn('ask_text', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_by', 'bigint', (c) => c.notNull())
    .execute();
}
