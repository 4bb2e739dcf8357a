/**
 * Pluggable classifiers. The pipeline calls `triageWith(classifier, input, now)`;
 * a deployment chooses the classifier: the built-in linear one (default, in-process,
 * ~20–50 µs), or a composition that asks a stronger model (ONNX transformer, LLM
 * endpoint) only when the built-in one is unsure:
 *
 *   const classifier = withFallback(linearClassifier(model), myLlmClassifier, 0.7);
 *
 * A classifier returns the signals it knows (`Partial<TriageSignals>`); fields it
 * leaves out come from the layer below. Action and priority are always decided by
 * `decide` from the merged signals, so every plug-in gets the same explainable
 * priority rules.
 */
import type { Scored } from '../types.js';
import type { TriageModel, TriageSettings } from './model.js';
import { assemble, computeSignals, DEFAULT_SETTINGS, effectiveSettings } from './triage.js';
import type { TriageInput, TriageOutcome, TriageSignals } from './types.js';

export interface TriageClassifier {
  /** Shown in TriageResult.model (e.g. `builtin-linear@…`, `llm:gpt-x`). */
  readonly name: string;
  /**
   * Judge one message. `prior` carries the signals of the layer below, when composed
   * (a fallback model may use them, e.g. to explain a disagreement).
   */
  classify(input: TriageInput, now: number, prior?: TriageSignals): Partial<TriageSignals> | Promise<Partial<TriageSignals>>;
}

/** Signal fields a fallback can take over. */
export const SIGNAL_FIELDS = ['category', 'complaint', 'sentiment', 'accolade', 'chaser', 'intent', 'language', 'needsResponse'] as const;
export type SignalField = (typeof SIGNAL_FIELDS)[number];

/** Fields whose low confidence triggers the fallback by default. */
export const DEFAULT_UNCERTAIN_FIELDS: readonly SignalField[] = ['category', 'complaint', 'sentiment', 'needsResponse'];

/** The built-in classifier over a loaded model (synchronous under the hood). */
export function linearClassifier(model: TriageModel): TriageClassifier & { model: TriageModel; settings: TriageSettings } {
  return {
    name: model.version,
    model,
    settings: effectiveSettings(model),
    classify(input) {
      const { analysis: _a, fineIntent, truncated: _t, ...signals } = computeSignals(input, model);
      if (fineIntent) signals.scores = { ...signals.scores, [`intent:${fineIntent.value}`]: fineIntent.confidence };
      return signals;
    },
  };
}

export interface FallbackOptions {
  /** Which fields' confidence decides "unsure" (default category, complaint, sentiment, needsResponse). */
  fields?: readonly SignalField[];
  /**
   * Give up on the secondary after this long and keep the primary's answer. Default:
   * no timer here (core code keeps no clocks); a network-backed classifier should
   * enforce its own deadline (AbortSignal) and reject.
   */
  timeoutMs?: number;
}

/**
 * Ask `secondary` only when `primary` is unsure: some field in `fields` is missing or
 * has confidence below `threshold`. The secondary's answer replaces exactly those
 * uncertain fields (and fills fields the primary left out); a secondary that fails or
 * times out leaves the primary's answer in place, with the failure noted in `model`.
 */
export function withFallback(primary: TriageClassifier, secondary: TriageClassifier, threshold: number, opts: FallbackOptions = {}): TriageClassifier {
  const fields = opts.fields ?? DEFAULT_UNCERTAIN_FIELDS;
  const timeoutMs = opts.timeoutMs;
  const settingsOf = (c: TriageClassifier) => (c as { settings?: TriageSettings }).settings;
  return {
    name: `${primary.name}|${secondary.name}`,
    ...(settingsOf(primary) ? { settings: settingsOf(primary) } : {}),
    async classify(input, now, prior) {
      const p = await primary.classify(input, now, prior);
      const unsure = (f: SignalField) => {
        const v = p[f] as Scored<unknown> | null | undefined;
        return v === undefined || (v !== null && !(v.confidence >= threshold));
      };
      if (!fields.some(unsure)) return p;
      let s: Partial<TriageSignals>;
      try {
        const call = Promise.resolve().then(() => secondary.classify(input, now, completeSignals(p)));
        s = timeoutMs ? await withTimeout(call, timeoutMs, secondary.name) : await call;
      } catch (err) {
        const why = err instanceof Error ? err.message : String(err);
        return { ...p, model: `${p.model ?? primary.name} (fallback ${secondary.name} failed: ${why.slice(0, 120)})` };
      }
      const merged: Partial<TriageSignals> = { ...p };
      const taken: string[] = [];
      for (const f of SIGNAL_FIELDS) {
        const sv = s[f];
        if (sv === undefined) continue;
        if (p[f] === undefined || unsure(f)) {
          (merged as Record<string, unknown>)[f] = sv && typeof sv === 'object' ? { ...sv, reason: `${secondary.name}: ${(sv as Scored<unknown>).reason}` } : sv;
          taken.push(f);
        }
      }
      merged.scores = { ...(p.scores ?? {}), ...(s.scores ?? {}) };
      merged.model = taken.length ? `${p.model ?? primary.name}+${s.model ?? secondary.name}(${taken.join(',')})` : p.model ?? primary.name;
      return merged;
    },
  };
}

/**
 * Run a classifier and decide action + priority (the pipeline's entry point).
 * Settings default to the built-in model's (carried by linearClassifier/withFallback).
 */
export async function triageWith(classifier: TriageClassifier, input: TriageInput, now: number, settings?: TriageSettings): Promise<TriageOutcome> {
  settings ??= (classifier as { settings?: TriageSettings }).settings ?? DEFAULT_SETTINGS;
  const s = completeSignals(await classifier.classify(input, now));
  return assemble(input, s, now, settings, s.model ?? classifier.name);
}

/** Fill fields a classifier left out with explicit "unknown" values (confidence 0). */
export function completeSignals(p: Partial<TriageSignals>): TriageSignals {
  const unknown = <T>(value: T): Scored<T> => ({ value, confidence: 0, reason: 'not judged by this classifier' });
  return {
    category: p.category ?? unknown('other'),
    complaint: p.complaint ?? unknown(false),
    sentiment: p.sentiment ?? unknown('neutral'),
    accolade: p.accolade ?? unknown(false),
    chaser: p.chaser ?? unknown(false),
    intent: p.intent ?? null,
    language: p.language ?? unknown('und'),
    needsResponse: p.needsResponse ?? unknown(true),
    scores: p.scores ?? {},
    ...(p.model ? { model: p.model } : {}),
  };
}

function withTimeout<T>(p: Promise<T>, ms: number, name: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${name} timed out after ${ms} ms`)), ms);
    p.then((v) => { clearTimeout(t); resolve(v); }, (e) => { clearTimeout(t); reject(e); });
  });
}
