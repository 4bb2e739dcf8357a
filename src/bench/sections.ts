/**
 * Benchmark sections other than ingest: live-event latency to 50 SSE clients,
 * full-text search over a large store, every report over many conversations,
 * triage speed against VADER, server memory, and a burst absorbed with
 * back-pressure. Each returns plain numbers; run.ts assembles the report.
 */
import { spawn } from 'node:child_process';
import { get as httpGet, type ClientRequest } from 'node:http';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { createBrand, createChannelAccount, createTeam, createUser } from '../commands/setup.js';
import { createParley } from '../app.js';
import { loadConfig } from '../config.js';
import type { TriageFn } from '../pipeline/ingest.js';
import { REPORTS, runReport } from '../reports/reports.js';
import type { Store } from '../store/db.js';
import { searchMessageIds } from '../store/queries.js';
import { freePort } from '../lib/services.js';
import { messageStream, realTexts } from './data.js';
import { percentileOf, procCpuUs } from './stats.js';
import { encodeText } from '../store/text.js';
import { indexPending } from '../store/fts.js';
import { rebuildRollups } from '../store/rollup.js';
import { localParts } from '../lib/tz.js';
import { repoRoot } from '../lib/paths.js';

export const PASSWORD = 'bench-password-123';

/** Fill a store fast (bare inserts) with `n` conversations of ~`perConv` messages and their facts. */
export async function seedLarge(store: Store, n: number, opts: { perConv?: number; slug?: string; openOnly?: boolean } = {}) {
  const perConv = opts.perConv ?? 1;
  const now = Date.now();
  const brandId = await createBrand(store.db, { slug: opts.slug ?? `large-${now}`, name: 'Large' }, now);
  const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'LargeCare', driver: 'demo' }, now);
  const teamId = await createTeam(store.db, { brandId, name: 'Care' }, now);
  const agentIds: number[] = [];
  for (let i = 0; i < 50; i++) agentIds.push(await createUser(store.db, { brandId, email: `agent${i}-${now}@bench.test`, name: `Agent ${i}`, role: 'agent', password: i === 0 ? PASSWORD : null }, now));
  const adminId = await createUser(store.db, { brandId, email: `admin-${now}@bench.test`, name: 'Bench Admin', role: 'admin', password: PASSWORD }, now);
  const texts = realTexts();
  const t0 = now - 90 * 24 * 3600_000;
  const span = 90 * 24 * 3600_000;
  const statuses = opts.openOnly ? ['new', 'open', 'open'] : ['new', 'open', 'waiting', 'resolved', 'resolved', 'resolved'];
  const cats = ['customer_service', 'customer_service', 'brand', 'spam', 'other'];
  const sents = ['negative', 'neutral', 'positive'];
  if (store.dialect === 'sqlite') {
    const db = store.sqlite!;
    const conv = db.prepare(`insert into conversation (id, brand_id, channel_account_id, contact_id, network, visibility, status, priority, assignee_id, team_id, subject, created_at, updated_at, last_message_at, waiting_since, cycle_started_at, reopened_count, message_count, version, sentiment, category)
      values (?, ?, ?, null, 'x', 'public', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 1, ?, ?)`);
    const msg = db.prepare(`insert into message (brand_id, conversation_id, channel_account_id, network, network_message_id, direction, visibility, kind, text, created_at, received_at, status, is_auto, source)
      values (?, ?, ?, 'x', ?, ?, 'public', 'mention', ?, ?, ?, ?, 0, 'import')`);
    const fact = db.prepare(`insert into reporting_fact (brand_id, kind, occurred_at, conversation_id, agent_id, team_id, channel_account_id, network, visibility, priority, category, value_s, business_s, hour_of_week, day, needs_response, sentiment)
      values (?, ?, ?, ?, ?, ?, ?, 'x', 'public', ?, ?, ?, ?, ?, ?, ?, ?)`);
    const base = ((db.prepare('select max(id) m from conversation').get() as { m: number | null }).m ?? 0) + 1;
    const batch = db.transaction((from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const id = base + i;
        const created = t0 + Math.floor((i / n) * span);
        const status = statuses[i % statuses.length]!;
        const agent = agentIds[i % agentIds.length]!;
        const lp = localParts('UTC', created);
        conv.run(id, brandId, accountId, status, i % 100, status === 'new' ? null : agent, teamId, texts[i % texts.length]!.slice(0, 200), created, created, created + 600_000, status === 'resolved' ? null : created, created, perConv, sents[i % 3], cats[i % cats.length]);
        for (let k = 0; k < perConv; k++) msg.run(brandId, id, accountId, `L${brandId}-${i}-${k}`, k % 2 ? 'outbound' : 'inbound', texts[(i * 7 + k) % texts.length]!, created + k * 60_000, created, k % 2 ? 'sent' : 'received');
        fact.run(brandId, 'inbound', created, id, null, teamId, accountId, i % 100, cats[i % cats.length], null, null, lp.hourOfWeek, lp.day, i % 4 ? 1 : 0, sents[i % 3]);
        if (i % 4) {
          const v = 60 + ((i * 7919) % 7200);
          fact.run(brandId, 'first_response', created + v * 1000, id, agent, teamId, accountId, i % 100, cats[i % cats.length], v, v, lp.hourOfWeek, lp.day, null, null);
          fact.run(brandId, 'message_response', created + v * 1000, id, agent, teamId, accountId, i % 100, cats[i % cats.length], v, v, lp.hourOfWeek, lp.day, 1, null);
          // the answered message's own inbound fact, copied (response rate counts by arrival)
          fact.run(brandId, 'message_answered', created, id, null, teamId, accountId, i % 100, cats[i % cats.length], null, null, lp.hourOfWeek, lp.day, 1, sents[i % 3]);
        }
        if (status === 'resolved') fact.run(brandId, 'resolution', created + 3600_000, id, agent, teamId, accountId, i % 100, cats[i % cats.length], 3600, 3600, lp.hourOfWeek, lp.day, null, null);
      }
    });
    for (let i = 0; i < n; i += 5000) batch(i, Math.min(n, i + 5000));
    await indexPending(store);
    await rebuildRollups(store, brandId);
    await store.db.deleteFrom('kv').where('key', '=', 'rollup.rebuild').execute(); // counted: the server need not rebuild at start
  } else {
    // PostgreSQL: generate_series on the server (the text column cycles through real texts)
    const client = await store.pgPool!.connect();
    try {
      await client.query('create temp table bench_texts (i int primary key, t text)');
      const sample = texts.slice(0, 2000);
      await client.query(`insert into bench_texts select i - 1, t from unnest($1::text[]) with ordinality as u(t, i)`, [sample.map((t) => encodeText(t).text)]);
      const k = sample.length;
      await client.query(`insert into conversation (brand_id, channel_account_id, network, visibility, status, priority, assignee_id, team_id, subject, created_at, updated_at, last_message_at, waiting_since, cycle_started_at, reopened_count, message_count, version, sentiment, category)
        select $1, $2, 'x', 'public', (array['new','open','waiting','resolved','resolved','resolved'])[1 + g % 6], g % 100, case when g % 6 = 0 then null else ($3::bigint[])[1 + g % 50] end, $4, left(t.t, 200),
          $5::bigint + (g::bigint * $6::bigint / $7::bigint), $5::bigint + (g::bigint * $6::bigint / $7::bigint), $5::bigint + (g::bigint * $6::bigint / $7::bigint) + 600000, null, $5::bigint + (g::bigint * $6::bigint / $7::bigint), 0, 1, 1,
          (array['negative','neutral','positive'])[1 + g % 3], (array['customer_service','customer_service','brand','spam','other'])[1 + g % 5]
        from generate_series(0, $7::int - 1) g join bench_texts t on t.i = g % ${k}`, [brandId, accountId, agentIds, teamId, t0, span, n]);
      await client.query(`insert into message (brand_id, conversation_id, channel_account_id, network, network_message_id, direction, visibility, kind, text, created_at, received_at, status, is_auto, source)
        select c.brand_id, c.id, c.channel_account_id, 'x', 'L' || c.id, 'inbound', 'public', 'mention', t.t, c.created_at, c.created_at, 'received', 0, 'import'
        from conversation c join bench_texts t on t.i = c.id % ${k} where c.brand_id = $1`, [brandId]);
      await client.query(`insert into reporting_fact (brand_id, kind, occurred_at, conversation_id, agent_id, team_id, channel_account_id, network, visibility, priority, category, value_s, business_s, hour_of_week, day, needs_response, sentiment)
        select brand_id, 'inbound', created_at, id, null, team_id, channel_account_id, 'x', 'public', priority, category, null, null,
          ((extract(isodow from to_timestamp(created_at / 1000.0) at time zone 'UTC')::int - 1) * 24 + extract(hour from to_timestamp(created_at / 1000.0) at time zone 'UTC')::int),
          to_char(to_timestamp(created_at / 1000.0) at time zone 'UTC', 'YYYY-MM-DD'), case when id % 4 = 0 then 0 else 1 end, sentiment
        from conversation where brand_id = $1`, [brandId]);
      await client.query(`insert into reporting_fact (brand_id, kind, occurred_at, conversation_id, agent_id, team_id, channel_account_id, network, visibility, priority, category, value_s, business_s, hour_of_week, day, needs_response, sentiment)
        select brand_id, k.kind, created_at + (60 + (id * 7919) % 7200) * 1000, id, assignee_id, team_id, channel_account_id, 'x', 'public', priority, category, 60 + (id * 7919) % 7200, 60 + (id * 7919) % 7200,
          ((extract(isodow from to_timestamp(created_at / 1000.0) at time zone 'UTC')::int - 1) * 24 + extract(hour from to_timestamp(created_at / 1000.0) at time zone 'UTC')::int),
          to_char(to_timestamp(created_at / 1000.0) at time zone 'UTC', 'YYYY-MM-DD'), case when k.kind = 'message_response' then 1 else null end, null
        from conversation, (values ('first_response'), ('message_response')) k(kind) where brand_id = $1 and id % 4 <> 0`, [brandId]);
      // the answered messages' own inbound facts, copied (response rate counts by arrival)
      await client.query(`insert into reporting_fact (brand_id, kind, occurred_at, conversation_id, agent_id, team_id, channel_account_id, network, visibility, priority, category, value_s, business_s, hour_of_week, day, needs_response, sentiment)
        select brand_id, 'message_answered', occurred_at, conversation_id, agent_id, team_id, channel_account_id, network, visibility, priority, category, null, null, hour_of_week, day, needs_response, sentiment
        from reporting_fact where brand_id = $1 and kind = 'inbound' and conversation_id % 4 <> 0`, [brandId]);
      await client.query('analyze');
    } finally {
      client.release();
    }
    await rebuildRollups(store, brandId);
    await store.db.deleteFrom('kv').where('key', '=', 'rollup.rebuild').execute(); // counted: the server need not rebuild at start
  }
  return { brandId, accountId, teamId, adminId, agentIds };
}

/** Full-text search p95 (newest first, 50 rows) over the store, with real words as queries. */
export async function benchSearch(store: Store, brandId: number, queries = 200) {
  const words = new Map<string, number>();
  for (const t of realTexts().slice(0, 4000)) for (const w of t.toLowerCase().match(/[a-z]{4,}/g) ?? []) words.set(w, (words.get(w) ?? 0) + 1);
  const common = [...words].sort((a, b) => b[1] - a[1]).slice(20, 420).map(([w]) => w);
  const times: number[] = [];
  for (let i = 0; i < queries; i++) {
    const q = i % 3 === 0 ? `${common[i % common.length]} ${common[(i * 7) % common.length]!.slice(0, 3)}` : common[i % common.length]!;
    const t0 = performance.now();
    await searchMessageIds(store, brandId, q, 50);
    times.push(performance.now() - t0);
  }
  return { p50_ms: percentileOf(times, 0.5), p95_ms: percentileOf(times, 0.95), queries };
}

/** Every report over the whole period. */
export async function benchReports(store: Store, brandId: number) {
  const out: Record<string, number> = {};
  for (const name of REPORTS) {
    const t0 = performance.now();
    await runReport(store, name, { brandId }, Date.now());
    out[name] = performance.now() - t0;
  }
  return { max_ms: Math.max(...Object.values(out)), by_report_ms: out };
}

/** Triage time per message for the shipped model, and VADER's on the same rows. */
export async function benchTriage(triage: TriageFn | undefined, n = 20_000) {
  const msgs = [...messageStream(n, { t0: Date.now(), prefix: 'tri' })].filter((m) => m.direction === 'inbound');
  let ms: number | null = null;
  if (triage) {
    const reqs = msgs.map((message) => ({ message, waitingSince: null, previousUnanswered: [], brandHandles: ['BenchCare'] }));
    await triage(reqs.slice(0, 2000), Date.now()); // warm-up: code compiled and optimised
    // three timed passes over every message; the median pass is the figure (steady state, not one noisy pass)
    const passes: number[] = [];
    for (let pass = 0; pass < 3; pass++) {
      const t0 = performance.now();
      for (let i = 0; i < reqs.length; i += 1000) await triage(reqs.slice(i, i + 1000), Date.now());
      passes.push((performance.now() - t0) / reqs.length);
    }
    ms = passes.sort((a, b) => a - b)[1]!;
  }
  const Vader = (createRequire(import.meta.url)('vader-sentiment') as { SentimentIntensityAnalyzer: { polarity_scores(t: string): unknown } }).SentimentIntensityAnalyzer;
  const sample = msgs.slice(0, Math.min(msgs.length, 5000));
  const t1 = performance.now();
  for (const m of sample) Vader.polarity_scores(m.text);
  const vaderMs = (performance.now() - t1) / sample.length;
  return { ms_per_item: ms, vader_ms_per_item: vaderMs, n: msgs.length };
}

/**
 * Latency from "message accepted by the API" to "event received" by each of 50
 * SSE clients, while messages arrive at `rate` per second; and the server's
 * peak memory. Runs a real server process on its own database.
 */
/** A real `parley start` process on `dataDir` (no demo), ready to serve. */
export async function startBenchServer(opts: { dataDir: string; databaseUrl?: string }) {
  const port = await freePort();
  // glibc's malloc arenas capped as `npm start` caps them (docs/performance.md, Memory)
  const env = { MALLOC_ARENA_MAX: '2', ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', PARLEY_SECRET: 'bench-secret-0123456789abcdefghijklmnop', PARLEY_INGEST_QUEUE_MAX: '1000000' };
  // PARLEY_BENCH_PROFILE_DIR=<dir>: the server writes a V8 CPU profile there when it stops;
  // PARLEY_BENCH_SERVER_FLAGS: more node flags for the server (e.g. "--trace-gc"), its output
  // printed at the end with PARLEY_BENCH_SERVER_LOG=1 (the last PARLEY_BENCH_SERVER_LOG_BYTES)
  const prof = process.env.PARLEY_BENCH_PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${process.env.PARLEY_BENCH_PROFILE_DIR}`] : [];
  const args = [...prof, ...(process.env.PARLEY_BENCH_SERVER_FLAGS?.split(' ').filter(Boolean) ?? []), 'bin/parley.js', 'start', '--port', String(port), '--no-demo', '--data-dir', opts.dataDir, ...(opts.databaseUrl ? ['--database-url', opts.databaseUrl] : [])];
  const proc = spawn(process.execPath, args, { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (c) => (out += c));
  proc.stderr!.on('data', (c) => (out += c));
  const base = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (proc.exitCode !== null) return;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
    if (process.env.PARLEY_BENCH_SERVER_LOG) process.stderr.write(out.slice(-Number(process.env.PARLEY_BENCH_SERVER_LOG_BYTES ?? 20_000)));
  };
  try {
    for (let i = 0; ; i++) {
      try {
        if ((await fetch(`${base}/api/health`)).ok) break;
      } catch { /* starting */ }
      if (i > 600 || proc.exitCode !== null) throw new Error(`server did not start: ${out.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { base, proc, stop };
}

const CREATED = Buffer.from('event: message.created\ndata: ');
const ID_KEY = Buffer.from('"networkMessageId":"');
const FRAME_END = Buffer.from('\n\n');

export async function benchLatencyAndMemory(opts: { databaseUrl?: string; dataDir: string; seedMessages: number; clients: number; rate: number; seconds: number }) {
  const { base, proc, stop } = await startBenchServer(opts);
  try {
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: process.env.BENCH_ADMIN_EMAIL, password: PASSWORD }) });
    if (!login.ok) throw new Error(`bench login failed: ${login.status} ${await login.text()}`);
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
    const accountId = Number(process.env.BENCH_ACCOUNT_ID);
    // 50 live clients
    const sent = new Map<string, number>();
    const lat: number[] = [];
    const conns: ClientRequest[] = [];
    let connected = 0;
    // node:http rather than fetch: its data events cost the clients less CPU than web streams
    await Promise.all(Array.from({ length: opts.clients }, () => new Promise<void>((resolve, reject) => {
      let open = false;
      const req = httpGet(`${base}/api/events`, { headers: { cookie } }, (res) => {
        if (res.statusCode !== 200) return reject(new Error(`SSE client got ${res.statusCode}`));
        open = true;
        connected++;
        resolve();
        // a cheap client, so that on a small machine the 50 clients leave the CPU to the server:
        // search the bytes for each message.created frame's networkMessageId and decode only
        // that id (quotes inside JSON strings are escaped, so the key cannot occur in a text);
        // an incomplete frame at the end of a chunk waits for the next one
        let tail: Buffer = Buffer.alloc(0);
        res.on('data', (chunk: Buffer) => {
          const now = performance.now();
          const buf = tail.length ? Buffer.concat([tail, chunk]) : chunk;
          const end = buf.lastIndexOf(FRAME_END);
          if (end < 0) {
            tail = Buffer.from(buf);
            return;
          }
          for (let pos = buf.indexOf(CREATED); pos >= 0 && pos < end; pos = buf.indexOf(CREATED, pos)) {
            const k = buf.indexOf(ID_KEY, pos + CREATED.length);
            if (k < 0 || k >= end) break;
            const from = k + ID_KEY.length;
            const to = buf.indexOf(0x22, from);
            const t = sent.get(buf.toString('latin1', from, to));
            if (t !== undefined) lat.push(now - t);
            pos = to;
          }
          tail = Buffer.from(buf.subarray(end + FRAME_END.length));
        });
        res.on('error', () => { /* closed at the end */ });
      });
      req.on('error', (err) => (open ? undefined : reject(err)));
      conns.push(req);
    })));
    // messages at `rate` per second, in requests of 10, stamped when sent; the first
    // `warmup` seconds (code loaded and compiled on first use, caches filled) are not measured
    const warmup = Math.min(5, Math.max(2, opts.seconds / 4));
    const send = async (seconds: number, measure: boolean, posts: Promise<unknown>[]) => {
      const total = Math.round(opts.rate * seconds);
      const msgs = [...messageStream(total, { t0: Date.now(), prefix: `lat${measure ? 'm' : 'w'}${Date.now()}-`, rate: opts.rate })].map((m) => ({ ...m, direction: 'inbound' as const, fromBrand: false }));
      const tStart = performance.now();
      for (let i = 0; i < msgs.length; i += 10) {
        const due = tStart + (i / opts.rate) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const chunk = msgs.slice(i, i + 10);
        const at = performance.now();
        if (measure) for (const m of chunk) sent.set(m.networkMessageId, at);
        posts.push(fetch(`${base}/api/ingest/messages`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify({ channelAccountId: accountId, messages: chunk }) })
          .then((r) => (r.ok ? r.arrayBuffer() : (failed++, r.arrayBuffer())), () => void failed++));
      }
      return total;
    };
    const posts: Promise<unknown>[] = [];
    let failed = 0;
    await send(warmup, false, posts);
    // CPU of the server and of this process (the 50 clients) while measured: on a small machine the clients compete with the server
    const cpuOf = (pid: number) => procCpuUs(`/proc/${pid}/stat`) / 1e6;
    const server0 = cpuOf(proc.pid!);
    const client0 = process.cpuUsage();
    const m0 = performance.now();
    const total = await send(opts.seconds, true, posts);
    await Promise.all(posts);
    await new Promise((r) => setTimeout(r, 2000));
    const wall = (performance.now() - m0) / 1000;
    const clientCpu = process.cpuUsage(client0);
    const cpu = { server_cores: Number(((cpuOf(proc.pid!) - server0) / wall).toFixed(2)), clients_cores: Number(((clientCpu.user + clientCpu.system) / 1e6 / wall).toFixed(2)) };
    for (const c of conns) c.destroy();
    const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
    const hwm = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
    return {
      latency: { p50_ms: percentileOf(lat, 0.5), p99_ms: percentileOf(lat, 0.99), samples: lat.length, expected: total * opts.clients, clients: connected, rate: opts.rate, failed_requests: failed, ...cpu },
      memory: { rss_mb: Math.round(hwm), rss_now_mb: Math.round(rss) },
    };
  } finally {
    await stop();
  }
}

/**
 * A 25x burst: far more messages than the queue holds are offered at once;
 * the server answers 503 + Retry-After instead of dropping, the sender retries,
 * and in the end every message is stored exactly once.
 */
export async function benchBurst(store: Store, opts: { normalRate: number; factor: number; seconds: number }) {
  const config = loadConfig({}, { port: 0, demo: false, logLevel: 'silent', dataDir: '/tmp', ingestQueueMax: 500 });
  const parley = await createParley({ config, store, workers: false });
  const base = await parley.listen();
  try {
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: `burst-${now}`, name: 'Burst' }, now);
    const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'BurstCare', driver: 'demo' }, now);
    await createUser(store.db, { brandId, email: `burst-${now}@bench.test`, name: 'Burst', role: 'admin', password: PASSWORD }, now);
    const login = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: `burst-${now}@bench.test`, password: PASSWORD }) });
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
    const csrf = ((await login.json()) as { csrfToken: string }).csrfToken;
    const total = opts.normalRate * opts.factor * opts.seconds;
    const msgs = [...messageStream(total, { t0: now, prefix: `burst${now}-` })].map((m) => ({ ...m, direction: 'inbound' as const, fromBrand: false }));
    let refused = 0;
    const t0 = performance.now();
    const send = async (chunk: typeof msgs) => {
      for (;;) {
        const r = await fetch(`${base}/api/ingest/messages`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify({ channelAccountId: accountId, messages: chunk }) });
        if (r.status === 200) return;
        if (r.status === 503 || r.status === 429) {
          refused++;
          await new Promise((res) => setTimeout(res, Math.min(2000, Number(r.headers.get('retry-after') ?? 1) * 200)));
          continue;
        }
        throw new Error(`burst: unexpected ${r.status} ${await r.text()}`);
      }
    };
    // connections opened first (keep-alive), so the burst's requests reach the server together, as a spike of webhook deliveries would
    await Promise.all(Array.from({ length: 100 }, () => fetch(`${base}/api/me`, { headers: { cookie } }).then((r) => r.arrayBuffer())));
    await Promise.all(Array.from({ length: Math.ceil(msgs.length / 50) }, (_, i) => send(msgs.slice(i * 50, i * 50 + 50))));
    const seconds = (performance.now() - t0) / 1000;
    const stored = Number((await store.db.selectFrom('message').select((eb) => eb.fn.countAll().as('n')).where('brand_id', '=', brandId).executeTakeFirstOrThrow()).n);
    return { offered: total, stored, refused_503: refused, drained_s: Number(seconds.toFixed(1)), lost: total - stored };
  } finally {
    await parley.stop();
  }
}
