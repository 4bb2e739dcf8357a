/**
 * Logout tokens already taken (OpenID Connect Back-Channel Logout 1.0, 2.6: a replayed `jti`
 * MAY be rejected; docs/sso.md): `sso_logout_jti`, one row per logout token a provider's
 * back-channel logout was done with, by its issuer and `jti`, kept in the database so every
 * process of the desk refuses a replay, until `expires_at` (the token's iat + the age a logout
 * token is taken at + the clock tolerance: older, it is refused as too old anyway); the
 * housekeeping sweep deletes expired rows.
 */
import type { Kysely } from 'kysely';

export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('sso_logout_jti')
    .addColumn('issuer', 'text', (c) => c.notNull())
    .addColumn('jti', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('sso_logout_jti_pk', ['issuer', 'jti'])
    .execute();
  await db.schema.createIndex('sso_logout_jti_expires').on('sso_logout_jti').column('expires_at').execute();
}
