/**
 * A team's name is unique in its brand regardless of case: "Care" and "care" were two
 * teams that routing rules, the assign dialog and reports could not tell apart. An
 * existing later duplicate is renamed "<name> (<id>)" so the index can be built (its id
 * keeps it findable; an admin renames it). SQLite's lower() folds ASCII letters only;
 * PostgreSQL's folds every letter its collation knows.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, _ctx: MigrationContext): Promise<void> {
  const teams = await db.selectFrom('team').select(['id', 'brand_id', 'name']).orderBy('id').execute();
  const seen = new Set<string>();
  for (const t of teams as { id: number; brand_id: number; name: string }[]) {
    const key = `${t.brand_id}\u0000${t.name.toLowerCase()}`;
    if (seen.has(key)) await db.updateTable('team').set({ name: `${t.name} (${t.id})` }).where('id', '=', t.id).execute();
    else seen.add(key);
  }
  await sql`CREATE UNIQUE INDEX team_brand_name_nocase ON team (brand_id, lower(name))`.execute(db);
}
