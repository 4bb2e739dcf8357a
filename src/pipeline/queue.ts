/**
 * Group commit in front of the pipeline. Webhooks and the ingest API submit
 * items and wait until they are durably stored; concurrent submissions are
 * written together in one transaction. When the queue is full the submitter
 * is refused at once (the HTTP edge answers 503 with Retry-After), so a burst
 * is absorbed or pushed back, never dropped.
 */
import type { IngestItem, IngestOutcome, IngestPipeline } from './ingest.js';

export class QueueFullError extends Error {
  constructor(readonly depth: number, readonly retryAfterS: number) {
    super(`ingest queue is full (${depth} messages waiting)`);
  }
}

interface Pending {
  brandId: number;
  items: IngestItem[];
  /** Handed to the pipeline's prefetch (triage's text-only work, ahead of the batch). */
  prefetched?: boolean;
  resolve: (o: IngestOutcome[]) => void;
  reject: (e: unknown) => void;
}

export interface IngestQueueOptions {
  /** Items waiting (not yet stored) beyond which submissions are refused. */
  maxQueued?: number;
  /** Items per transaction. */
  maxBatch?: number;
  /** Observed throughput, for the Retry-After estimate. */
  onFlush?: (n: number, ms: number) => void;
  /** Every batch's outcomes, whatever submitted it (null: the batch failed, and its `n` items were refused). */
  onOutcomes?: (outcomes: IngestOutcome[] | null, n: number) => void;
}

/** Items ahead of the current batch whose texts are prefetched (bounds what is held for them). */
const LOOKAHEAD = 3_000;

export class IngestQueue {
  private pending: Pending[] = [];
  private queued = 0;
  private flushing = false;
  private scheduled = false;
  private readonly maxQueued: number;
  private readonly maxBatch: number;
  private rate = 2000; // items/s, refined as we go
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly pipeline: IngestPipeline, private readonly opts: IngestQueueOptions = {}) {
    this.maxQueued = opts.maxQueued ?? 50_000;
    this.maxBatch = opts.maxBatch ?? 1000;
  }

  depth(): number {
    return this.queued;
  }

  submit(brandId: number, items: IngestItem[]): Promise<IngestOutcome[]> {
    if (!items.length) return Promise.resolve([]);
    if (this.queued + items.length > this.maxQueued) {
      throw new QueueFullError(this.queued, Math.max(1, Math.ceil(this.queued / this.rate)));
    }
    this.queued += items.length;
    const p = new Promise<IngestOutcome[]>((resolve, reject) => this.pending.push({ brandId, items, resolve, reject }));
    this.lookahead();
    // after the I/O phase, not in a microtask: every request already readable in this turn of
    // the event loop is submitted first and goes into the same batch (better-sqlite3 is
    // synchronous, so during a batch no new request is read; a microtask flush would commit
    // each request on its own and pay the per-batch cost for every one)
    if (!this.flushing && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        void this.flush();
      });
    }
    return p;
  }

  /** Resolves when everything submitted so far is stored. */
  idle(): Promise<void> {
    if (!this.flushing && !this.pending.length) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Hand the texts of the next LOOKAHEAD queued items to the pipeline's prefetch, once each. */
  private lookahead(): void {
    let n = 0;
    for (const p of this.pending) {
      if (n >= LOOKAHEAD) break;
      if (!p.prefetched) {
        p.prefetched = true;
        this.pipeline.prefetch(p.items);
      }
      n += p.items.length;
    }
  }

  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.pending.length) {
        // Take submissions of the first brand in line, up to maxBatch items.
        const brandId = this.pending[0]!.brandId;
        const take: Pending[] = [];
        let n = 0;
        const rest: Pending[] = [];
        for (const p of this.pending) {
          if (p.brandId === brandId && (n === 0 || n + p.items.length <= this.maxBatch)) {
            take.push(p);
            n += p.items.length;
          } else rest.push(p);
        }
        this.pending = rest;
        const items = take.flatMap((p) => p.items);
        const unprefetched = take.filter((p) => !p.prefetched).flatMap((p) => p.items);
        // the next batches' texts are analyzed (on the triage worker) while this one is stored
        this.lookahead();
        const t0 = performance.now();
        try {
          if (unprefetched.length) this.pipeline.prefetch(unprefetched);
          const outcomes = await this.pipeline.ingest(brandId, items, { prefetched: true });
          this.opts.onOutcomes?.(outcomes, items.length);
          let i = 0;
          for (const p of take) {
            p.resolve(outcomes.slice(i, i + p.items.length));
            i += p.items.length;
          }
        } catch (err) {
          this.opts.onOutcomes?.(null, items.length);
          for (const p of take) p.reject(err);
        } finally {
          this.queued -= items.length;
        }
        const ms = performance.now() - t0;
        if (ms > 0) this.rate = 0.8 * this.rate + 0.2 * ((items.length / ms) * 1000);
        this.opts.onFlush?.(items.length, ms);
        // let the requests that arrived during this batch be read, so they share the next one
        await new Promise<void>((r) => setImmediate(r));
      }
    } finally {
      this.flushing = false;
      const w = this.idleWaiters;
      this.idleWaiters = [];
      for (const r of w) r();
    }
  }
}
