/**
 * Webhooks from the networks: /api/webhooks/<network>/<accountId>. No session:
 * each connector verifies the network's signature over the exact bytes
 * received (and answers verification challenges). A bad signature gets 401 and
 * stores nothing. Good deliveries are stored before we answer, so a network
 * that sees our 200 never needs to redeliver — and a redelivery is deduplicated.
 * Items the connector rejects (not the documented shape, unreadable) are kept in
 * quarantine with the reason, once however often the delivery comes again. A delivery
 * for a disabled account is still checked and kept: its items go to the ingest
 * pipeline, which quarantines them with "channel account N is disabled".
 */
import { z } from 'zod';
import { ChannelError } from '../../channels/types.js';
import { AppError } from '../../errors.js';
import { QueueFullError } from '../../pipeline/queue.js';
import { applyNetworkDeletions, applyNetworkVisibility } from '../../pipeline/deletions.js';
import { quarantineOnce } from '../../channels/quarantine.js';
import type { App } from '../http.js';

export function webhookRoutes(app: App) {
  const s = app.services;
  const handler = async (req: any, reply: any) => {
    const { network, accountId } = req.params as { network: string; accountId: number };
    const account = await s.store.db.selectFrom('channel_account').selectAll().where('id', '=', accountId).executeTakeFirst();
    // a disabled account's deliveries are verified and kept (the pipeline quarantines their items with the reason)
    if (!account || account.network !== network) throw new AppError(404, 'not_found', 'no such webhook');
    const channel = s.registry.forAccount(account);
    if (!channel?.handleWebhook) throw new AppError(404, 'not_found', `${network} accounts do not receive webhooks`);
    let result;
    try {
      result = await channel.handleWebhook({ method: req.method, query: req.query ?? {}, headers: req.headers, rawBody: req.rawBody ?? Buffer.alloc(0) });
    } catch (err) {
      if (err instanceof ChannelError && (err.code === 'AUTH_REVOKED' || err.code === 'PERMISSION_DENIED')) throw new AppError(401, 'webhook.signature', err.message);
      if (err instanceof ChannelError && err.code === 'INVALID_REQUEST') throw new AppError(400, 'webhook.invalid', err.message);
      throw err;
    }
    // a redelivery (the network retrying after a 503, or delivering twice) is quarantined once
    if (result.rejected?.length) await quarantineOnce(s.store.db, account.brand_id, `webhook:${network}:${account.id}`, result.rejected, s.clock.now());
    if (result.messages.length) {
      try {
        await s.queue.submit(account.brand_id, result.messages.map((message) => ({ channelAccountId: account.id, message, source: 'network' as const, origin: `webhook:${network}` })));
      } catch (err) {
        if (err instanceof QueueFullError) {
          s.metrics.ingestRejected.inc();
          reply.header('retry-after', String(err.retryAfterS));
          throw new AppError(503, 'ingest.busy', err.message);
        }
        throw err;
      }
    }
    // after the delivery's posts: a post and its deletion in one delivery end redacted
    if (result.deletions?.length) {
      await applyNetworkDeletions(s, { brandId: account.brand_id, network, networkMessageIds: result.deletions.map((d) => d.networkMessageId), actor: `system:webhook:${network}` });
    }
    // posts the network now hides or shows again (a Facebook `feed` change with `verb: hide` / `unhide`)
    if (result.visibility && (result.visibility.hidden.length || result.visibility.shown.length)) {
      const hidden = new Map(result.visibility.hidden.map((h) => [h.networkMessageId, h.reason] as const));
      await applyNetworkVisibility(s, { brandId: account.brand_id, network, channelAccountId: account.id, hidden, shown: result.visibility.shown.filter((id) => !hidden.has(id)), actor: `system:webhook:${network}` });
    }
    const r = result.response;
    for (const [k, v] of Object.entries(r.headers ?? {})) reply.header(k, v);
    reply.code(r.status);
    if (r.body === undefined) return reply.send();
    return reply.send(typeof r.body === 'string' ? r.body : JSON.stringify(r.body));
  };
  const schema = { tags: ['webhooks'], summary: 'Network webhook (signature-checked by the connector)', params: z.object({ network: z.string().max(32), accountId: z.coerce.number().int().positive() }) };
  app.get('/api/webhooks/:network/:accountId', { schema }, handler);
  app.post('/api/webhooks/:network/:accountId', { schema, bodyLimit: 8 * 1024 * 1024 }, handler);
}
