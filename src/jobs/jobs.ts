/**
 * Background jobs on the database. One-off jobs (SLA timers, delayed
 * auto-acknowledgements...) are scheduled with an optional key: scheduling the
 * same key again replaces the pending job, so a timer is simply moved. Each job
 * runs once: on SQLite through the `job` table and this process's scheduler; on
 * PostgreSQL through graphile-worker, so several Parley processes share the work
 * and never run a job twice. Recurring sweeps (`every`) run in one process at a
 * time (a PostgreSQL advisory lock).
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/db.js';
import { chunks, insertRows, type Tx } from '../store/util.js';
import { graphileLogLevel, type GraphileLevel } from './graphileLog.js';

export type JobHandler = (payload: any, ctx: { attempt: number }) => Promise<void>;

export interface AddOptions {
  runAt?: number;
  /** One pending job per key: adding it again replaces the payload and time. */
  key?: string;
  maxAttempts?: number;
}

export interface Jobs {
  register(kind: string, handler: JobHandler): void;
  every(name: string, everyMs: number, fn: () => Promise<void>): void;
  add(kind: string, payload: object, opts?: AddOptions): Promise<void>;
  /** Schedule many keyed jobs at once (SLA timers after an ingest batch). */
  addMany(jobs: { kind: string; payload: object; runAt: number; key: string }[]): Promise<void>;
  /** The same, inside the caller's transaction: the timers exist exactly when the change that set them commits. */
  addManyIn(trx: Tx, jobs: { kind: string; payload: object; runAt: number; key: string }[]): Promise<void>;
  /** Drop pending keyed jobs, inside the caller's transaction. */
  cancelManyIn(trx: Tx, keys: string[]): Promise<void>;
  /** Drop the pending job with this key, if any. */
  cancel(key: string): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Run what is due now, once (tests and `every`-less setups). */
  runDue(): Promise<number>;
}

interface Log {
  warn(o: unknown, m?: string): void;
  error(o: unknown, m?: string): void;
}

abstract class BaseJobs implements Jobs {
  protected readonly handlers = new Map<string, JobHandler>();
  protected readonly recurring: { name: string; everyMs: number; fn: () => Promise<void>; timer?: NodeJS.Timeout; running?: boolean }[] = [];
  protected stopped = true;

  constructor(protected readonly store: Store, protected readonly log?: Log) {}

  register(kind: string, handler: JobHandler): void {
    this.handlers.set(kind, handler);
  }

  every(name: string, everyMs: number, fn: () => Promise<void>): void {
    this.recurring.push({ name, everyMs, fn });
  }

  protected startRecurring() {
    for (const r of this.recurring) {
      const tick = async () => {
        if (this.stopped || r.running) return;
        r.running = true;
        try {
          await this.exclusively(r.name, r.fn);
        } catch (err) {
          this.log?.error({ err, job: r.name }, 'recurring job failed');
        } finally {
          r.running = false;
        }
      };
      r.timer = setInterval(() => void tick(), r.everyMs);
      r.timer.unref();
    }
  }

  protected async stopRecurring() {
    for (const r of this.recurring) if (r.timer) clearInterval(r.timer);
    while (this.recurring.some((r) => r.running)) await new Promise((res) => setTimeout(res, 10));
  }

  /** Run fn in at most one process at a time. */
  protected async exclusively(name: string, fn: () => Promise<void>): Promise<void> {
    if (this.store.dialect !== 'postgres') return fn();
    const client = await this.store.pgPool!.connect();
    try {
      const r = await client.query<{ ok: boolean }>('select pg_try_advisory_lock(872100, hashtext($1)) as ok', [name]);
      if (!r.rows[0]?.ok) return;
      try {
        await fn();
      } finally {
        await client.query('select pg_advisory_unlock(872100, hashtext($1))', [name]);
      }
    } finally {
      client.release();
    }
  }

  abstract add(kind: string, payload: object, opts?: AddOptions): Promise<void>;
  abstract addManyIn(trx: Tx, jobs: { kind: string; payload: object; runAt: number; key: string }[]): Promise<void>;
  abstract cancelManyIn(trx: Tx, keys: string[]): Promise<void>;

  async addMany(jobs: { kind: string; payload: object; runAt: number; key: string }[]): Promise<void> {
    for (const j of jobs) await this.add(j.kind, j.payload, { runAt: j.runAt, key: j.key });
  }
  abstract cancel(key: string): Promise<void>;
  abstract start(): Promise<void>;
  abstract stop(): Promise<void>;
  abstract runDue(): Promise<number>;
}

/** The `job` table, polled by this process (SQLite; or PostgreSQL in tests with a hand-driven clock). */
export class TableJobs extends BaseJobs {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private readonly workerId = `jobs-${process.pid}-${randomUUID().slice(0, 8)}`;

  constructor(store: Store, private readonly clock: Clock, log?: Log, private readonly pollMs = 250) {
    super(store, log);
  }

  async add(kind: string, payload: object, opts: AddOptions = {}): Promise<void> {
    const now = this.clock.now();
    const row = { kind, key: opts.key ?? null, payload: JSON.stringify(payload), run_at: opts.runAt ?? now, attempts: 0, max_attempts: opts.maxAttempts ?? 10, created_at: now, locked_until: null, locked_by: null, last_error: null };
    if (!opts.key) {
      await this.store.db.insertInto('job').values(row).execute();
      return;
    }
    await this.store.db
      .insertInto('job')
      .values(row)
      .onConflict((oc) => oc.column('key').doUpdateSet({ kind, payload: row.payload, run_at: row.run_at, attempts: 0, max_attempts: row.max_attempts, created_at: now, last_error: null }))
      .execute();
  }

  async cancel(key: string): Promise<void> {
    await this.store.db.deleteFrom('job').where('key', '=', key).execute();
  }

  /** One upsert per job on a cached statement (SQLite) or multi-row (PostgreSQL), in one transaction. */
  override async addMany(jobs: { kind: string; payload: object; runAt: number; key: string }[]): Promise<void> {
    if (!jobs.length) return;
    await this.store.db.transaction().execute((trx) => this.addManyIn(trx, jobs));
  }

  async addManyIn(trx: Tx, jobs: { kind: string; payload: object; runAt: number; key: string }[]): Promise<void> {
    if (!jobs.length) return;
    const now = this.clock.now();
    const rows = jobs.map((j) => ({ kind: j.kind, key: j.key, payload: JSON.stringify(j.payload), run_at: j.runAt, attempts: 0, max_attempts: 10, created_at: now, last_error: null }));
    await insertRows(trx, this.store, 'job', rows, { upsertOn: 'key', upsertColumns: ['kind', 'payload', 'run_at', 'attempts', 'max_attempts', 'created_at', 'last_error'] });
  }

  async cancelManyIn(trx: Tx, keys: string[]): Promise<void> {
    for (const part of chunks(keys, 500)) await trx.deleteFrom('job').where('key', 'in', part).execute();
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.startRecurring();
    const loop = async () => {
      if (this.stopped) return;
      try {
        await this.runDue();
      } catch (err) {
        this.log?.error({ err }, 'job loop failed');
      }
      if (!this.stopped) this.timer = setTimeout(() => void loop(), this.pollMs);
    };
    void loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.stopRecurring();
    while (this.running) await new Promise((r) => setTimeout(r, 10));
  }

  async runDue(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let n = 0;
    try {
      for (;;) {
        const now = this.clock.now();
        const claimed = await this.store.db.transaction().execute(async (trx) => {
          let q = trx
            .selectFrom('job')
            .selectAll()
            .where('run_at', '<=', now)
            .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<', now)]))
            .orderBy('run_at')
            .limit(20);
          if (this.store.dialect === 'postgres') q = q.forUpdate().skipLocked();
          const rows = await q.execute();
          for (const r of rows) await trx.updateTable('job').set({ locked_until: now + 300_000, locked_by: this.workerId, attempts: r.attempts + 1 }).where('id', '=', r.id).execute();
          return rows;
        });
        if (!claimed.length) break;
        for (const job of claimed) {
          const handler = this.handlers.get(job.kind);
          try {
            if (!handler) throw new Error(`no handler for job kind "${job.kind}"`);
            await handler(JSON.parse(job.payload), { attempt: job.attempts + 1 });
            // delete unless it was rescheduled (same key) while running
            await this.store.db.deleteFrom('job').where('id', '=', job.id).where('created_at', '=', job.created_at).where('locked_by', '=', this.workerId).execute();
          } catch (err) {
            const attempts = job.attempts + 1;
            const dead = attempts >= job.max_attempts;
            await this.store.db
              .updateTable('job')
              .set({ locked_until: null, locked_by: null, last_error: String((err as Error)?.message ?? err).slice(0, 2000), run_at: dead ? 8.64e15 : this.clock.now() + Math.min(600_000, 1000 * 2 ** attempts) })
              .where('id', '=', job.id)
              .where('created_at', '=', job.created_at)
              .execute();
            this.log?.warn({ err, kind: job.kind, attempts, dead }, 'job failed');
          }
          n++;
        }
      }
    } finally {
      this.running = false;
    }
    return n;
  }
}

/** graphile-worker on PostgreSQL: jobs shared by every Parley process, each run once. */
export class GraphileJobs extends BaseJobs {
  private runner: import('graphile-worker').Runner | null = null;
  private utils: import('graphile-worker').WorkerUtils | null = null;

  constructor(store: Store, private readonly concurrency = 4, log?: Log) {
    super(store, log);
  }

  private async workerUtils() {
    if (!this.utils) {
      const { makeWorkerUtils } = await import('graphile-worker');
      this.utils = await makeWorkerUtils({ pgPool: this.store.pgPool! as never });
      await this.utils.migrate();
    }
    return this.utils;
  }

  async add(kind: string, payload: object, opts: AddOptions = {}): Promise<void> {
    const spec = { runAt: opts.runAt ? new Date(opts.runAt) : undefined, jobKey: opts.key, jobKeyMode: 'replace' as const, maxAttempts: opts.maxAttempts ?? 10 };
    if (this.runner) await this.runner.addJob(kind, payload, spec);
    else await (await this.workerUtils()).addJob(kind, payload, spec);
  }

  /** One round trip for a whole batch (graphile-worker's add_jobs); keyed jobs are replaced. */
  override async addMany(jobs: { kind: string; payload: object; runAt: number; key: string }[]): Promise<void> {
    if (!jobs.length) return;
    await (await this.workerUtils()).addJobs(jobs.map((j) => ({ identifier: j.kind, payload: j.payload, runAt: new Date(j.runAt), jobKey: j.key, maxAttempts: 10 })));
  }

  /** graphile-worker's add_jobs is SQL: called in the caller's transaction, timers commit with the change. */
  async addManyIn(trx: Tx, jobs: { kind: string; payload: object; runAt: number; key: string }[]): Promise<void> {
    if (!jobs.length) return;
    await this.workerUtils(); // schema installed
    const specs = jobs.map((j) => ({ identifier: j.kind, payload: j.payload, run_at: new Date(j.runAt).toISOString(), job_key: j.key, max_attempts: 10 }));
    await sql`select * from graphile_worker.add_jobs(array(select json_populate_recordset(null::graphile_worker.job_spec, ${JSON.stringify(specs)}::json)), false)`.execute(trx);
  }

  async cancelManyIn(trx: Tx, keys: string[]): Promise<void> {
    if (!keys.length) return;
    await this.workerUtils();
    for (const part of chunks(keys, 500)) await sql`select graphile_worker.remove_job(k) from unnest(${part}::text[]) as k`.execute(trx);
  }

  async cancel(key: string): Promise<void> {
    await sql`select graphile_worker.remove_job(${key})`.execute(this.store.db).catch(async () => {
      await (await this.workerUtils()).withPgClient((c) => c.query('select graphile_worker.remove_job($1)', [key]));
    });
  }

  async start(): Promise<void> {
    this.stopped = false;
    const { run, Logger } = await import('graphile-worker');
    const taskList: Record<string, (payload: unknown, helpers: { job: { attempts: number } }) => Promise<void>> = {};
    for (const [kind, h] of this.handlers) taskList[kind] = (payload, helpers) => h(payload, { attempt: helpers.job.attempts });
    const quiet = new Logger(() => (level, message, meta) => {
      const at = graphileLogLevel(level as GraphileLevel, message);
      if (at) this.log?.[at]({ meta }, `jobs: ${message}`);
    });
    this.runner = await run({ pgPool: this.store.pgPool! as never, taskList: taskList as never, concurrency: this.concurrency, noHandleSignals: true, pollInterval: 1000, logger: quiet });
    this.startRecurring();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.stopRecurring();
    await this.runner?.stop();
    this.runner = null;
    await this.utils?.release();
    this.utils = null;
  }

  /** graphile-worker runs jobs as they fall due; nothing to drive by hand. */
  async runDue(): Promise<number> {
    return 0;
  }
}

export function createJobs(store: Store, clock: Clock, log?: Log, kind = process.env.PARLEY_JOBS): Jobs {
  if (store.dialect === 'postgres' && kind !== 'table') return new GraphileJobs(store, 4, log);
  return new TableJobs(store, clock, log);
}
