/**
 * Evaluation of the triage model on a labelled CSV, as `parley eval` prints it.
 * The model is only ever applied (never trained on the file). Baselines are measured
 * in the same run on the same rows: the majority class always, VADER for sentiment
 * and complaint.
 */
import { createRequire } from 'node:module';
import { analyze } from '../core/triage/features.js';
import { argmax, predictProba } from '../core/triage/linear.js';
import type { TriageModel } from '../core/triage/model.js';
import { triage } from '../core/triage/triage.js';
import type { TriageInput } from '../core/triage/types.js';
import { detectLayout, labelledTexts, readTable, type CsvTable, type Layout } from './datasets.js';
import { computeMetrics, r4, type Metrics } from './metrics.js';
import { isHeldOut } from './split.js';
import { twcsExamplesFromTable } from './twcs.js';

export const EVAL_TASKS = ['complaint', 'sentiment', 'spam', 'offensive', 'needs-response', 'intent'] as const;
export type EvalTask = (typeof EVAL_TASKS)[number];

const TASK_LAYOUTS: Record<EvalTask, Layout[]> = {
  complaint: ['complaints', 'text_label', 'tweeteval'],
  sentiment: ['tweeteval', 'airline', 'twcs', 'text_label'],
  spam: ['sms', 'youtube', 'text_label'],
  offensive: ['tweeteval', 'text_label'],
  'needs-response': ['twcs'],
  intent: ['banking77'],
};

export interface BaselineReport extends Metrics {
  ms_per_item?: number;
}

export interface EvalReport extends Metrics {
  task: EvalTask;
  file: string;
  layout: Layout;
  model: string;
  ms_per_item: number;
  baselines: Record<string, BaselineReport>;
  /**
   * Rows in the shipped model's held-out bucket (never trained on) and the metrics on
   * them alone; present when the file is one of the model's training sources.
   */
  held_out?: Metrics & { note: string };
  notes: string[];
  /** Rows the CSV parser rejected (not evaluated). */
  skipped_rows: number;
}

interface Item {
  input: TriageInput;
  gold: string;
  text: string;
  /** In the held-out bucket of the training split (never trained on). */
  heldOut: boolean;
}

/** Evaluate `model` on `file` for `task`. Throws a clear Error for unusable files. */
export function evaluateFile(task: EvalTask, file: string, model: TriageModel): EvalReport {
  const table = readTable(file);
  return evaluateTable(task, table, model);
}

export function evaluateTable(task: EvalTask, table: CsvTable, model: TriageModel, opts: { rowFilter?: (text: string) => boolean } = {}): EvalReport {
  const layout = detectLayout(table.header);
  if (!layout) throw new Error(`${table.path}: unknown CSV layout (header: ${table.header.join(',')})`);
  if (!TASK_LAYOUTS[task].includes(layout)) throw new Error(`${table.path}: a ${layout} file cannot be evaluated for ${task} (expected one of: ${TASK_LAYOUTS[task].join(', ')})`);
  let items = itemsFor(task, table, layout);
  if (opts.rowFilter) items = items.filter((it) => opts.rowFilter!(it.text));
  if (items.length === 0) throw new Error(`${table.path}: no labelled rows to evaluate`);
  const labelSpace = [...new Set(items.map((i) => i.gold))].sort();
  const predictor = predictorFor(task, labelSpace, model);

  // warm up (JIT) on a few rows so ms_per_item reflects steady state
  for (const it of items.slice(0, 50)) predictor(it);
  const t0 = performance.now();
  const pred = items.map((it) => predictor(it));
  const ms = (performance.now() - t0) / items.length;
  const gold = items.map((i) => i.gold);
  const metrics = computeMetrics(gold, pred);

  const baselines: Record<string, BaselineReport> = {};
  const counts = new Map<string, number>();
  for (const g of gold) counts.set(g, (counts.get(g) ?? 0) + 1);
  const majority = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0]![0];
  baselines.majority = { ...computeMetrics(gold, gold.map(() => majority)) };
  if (task === 'sentiment' || task === 'complaint') {
    const vader = vaderPredictor(task, labelSpace);
    const tv = performance.now();
    const vp = items.map((it) => vader(it.text));
    baselines.vader = { ...computeMetrics(gold, vp), ms_per_item: r4((performance.now() - tv) / items.length) };
  }

  const notes: string[] = [];
  const trainedOn = (model.meta?.trainedOn ?? {}) as Record<string, unknown>;
  const source = trainingSourceFor(task, layout);
  let held_out: EvalReport['held_out'];
  if (source && Object.keys(trainedOn).some((k) => k === source)) {
    const idx = items.map((it, i) => (it.heldOut ? i : -1)).filter((i) => i >= 0);
    notes.push(`this layout is a training source of the model (${source}): rows outside the held-out bucket may have been trained on; "held_out" gives the metrics on the ${idx.length} rows that never were`);
    if (idx.length > 0) held_out = { ...computeMetrics(idx.map((i) => gold[i]!), idx.map((i) => pred[i]!)), note: 'rows in the held-out bucket (split.ts), never used for training' };
  }
  if (task === 'needs-response') notes.push('prediction = triage action "respond"; labels = a brand tweet in the file replies to the inbound tweet');
  if (table.errors.length) notes.push(`${table.errors.length} rows could not be parsed and were skipped (first: line ${table.errors[0]!.line}: ${table.errors[0]!.reason})`);

  return {
    task, file: table.path, layout, model: model.version,
    ...metrics,
    ms_per_item: r4(ms),
    baselines,
    ...(held_out ? { held_out } : {}),
    notes,
    skipped_rows: table.errors.length,
  };
}

function listening(text: string, kind: TriageInput['kind'] = 'listening'): TriageInput {
  return { text, network: 'x', visibility: 'public', kind, createdAt: 0 };
}

function itemsFor(task: EvalTask, table: CsvTable, layout: Layout): Item[] {
  if (task === 'needs-response') {
    return twcsExamplesFromTable(table).map((e) => ({ input: e.input, gold: e.label ? 'True' : 'False', text: e.input.text, heldOut: e.heldOut }));
  }
  const kind: TriageInput['kind'] = layout === 'youtube' ? 'comment' : layout === 'sms' ? 'dm' : 'listening';
  return labelledTexts(table, layout)
    .filter((r) => r.label !== '')
    .map((r) => ({ input: { ...listening(r.text, kind), visibility: kind === 'dm' ? 'private' : 'public' }, gold: r.label, text: r.text, heldOut: isHeldOut(r.text) }));
}

/** Map the model's output onto the file's label values. */
function predictorFor(task: EvalTask, labels: string[], model: TriageModel): (it: Item) => string {
  const now = 0;
  const yes = pickLabel(labels, ['1', 'spam', 'offensive', 'True', 'true', 'yes', 'complaint']);
  const no = pickLabel(labels, ['0', 'ham', 'not-offensive', 'False', 'false', 'no', 'not_complaint']);
  switch (task) {
    case 'complaint':
      return (it) => (triage(it.input, now, model).complaint.value ? yes : no);
    case 'spam':
      return (it) => (triage(it.input, now, model).category.value === 'spam' ? yes : no);
    case 'offensive': {
      const head = model.heads.offensive;
      if (!head) throw new Error('this model has no offensive head');
      // the offensive head itself (triage's abuse category also requires "no service issue")
      return (it) => (predictProba(head, analyze(it.text, model.lexicon).fv)[1]! >= 0.5 ? yes : no);
    }
    case 'sentiment': {
      const named = labels.every((l) => ['negative', 'neutral', 'positive'].includes(l));
      const map: Record<string, string> = named ? { negative: 'negative', neutral: 'neutral', positive: 'positive' } : { negative: '0', neutral: '1', positive: '2' };
      return (it) => map[triage(it.input, now, model).sentiment.value]!;
    }
    case 'needs-response':
      return (it) => (triage(it.input, now, model).action.value === 'respond' ? 'True' : 'False');
    case 'intent': {
      const head = model.heads.intent;
      if (!head) throw new Error('this model has no intent head');
      // the fine (banking77) intent; triage maps it onto the care intents
      return (it) => head.labels[argmax(predictProba(head, analyze(it.text, model.lexicon).fv))]!;
    }
  }
}

function pickLabel(labels: string[], prefs: string[]): string {
  for (const p of prefs) if (labels.includes(p)) return p;
  return prefs[0]!;
}

/** Which model training source a file layout corresponds to, per task. */
function trainingSourceFor(task: EvalTask, layout: Layout): string | null {
  if (task === 'sentiment' && layout === 'tweeteval') return 'tweeteval/sentiment';
  if (task === 'offensive' && layout === 'tweeteval') return 'tweeteval/offensive';
  if (task === 'spam' && layout === 'sms') return 'sms_spam_collection';
  if (task === 'spam' && layout === 'youtube') return 'youtube_spam';
  if (task === 'intent') return 'banking77';
  if (task === 'complaint' && layout === 'complaints') return 'complaints_preotiuc2019';
  if (task === 'sentiment' && layout === 'airline') return 'twitter_airline_sentiment';
  if (task === 'needs-response') return 'twcs/twcs_head5k';
  return null;
}

type Vader = { polarity_scores(text: string): { compound: number } };
let vaderAnalyzer: Vader | null = null;
/** VADER from the installed `vader-sentiment` package (compound ≥ 0.05 positive, ≤ -0.05 negative). */
export function vaderCompound(text: string): number {
  if (!vaderAnalyzer) {
    const require = createRequire(import.meta.url);
    vaderAnalyzer = (require('vader-sentiment') as { SentimentIntensityAnalyzer: Vader }).SentimentIntensityAnalyzer;
  }
  return vaderAnalyzer.polarity_scores(text).compound;
}

function vaderPredictor(task: 'sentiment' | 'complaint', labels: string[]): (text: string) => string {
  if (task === 'complaint') {
    const yes = pickLabel(labels, ['1', 'True', 'yes']);
    const no = pickLabel(labels, ['0', 'False', 'no']);
    return (t) => (vaderCompound(t) <= -0.05 ? yes : no);
  }
  const named = labels.every((l) => ['negative', 'neutral', 'positive'].includes(l));
  const [neg, neu, pos] = named ? ['negative', 'neutral', 'positive'] : ['0', '1', '2'];
  return (t) => {
    const c = vaderCompound(t);
    return c >= 0.05 ? pos! : c <= -0.05 ? neg! : neu!;
  };
}
