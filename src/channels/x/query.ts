/**
 * The recent-search query X listening sends (GET /2/tweets/search/recent): the account's
 * keywords as literal terms, OR-ed, without reposts and the account's own posts. Kept apart
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

/** A recent-search query for listening: the keywords OR-ed, without our own posts and reposts. */
export function listeningQuery(keywords: string[], username: string): string | null {
  const terms = [...new Set(keywords.map(listeningTerm).filter((t): t is string => t !== null))];
  if (!terms.length) return null;
  return `(${terms.join(' OR ')}) -is:retweet${username ? ` -from:${username}` : ''}`;
}

/** The longest username X allows: the settings check measures the query with it. */
const X_USERNAME_MAX = 15;

/** The query's length problem for these keywords, or null when X takes it. */
export function listeningQueryProblem(keywords: string[]): string | null {
  const q = listeningQuery(keywords, 'x'.repeat(X_USERNAME_MAX));
  if (!q || q.length <= X_QUERY_MAX) return null;
  return `keywords: X takes a search query of at most ${X_QUERY_MAX} characters and these keywords make one of ${q.length}; use fewer or shorter keywords`;
}
