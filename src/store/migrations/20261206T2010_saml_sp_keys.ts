/**
 * SAML: Parley's own key pair per SAML provider, to sign its AuthnRequests and to take encrypted
 * assertions (docs/sso.md):
 *  - `saml_sign_requests`: 1: the AuthnRequest is signed (HTTP-Redirect binding: SigAlg and
 *    Signature over the query string) with the provider's SP key;
 *  - `saml_want_encrypted`: 1: an assertion that is not encrypted to the SP key is refused;
 *  - `saml_sp_key`: the SP private key (PEM), sealed with the desk's secret box; never shown;
 *  - `saml_sp_cert`: its self-signed certificate (PEM), published in the provider's SP metadata.
 * The key pair is made when first needed (metadata, a signed request, a decryption).
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('sso_provider').addColumn('saml_sign_requests', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('sso_provider').addColumn('saml_want_encrypted', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('sso_provider').addColumn('saml_sp_key', 'text').execute();
  await db.schema.alterTable('sso_provider').addColumn('saml_sp_cert', 'text').execute();
}
