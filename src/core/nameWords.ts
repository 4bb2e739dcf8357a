/**
 * The words of a profile's display name as contact search looks them up in the word table
 * `contact_name_word` (src/store/migrations/20261206T2000_contact_name_words.ts, searched by
 * src/commands/contactMerge.ts `contactSearchQueries`): computed here, in JavaScript, by the
 * writers of names (ingest, the migration's backfill), the same on SQLite and PostgreSQL.
 *
 * A word is a run of letters, digits and private-use characters (as both full-text indexes the
 * table replaces cut names), in NFC, each code point lowercased on its own (as their simple case
 * folds do: one code point for one). A word is stored under its `wordKey`: its first
 * `NAME_KEY_LENGTH` code points, the whole word when shorter. The key is what the table's index
 * is ordered by, then by identity newest first: the identities with a word starting with a
 * 3-letter prefix are one run of the index in the page's order, read up to the page's size.
 */

/** Code points of a word's key: a query's word from this length on is a prefix, a shorter one a whole word (`NAME_PREFIX_MIN`). */
export const NAME_KEY_LENGTH = 3;

/** Longer words are stored (and looked up) by their first this many code points (a b-tree entry has a size limit). */
export const NAME_WORD_MAX = 200;

/** A word of a name, and of a query looked up in them: a run of letters, digits and private-use characters. */
export const NAME_WORD = /[\p{L}\p{N}\p{Co}]+/gu;

/** `w` as stored and compared: NFC, each code point lowercased, at most `NAME_WORD_MAX` code points. */
export function foldWord(w: string): string {
  const cps = Array.from(w.normalize('NFC'), (c) => {
    const l = c.toLowerCase();
    return l.length === c.length || Array.from(l).length === 1 ? l : c;
  });
  return cps.slice(0, NAME_WORD_MAX).join('');
}

/** The key a folded word is stored under: its first `NAME_KEY_LENGTH` code points. */
export function wordKey(folded: string): string {
  return Array.from(folded).slice(0, NAME_KEY_LENGTH).join('');
}

/** The distinct folded words of a display name (none for null), in the order they first occur. */
export function nameWords(displayName: string | null | undefined): string[] {
  if (!displayName) return [];
  const words = displayName.toWellFormed().normalize('NFC').match(NAME_WORD) ?? [];
  return [...new Set(words.map(foldWord))];
}
