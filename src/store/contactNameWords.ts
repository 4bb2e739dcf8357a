/**
 * Writing the words of identities' display names into `contact_name_word` (contact search's
 * word table, src/store/migrations/20261206T2000_contact_name_words.ts). The database removes an
 * identity's words itself when its name changes or the identity is deleted (triggers): a writer
 * of names only adds the words of the name it wrote, after writing it.
 */
import type { Kysely } from 'kysely';
import { nameWords, wordKey } from '../core/nameWords.js';
import type { DB } from './schema.js';
import type { Tx } from './util.js';

/** Word rows a statement: four parameters each, well under both databases' limits. */
const CHUNK = 2_000;

/** The word rows of these identities' names. */
export function nameWordRows(identities: readonly { id: number; brand_id: number; display_name: string | null }[]) {
  return identities.flatMap((i) => nameWords(i.display_name).map((word) => ({ brand_id: Number(i.brand_id), word_key: wordKey(word), word, identity_id: Number(i.id) })));
}

/**
 * Add the words of these identities' current names (call after writing the names, in the same
 * transaction). Words already there are kept (safe to call again for the same name).
 */
export async function writeNameWords(db: Tx | Kysely<any>, identities: readonly { id: number; brand_id: number; display_name: string | null }[]): Promise<void> {
  // in the index's order: each key's new entries go in one after the other (a batch's identities
  // are the newest of each key's run), not one page of the index after another for each identity
  const rows = nameWordRows(identities).sort((a, b) => (a.word_key < b.word_key ? -1 : a.word_key > b.word_key ? 1 : a.identity_id - b.identity_id));
  for (let i = 0; i < rows.length; i += CHUNK) {
    await (db as Kysely<DB>).insertInto('contact_name_word').values(rows.slice(i, i + CHUNK)).onConflict((oc) => oc.doNothing()).execute();
  }
}

/** Every identity's words, 2,000 identities at a time by id (the migration's backfill; exported for its test and measurement). */
export async function fillNameWords(db: Kysely<any>): Promise<void> {
  let after = 0;
  for (;;) {
    const rows = await db.selectFrom('contact_identity').select(['id', 'brand_id', 'display_name']).where('id', '>', after).where('display_name', 'is not', null).orderBy('id').limit(2000).execute();
    if (!rows.length) break;
    after = Number(rows[rows.length - 1].id);
    await writeNameWords(db, rows as { id: number; brand_id: number; display_name: string | null }[]);
  }
}

