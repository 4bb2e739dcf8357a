/**
 * The pieces a connector describes its settings with (each network's `settings.ts`):
 * which settings it reads, typed as zod fields, and the names of the credentials it
 * reads. Settings are not secret (admins and agents see them); credentials are
 * write-only. src/channels/settings.ts checks connect and edit input against them.
 */
import { z } from 'zod';

/** What a network's connector reads from a connected account. */
export interface ChannelSettingsSpec {
  /** Every setting the connector reads; each is optional (say what is required in `check`). */
  settings: z.ZodRawShape;
  /** Names of the credentials it reads (secret: stored encrypted, never returned). */
  credentials: readonly string[];
  /** The settings that are listening terms (shown as "Listening" in the admin UI). */
  listening?: readonly string[];
  /**
   * The settings that are listening exclusions (`excludeKeywords`: shown with the listening terms
   * in the admin UI, but no terms of their own: they find nothing, they leave hits out).
   */
  exclusions?: readonly string[];
  /**
   * Settings that point the account at another server or mailbox: the stored sync
   * position means nothing there, so changing one restarts sync from a backfill.
   */
  resetCursorOn?: readonly string[];
  /**
   * Settings that name where the credentials are sent (the API's or mail server's address, its
   * port and TLS): changing one needs the credentials given again in the same change, so
   * whoever may edit settings cannot send the stored ones to a server of their choosing.
   */
  credentialsBoundTo?: readonly string[];
  /** Checks across fields, with the connector's own rules; returns the problem or null. */
  check?: (settings: Record<string, unknown>) => string | null;
}

/**
 * Listening terms: a list of words or phrases, or one string of them separated by
 * commas or new lines (what a form field gives). Stored as a trimmed list without
 * repeats, so every connector reads the same shape.
 */
export const termList = (opts: { max?: number; maxLength?: number; strip?: RegExp } = {}) =>
  z
    .union([z.string(), z.array(z.string())])
    .transform((v) => {
      const items = (Array.isArray(v) ? v : v.split(/[\n,]/)).map((x) => (opts.strip ? x.trim().replace(opts.strip, '') : x.trim())).filter(Boolean);
      const seen = new Set<string>();
      return items.filter((x) => !seen.has(x.toLowerCase()) && seen.add(x.toLowerCase()));
    })
    .pipe(z.array(z.string().max(opts.maxLength ?? 128, `a term is at most ${opts.maxLength ?? 128} characters`)).max(opts.max ?? 50, `at most ${opts.max ?? 50} terms`));

/**
 * Pattern syntax in a keyword ("acme.*", "(acme|acmee)", "colou?r", "acm[ei]", "^acme$", "acme\\b"):
 * no network reads a keyword as a pattern, so one would be searched for as written and match
 * nothing its author meant. Names with punctuation stay keywords: Yahoo!, Disney+, C++, AT&T,
 * $ACME (a cashtag), a "?" ending a question.
 */
const PATTERN_SYNTAX = /[|*\\[\]{}^]|\?[\p{L}\p{N}]|[\p{L}\p{N}]\$(?![\p{L}\p{N}])|\.\+/u;

/** The refusals keywords and exclusions share: nothing to search for, a pattern. */
function termProblem(t: string, what: 'keywords' | 'exclusions'): string | null {
  if (!/[\p{L}\p{N}]/u.test(t)) return `"${t}" has no letter or digit to search for`;
  if (PATTERN_SYNTAX.test(t)) return `"${t}" looks like a pattern (| * ? [ ] ^ $ \\): ${what} are searched for as written, not as patterns; add each spelling or variant as its own ${what === 'keywords' ? 'keyword (acme, acmee, acme corp)' : 'exclusion (pie, pies, apple juice)'}`;
  return null;
}

/**
 * Listening keywords: a term list whose every term has something to search for and is not
 * an exclusion. Each keyword is searched for as written; a word starting with "-" would be
 * read by some networks as "without this word" and by others as part of a phrase, so it is
 * refused rather than meaning one thing on one network and the opposite on another
 * (exclusions have their own setting: `exclusionList`).
 */
export const keywordList = (opts: { max?: number; maxLength?: number } = {}) =>
  termList(opts).superRefine((terms, ctx) => {
    terms.forEach((t, i) => {
      const problem = /[\p{L}\p{N}]/u.test(t) && /(^|\s)-\S/u.test(t) ? `"${t}": keywords have no exclusions (a word starting with "-"); every keyword is searched for as written, so put the words to leave out in the exclusion keywords` : termProblem(t, 'keywords');
      if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
    });
  });

/**
 * Listening exclusions (`excludeKeywords`): words or phrases whose mentions listening does not
 * collect unless they tag the brand (src/core/listeningExclusion.ts). Written as keywords are —
 * one per line or comma, no patterns — with the leading "-" and the quotes of X's search syntax
 * taken off when an admin types them that way (`-pie`, `-"apple juice"`). A "-" inside a term
 * (`pie -apple`) is refused: it reads as two exclusions on one line, or as one with a minus in it.
 */
export const exclusionList = (opts: { max?: number; maxLength?: number } = {}) =>
  termList({ ...opts, strip: /^(?:-+\s*)?"*|"*$/g }).superRefine((terms, ctx) => {
    terms.forEach((t, i) => {
      const problem = /[\p{L}\p{N}]/u.test(t) && /\s-\S/u.test(t) ? `"${t}": one exclusion per line, without "-" (pie, then apple juice on the next line)` : termProblem(t, 'exclusions');
      if (problem) ctx.addIssue({ code: 'custom', path: [i], message: problem });
    });
  });

/** An http(s) URL (API bases, servers). */
export const httpUrl = z
  .string()
  .trim()
  .refine((s) => {
    try {
      return ['http:', 'https:'].includes(new URL(s).protocol);
    } catch {
      return false;
    }
  }, 'must be an http(s) URL, e.g. https://example.com');

/** A deadline in milliseconds. */
export const timeoutMs = z.number().int('must be whole milliseconds').min(100, 'at least 100 ms').max(600_000, 'at most 600000 ms (10 minutes)');

/** A network's id for something (a Page id...): a form may send digits as a number. */
export const idString = z.union([z.string().trim().min(1), z.number().int().nonnegative().transform(String)]);

/** Settings every account may carry, whatever its network (read by the sync worker and the workflow). */
export const COMMON_SETTINGS: z.ZodRawShape = {
  /** How often the sync worker polls this account. */
  pollIntervalS: z.number().min(5, 'at least 5 seconds').max(86_400, 'at most 86400 seconds (a day)'),
  /** The out-of-hours acknowledgement (src/core/autoAck.ts). */
  autoAck: z.strictObject({
    enabled: z.boolean().optional(),
    visibility: z.enum(['public', 'private']).optional(),
    signature: z.string().max(40).optional(),
  }),
};
