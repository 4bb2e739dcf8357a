/**
 * Composition root: builds the store, the pipeline, the outbox, the channels,
 * the HTTP server and the background work from a validated Config, and stops
 * them in the right order (stop taking requests → drain the ingest queue →
 * stop workers → close the database).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ChannelRegistry } from './channels/registry.js';
import { ChannelSyncWorker } from './channels/sync.js';
import { ConversationCommands, type ConversationHooks } from './commands/conversations.js';
import { ContactCommands } from './commands/contacts.js';
import { ModerationCommands } from './commands/moderation.js';
import type { Config } from './config.js';
import { AppError } from './errors.js';
import { NETWORKS } from './core/types.js';
import { HISTORY_STALE_MS, stopDemoHistory, storeDemoHistory, type HistoryOptions } from './demo/history.js';
import { DemoReplay } from './demo/replay.js';
import { claimDemoLogin, DEMO_SLUG, seedDemoIfEmpty, type DemoLogin, type DemoSeed } from './demo/seed.js';
import { EventBus } from './events/bus.js';
import { PgEventBridge } from './events/pgBridge.js';
import { createJobs } from './jobs/jobs.js';
import { housekeeping } from './jobs/housekeeping.js';
import { Workflow } from './workflow/workflow.js';
import { WorkflowCommands } from './workflow/commands.js';
import { WorkflowSettingsStore } from './workflow/settings.js';
import { systemClock, type Clock } from './lib/clock.js';
import { createLogger } from './lib/log.js';
import { repoRoot } from './lib/paths.js';
import { resolveSecret, SecretBox, verifySecret } from './lib/secrets.js';
import { OutboxWorker } from './outbox/outbox.js';
import { IngestPipeline, type IngestItem, type TriageFn } from './pipeline/ingest.js';
import { createPipelineTriage } from './triage/pipelineTriage.js';
import { loadActiveModel } from './triage/history.js';
import { SHIPPED_MODEL_PATH } from './triage/model-io.js';
import { TriageCommands } from './commands/triage.js';
import { WebhookCommands } from './commands/webhooks.js';
import { pruneDeliveries, runWebhooks } from './jobs/webhooks.js';
import { registerQuoteBackfill } from './jobs/quoteBackfill.js';
import { IngestQueue } from './pipeline/queue.js';
import { buildServer, type App, type AppHooks, type RouteModule } from './server/http.js';
import { Metrics } from './server/metrics.js';
import { Presence } from './server/presence.js';
import type { Services } from './server/services.js';
import { openStore, type Store } from './store/db.js';
import { indexPending } from './store/fts.js';
import { rebuildRollups } from './store/rollup.js';
import { pruneViewingSpans } from './store/viewing.js';

export interface ParleyOptions {
  config: Config;
  clock?: Clock;
  log?: Logger;
  /** Run the outbox worker and other background loops (tests may drive them by hand). */
  workers?: boolean;
  /** Replace the default triage (the shipped model). */
  triage?: TriageFn;
  /** An already-open store (tests). */
  store?: Store;
  extraRoutes?: RouteModule[];
}

export interface Parley {
  services: Services;
  app: App;
  /**
   * Set by `listen`: the demo seeded by this process, its replay, and the demo admin's login
   * when this process is the one to show it (generated then; shown once, by a desk that listens),
   * and the demo history this process is storing in the background (settled once stored or
   * failed; a failure is finished by the `demo.history` job).
   */
  demo: { seeded: DemoSeed | null; replay: DemoReplay | null; login: DemoLogin | null; history: Promise<void> | null };
  /** Listen on config.host:config.port, then seed the demo (an empty database) and start the work; resolves with the bound address. */
  listen(): Promise<string>;
  stop(): Promise<void>;
}

export function packageVersion(): string {
  try {
    return JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version as string;
  } catch {
    return '0.0.0';
  }
}

export async function createParley(opts: ParleyOptions): Promise<Parley> {
  const { config } = opts;
  const clock = opts.clock ?? systemClock;
  const log = opts.log ?? createLogger(config.logLevel);
  const store = opts.store ?? (await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  if (store.statistics) store.statistics.onError = (err) => log.warn({ err }, 'analyzing a growing table failed: PostgreSQL keeps its older plans until autovacuum analyzes it');
  const secrets = new SecretBox(resolveSecret(config.secret, config.dataDir));
  // every process on one database must hold the same secret: refused here, not discovered in a failed send
  await verifySecret(store, secrets, clock.now());
  // Facts written before rollups existed (or bulk-loaded) are counted once, at start.
  if (await store.db.selectFrom('kv').select('key').where('key', '=', 'rollup.rebuild').executeTakeFirst()) {
    const n = await rebuildRollups(store);
    await store.db.deleteFrom('kv').where('key', '=', 'rollup.rebuild').execute();
    if (n) log.info({ facts: n }, 'reporting rollups rebuilt');
  }
  const bus = new EventBus();
  const metrics = new Metrics();
  const presence = new Presence(bus, () => clock.now());
  const triage = opts.triage ?? (await loadDefaultTriage(log, config.dataDir));
  metrics.triageStats = triage?.stats ?? null;

  const hooks: ConversationHooks = {};
  const appHooks: AppHooks = {};
  const jobs = createJobs(store, clock, log);
  const workflowSettings = new WorkflowSettingsStore(store);
  let outboxRef: OutboxWorker | null = null;
  let registryRef: ChannelRegistry | null = null;
  const workflow = new Workflow({ store, bus, clock, jobs, settings: workflowSettings, log, onQueued: () => outboxRef?.poke(), canMessagePrivately: (account) => registryRef?.forAccount(account)?.capabilities.privateMessage ?? true });
  Object.assign(hooks, workflow.conversationHooks());
  const pipeline = new IngestPipeline({ store, bus, clock, triage, businessSeconds: workflow.businessSeconds, workflow, log, deriveKey: secrets.deriveKey });
  const queue = new IngestQueue(pipeline, {
    maxQueued: config.ingestQueueMax,
    onFlush: (n, ms) => metrics.ingestBatchSeconds.observe(ms / 1000),
    // counted here, so webhooks, polling, the ingest API, web chat and the demo replay all count
    onOutcomes: (outcomes, n) => {
      if (!outcomes) metrics.ingested.inc({ outcome: 'failed' }, n);
      else for (const o of outcomes) metrics.ingested.inc({ outcome: o.status });
    },
  });
  const registry = new ChannelRegistry(store, secrets, { fetch: globalThis.fetch, now: () => clock.now(), deriveKey: secrets.deriveKey });
  await registry.loadBuiltIns(NETWORKS);
  registryRef = registry;
  const outbox = new OutboxWorker({ store, bus, clock, registry, log, businessSeconds: workflow.businessSeconds, afterSent: (brandId, conversationId) => workflow.afterSent(brandId, conversationId) });
  outboxRef = outbox;
  const sync = new ChannelSyncWorker({ store, bus, clock, registry, queue, log });
  // Messages written outside ingest batches (replies, acknowledgements) become searchable within a second.
  jobs.every('search.index', 1_000, async () => void (await indexPending(store)));
  // Housekeeping: availability of whoever is no longer at the desk (sessions expired, or not seen), expired sessions, relayed live events.
  jobs.every('housekeeping', 60_000, () => housekeeping({ store, bus, afterAvailability: (brandId, userId) => workflow.afterAvailability(brandId, userId), deriveKey: secrets.deriveKey }, clock.now()));
  // Quoted passages of notes and questions written before they were recorded (marked by migration 20261207T0310), a few at a time until done.
  registerQuoteBackfill(jobs, store, clock);
  const bridge = store.dialect === 'postgres' && config.databaseUrl ? new PgEventBridge(store, bus, config.databaseUrl, log) : null;
  const commands = new ConversationCommands({ store, bus, clock, hooks, businessSeconds: workflow.businessSeconds, onQueued: () => outbox.poke() });
  const moderation = new ModerationCommands({ store, bus, clock, registry });
  const contacts = new ContactCommands({ store, bus, clock });
  const triageCommands = new TriageCommands({ store, bus, clock });
  const workflowCommands = new WorkflowCommands({ store, bus, clock, jobs, settings: workflowSettings, conversations: commands, businessSeconds: workflow.businessSeconds, onQueued: () => outbox.poke(), log });
  appHooks.afterAvailability = (brandId, userId) => workflow.afterAvailability(brandId, userId);
  appHooks.assertExpertMayRead = async (auth, conversationId) => {
    if (!(await workflowCommands.expertMayAccess(auth.user.id, conversationId))) throw new AppError(403, 'forbidden', 'experts see only the conversations they are asked about');
  };
  // A safety net for SLA timers (e.g. after downtime), and burst detection per brand.
  jobs.every('sla.sweep', 30_000, async () => void (await workflow.sweepSla()));
  // Snoozed conversations wake at their time (a keyed job each); this catches any the jobs missed.
  jobs.every('snooze.sweep', 60_000, async () => void (await workflow.sweepSnoozes()));
  // Expert questions past their target: each has a keyed job at its due time; this catches any the jobs missed.
  jobs.every('experts.overdue', 30_000, async () => void (await workflowCommands.sweepOverdueExpertRequests()));
  // Visits recorded for measured handling time are kept a week.
  jobs.every('viewing.retention', 3_600_000, async () => void (await pruneViewingSpans(store, clock.now())));
  // Outbound webhooks: events derived from durable rows and delivered (one process at a time on PostgreSQL, deliveries leased); kept a week.
  const webhookDeps = { store, bus, clock, secrets, allowPrivate: config.webhooksAllowPrivate, log };
  const webhooks = new WebhookCommands(webhookDeps);
  jobs.every('webhooks', 1_000, async () => void (await runWebhooks(webhookDeps)));
  jobs.every('webhooks.prune', 3_600_000, () => pruneDeliveries(store, clock.now()));
  jobs.every('incidents.detect', 60_000, async () => {
    for (const b of await store.db.selectFrom('brand').select('id').execute()) await workflowCommands.detectBursts(b.id);
  });

  const services: Services = { config, store, bus, clock, pipeline, queue, commands, moderation, contacts, triage: triageCommands, webhooks, outbox, sync, jobs, workflow, workflowCommands, workflowSettings, registry, secrets, metrics, presence, log, version: packageVersion(), startedAt: Date.now() };
  const app = await buildServer(services, opts.extraRoutes ?? [], appHooks);

  // The demo is seeded once the desk listens (see listen), so a start that fails first leaves the database as it was.
  const demo: Parley['demo'] = { seeded: null, replay: null, login: null, history: null };

  const workers = opts.workers ?? true;
  let listening = false;
  return {
    services,
    app,
    demo,
    async listen() {
      await bridge?.start();
      const address = await app.listen({ port: config.port, host: config.host });
      listening = true;
      // The demo: seed an empty database (one process wins when several start together), then replay the excerpt live.
      let history: HistoryOptions | null = null;
      if (config.demo) {
        demo.seeded = await seedDemoIfEmpty(store, clock.now(), { history: { days: config.demoHistoryDays, speed: config.demoSpeed } });
        const demoBrand = await store.db.selectFrom('brand').select(['id', 'settings']).where('slug', '=', DEMO_SLUG).executeTakeFirst();
        if (demoBrand && JSON.parse(demoBrand.settings).demo) {
          // weeks of past traffic for the reports, stored once through the pipeline (below, once the desk is ready)
          const demoHistory: HistoryOptions = { store, brandId: demoBrand.id, ingest: (b: number, items: IngestItem[]) => pipeline.ingest(b, items), now: () => clock.now(), log };
          history = demoHistory;
          // a history left half-way (a failure, a process that stopped) is finished once its claim is stale
          jobs.every('demo.history', HISTORY_STALE_MS, async () => void (await storeDemoHistory(demoHistory)));
          demo.replay = new DemoReplay({ store, queue, clock, brandId: demoBrand.id, speed: config.demoSpeed, commands, log });
        }
      }
      // A demo login not shown yet (this start's seed, or one whose start failed before it could show it).
      demo.login = await claimDemoLogin(store);
      presence.start();
      if (workers) {
        outbox.start();
        sync.start();
        await jobs.start();
      }
      // the history in the background (a few seconds): the desk shows its login and replays live meanwhile
      if (history) demo.history = storeDemoHistory(history).then(() => {}, (err) => log.warn({ err }, 'the demo history was not stored yet: tried again in a minute'));
      void demo.replay?.start();
      return address;
    },
    async stop() {
      await demo.replay?.stop();
      stopDemoHistory(store); // a history still being stored is handed back, finished by the next start
      await demo.history; // its batches use the pipeline and the store closed below
      if (listening) await app.close();
      else await app.close().catch(() => {});
      await queue.idle();
      // a triage correction's SLA re-evaluation runs after the correction has answered: done before the store closes
      await workflow.idle();
      await workflowCommands.signOffNoticesSettled(); // approvers told of a reply held just before the stop
      if (!opts.triage) await triage?.close?.();
      await outbox.stop();
      await sync.stop();
      await jobs.stop();
      await bridge?.stop();
      presence.stop();
      await registry.closeAll();
      if (!opts.store) await store.close();
    },
  };
}

/** The shipped triage model (models/triage.bin.gz, or PARLEY_TRIAGE_MODEL). */
async function loadDefaultTriage(log: Logger, dataDir: string): Promise<TriageFn | undefined> {
  try {
    const { model, source } = loadActiveModel(dataDir);
    if (source !== 'shipped') log.info({ model: source }, 'triage uses a model trained for this desk');
    // the model's file, so a worker thread can load the same model and preanalyze texts ahead of each batch
    const modelPath = source === 'shipped' ? SHIPPED_MODEL_PATH : source;
    return await createPipelineTriage({ model, modelPath, onError: (message) => log.warn({ message }, 'triage preanalysis worker: falling back to inline triage') });
  } catch (err) {
    log.error({ err }, 'the triage model failed to load; messages are stored untriaged');
    return undefined;
  }
}
