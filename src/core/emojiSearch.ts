/**
 * Emoji in search. Neither full-text engine keeps emoji (SQLite's unicode61 and PostgreSQL's
 * parser both treat them as separators), yet care teams search for 🔥, 😡, 💔 or 🙏. So each
 * message's emoji become search terms of their own (table `message_emoji`, beside the
 * full-text index; the message text is never rewritten), and a query's emoji are looked up
 * there while its words go to the full-text index as before.
 *
 * What matches what (what an agent expects, in the words of the search box):
 * - an emoji is one whole sequence as people see it: 👍🏽, 👨‍👩‍👧 (joined with ZWJ), 🇫🇷 (two
 *   regional indicators), 1️⃣ (keycap), 🏴󠁧󠁢󠁥󠁮󠁧󠁿 (tag sequence);
 * - variation selectors do not count: ❤️ and ❤ are the same emoji;
 * - an emoji searched without a skin tone finds every tone (👍 finds 👍 and 👍🏽); one with a
 *   tone finds only that tone (👍🏽 finds 👍🏽, not 👍 nor 👍🏿);
 * - likewise for the gender signs joined to a person (🤷 finds 🤷‍♀️ and 🤷‍♂️; 🤷‍♀️ finds only
 *   women shrugging, in any tone);
 * - a sequence is not its parts: 👨 does not find 👨‍👩‍👧, 🔥 does not find ❤️‍🔥.
 *
 * The same rules are compiled for PostgreSQL (`pgEmojiTermsFunction`, installed by migration
 * 20261205T1330), which fills `message_emoji` there from a trigger: every message is indexed
 * however it was written (ingest, replies, imports, bare inserts). On SQLite the batched
 * full-text indexing (src/store/fts.ts) calls `emojiTerms`. Both give exactly the same terms;
 * test/search-emoji.test.ts checks PostgreSQL's against this module's on every pictograph.
 * Changing the rules or the table below needs a new migration that replaces the function and
 * rebuilds `message_emoji`.
 */

/**
 * The code points with Unicode's Extended_Pictographic property (Unicode 15.1, as Node 20
 * has it), as inclusive ranges. Written out rather than `\p{Extended_Pictographic}` so that
 * JavaScript and PostgreSQL use one list whatever their Unicode versions; the property
 * reserves whole blocks for future emoji, so new emoji fall inside these ranges.
 */
export const EXTENDED_PICTOGRAPHIC: readonly (readonly [number, number])[] = [
  [0xa9, 0xa9], [0xae, 0xae], [0x203c, 0x203c], [0x2049, 0x2049], [0x2122, 0x2122], [0x2139, 0x2139], [0x2194, 0x2199], [0x21a9, 0x21aa],
  [0x231a, 0x231b], [0x2328, 0x2328], [0x23cf, 0x23cf], [0x23e9, 0x23f3], [0x23f8, 0x23fa], [0x24c2, 0x24c2], [0x25aa, 0x25ab], [0x25b6, 0x25b6],
  [0x25c0, 0x25c0], [0x25fb, 0x25fe], [0x2600, 0x2604], [0x260e, 0x260e], [0x2611, 0x2611], [0x2614, 0x2615], [0x2618, 0x2618], [0x261d, 0x261d],
  [0x2620, 0x2620], [0x2622, 0x2623], [0x2626, 0x2626], [0x262a, 0x262a], [0x262e, 0x262f], [0x2638, 0x263a], [0x2640, 0x2640], [0x2642, 0x2642],
  [0x2648, 0x2653], [0x265f, 0x2660], [0x2663, 0x2663], [0x2665, 0x2666], [0x2668, 0x2668], [0x267b, 0x267b], [0x267e, 0x267f], [0x2692, 0x2697],
  [0x2699, 0x2699], [0x269b, 0x269c], [0x26a0, 0x26a1], [0x26a7, 0x26a7], [0x26aa, 0x26ab], [0x26b0, 0x26b1], [0x26bd, 0x26be], [0x26c4, 0x26c5],
  [0x26c8, 0x26c8], [0x26ce, 0x26cf], [0x26d1, 0x26d1], [0x26d3, 0x26d4], [0x26e9, 0x26ea], [0x26f0, 0x26f5], [0x26f7, 0x26fa], [0x26fd, 0x26fd],
  [0x2702, 0x2702], [0x2705, 0x2705], [0x2708, 0x270d], [0x270f, 0x270f], [0x2712, 0x2712], [0x2714, 0x2714], [0x2716, 0x2716], [0x271d, 0x271d],
  [0x2721, 0x2721], [0x2728, 0x2728], [0x2733, 0x2734], [0x2744, 0x2744], [0x2747, 0x2747], [0x274c, 0x274c], [0x274e, 0x274e], [0x2753, 0x2755],
  [0x2757, 0x2757], [0x2763, 0x2764], [0x2795, 0x2797], [0x27a1, 0x27a1], [0x27b0, 0x27b0], [0x27bf, 0x27bf], [0x2934, 0x2935], [0x2b05, 0x2b07],
  [0x2b1b, 0x2b1c], [0x2b50, 0x2b50], [0x2b55, 0x2b55], [0x3030, 0x3030], [0x303d, 0x303d], [0x3297, 0x3297], [0x3299, 0x3299], [0x1f004, 0x1f004],
  [0x1f02c, 0x1f02f], [0x1f094, 0x1f09f], [0x1f0af, 0x1f0b0], [0x1f0c0, 0x1f0c0], [0x1f0cf, 0x1f0d0], [0x1f0f6, 0x1f0ff], [0x1f170, 0x1f171], [0x1f17e, 0x1f17f],
  [0x1f18e, 0x1f18e], [0x1f191, 0x1f19a], [0x1f1ae, 0x1f1e5], [0x1f201, 0x1f20f], [0x1f21a, 0x1f21a], [0x1f22f, 0x1f22f], [0x1f232, 0x1f23a], [0x1f23c, 0x1f23f],
  [0x1f249, 0x1f25f], [0x1f266, 0x1f321], [0x1f324, 0x1f393], [0x1f396, 0x1f397], [0x1f399, 0x1f39b], [0x1f39e, 0x1f3f0], [0x1f3f3, 0x1f3f5], [0x1f3f7, 0x1f3fa],
  [0x1f400, 0x1f4fd], [0x1f4ff, 0x1f53d], [0x1f549, 0x1f54e], [0x1f550, 0x1f567], [0x1f56f, 0x1f570], [0x1f573, 0x1f57a], [0x1f587, 0x1f587], [0x1f58a, 0x1f58d],
  [0x1f590, 0x1f590], [0x1f595, 0x1f596], [0x1f5a4, 0x1f5a5], [0x1f5a8, 0x1f5a8], [0x1f5b1, 0x1f5b2], [0x1f5bc, 0x1f5bc], [0x1f5c2, 0x1f5c4], [0x1f5d1, 0x1f5d3],
  [0x1f5dc, 0x1f5de], [0x1f5e1, 0x1f5e1], [0x1f5e3, 0x1f5e3], [0x1f5e8, 0x1f5e8], [0x1f5ef, 0x1f5ef], [0x1f5f3, 0x1f5f3], [0x1f5fa, 0x1f64f], [0x1f680, 0x1f6c5],
  [0x1f6cb, 0x1f6d2], [0x1f6d5, 0x1f6e5], [0x1f6e9, 0x1f6e9], [0x1f6eb, 0x1f6f0], [0x1f6f3, 0x1f6ff], [0x1f7da, 0x1f7ff], [0x1f80c, 0x1f80f], [0x1f848, 0x1f84f],
  [0x1f85a, 0x1f85f], [0x1f888, 0x1f88f], [0x1f8ae, 0x1f8af], [0x1f8bc, 0x1f8bf], [0x1f8c2, 0x1f8cf], [0x1f8d9, 0x1f8ff], [0x1f90c, 0x1f93a], [0x1f93c, 0x1f945],
  [0x1f947, 0x1f9ff], [0x1fa58, 0x1fa5f], [0x1fa6e, 0x1faff], [0x1fc00, 0x1fffd],
];

/** An emoji longer than this many code points (after variation selectors are dropped) is no term: the longest real ones (families with skin tones) have 11. */
export const MAX_EMOJI_CODE_POINTS = 16;
/** A search uses at most this many emoji, as it uses at most this many words. */
export const MAX_QUERY_EMOJI = 8;

const RI = [0x1f1e6, 0x1f1ff] as const;
const TONES = [0x1f3fb, 0x1f3ff] as const;
const TAGS = [0xe0020, 0xe007f] as const;

type Esc = (cp: number) => string;
const jsEsc: Esc = (cp) => `\\u{${cp.toString(16)}}`;
const pgEsc: Esc = (cp) => (cp <= 0xffff ? `\\u${cp.toString(16).padStart(4, '0')}` : `\\U${cp.toString(16).padStart(8, '0')}`);
const range = (esc: Esc, [a, b]: readonly [number, number]) => (a === b ? esc(a) : `${esc(a)}-${esc(b)}`);

/**
 * The regular expressions, written once for both engines (JavaScript's with the `u` flag,
 * PostgreSQL's ARE). An emoji is: a pair of regional indicators (a flag), a lone one, a keycap,
 * or a pictograph with its variation selector, skin tone and tag characters, joined by ZWJ to
 * more. At any position only one of the branches can start, and each branch taken as long as
 * it goes is also the longest match, so JavaScript (first match, greedy) and PostgreSQL
 * (longest match) find the same emoji.
 */
function patterns(esc: Esc) {
  const pict = EXTENDED_PICTOGRAPHIC.map((r) => range(esc, r)).join('');
  const ri = `[${range(esc, RI)}]`;
  const vs = `${esc(0xfe0e)}${esc(0xfe0f)}`;
  const ext = `[${vs}${range(esc, TONES)}${range(esc, TAGS)}]`;
  const p = `[${pict}]${ext}*`;
  return {
    /** Anything that can start or make an emoji: a text without it has none (the cheap test first). */
    any: `[${pict}${range(esc, RI)}${esc(0x20e3)}]`,
    sequence: `${ri}${ri}|${ri}|[0-9#*]${esc(0xfe0f)}?${esc(0x20e3)}|${p}(?:${esc(0x200d)}${p})*`,
    vs: `[${vs}]`,
    tones: `[${range(esc, TONES)}]`,
    gender: `${esc(0x200d)}[${esc(0x2640)}${esc(0x2642)}]`,
  };
}

const JS = patterns(jsEsc);
const ANY = new RegExp(JS.any, 'u');
const SEQUENCE = new RegExp(JS.sequence, 'gu');
const VS = new RegExp(JS.vs, 'gu');
const TONE = new RegExp(JS.tones, 'gu');
const GENDER = new RegExp(JS.gender, 'gu');

/** Does the text hold anything that can be an emoji? One regular-expression test: most texts stop here. */
export function mayHaveEmoji(text: string): boolean {
  return ANY.test(text);
}

/** An emoji as found, without its variation selectors; null when it is too long to be a term. */
function exactForm(found: string): string | null {
  const e = found.replace(VS, '');
  let n = 0;
  for (const _ of e) if (++n > MAX_EMOJI_CODE_POINTS) return null;
  return e;
}

/**
 * The search terms a message's text is indexed under: each emoji as it is (less variation
 * selectors), without its skin tones, without its gender signs, and without both; no
 * duplicates. Empty for a text without emoji, which is decided by one test.
 */
export function emojiTerms(text: string): string[] {
  if (!ANY.test(text)) return [];
  const out = new Set<string>();
  SEQUENCE.lastIndex = 0;
  for (let m = SEQUENCE.exec(text); m; m = SEQUENCE.exec(text)) {
    const found = m[0];
    // most emoji are one code point: no selector, tone or ZWJ to take off
    if (found.length === 1 || (found.length === 2 && found.codePointAt(0)! > 0xffff)) {
      out.add(found);
      continue;
    }
    const e = exactForm(found);
    if (e == null) continue;
    const toneless = e.replace(TONE, '');
    out.add(e);
    out.add(toneless);
    out.add(e.replace(GENDER, ''));
    out.add(toneless.replace(GENDER, ''));
  }
  return [...out];
}

/**
 * A search box split into its emoji (each one term, as typed less variation selectors: see
 * the module comment for what it finds) and the rest, with each emoji replaced by a space, for
 * the word tokens. At most `MAX_QUERY_EMOJI` emoji.
 */
export function splitQueryEmoji(q: string): { emoji: string[]; rest: string } {
  if (!ANY.test(q)) return { emoji: [], rest: q };
  const emoji = new Set<string>();
  const rest = q.replace(SEQUENCE, (found) => {
    const e = exactForm(found);
    if (e != null && emoji.size < MAX_QUERY_EMOJI) emoji.add(e);
    return ' ';
  });
  return { emoji: [...emoji], rest };
}

/**
 * PostgreSQL: the setting a transaction turns 'on' while it files the emoji terms of the messages
 * it inserts itself (migration 20261207T1540); the row trigger then leaves those messages alone.
 */
export const PG_EMOJI_BY_WRITER = 'parley.emoji_terms_by_writer';

/**
 * PostgreSQL's `parley_emoji_terms(text) → text[]`: `emojiTerms`, in SQL. `anyPattern` is
 * `mayHaveEmoji`'s test, for the trigger's WHEN and the backfill's WHERE.
 */
export function pgEmojiTermsFunction(): { anyPattern: string; createFunction: string } {
  const pg = patterns(pgEsc);
  const lit = (s: string) => `'${s.replace(/'/g, "''")}'`;
  const createFunction = `CREATE OR REPLACE FUNCTION parley_emoji_terms(t text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $fn$
  SELECT coalesce(array_agg(DISTINCT f.term), '{}')
  FROM (SELECT regexp_replace(m[1], ${lit(pg.vs)}, '', 'g') AS e FROM regexp_matches(t, ${lit(pg.sequence)}, 'g') AS m) s
  CROSS JOIN LATERAL (SELECT regexp_replace(s.e, ${lit(pg.tones)}, '', 'g') AS toneless) n
  CROSS JOIN LATERAL (VALUES (s.e), (n.toneless), (regexp_replace(s.e, ${lit(pg.gender)}, '', 'g')), (regexp_replace(n.toneless, ${lit(pg.gender)}, '', 'g'))) AS f(term)
  WHERE char_length(s.e) <= ${MAX_EMOJI_CODE_POINTS}
$fn$`;
  return { anyPattern: pg.any, createFunction };
}
