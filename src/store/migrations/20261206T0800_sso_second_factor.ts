/**
 * Single sign-on asks the person's own second factor after a provider not trusted to enforce MFA
 * (docs/sso.md): a sign-in taken at the callback of someone with two-factor sign-in on is kept
 * on its `sso_login` row as pending, for that person (`pending_user_id`), bound to the browser
 * by a new token of which only the SHA-256 is kept (`pending_hash`, the `parley_sso` cookie's new
 * value), until a right code (`pending_done_at`, once) or a few wrong ones (`pending_tries`) or
 * its 10 minutes (`expires_at`, renewed at the callback).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('sso_login').addColumn('pending_user_id', 'bigint').execute();
  await db.schema.alterTable('sso_login').addColumn('pending_hash', 'text').execute();
  await db.schema.alterTable('sso_login').addColumn('pending_tries', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('sso_login').addColumn('pending_done_at', 'bigint').execute();
  await db.schema.createIndex('sso_login_pending').on('sso_login').column('pending_hash').execute();
}
