/**
 * `expert_answer_revision`: the earlier texts of an expert's answer that its expert corrected
 * (src/workflow/commands.ts `editExpertAnswer`). The answer stays one note, whose text is the
 * current answer; each edit keeps the text it replaced here, with who replaced it and when, so
 * the history is readable and an erasure scrubs it like the answer (src/commands/erase.ts). A
 * question with a revision is "edited".
 */
import type { Kysely } from 'kysely';
import type { MigrationContext } from '../migrate.js';

export async function up(db: Kysely<any>, { id }: MigrationContext): Promise<void> {
  await db.schema
    .createTable('expert_answer_revision')
    .addColumn('id', ...id)
    .addColumn('brand_id', 'bigint', (c) => c.notNull())
    .addColumn('expert_request_id', 'bigint', (c) => c.notNull())
    .addColumn('note_id', 'bigint', (c) => c.notNull())
    /** the answer's text before this edit */
    .addColumn('text', 'text', (c) => c.notNull())
    .addColumn('replaced_by', 'bigint')
    .addColumn('replaced_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('expert_answer_revision_request').on('expert_answer_revision').columns(['expert_request_id']).execute();
}
