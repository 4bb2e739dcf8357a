/**
 * Sign-off that cannot get stuck, on SQLite and PostgreSQL:
 * - a reply the policy holds when nobody but its author may sign it off is refused at
 *   submission (409 approval.no_approver), nothing sent and nothing held; a rewrite at sign-off
 *   that nobody else could sign off is refused the same way;
 * - everyone who may sign a held reply off is told (notification linking to the conversation,
 *   live event), once per draft, and again for a rewritten draft;
 * - the author reads on the held draft when no approver is at the desk now (away/offline, or
 *   the account outside its business hours).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, collectEvents, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`sign-off that cannot get stuck [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let cleo: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      [admin, ana, ben, cleo] = (await Promise.all(['admin', 'ana', 'ben', 'cleo'].map((n) => Client.signIn(desk.url, `${n}@acme.test`)))) as Client[];
      // a keyword policy with no exempt roles: the admin's own "lawyer" replies are held too
      expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { exemptRoles: [], content: { keywords: ['lawyer'] } } })).status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const setUser = (id: number, set: { disabled_at?: number | null; availability?: string }) => db().updateTable('app_user').set(set).where('id', '=', id).execute();
    beforeEach(async () => {
      for (const id of [desk.users.admin, desk.users.approver]) await setUser(id, { disabled_at: null, availability: 'online' });
      await db().updateTable('channel_account').set({ calendar: null }).where('id', '=', desk.accountId).execute();
    });
    const conversation = async () => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0].conversationId as number;
    const settled = () => desk.parley.services.workflowCommands.signOffNoticesSettled();
    const waitingFor = async (c: Client, conv: number) => (await c.get('/api/notifications')).json.items.filter((n: any) => n.kind === 'reply.pending_approval' && n.conversationId === conv);

    it('refuses a held reply that only its author could sign off: nothing sent, nothing held', async () => {
      await setUser(desk.users.approver, { disabled_at: Date.now() }); // the admin is the only one left who signs off
      const conv = await conversation();
      const text = 'Our lawyer has looked at this and we will be in touch today.';
      const r = await admin.post(`/api/conversations/${conv}/replies`, { text, visibility: 'public' });
      expect(r.status).toBe(409);
      expect(r.json.code).toBe('approval.no_approver');
      expect(r.json.detail ?? r.json.message ?? '').toMatch(/ask an admin to add an approver/i);
      const stored = await db().selectFrom('message').select(['id', 'status']).where('conversation_id', '=', conv).where('direction', '=', 'outbound').execute();
      expect(stored).toEqual([]);
      expect(await db().selectFrom('outbox').select('id').execute()).toHaveLength(0);
      // someone else's held reply still waits: the admin may sign it off
      const held = await ana.post(`/api/conversations/${conv}/replies`, { text, visibility: 'public' });
      expect(held.status).toBe(202);
      expect(held.json.message.status).toBe('pending_approval');
      // a reply the policy does not hold is sent as before
      const plain = await admin.post(`/api/conversations/${await conversation()}/replies`, { text: 'Sorry about that! It ships today.', visibility: 'public' });
      expect(plain.json.message.status).toBe('queued');
    });

    it('refuses an incident statement that only its author could sign off', async () => {
      await setUser(desk.users.approver, { disabled_at: Date.now() });
      const inc = await admin.post('/api/incidents', { title: 'Checkout is down', reason: 'Payments fail since 09:40' });
      expect(inc.status).toBe(201);
      const text = 'Checkout is failing for many of you. We are on it and will post here when it works again.';
      const st = await admin.post(`/api/incidents/${inc.json.id}/statement`, { channelAccountId: desk.accountId, text });
      expect(st.status).toBe(409);
      expect(st.json.code).toBe('approval.no_approver');
      expect(await db().selectFrom('message').select('id').where('kind', '=', 'post').execute()).toEqual([]);
      // with cleo back, it waits for her
      await setUser(desk.users.approver, { disabled_at: null });
      expect((await admin.post(`/api/incidents/${inc.json.id}/statement`, { channelAccountId: desk.accountId, text })).status).toBe(202);
      await desk.parley.services.workflowCommands.closeIncident(null, desk.brandId, inc.json.id);
    });

    it('tells every approver once, with a link to the conversation and a live event; a rewrite asks again', async () => {
      const conv = await conversation();
      let id = 0;
      const events = await collectEvents(desk, cleo, (evs) => evs.some((e) => e.type === 'notification' && e.data.kind === 'reply.pending_approval'), async () => {
        const r = await ana.post(`/api/conversations/${conv}/replies`, { text: 'A lawyer will not be needed: we fix it today.', visibility: 'public' });
        expect(r.json.message.status).toBe('pending_approval');
        id = r.json.message.id;
      });
      expect(events.find((e) => e.type === 'notification' && e.data.kind === 'reply.pending_approval')?.data).toMatchObject({ conversationId: conv, messageId: id });
      await settled();
      for (const c of [cleo, admin]) {
        const mine = await waitingFor(c, conv);
        expect(mine).toHaveLength(1);
        expect(mine[0].title).toMatch(/Ana Agent.*waits for your sign-off/);
      }
      expect(await waitingFor(ana, conv)).toHaveLength(0); // not its author
      expect(await waitingFor(ben, conv)).toHaveLength(0); // not someone who signs off
      // a repeat of the same request (same idempotency key) is the same draft: nobody is told twice
      const key = `same-${Date.now()}`;
      const conv2 = await conversation();
      for (let i = 0; i < 2; i++) await ana.post(`/api/conversations/${conv2}/replies`, { text: 'Our lawyer agrees: refund today.', visibility: 'public', idempotencyKey: key });
      await settled();
      expect(await waitingFor(cleo, conv2)).toHaveLength(1);
      // cleo rewrites it: a new draft, which the admin is asked to sign off (cleo is its author now)
      const rw = await cleo.post(`/api/approvals/${id}`, { decision: 'approve', text: 'No lawyer needed: we fix it today, sorry!' });
      expect(rw.status).toBe(200);
      expect(rw.json.status).toBe('pending_approval');
      expect(await waitingFor(admin, conv)).toHaveLength(2);
      expect(await waitingFor(cleo, conv)).toHaveLength(1);
    });

    it('refuses a rewrite at sign-off that nobody else could sign off, leaving the draft as it was', async () => {
      const conv = await conversation();
      const text = 'Our lawyer says the order ships today.';
      const id = (await ana.post(`/api/conversations/${conv}/replies`, { text, visibility: 'public' })).json.message.id;
      await setUser(desk.users.admin, { disabled_at: Date.now() }); // cleo is the only one who signs off
      const rw = await cleo.post(`/api/approvals/${id}`, { decision: 'approve', text: 'Our lawyer says it ships tomorrow.' });
      expect(rw.status).toBe(409);
      expect(rw.json.code).toBe('approval.no_approver');
      const m = await db().selectFrom('message').select(['status', 'text', 'author_user_id']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(m).toMatchObject({ status: 'pending_approval', text, author_user_id: desk.users.ana });
      // approving it as it is still works
      expect((await cleo.post(`/api/approvals/${id}`, { decision: 'approve' })).json.status).toBe('queued');
    });

    it('tells the author when no approver is at the desk now', async () => {
      const conv = await conversation();
      const id = (await ana.post(`/api/conversations/${conv}/replies`, { text: 'Our lawyer will call you.', visibility: 'public' })).json.message.id;
      const wait = async () => (await ana.get(`/api/approvals/${id}/sign-off`)).json;
      expect(await wait()).toMatchObject({ messageId: id, conversationId: conv, status: 'pending_approval', signOff: { approvers: 2, availableNow: 2, reason: null, notice: null } });
      await setUser(desk.users.admin, { availability: 'away' });
      expect((await wait()).signOff).toMatchObject({ availableNow: 1, notice: null });
      await setUser(desk.users.approver, { availability: 'offline' });
      const away = (await wait()).signOff;
      expect(away).toMatchObject({ approvers: 2, availableNow: 0, reason: 'away' });
      expect(away.notice).toBe('Waiting for sign-off — no approver is online now; it will wait until one is');
      // the approvals queue shows the same
      const item = (await cleo.get('/api/approvals')).json.items.find((x: any) => x.id === id);
      expect(item.signOff).toMatchObject({ reason: 'away', availableNow: 0 });
      // online again, but the account is closed (no business hours at all): nobody is at the desk
      for (const u of [desk.users.admin, desk.users.approver]) await setUser(u, { availability: 'online' });
      await db().updateTable('channel_account').set({ calendar: JSON.stringify({ timeZone: 'UTC', weekly: {}, holidays: [] }) }).where('id', '=', desk.accountId).execute();
      const closed = (await wait()).signOff;
      expect(closed).toMatchObject({ availableNow: 0, reason: 'out_of_hours' });
      // their presence says online, so the notice does not say nobody is: only that the desk is closed
      expect(closed.notice).toBe('Waiting for sign-off — it is outside working hours, so an approver may not see it until the desk opens; it will wait until one signs it off');
      // decided: no longer waiting
      expect((await cleo.post(`/api/approvals/${id}`, { decision: 'approve' })).status).toBe(200);
      expect(await wait()).toMatchObject({ status: 'queued', signOff: null });
      expect((await ana.get('/api/approvals/999999/sign-off')).status).toBe(404);
    });
  });
}
