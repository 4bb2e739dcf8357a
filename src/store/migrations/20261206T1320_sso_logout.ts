/**
 * Signing out at the identity provider too (OpenID Connect RP-Initiated Logout 1.0; docs/sso.md):
 *  - `session.sso_id_token`: the ID token of the single sign-on that made the session, sealed with
 *    the instance SecretBox: the `id_token_hint` of the provider's end-session request when the
 *    person signs out; null for every other session; gone with the session row;
 *  - `sso_login.id_token`: the same, kept (sealed) only while a sign-in waits for the person's own
 *    second factor, and cleared when that step is taken;
 *  - `sso_provider.sign_out_at_provider`: the admin's "Sign out of <provider> too" (1, the default:
 *    used when the provider's discovery document names an `end_session_endpoint`);
 *  - `session.sso_sid` (and `sso_login.sid` while the second factor is pending): the provider's
 *    session id (the ID token's `sid`), which a Back-Channel Logout 1.0 logout token names to end
 *    the Parley sessions of that provider session.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('session').addColumn('sso_id_token', 'text').execute();
  await db.schema.alterTable('sso_login').addColumn('id_token', 'text').execute();
  await db.schema.alterTable('sso_provider').addColumn('sign_out_at_provider', 'integer', (c) => c.notNull().defaultTo(1)).execute();
  await db.schema.alterTable('session').addColumn('sso_sid', 'text').execute();
  await db.schema.alterTable('sso_login').addColumn('sid', 'text').execute();
  await db.schema.createIndex('session_sso_sid').on('session').column('sso_sid').execute();
}
