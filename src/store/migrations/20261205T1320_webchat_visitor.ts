/**
 * Web chat visitors are issued by the server: one row per session the server started
 * (`POST /webchat/:accountId/sessions`), holding the SHA-256 of the visitor's token (a
 * stolen database yields no live tokens) and the visitor id their messages carry. A token
 * the server did not issue matches no row and is refused (src/channels/webchat/visitors.ts).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('webchat_visitor')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id'))
    .addColumn('channel_account_id', 'bigint', (c) => c.notNull().references('channel_account.id'))
    .addColumn('visitor_id', 'text', (c) => c.notNull().unique())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}
