/**
 * Passkeys (WebAuthn discoverable credentials) for sign-in (docs/passkeys.md):
 *  - `passkey`: one per registered credential: its id (`credential_id`, base64url, unique across
 *    the instance: the authenticator's id, looked up at sign-in), the COSE public key (base64url),
 *    the signature counter last seen (`sign_count`; 0 when the authenticator keeps none), the
 *    transports it said it has (JSON array), the name the person gave it, whose it is
 *    (`user_id`, `brand_id`), when it was made and last used to sign in;
 *  - `passkey_challenge`: one per ceremony begun: the SHA-256 of the challenge, what it is for
 *    (`purpose`: register|sign_in), for registration the person and session that asked, for sign-in
 *    the SHA-256 of the browser's binding cookie; taken once (deleted), within `expires_at`;
 *    expired rows are pruned on write;
 *  - `session.passkey_id`: the passkey a session was signed in with, user verified (null: another way).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('passkey')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id').onDelete('cascade'))
    .addColumn('user_id', 'bigint', (c) => c.notNull().references('app_user.id').onDelete('cascade'))
    .addColumn('credential_id', 'text', (c) => c.notNull().unique())
    .addColumn('public_key', 'text', (c) => c.notNull())
    .addColumn('sign_count', 'bigint', (c) => c.notNull().defaultTo(0))
    .addColumn('transports', 'text', (c) => c.notNull().defaultTo('[]'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .execute();
  await db.schema.createIndex('passkey_user').on('passkey').column('user_id').execute();

  await db.schema
    .createTable('passkey_challenge')
    .addColumn('id', ...id)
    .addColumn('challenge_hash', 'text', (c) => c.notNull().unique())
    .addColumn('purpose', 'text', (c) => c.notNull())
    .addColumn('user_id', 'bigint')
    .addColumn('session_id', 'text')
    .addColumn('browser_hash', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('passkey_challenge_expires').on('passkey_challenge').column('expires_at').execute();

  await db.schema.alterTable('session').addColumn('passkey_id', 'bigint').execute();
}
