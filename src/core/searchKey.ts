/**
 * The folded form of a handle or an email address that contact search compares
 * (src/commands/contactMerge.ts `searchContacts`): computed here, in JavaScript, and stored in
 * `contact_identity.handle_key` / `address_key` by every writer of identities, so SQLite (whose
 * `lower()` folds ASCII only) and PostgreSQL (whose `lower()` depends on the database's locale)
 * find exactly the same profiles for the same query.
 *
 * The fold, in this order:
 *  - control characters dropped, lone surrogates made U+FFFD (what the databases would store);
 *  - Unicode NFKC: a decomposed "é" (e + U+0301) is the precomposed one, full-width "ＡＢＣ" is
 *    "ABC", ligatures and other compatibility forms are their letters;
 *  - `toLowerCase()` (Unicode's full lowercase mapping, no locale), then what makes it a case
 *    fold fit for prefixes: final sigma "ς" is "σ" (otherwise "ΟΔΟΣ" and "ΟΔΟΣΑ" disagree on
 *    their 4th letter), German "ß" (and capital "ẞ") is "ss" (so "STRASSE" finds "Straße"), and
 *    the four Turkish i's (I, ı, İ, i) are all "i": which of them pair as cases depends on the
 *    customer's language, which the desk does not know, so a search finds them all;
 *  - NFKC again (lowercasing can leave a letter and a combining mark apart).
 * Other diacritics stay (as the name search keeps them): "zoe" does not find "zoë".
 */

/** The search key of `s` (see the module's header); idempotent: `searchKey(searchKey(s)) === searchKey(s)`. */
export function searchKey(s: string): string {
  return s
    .toWellFormed()
    .replace(/\p{Cc}/gu, '')
    .normalize('NFKC')
    .toLowerCase()
    .replace(/i\u0307/g, 'i')
    .replace(/[ıςß]/g, (c) => (c === 'ı' ? 'i' : c === 'ς' ? 'σ' : 'ss'))
    .normalize('NFKC');
}

/** The identity's `address_key`: the folded address of an email identity, null for any other network. */
export function addressKey(network: string, networkUserId: string): string | null {
  return network === 'email' ? searchKey(networkUserId) : null;
}
