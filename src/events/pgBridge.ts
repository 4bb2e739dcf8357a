/**
 * Live events across processes on PostgreSQL: events published in one Parley
 * process reach SSE clients connected to another, through LISTEN/NOTIFY.
 *
 * Cost note: every NOTIFY takes a cluster-wide lock on the notification queue
 * while its transaction commits, serialising notifying commits. So the bridge
 * never notifies inside the ingest transaction and coalesces the events of one
 * tick into as few NOTIFYs as fit in PostgreSQL's 8,000-byte payload limit;
 * larger events go through the `live_event` table and the NOTIFY carries only
 * their id. At very high write rates the alternative is a broker (Redis
 * pub/sub, NATS) or logical decoding; see docs/scaling.md.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import type { EventBus, LiveEvent } from './bus.js';
import type { Store } from '../store/db.js';

const CHANNEL = 'parley_events';
const MAX_PAYLOAD = 7_500;

/** `reset`: the sender could not relay some of its events; its peers' clients must refetch. */
type Wire = { o: string; e?: Omit<LiveEvent, 'id'>[]; ref?: number[]; reset?: true };

export class PgEventBridge {
  private readonly origin = randomUUID();
  private listener: pg.Client | null = null;
  private pending: Omit<LiveEvent, 'id'>[] = [];
  private flushing: Promise<void> | null = null;
  private stopped = false;
  /** A listener was lost: notifications sent meanwhile never arrived here. */
  private missed = false;
  /** A NOTIFY failed: other processes never got those events. */
  private undelivered = false;

  constructor(private readonly store: Store, private readonly bus: EventBus, private readonly databaseUrl: string, private readonly log?: { warn(o: unknown, m?: string): void }) {}

  async start(): Promise<void> {
    await this.connect();
    this.bus.onLocalPublish = (e) => {
      this.pending.push(e);
      if (!this.flushing) this.flushing = new Promise<void>((r) => setImmediate(() => this.flush().finally(() => { this.flushing = null; r(); })));
    };
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    // a listener lost after it connected (the database restarted, the network dropped) is
    // re-established until it is back, however long that takes: once, it was retried a single
    // time and events stopped crossing processes for good after an outage longer than a second
    const lost = (err?: unknown) => {
      if (this.listener !== client || this.stopped) return;
      this.log?.warn({ err }, 'event bridge connection lost; reconnecting');
      this.listener = null;
      this.missed = true;
      void client.end().catch(() => {});
      this.reconnect(1);
    };
    client.on('error', lost);
    // a connection closed without an error (the server shut it cleanly) is lost all the same
    client.on('end', () => lost());
    try {
      await client.connect();
      client.on('notification', (n) => void this.receive(n.payload ?? ''));
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      void client.end().catch(() => {});
      throw err;
    }
    this.listener = client;
    // Whatever other processes published while this one was not listening is gone (NOTIFY is
    // not queued for a listener that is not there): this process's clients refetch. Events
    // this process could not relay meanwhile: its peers' clients refetch too.
    if (this.missed) {
      this.missed = false;
      this.bus.resetAll();
    }
    if (this.undelivered) await this.notify({ o: this.origin, reset: true });
  }

  /** One NOTIFY; a failure is remembered, so peers are told to reset once it works again. */
  private async notify(w: Wire): Promise<void> {
    try {
      await this.store.pgPool!.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify(w)]);
      if (w.reset) this.undelivered = false;
    } catch (err) {
      this.undelivered = true;
      this.log?.warn({ err }, 'could not relay live events to other processes');
    }
  }

  /** Try again after 1, 2, 4 … s (at most 30 s between tries) until connected or stopped. */
  private reconnect(attempt: number): void {
    if (this.stopped) return;
    const wait = Math.min(30_000, 1000 * 2 ** (attempt - 1));
    setTimeout(() => {
      if (this.stopped) return;
      this.connect().catch((err) => {
        this.log?.warn({ err, attempt }, 'event bridge still cannot reach PostgreSQL; retrying');
        this.reconnect(attempt + 1);
      });
    }, wait).unref();
  }

  /** Whether live events currently cross processes (for health checks). */
  get connected(): boolean {
    return this.listener !== null;
  }

  private async flush(): Promise<void> {
    const events = this.pending;
    this.pending = [];
    if (this.undelivered) await this.notify({ o: this.origin, reset: true });
    const small: Omit<LiveEvent, 'id'>[] = [];
    const refs: number[] = [];
    for (const e of events) {
      const size = JSON.stringify(e).length;
      if (size < MAX_PAYLOAD - 200) small.push(e);
      else {
        try {
          const r = await this.store.db.insertInto('live_event').values({ brand_id: e.brandId, type: e.type, data: JSON.stringify(e), created_at: Date.now() }).returning('id').executeTakeFirstOrThrow();
          refs.push(r.id);
        } catch (err) {
          this.undelivered = true;
          this.log?.warn({ err }, 'could not relay a large live event to other processes');
        }
      }
    }
    const batches: Wire[] = [];
    let cur: Wire = { o: this.origin, e: [] };
    let size = 60;
    for (const e of small) {
      const s = JSON.stringify(e).length + 1;
      if (size + s > MAX_PAYLOAD && cur.e!.length) {
        batches.push(cur);
        cur = { o: this.origin, e: [] };
        size = 60;
      }
      cur.e!.push(e);
      size += s;
    }
    if (cur.e!.length) batches.push(cur);
    if (refs.length) batches.push({ o: this.origin, ref: refs });
    for (const b of batches) await this.notify(b);
  }

  private async receive(payload: string): Promise<void> {
    let w: Wire;
    try {
      w = JSON.parse(payload) as Wire;
    } catch {
      return;
    }
    if (w.o === this.origin) return;
    if (w.reset) this.bus.resetAll();
    for (const e of w.e ?? []) this.bus.publishRemote(e);
    if (w.ref?.length) {
      const rows = await this.store.db.selectFrom('live_event').select('data').where('id', 'in', w.ref).execute();
      for (const r of rows) this.bus.publishRemote(JSON.parse(r.data));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.bus.onLocalPublish = null;
    await this.flushing;
    await this.listener?.end().catch(() => {});
  }
}
