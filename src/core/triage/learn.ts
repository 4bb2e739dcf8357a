/**
 * Learning from labelled examples of any source — agents' corrections in the desk
 * (`parley train --from-history`, wired to the store elsewhere), a CSV, a test. Pure:
 * examples in, a new model out; the base model is not modified.
 *
 * What each label trains:
 *  - sentiment → the sentiment head, warm-started from the base weights and pulled
 *    towards them (a few examples adjust it, they don't replace it);
 *  - complaint / category / action → "stacked" heads that read the text features plus
 *    the rule layer's outputs (complaint score, spam/offense scores, thread position,
 *    the rule's category and respond/monitor call), warm-started to agree with the
 *    rules, so they learn the team's corrections to the rules;
 *  - intent → the fine intent head when the label is one of its classes (warm start),
 *    otherwise an `intent_care` head over the care intents (from the examples alone).
 */
import type { TriageCategory } from '../types.js';
import { analyze } from './features.js';
import { CARE_INTENTS } from './intents.js';
import type { LinearHead } from './linear.js';
import { decodeModel, encodeModel, type HeadName, type TriageModel } from './model.js';
import { headToDense, trainHead, type DenseWeights, type TrainExample, type TrainOptions } from './train.js';
import { metaId, stackedFeaturesOf } from './triage.js';
import type { LabelledExample, TriageInput } from './types.js';

export interface LearnOptions {
  /** Epochs over the examples (default 20). */
  epochs?: number;
  /** Pull towards the base weights (default 1e-3; larger = more conservative). */
  prior?: number;
  seed?: number;
  /** Minimum examples carrying a label before its head is trained (default 5). */
  minExamples?: number;
  /** Version string of the new model (default `<base>+team`). */
  version?: string;
}

export interface LearnReport {
  model: TriageModel;
  /** Examples used per label. */
  used: Record<string, number>;
  /** Labels skipped, with the reason. */
  skipped: Record<string, string>;
}

const CATEGORIES: TriageCategory[] = ['customer_service', 'brand', 'spam', 'abuse', 'other'];
const ACTIONS = ['respond', 'monitor', 'ignore'] as const;
const SENTIMENTS = ['negative', 'neutral', 'positive'] as const;

/**
 * Train on labelled examples on top of `base`. Deterministic for the same inputs.
 * Returns the new model plus what was used and skipped (e.g. too few examples).
 */
export function trainFromExamples(examples: readonly LabelledExample[], base: TriageModel, opts: LearnOptions = {}): LearnReport {
  const minExamples = opts.minExamples ?? 5;
  const train: Omit<TrainOptions, 'init'> = { epochs: opts.epochs ?? 20, lr: 0.05, l2: opts.prior ?? 1e-3, seed: opts.seed ?? 1, minCount: 1, prune: 0.005 };
  const clean = examples.filter((e) => e && typeof e.text === 'string' && e.labels);
  const inputOf = (e: LabelledExample): TriageInput => ({
    network: 'demo', visibility: 'public', kind: 'mention', createdAt: 0, ...(e.input ?? {}), text: e.text,
  });
  const used: Record<string, number> = {};
  const skipped: Record<string, string> = {};
  const heads: Partial<Record<HeadName, LinearHead>> = { ...base.heads };
  // stacked features depend on the base heads only (learned heads are excluded), so compute once
  let stackedCache: Map<LabelledExample, ReturnType<typeof stackedFeaturesOf>> | null = null;
  const stacked = (e: LabelledExample) => {
    stackedCache ??= new Map();
    let fv = stackedCache.get(e);
    if (!fv) { fv = stackedFeaturesOf(inputOf(e), base); stackedCache.set(e, fv); }
    return fv;
  };
  const enough = (name: string, n: number) => {
    if (n >= minExamples) { used[name] = n; return true; }
    if (n > 0) skipped[name] = `${n} examples, need ${minExamples}`;
    return false;
  };

  // sentiment: warm start from the base head
  const sent = clean.filter((e) => e.labels.sentiment && SENTIMENTS.includes(e.labels.sentiment));
  if (enough('sentiment', sent.length) && base.heads.sentiment) {
    const h = base.heads.sentiment;
    const ex: TrainExample[] = sent.map((e) => ({ fv: analyze(e.text, base.lexicon).fv, y: h.labels.indexOf(e.labels.sentiment!), weight: e.weight }));
    heads.sentiment = trainHead('sentiment', h.labels, ex, { ...train, init: headToDense(h) });
  }

  // complaint: stacked, starts equal to the rule's complaint score
  const comp = clean.filter((e) => typeof e.labels.complaint === 'boolean');
  if (enough('complaint', comp.length)) {
    const init = base.heads.complaint ? headToDense(base.heads.complaint) : metaInit(['0', '1'], [['complaint_logit', 1, 4]]);
    heads.complaint = trainHead('complaint', ['0', '1'], comp.map((e) => ({ fv: stacked(e), y: e.labels.complaint ? 1 : 0, weight: e.weight })), { ...train, init });
  }

  // category: stacked, starts agreeing with the rule's category
  const cat = clean.filter((e) => e.labels.category && CATEGORIES.includes(e.labels.category));
  if (enough('category', cat.length)) {
    const init = base.heads.category ? headToDense(base.heads.category) : metaInit(CATEGORIES, CATEGORIES.map((c, i) => [`rule_category=${c}`, i, 3] as [string, number, number]));
    heads.category = trainHead('category', CATEGORIES, cat.map((e) => ({ fv: stacked(e), y: CATEGORIES.indexOf(e.labels.category!), weight: e.weight })), { ...train, init });
  }

  // action: stacked, starts from the rule's respond/monitor call and spam/abuse categories
  const act = clean.filter((e) => e.labels.action && (ACTIONS as readonly string[]).includes(e.labels.action));
  if (enough('action', act.length)) {
    const init = base.heads.action ? headToDense(base.heads.action) : metaInit([...ACTIONS], [['rule_respond', 0, 3], ['rule_category=spam', 2, 4], ['rule_category=abuse', 1, 4]], [0, 1.5, 0]);
    heads.action = trainHead('action', [...ACTIONS], act.map((e) => ({ fv: stacked(e), y: ACTIONS.indexOf(e.labels.action!), weight: e.weight })), { ...train, init });
  }

  // intent: fine labels adapt the intent head; care intents train intent_care
  const intents = clean.filter((e) => typeof e.labels.intent === 'string' && e.labels.intent);
  const fineHead = base.heads.intent;
  const fine = fineHead ? intents.filter((e) => fineHead.labels.includes(e.labels.intent!)) : [];
  if (fineHead && enough('intent', fine.length)) {
    heads.intent = trainHead('intent', fineHead.labels, fine.map((e) => ({ fv: analyze(e.text, base.lexicon).fv, y: fineHead.labels.indexOf(e.labels.intent!), weight: e.weight })), { ...train, init: headToDense(fineHead), groups: fineHead.groups, prune: 0.02 });
  }
  const careLabels = [...CARE_INTENTS] as string[];
  const care = intents.filter((e) => careLabels.includes(e.labels.intent!));
  if (enough('intent_care', care.length)) {
    const init = base.heads.intent_care ? headToDense(base.heads.intent_care) : undefined;
    heads.intent_care = trainHead('intent_care', careLabels, care.map((e) => ({ fv: analyze(e.text, base.lexicon).fv, y: careLabels.indexOf(e.labels.intent!), weight: e.weight })), { ...train, ...(init ? { init } : {}), l2: init ? train.l2 : 1e-5 });
  }
  const unknown = intents.length - fine.length - care.length;
  if (unknown > 0) skipped.intent_unknown = `${unknown} examples with an intent that is neither a care intent nor a fine intent of the model`;

  const model: TriageModel = {
    ...base,
    version: opts.version ?? `${base.version}+team`,
    heads,
    meta: { ...base.meta, team: { examples: clean.length, used, skipped } },
  };
  // normalize through the on-disk encoding (quantization), so what is tested is what ships
  return { model: decodeModel(encodeModel(model)), used, skipped };
}

/** Initial weights: meta feature → (class, weight); optional class biases. */
function metaInit(labels: readonly string[], entries: [string, number, number][], bias?: number[]): DenseWeights {
  const C = labels.length;
  const vocab = Int32Array.from(entries.map(([name]) => metaId(name)));
  const W = new Float32Array(entries.length * C);
  entries.forEach(([, cls, w], r) => { W[r * C + cls] = w; });
  const b = new Float32Array(C);
  if (bias) b.set(bias);
  return { vocab, W, bias: b, classes: C };
}
