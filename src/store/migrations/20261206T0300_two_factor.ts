/**
 * Two-factor sign-in (RFC 6238 TOTP) on `app_user`:
 *  - `totp_secret`: the authenticator's base32 secret, sealed with the instance SecretBox (as
 *    channel credentials are); set at setup, kept while pending and while enabled;
 *  - `totp_enabled_at` (ms): null = not enabled (a pending setup may exist);
 *  - `totp_last_step`: the last time step accepted, so a code is good once (no replay);
 *  - `totp_recovery`: JSON array of the SHA-256 (hex) of the unused recovery codes.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('app_user').addColumn('totp_secret', 'text').execute();
  await db.schema.alterTable('app_user').addColumn('totp_enabled_at', 'bigint').execute();
  await db.schema.alterTable('app_user').addColumn('totp_last_step', 'bigint').execute();
  await db.schema.alterTable('app_user').addColumn('totp_recovery', 'text').execute();
}
