/** Prometheus metrics (prom-client), served at /metrics. */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly ingested = new Counter({ name: 'parley_ingest_items_total', help: 'Items handed to the ingest pipeline from any source, by outcome (stored, duplicate, quarantined; failed: its batch failed and was refused)', labelNames: ['outcome'] as const, registers: [this.registry] });
  readonly ingestBatchSeconds = new Histogram({ name: 'parley_ingest_batch_seconds', help: 'Time to store one ingest batch', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [this.registry] });
  readonly ingestQueueDepth = new Gauge({ name: 'parley_ingest_queue_depth', help: 'Items waiting to be stored', registers: [this.registry] });
  readonly ingestRejected = new Counter({ name: 'parley_ingest_rejected_total', help: 'Submissions refused because the ingest queue was full', registers: [this.registry] });
  readonly outbox = new Counter({ name: 'parley_outbox_total', help: 'Outbound sends by result', labelNames: ['result'] as const, registers: [this.registry] });
  readonly sseClients = new Gauge({ name: 'parley_sse_clients', help: 'Connected live-event clients', registers: [this.registry] });
  readonly httpSeconds = new Histogram({ name: 'parley_http_request_seconds', help: 'HTTP request duration', labelNames: ['method', 'route', 'status'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5], registers: [this.registry] });

  /** Where triage's counts come from (src/triage/pipelineTriage.ts `stats`), when triage runs. */
  triageStats: (() => { preanalyzed: number; inline: number; held: number }) | null = null;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'parley_' });
    const stats = () => this.triageStats?.();
    new Gauge({
      name: 'parley_triage_messages', help: 'Messages triaged since start, by where the text-only half ran: preanalyzed (the triage worker thread) or inline (the pipeline thread)', labelNames: ['path'] as const, registers: [this.registry],
      collect() {
        const s = stats();
        if (s) for (const path of ['preanalyzed', 'inline'] as const) this.set({ path }, s[path]);
      },
    });
    new Gauge({
      name: 'parley_triage_prefetched_held', help: 'Texts handed to the triage worker ahead of their batch and not yet triaged', registers: [this.registry],
      collect() {
        const s = stats();
        if (s) this.set(s.held);
      },
    });
  }
}
