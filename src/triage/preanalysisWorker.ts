/**
 * Triage's text-only work on a second core. The ingest pipeline hands the texts
 * of a batch over as soon as they arrive (before deduplication and threading), a
 * worker thread preanalyzes them (features and head logits, the costly and
 * cache-hungry part of triage), and the pipeline's triage step then only adds the
 * conversation context. While the worker runs, the pipeline's thread goes on
 * persisting the previous batch.
 *
 * Never in the way: until the worker is ready, when it fails or dies, when its
 * model is not the pipeline's, or for a text it was not given, triage runs inline
 * exactly as before (the two paths give identical results: preanalysis.test.ts).
 */
import { buildSync } from 'esbuild';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Preanalysis } from '../core/triage/triage.js';
import { decodePreanalyses, type EncodedPreanalyses } from './preanalysis.js';

/**
 * The worker's code: its entry module bundled with its imports into one script
 * (esbuild, ~50 KB, once per process). A worker that loaded TypeScript through tsx
 * instead would carry tsx's loader thread too: measured ~20 MB more per process.
 */
let source: string | undefined;
function workerSource(): string {
  if (source === undefined) {
    const file = fileURLToPath(new URL(`./preanalysis.worker.${import.meta.url.endsWith('.ts') ? 'ts' : 'js'}`, import.meta.url));
    source = buildSync({
      entryPoints: [file], bundle: true, platform: 'node', format: 'cjs', target: 'node20', write: false, logLevel: 'silent',
      define: { 'import.meta.url': JSON.stringify(pathToFileURL(file).href) },
    }).outputFiles[0]!.text;
  }
  return source;
}

/**
 * The worker's heap: a small young generation (it allocates briefly per text; the
 * default lets garbage grow tens of MB before a scavenge) and a ceiling well above
 * the model it holds (~25 MB). Over the ceiling the worker dies and triage runs inline.
 */
const RESOURCE_LIMITS = { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 160 };

/** Texts waiting for (or holding) their preanalysis; beyond this, new texts are triaged inline. */
const MAX_ENTRIES = 20_000;
/** A text handed over and not taken within this long is forgotten once the table is half full. */
const EXPIRE_MS = 60_000;

type Reply = { id: number; e: EncodedPreanalyses } | { id: number; error: string } | { ready: true; version: string };

export interface PreanalysisWorkerOptions {
  /** The model file the pipeline's model was loaded from. */
  modelPath: string;
  /** The pipeline's model version: a worker that loaded anything else is not used. */
  version: string;
  onError?: (message: string) => void;
}

export class PreanalysisWorker {
  private readonly worker: Worker;
  private ready = false;
  private dead = false;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (p: Preanalysis[] | null) => void }>();
  /** Per text: where its preanalysis comes from, and how many messages with that text will take it. */
  private readonly entries = new Map<string, { batch: Promise<Preanalysis[] | null>; i: number; count: number; at: number }>();

  constructor(private readonly opts: PreanalysisWorkerOptions) {
    this.worker = new Worker(workerSource(), { eval: true, workerData: { modelPath: opts.modelPath }, resourceLimits: RESOURCE_LIMITS });
    this.worker.on('message', (m: Reply) => this.onMessage(m));
    this.worker.on('error', (err) => this.fail(err.message));
    this.worker.on('exit', () => this.fail(null));
    // after the listeners (adding one refs the worker again); ref'd only while a request is out
    this.worker.unref();
  }

  /** Whether texts handed over now will be preanalyzed by the worker. */
  get usable(): boolean {
    return this.ready && !this.dead;
  }

  /**
   * Hand texts over, one per message that will be triaged. A text already handed
   * over is analyzed once and shared (a preanalysis is read-only).
   */
  prefetch(texts: readonly string[]): void {
    if (!this.usable) return;
    const now = Date.now();
    // texts handed over but never triaged (a duplicate dropped, a message quarantined) expire
    if (this.entries.size >= MAX_ENTRIES / 2) this.expire(now - EXPIRE_MS);
    const fresh: string[] = [];
    const id = this.nextId;
    let batch: Promise<Preanalysis[] | null> | null = null;
    for (const t of texts) {
      if (typeof t !== 'string') continue;
      const e = this.entries.get(t);
      if (e) { e.count++; e.at = now; continue; }
      if (this.entries.size >= MAX_ENTRIES) continue;
      batch ??= new Promise<Preanalysis[] | null>((resolve) => this.pending.set(id, { resolve }));
      this.entries.set(t, { batch, i: fresh.length, count: 1, at: now });
      fresh.push(t);
    }
    if (!fresh.length) return;
    this.nextId++;
    if (this.pending.size === 1) this.worker.ref();
    this.worker.postMessage({ id, texts: fresh });
  }

  /** The preanalysis of a text handed over earlier (once per time it was handed over), or null. */
  async take(text: string): Promise<Preanalysis | null> {
    const e = this.entries.get(text);
    if (!e) return null;
    if (--e.count === 0) this.entries.delete(text);
    const all = await e.batch;
    return all?.[e.i] ?? null;
  }

  /** Forget texts handed over before `before` and never taken. */
  expire(before: number): void {
    for (const [t, e] of this.entries) if (e.at < before) this.entries.delete(t);
  }

  /** Texts handed over and not yet taken (for tests and metrics). */
  get held(): number {
    return this.entries.size;
  }

  async close(): Promise<void> {
    if (this.dead) return;
    this.dead = true;
    this.settleAll();
    await this.worker.terminate();
  }

  private onMessage(m: Reply) {
    if ('ready' in m) {
      if (m.version === this.opts.version) this.ready = true;
      else this.fail(`the preanalysis worker loaded model ${m.version}, the pipeline uses ${this.opts.version}`);
      return;
    }
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (!this.pending.size) this.worker.unref();
    if ('error' in m) {
      this.opts.onError?.(m.error);
      return p.resolve(null);
    }
    p.resolve(this.dead ? null : decodePreanalyses(m.e));
  }

  private fail(message: string | null) {
    if (this.dead) return;
    if (message) this.opts.onError?.(message);
    this.dead = true;
    this.settleAll();
    void this.worker.terminate();
  }

  /** Everything outstanding falls back to inline triage. */
  private settleAll() {
    for (const p of this.pending.values()) p.resolve(null);
    this.pending.clear();
    this.entries.clear();
    this.worker.unref();
  }
}
