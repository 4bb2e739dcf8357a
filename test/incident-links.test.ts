/**
 * Customers' conversations linked to an incident (a mass problem): PUT
 * /api/conversations/:id/incident links and unlinks (audited, live), only to an open
 * incident of the brand and only a customer's conversation; the list filters by incident;
 * the incident counts the customers affected and those still waiting (its statements'
 * conversations are not customers). Through the HTTP API on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBrand } from '../src/commands/setup.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, collectEvents, mention, startDesk, type TestDesk } from './helpers/parley.js';

// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`incident links [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    let expert: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      expert = await Client.signIn(desk.url, 'eli@acme.test');
    });
    afterAll(async () => desk?.stop());

    const customer = async (text: string): Promise<number> => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), text })] });
      return r.json.outcomes[0].conversationId;
    };
    const declare = async (title: string): Promise<number> => {
      const r = await admin.post('/api/incidents', { title, reason: 'many customers write about it' });
      expect(r.status).toBe(201);
      return r.json.id;
    };
    const link = (who: Client, convId: number, incidentId: number | null) => who.req('PUT', `/api/conversations/${convId}/incident`, { incidentId });
    const incident = async (id: number) => (await admin.get('/api/incidents')).json.items.find((i: any) => i.id === id);
    const auditOf = (convId: number) =>
      desk.db.store.db.selectFrom('audit_event').select(['action', 'data', 'actor_user_id']).where('conversation_id', '=', convId).where('action', 'like', 'conversation.incident_%').orderBy('id').execute();

    it('links a customer\'s conversation to an open incident and unlinks it, audited and live', async () => {
      const inc = await declare('Checkout is down');
      const conv = await customer('@AcmeCare I cannot pay for my order');
      expect((await ana.get(`/api/conversations/${conv}`)).json.conversation.incidentId).toBeNull();

      const events = await collectEvents(desk, admin, (ev) => ev.some((e) => e.type === 'conversation.updated' && e.data.id === conv && e.data.incidentId === inc), async () => {
        const r = await link(ana, conv, inc);
        expect(r.status).toBe(200);
        expect(r.json).toMatchObject({ id: conv, incidentId: inc });
        expect(r.json.contact).not.toBeNull();
      });
      const live = events.find((e) => e.type === 'conversation.updated' && e.data.id === conv && e.data.incidentId === inc);
      expect(live?.data.contact).not.toBeNull();
      expect((await ana.get(`/api/conversations/${conv}`)).json.conversation.incidentId).toBe(inc);

      // the same link again changes nothing
      expect((await link(ana, conv, inc)).status).toBe(200);
      const unlinked = await collectEvents(desk, admin, (ev) => ev.some((e) => e.type === 'conversation.updated' && e.data.id === conv && e.data.incidentId === null), async () => {
        const r = await link(ana, conv, null);
        expect(r.status).toBe(200);
        expect(r.json.incidentId).toBeNull();
      });
      expect(unlinked.some((e) => e.type === 'conversation.updated' && e.data.id === conv && e.data.incidentId === null)).toBe(true);

      const trail = await auditOf(conv);
      expect(trail.map((a) => a.action)).toEqual(['conversation.incident_linked', 'conversation.incident_unlinked']);
      expect(JSON.parse(String(trail[0]!.data))).toEqual({ incidentId: inc, title: 'Checkout is down' });
      expect(JSON.parse(String(trail[1]!.data))).toEqual({ incidentId: inc, title: 'Checkout is down' });
      expect(trail[0]!.actor_user_id).toBe(desk.users.ana);
      // the conversation's trail shows them
      const detail = (await ana.get(`/api/conversations/${conv}`)).json;
      expect(detail.audit.map((a: any) => a.action)).toEqual(expect.arrayContaining(['conversation.incident_linked', 'conversation.incident_unlinked']));
      await admin.post(`/api/incidents/${inc}/close`);
    });

    it('is for agents, approvers and admins: not experts; another brand\'s incident or conversation is not found', async () => {
      const inc = await declare('Recall of the kettle K2');
      const conv = await customer('@AcmeCare my kettle K2 sparks');
      const approver = await Client.signIn(desk.url, 'cleo@acme.test');
      expect((await link(expert, conv, inc)).status).toBe(403);
      expect((await link(approver, conv, inc)).status).toBe(200);
      expect((await link(admin, conv, null)).status).toBe(200);

      const now = clock.now();
      const other = await createBrand(desk.db.store.db, { slug: 'globex', name: 'Globex', timezone: 'UTC' }, now);
      const theirs = await desk.db.store.db.insertInto('incident').values({ brand_id: other, title: 'Their outage', status: 'open', opened_by: 'someone', reason: 'theirs', opened_at: now }).returning('id').executeTakeFirstOrThrow();
      const r = await link(ana, conv, theirs.id);
      expect(r.status).toBe(404);
      expect((await link(ana, conv, 999_999)).status).toBe(404);
      // a conversation of another brand
      const { id: _id, ...row } = await desk.db.store.db.selectFrom('conversation').selectAll().where('id', '=', conv).executeTakeFirstOrThrow();
      const foreign = await desk.db.store.db.insertInto('conversation').values({ ...row, brand_id: other, contact_id: null }).returning('id').executeTakeFirstOrThrow();
      expect((await link(ana, foreign.id, inc)).status).toBe(404);
      expect((await auditOf(conv)).map((a) => a.action)).toEqual(['conversation.incident_linked', 'conversation.incident_unlinked']);
      expect((await desk.db.store.db.selectFrom('conversation').select('incident_id').where('id', '=', conv).executeTakeFirstOrThrow()).incident_id).toBeNull();
      await admin.post(`/api/incidents/${inc}/close`);
    });

    it('refuses a closed incident (409) and a statement\'s conversation (400); unlinking from a closed incident works', async () => {
      const inc = await declare('Delivery delays in the north');
      const conv = await customer('@AcmeCare where is my parcel, north depot');
      expect((await link(ana, conv, inc)).status).toBe(200);
      const st = await admin.post(`/api/incidents/${inc}/statement`, { channelAccountId: desk.accountId, text: 'Deliveries in the north are delayed by a day; we are on it.' });
      expect(st.status).toBe(202);
      const statementConv = st.json.message.conversationId as number;
      const refused = await link(ana, statementConv, null);
      expect(refused.status).toBe(400);
      expect(refused.json.code ?? refused.json.error?.code).toBe('incident.not_customer');
      expect((await link(ana, statementConv, inc)).status).toBe(400);
      // still its incident's statement
      expect((await incident(inc)).statements).toHaveLength(1);

      expect((await admin.post(`/api/incidents/${inc}/close`)).status).toBe(200);
      const other = await customer('@AcmeCare north depot again');
      const closed = await link(ana, other, inc);
      expect(closed.status).toBe(409);
      expect(closed.json.code ?? closed.json.error?.code).toBe('incident.closed');
      expect((await link(ana, conv, null)).status).toBe(200);
    });

    it('filters the list by incident and counts the customers affected and still waiting (statements are not customers)', async () => {
      const inc = await declare('App login fails');
      const second = await declare('Stores closed by the storm');
      const a = await customer('@AcmeCare cannot log in to the app');
      const b = await customer('@AcmeCare app login broken again');
      const c = await customer('@AcmeCare login says error 500');
      const unrelated = await customer('@AcmeCare what are your opening hours');
      const d = await customer('@AcmeCare is the Leeds store open?');
      for (const id of [a, b, c]) expect((await link(ana, id, inc)).status).toBe(200);
      expect((await link(ana, d, second)).status).toBe(200);
      expect((await ana.post(`/api/conversations/${c}/status`, { status: 'resolved' })).status).toBe(200);
      // a statement's conversation is linked to its incident too: not an affected customer
      expect((await admin.post(`/api/incidents/${inc}/statement`, { channelAccountId: desk.accountId, text: 'Logging in to the app fails for some of you: we are fixing it.' })).status).toBe(202);

      const listed = await ana.get(`/api/conversations?view=all&incident=${inc}&total=true`);
      expect(listed.status).toBe(200);
      expect(listed.json.items.map((x: any) => x.id).sort((x: number, y: number) => x - y)).toEqual([a, b, c]);
      expect(listed.json.items.every((x: any) => x.incidentId === inc)).toBe(true);
      expect(listed.json.total).toBe(3);
      expect((await ana.get(`/api/conversations?view=open&incident=${inc}`)).json.items.map((x: any) => x.id).sort((x: number, y: number) => x - y)).toEqual([a, b]);
      expect((await ana.get(`/api/conversations?view=all&incident=${second}`)).json.items.map((x: any) => x.id)).toEqual([d]);
      expect((await ana.get('/api/conversations?view=all&limit=200')).json.items.map((x: any) => x.id)).toContain(unrelated);

      expect((await incident(inc)).affected).toEqual({ total: 3, open: 2 });
      expect((await incident(second)).affected).toEqual({ total: 1, open: 1 });
      // the live incident event carries them too
      const events = await collectEvents(desk, admin, (ev) => ev.some((e) => e.type === 'incident' && e.data.id === inc && e.data.affected?.total === 2), async () => {
        expect((await link(ana, b, null)).status).toBe(200);
      });
      expect(events.find((e) => e.type === 'incident' && e.data.id === inc)?.data.affected).toEqual({ total: 2, open: 1 });
      expect((await incident(inc)).affected).toEqual({ total: 2, open: 1 });
    });
  });
}
