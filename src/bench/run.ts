/**
 * `npm run bench` / `parley bench [--quick] [--json] [--only a,b]`: every figure
 * measured in one run on this machine, each next to a baseline measured in the
 * same run, printed as a markdown table and written (JSON + markdown) under
 * bench/results/. Sizes: full = the targets' scale (1,000,000 messages and
 * conversations); --quick = a scaled-down run in under two minutes.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { openStore, type Store } from '../store/db.js';
import { startPostgres, type RunningPostgres } from '../lib/services.js';
import { repoRoot } from '../lib/paths.js';
import type { TriageFn } from '../pipeline/ingest.js';
import { benchIngest } from './ingest.js';
import { benchInbox } from './inbox.js';
import { benchBurst, benchLatencyAndMemory, benchReports, benchSearch, benchTriage, seedLarge } from './sections.js';

export const SECTIONS = ['ingest', 'triage', 'search', 'reports', 'latency', 'inbox', 'burst'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  quick: boolean;
  only?: Section[];
  log?: (line: string) => void;
  triage?: TriageFn;
}

export interface BenchTarget {
  key: string;
  target: string;
  ok: (v: number) => boolean;
}

export const TARGETS: BenchTarget[] = [
  { key: 'ingest.sqlite.msgs_per_s', target: '≥ 10,000', ok: (v) => v >= 10_000 },
  { key: 'ingest.sqlite.ratio', target: '≥ 0.3', ok: (v) => v >= 0.3 },
  { key: 'ingest.postgres.msgs_per_s', target: '≥ 5,000', ok: (v) => v >= 5_000 },
  { key: 'ingest.postgres.ratio', target: '≥ 0.3', ok: (v) => v >= 0.3 },
  { key: 'latency.p99_ms', target: '≤ 100', ok: (v) => v <= 100 },
  { key: 'search.p95_ms', target: '≤ 50', ok: (v) => v <= 50 },
  { key: 'reports.max_ms', target: '≤ 1000', ok: (v) => v <= 1000 },
  { key: 'memory.rss_mb', target: '≤ 512', ok: (v) => v <= 512 },
  { key: 'triage.ms_per_item', target: '≤ 0.1 (10k/s)', ok: (v) => v <= 0.1 },
  { key: 'inbox.first_page_ms', target: '< 1000', ok: (v) => v < 1000 },
  { key: 'burst.lost', target: '0', ok: (v) => v === 0 },
];

function flatten(obj: Record<string, unknown>, prefix = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v && typeof v === 'object' && !Array.isArray(v)) Object.assign(out, flatten(v as Record<string, unknown>, `${prefix}${k}.`));
    else out[`${prefix}${k}`] = v;
  }
  return out;
}

export function markdownTable(results: Record<string, unknown>, meta: Record<string, unknown>): string {
  const flat = flatten(results);
  const lines = [
    `# Parley benchmark — ${meta.mode} run, ${meta.date}`,
    '',
    `Machine: ${meta.cpus} × ${meta.cpu}, ${meta.memory_gb} GB RAM, Node ${meta.node}. Sizes: ${JSON.stringify(meta.sizes)}.`,
    '',
    '| figure | value | target | baseline in the same run |',
    '|---|---:|---|---|',
  ];
  // CPU a message while measured: the pipeline's thread, the process's other threads, PostgreSQL
  const cpuNote = (db: string) => {
    const t = flat[`ingest.${db}.cpu_us_per_msg.pipeline_thread`];
    if (t === undefined) return '';
    const pg = flat[`ingest.${db}.cpu_us_per_msg.postgres`];
    return `; CPU µs a message: pipeline thread ${fmt(t)}, other threads ${fmt(flat[`ingest.${db}.cpu_us_per_msg.other_threads`])}${pg === undefined ? '' : `, PostgreSQL ${fmt(pg)}`}`;
  };
  // the diagnostic second baseline: every row the pipeline wrote, written bare
  const allRowsNote = (db: string) => {
    const v = flat[`ingest.${db}.all_rows.msgs_per_s`];
    return v === undefined ? '' : `; all its rows (${fmt(flat[`ingest.${db}.all_rows.rows_per_msg`])} a message) written bare: ${fmt(v)} msg/s (ratio ${fmt(flat[`ingest.${db}.all_rows.ratio`])})`;
  };
  const baseline: Record<string, string> = {
    'ingest.sqlite.msgs_per_s': `bare insert ${fmt(flat['ingest.sqlite.bare_rows_per_s'])} rows/s (ratio ${fmt(flat['ingest.sqlite.ratio'])})${allRowsNote('sqlite')}${cpuNote('sqlite')}`,
    'ingest.postgres.msgs_per_s': `COPY ${fmt(flat['ingest.postgres.bare_rows_per_s'])} rows/s (ratio ${fmt(flat['ingest.postgres.ratio'])})${allRowsNote('postgres')}${cpuNote('postgres')}`,
    'triage.ms_per_item': `VADER ${fmt(flat['triage.vader_ms_per_item'])} ms/message`,
    'search.p95_ms': `p50 ${fmt(flat['search.p50_ms'])} ms over ${fmt(flat['search.rows'])} messages`,
    'reports.max_ms': `over ${fmt(flat['reports.conversations'])} conversations`,
    'latency.p99_ms': `p50 ${fmt(flat['latency.p50_ms'])} ms, ${fmt(flat['latency.clients'])} clients at ${fmt(flat['latency.rate'])} msg/s; CPU: server ${fmt(flat['latency.server_cores'])} cores, the clients ${fmt(flat['latency.clients_cores'])}`,
    'memory.rss_mb': `${fmt(flat['memory.messages'])} messages stored, ${fmt(flat['latency.clients'])} clients`,
    'inbox.first_page_ms': `API first page ${fmt(flat['inbox.api_first_page_ms'])} ms (ratio ${fmt(flat['inbox.ratio'])}), cold ${fmt(flat['inbox.first_page_cold_ms'])} ms, ${fmt(flat['inbox.open_conversations'])} open conversations, ${fmt(flat['inbox.dom_rows'])} rows in the DOM`,
    'burst.lost': `${fmt(flat['burst.offered'])} offered at once, ${fmt(flat['burst.refused_503'])} × 503 + Retry-After, drained in ${fmt(flat['burst.drained_s'])} s`,
  };
  for (const t of TARGETS) {
    const v = flat[t.key];
    if (v === undefined) continue;
    const ok = typeof v === 'number' && t.ok(v);
    lines.push(`| \`${t.key}\` | ${fmt(v)} | ${t.target} ${ok ? '✅' : '❌'} | ${baseline[t.key] ?? ''} |`);
  }
  const per = Object.entries(flat).filter(([k]) => k.startsWith('reports.by_report_ms.'));
  if (per.length) lines.push('', 'Reports (ms): ' + per.map(([k, v]) => `${k.split('.').pop()} ${fmt(v)}`).join(', '));
  if (flat['inbox.skipped']) lines.push('', `Inbox: skipped (${flat['inbox.skipped']}).`);
  const failures = Object.entries(flat).filter(([k]) => k.endsWith('.error'));
  if (failures.length) lines.push('', 'Failed sections: ' + failures.map(([k, v]) => `${k.split('.')[0]} (${v})`).join('; ') + '.');
  return lines.join('\n') + '\n';
}

function fmt(v: unknown): string {
  if (typeof v !== 'number') return v == null ? '—' : String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en');
  return Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(2) : v.toPrecision(2);
}

export async function runBench(opts: BenchOptions): Promise<{ results: Record<string, unknown>; markdown: string; files: string[] }> {
  const log = opts.log ?? (() => {});
  const want = (s: Section) => !opts.only || opts.only.includes(s);
  const sizes = opts.quick
    ? { ingest: 10_000, large: 100_000, inbox: 100_000, latencySeconds: 5, burst: { normalRate: 40, factor: 25, seconds: 5 } }
    : { ingest: 100_000, large: 1_000_000, inbox: 100_000, latencySeconds: 20, burst: { normalRate: 100, factor: 25, seconds: 10 } };
  const results: Record<string, any> = {};
  const scratch = mkdtempSync(join(tmpdir(), 'parley-bench-'));
  let pg: RunningPostgres | null = null;
  const stores: Store[] = [];
  const sqliteStore = async (name: string) => {
    const s = await openStore({ sqliteFile: join(scratch, `${name}.db`) });
    stores.push(s);
    return s;
  };
  const pgStore = async (name: string) => {
    pg ??= await startPostgres();
    const admin = await openStore({ databaseUrl: pg.url, migrate: false });
    await admin.pgPool!.query(`create database ${name}`);
    await admin.close();
    const u = new URL(pg.url);
    u.pathname = `/${name}`;
    const s = await openStore({ databaseUrl: u.toString() });
    stores.push(s);
    return { store: s, url: u.toString() };
  };
  /** A section that fails is reported as failed, and the others still run. */
  const guard = async (name: string, fn: () => Promise<void>) => {
    try {
      await fn();
    } catch (err) {
      results[name] = { ...(results[name] ?? {}), error: err instanceof Error ? `${err.message}${err.cause ? ` (${String((err.cause as Error).message ?? err.cause)})` : ''}` : String(err) };
      log(`  ${name} FAILED: ${results[name].error}`);
    }
  };
  try {
    if (want('ingest')) await guard('ingest', async () => {
      log(`ingest: ${sizes.ingest} messages through the pipeline, and bare inserts of the same rows (SQLite)…`);
      results.ingest = { sqlite: await benchIngest(await sqliteStore('ingest'), sizes.ingest, opts.triage) };
      log(`  sqlite ${JSON.stringify(results.ingest.sqlite)}`);
      log('ingest on PostgreSQL (COPY as the bare baseline)…');
      results.ingest.postgres = await benchIngest((await pgStore('bench_ingest')).store, sizes.ingest, opts.triage);
      log(`  postgres ${JSON.stringify(results.ingest.postgres)}`);
    });
    if (want('triage')) await guard('triage', async () => {
      log('triage: shipped model vs VADER on the same texts…');
      results.triage = await benchTriage(opts.triage, opts.quick ? 10_000 : 50_000);
    });
    if (want('search') || want('reports') || want('latency')) {
      log(`seeding ${sizes.large.toLocaleString('en')} conversations and messages (bare inserts)…`);
      const large = await sqliteStore('large');
      const seeded = await seedLarge(large, sizes.large);
      if (want('search')) await guard('search', async () => {
        log('search: full-text, newest first…');
        results.search = { ...(await benchSearch(large, seeded.brandId)), rows: sizes.large };
      });
      if (want('reports')) await guard('reports', async () => {
        log('reports: every report over the whole period…');
        results.reports = { ...(await benchReports(large, seeded.brandId)), conversations: sizes.large };
      });
      if (want('latency')) await guard('latency', async () => {
        log('latency: 50 SSE clients, 1,000 messages/s, and the server\'s peak memory…');
        const acct = seeded.accountId;
        const admin = await large.db.selectFrom('app_user').select('email').where('id', '=', seeded.adminId).executeTakeFirstOrThrow();
        process.env.BENCH_ADMIN_EMAIL = admin.email;
        process.env.BENCH_ACCOUNT_ID = String(acct);
        await large.close();
        stores.splice(stores.indexOf(large), 1);
        // the server opens scratch/parley.db: move the seeded store there
        rmSync(join(scratch, 'parley.db'), { force: true });
        const { renameSync, existsSync } = await import('node:fs');
        renameSync(join(scratch, 'large.db'), join(scratch, 'parley.db'));
        for (const ext of ['-wal', '-shm']) if (existsSync(join(scratch, `large.db${ext}`))) renameSync(join(scratch, `large.db${ext}`), join(scratch, `parley.db${ext}`));
        const lm = await benchLatencyAndMemory({ dataDir: scratch, seedMessages: sizes.large, clients: Number(process.env.PARLEY_BENCH_CLIENTS ?? 50), rate: Number(process.env.PARLEY_BENCH_RATE ?? 1000), seconds: Number(process.env.PARLEY_BENCH_LATENCY_SECONDS ?? sizes.latencySeconds) });
        results.latency = lm.latency;
        results.memory = { ...lm.memory, messages: sizes.large };
      });
    }
    if (want('inbox')) await guard('inbox', async () => {
      log(`inbox: first page in Chromium with ${sizes.inbox.toLocaleString('en')} open conversations…`);
      const dir = join(scratch, 'inbox');
      mkdirSync(dir, { recursive: true });
      const s = await openStore({ sqliteFile: join(dir, 'parley.db') });
      let email: string;
      try {
        const seeded = await seedLarge(s, sizes.inbox, { openOnly: true });
        email = (await s.db.selectFrom('app_user').select('email').where('id', '=', seeded.adminId).executeTakeFirstOrThrow()).email;
      } finally {
        await s.close();
      }
      results.inbox = await benchInbox({ dataDir: dir, adminEmail: email, openConversations: sizes.inbox });
      log(`  ${JSON.stringify(results.inbox)}`);
    });
    if (want('burst')) await guard('burst', async () => {
      log('burst: 25× the normal rate offered at once, with back-pressure…');
      results.burst = await benchBurst(await sqliteStore('burst'), sizes.burst);
    });
  } finally {
    for (const s of stores) await s.close().catch(() => {});
    (pg as RunningPostgres | null)?.stop();
    rmSync(scratch, { recursive: true, force: true });
  }
  const meta = { mode: opts.quick ? 'quick' : 'full', date: new Date().toISOString(), cpus: cpus().length, cpu: cpus()[0]?.model ?? '?', memory_gb: Math.round(totalmem() / 2 ** 30), node: process.version, sizes };
  const markdown = markdownTable(results, meta);
  const dir = join(repoRoot, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const stamp = meta.date.replace(/[:.]/g, '-');
  // a partial run (--only) never replaces the latest complete one
  const tag = opts.only ? `${meta.mode}-${opts.only.join('+')}` : meta.mode;
  const files = [join(dir, `${stamp}-${tag}.json`), join(dir, `${stamp}-${tag}.md`), ...(opts.only ? [] : [join(dir, `latest-${meta.mode}.json`), join(dir, `latest-${meta.mode}.md`)])];
  const json = JSON.stringify({ meta: { ...meta, only: opts.only ?? null }, ...results }, null, 2) + '\n';
  for (const f of files) writeFileSync(f, f.endsWith('.json') ? json : markdown);
  return { results: { meta, ...results }, markdown, files };
}
