/**
 * The posts of an account marked hidden by their network, found without reading the account's
 * other posts: the deletion check re-asks a few of them each round whatever their age
 * (src/channels/sync.ts `checkGone`), every 15 minutes per account. A partial index: hidden posts
 * are few, and the rest of `message` stays out of it (no cost on ingest, where none is hidden).
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await sql`CREATE INDEX IF NOT EXISTS message_network_hidden ON message (channel_account_id) WHERE network_hidden_at IS NOT NULL`.execute(db);
}
