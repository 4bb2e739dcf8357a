/**
 * `app_user.absent_since` (ms, null = not absent): set when the housekeeping found someone
 * online who had not been at the desk for a while (the browser closed without signing out)
 * and set them offline. It marks that offline as the system's doing, so they are online again
 * when they come back; their own choice of availability, or signing out, clears it.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('app_user').addColumn('absent_since', 'bigint').execute();
}
