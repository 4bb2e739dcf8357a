/**
 * Connecting and administering channel accounts. Credentials are encrypted at
 * rest with the server's secret, never logged and never returned: the API says
 * only whether an account has them.
 */
import { z } from 'zod';
import { createChannelAccount } from '../../commands/setup.js';
import { NETWORKS } from '../../core/types.js';
import { AppError, notFound } from '../../errors.js';
import { audit } from '../../store/audit.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import { presentChannelAccount } from '../presenters.js';
import { channelAccountSchema, idParams } from '../schemas.js';

export function channelRoutes(app: App) {
  const s = app.services;
  const tags = ['channels'];
  const withWebhook = (a: ReturnType<typeof presentChannelAccount>) => ({ ...a, webhookUrl: `${s.config.publicUrl ?? ''}/api/webhooks/${a.network}/${a.id}` });
  const accountOut = channelAccountSchema.extend({ webhookUrl: z.string() });

  app.post('/api/channel-accounts', {
    schema: {
      tags, summary: 'Connect an account (admin). Credentials are encrypted at rest and never returned.',
      body: z.object({
        network: z.enum(NETWORKS), handle: z.string().min(1).max(200), externalId: z.string().min(1).max(300).optional(), displayName: z.string().max(200).optional(),
        purpose: z.enum(['care', 'brand']).default('care'), listenOnly: z.boolean().default(false), driver: z.string().max(40).nullable().optional(),
        credentials: z.record(z.string(), z.unknown()).optional(), settings: z.record(z.string(), z.unknown()).optional(),
      }),
      response: { 201: accountOut },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    const b = req.body;
    const now = s.clock.now();
    const exists = await s.store.db.selectFrom('channel_account').select('id').where('brand_id', '=', a.user.brand_id).where('network', '=', b.network).where('external_id', '=', b.externalId ?? b.handle.toLowerCase()).executeTakeFirst();
    if (exists) throw new AppError(409, 'channel.exists', 'this account is already connected');
    const id = await createChannelAccount(s.store.db, {
      brandId: a.user.brand_id, network: b.network, handle: b.handle, externalId: b.externalId, displayName: b.displayName, purpose: b.purpose, listenOnly: b.listenOnly,
      driver: b.driver ?? null, settings: b.settings, credentials: b.credentials ? s.secrets.seal(b.credentials) : null,
    }, now);
    await s.store.db.updateTable('channel_account').set({ next_sync_at: now }).where('id', '=', id).execute();
    await audit(s.store.db, { brandId: a.user.brand_id, actor: a.actor.name, action: 'channel.connected', subjectType: 'channel_account', subjectId: id, data: { network: b.network, handle: b.handle, listenOnly: b.listenOnly } }, now);
    s.pipeline.invalidateAccounts();
    const row = await s.store.db.selectFrom('channel_account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    s.bus.publish(a.user.brand_id, 'channel.health', presentChannelAccount(row));
    return reply.code(201).send(withWebhook(presentChannelAccount(row)));
  });

  app.patch('/api/channel-accounts/:id', {
    schema: {
      tags, summary: 'Reconnect (new credentials), change settings, listen-only, purpose, or disable (admin)', params: idParams,
      body: z.object({
        credentials: z.record(z.string(), z.unknown()).optional(), settings: z.record(z.string(), z.unknown()).optional(), listenOnly: z.boolean().optional(),
        purpose: z.enum(['care', 'brand']).optional(), displayName: z.string().max(200).optional(), enabled: z.boolean().optional(), calendar: z.unknown().optional(),
      }),
      response: { 200: accountOut },
    },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const now = s.clock.now();
    const acc = await s.store.db.selectFrom('channel_account').selectAll().where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
    if (!acc) throw notFound('channel account');
    const b = req.body;
    const patch: Record<string, unknown> = {};
    if (b.credentials) {
      patch.credentials = s.secrets.seal(b.credentials);
      // reconnected: healthy until the network says otherwise, and sync at once
      patch.status = 'active';
      patch.health = JSON.stringify({ reconnectedAt: new Date(now).toISOString() });
      patch.next_sync_at = now;
    }
    if (b.settings) patch.settings = JSON.stringify(b.settings);
    if (b.listenOnly !== undefined) patch.listen_only = b.listenOnly ? 1 : 0;
    if (b.purpose) patch.purpose = b.purpose;
    if (b.displayName !== undefined) patch.display_name = b.displayName;
    if (b.calendar !== undefined) patch.calendar = b.calendar === null ? null : JSON.stringify(b.calendar);
    if (b.enabled === false) patch.status = 'disabled';
    if (b.enabled === true && acc.status === 'disabled') patch.status = 'active';
    if (Object.keys(patch).length) await s.store.db.updateTable('channel_account').set(patch as never).where('id', '=', acc.id).execute();
    await audit(s.store.db, { brandId: a.user.brand_id, actor: a.actor.name, action: b.credentials ? 'channel.reconnected' : 'channel.updated', subjectType: 'channel_account', subjectId: acc.id, data: { fields: Object.keys(b).filter((k) => k !== 'credentials') } }, now);
    s.pipeline.invalidateAccounts();
    s.workflowSettings.invalidate();
    const row = await s.store.db.selectFrom('channel_account').selectAll().where('id', '=', acc.id).executeTakeFirstOrThrow();
    s.bus.publish(a.user.brand_id, 'channel.health', presentChannelAccount(row));
    return withWebhook(presentChannelAccount(row));
  });

  app.post('/api/channel-accounts/:id/sync', {
    schema: { tags, summary: 'Sync this account now (admin)', params: idParams, response: { 202: z.object({ scheduled: z.boolean() }) } },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    const acc = await s.store.db.selectFrom('channel_account').select('id').where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
    if (!acc) throw notFound('channel account');
    await s.sync.syncSoon(acc.id);
    return reply.code(202).send({ scheduled: true });
  });
}
