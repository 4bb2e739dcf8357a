/** Everything a route may use, built once by src/app.ts. */
import type { Logger } from 'pino';
import type { ChannelRegistry } from '../channels/registry.js';
import type { ChannelSyncWorker } from '../channels/sync.js';
import type { ConversationCommands } from '../commands/conversations.js';
import type { ContactCommands } from '../commands/contacts.js';
import type { ModerationCommands } from '../commands/moderation.js';
import type { TriageCommands } from '../commands/triage.js';
import type { WebhookCommands } from '../commands/webhooks.js';
import type { Config } from '../config.js';
import type { EventBus } from '../events/bus.js';
import type { Jobs } from '../jobs/jobs.js';
import type { Workflow } from '../workflow/workflow.js';
import type { WorkflowCommands } from '../workflow/commands.js';
import type { WorkflowSettingsStore } from '../workflow/settings.js';
import type { Clock } from '../lib/clock.js';
import type { SecretBox } from '../lib/secrets.js';
import type { OutboxWorker } from '../outbox/outbox.js';
import type { IngestPipeline } from '../pipeline/ingest.js';
import type { IngestQueue } from '../pipeline/queue.js';
import type { Store } from '../store/db.js';
import type { Metrics } from './metrics.js';
import type { Presence } from './presence.js';

export interface Services {
  config: Config;
  store: Store;
  bus: EventBus;
  clock: Clock;
  pipeline: IngestPipeline;
  queue: IngestQueue;
  commands: ConversationCommands;
  moderation: ModerationCommands;
  contacts: ContactCommands;
  triage: TriageCommands;
  /** Settings → Integrations: outbound webhook endpoints (deliveries: src/jobs/webhooks.ts). */
  webhooks: WebhookCommands;
  outbox: OutboxWorker;
  registry: ChannelRegistry;
  sync: ChannelSyncWorker;
  jobs: Jobs;
  workflow: Workflow;
  workflowCommands: WorkflowCommands;
  workflowSettings: WorkflowSettingsStore;
  secrets: SecretBox;
  metrics: Metrics;
  presence: Presence;
  log: Logger;
  version: string;
  startedAt: number;
}
