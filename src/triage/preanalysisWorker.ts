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
 *
 * When the pipeline keeps up with its input, a batch's texts were handed over just
 * before the batch starts; rather than wait idle for the worker, the pipeline's thread
 * takes the requests the worker has not started (`share`), so the two split the work.
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
/**
 * Who analyzes a request, shared with the worker: slot `id % SLOTS` holds the request's
 * id while nobody has started it, and `-id` once someone has (whoever swaps it first).
 * Requests outstanding at once stay far below SLOTS (at most MAX_ENTRIES texts).
 */
const SLOTS = 1 << 16;
/** A text handed over and not taken within this long is forgotten once the table is half full. */
const EXPIRE_MS = 60_000;

type Reply = { id: number; e: EncodedPreanalyses } | { id: number; error: string } | { id: number; skipped: true } | { ready: true; version: string };

/** Analyzes texts on the calling thread (the same work the worker does). */
export type AnalyzeInline = (texts: readonly string[]) => Preanalysis[];

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
  private readonly pending = new Map<number, { texts: string[]; resolve: (p: Preanalysis[] | null) => void }>();
  /** Per text: where its preanalysis comes from (request `id`), and how many messages with that text will take it. */
  private readonly entries = new Map<string, { id: number; batch: Promise<Preanalysis[] | null>; i: number; count: number; at: number }>();
  private readonly claims = new Int32Array(new SharedArrayBuffer(SLOTS * 4));
  /** Requests this thread analyzed itself (see `share`), and requests the worker skipped as claimed here: for metrics and tests. */
  shared = 0;
  skipped = 0;

  constructor(private readonly opts: PreanalysisWorkerOptions) {
    this.worker = new Worker(workerSource(), { eval: true, workerData: { modelPath: opts.modelPath, claims: this.claims }, resourceLimits: RESOURCE_LIMITS });
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
      batch ??= new Promise<Preanalysis[] | null>((resolve) => this.pending.set(id, { texts: fresh, resolve }));
      this.entries.set(t, { id, batch, i: fresh.length, count: 1, at: now });
      fresh.push(t);
    }
    if (!fresh.length) return;
    this.nextId++;
    Atomics.store(this.claims, id % SLOTS, id);
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

  /**
   * Share the work on `texts` with the worker instead of waiting for it: the requests
   * holding them that the worker has not started yet are analyzed here with `analyze`,
   * newest first, while the worker goes on from the oldest; they meet in the middle.
   * Nothing is analyzed twice: a request goes to whichever thread claims it first.
   * (When the pipeline keeps up with its input, a batch's texts were handed over only
   * just before it: waiting would leave this thread idle for the worker's whole share.)
   */
  share(texts: readonly string[], analyze: AnalyzeInline): void {
    const ids = new Set<number>();
    for (const t of texts) {
      const e = this.entries.get(t);
      if (e && this.pending.has(e.id)) ids.add(e.id);
    }
    for (const id of [...ids].sort((a, b) => b - a)) {
      if (Atomics.compareExchange(this.claims, id % SLOTS, id, -id) !== id) break; // the worker has it, and every older one
      const p = this.pending.get(id)!;
      this.pending.delete(id);
      if (!this.pending.size) this.worker.unref();
      this.shared++;
      let out: Preanalysis[] | null;
      try {
        out = analyze(p.texts);
      } catch {
        out = null; // triaged inline, one by one
      }
      p.resolve(out);
    }
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
    if ('skipped' in m) this.skipped++;
    const p = this.pending.get(m.id);
    if (!p) return; // analyzed here meanwhile (share)
    this.pending.delete(m.id);
    if (!this.pending.size) this.worker.unref();
    if ('error' in m) {
      this.opts.onError?.(m.error);
      return p.resolve(null);
    }
    if ('skipped' in m) return p.resolve(null); // not expected: the worker skips only what this thread claimed
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
