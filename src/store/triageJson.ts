/**
 * A message's triage as stored in `message.triage`.
 *
 * The pipeline writes it in a compact positional form (an array starting with 2):
 * the object form spelt every key of every signal and repeated the action's
 * reason as `needsResponse`. That was ~1.3 KB of a ~1.5 KB message row. The
 * positional form is about half that size: fewer bytes to insert, to commit and
 * to send to PostgreSQL. Readers go through `readStoredTriage`, which returns
 * the object form (TriageOutcome, plus `corrected` once an agent corrected it).
 * Rows written as objects (older rows, corrections) read back unchanged.
 *
 * Lossless: `readStoredTriage(storeTriage(t))` deep-equals `t`. A result whose
 * shape the positional form cannot hold exactly (a plugin's extra fields, odd
 * types) is stored as plain JSON.
 */
import type { Scored } from '../core/types.js';

/** Positional layout, version 2. */
const V2 = 2;
const SIGNALS = ['action', 'category', 'complaint', 'sentiment', 'accolade', 'chaser', 'intent', 'language'] as const;
const BOOLEAN_SIGNALS = new Set(['complaint', 'accolade', 'chaser']);
const SCORE_KEYS = ['negative', 'neutral', 'positive', 'offensive', 'spam', 'care', 'problem', 'urgency'] as const;
const KNOWN_KEYS = new Set([...SIGNALS, 'priority', 'model', 'needsResponse', 'scores', 'truncated']);

type Obj = Record<string, unknown>;
type Packed = [unknown, number, string];

/**
 * Confidences and scores in thousandths, as integers: triage rounds them to three
 * decimals, and an integer is written and read several times faster than a fraction.
 * NaN when `x` is not exactly a number of thousandths (the result is then stored as plain JSON).
 */
function milli(x: number): number {
  const k = Math.round(x * 1000);
  return k / 1000 === x ? k : NaN;
}

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A Scored<…> with exactly value, confidence, reason (in any order) and the value type the slot expects. */
function packScored(s: unknown, boolean: boolean): Packed | null | undefined {
  if (!isObj(s)) return undefined;
  let n = 0;
  for (const _ in s) n++;
  if (n !== 3 || typeof s.confidence !== 'number' || typeof s.reason !== 'string') return undefined;
  if (boolean ? typeof s.value !== 'boolean' : typeof s.value !== 'string') return undefined;
  const c = milli(s.confidence);
  if (c !== c) return undefined;
  return [boolean ? (s.value ? 1 : 0) : s.value, c, s.reason];
}

function unpackScored(p: unknown, boolean: boolean): Scored<unknown> | null {
  if (!Array.isArray(p)) return null;
  return { value: boolean ? p[0] === 1 : p[0], confidence: (p[1] as number) / 1000, reason: p[2] as string };
}

/** The string to store for a triage result (null: none). */
export function storeTriage(t: object | null | undefined): string | null {
  if (t == null) return null;
  return packTriage(t as Obj) ?? JSON.stringify(t);
}

function packTriage(t: Obj): string | null {
  for (const k in t) if (!KNOWN_KEYS.has(k)) return null;
  if (typeof t.model !== 'string' || typeof t.truncated !== 'boolean') return null;
  const out: unknown[] = [V2, t.model, t.truncated ? 1 : 0];
  for (const name of SIGNALS) {
    const s = t[name];
    if (name === 'intent' && s === null) {
      out.push(null);
      continue;
    }
    const p = packScored(s, BOOLEAN_SIGNALS.has(name));
    if (!p) return null;
    out.push(p);
  }
  // priority
  const pr = t.priority;
  if (!isObj(pr) || typeof pr.value !== 'number' || !Array.isArray(pr.factors) || Object.keys(pr).length !== 2) return null;
  const factors: unknown[] = [];
  for (const f of pr.factors) {
    if (!isObj(f) || Object.keys(f).length !== 3 || typeof f.code !== 'string' || typeof f.label !== 'string' || typeof f.points !== 'number') return null;
    factors.push([f.code, f.label, f.points]);
  }
  out.push(pr.value, factors);
  // needsResponse: 0 when it says what the action says (the usual case)
  const nr = packScored(t.needsResponse, true);
  if (!nr) return null;
  const action = t.action as Scored<string>;
  const same = nr[0] === (action.value === 'respond' ? 1 : 0) && nr[1] === milli(action.confidence) && nr[2] === action.reason;
  out.push(same ? 0 : nr);
  // scores: the fixed ones in order, the rest (e.g. `intent:refund`) by name
  const scores = t.scores;
  if (!isObj(scores)) return null;
  const fixed: number[] = [];
  const keys = Object.keys(scores);
  for (let i = 0; i < SCORE_KEYS.length; i++) {
    const v = scores[SCORE_KEYS[i]!];
    const k = typeof v === 'number' ? milli(v) : NaN;
    if (keys[i] !== SCORE_KEYS[i] || k !== k) return null;
    fixed.push(k);
  }
  const extra: Obj = {};
  for (let i = SCORE_KEYS.length; i < keys.length; i++) {
    const v = scores[keys[i]!];
    const k = typeof v === 'number' ? milli(v) : NaN;
    if (k !== k) return null;
    extra[keys[i]!] = k;
  }
  out.push(fixed, keys.length > SCORE_KEYS.length ? extra : 0);
  return JSON.stringify(out);
}

/** The stored triage as an object (TriageOutcome, `corrected` when corrected); null when absent or unreadable. */
export function readStoredTriage(stored: string | null | undefined): Obj | null {
  if (stored == null || stored === '') return null;
  let v: unknown;
  try {
    v = JSON.parse(stored);
  } catch {
    return null;
  }
  if (isObj(v)) return v;
  if (!Array.isArray(v) || v[0] !== V2) return null;
  const [, model, truncated, action, category, complaint, sentiment, accolade, chaser, intent, language, pValue, factors, nr, fixed, extra] = v as unknown[];
  const act = unpackScored(action, false);
  const scores: Record<string, number> = {};
  if (Array.isArray(fixed)) SCORE_KEYS.forEach((k, i) => (scores[k] = (fixed[i] as number) / 1000));
  if (isObj(extra)) for (const k in extra) scores[k] = (extra[k] as number) / 1000;
  return {
    action: act,
    category: unpackScored(category, false),
    complaint: unpackScored(complaint, true),
    sentiment: unpackScored(sentiment, false),
    accolade: unpackScored(accolade, true),
    chaser: unpackScored(chaser, true),
    intent: intent === null ? null : unpackScored(intent, false),
    language: unpackScored(language, false),
    priority: { value: pValue as number, factors: Array.isArray(factors) ? factors.map((f: unknown[]) => ({ code: f[0], label: f[1], points: f[2] })) : [] },
    model,
    needsResponse: nr === 0 ? (act ? { value: act.value === 'respond', confidence: act.confidence, reason: act.reason } : null) : unpackScored(nr, true),
    scores,
    truncated: truncated === 1,
  };
}
