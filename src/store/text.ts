/**
 * Storing hostile text verbatim. Neither SQLite's text nor PostgreSQL's can hold
 * every JS string: PostgreSQL rejects NUL, and UTF-8 cannot encode a lone
 * surrogate. We store a well-formed copy in the searchable column and, only
 * when it differs, the exact original JSON-escaped beside it (JSON.stringify
 * escapes both), so the API returns what arrived, byte for byte.
 */

const NEEDS_ESCAPE = /[\u0000\ud800-\udfff]/;

export interface StoredText {
  text: string;
  escaped: string | null;
}

export function encodeText(original: string): StoredText {
  if (!NEEDS_ESCAPE.test(original)) return { text: original, escaped: null };
  // Surrogate pairs are fine; only NUL and unpaired halves need the escape hatch.
  if (!original.includes('\u0000') && original.isWellFormed()) return { text: original, escaped: null };
  return { text: original.toWellFormed().replace(/\u0000/g, '\ufffd'), escaped: JSON.stringify(original) };
}

export function decodeText(text: string, escaped: string | null | undefined): string {
  if (!escaped) return text;
  try {
    const v = JSON.parse(escaped);
    return typeof v === 'string' ? v : text;
  } catch {
    return text;
  }
}

/** For short profile fields: drop what cannot be stored, keep the rest. */
export function sanitizeShortText(s: string | null | undefined, max = 1000): string | null {
  if (s == null) return null;
  let out = s.length > max ? s.slice(0, max) : s;
  if (NEEDS_ESCAPE.test(out)) out = out.toWellFormed().replace(/\u0000/g, '');
  return out;
}
