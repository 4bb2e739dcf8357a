/**
 * Outbound webhooks, on SQLite and PostgreSQL: events of the desk reach a receiver on
 * 127.0.0.1 once, signed per Standard Webhooks (checked here with an independent HMAC); a failed
 * attempt is retried with the same webhook-id; 410 turns the endpoint off and tells the admins;
 * nothing is queued for events no endpoint takes, nor for another brand; imported history goes,
 * flagged `history`, only to endpoints that include history; with private targets not allowed,
 * internal addresses are refused at registration and at delivery (after DNS).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { createServer, type Server } from 'node:http';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand } from '../src/commands/setup.js';
import { ManualClock } from '../src/lib/clock.js';
import { openStore, type Dialect } from '../src/store/db.js';
import { gapsIn, GAP_WAIT_MS, mayBeFilled, remainingGaps, runWebhooks, type WebhookDeps } from '../src/jobs/webhooks.js';
import { audit } from '../src/store/audit.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

interface Received { headers: Record<string, string>; body: string }

/** A receiver on 127.0.0.1; `delayMs`: it answers only after that long (a slow receiver). */
async function receiver(delayMs = 0) {
  const got: Received[] = [];
  const answers: number[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      const answer = () => {
        res.statusCode = answers.shift() ?? 200;
        res.end('ok');
      };
      if (delayMs) setTimeout(answer, delayMs).unref();
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { got, answers, url: `http://127.0.0.1:${port}/hook`, port, close: () => new Promise<void>((r) => {
    server.close(() => r());
    server.closeAllConnections();
  }) };
}

/** Standard Webhooks verification, written here from the spec, not with the desk's code. */
function validSignature(secret: string, r: Received): boolean {
  const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
  const expected = createHmac('sha256', key).update(`${r.headers['webhook-id']}.${r.headers['webhook-timestamp']}.${r.body}`).digest();
  return (r.headers['webhook-signature'] ?? '').split(' ').some((s) => {
    const [v, b64] = s.split(',');
    const got = Buffer.from(b64 ?? '', 'base64');
    return v === 'v1' && got.length === expected.length && timingSafeEqual(got, expected);
  });
}

/**
 * A desk that may call webhooks on loopback, signed in as its admin, with the deps of a webhook
 * round and a receiver; registers the suite's beforeAll/afterAll (call it inside a `describe`).
 */
function webhookDesk(dialect: Dialect, clock?: ManualClock) {
  const w = { desk: undefined as unknown as TestDesk, admin: undefined as unknown as Client, deps: undefined as unknown as WebhookDeps, rx: undefined as unknown as Awaited<ReturnType<typeof receiver>> };
  beforeAll(async () => {
    w.desk = await startDesk(dialect, { ...(clock ? { clock } : {}), workers: false, config: { webhooksAllowPrivate: true } });
    w.admin = await Client.signIn(w.desk.url, 'admin@acme.test');
    const s = w.desk.parley.services;
    w.deps = { store: s.store, bus: s.bus, clock: s.clock, secrets: s.secrets, allowPrivate: true };
    w.rx = await receiver();
  });
  afterAll(async () => {
    await w.rx?.close();
    await w.desk?.stop();
  });
  return w;
}

for (const dialect of DIALECTS) {
  describe(`outbound webhooks [${dialect}]`, () => {
    const w = webhookDesk(dialect);
    const deliveries = (endpointId: number) => w.desk.db.store.db.selectFrom('webhook_delivery').selectAll().where('endpoint_id', '=', endpointId).orderBy('id').execute();
    const ingest = async (createdAt = Date.now()) => (await w.admin.post('/api/ingest/messages', { channelAccountId: w.desk.accountId, messages: [mention({ createdAt })] })).json.outcomes[0] as { conversationId: number; messageId: number };

    it('delivers an ingested mention and a resolution once, signed, with the headers', async () => {
      const made = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, description: '<img src=x onerror=alert(1)>', events: ['conversation.created', 'message.received', 'conversation.resolved'] });
      expect(made.status).toBe(201);
      const secret = made.json.secret as string;
      expect(secret).toMatch(/^whsec_/);
      const list = await w.admin.get('/api/integrations/webhooks');
      expect(list.json.items).toHaveLength(1);
      expect(list.json.items[0].description).toBe('<img src=x onerror=alert(1)>');
      expect(JSON.stringify(list.json)).not.toContain(secret.slice(6, 20));
      const row = await w.desk.db.store.db.selectFrom('webhook_endpoint').select('secret_sealed').executeTakeFirstOrThrow();
      expect(row.secret_sealed).not.toContain(secret.slice(6));

      // posted on the network an hour before the endpoint was made, received after: delivered
      const o = await ingest(Date.now() - 3_600_000);
      expect((await w.admin.post(`/api/conversations/${o.conversationId}/status`, { status: 'resolved' })).status).toBe(200);
      await runWebhooks(w.deps);
      await runWebhooks(w.deps);
      const types = w.rx.got.map((r) => JSON.parse(r.body).type).sort();
      expect(types).toEqual(['conversation.created', 'conversation.resolved', 'message.received']);
      for (const r of w.rx.got) {
        expect(r.headers['webhook-id']).toMatch(/^msg_/);
        expect(Math.abs(Number(r.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
        expect(r.headers['content-type']).toBe('application/json');
        expect(validSignature(secret, r)).toBe(true);
        expect(validSignature(secret, { ...r, body: r.body + ' ' })).toBe(false);
      }
      const msg = JSON.parse(w.rx.got.find((r) => JSON.parse(r.body).type === 'message.received')!.body);
      expect(msg).toMatchObject({ brandId: w.desk.brandId, data: { conversationId: o.conversationId, messageId: o.messageId, network: 'x', triage: expect.any(Object) } });
      expect(msg.data).not.toHaveProperty('raw');
      expect(msg.data.text).toMatch(/has not arrived/);
      // the customer's words are read when sent, never kept in the delivery row
      const stored = await w.desk.db.store.db.selectFrom('webhook_delivery').select('payload').where('event_type', '=', 'message.received').execute();
      expect(stored.map((r) => r.payload).join('')).not.toMatch(/has not arrived/);
      expect(new Set(w.rx.got.map((r) => r.headers['webhook-id'])).size).toBe(3);
      const ds = await deliveries(made.json.item.id);
      expect(ds.map((d) => d.status)).toEqual(['delivered', 'delivered', 'delivered']);
      const listed = await w.admin.get(`/api/integrations/webhooks/${made.json.item.id}/deliveries`);
      expect(listed.json.items).toHaveLength(3);
      // rotate: the new secret signs from now on
      const rotated = await w.admin.post(`/api/integrations/webhooks/${made.json.item.id}/rotate-secret`);
      expect(rotated.json.secret).not.toBe(secret);
      w.rx.got.length = 0;
      expect((await w.admin.post(`/api/integrations/webhooks/${made.json.item.id}/test`)).status).toBe(202);
      await runWebhooks(w.deps);
      expect(w.rx.got).toHaveLength(1);
      expect(JSON.parse(w.rx.got[0]!.body).type).toBe('webhook.test');
      expect(validSignature(rotated.json.secret, w.rx.got[0]!)).toBe(true);
      expect(validSignature(secret, w.rx.got[0]!)).toBe(false);
      expect((await w.admin.req('PATCH', `/api/integrations/webhooks/${made.json.item.id}`, { enabled: false })).status).toBe(200);
    });

    it('retries a failed delivery with the same webhook-id until it is accepted', async () => {
      w.rx.got.length = 0;
      const made = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['message.received'] });
      w.rx.answers.push(500);
      await ingest();
      await runWebhooks(w.deps);
      expect(w.rx.got).toHaveLength(1);
      let [d] = await deliveries(made.json.item.id);
      expect(d).toMatchObject({ status: 'pending', attempts: 1, last_status: 500 });
      expect(Number(d!.next_attempt_at)).toBeGreaterThan(Date.now());
      await runWebhooks(w.deps); // not due yet
      expect(w.rx.got).toHaveLength(1);
      expect((await w.admin.post(`/api/integrations/webhooks/${made.json.item.id}/deliveries/${d!.id}/retry`)).status).toBe(200);
      await runWebhooks(w.deps);
      await runWebhooks(w.deps);
      expect(w.rx.got).toHaveLength(2);
      expect(w.rx.got[1]!.headers['webhook-id']).toBe(w.rx.got[0]!.headers['webhook-id']);
      [d] = await deliveries(made.json.item.id);
      expect(d).toMatchObject({ status: 'delivered', attempts: 2, last_status: 200 });
      await w.admin.req('PATCH', `/api/integrations/webhooks/${made.json.item.id}`, { enabled: false });
    });

    it('turns an endpoint off on 410 and tells the admins', async () => {
      w.rx.got.length = 0;
      const made = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['message.received'] });
      w.rx.answers.push(410);
      await ingest();
      await runWebhooks(w.deps);
      const ep = (await w.admin.get('/api/integrations/webhooks')).json.items.find((e: any) => e.id === made.json.item.id);
      expect(ep).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/410/) });
      const notes = (await w.admin.get('/api/notifications')).json.items;
      expect(notes.some((n: any) => n.kind === 'webhook.disabled')).toBe(true);
      await ingest();
      await runWebhooks(w.deps);
      expect(w.rx.got).toHaveLength(1);
    });

    it('queues nothing for events no endpoint takes, nor for another brand', async () => {
      w.rx.got.length = 0;
      const other = await receiver();
      const now = Date.now();
      const brand2 = await createBrand(w.desk.db.store.db, { slug: `other-${dialect}`, name: 'Other', timezone: 'UTC' }, now);
      const secrets = w.desk.parley.services.secrets;
      const ep2 = await w.desk.db.store.db.insertInto('webhook_endpoint').values({ brand_id: brand2, url: other.url, description: '', events: JSON.stringify(['message.received', 'conversation.created']), enabled: 1, secret_sealed: secrets.seal({ secret: 'whsec_AAAA' }), created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
      const made = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['incident.opened'] });
      await ingest();
      await runWebhooks(w.deps);
      expect(await deliveries(made.json.item.id)).toHaveLength(0);
      expect(await deliveries(ep2.id)).toHaveLength(0);
      expect(w.rx.got).toHaveLength(0);
      expect(other.got).toHaveLength(0);
      await other.close();
      await w.desk.db.store.db.deleteFrom('webhook_endpoint').where('id', '=', ep2.id).execute();
      // another brand's endpoint is not this admin's to read or change
      expect((await w.admin.get(`/api/integrations/webhooks/${ep2.id}/deliveries`)).status).toBe(404);
    });

    it('sends assignments, sent replies and incidents', async () => {
      w.rx.got.length = 0;
      const made = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['conversation.assigned', 'reply.sent', 'incident.opened', 'incident.closed'] });
      const o = await ingest();
      expect((await w.admin.post(`/api/conversations/${o.conversationId}/assign`, { assigneeId: w.desk.users.ana })).status).toBe(200);
      const ana = await Client.signIn(w.desk.url, 'ana@acme.test');
      const reply = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text: 'Sorry about that, looking now.', visibility: 'public' });
      expect(reply.status, JSON.stringify(reply.json)).toBeLessThan(300);
      await w.desk.parley.services.outbox.runOnce();
      const inc = await w.admin.post('/api/incidents', { title: 'Checkout down', reason: 'many reports' });
      expect(inc.status).toBeLessThan(300);
      expect((await w.admin.post(`/api/incidents/${inc.json.id}/close`)).status).toBeLessThan(300);
      await runWebhooks(w.deps);
      const byType = Object.fromEntries(w.rx.got.map((r) => JSON.parse(r.body)).map((b) => [b.type, b.data]));
      expect(Object.keys(byType).sort()).toEqual(['conversation.assigned', 'incident.closed', 'incident.opened', 'reply.sent']);
      expect(byType['conversation.assigned']).toMatchObject({ conversationId: o.conversationId, assigneeId: w.desk.users.ana, previousAssigneeId: null, by: `user:${w.desk.users.admin}` });
      expect(byType['reply.sent']).toMatchObject({ conversationId: o.conversationId, messageId: reply.json.message.id });
      expect(byType['incident.opened']).toMatchObject({ incidentId: inc.json.id, title: 'Checkout down' });
      expect(byType['incident.closed']).toMatchObject({ incidentId: inc.json.id });
      await w.admin.req('PATCH', `/api/integrations/webhooks/${made.json.item.id}`, { enabled: false });
    });

    it('turns off an endpoint that has failed for days, and tells the admins', async () => {
      w.rx.got.length = 0;
      const made = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['message.received'] });
      await w.desk.db.store.db.updateTable('webhook_endpoint').set({ failing_since: Date.now() - 6 * 86_400_000 }).where('id', '=', made.json.item.id).execute();
      w.rx.answers.push(503);
      await ingest();
      await runWebhooks(w.deps);
      const ep = (await w.admin.get('/api/integrations/webhooks')).json.items.find((e: any) => e.id === made.json.item.id);
      expect(ep).toMatchObject({ enabled: false, disabledReason: expect.stringMatching(/failed for 6 days/) });
      const notes = (await w.admin.get('/api/notifications')).json.items.filter((n: any) => n.kind === 'webhook.disabled');
      expect(notes.length).toBe(2);
    });

    it('is for admins only', async () => {
      const ana = await Client.signIn(w.desk.url, 'ana@acme.test');
      expect((await ana.get('/api/integrations/webhooks')).status).toBe(403);
      expect((await ana.post('/api/integrations/webhooks', { url: w.rx.url, events: ['message.received'] })).status).toBe(403);
    });
  });
}

for (const dialect of DIALECTS) {
  describe(`outbound webhooks: history imports [${dialect}]`, () => {
    const w = webhookDesk(dialect);
    const DAY = 86_400_000;
    interface Event { type: string; timestamp: string; brandId: number; history?: boolean; data: Record<string, any> }
    const bodies = (got: Received[]) => got.map((r) => JSON.parse(r.body) as Event);
    /** A customer's mention imported as history (as the demo's past weeks are), weeks old; its outcome. */
    const importHistory = async (text: string) => {
      const [o] = await w.desk.parley.services.pipeline.ingest(w.desk.brandId, [{ channelAccountId: w.desk.accountId, message: mention({ text: `@AcmeCare ${text}`, createdAt: Date.now() - 20 * DAY }), source: 'import', history: true, origin: 'test:history' }]);
      expect(o!.status).toBe('stored');
      return o as { messageId: number; conversationId: number };
    };
    const live = async () => (await w.admin.post('/api/ingest/messages', { channelAccountId: w.desk.accountId, messages: [mention()] })).json.outcomes[0] as { conversationId: number; messageId: number };

    it('sends imported history, flagged, only to an endpoint that includes history; live events to both, unflagged', async () => {
      const rx2 = await receiver();
      try {
        const events = ['message.received', 'conversation.created'];
        const withHistory = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, description: 'CRM', events, includeHistory: true });
        expect(withHistory.status).toBe(201);
        expect(withHistory.json.item.includeHistory).toBe(true);
        const secret = withHistory.json.secret as string;
        const without = await w.admin.post('/api/integrations/webhooks', { url: rx2.url, description: 'Slack', events });
        expect(without.status).toBe(201);
        expect(without.json.item.includeHistory).toBe(false);
        const listed = (await w.admin.get('/api/integrations/webhooks')).json.items as { id: number; includeHistory: boolean }[];
        expect(Object.fromEntries(listed.map((e) => [e.id, e.includeHistory]))).toEqual({ [withHistory.json.item.id]: true, [without.json.item.id]: false });

        const past = await importHistory('my parcel from last month never came');
        const now = await live();
        await runWebhooks(w.deps);
        await runWebhooks(w.deps);

        const a = bodies(w.rx.got);
        for (const r of w.rx.got) expect(validSignature(secret, r)).toBe(true);
        const hist = a.filter((e) => e.history === true);
        expect(hist.map((e) => e.type).sort()).toEqual(['conversation.created', 'message.received']);
        const msg = hist.find((e) => e.type === 'message.received')!;
        expect(msg).toMatchObject({ brandId: w.desk.brandId, history: true, data: { messageId: past.messageId, conversationId: past.conversationId, network: 'x', text: '@AcmeCare my parcel from last month never came' } });
        // the message's own time on the network; the envelope's timestamp: when the desk stored it
        expect(Date.parse(msg.data.createdAt)).toBeLessThan(Date.now() - 19 * DAY);
        expect(hist.find((e) => e.type === 'conversation.created')!.data.conversationId).toBe(past.conversationId);
        // live events carry no history field, to either endpoint
        const liveA = a.filter((e) => e.history === undefined);
        expect(liveA.map((e) => `${e.type}:${e.data.conversationId}`).sort()).toEqual([`conversation.created:${now.conversationId}`, `message.received:${now.conversationId}`]);
        const b = bodies(rx2.got);
        expect(b.map((e) => `${e.type}:${e.data.conversationId}`).sort()).toEqual([`conversation.created:${now.conversationId}`, `message.received:${now.conversationId}`]);
        expect(b.every((e) => !('history' in e))).toBe(true);
        // nothing of the history is queued for the endpoint without it, now or later
        const queued = await w.desk.db.store.db.selectFrom('webhook_delivery').select('event_key').where('endpoint_id', '=', without.json.item.id).execute();
        expect(queued.map((d) => d.event_key)).not.toContain(`message:${past.messageId}`);
        expect(queued.map((d) => d.event_key)).not.toContain(`conversation:${past.conversationId}`);
        const gotBefore = w.rx.got.length;
        await runWebhooks(w.deps);
        expect(w.rx.got).toHaveLength(gotBefore);
        expect(rx2.got).toHaveLength(2);

        // the setting changed: the other way round from then on
        expect((await w.admin.req('PATCH', `/api/integrations/webhooks/${withHistory.json.item.id}`, { includeHistory: false })).json.item.includeHistory).toBe(false);
        expect((await w.admin.req('PATCH', `/api/integrations/webhooks/${without.json.item.id}`, { includeHistory: true })).json.item.includeHistory).toBe(true);
        w.rx.got.length = 0;
        rx2.got.length = 0;
        const past2 = await importHistory('the refund from three weeks ago is still missing');
        await runWebhooks(w.deps);
        expect(w.rx.got).toHaveLength(0);
        expect(bodies(rx2.got).map((e) => `${e.type}:${e.history}:${e.data.conversationId}`).sort()).toEqual([`conversation.created:true:${past2.conversationId}`, `message.received:true:${past2.conversationId}`]);
        await w.admin.req('PATCH', `/api/integrations/webhooks/${without.json.item.id}`, { enabled: false });
        await w.admin.req('PATCH', `/api/integrations/webhooks/${withHistory.json.item.id}`, { enabled: false });
      } finally {
        await rx2.close();
      }
    });

    it('retries a history delivery as a live one: the same webhook-id until it is accepted', async () => {
      w.rx.got.length = 0;
      const made = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['message.received'], includeHistory: true });
      w.rx.answers.push(503);
      const past = await importHistory('an order from January, never delivered');
      await runWebhooks(w.deps);
      expect(w.rx.got).toHaveLength(1);
      let [d] = await w.desk.db.store.db.selectFrom('webhook_delivery').selectAll().where('endpoint_id', '=', made.json.item.id).execute();
      expect(d).toMatchObject({ event_key: `message:${past.messageId}`, status: 'pending', attempts: 1, last_status: 503 });
      expect(Number(d!.next_attempt_at)).toBeGreaterThan(Date.now());
      expect((await w.admin.post(`/api/integrations/webhooks/${made.json.item.id}/deliveries/${d!.id}/retry`)).status).toBe(200);
      await runWebhooks(w.deps);
      expect(w.rx.got).toHaveLength(2);
      expect(w.rx.got[1]!.headers['webhook-id']).toBe(w.rx.got[0]!.headers['webhook-id']);
      expect(bodies(w.rx.got).map((e) => e.history)).toEqual([true, true]);
      [d] = await w.desk.db.store.db.selectFrom('webhook_delivery').selectAll().where('endpoint_id', '=', made.json.item.id).execute();
      expect(d).toMatchObject({ status: 'delivered', attempts: 2 });
      await w.admin.req('PATCH', `/api/integrations/webhooks/${made.json.item.id}`, { enabled: false });
    });

    it('takes includeHistory as a boolean only, and documents it in the OpenAPI description', async () => {
      const bad = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['message.received'], includeHistory: 'yes' });
      expect(bad.status).toBe(400);
      const doc = (await (await fetch(`${w.desk.url}/api/openapi.json`)).json()) as any;
      const path = doc.paths['/api/integrations/webhooks'];
      expect(JSON.stringify(path.post.requestBody)).toContain('includeHistory');
      expect(JSON.stringify(path.get.responses)).toContain('includeHistory');
      expect(JSON.stringify(doc.paths['/api/integrations/webhooks/{id}'].patch.requestBody)).toContain('includeHistory');
    });
  });
}

async function eventually(fn: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 London: business hours
const T = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`outbound webhooks: SLA breaches, notes, labels and priority [${dialect}]`, () => {
    const clock = new ManualClock(T);
    const w = webhookDesk(dialect, clock);
    let n = 0;
    const ingest = async (text = 'my order has not arrived yet, it was due on Monday') => {
      const o = (await w.admin.post('/api/ingest/messages', { channelAccountId: w.desk.accountId, messages: [mention({ author: { networkUserId: `wh-${dialect}-${++n}`, handle: `whcustomer${n}`, displayName: `Customer ${n}`, followers: 10 }, text: `@AcmeCare ${text}`, createdAt: clock.now() })] })).json.outcomes[0];
      expect(o.status).toBe('stored');
      return o as { conversationId: number; messageId: number };
    };
    /** An endpoint taking `events`, and a function that runs the webhooks and answers what reached it (signatures checked). */
    const endpoint = async (events: string[]) => {
      const made = await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events });
      expect(made.status).toBe(201);
      const secret = made.json.secret as string;
      return async () => {
        w.rx.got.length = 0;
        await runWebhooks(w.deps);
        for (const r of w.rx.got) expect(validSignature(secret, r)).toBe(true);
        return w.rx.got.map((r) => JSON.parse(r.body) as { type: string; timestamp: string; brandId: number; data: Record<string, unknown> });
      };
    };

    it('sends sla.breached when a conversation\'s first response is late, once', async () => {
      const run = await endpoint(['sla.breached']);
      clock.advance(MIN);
      const received = clock.now();
      const o = await ingest();
      expect((await w.admin.post(`/api/conversations/${o.conversationId}/assign`, { assigneeId: w.desk.users.ana })).status).toBe(200);
      expect(await run()).toEqual([]);
      // the conversation's SLA timer fires at the due time, nobody having answered
      clock.set(received + 30 * MIN);
      await w.desk.parley.services.workflow.refreshSlaMany([o.conversationId]);
      expect((await w.admin.get(`/api/conversations/${o.conversationId}`)).json.conversation.slaState).toBe('breached');
      const got = await run();
      expect(got).toEqual([{
        type: 'sla.breached', timestamp: new Date(received + 30 * MIN).toISOString(), brandId: w.desk.brandId,
        data: { conversationId: o.conversationId, clock: 'first_response', cycle: 1, targetMs: 30 * MIN, dueAt: new Date(received + 30 * MIN).toISOString(), assigneeId: w.desk.users.ana, teamId: null, channelAccountId: w.desk.accountId, network: 'x', visibility: 'public', priority: expect.any(Number) },
      }]);
      // worked out again, and a later round: nothing more
      await w.desk.parley.services.workflow.refreshSlaMany([o.conversationId]);
      expect(await run()).toEqual([]);

      // triage corrected to spam: the breach is withdrawn from the reports, and nothing follows the event sent
      const ana = await Client.signIn(w.desk.url, 'ana@acme.test');
      const breaches = () => w.desk.db.store.db.selectFrom('reporting_fact').select('id').where('conversation_id', '=', o.conversationId).where('kind', '=', 'sla_breached').execute();
      expect((await ana.post(`/api/messages/${o.messageId}/triage`, { category: 'spam' })).status).toBe(200);
      await eventually(async () => (await breaches()).length === 0, 'the breach withdrawn');
      expect(await run()).toEqual([]);
      // corrected back: the same breach comes back to the reports, and is not sent again
      expect((await ana.post(`/api/messages/${o.messageId}/triage`, { action: 'respond', category: 'customer_service' })).status).toBe(200);
      await eventually(async () => (await breaches()).length === 1, 'the breach back');
      expect(await run()).toEqual([]);

      // a breach withdrawn before the round that would send it is never sent
      const o2 = await ingest('my refund never came through');
      clock.advance(30 * MIN);
      await w.desk.parley.services.workflow.refreshSlaMany([o2.conversationId]);
      expect(await w.desk.db.store.db.selectFrom('reporting_fact').select('id').where('conversation_id', '=', o2.conversationId).where('kind', '=', 'sla_breached').execute()).toHaveLength(1);
      expect((await ana.post(`/api/messages/${o2.messageId}/triage`, { category: 'spam' })).status).toBe(200);
      await eventually(async () => (await w.desk.db.store.db.selectFrom('reporting_fact').select('id').where('conversation_id', '=', o2.conversationId).where('kind', '=', 'sla_breached').execute()).length === 0, 'the second breach withdrawn');
      expect(await run()).toEqual([]);
    });

    it('sends conversation.note_added with the note\'s text, read when sent', async () => {
      const run = await endpoint(['conversation.note_added']);
      clock.advance(MIN);
      const o = await ingest('where is my parcel');
      const ana = await Client.signIn(w.desk.url, 'ana@acme.test');
      const note = await ana.post(`/api/conversations/${o.conversationId}/notes`, { text: 'Courier says Thursday <b>not</b> Friday, @Ben Agent can you check?' });
      expect(note.status).toBe(201);
      const got = await run();
      expect(got).toHaveLength(1);
      expect(got[0]).toMatchObject({ type: 'conversation.note_added', brandId: w.desk.brandId, timestamp: new Date(clock.now()).toISOString(), data: { conversationId: o.conversationId, noteId: note.json.id, text: 'Courier says Thursday <b>not</b> Friday, @Ben Agent can you check?', by: `user:${w.desk.users.ana}` } });
      expect(Array.isArray(got[0]!.data.mentionedUserIds)).toBe(true);
      // the words are not kept in the delivery row
      const stored = await w.desk.db.store.db.selectFrom('webhook_delivery').select('payload').where('event_type', '=', 'conversation.note_added').execute();
      expect(stored.map((r) => r.payload).join('')).not.toContain('Courier says');
    });

    it('sends conversation.labels_changed and conversation.priority_changed', async () => {
      const run = await endpoint(['conversation.labels_changed', 'conversation.priority_changed']);
      clock.advance(MIN);
      const o = await ingest('the app crashes when I pay');
      const before = (await w.admin.get(`/api/conversations/${o.conversationId}`)).json.conversation.priority as number;
      const to = before === 90 ? 80 : 90;
      expect((await w.admin.post(`/api/conversations/${o.conversationId}/labels`, { add: ['Billing', 'app'] })).status).toBe(200);
      expect((await w.admin.post(`/api/conversations/${o.conversationId}/labels`, { remove: ['app'] })).status).toBe(200);
      expect((await w.admin.post(`/api/conversations/${o.conversationId}/priority`, { priority: to })).status).toBe(200);
      // the same priority again changes nothing: no event
      expect((await w.admin.post(`/api/conversations/${o.conversationId}/priority`, { priority: to })).status).toBe(200);
      const got = await run();
      const by = `user:${w.desk.users.admin}`;
      // attempted side by side: a receiver orders by the envelope's timestamp or `at`, not by arrival
      expect(got).toHaveLength(3);
      expect(got.map((g) => ({ type: g.type, data: g.data }))).toEqual(expect.arrayContaining([
        { type: 'conversation.labels_changed', data: { conversationId: o.conversationId, added: ['billing', 'app'], removed: [], by, at: expect.any(String) } },
        { type: 'conversation.labels_changed', data: { conversationId: o.conversationId, added: [], removed: ['app'], by, at: expect.any(String) } },
        { type: 'conversation.priority_changed', data: { conversationId: o.conversationId, priority: to, previousPriority: before, by, at: expect.any(String) } },
      ]));
    });
  });

  describe(`outbound webhooks: an event whose row takes the id of a deleted newest row [${dialect}]`, () => {
    // SQLite handed a deleted newest row's id to the next row, below the sweep's cursor
    const clock = new ManualClock(T);
    const w = webhookDesk(dialect, clock);
    let n = 0;
    const ingest = async (text = 'my order has not arrived yet, it was due on Monday', over: Record<string, unknown> = {}) => {
      const o = (await w.admin.post('/api/ingest/messages', { channelAccountId: w.desk.accountId, messages: [mention({ author: { networkUserId: `reuse-${dialect}-${++n}`, handle: `reuser${n}`, displayName: `Customer ${n}`, followers: 10 }, text: `@AcmeCare ${text}`, createdAt: clock.now(), ...over })] })).json.outcomes[0];
      expect(o.status).toBe('stored');
      return o as { conversationId: number; messageId: number };
    };
    const newest = async (table: 'message' | 'reporting_fact') => Number((await w.desk.db.store.db.selectFrom(table).select((eb) => eb.fn.max('id').as('m')).executeTakeFirstOrThrow()).m);
    const run = async () => {
      w.rx.got.length = 0;
      await runWebhooks(w.deps);
      return w.rx.got.map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });
    };

    it('sends a breach whose fact follows a withdrawn newest breach, once', async () => {
      expect((await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['sla.breached'] })).status).toBe(201);
      clock.advance(MIN);
      const later = await ingest('my refund never came through');
      clock.advance(MIN);
      const first = await ingest();
      clock.advance(30 * MIN);
      // the first conversation breaches (its fact the newest) and is sent
      await w.desk.parley.services.workflow.refreshSlaMany([first.conversationId]);
      const breach = (conversationId: number) => w.desk.db.store.db.selectFrom('reporting_fact').select('id').where('conversation_id', '=', conversationId).where('kind', '=', 'sla_breached').execute();
      const [fact] = await breach(first.conversationId);
      expect(Number(fact!.id)).toBe(await newest('reporting_fact'));
      expect((await run()).map((g) => g.data.conversationId)).toEqual([first.conversationId]);
      // triage corrected to spam: the breach, still the newest fact, is withdrawn (deleted)
      const ana = await Client.signIn(w.desk.url, 'ana@acme.test');
      expect((await ana.post(`/api/messages/${first.messageId}/triage`, { category: 'spam' })).status).toBe(200);
      await eventually(async () => (await breach(first.conversationId)).length === 0, 'the breach withdrawn');
      expect(await newest('reporting_fact')).toBeLessThan(Number(fact!.id));
      // the other conversation breaches next: its fact must not take the withdrawn one's id
      await w.desk.parley.services.workflow.refreshSlaMany([later.conversationId]);
      const [next] = await breach(later.conversationId);
      expect(Number(next!.id)).toBeGreaterThan(Number(fact!.id));
      const got = await run();
      expect(got.map((g) => ({ type: g.type, conversationId: g.data.conversationId, clock: g.data.clock }))).toEqual([{ type: 'sla.breached', conversationId: later.conversationId, clock: 'first_response' }]);
      expect(await run()).toEqual([]);
    });

    it('sends a message that follows a deleted newest message (a reply\'s echo), once', async () => {
      expect((await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['message.received'] })).status).toBe(201);
      clock.advance(MIN);
      const o = await ingest('where is my parcel');
      const ana = await Client.signIn(w.desk.url, 'ana@acme.test');
      const reply = await ana.post(`/api/conversations/${o.conversationId}/replies`, { text: 'Looking into it now.', visibility: 'public' });
      expect(reply.status, JSON.stringify(reply.json)).toBeLessThan(300);
      // the network shows the reply back before the desk learns its id: an echo, the newest message
      const { idempotency_key: key } = await w.desk.db.store.db.selectFrom('outbox').select('idempotency_key').where('message_id', '=', reply.json.message.id).executeTakeFirstOrThrow();
      const echo = await ingest('Looking into it now.', { networkMessageId: `demo-${w.desk.accountId}-${key}` });
      expect(echo.messageId).toBe(await newest('message'));
      await run();
      // the reply goes out; the outbox keeps it and deletes the echo
      await w.desk.parley.services.outbox.runOnce();
      expect(await w.desk.db.store.db.selectFrom('message').select('id').where('id', '=', echo.messageId).executeTakeFirst()).toBeUndefined();
      expect(await newest('message')).toBeLessThan(echo.messageId);
      clock.advance(MIN);
      const next = await ingest('still nothing, any news?');
      expect(next.messageId).toBeGreaterThan(echo.messageId);
      const got = await run();
      expect(got.map((g) => ({ type: g.type, messageId: g.data.messageId }))).toEqual([{ type: 'message.received', messageId: next.messageId }]);
      expect(await run()).toEqual([]);
    });
  });

  describe(`outbound webhooks: a slow receiver holds up only its own deliveries [${dialect}]`, () => {
    let desk: TestDesk;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false, config: { webhooksAllowPrivate: true } });
    });
    afterAll(async () => desk?.stop());

    it('the fast endpoint\'s deliveries all go out in the round while the slow one\'s wait', async () => {
      // the slow receiver answers after 6 s; the desk waits 4 s for it; the round starts attempts for 2 s
      const slow = await receiver(6_000);
      const fast = await receiver();
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      const slowEp = (await admin.post('/api/integrations/webhooks', { url: slow.url, events: ['message.received'] })).json.item.id as number;
      const fastEp = (await admin.post('/api/integrations/webhooks', { url: fast.url, events: ['message.received'] })).json.item.id as number;
      const n = 80;
      const res = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: Array.from({ length: n }, () => mention()) });
      expect(res.status).toBe(200);
      const s = desk.parley.services;
      const started = Date.now();
      await runWebhooks({ store: s.store, bus: s.bus, clock: s.clock, secrets: s.secrets, allowPrivate: true, timeoutMs: 4_000, roundMs: 2_000 });
      const took = Date.now() - started;
      const byStatus = async (endpointId: number) => {
        const rows = await desk.db.store.db.selectFrom('webhook_delivery').select(['status', 'attempts', 'last_error']).where('endpoint_id', '=', endpointId).execute();
        return rows.reduce<Record<string, number>>((m, r) => ({ ...m, [`${r.status}/${r.attempts}`]: (m[`${r.status}/${r.attempts}`] ?? 0) + 1 }), {});
      };
      // every fast delivery went out, each once
      expect(new Set(fast.got.map((r) => r.headers['webhook-id'])).size).toBe(n);
      expect(await byStatus(fastEp)).toEqual({ 'delivered/1': n });
      // the slow endpoint's lane: 50 attempted and timed out (to be retried), the rest still waiting their turn
      expect(await byStatus(slowEp)).toEqual({ 'pending/1': 50, 'pending/0': n - 50 });
      expect(slow.got).toHaveLength(50);
      // the round waited once for the slow lane's timeout, not a timeout per batch
      expect(took).toBeLessThan(8_000);
      await slow.close();
      await fast.close();
    }, 60_000);
  });
}

describe('outbound webhooks refuse internal targets when private ones are not allowed', () => {
  let desk: TestDesk;
  let admin: Client;
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
  });
  afterAll(async () => desk?.stop());

  it('at registration', async () => {
    for (const url of ['https://127.0.0.1/hook', 'https://10.0.0.8/hook', 'https://169.254.169.254/latest/meta-data', 'https://[::1]/hook', 'https://localhost/hook', 'http://hooks.example.com/x']) {
      const r = await admin.post('/api/integrations/webhooks', { url, events: ['message.received'] });
      expect(r.status, url).toBe(400);
      expect(r.json.code).toBe('webhook.url_refused');
    }
    expect(await desk.db.store.db.selectFrom('webhook_endpoint').select('id').execute()).toHaveLength(0);
  });

  it('at delivery, after DNS: a name that resolves to loopback is not called', async () => {
    const rx = await receiver();
    const name = hostname();
    const addrs = await lookup(name, { all: true }).catch(() => []);
    // this machine's own name resolves to itself (loopback or a private address)
    expect(addrs.length).toBeGreaterThan(0);
    // registered while its name was public (as if DNS changed since): inserted as it would have been
    const s = desk.parley.services;
    const now = Date.now();
    const ep = await s.store.db.insertInto('webhook_endpoint').values({ brand_id: desk.brandId, url: `https://${name}:${rx.port}/hook`, description: '', events: JSON.stringify(['message.received']), enabled: 1, secret_sealed: s.secrets.seal({ secret: 'whsec_AAAA' }), created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow();
    await s.store.db.insertInto('webhook_cursor').values([{ source: 'message', last_id: 0, gaps: '[]', updated_at: now }, { source: 'conversation', last_id: 0, gaps: '[]', updated_at: now }, { source: 'audit_event', last_id: 0, gaps: '[]', updated_at: now }]).onConflict((oc) => oc.column('source').doNothing()).execute();
    await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] });
    await runWebhooks({ store: s.store, bus: s.bus, clock: s.clock, secrets: s.secrets, allowPrivate: false });
    const [d] = await s.store.db.selectFrom('webhook_delivery').selectAll().where('endpoint_id', '=', ep.id).execute();
    expect(d).toMatchObject({ status: 'pending', attempts: 1 });
    expect(d!.last_error).toMatch(/^refused: .* resolves to/);
    expect(rx.got).toHaveLength(0);
    await rx.close();
  });
});

describe('outbound webhooks: two processes on one PostgreSQL deliver each event once', () => {
  let desk: TestDesk;
  beforeAll(async () => {
    desk = await startDesk('postgres', { workers: false, config: { webhooksAllowPrivate: true } });
  });
  afterAll(async () => desk?.stop());

  it('derives and delivers concurrently without a duplicate', async () => {
    const rx = await receiver();
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    expect((await admin.post('/api/integrations/webhooks', { url: rx.url, events: ['message.received', 'conversation.created'] })).status).toBe(201);
    const s = desk.parley.services;
    // the second process: its own connections to the same database, the same instance secret
    const other = await openStore({ databaseUrl: desk.db.databaseUrl! });
    try {
      const one: WebhookDeps = { store: s.store, bus: s.bus, clock: s.clock, secrets: s.secrets, allowPrivate: true };
      const two: WebhookDeps = { ...one, store: other };
      const n = 15;
      for (let i = 0; i < n; i++) await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] });
      for (let round = 0; round < 4; round++) await Promise.all([runWebhooks(one), runWebhooks(two), runWebhooks(one), runWebhooks(two)]);
      expect(rx.got).toHaveLength(2 * n);
      expect(new Set(rx.got.map((r) => r.headers['webhook-id'])).size).toBe(2 * n);
      const rows = await s.store.db.selectFrom('webhook_delivery').select(['status', 'attempts']).execute();
      expect(rows).toHaveLength(2 * n);
      expect(rows.every((r) => r.status === 'delivered' && r.attempts === 1)).toBe(true);
    } finally {
      await other.close();
      await rx.close();
    }
  });

  it('delivers an event whose transaction commits after a later one was swept, and reads only the ids it skipped again', async () => {
    const rx = await receiver();
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    expect((await admin.post('/api/integrations/webhooks', { url: rx.url, events: ['incident.opened'] })).status).toBe(201);
    const s = desk.parley.services;
    const deps: WebhookDeps = { store: s.store, bus: s.bus, clock: s.clock, secrets: s.secrets, allowPrivate: true };
    await runWebhooks(deps);
    const opened = (title: string) => ({ brandId: desk.brandId, actor: 'test', action: 'incident.opened', subjectType: 'incident', subjectId: 0, data: { title } });
    // a transaction takes its id first and commits last
    let commit!: () => void;
    const held = new Promise<void>((r) => (commit = r));
    let written!: () => void;
    const wrote = new Promise<void>((r) => (written = r));
    const slow = s.store.db.transaction().execute(async (trx) => {
      await audit(trx, opened('slow'), Date.now());
      written();
      await held;
    });
    await wrote;
    await s.store.db.transaction().execute((trx) => audit(trx, opened('quick'), Date.now()));
    await runWebhooks(deps);
    const titles = () => rx.got.map((r) => JSON.parse(r.body).data.title);
    expect(titles()).toEqual(['quick']);
    const cursor = await s.store.db.selectFrom('webhook_cursor').selectAll().where('source', '=', 'audit_event').executeTakeFirstOrThrow();
    const gaps = JSON.parse(cursor.gaps) as [number, number, number][];
    expect(gaps).toHaveLength(1);
    expect(gaps[0]![1]).toBeLessThan(Number(cursor.last_id));
    commit();
    await slow;
    await runWebhooks(deps);
    expect(titles()).toEqual(['quick', 'slow']);
    expect(JSON.parse((await s.store.db.selectFrom('webhook_cursor').select('gaps').where('source', '=', 'audit_event').executeTakeFirstOrThrow()).gaps)).toEqual([]);
    await runWebhooks(deps);
    expect(rx.got).toHaveLength(2);
    await rx.close();
  });
});

describe('outbound webhooks: a transaction that commits long after a later row was swept [postgres]', () => {
  const clock = new ManualClock(T);
  const w = webhookDesk('postgres', clock);

  it('is delivered however late it commits, and a rolled-back one\'s ids are given up when it ends', async () => {
    expect((await w.admin.post('/api/integrations/webhooks', { url: w.rx.url, events: ['incident.opened'] })).status).toBe(201);
    const s = w.desk.parley.services;
    await runWebhooks(w.deps);
    const opened = (title: string) => ({ brandId: w.desk.brandId, actor: 'test', action: 'incident.opened', subjectType: 'incident', subjectId: 0, data: { title } });
    const gaps = async () => JSON.parse((await s.store.db.selectFrom('webhook_cursor').select('gaps').where('source', '=', 'audit_event').executeTakeFirstOrThrow()).gaps) as unknown[];
    const titles = () => w.rx.got.map((r) => JSON.parse(r.body).data.title);
    /** A transaction that writes `title` (taking its id now) and commits, or rolls back, when told. */
    const held = async (title: string) => {
      let end!: (commit: boolean) => void;
      const ended = new Promise<boolean>((r) => (end = r));
      let written!: () => void;
      const wrote = new Promise<void>((r) => (written = r));
      const done = s.store.db.transaction().execute(async (trx) => {
        await audit(trx, opened(title), clock.now());
        written();
        if (!(await ended)) throw new Error('rolled back');
      }).catch(() => {});
      await wrote;
      return async (commit: boolean) => {
        end(commit);
        await done;
      };
    };
    const slow = await held('slow');
    await s.store.db.transaction().execute((trx) => audit(trx, opened('quick'), clock.now()));
    await runWebhooks(w.deps);
    expect(titles()).toEqual(['quick']);
    expect(await gaps()).toHaveLength(1);
    // long past any fixed wait, the transaction is still open: its ids are still waited for
    clock.advance(GAP_WAIT_MS + 5 * MIN);
    await runWebhooks(w.deps);
    expect(await gaps()).toHaveLength(1);
    await slow(true);
    await runWebhooks(w.deps);
    expect(titles()).toEqual(['quick', 'slow']);
    expect(await gaps()).toEqual([]);

    // rolled back: nothing can fill its ids once it has ended, and they are given up at once
    const undone = await held('undone');
    await s.store.db.transaction().execute((trx) => audit(trx, opened('quick 2'), clock.now()));
    await runWebhooks(w.deps);
    expect(await gaps()).toHaveLength(1);
    await undone(false);
    await runWebhooks(w.deps);
    expect(await gaps()).toEqual([]);
    expect(titles()).toEqual(['quick', 'slow', 'quick 2']);
  });
});

describe('outbound webhooks keep up with a busy desk', () => {
  let desk: TestDesk;
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false, config: { webhooksAllowPrivate: true } });
  });
  afterAll(async () => desk?.stop());

  it('a round goes on attempting what is due, batch after batch, while a fast receiver keeps up', async () => {
    const rx = await receiver();
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    expect((await admin.post('/api/integrations/webhooks', { url: rx.url, events: ['message.received', 'conversation.created'] })).status).toBe(201);
    for (let i = 0; i < 3; i++) {
      const res = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: Array.from({ length: 50 }, () => mention()) });
      expect(res.status).toBe(200);
    }
    const s = desk.parley.services;
    // the round's reads of what is due (grouped by endpoint) and its transactions, counted on the way to the database
    let looks = 0;
    let transactions = 0;
    const db = s.store.db.withPlugin({
      transformQuery: (a) => {
        if (a.node.kind === 'SelectQueryNode' && a.node.groupBy) looks++;
        return a.node;
      },
      transformResult: async (a) => a.result,
    });
    const open = db.transaction.bind(db);
    db.transaction = () => (transactions++, open());
    // 150 mentions, each a new conversation: 300 deliveries, all sent in one round
    await runWebhooks({ store: { ...s.store, db }, bus: s.bus, clock: s.clock, secrets: s.secrets, allowPrivate: true });
    expect(rx.got).toHaveLength(300);
    expect(new Set(rx.got.map((r) => r.headers['webhook-id'])).size).toBe(300);
    // attempts that finish together refill their lane together: a look and a claim per many deliveries, not per delivery
    expect({ looks: looks < 300 / 10, transactions: transactions < 300 / 10 }, JSON.stringify({ looks, transactions })).toEqual({ looks: true, transactions: true });
    await rx.close();
  });
});

describe('the ids a webhook sweep skipped over', () => {
  it('are kept as ranges until found or waited for long enough', () => {
    expect(gapsIn(10, [11, 12, 15, 16, 20], 1000)).toEqual([[13, 14, 1000], [17, 19, 1000]]);
    expect(gapsIn(10, [], 1000)).toEqual([]);
    const gaps = gapsIn(0, [1, 10], 1000);
    expect(gaps).toEqual([[2, 9, 1000]]);
    const always = () => true;
    expect(remainingGaps(gaps, new Set([2, 5, 9, 42]), always)).toEqual([[3, 4, 1000], [6, 8, 1000]]);
    expect(remainingGaps(gaps, new Set(), () => false)).toEqual([]);
    expect(remainingGaps([[1, 1e9, 0]], new Set([5e8]), always)).toEqual([[1, 5e8 - 1, 0], [5e8 + 1, 1e9, 0]]);
  });

  it('are waited for on SQLite a while, on PostgreSQL while a transaction that began before them is open', () => {
    expect(mayBeFilled('sqlite', 1000, 1000 + GAP_WAIT_MS, null)).toBe(true);
    expect(mayBeFilled('sqlite', 1000, 1000 + GAP_WAIT_MS + 1, null)).toBe(false);
    // however long ago, while a transaction older than the gap is open
    expect(mayBeFilled('postgres', 1000, 1000 + 24 * 3_600_000, 999)).toBe(true);
    expect(mayBeFilled('postgres', 1000, 1000 + 24 * 3_600_000, 1000)).toBe(true);
    // every open transaction began after the gap was seen, or none is open: nothing can fill it
    expect(mayBeFilled('postgres', 1000, 1001, 1001)).toBe(false);
    expect(mayBeFilled('postgres', 1000, 1001, null)).toBe(false);
  });
});
