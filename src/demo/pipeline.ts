/**
 * The ingest path `parley demo` feeds when it runs beside `parley start`: the same one the
 * server builds (src/app.ts) — triage with the desk's active model, then the care workflow
 * (routing to a team, assignment, SLA clocks, acknowledgements) inside each ingest
 * transaction — so what the replay stores looks exactly like what the desk stores itself.
 *
 * What it does not run is the desk's background work: SLA timers and other jobs it
 * schedules go to the database (the `job` table, graphile-worker on PostgreSQL) and the
 * running desk carries them out; replies queued by acknowledgements go out through the
 * desk's outbox. Live events: on PostgreSQL they reach the desk's browsers through the
 * database (LISTEN/NOTIFY, src/events/pgBridge.ts); on SQLite there is no channel between
 * processes, so the desk shows the new conversations when its page is refreshed.
 */
import type { Logger } from 'pino';
import { ConversationCommands } from '../commands/conversations.js';
import type { Config } from '../config.js';
import { EventBus } from '../events/bus.js';
import { PgEventBridge } from '../events/pgBridge.js';
import { createJobs } from '../jobs/jobs.js';
import type { Clock } from '../lib/clock.js';
import { IngestPipeline, type TriageFn } from '../pipeline/ingest.js';
import { IngestQueue } from '../pipeline/queue.js';
import type { Store } from '../store/db.js';
import { loadActiveModel } from '../triage/history.js';
import { SHIPPED_MODEL_PATH } from '../triage/model-io.js';
import { createPipelineTriage } from '../triage/pipelineTriage.js';
import { Workflow } from '../workflow/workflow.js';
import { WorkflowSettingsStore } from '../workflow/settings.js';

export interface DemoIngest {
  queue: IngestQueue;
  pipeline: IngestPipeline;
  /** Conversation commands with the workflow's hooks (SLA clocks, routing), for the replay's wrap-up (DemoReplay `commands`). */
  commands: ConversationCommands;
  /** Whether the desk's browsers see the events live (PostgreSQL) or after a refresh (SQLite). */
  live: boolean;
  close(): Promise<void>;
}

export async function createDemoIngest(opts: { store: Store; config: Config; clock: Clock; log: Logger; triage?: TriageFn }): Promise<DemoIngest> {
  const { store, config, clock, log } = opts;
  const bus = new EventBus();
  const triage = opts.triage ?? (await loadTriage(config.dataDir, log));
  const jobs = createJobs(store, clock, log);
  const workflow = new Workflow({ store, bus, clock, jobs, settings: new WorkflowSettingsStore(store), log });
  const pipeline = new IngestPipeline({ store, bus, clock, triage, businessSeconds: workflow.businessSeconds, workflow, log });
  const queue = new IngestQueue(pipeline, { maxQueued: config.ingestQueueMax });
  const commands = new ConversationCommands({ store, bus, clock, hooks: workflow.conversationHooks(), businessSeconds: workflow.businessSeconds });
  const bridge = store.dialect === 'postgres' && config.databaseUrl ? new PgEventBridge(store, bus, config.databaseUrl, log) : null;
  await bridge?.start();
  return {
    queue,
    pipeline,
    commands,
    live: bridge !== null,
    async close() {
      await queue.idle();
      if (!opts.triage) await triage?.close?.();
      await jobs.stop();
      await bridge?.stop();
    },
  };
}

/** The desk's active triage model (a team-trained one in the data dir, else the shipped one), as src/app.ts loads it. */
async function loadTriage(dataDir: string, log: Logger): Promise<TriageFn | undefined> {
  try {
    const { model, source } = loadActiveModel(dataDir);
    const modelPath = source === 'shipped' ? SHIPPED_MODEL_PATH : source;
    return await createPipelineTriage({ model, modelPath, onError: (message) => log.warn({ message }, 'triage preanalysis worker: falling back to inline triage') });
  } catch (err) {
    log.error({ err }, 'the triage model failed to load; messages are stored untriaged');
    return undefined;
  }
}
