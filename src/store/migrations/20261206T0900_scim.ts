/**
 * SCIM 2.0 provisioning (docs/sso.md, "Provisioning with SCIM"):
 *  - `scim_token`: a brand's bearer token for its identity provider's SCIM client, kept only as
 *    its SHA-256 (`token_hash`) and its first characters (`prefix`), with a `label` (the audit
 *    trail's `scim:<label>`), the `role` of the people it creates (agent, expert or approver;
 *    never admin), when it was made, last used and revoked;
 *  - `scim_user`: what the provider said of a person that Parley's own record does not hold: its
 *    `external_id`, the given and family names, and when SCIM last changed them (`updated_at`,
 *    the resource's meta.lastModified). One row per person, made at their first SCIM change.
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('scim_token')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id').onDelete('cascade'))
    .addColumn('label', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('prefix', 'text', (c) => c.notNull())
    .addColumn('role', 'text', (c) => c.notNull().defaultTo('agent'))
    .addColumn('created_by', 'bigint')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('last_used_at', 'bigint')
    .addColumn('revoked_at', 'bigint')
    .execute();
  await db.schema.createIndex('scim_token_brand').on('scim_token').column('brand_id').execute();

  await db.schema
    .createTable('scim_user')
    .addColumn('user_id', 'bigint', (c) => c.primaryKey().references('app_user.id').onDelete('cascade'))
    .addColumn('brand_id', 'bigint', (c) => c.notNull().references('brand.id').onDelete('cascade'))
    .addColumn('external_id', 'text')
    .addColumn('given_name', 'text')
    .addColumn('family_name', 'text')
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('scim_user_external').on('scim_user').columns(['brand_id', 'external_id']).execute();
}
