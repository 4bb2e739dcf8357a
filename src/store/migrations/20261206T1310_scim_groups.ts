/**
 * SCIM 2.0 Groups (docs/sso.md, "Provisioning with SCIM"): a team an identity provider made
 * through SCIM is its group. `scim_token_id` is the SCIM token that provisions it (the admin UI
 * says "Provisioned by <label>"; null: an admin's team, which SCIM neither lists nor changes),
 * `scim_external_id` the provider's own id of the group, `scim_updated_at` when SCIM or an admin
 * last changed it (the group's meta.lastModified).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema.alterTable('team').addColumn('scim_token_id', 'bigint').execute();
  await db.schema.alterTable('team').addColumn('scim_external_id', 'text').execute();
  await db.schema.alterTable('team').addColumn('scim_updated_at', 'bigint').execute();
  await db.schema.createIndex('team_scim').on('team').columns(['brand_id', 'scim_token_id']).execute();
}
