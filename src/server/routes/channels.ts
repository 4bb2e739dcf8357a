/**
 * Connecting and administering channel accounts. Credentials are encrypted at
 * rest with the server's secret, never logged and never returned: the API says
 * only whether an account has them (and, to admins, their names). Settings are
 * checked per network by the same rules when connecting and when editing
 * (src/channels/settings.ts); a refused request changes nothing.
 */
import { z } from 'zod';
import { connectChannelAccount, credentialNamesOf, editChannelAccount } from '../../commands/channelAccounts.js';
import { publishChannelHealth } from '../../channels/health.js';
import { describeSettings } from '../../channels/settings.js';
import { NETWORKS } from '../../core/types.js';
import { notFound } from '../../errors.js';
import type { ChannelAccount } from '../../store/schema.js';
import { requireRole } from '../auth.js';
import type { App } from '../http.js';
import { presentChannelAccount } from '../presenters.js';
import { channelAccountSchema, idParams } from '../schemas.js';

/** Secret values: write-only strings. */
const credentialValue = z.string().min(1).max(8192);
const credentialName = z.string().min(1).max(100);

export function channelRoutes(app: App) {
  const s = app.services;
  const tags = ['channels'];
  /**
   * Whether the account's connector takes webhook deliveries (declares the capability and
   * handles them): X, Facebook and Instagram do; Mastodon (streamed and polled), Bluesky,
   * email, web chat and the demo do not, and /api/webhooks answers them 404.
   */
  const receivesWebhooks = (row: ChannelAccount): boolean => {
    try {
      const channel = s.registry.forAccount(row);
      return channel?.capabilities.webhook === true && typeof channel.handleWebhook === 'function';
    } catch {
      return false; // a connector that cannot be built from what is stored receives nothing
    }
  };
  /** What an admin sees of an account: the list's fields, the webhook URL (when it has one), and the names (only) of the stored credentials. */
  const forAdmin = (row: ChannelAccount) => {
    const a = presentChannelAccount(row, undefined, 'detail');
    return { ...a, ...(receivesWebhooks(row) ? { webhookUrl: `${s.config.publicUrl ?? ''}/api/webhooks/${a.network}/${a.id}` } : {}), credentialNames: credentialNamesOf(s.secrets, row) };
  };
  const accountOut = channelAccountSchema.extend({
    webhookUrl: z.string().optional().describe('Where the network posts events; only for accounts whose connector receives webhooks (absent for polled or streamed networks such as Mastodon)'),
    credentialNames: z.array(z.string()).describe('Names of the stored credentials; their values are never returned'),
  });
  /** After a commit: the ingest pipeline and workflow drop what they cached of accounts, and open pages update live (health in full for admins only). */
  const changed = async (row: ChannelAccount) => {
    s.pipeline.invalidateAccounts();
    s.workflowSettings.invalidate();
    await publishChannelHealth(s.store, s.bus, row);
  };

  app.get('/api/channel-networks', {
    schema: {
      tags, summary: 'What each network\'s accounts take: setting names (those that are listening terms apart), credential names, and the settings that restart sync (admin)',
      response: { 200: z.object({ items: z.array(z.object({ network: z.string(), settings: z.array(z.string()), listening: z.array(z.string()), credentials: z.array(z.string()), resetCursorOn: z.array(z.string()) })) }) },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    return { items: NETWORKS.map((network) => ({ network, ...describeSettings(network) })) };
  });

  app.post('/api/channel-accounts', {
    schema: {
      tags, summary: 'Connect an account (admin). Settings are checked against what the network\'s connector reads; credentials are encrypted at rest and never returned.',
      body: z.object({
        network: z.enum(NETWORKS), handle: z.string().min(1).max(200), externalId: z.string().min(1).max(300).optional(), displayName: z.string().max(200).optional(),
        purpose: z.enum(['care', 'brand']).default('care'), listenOnly: z.boolean().default(false), driver: z.string().max(40).nullable().optional(),
        credentials: z.record(credentialName, credentialValue).optional(), settings: z.record(z.string(), z.unknown()).optional(),
      }),
      response: { 201: accountOut },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    const b = req.body;
    const row = await connectChannelAccount(s, {
      actor: a.actor, network: b.network, handle: b.handle, externalId: b.externalId, displayName: b.displayName, purpose: b.purpose, listenOnly: b.listenOnly,
      driver: b.driver ?? null, credentials: b.credentials, settings: b.settings,
    }, s.clock.now());
    await changed(row);
    return reply.code(201).send(forAdmin(row));
  });

  app.get('/api/channel-accounts/:id', {
    schema: { tags, summary: 'One account as an admin edits it (credential names, never values) (admin)', params: idParams, response: { 200: accountOut } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const row = await s.store.db.selectFrom('channel_account').selectAll().where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
    if (!row) throw notFound('channel account');
    return forAdmin(row);
  });

  app.patch('/api/channel-accounts/:id', {
    schema: {
      tags, params: idParams,
      summary: 'Edit a connected account (admin): listening terms and other settings, handle, display name, credentials, listen-only, purpose, business hours, or disable it',
      description: [
        '`settings` and `credentials` are merge patches: a value sets that entry, `null` removes it, entries not named stay as they are.',
        'The settings it names are checked as connecting checks them (unknown or mistyped settings are refused with the reason), and the network\'s required settings on the result; a refused request changes nothing.',
        'New settings or credentials are used from the next poll, which starts at once. The sync position is kept (each listening term has its own), except when a',
        'setting that points the account at another server or mailbox changes (e.g. Mastodon `instanceUrl`, email `imapHost`): then sync restarts from a backfill,',
        'and dedupe by network message id keeps what is already stored from coming in twice. Changing credentials marks the account healthy until the network says otherwise.',
      ].join(' '),
      body: z.strictObject({
        handle: z.string().trim().min(1).max(200).optional(),
        displayName: z.string().max(200).nullable().optional(),
        settings: z.record(z.string(), z.unknown()).optional(),
        credentials: z.record(credentialName, credentialValue.nullable()).optional(),
        listenOnly: z.boolean().optional(),
        purpose: z.enum(['care', 'brand']).optional(),
        enabled: z.boolean().optional(),
        calendar: z.unknown().optional(),
      }),
      response: { 200: accountOut },
    },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const r = await editChannelAccount(s, { actor: a.actor, accountId: req.params.id, ...req.body }, s.clock.now());
    if (r.changed.length) await changed(r.account);
    return forAdmin(r.account);
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
