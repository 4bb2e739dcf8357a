/**
 * Builds the triage model from ../shared/data, reproducibly (fixed seeds, fixed
 * version string, deterministic gzip): `parley train --out models/triage.bin.gz`.
 *
 * Shipped heads train only on permissive sets, and never on the held-out bucket
 * (split.ts) — the CI eval measures on exactly those rows. Hyper-parameters are chosen
 * on an inner fold of the training portion, never on held-out rows.
 * `includeRestricted` adds heads trained on NC/unlicensed sets (complaint; sentiment
 * with airline tweets) for a local model.
 */
import { analyze, type FeatureVector } from '../core/triage/features.js';
import { BANKING77_PROBLEM, BANKING77_TO_CARE } from '../core/triage/intents.js';
import { argmax, predictProba, type LinearHead } from '../core/triage/linear.js';
import { decodeModel, encodeModel, type TriageModel } from '../core/triage/model.js';
import { trainHead, type TrainExample, type TrainOptions } from '../core/triage/train.js';
import { stackedFeaturesOf } from '../core/triage/triage.js';
import type { TriageInput } from '../core/triage/types.js';
import { computeMetrics, type Metrics } from './metrics.js';
import { HOLDOUT_RULE, innerFold, isHeldOut } from './split.js';
import { loadSource, loadValenceLexicon, SOURCES, type SourceKey } from './sources.js';

export const MODEL_VERSION = 'builtin-linear@2026-11-23';
const SEED = 20261123;
/** Narrow heads: keep features seen 3+ times and weights ≥ 0.03 (size; costs < 0.5 points, see model card). */
const NARROW = { minCount: 3, prune: 0.03 } as const;

export interface BuildOptions {
  includeRestricted?: boolean;
  log?: (line: string) => void;
  /** Skip the inner-fold grid search and use the first configuration (fast, for tests). */
  quick?: boolean;
}

interface Row { text: string; fv: FeatureVector; y: number }

type HeadPlan = {
  name: 'sentiment' | 'offensive' | 'spam' | 'care' | 'problem' | 'intent';
  labels: string[];
  rows: Row[];
  grid: TrainOptions[];
  /** Score on inner-fold rows (higher is better). */
  select: (head: LinearHead, rows: Row[]) => number;
  /** Which training rows the selection is measured on (default all inner-fold rows). */
  selectRows?: (r: Row) => boolean;
};

/** Build the model (and held-out metrics in meta). */
export function buildModel(opts: BuildOptions = {}): TriageModel {
  const log = opts.log ?? (() => {});
  const lexicon = loadValenceLexicon();
  const fe = (text: string) => analyze(text, lexicon).fv;
  const used: Record<string, { rows: number; heldOut: number; licence: string }> = {};
  const load = (key: SourceKey) => {
    const rows = loadSource(key);
    const held = rows.filter((r) => isHeldOut(r.text)).length;
    used[SOURCES[key].name] = { rows: rows.length - held, heldOut: held, licence: SOURCES[key].licence };
    return rows;
  };
  const train = <T extends { text: string }>(rows: T[]) => rows.filter((r) => !isHeldOut(r.text));

  log('reading datasets and extracting features ...');
  const sentimentRows = train(load('tweeteval_sentiment')).map((r) => ({ text: r.text, fv: fe(r.text), y: Number(r.label) }));
  const offensiveRows = train(load('tweeteval_offensive')).map((r) => ({ text: r.text, fv: fe(r.text), y: Number(r.label) }));
  const sms = train(load('sms_spam')).map((r) => ({ text: r.text, fv: fe(r.text), y: r.label === 'spam' ? 1 : 0 }));
  const yt = train(load('youtube_spam')).map((r) => ({ text: r.text, fv: fe(r.text), y: Number(r.label) }));
  const banking = train(load('banking77'));
  const bankingFv = banking.map((r) => ({ text: r.text, fv: fe(r.text), label: r.label }));
  // banking77 queries written as a tweet to the brand: '@user ' prefix on half (deterministic)
  const bankingTweetFv = banking.map((r, i) => ({ text: r.text, fv: fe((i % 2 === 0 ? '@user ' : '') + r.text + (i % 7 === 0 ? ' #help' : '')), label: r.label }));

  const spamSetSpam = new Set([...sms, ...yt]);
  const heads: HeadPlan[] = [
    {
      name: 'sentiment', labels: ['negative', 'neutral', 'positive'], rows: sentimentRows,
      grid: [
        { epochs: 10, lr: 0.05, l2: 1e-5, seed: SEED, balanced: true, ...NARROW },
        { epochs: 5, lr: 0.1, l2: 1e-5, seed: SEED, balanced: true, ...NARROW },
        { epochs: 15, lr: 0.05, l2: 1e-4, seed: SEED, balanced: true, ...NARROW },
      ],
      select: (h, rows) => evalHead(h, rows).macro_recall,
    },
    {
      name: 'offensive', labels: ['not-offensive', 'offensive'], rows: offensiveRows,
      grid: [
        { epochs: 10, lr: 0.05, l2: 1e-5, seed: SEED, balanced: true, ...NARROW },
        { epochs: 5, lr: 0.05, l2: 1e-5, seed: SEED, balanced: true, ...NARROW },
      ],
      select: (h, rows) => evalHead(h, rows).macro_f1,
    },
    {
      // spam vs everything else, with ordinary tweets and customer queries as extra ham
      // so customer messages are not mistaken for promotions
      name: 'spam', labels: ['ham', 'spam'],
      rows: [
        ...sms, ...yt,
        ...sentimentRows.filter((_, i) => i % 3 === 0).map((r) => ({ ...r, y: 0 })),
        ...bankingTweetFv.filter((_, i) => i % 4 === 0).map((r) => ({ text: r.text, fv: r.fv, y: 0 })),
      ],
      grid: [
        // rare tokens (short codes, odd spellings) matter for spam: keep features seen twice
        { epochs: 10, lr: 0.05, l2: 1e-5, seed: SEED, ...NARROW, minCount: 2 },
        { epochs: 10, lr: 0.1, l2: 1e-5, seed: SEED, ...NARROW, minCount: 2 },
      ],
      select: (h, rows) => evalHead(h, rows).per_class['1']?.f1 ?? 0,
      selectRows: (r) => spamSetSpam.has(r as never),
    },
    {
      // "is this a customer-support message?": banking77 queries vs general tweets
      name: 'care', labels: ['general', 'support'],
      rows: [
        ...bankingTweetFv.map((r) => ({ text: r.text, fv: r.fv, y: 1 })),
        ...sentimentRows.map((r) => ({ ...r, y: 0 })),
        ...offensiveRows.map((r) => ({ ...r, y: 0 })),
      ],
      grid: [{ epochs: 5, lr: 0.05, l2: 1e-5, seed: SEED, balanced: true, ...NARROW }],
      select: (h, rows) => evalHead(h, rows).macro_f1,
    },
    {
      // weakly supervised "problem report / complaint": banking77 problem intents vs
      // information requests, plus negative tweets with our complaint cues vs
      // neutral/positive tweets (see model card: no licensed complaint data exists)
      name: 'problem', labels: ['no', 'yes'],
      rows: [
        ...bankingTweetFv.map((r) => ({ text: r.text, fv: r.fv, y: BANKING77_PROBLEM.has(r.label) ? 1 : 0 })),
        ...sentimentRows.flatMap((r) => {
          if (r.y !== 0) return [{ ...r, y: 0 }];
          const a = analyze(r.text, lexicon);
          return a.cues.complaint.length + a.cues.problem.length > 0 ? [{ ...r, y: 1 }] : [];
        }),
      ],
      grid: [{ epochs: 10, lr: 0.05, l2: 1e-5, seed: SEED, balanced: true, ...NARROW }],
      select: (h, rows) => evalHead(h, rows).macro_f1,
    },
  ];
  const intentLabels = [...new Set(bankingFv.map((r) => r.label))].sort();
  heads.push({
    name: 'intent', labels: intentLabels,
    rows: bankingFv.map((r) => ({ text: r.text, fv: r.fv, y: intentLabels.indexOf(r.label) })),
    // One configuration (the wide head is slow to train). Word n-grams + dense features
    // only, and at most 16 class weights per feature except the 2,000 most common: with
    // character n-grams it reached 0.88 held-out accuracy but cost ~4x the time of all
    // other heads together; this keeps the whole triage well above 10k messages/s.
    grid: [{ epochs: 8, lr: 0.1, l2: 1e-5, seed: SEED, groups: 'words', topK: 16, fullRows: 2000, refitEpochs: 4, prune: 0.02 }],
    select: (h, rows) => evalHead(h, rows).accuracy,
  });

  const trained: Partial<Record<string, LinearHead>> = {};
  const selection: Record<string, unknown> = {};
  for (const plan of heads) {
    const t0 = Date.now();
    let best = plan.grid[0]!;
    if (!opts.quick && plan.grid.length > 1) {
      const inner = plan.rows.filter((r) => innerFold(r.text) !== 0);
      const val = plan.rows.filter((r) => innerFold(r.text) === 0 && (plan.selectRows?.(r) ?? true));
      let bestScore = -1;
      const scores: number[] = [];
      for (const g of plan.grid) {
        const h = trainHead(plan.name, plan.labels, inner, g);
        const s = plan.select(h, val);
        scores.push(round4(s));
        if (s > bestScore) { bestScore = s; best = g; }
      }
      selection[plan.name] = { grid: plan.grid.map(stripSeed), innerScores: scores, chosen: stripSeed(best) };
    } else {
      selection[plan.name] = { chosen: stripSeed(best) };
    }
    trained[plan.name] = trainHead(plan.name, plan.labels, plan.rows, best);
    log(`  ${plan.name}: ${plan.rows.length} rows, ${trained[plan.name]!.keys.length} features, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }

  let model: TriageModel = {
    version: MODEL_VERSION,
    heads: trained,
    lexicon,
    intentMap: BANKING77_TO_CARE,
    meta: {
      trainedOn: used,
      restricted: false,
      holdoutRule: HOLDOUT_RULE,
      selection,
      notes: 'Shipped heads train only on permissive sets and never on held-out rows; see docs/model-card.md.',
    },
  };
  // round-trip through the on-disk encoding so metrics describe the quantized model
  model = decodeModel(encodeModel(model));

  if (opts.includeRestricted) model = addRestrictedHeads(model, log, used);
  model.meta.heldOutMetrics = heldOutMetrics(model, log);
  return decodeModel(encodeModel(model));
}

/** Local-only heads trained on NC/unlicensed data (complaints, airline, TWCS). */
function addRestrictedHeads(base: TriageModel, log: (l: string) => void, used: Record<string, { rows: number; heldOut: number; licence: string }>): TriageModel {
  log('restricted sets (local model only) ...');
  const listening = (text: string): TriageInput => ({ text, network: 'x', visibility: 'public', kind: 'listening', createdAt: 0 });
  const complaints = loadSource('complaints');
  const cTrain = complaints.filter((r) => !isHeldOut(r.text));
  used[SOURCES.complaints.name] = { rows: cTrain.length, heldOut: complaints.length - cTrain.length, licence: SOURCES.complaints.licence };
  const complaintHead = trainHead('complaint', ['0', '1'], cTrain.map((r) => ({ fv: stackedFeaturesOf(listening(r.text), base), y: r.label === '1' ? 1 : 0 })), { epochs: 10, lr: 0.05, l2: 1e-5, seed: SEED, balanced: true });

  // sentiment with airline tweets added
  const airline = loadSource('airline').filter((r) => !isHeldOut(r.text));
  used[SOURCES.airline.name] = { rows: airline.length, heldOut: loadSource('airline').length - airline.length, licence: SOURCES.airline.licence };
  const labels = ['negative', 'neutral', 'positive'];
  const sent = loadSource('tweeteval_sentiment').filter((r) => !isHeldOut(r.text));
  const sentRows: TrainExample[] = [
    ...sent.map((r) => ({ fv: analyze(r.text, base.lexicon).fv, y: Number(r.label) })),
    ...airline.map((r) => ({ fv: analyze(r.text, base.lexicon).fv, y: labels.indexOf(r.label) })).filter((r) => r.y >= 0),
  ];
  const sentimentHead = trainHead('sentiment', labels, sentRows, { epochs: 10, lr: 0.05, l2: 1e-5, seed: SEED, balanced: true });

  // No needs-response head: trained on TWCS (stacked features, warm-started from the rules)
  // it scored 0.62 macro-F1 on held-out conversations against 0.66 for the rules alone, so
  // the local model keeps the rules (see model card).
  return {
    ...base,
    version: `${MODEL_VERSION}+restricted`,
    heads: { ...base.heads, sentiment: sentimentHead, complaint: complaintHead },
    meta: { ...base.meta, trainedOn: { ...used }, restricted: true, notes: 'LOCAL MODEL: includes heads trained on non-commercial / unlicensed data (complaints, airline, TWCS). Do not redistribute.' },
  };
}

/** Metrics on the held-out bucket of each permissive set (rows never trained on). */
export function heldOutMetrics(model: TriageModel, log: (l: string) => void = () => {}): Record<string, Metrics & { metric: string; value: number }> {
  const out: Record<string, Metrics & { metric: string; value: number }> = {};
  const fe = (t: string) => analyze(t, model.lexicon).fv;
  const run = (name: string, head: LinearHead | undefined, rows: { text: string; label: string }[], metric: (m: Metrics) => [string, number]) => {
    if (!head) return;
    const held = rows.filter((r) => isHeldOut(r.text));
    const pred = held.map((r) => head.labels[argmax(predictProba(head, fe(r.text)))]!);
    const m = computeMetrics(held.map((r) => r.label), pred);
    const [metricName, value] = metric(m);
    out[name] = { ...m, metric: metricName, value };
    log(`  held-out ${name}: ${metricName} ${value.toFixed(4)} (n=${m.n})`);
  };
  const sentLabels = ['negative', 'neutral', 'positive'];
  run('sentiment', model.heads.sentiment, loadSource('tweeteval_sentiment').map((r) => ({ text: r.text, label: sentLabels[Number(r.label)]! })), (m) => ['macro_recall', m.macro_recall]);
  run('offensive', model.heads.offensive, loadSource('tweeteval_offensive').map((r) => ({ text: r.text, label: r.label === '1' ? 'offensive' : 'not-offensive' })), (m) => ['macro_f1', m.macro_f1]);
  run('sms_spam', model.heads.spam, loadSource('sms_spam').map((r) => ({ text: r.text, label: r.label })), (m) => ['f1_spam', m.per_class.spam?.f1 ?? 0]);
  run('youtube_spam', model.heads.spam, loadSource('youtube_spam').map((r) => ({ text: r.text, label: r.label === '1' ? 'spam' : 'ham' })), (m) => ['f1_spam', m.per_class.spam?.f1 ?? 0]);
  run('banking77', model.heads.intent, loadSource('banking77'), (m) => ['accuracy', m.accuracy]);
  return out;
}

function evalHead(h: LinearHead, rows: Row[]): Metrics {
  return computeMetrics(rows.map((r) => String(r.y)), rows.map((r) => String(argmax(predictProba(h, r.fv)))));
}

function stripSeed(o: TrainOptions): Omit<TrainOptions, 'seed'> {
  const { seed: _seed, ...rest } = o;
  return rest;
}

function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
