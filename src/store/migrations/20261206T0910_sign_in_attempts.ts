/**
 * Sign-in limits shared by every process on the database (src/server/auth.ts, `SignInLimits`):
 *  - `sign_in_attempt`: one row per counted attempt: `key`, a keyed hash (HMAC under a key derived
 *    from the instance secret) of the counter and what it counts (an address, an account, an account
 *    at an address), so no email or address is stored in clear; `at`, when it was counted (ms; a
 *    taken-back attempt is found by it); `expires_at`, when it leaves its window. Rows past
 *    `expires_at` are pruned on write, and the oldest go beyond a fixed number of rows;
 *  - `sign_in_known`: addresses an account signed in from (`key`: the keyed hash of both), with the
 *    last success (`at`): the bound per account from anywhere does not apply there. Pruned after
 *    30 days on write.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('sign_in_attempt')
    .addColumn('id', ...id)
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sign_in_attempt_key').on('sign_in_attempt').columns(['key', 'expires_at']).execute();
  await db.schema.createIndex('sign_in_attempt_expiry').on('sign_in_attempt').column('expires_at').execute();
  await db.schema
    .createTable('sign_in_known')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('sign_in_known_at').on('sign_in_known').column('at').execute();
}
