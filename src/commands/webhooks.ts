/**
 * A brand's outbound webhook endpoints (docs/webhooks.md), as Settings → Integrations changes
 * them: register (the signing secret is made here, answered once, sealed at rest), change, remove,
 * rotate the secret, queue a test event, list and retry deliveries. Every change is audited; the
 * deliveries themselves are made by src/jobs/webhooks.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { newWebhookSecret, TEST_EVENT, urlProblem } from '../core/webhooks.js';
import { AppError, notFound } from '../errors.js';
import { envelope, ensureCursors, type WebhookDeps } from '../jobs/webhooks.js';
import { audit } from '../store/audit.js';
import type { WebhookDeliveryTable, WebhookEndpointTable } from '../store/schema.js';
import type { Tx } from '../store/util.js';

export type WebhookEndpoint = Selectable<WebhookEndpointTable>;
export type WebhookDelivery = Selectable<WebhookDeliveryTable>;
/** Who acts, for the audit log and the test event. */
export interface WebhookActor { brandId: number; userId: number; name: string }
export interface EndpointInput {
  url: string; description: string; events: string[]; enabled: boolean;
  /** Also take the events of history (imports, channels' backfills), flagged `"history": true` (absent: false). */
  includeHistory?: boolean;
}

export class WebhookCommands {
  constructor(private readonly deps: Pick<WebhookDeps, 'store' | 'clock' | 'secrets' | 'allowPrivate'>) {}

  private checkUrl(url: string): void {
    const problem = urlProblem(url, this.deps.allowPrivate);
    if (problem) throw new AppError(400, 'webhook.url_refused', problem);
  }

  private async own(brandId: number, id: number, db: Tx | WebhookDeps['store']['db'] = this.deps.store.db): Promise<WebhookEndpoint> {
    const r = await db.selectFrom('webhook_endpoint').selectAll().where('id', '=', id).where('brand_id', '=', brandId).executeTakeFirst();
    if (!r) throw notFound('webhook endpoint');
    return r;
  }

  list(brandId: number): Promise<WebhookEndpoint[]> {
    return this.deps.store.db.selectFrom('webhook_endpoint').selectAll().where('brand_id', '=', brandId).orderBy('id').execute();
  }

  /** Registers an endpoint; answers it with its signing secret, which is never answered again. */
  async create(actor: WebhookActor, input: EndpointInput): Promise<{ endpoint: WebhookEndpoint; secret: string }> {
    this.checkUrl(input.url);
    const { store, secrets } = this.deps;
    const now = this.deps.clock.now();
    const secret = newWebhookSecret();
    const endpoint = await store.db.transaction().execute(async (trx) => {
      await ensureCursors(trx, now);
      const r = await trx.insertInto('webhook_endpoint').values({ brand_id: actor.brandId, url: input.url, description: input.description, events: JSON.stringify(input.events), enabled: input.enabled ? 1 : 0, include_history: input.includeHistory ? 1 : 0, secret_sealed: secrets.seal({ secret }), created_by: actor.userId, created_at: now, updated_at: now }).returningAll().executeTakeFirstOrThrow();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'webhook.created', subjectType: 'webhook_endpoint', subjectId: r.id, data: { url: r.url, events: input.events, includeHistory: !!input.includeHistory } }, now);
      return r;
    });
    return { endpoint, secret };
  }

  /** Changes what is given; turning an endpoint on clears why it was turned off. */
  async update(actor: WebhookActor, id: number, b: Partial<EndpointInput>): Promise<WebhookEndpoint> {
    if (b.url !== undefined) this.checkUrl(b.url);
    const now = this.deps.clock.now();
    return this.deps.store.db.transaction().execute(async (trx) => {
      const ep = await this.own(actor.brandId, id, trx);
      if (b.enabled) await ensureCursors(trx, now);
      await trx.updateTable('webhook_endpoint').set({
        ...(b.url !== undefined ? { url: b.url } : {}), ...(b.description !== undefined ? { description: b.description } : {}),
        ...(b.events ? { events: JSON.stringify(b.events) } : {}), ...(b.includeHistory !== undefined ? { include_history: b.includeHistory ? 1 : 0 } : {}), ...(b.enabled !== undefined ? { enabled: b.enabled ? 1 : 0, ...(b.enabled && !ep.enabled ? { disabled_reason: null, failing_since: null } : {}) } : {}),
        updated_at: now,
      }).where('id', '=', ep.id).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'webhook.updated', subjectType: 'webhook_endpoint', subjectId: ep.id, data: { url: b.url, events: b.events, enabled: b.enabled, includeHistory: b.includeHistory } }, now);
      return trx.selectFrom('webhook_endpoint').selectAll().where('id', '=', ep.id).executeTakeFirstOrThrow();
    });
  }

  /** Removes an endpoint and its deliveries. */
  async remove(actor: WebhookActor, id: number): Promise<void> {
    const now = this.deps.clock.now();
    await this.deps.store.db.transaction().execute(async (trx) => {
      const ep = await this.own(actor.brandId, id, trx);
      await trx.deleteFrom('webhook_delivery').where('endpoint_id', '=', ep.id).execute();
      await trx.deleteFrom('webhook_endpoint').where('id', '=', ep.id).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'webhook.deleted', subjectType: 'webhook_endpoint', subjectId: ep.id, data: { url: ep.url } }, now);
    });
  }

  /** A new signing secret, answered once; the old one stops signing at once. */
  async rotateSecret(actor: WebhookActor, id: number): Promise<string> {
    const now = this.deps.clock.now();
    const secret = newWebhookSecret();
    await this.deps.store.db.transaction().execute(async (trx) => {
      const ep = await this.own(actor.brandId, id, trx);
      await trx.updateTable('webhook_endpoint').set({ secret_sealed: this.deps.secrets.seal({ secret }), updated_at: now }).where('id', '=', ep.id).execute();
      await audit(trx, { brandId: actor.brandId, actor: actor.name, action: 'webhook.secret_rotated', subjectType: 'webhook_endpoint', subjectId: ep.id }, now);
    });
    return secret;
  }

  /** Queues a `webhook.test` event for an enabled endpoint. */
  async queueTest(actor: WebhookActor, id: number): Promise<WebhookDelivery> {
    const ep = await this.own(actor.brandId, id);
    if (!ep.enabled) throw new AppError(409, 'webhook.disabled', 'turn the endpoint on first');
    const now = this.deps.clock.now();
    return this.deps.store.db.insertInto('webhook_delivery').values({
      brand_id: ep.brand_id, endpoint_id: ep.id, event_key: `test:${randomUUID()}`, message_id: `msg_${randomUUID().replace(/-/g, '')}`, event_type: TEST_EVENT,
      payload: envelope(TEST_EVENT, now, ep.brand_id, { endpointId: ep.id, by: actor.name }), status: 'pending', attempts: 0, next_attempt_at: now, created_at: now, updated_at: now,
    }).returningAll().executeTakeFirstOrThrow();
  }

  /** An endpoint's latest 200 deliveries, newest first. */
  async deliveries(brandId: number, id: number): Promise<WebhookDelivery[]> {
    const ep = await this.own(brandId, id);
    return this.deps.store.db.selectFrom('webhook_delivery').selectAll().where('endpoint_id', '=', ep.id).orderBy('id', 'desc').limit(200).execute();
  }

  /** Attempts a delivery again now, with the same webhook-id; not while it is being attempted. */
  async retry(brandId: number, id: number, deliveryId: number): Promise<WebhookDelivery> {
    const ep = await this.own(brandId, id);
    const now = this.deps.clock.now();
    const d = await this.deps.store.db.selectFrom('webhook_delivery').selectAll().where('id', '=', deliveryId).where('endpoint_id', '=', ep.id).executeTakeFirst();
    if (!d) throw notFound('delivery');
    if (d.status === 'delivering') throw new AppError(409, 'webhook.delivering', 'this delivery is being attempted right now');
    const r = await this.deps.store.db.updateTable('webhook_delivery').set({ status: 'pending', next_attempt_at: now, updated_at: now })
      .where('id', '=', d.id).where('status', '<>', 'delivering').returningAll().executeTakeFirst();
    if (!r) throw new AppError(409, 'webhook.delivering', 'this delivery is being attempted right now');
    return r;
  }
}
