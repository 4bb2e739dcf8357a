/**
 * Single sign-on with SAML 2.0 beside OpenID Connect (docs/sso.md):
 *  - `sso_provider.protocol`: `oidc` (every provider so far) or `saml`. A SAML provider keeps the
 *    IdP's entity id in `issuer` and an empty `client_id`; its SSO URL (`saml_sso_url`, where the
 *    AuthnRequest is sent, HTTP-Redirect), its signing certificates (`saml_idp_certs`, a JSON array
 *    of PEM), and which attributes carry the email and the display name (`saml_email_attribute`,
 *    `saml_name_attribute`; null: the defaults);
 *  - `sso_saml_assertion`: assertions already taken, by issuer and assertion ID, until they would be
 *    refused as expired anyway (`expires_at`); the housekeeping sweep deletes older rows.
 * A started SAML sign-in is an `sso_login` row as an OpenID Connect one is: the SHA-256 of its
 * RelayState in `state_hash`, the AuthnRequest's ID (the Response's InResponseTo) in `nonce`.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sso_provider').addColumn('protocol', 'text', (c) => c.notNull().defaultTo('oidc')).execute();
  await db.schema.alterTable('sso_provider').addColumn('saml_sso_url', 'text').execute();
  await db.schema.alterTable('sso_provider').addColumn('saml_idp_certs', 'text').execute();
  await db.schema.alterTable('sso_provider').addColumn('saml_email_attribute', 'text').execute();
  await db.schema.alterTable('sso_provider').addColumn('saml_name_attribute', 'text').execute();
  await db.schema
    .createTable('sso_saml_assertion')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('assertion_id', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_saml_assertion_pk', ['issuer', 'assertion_id'])
    .execute();
  await db.schema.createIndex('sso_saml_assertion_expires').on('sso_saml_assertion').column('expires_at').execute();
}
