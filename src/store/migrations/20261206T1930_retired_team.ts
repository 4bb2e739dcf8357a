/**
 * The name of a team that is gone (SCIM deleted its group: src/commands/scim.ts). Its reporting
 * facts keep its id, and reports name the teams of their rows from `team`: without this, a
 * removed team's past work showed as a bare "#<id>". The team itself is removed as before (out of
 * routing, the admins' pickers and SCIM); only its name is kept here, for the reports.
 * Teams removed before this ran are found in the audit trail (`team.deleted`, whose data names it).
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  await db.schema
    .createTable('retired_team')
    .addColumn('id', 'bigint', (c) => c.primaryKey())
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('retired_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('retired_team_brand').on('retired_team').column('brand_id').execute();

  const gone = await db.selectFrom('audit_event').select(['brand_id', 'subject_id', 'data', 'created_at']).where('action', '=', 'team.deleted').where('subject_type', '=', 'team').orderBy('id').execute();
  const live = new Set((await db.selectFrom('team').select('id').execute()).map((t: { id: number }) => Number(t.id)));
  const byId = new Map<number, { id: number; brand_id: number; name: string; retired_at: number }>();
  for (const e of gone as { brand_id: number; subject_id: string | null; data: string | null; created_at: number }[]) {
    const id = Number(e.subject_id);
    let name: unknown;
    try {
      name = (JSON.parse(e.data ?? 'null') as { name?: unknown } | null)?.name;
    } catch {
      continue;
    }
    if (!Number.isSafeInteger(id) || live.has(id) || typeof name !== 'string' || !name) continue;
    byId.set(id, { id, brand_id: Number(e.brand_id), name, retired_at: Number(e.created_at) });
  }
  const rows = [...byId.values()];
  for (let i = 0; i < rows.length; i += 500) await db.insertInto('retired_team').values(rows.slice(i, i + 500)).execute();
}
