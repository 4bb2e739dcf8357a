/**
 * Preanalyses (src/core/triage/triage.ts `preanalyze`) of many texts in a compact
 * form that crosses a thread boundary cheaply: a few typed arrays (transferred,
 * not copied) and three strings per message. Posting the plain objects instead
 * costs the receiving thread about as much to deserialize as analyzing the text
 * itself (measured: ~30–40 µs against ~40 µs per tweet), which would defeat the
 * point of analyzing elsewhere.
 *
 * Beyond the features and narrow logits, the worker also computes the intent
 * head's probabilities, the language and the cue matches (text-only too). What is not
 * sent is recomputed on arrival: the word-feature ids (every other id of the word section).
 */
import type { Analysis } from '../core/triage/features.js';
import { decodeCues, encodeCues } from '../core/triage/lexicons.js';
import type { TriageModel } from '../core/triage/model.js';
import { completePreanalysis, preanalyze, type Preanalysis } from '../core/triage/triage.js';

/** Sanitized text never contains C0 controls, so U+0001 can join its words. */
const SEP = '\u0001';
/** Numbers per message in `nums`, strings per message in `strs`. */
const NUMS = 13;
const STRS = 6;

export interface EncodedPreanalyses {
  /** Per message: clean text, words joined by U+0001, handles joined by U+0001, language, its reason, the cue matches (`encodeCues`). */
  strs: string[];
  /** Per message NUMS numbers: truncated, hadInvisible, mentions, urls, hashtags, capsRatio, exclamations, questions, pos, neg, wordEnd, charEnd, language confidence. */
  nums: Float64Array;
  /** `intentCols` intent probabilities per message (0 columns: the model has no intent head). */
  intent: Float64Array;
  intentCols: number;
  /** Feature offsets: message i's features are [off[i], off[i + 1]). */
  off: Int32Array;
  ids: Int32Array;
  vals: Float32Array;
  rows: Int32Array;
  /** `width` logits per message. */
  logits: Float64Array;
  width: number;
}

/** Preanalyze `texts` and pack the results (the worker's side). */
export function encodePreanalyses(texts: readonly string[], model: TriageModel): EncodedPreanalyses {
  const pres = texts.map((t) => completePreanalysis(preanalyze(t, model), model));
  const k = pres.length;
  let total = 0;
  for (const p of pres) total += p.a.fv.n;
  const width = k ? pres[0]!.logits.length : 0;
  const intentCols = model.heads.intent?.cols ?? 0;
  const out: EncodedPreanalyses = {
    strs: new Array<string>(STRS * k), nums: new Float64Array(NUMS * k), off: new Int32Array(k + 1),
    ids: new Int32Array(total), vals: new Float32Array(total), rows: new Int32Array(total), logits: new Float64Array(width * k), width,
    intent: new Float64Array(intentCols * k), intentCols,
  };
  let at = 0;
  pres.forEach((p, i) => {
    const { a } = p;
    const t = a.tokens;
    out.strs[STRS * i] = a.clean.text;
    out.strs[STRS * i + 1] = t.words.join(SEP);
    out.strs[STRS * i + 2] = t.handles.join(SEP);
    out.strs[STRS * i + 3] = p.language!.value;
    out.strs[STRS * i + 4] = p.language!.reason;
    out.strs[STRS * i + 5] = encodeCues(a.cues);
    out.nums.set([a.clean.truncated ? 1 : 0, a.clean.hadInvisible ? 1 : 0, t.mentions, t.urls, t.hashtags, t.capsRatio, t.exclamations, t.questions, a.valence.pos, a.valence.neg, a.fv.wordEnd, a.fv.charEnd, p.language!.confidence], NUMS * i);
    if (p.intentProba) out.intent.set(p.intentProba, intentCols * i);
    out.off[i] = at;
    out.ids.set(a.fv.ids.subarray(0, a.fv.n), at);
    out.vals.set(a.fv.vals.subarray(0, a.fv.n), at);
    out.rows.set(p.rows.subarray(0, a.fv.n), at);
    out.logits.set(p.logits, width * i);
    at += a.fv.n;
  });
  out.off[k] = at;
  return out;
}

/** The buffers to transfer with a posted EncodedPreanalyses. */
export function transferables(e: EncodedPreanalyses): ArrayBuffer[] {
  return [e.nums.buffer, e.off.buffer, e.ids.buffer, e.vals.buffer, e.rows.buffer, e.logits.buffer, e.intent.buffer] as ArrayBuffer[];
}

const split = (s: string) => (s === '' ? [] : s.split(SEP));

/** Unpack (the pipeline's side): views into the transferred arrays, nothing copied. */
export function decodePreanalyses(e: EncodedPreanalyses): Preanalysis[] {
  const k = e.off.length - 1;
  const out: Preanalysis[] = new Array(k);
  for (let i = 0; i < k; i++) {
    const n0 = e.off[i]!, n1 = e.off[i + 1]!;
    const x = e.nums.subarray(NUMS * i, NUMS * (i + 1));
    const words = split(e.strs[STRS * i + 1]!);
    const ids = e.ids.subarray(n0, n1);
    const wordIds = new Int32Array(words.length);
    for (let w = 0; w < words.length; w++) wordIds[w] = ids[2 * w]!; // unigram, bigram, unigram, …
    const a: Analysis = {
      clean: { text: e.strs[STRS * i]!, truncated: x[0] === 1, hadInvisible: x[1] === 1 },
      tokens: { words, mentions: x[2]!, urls: x[3]!, hashtags: x[4]!, handles: split(e.strs[STRS * i + 2]!), capsRatio: x[5]!, exclamations: x[6]!, questions: x[7]! },
      cues: decodeCues(e.strs[STRS * i + 5]!),
      valence: { pos: x[8]!, neg: x[9]! },
      wordIds,
      fv: { ids, vals: e.vals.subarray(n0, n1), n: n1 - n0, wordEnd: x[10]!, charEnd: x[11]! },
    };
    out[i] = {
      a, rows: e.rows.subarray(n0, n1), logits: e.logits.subarray(e.width * i, e.width * (i + 1)),
      intentProba: e.intentCols ? e.intent.subarray(e.intentCols * i, e.intentCols * (i + 1)) : null,
      language: { value: e.strs[STRS * i + 3]!, confidence: x[12]!, reason: e.strs[STRS * i + 4]! },
    };
  }
  return out;
}
