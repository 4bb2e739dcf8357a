/**
 * Reporting a post or account to its network (src/commands/moderation.ts `reportToNetwork`):
 *  - `community_guideline.report_reason`: the Parley report reason (`NETWORK_REPORT_REASONS`,
 *    spam, abuse, impersonation...) a report citing the guideline is filed under, which each
 *    connector maps to its network's own category (Mastodon `category`, Bluesky `reasonType`).
 *    Null: the moderator picks it in the dialog.
 *  - `moderation_action.network_report_id`: the id the network gave the report filed (Mastodon's
 *    Report `id`, Bluesky's createReport `id`), shown on the timeline and returned to a retry.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('community_guideline').addColumn('report_reason', 'text').execute();
  await db.schema.alterTable('moderation_action').addColumn('network_report_id', 'text').execute();
}
