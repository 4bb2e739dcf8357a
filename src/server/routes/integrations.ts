/**
 * Settings → Integrations: a brand's outbound webhook endpoints (docs/webhooks.md). Admins
 * only; the commands are ../../commands/webhooks.ts, the deliveries src/jobs/webhooks.ts.
 */
import { z } from 'zod';
import type { WebhookDelivery, WebhookEndpoint } from '../../commands/webhooks.js';
import { WEBHOOK_EVENTS } from '../../core/webhooks.js';
import { requireRole, type AuthContext } from '../auth.js';
import type { App } from '../http.js';

const iso = (t: number | string | null) => (t == null ? null : new Date(Number(t)).toISOString());
const EVENTS = z.array(z.enum(WEBHOOK_EVENTS)).min(1).max(WEBHOOK_EVENTS.length).transform((l) => [...new Set(l)]);
const URL_FIELD = z.string().trim().min(1).max(2000);
const DESCRIPTION = z.string().max(500);
const INCLUDE_HISTORY = z.boolean().describe('Also send the events of imported history (history imports, the demo\'s past weeks): `message.received` and `conversation.created`, with `"history": true` on the event. Default false: live events only.');

const endpointSchema = z.object({
  id: z.number(), url: z.string(), description: z.string(), events: z.array(z.string()), includeHistory: INCLUDE_HISTORY, enabled: z.boolean(), disabledReason: z.string().nullable(),
  failingSince: z.string().nullable(), createdAt: z.string(), updatedAt: z.string(),
});
const deliverySchema = z.object({
  id: z.number(), webhookId: z.string(), eventType: z.string(), status: z.string(), attempts: z.number(), nextAttemptAt: z.string().nullable(),
  lastStatus: z.number().nullable(), lastError: z.string().nullable(), createdAt: z.string(), deliveredAt: z.string().nullable(),
});
const params = z.object({ id: z.coerce.number().int().positive() });

function present(r: WebhookEndpoint) {
  return { id: r.id, url: r.url, description: r.description, events: JSON.parse(r.events) as string[], includeHistory: !!r.include_history, enabled: !!r.enabled, disabledReason: r.disabled_reason, failingSince: iso(r.failing_since), createdAt: iso(r.created_at)!, updatedAt: iso(r.updated_at)! };
}

function presentDelivery(r: WebhookDelivery) {
  return { id: r.id, webhookId: r.message_id, eventType: r.event_type, status: r.status, attempts: r.attempts, nextAttemptAt: r.status === 'pending' ? iso(r.next_attempt_at) : null, lastStatus: r.last_status, lastError: r.last_error, createdAt: iso(r.created_at)!, deliveredAt: iso(r.delivered_at) };
}

const actorOf = (a: AuthContext) => ({ brandId: a.user.brand_id, userId: a.user.id, name: a.actor.name });

export function integrationRoutes(app: App): void {
  const webhooks = app.services.webhooks;

  app.get('/api/integrations/webhooks', {
    schema: { tags: ['admin'], summary: 'The brand\'s webhook endpoints (never their secret) and the event types there are', response: { 200: z.object({ items: z.array(endpointSchema), eventTypes: z.array(z.string()) }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return { items: (await webhooks.list(a.user.brand_id)).map(present), eventTypes: [...WEBHOOK_EVENTS] };
  });

  app.post('/api/integrations/webhooks', {
    schema: {
      tags: ['admin'], summary: 'Register a webhook endpoint; answers its signing secret, shown this once',
      body: z.strictObject({ url: URL_FIELD, description: DESCRIPTION.default(''), events: EVENTS, includeHistory: INCLUDE_HISTORY.default(false), enabled: z.boolean().default(true) }),
      response: { 201: z.object({ item: endpointSchema, secret: z.string() }) },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    const { endpoint, secret } = await webhooks.create(actorOf(a), req.body);
    return reply.code(201).send({ item: present(endpoint), secret });
  });

  app.patch('/api/integrations/webhooks/:id', {
    schema: {
      tags: ['admin'], summary: 'Change a webhook endpoint: URL, description, events, whether it includes history, on/off (turning it on clears why it was turned off)', params,
      body: z.strictObject({ url: URL_FIELD.optional(), description: DESCRIPTION.optional(), events: EVENTS.optional(), includeHistory: INCLUDE_HISTORY.optional(), enabled: z.boolean().optional() }),
      response: { 200: z.object({ item: endpointSchema }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return { item: present(await webhooks.update(actorOf(a), req.params.id, req.body)) };
  });

  app.delete('/api/integrations/webhooks/:id', {
    schema: { tags: ['admin'], summary: 'Remove a webhook endpoint and its deliveries', params, response: { 204: z.null() } },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    await webhooks.remove(actorOf(a), req.params.id);
    return reply.code(204).send(null);
  });

  app.post('/api/integrations/webhooks/:id/rotate-secret', {
    schema: { tags: ['admin'], summary: 'Replace an endpoint\'s signing secret; answers the new one, shown this once (the old one stops signing at once)', params, response: { 200: z.object({ secret: z.string() }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return { secret: await webhooks.rotateSecret(actorOf(a), req.params.id) };
  });

  app.post('/api/integrations/webhooks/:id/test', {
    schema: { tags: ['admin'], summary: 'Queue a `webhook.test` event for this endpoint (delivered within seconds)', params, response: { 202: z.object({ item: deliverySchema }) } },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    return reply.code(202).send({ item: presentDelivery(await webhooks.queueTest(actorOf(a), req.params.id)) });
  });

  app.get('/api/integrations/webhooks/:id/deliveries', {
    schema: { tags: ['admin'], summary: 'An endpoint\'s deliveries of the last 7 days, newest first (the latest 200)', params, response: { 200: z.object({ items: z.array(deliverySchema) }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return { items: (await webhooks.deliveries(a.user.brand_id, req.params.id)).map(presentDelivery) };
  });

  app.post('/api/integrations/webhooks/:id/deliveries/:deliveryId/retry', {
    schema: { tags: ['admin'], summary: 'Attempt a delivery again now (the same webhook-id)', params: z.object({ id: z.coerce.number().int().positive(), deliveryId: z.coerce.number().int().positive() }), response: { 200: z.object({ item: deliverySchema }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return { item: presentDelivery(await webhooks.retry(a.user.brand_id, req.params.id, req.params.deliveryId)) };
  });
}
