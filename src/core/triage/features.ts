/**
 * Feature extraction shared by every triage head: hashed word unigrams and bigrams,
 * hashed character 3–5-grams inside word boundaries, and a handful of dense lexicon
 * features (valence sums, cue counts, punctuation). Computed once per message; each
 * linear head then looks the ids up in its own sparse table.
 *
 * Values: n-gram groups are scaled by 1/sqrt(count) (so long texts don't dominate),
 * dense features carry their own bounded values.
 */
import { combine, fnv1a, mix32, namespaceSeed } from './hash.js';
import { matchCues, type CueMatches } from './lexicons.js';
import { sanitizeText, tokenize, type SanitizedText, type Tokens } from './text.js';

export interface FeatureVector {
  ids: Int32Array;
  vals: Float32Array;
  n: number;
  /** Features [0, wordEnd) are word uni/bigrams, [wordEnd, charEnd) char n-grams, the rest dense. */
  wordEnd: number;
  charEnd: number;
}

/** Everything computed once per message and reused by heads, rules and reasons. */
export interface Analysis {
  clean: SanitizedText;
  tokens: Tokens;
  cues: CueMatches;
  /** Lexicon valence sums (negation-aware): pos ≥ 0, neg ≥ 0. */
  valence: { pos: number; neg: number };
  /** Feature ids of each word unigram, parallel to tokens.words (for explanations). */
  wordIds: Int32Array;
  fv: FeatureVector;
}

const SEED_W = namespaceSeed('w');
const SEED_B = namespaceSeed('b');
const SEED_C = namespaceSeed('c');
const SEED_D = namespaceSeed('d');
const BOS = fnv1a('<s>', SEED_W);
const EOS = fnv1a('</s>', SEED_W);
const MAX_WORD_FOR_CHARS = 24;
const SCRATCH_IDS = new Int32Array(8192);
const SCRATCH_VALS = new Float32Array(8192);

/** Dense features, in a fixed order; their ids are hashes of `d:<name>`. */
export const DENSE_FEATURES = [
  'val_pos', 'val_neg', 'negation', 'exclaim', 'question', 'caps', 'url', 'mentions', 'hashtags', 'short', 'long',
  'cue_complaint', 'cue_problem', 'cue_accolade', 'cue_thanks', 'cue_chaser', 'cue_spam', 'cue_marketing',
  'cue_profanity', 'cue_insult', 'cue_urgency', 'cue_question', 'cue_outage', 'cue_delivery', 'digits', 'invisible',
] as const;
export type DenseFeature = (typeof DENSE_FEATURES)[number];
export const DENSE_IDS: Record<DenseFeature, number> = Object.fromEntries(
  DENSE_FEATURES.map((f) => [f, mix32(fnv1a(f, SEED_D))]),
) as Record<DenseFeature, number>;

/** Id of a word unigram feature (for looking up explanations and tests). */
export function wordFeatureId(word: string): number {
  return mix32(fnv1a(word, SEED_W));
}

const NEGATORS = new Set(['not', 'no', 'never', "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "won't", "can't", 'cannot', "haven't", "hasn't", "couldn't", 'nothing', 'nobody', 'without', 'dont', 'cant', 'wont', 'didnt', 'isnt', 'doesnt']);
const SKIP_CHARS = new Set(['@user', 'httpurl', '#']);

/**
 * Analyze one message. `lexicon` maps normalized words to a valence in -4..4
 * (shipped inside the model; see model-card for its source).
 */
export function analyze(text: unknown, lexicon: ReadonlyMap<string, number>): Analysis {
  const clean = sanitizeText(text);
  const tokens = tokenize(clean.text);
  const words = tokens.words;
  const cues = matchCues(words);

  // valence with VADER-style negation: a negator in the 3 previous tokens flips and damps
  let pos = 0, neg = 0, negations = 0;
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (NEGATORS.has(w)) negations++;
    const v = lexicon.get(w);
    if (v === undefined) continue;
    let val = v;
    for (let j = Math.max(0, i - 3); j < i; j++) if (NEGATORS.has(words[j]!)) { val *= -0.74; break; }
    if (val > 0) pos += val; else neg -= val;
  }

  // work in module-level scratch (analyze is synchronous), copy out the used part
  const ids = SCRATCH_IDS;
  const vals = SCRATCH_VALS;
  const wordIds = new Int32Array(words.length);
  let n = 0;

  // word unigrams + bigrams
  const wStart = n;
  let prev = BOS;
  for (let i = 0; i < words.length; i++) {
    const h = fnv1a(words[i]!, SEED_W);
    const id = mix32(h);
    wordIds[i] = id;
    ids[n++] = id;
    ids[n++] = combine(prev ^ SEED_B, h);
    prev = h;
  }
  if (words.length > 0) ids[n++] = combine(prev ^ SEED_B, EOS);
  const wCount = n - wStart;
  const wScale = wCount > 0 ? 1 / Math.sqrt(wCount) : 0;
  for (let i = wStart; i < n; i++) vals[i] = wScale;

  // char n-grams (3..5) within word boundaries
  const cStart = n;
  for (let i = 0; i < words.length && n + 3 * (MAX_WORD_FOR_CHARS + 2) < ids.length - DENSE_FEATURES.length; i++) {
    const w = words[i]!;
    if (SKIP_CHARS.has(w)) continue;
    const len = Math.min(w.length, MAX_WORD_FOR_CHARS);
    const total = len + 2; // padded with boundary markers
    for (let s = 0; s + 3 <= total; s++) {
      let h = SEED_C;
      for (let k = 0; k < 5 && s + k < total; k++) {
        const pos = s + k;
        const code = pos === 0 || pos === total - 1 ? 32 : w.charCodeAt(pos - 1);
        h ^= code;
        h = Math.imul(h, 0x01000193);
        if (k >= 2) ids[n++] = mix32(h + k);
      }
    }
  }
  const cCount = n - cStart;
  const cScale = cCount > 0 ? 1 / Math.sqrt(cCount) : 0;
  for (let i = cStart; i < n; i++) vals[i] = cScale;

  const charEnd = n;
  // dense features
  const push = (f: DenseFeature, v: number) => {
    if (v === 0) return;
    ids[n] = DENSE_IDS[f];
    vals[n++] = v;
  };
  const sat = (x: number, k: number) => Math.tanh(x / k);
  push('val_pos', sat(pos, 3));
  push('val_neg', sat(neg, 3));
  push('negation', negations > 0 ? 1 : 0);
  push('exclaim', Math.min(tokens.exclamations, 3) / 3);
  push('question', tokens.questions > 0 ? 1 : 0);
  push('caps', tokens.capsRatio > 0.6 ? 1 : 0);
  push('url', tokens.urls > 0 ? 1 : 0);
  push('mentions', Math.min(tokens.mentions, 3) / 3);
  push('hashtags', Math.min(tokens.hashtags, 3) / 3);
  push('short', words.length <= 4 ? 1 : 0);
  push('long', words.length >= 30 ? 1 : 0);
  push('cue_complaint', sat(cues.complaint.length, 2));
  push('cue_problem', sat(cues.problem.length, 2));
  push('cue_accolade', sat(cues.accolade.length, 2));
  push('cue_thanks', cues.thanks.length > 0 ? 1 : 0);
  push('cue_chaser', cues.chaser.length > 0 ? 1 : 0);
  push('cue_spam', sat(cues.spam.length, 3));
  push('cue_marketing', sat(cues.marketing.length, 2));
  push('cue_profanity', sat(cues.profanity.length, 2));
  push('cue_insult', sat(cues.insult.length, 2));
  push('cue_urgency', sat(cues.urgency.length, 2));
  push('cue_question', sat(cues.question.length, 2));
  push('cue_outage', sat(cues.outage.length, 2));
  push('cue_delivery', sat(cues.delivery.length, 2));
  push('digits', countDigitRuns(clean.text) >= 3 ? 1 : 0);
  push('invisible', clean.hadInvisible ? 1 : 0);

  return { clean, tokens, cues, valence: { pos, neg }, wordIds, fv: { ids: ids.slice(0, n), vals: vals.slice(0, n), n, wordEnd: cStart, charEnd } };
}

function countDigitRuns(s: string): number {
  let runs = 0, inRun = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const d = c >= 48 && c <= 57;
    if (d && !inRun) runs++;
    inRun = d;
  }
  return runs;
}
