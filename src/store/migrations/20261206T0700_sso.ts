/**
 * Single sign-on with OpenID Connect (docs/sso.md):
 *  - `sso_provider`: a brand's identity provider (issuer, client id, the client secret sealed with
 *    the instance SecretBox), whose people it may sign in (`allowed_domains`, JSON array of
 *    lower-case domains; `auto_provision_role`, null: only people with an account), whether the
 *    brand's other people may still sign in with a password (`password_sign_in`: everyone|admins),
 *    whether its sign-ins satisfy the brand's two-factor policy (`trusts_mfa`), `enabled`;
 *  - `sso_identity`: who a provider's subject is in Parley, linked at their first sign-in
 *    (one person per provider and subject);
 *  - `sso_login`: one row per started sign-in: the SHA-256 of its `state`, the nonce and PKCE
 *    verifier, the SHA-256 of the browser's binding cookie, the redirect URI and where to go next;
 *    10 minutes to come back, taken once (`used_at`); for someone with two-factor sign-in on, after
 *    a provider not trusted to enforce MFA, kept as pending for that person (`pending_user_id`),
 *    bound to the browser by a new token of which only the SHA-256 is kept (`pending_hash`, the
 *    `parley_sso` cookie's new value), until a right code (`pending_done_at`, once), a few wrong
 *    ones (`pending_tries`) or its 10 minutes (`expires_at`, renewed at the callback);
 *  - `session.sso_provider_id`: the provider a session was signed in with (null: a password).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('sso_provider')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_secret', 'text')
    .addColumn('allowed_domains', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('auto_provision_role', 'text')
    .addColumn('password_sign_in', 'text', (c) => c.notNull().defaultTo('everyone'))
    .addColumn('trusts_mfa', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('enabled', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sso_provider_brand').on('sso_provider').column('brand_id').execute();

  await db.schema
    .createTable('sso_identity')
    .addColumn('id', ...id)
    .addColumn('provider_id', 'bigint', (c) => c.notNull().references('sso_provider.id').onDelete('cascade'))
    .addColumn('subject', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_login_at', 'bigint')
    .addUniqueConstraint('sso_identity_provider_subject', ['provider_id', 'subject'])
    .execute();
  await db.schema.createIndex('sso_identity_user').on('sso_identity').column('user_id').execute();

  await db.schema
    .createTable('sso_login')
    .addColumn('id', ...id)
    .addColumn('provider_id', 'bigint', (c) => c.notNull().references('sso_provider.id').onDelete('cascade'))
    .addColumn('state_hash', 'text', (c) => c.notNull().unique())
    .addColumn('browser_hash', 'text', (c) => c.notNull())
    .addColumn('nonce', 'text', (c) => c.notNull())
    .addColumn('code_verifier', 'text', (c) => c.notNull())
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('next_path', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('used_at', 'bigint')
    .addColumn('pending_user_id', 'bigint')
    .addColumn('pending_hash', 'text')
    .addColumn('pending_tries', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('pending_done_at', 'bigint')
    .execute();
  await db.schema.createIndex('sso_login_expires').on('sso_login').column('expires_at').execute();
  await db.schema.createIndex('sso_login_pending').on('sso_login').column('pending_hash').execute();

  await db.schema.alterTable('session').addColumn('sso_provider_id', 'bigint').execute();
}
