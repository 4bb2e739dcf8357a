/**
 * The pipeline's triage step (src/pipeline/ingest.ts `TriageFn`), backed by the
 * shipped model. src/app.ts loads this module when present (`createPipelineTriage`).
 *
 * Maps each `TriageRequest` (normalized message + conversation context) to a
 * `TriageInput`, runs the built-in classifier (synchronous, ~50 µs) or a configured
 * pluggable one, and never lets one bad message fail the batch: a message whose
 * triage throws gets `null` (stored untriaged), the others are triaged.
 */
import type { TriageResult } from '../core/types.js';
import type { TriageClassifier } from '../core/triage/classifier.js';
import { triageWith } from '../core/triage/classifier.js';
import type { TriageModel } from '../core/triage/model.js';
import { completePreanalysis, preanalyze, triage } from '../core/triage/triage.js';
import type { TriageInput } from '../core/triage/types.js';
import type { TriageFn, TriageRequest } from '../pipeline/ingest.js';
import { loadShippedModel, SHIPPED_MODEL_PATH } from './model-io.js';
import { PreanalysisWorker } from './preanalysisWorker.js';

export interface PipelineTriageOptions {
  /** Model to use (default: PARLEY_TRIAGE_MODEL or models/triage.bin.gz). */
  model?: TriageModel;
  /**
   * The file `model` was loaded from: given, the text-only part of triage runs on a
   * worker thread ahead of each batch (src/triage/preanalysisWorker.ts). Without
   * `model`, the shipped model's file.
   */
  modelPath?: string;
  /** false: triage wholly on the calling thread (default: true unless PARLEY_TRIAGE_WORKER=0). */
  worker?: boolean;
  /**
   * How long a batch waits for preanalyses still on the worker before triaging those
   * messages inline (default 250 ms, PARLEY_TRIAGE_WAIT_MS): a stalled worker never
   * holds the pipeline up for long. (Tried 2 ms, so that a late worker never adds
   * latency: p99 was worse, since the pipeline's thread then does the work itself.)
   */
  maxWaitMs?: number;
  /** A pluggable classifier (e.g. withFallback(linearClassifier(model), llm, 0.7)); async. */
  classifier?: TriageClassifier;
  onError?: (message: string) => void;
}

/** Build the pipeline's TriageFn. Loads the model once (about 0.3 s). */
export async function createPipelineTriage(opts: PipelineTriageOptions = {}): Promise<TriageFn> {
  const model = opts.model ?? loadShippedModel();
  const classifier = opts.classifier;
  if (!classifier) {
    const useWorker = opts.worker ?? process.env.PARLEY_TRIAGE_WORKER !== '0';
    // the worker loads the model from its file: the one given, or the default model's
    const modelPath = !useWorker ? undefined : opts.modelPath ?? (opts.model ? undefined : process.env.PARLEY_TRIAGE_MODEL ?? SHIPPED_MODEL_PATH);
    const inline: TriageFn = (reqs, now) => reqs.map((r) => safely(() => triage(toTriageInput(r), now, model)));
    if (!modelPath) return inline;
    let worker: PreanalysisWorker;
    try {
      worker = new PreanalysisWorker({ modelPath, version: model.version, onError: opts.onError });
    } catch (err) {
      opts.onError?.(`the triage worker did not start: ${(err as Error)?.message ?? err}`);
      return inline;
    }
    const counts = { preanalyzed: 0, inline: 0 };
    const analyze = (texts: readonly string[]) => texts.map((t) => completePreanalysis(preanalyze(t, model), model));
    const fn: TriageFn = async (reqs, now) => {
      // what the worker has not started yet is analyzed here rather than waited for
      worker.share(reqs.map((r) => r.message.text), analyze);
      const pres = await within(reqs.map((r) => worker.take(r.message.text)), opts.maxWaitMs ?? Number(process.env.PARLEY_TRIAGE_WAIT_MS ?? 250));
      return reqs.map((r, i) => {
        const pre = pres[i] ?? undefined;
        counts[pre ? 'preanalyzed' : 'inline']++;
        return safely(() => triage(toTriageInput(r), now, model, pre));
      });
    };
    fn.prefetch = (texts) => worker.prefetch(texts);
    fn.close = () => worker.close();
    fn.stats = () => ({ ...counts, held: worker.held, shared: worker.shared });
    return fn;
  }
  return async (reqs, now) => Promise.all(reqs.map(async (r) => {
    try {
      return await triageWith(classifier, toTriageInput(r), now);
    } catch {
      return safely(() => triage(toTriageInput(r), now, model)); // plug-in failed: built-in answer
    }
  }));
}

/** The values of `ps` settled within `ms` (the others: null). */
async function within<T>(ps: Promise<T | null>[], ms: number): Promise<(T | null)[]> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ms)));
  try {
    return await Promise.all(ps.map((p) => Promise.race([p, late])));
  } finally {
    clearTimeout(timer);
  }
}

/** What triage knows about a pipeline request. */
export function toTriageInput(r: TriageRequest): TriageInput {
  const m = r.message;
  return {
    text: m.text,
    network: m.network,
    visibility: m.visibility,
    kind: m.kind,
    author: { handle: m.author?.handle ?? null, followers: m.author?.followers ?? null, verified: m.author?.verified ?? null },
    createdAt: m.createdAt,
    context: {
      unansweredSince: r.waitingSince,
      previousInbound: r.previousUnanswered,
      brandHandles: r.brandHandles,
      replyTo: r.replyTo ?? null,
      threadDepth: r.threadDepth ?? null,
    },
  };
}

function safely(f: () => TriageResult): TriageResult | null {
  try {
    return f();
  } catch {
    return null;
  }
}
