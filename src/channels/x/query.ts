/**
 * The recent-search query X listening sends (GET /2/tweets/search/recent): the account's
 * keywords as literal terms, OR-ed, without reposts, the account's own posts and the
 * account's exclusions (`excludeKeywords`). Kept apart
 * from the connector so the settings check can measure it without loading the API client.
 */

/** X's limit on a recent-search query for self-serve access levels (docs.x.com, "Build a query"). */
export const X_QUERY_MAX = 512;

/** A word, #hashtag or $cashtag X matches as it is; anything else is sent as a quoted phrase. */
const BARE_TERM = /^[#$]?[\p{L}\p{M}\p{N}_]+$/u;

/**
 * One keyword as a literal search term: a single word, hashtag or cashtag as it is, anything
 * else as an exact phrase — so quotes, parentheses, a colon (`from:`), a leading minus or a
 * bare `OR` in a keyword are searched for, never read as query syntax. X has no escape for
 * `"` inside a phrase, so quotes become spaces (X ignores punctuation in phrases anyway).
 */
export function listeningTerm(keyword: string): string | null {
  const k = keyword.trim();
  if (BARE_TERM.test(k) && k !== 'OR' && k !== 'AND') return k;
  const phrase = k.replace(/["\\]/g, ' ').replace(/\s+/g, ' ').trim();
  return phrase ? `"${phrase}"` : null;
}

/** The distinct literal terms (`listeningTerm`) of a list of keywords or exclusions. */
function literalTerms(list: string[]): string[] {
  return [...new Set(list.map(listeningTerm).filter((t): t is string => t !== null))];
}

/**
 * A recent-search query for listening: the keywords OR-ed, without our own posts and reposts,
 * and without the exclusions (`-word`, `-#tag`, `-"a phrase"`: X's negation, ANDed with the rest,
 * never inside the OR group, which X would read as "any keyword, or anything without this").
 * Exclusions go in while the query stays within X_QUERY_MAX (the settings check refuses more);
 * whatever does not fit is still dropped by the connector after X answers
 * (src/core/listeningExclusion.ts). A post that tags the brand is no listening hit: the mentions
 * timeline brings it whatever words it holds, so the negation never costs a direct mention.
 */
export function listeningQuery(keywords: string[], username: string, exclusions: string[] = []): string | null {
  const terms = literalTerms(keywords);
  if (!terms.length) return null;
  let q = `(${terms.join(' OR ')}) -is:retweet${username ? ` -from:${username}` : ''}`;
  for (const t of literalTerms(exclusions)) {
    if (q.length + 2 + t.length > X_QUERY_MAX) break;
    q += ` -${t}`;
  }
  return q;
}

/** The longest username X allows: the settings check measures the query with it. */
const X_USERNAME_MAX = 15;

/** The query's length problem for these keywords and exclusions, or null when X takes it. */
export function listeningQueryProblem(keywords: string[], exclusions: string[] = []): string | null {
  const base = listeningQuery(keywords, 'x'.repeat(X_USERNAME_MAX));
  if (!base) return null;
  const full = base + literalTerms(exclusions).map((t) => ` -${t}`).join('');
  if (full.length <= X_QUERY_MAX) return null;
  if (base.length > X_QUERY_MAX) return `keywords: X takes a search query of at most ${X_QUERY_MAX} characters and these keywords make one of ${base.length}; use fewer or shorter keywords`;
  return `excludeKeywords: X takes a search query of at most ${X_QUERY_MAX} characters and these keywords with their exclusions make one of ${full.length}; use fewer or shorter keywords or exclusions`;
}
