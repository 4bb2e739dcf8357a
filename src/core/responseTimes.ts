/**
 * Reply time per message, measured straight from a TWCS-style export
 * (Kaggle "Customer Support on Twitter": one row per tweet with `inbound`,
 * `created_at`, `in_response_to_tweet_id`).
 *
 * This is a contract: `parley report response-times` and every tool that reads
 * its JSON rely on the exact definitions below, which reproduce the figures in
 * ../shared/data/README.md §1 to the published decimal. See docs/metrics.md,
 * "Reply time per message (TWCS)". In short:
 *  - an inbound tweet is *answered* when some brand tweet (inbound=False) in the
 *    same file has `in_response_to_tweet_id` = its id; its reply is the earliest
 *    such brand tweet by created_at (ties: smaller tweet id);
 *  - reply time = (reply created_at − inbound created_at) in minutes, as a double
 *    (ms difference / 60000);
 *  - percentiles: empirical CDF with averaging at jumps (Hyndman & Fan type 2),
 *    so the median is the usual "mean of the two middle values";
 *  - published figures are rounded from the double as its exact decimal value
 *    (Number.prototype.toFixed), never half-up on a re-derived exact value.
 *
 * Pure: parsed rows in, statistics out.
 */

/** One tweet, reduced to what reply-time measurement needs. */
export interface TwcsTweet {
  tweetId: string;
  /** Brand handle for brand tweets, anonymised numeric id for customers. */
  authorId: string;
  inbound: boolean;
  /** ms since the Unix epoch. */
  createdAt: number;
  inResponseToTweetId: string | null;
  /** 1-based line of the row in its file, for messages about it. */
  line: number;
}

/** A row that was skipped, and why. */
export interface RowIssue {
  line: number;
  reason: string;
}

/** One answered inbound tweet. */
export interface ReplyTime {
  inboundTweetId: string;
  replyTweetId: string;
  /** author_id of the replying brand tweet. */
  brand: string;
  minutes: number;
}

export interface ResponseTimeStats {
  /** Answered inbound tweets. */
  n: number;
  p25Min: number;
  medianMin: number;
  p75Min: number;
  p90Min: number;
  /** Share of answered inbound tweets whose reply came within 60 minutes (≤ 60.0 min). */
  shareWithin60: number;
}

export interface ResponseTimeReport {
  /** Inbound tweets seen (answered or not). */
  inbound: number;
  /** Stats over all answered inbound tweets; null when none was answered. */
  overall: ResponseTimeStats | null;
  /** Per replying brand (author_id of the reply), sorted by median then handle. */
  byBrand: Record<string, ResponseTimeStats>;
  replies: ReplyTime[];
  /** Rows or links that were skipped (duplicates, replies dated before their message). */
  issues: RowIssue[];
}

/** The JSON printed by `parley report response-times --json`. Shape is a contract. */
export interface ResponseTimesJson {
  overall: { n: number; median_min: number | null; p90_min: number | null; share_within_60: number | null };
  by_brand: Record<string, { n: number; median_min: number; p90_min: number }>;
}

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

// Twitter API v1.1 form: `Tue Oct 31 22:10:47 +0000 2017`.
const TWITTER_RE = /^(Sun|Mon|Tue|Wed|Thu|Fri|Sat) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$/;
// ISO form written by pandas: `2017-11-07 13:21:48+00:00` (also `T`, `Z`, fractions, `+0000`).
const ISO_RE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|([+-])(\d{2}):?(\d{2}))$/;

/**
 * Parse a TWCS `created_at` (either form) to ms since the epoch, honouring the
 * offset. Returns null for anything else, including impossible dates
 * (Feb 30) and a weekday that does not match the date.
 */
export function parseTwcsTime(s: string): number | null {
  const text = s.trim();
  let m = TWITTER_RE.exec(text);
  if (m) {
    const [, wd, mon, d, hh, mi, ss, sign, oh, om, y] = m;
    const ms = utc(+y!, MONTHS[mon!]!, +d!, +hh!, +mi!, +ss!, 0, sign === '-' ? -1 : 1, +oh!, +om!);
    if (ms === null) return null;
    // The weekday is redundant; a mismatch means the row is corrupt, so do not guess.
    const local = new Date(ms + (sign === '-' ? -1 : 1) * (+oh! * 60 + +om!) * 60_000);
    if (WEEKDAYS[local.getUTCDay()] !== wd) return null;
    return ms;
  }
  m = ISO_RE.exec(text);
  if (m) {
    const [, y, mo, d, hh, mi, ss, frac, z, sign, oh, om] = m;
    const msPart = frac ? Number(frac.padEnd(3, '0').slice(0, 3)) : 0; // truncate to ms
    if (z === 'Z') return utc(+y!, +mo! - 1, +d!, +hh!, +mi!, +ss!, msPart, 1, 0, 0);
    return utc(+y!, +mo! - 1, +d!, +hh!, +mi!, +ss!, msPart, sign === '-' ? -1 : 1, +oh!, +om!);
  }
  return null;
}

function utc(y: number, mon: number, d: number, hh: number, mi: number, ss: number, ms: number, sign: number, oh: number, om: number): number | null {
  if (hh > 23 || mi > 59 || ss > 59 || oh > 23 || om > 59) return null;
  const t = Date.UTC(y, mon, d, hh, mi, ss, ms);
  const check = new Date(t);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mon || check.getUTCDate() !== d) return null; // e.g. Feb 30
  return t - sign * (oh * 60 + om) * 60_000;
}

const ID_RE = /^\d+$/;

/** The columns reply-time reads from a TWCS CSV (others, such as text, may be there too). */
export const REPLY_TIME_COLUMNS = ['tweet_id', 'author_id', 'inbound', 'created_at', 'in_response_to_tweet_id'] as const;

/**
 * Validate one CSV row (keyed by header) into a tweet, or say why it is unusable.
 * Float-looking ids (`3.0`) are rejected: the shared files were cleaned of them.
 */
export function parseTwcsRow(row: Record<string, string>, line: number): { ok: true; tweet: TwcsTweet } | { ok: false; issue: RowIssue } {
  const bad = (reason: string) => ({ ok: false as const, issue: { line, reason } });
  for (const col of REPLY_TIME_COLUMNS) {
    if (row[col] === undefined) return bad(`missing column ${col}`);
  }
  const tweetId = row.tweet_id!.trim();
  if (!ID_RE.test(tweetId)) return bad(`tweet_id is not a numeric id: ${JSON.stringify(row.tweet_id)}`);
  const authorId = row.author_id!.trim();
  if (!authorId) return bad('author_id is empty');
  const inboundText = row.inbound!.trim();
  if (inboundText !== 'True' && inboundText !== 'False') return bad(`inbound must be True or False, found ${JSON.stringify(row.inbound)}`);
  const createdAt = parseTwcsTime(row.created_at!);
  if (createdAt === null) return bad(`created_at is not a date: ${JSON.stringify(row.created_at)}`);
  const parent = row.in_response_to_tweet_id!.trim();
  if (parent !== '' && !ID_RE.test(parent)) return bad(`in_response_to_tweet_id is not a numeric id: ${JSON.stringify(row.in_response_to_tweet_id)}`);
  return {
    ok: true,
    tweet: { tweetId, authorId, inbound: inboundText === 'True', createdAt, inResponseToTweetId: parent === '' ? null : parent, line },
  };
}

/** Compare numeric id strings without losing precision (ids exceed 2^53). */
function compareIds(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length !== y.length ? x.length - y.length : x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Percentile of an ascending array, Hyndman & Fan type 2 (SAS definition 5,
 * numpy `averaged_inverted_cdf`): with h = n·p, the h-th smallest value when h is
 * not an integer (rounded up), and the mean of the h-th and (h+1)-th when it is.
 * p = 0.5 is the ordinary median. Every result is an observed value or the
 * midpoint of two, so "p90 = 375 min" means a reply that really took that long.
 */
export function percentile(sortedAsc: readonly number[], p: number): number {
  const n = sortedAsc.length;
  if (n === 0) throw new Error('percentile of an empty list');
  if (!(p >= 0 && p <= 1)) throw new Error(`percentile out of range: ${p}`);
  const h = n * p;
  const r = Math.round(h);
  if (Math.abs(h - r) < 1e-9 * Math.max(1, n)) {
    if (r <= 0) return sortedAsc[0]!;
    if (r >= n) return sortedAsc[n - 1]!;
    return (sortedAsc[r - 1]! + sortedAsc[r]!) / 2;
  }
  return sortedAsc[Math.ceil(h) - 1]!;
}

/** Stats of a list of reply times in minutes (need not be sorted). */
export function replyTimeStats(minutes: readonly number[]): ResponseTimeStats {
  const s = [...minutes].sort((a, b) => a - b);
  let within = 0;
  for (const m of s) if (m <= 60) within++;
  return {
    n: s.length,
    p25Min: percentile(s, 0.25),
    medianMin: percentile(s, 0.5),
    p75Min: percentile(s, 0.75),
    p90Min: percentile(s, 0.9),
    shareWithin60: within / s.length,
  };
}

/**
 * Measure reply times over a set of tweets (a whole file: replies may come
 * before their parent in it). Duplicated tweet ids keep the first row; a brand
 * reply dated before the tweet it answers is skipped and reported.
 */
export function measureResponseTimes(tweets: Iterable<TwcsTweet>): ResponseTimeReport {
  const issues: RowIssue[] = [];
  const byId = new Map<string, TwcsTweet>();
  const all: TwcsTweet[] = [];
  for (const t of tweets) {
    const prev = byId.get(t.tweetId);
    if (prev) {
      issues.push({ line: t.line, reason: `duplicate tweet_id ${t.tweetId} (first on line ${prev.line}); row skipped` });
      continue;
    }
    byId.set(t.tweetId, t);
    all.push(t);
  }

  const firstReply = new Map<string, TwcsTweet>();
  let inbound = 0;
  for (const t of all) {
    if (t.inbound) {
      inbound++;
      continue;
    }
    if (t.inResponseToTweetId === null) continue;
    const parent = byId.get(t.inResponseToTweetId);
    if (!parent || !parent.inbound) continue;
    if (t.createdAt < parent.createdAt) {
      issues.push({ line: t.line, reason: `reply ${t.tweetId} is dated before the tweet it answers (${parent.tweetId}, line ${parent.line}); not counted` });
      continue;
    }
    const cur = firstReply.get(parent.tweetId);
    if (!cur || t.createdAt < cur.createdAt || (t.createdAt === cur.createdAt && compareIds(t.tweetId, cur.tweetId) < 0)) {
      firstReply.set(parent.tweetId, t);
    }
  }

  const replies: ReplyTime[] = [];
  for (const t of all) {
    if (!t.inbound) continue;
    const r = firstReply.get(t.tweetId);
    if (!r) continue;
    replies.push({ inboundTweetId: t.tweetId, replyTweetId: r.tweetId, brand: r.authorId, minutes: (r.createdAt - t.createdAt) / 60_000 });
  }

  const perBrand = new Map<string, number[]>();
  for (const r of replies) {
    let list = perBrand.get(r.brand);
    if (!list) perBrand.set(r.brand, (list = []));
    list.push(r.minutes);
  }
  const brandStats = [...perBrand].map(([brand, mins]) => [brand, replyTimeStats(mins)] as const);
  brandStats.sort((a, b) => a[1].medianMin - b[1].medianMin || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));

  issues.sort((a, b) => a.line - b.line);
  return {
    inbound,
    overall: replies.length ? replyTimeStats(replies.map((r) => r.minutes)) : null,
    byBrand: Object.fromEntries(brandStats),
    replies,
    issues,
  };
}

/**
 * Round the way the published figures were rounded: from the double's exact
 * decimal value (toFixed). 3.15 min (189 s) is stored as 3.1499… and prints 3.1.
 */
export function roundFixed(x: number, decimals: number): number {
  return Number(x.toFixed(decimals));
}

/**
 * The contract JSON: minutes rounded to 0.1, share to 0.001 (i.e. 0.1 %), brands
 * in the report's order (fastest median first). Rounding here, once, means every
 * consumer shows the same figure.
 */
export function toResponseTimesJson(report: ResponseTimeReport): ResponseTimesJson {
  const o = report.overall;
  return {
    overall: {
      n: o?.n ?? 0,
      median_min: o ? roundFixed(o.medianMin, 1) : null,
      p90_min: o ? roundFixed(o.p90Min, 1) : null,
      share_within_60: o ? roundFixed(o.shareWithin60, 3) : null,
    },
    by_brand: Object.fromEntries(
      Object.entries(report.byBrand).map(([brand, s]) => [brand, { n: s.n, median_min: roundFixed(s.medianMin, 1), p90_min: roundFixed(s.p90Min, 1) }]),
    ),
  };
}
