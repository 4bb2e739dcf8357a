/**
 * SAML: IdP-initiated sign-in per provider (docs/sso.md; SAML Profiles 4.1.5, unsolicited
 * responses): `saml_idp_initiated` 1: a signed Response with no InResponseTo (an Okta or Entra app
 * tile) is taken at the ACS, with its assertion ID kept against replays (`sso_saml_assertion`) and
 * its IssueInstant no older than a few minutes; 0 (the default): refused, as before.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sso_provider').addColumn('saml_idp_initiated', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
