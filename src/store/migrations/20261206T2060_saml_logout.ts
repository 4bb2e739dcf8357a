/**
 * SAML single logout (SAML 2.0 Profiles 4.4; docs/sso.md):
 *  - `sso_provider.saml_slo_url`: the IdP's SingleLogoutService (HTTP-Redirect), where Parley
 *    sends its LogoutRequest when a person signed in by SAML signs out, and its LogoutResponse to
 *    the IdP's own LogoutRequest; null: no single logout;
 *  - `session.saml_name_id`: the NameID (and its Format) of the assertion that made the session,
 *    sealed with the desk's secret box (the LogoutRequest names it); null for every other session;
 *  - `session.saml_name_id_hash`: its SHA-256, to find the sessions an IdP's LogoutRequest names;
 *  - `sso_login.saml_name_id` / `saml_name_id_hash`: the same while a sign-in waits for the
 *    person's own second factor.
 * The assertion's SessionIndex is kept where an OpenID Connect sign-in keeps its `sid`
 * (`session.sso_sid`, `sso_login.sid`). An outstanding LogoutRequest of Parley's is a row of
 * `sso_saml_assertion` (issuer `slo <provider id>`, its ID), taken once by the LogoutResponse.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sso_provider').addColumn('saml_slo_url', 'text').execute();
  await db.schema.alterTable('session').addColumn('saml_name_id', 'text').execute();
  await db.schema.alterTable('session').addColumn('saml_name_id_hash', 'text').execute();
  await db.schema.alterTable('sso_login').addColumn('saml_name_id', 'text').execute();
  await db.schema.alterTable('sso_login').addColumn('saml_name_id_hash', 'text').execute();
  await db.schema.createIndex('session_saml_name_id_hash').on('session').column('saml_name_id_hash').execute();
}
