import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../src/events/bus.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { ManualClock } from '../src/lib/clock.js';
import { sharedDataFile } from '../src/lib/paths.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { PlannerStatistics } from '../src/store/statistics.js';
import { createTestDatabase, type TestDatabase } from './db.js';

// PostgreSQL only: SQLite plans these lookups on all three index columns without statistics.
describe('planner statistics while tables grow (PostgreSQL)', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    // autovacuum would analyze on its own schedule (once a minute): keep it out of the way
    for (const table of ['message', 'conversation', 'contact_identity', 'contact', 'reporting_fact']) await t.store.pgPool!.query(`alter table ${table} set (autovacuum_enabled = false)`);
  });
  afterAll(() => t?.drop());

  /** The plan of the pipeline's dedupe lookup for 100 of a brand's messages. */
  async function lookupPlan(brandSlug: string): Promise<string> {
    const pool = t.store.pgPool!;
    const brand = (await pool.query('select id from brand where slug = $1', [brandSlug])).rows[0]!.id;
    const ids = (await pool.query('select network_message_id from message where brand_id = $1 order by id limit 100', [brand])).rows.map((r) => r.network_message_id);
    const plan = await pool.query('explain select id, conversation_id from message where brand_id = $1 and network = $2 and network_message_id = any($3)', [brand, 'x', ids]);
    return plan.rows.map((r) => r['QUERY PLAN']).join('\n');
  }

  it('analyzes a table once it has grown enough, so lookups use the whole unique index', async () => {
    const { store } = t;
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(Date.UTC(2026, 10, 23, 12)) });
    const file = sharedDataFile('twcs/twcs_head5k.csv');

    // without it: never analyzed, the lookup finds the brand's rows by the index and filters them all
    const keeper = store.statistics!;
    store.statistics = undefined;
    await importTwcs(store, pipeline, file, { brandSlug: 'acme' });
    const before = await lookupPlan('acme');
    expect(before).toMatch(/Filter: \(network_message_id = ANY/);
    expect(keeper.analyzed).toEqual([]);

    // with it (a lower threshold than the default 5,000 rows, for a small test): a second brand's import makes the tables due
    const stats = new PlannerStatistics(store.db, { minRows: 1000 });
    store.statistics = stats;
    await importTwcs(store, pipeline, file, { brandSlug: 'other' });
    await stats.idle();
    expect(stats.analyzed).toContain('message');
    expect(stats.analyzed).toContain('contact_identity');
    const after = await lookupPlan('acme');
    expect(after).toMatch(/Index Cond: \(.*network_message_id = ANY/);
    expect(after).not.toMatch(/Filter: \(network_message_id/);
    const analyzedAt = (await store.pgPool!.query("select last_analyze from pg_stat_user_tables where relname = 'message'")).rows[0]!.last_analyze;
    expect(analyzedAt).not.toBeNull();
    // the looked-up columns have statistics; the wide ones (text, triage, the full-text vector) are left to autovacuum
    const withStats = new Set((await store.pgPool!.query("select attname from pg_stats where tablename = 'message'")).rows.map((r) => r.attname as string));
    for (const c of ['brand_id', 'network', 'network_message_id', 'conversation_id', 'in_reply_to_network_id', 'created_at']) expect(withStats).toContain(c);
    for (const c of ['text', 'triage', 'raw', 'search']) expect(withStats).not.toContain(c);
    // from a smaller sample than the default target's (at most 31 histogram bounds instead of 101)
    const bounds = (await store.pgPool!.query("select array_length(histogram_bounds, 1) as n from pg_stats where tablename = 'message' and attname = 'created_at'")).rows[0]!.n;
    expect(bounds).toBeGreaterThan(2);
    expect(bounds).toBeLessThanOrEqual(31);
  });

  it('waits for half the rows it knew before analyzing a table again', async () => {
    const stats = new PlannerStatistics(t.store.db, { minRows: 1000 });
    const rows = Number((await t.store.pgPool!.query("select reltuples from pg_class where relname = 'message'")).rows[0]!.reltuples);
    expect(rows).toBeGreaterThan(4000); // counted during the second import above
    stats.count('message', Math.floor(rows * 0.5) - 10);
    stats.check();
    await stats.idle();
    expect(stats.analyzed).toEqual([]);
    stats.count('message', 20);
    stats.count('audit_event', 1_000_000); // not a watched table
    stats.check();
    await stats.idle();
    expect(stats.analyzed).toEqual(['message']);
  });

  it('reports a failed ANALYZE and keeps going', async () => {
    const u = new URL(t.databaseUrl!);
    u.pathname = '/parley_no_such_database';
    const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: u.toString(), max: 1 }) }) });
    const stats = new PlannerStatistics(db, { minRows: 10 });
    const errors: unknown[] = [];
    stats.onError = (err) => errors.push(err);
    stats.count('message', 100);
    stats.check();
    await stats.idle();
    expect(errors).toHaveLength(1);
    expect(String((errors[0] as Error).message)).toMatch(/parley_no_such_database/);
    expect(stats.analyzed).toEqual([]);
    await db.destroy();
  });
});
