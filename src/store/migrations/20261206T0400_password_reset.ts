/**
 * Password reset by an admin's one-time link (`password_reset`): one row a link, holding the
 * SHA-256 (hex) of its token (the token itself is only ever in the link the admin hands over),
 * who issued it, when it expires (ms) and when it was used (null: not yet). A new link for a
 * person deletes their earlier ones (the audit log keeps the record); a person's links go with them.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('password_reset')
    .addColumn('id', ...id)
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .execute();
  await db.schema.createIndex('password_reset_user').on('password_reset').column('user_id').execute();
}
