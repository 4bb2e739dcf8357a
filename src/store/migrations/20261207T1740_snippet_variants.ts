/**
 * Saved replies (snippets) worded per network and per language (src/core/snippetVariants.ts):
 * `snippet_variant` holds each wording keyed by network (or `any`) and BCP-47 primary language
 * subtag (or `any`). Every existing snippet's text becomes its default (`any`/`any`) variant;
 * `snippet.body` stays, kept equal to the default variant's text.
 */
import { sql, type Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('snippet_variant')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('snippet_id', 'bigint', (c) => c.notNull())
    .addColumn('network', 'text', (c) => c.notNull())
    .addColumn('language', 'text', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addUniqueConstraint('snippet_variant_key', ['snippet_id', 'network', 'language'])
    .execute();
  await db.schema.createIndex('snippet_variant_brand').on('snippet_variant').columns(['brand_id', 'snippet_id']).execute();
  await sql`INSERT INTO snippet_variant (brand_id, snippet_id, network, language, body, created_at, updated_at)
    SELECT brand_id, id, 'any', 'any', body, created_at, created_at FROM snippet`.execute(db);
}
