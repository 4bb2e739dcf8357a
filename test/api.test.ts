import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, collectEvents, mention, startDesk, type TestDesk } from './helpers/parley.js';

/** Read SSE events from /api/events until `until` returns true or the time runs out. */

for (const dialect of DIALECTS) {
  describe(`HTTP API [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    it('answers health and serves an OpenAPI document generated from the schemas', async () => {
      const h = (await (await fetch(`${desk.url}/api/health`)).json()) as any;
      expect(h).toMatchObject({ status: 'ok', database: dialect });
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as any;
      expect(doc.openapi).toBe('3.1.0');
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/conversations', '/api/conversations/{id}/replies', '/api/ingest/messages', '/api/events']));
      expect(doc.paths['/api/conversations'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['view', 'q', 'cursor']));
      const metrics = await (await fetch(`${desk.url}/metrics`)).text();
      expect(metrics).toContain('parley_ingest_items_total');
    });

    it('counts every ingested item in /metrics by outcome, whatever submitted it (API, webhook, polling, demo replay)', async () => {
      const count = async (outcome: string) => Number((await (await fetch(`${desk.url}/metrics`)).text()).match(new RegExp(`parley_ingest_items_total\\{outcome="${outcome}"\\} (\\d+)`))?.[1] ?? 0);
      const [stored0, dup0] = [await count('stored'), await count('duplicate')];
      const a = mention({ text: '@AcmeCare counted through the API' });
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [a, a] });
      // what a poller or the demo replay submits goes through the same queue, without any route
      const b = mention({ text: '@AcmeCare counted from polling' });
      await desk.parley.services.queue.submit(desk.brandId, [{ channelAccountId: desk.accountId, message: b, source: 'network', origin: 'sync:x' }, { channelAccountId: desk.accountId, message: b, source: 'network', origin: 'sync:x' }]);
      expect(await count('stored')).toBe(stored0 + 2);
      expect(await count('duplicate')).toBe(dup0 + 2);
    });

    it('counts in /metrics where the triage of each message ran (the triage worker or the pipeline thread)', async () => {
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare my order is late' })] });
      const text = await (await fetch(`${desk.url}/metrics`)).text();
      const value = (path: string) => Number(text.match(new RegExp(`parley_triage_messages\\{path="${path}"\\} (\\d+)`))?.[1] ?? NaN);
      expect(value('preanalyzed') + value('inline')).toBeGreaterThanOrEqual(1);
      expect(text).toMatch(/parley_triage_prefetched_held \d+/);
    });

    it('refuses unauthenticated calls, wrong passwords and cookie writes without the CSRF token, as problem+json', async () => {
      const anon = await fetch(`${desk.url}/api/conversations`);
      expect(anon.status).toBe(401);
      expect(anon.headers.get('content-type')).toMatch(/application\/problem\+json/);
      expect((await anon.json()) as any).toMatchObject({ status: 401, code: 'auth.required' });
      const bad = await fetch(`${desk.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'ana@acme.test', password: 'nope' }) });
      expect(((await bad.json()) as any).code).toBe('auth.invalid_credentials');
      const noCsrf = await fetch(`${desk.url}/api/conversations/1/notes`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: ana.cookie }, body: JSON.stringify({ text: 'x' }) });
      expect(noCsrf.status).toBe(403);
      expect(((await noCsrf.json()) as any).code).toBe('auth.csrf');
      const invalid = await admin.post('/api/ingest/messages', { channelAccountId: 'seven', messages: [] });
      expect(invalid.status).toBe(400);
      expect(invalid.json.code).toBe('validation');
    });

    it('rate-limits repeated failed sign-ins for an account', async () => {
      let last = 0;
      for (let i = 0; i < 12; i++) {
        const r = await fetch(`${desk.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'mallory@acme.test', password: `wrong${i}` }) });
        last = r.status;
        if (r.status === 429) {
          expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
          break;
        }
      }
      expect(last).toBe(429);
    });

    it('ingests through the API, shows the conversation, and pushes it live over SSE', async () => {
      const m = mention({ text: '@AcmeCare where is my parcel? it was due Monday' });
      const events = await collectEvents(desk, ana, (ev) => ev.some((e) => e.type === 'message.created' && e.data.networkMessageId === m.networkMessageId), async () => {
        const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m, m] });
        expect(r.status).toBe(200);
        expect(r.json.outcomes.map((o: any) => o.status)).toEqual(['stored', 'duplicate']);
      });
      const created = events.find((e) => e.type === 'message.created' && e.data.networkMessageId === m.networkMessageId);
      expect(created?.data.text).toBe(m.text);
      // the live event carries the judgements, not the reasons and scores; the message itself has them all
      const live = created!.data.triage;
      expect(live.partial).toBe(true);
      expect(live.action).toEqual({ value: expect.any(String), confidence: expect.any(Number) });
      expect(live.priority.factors.length).toBeGreaterThan(0);
      expect(live.scores).toBeUndefined();
      expect(JSON.stringify(live).length).toBeLessThan(600);
      const detail = (await ana.get(`/api/conversations/${created!.data.conversationId}`)).json;
      const full = detail.messages.find((x: any) => x.networkMessageId === m.networkMessageId).triage;
      expect(full.partial).toBeUndefined();
      expect(full.action).toEqual({ ...live.action, reason: expect.stringMatching(/\S/) });
      expect(full.priority).toEqual(live.priority);
      expect(Object.keys(full.scores).length).toBeGreaterThanOrEqual(8);
      const list = await ana.get('/api/conversations?view=new');
      expect(list.json.items[0].subject).toContain('where is my parcel');
      const counts = await ana.get('/api/conversations/counts');
      expect(counts.json.new).toBeGreaterThanOrEqual(1);
      const search = await ana.get('/api/search?q=parcel');
      expect(search.json.items.map((i: any) => i.networkMessageId)).toContain(m.networkMessageId);
      // each result names its author, as the conversation does
      const hit = search.json.items.find((i: any) => i.networkMessageId === m.networkMessageId);
      expect(hit.author).toMatchObject({ handle: m.author.handle, network: 'x' });
    });

    it('carries the contact summary the list gives on every live conversation event (ingest, reply queued and sent, brand reply, actions)', async () => {
      const m = mention({ text: '@AcmeCare my order never came', author: { networkUserId: `sse-contact-${Date.now()}`, handle: 'livecontact', displayName: 'Live Contact', followers: 321, verified: true } });
      const convId = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId as number;
      const listed = (await ana.get('/api/conversations?view=all&limit=200')).json.items.find((c: any) => c.id === convId);
      expect(listed.contact).toEqual({ id: expect.any(Number), displayName: 'Live Contact', handle: 'livecontact', followers: 321, verified: true });
      const brandReply = mention({ direction: 'outbound', fromBrand: true, text: '@livecontact On its way!', inReplyToNetworkId: m.networkMessageId, author: { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 } });
      // (the workflow's own updates, SLA and routing, may come without one: the UI keeps what the row knew)
      const mine = (ev: { type: string; data: any }[]) => ev.filter((e) => e.type === 'conversation.updated' && e.data.id === convId && e.data.contact !== null);
      const events = await collectEvents(desk, ana, (ev) => mine(ev).length >= 7, async () => {
        expect((await ana.post(`/api/conversations/${convId}/replies`, { text: 'So sorry! Checking now.', visibility: 'public' })).status).toBe(202);
        // the outbox marks it sent
        for (let i = 0; i < 50 && !(await ana.get(`/api/conversations/${convId}`)).json.messages.some((x: any) => x.status === 'sent'); i++) await new Promise((res) => setTimeout(res, 100));
        expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [brandReply] })).json.outcomes[0].conversationId).toBe(convId);
        expect((await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: 'still nothing', author: m.author, inReplyToNetworkId: brandReply.networkMessageId })] })).json.outcomes[0].conversationId).toBe(convId);
        expect((await ana.post(`/api/conversations/${convId}/priority`, { priority: 3 })).status).toBe(200);
        expect((await ana.post(`/api/conversations/${convId}/labels`, { add: ['late'] })).status).toBe(200);
        expect((await ana.post(`/api/conversations/${convId}/assign`, { assigneeId: desk.users.ana })).status).toBe(200);
      }, 15_000);
      // reply queued, reply sent, brand reply, customer again, priority, labels, assignment
      expect(mine(events).length).toBeGreaterThanOrEqual(7);
      for (const e of mine(events)) expect(e.data.contact).toEqual(listed.contact);
      // what the actions answer is the row as listed, too
      const r = await ana.post(`/api/conversations/${convId}/status`, { status: 'resolved' });
      expect(r.json.contact).toEqual(listed.contact);
    });

    it('an unanswered complaint keeps its triage and its playbook when the customer adds "ok thanks"', async () => {
      const first = mention({ text: '@AcmeCare my laptop is completely broken after your update and nobody answers. I want a refund NOW!!' });
      const r1 = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [first] });
      const id = r1.json.outcomes[0].conversationId;
      const before = (await ana.get(`/api/conversations/${id}`)).json.conversation;
      const thanks = mention({ text: '@AcmeCare ok thanks', kind: 'reply', inReplyToNetworkId: first.networkMessageId, author: first.author, createdAt: first.createdAt + 60_000 });
      const r2 = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [thanks] });
      expect(r2.json.outcomes[0].conversationId).toBe(id);
      const after = (await ana.get(`/api/conversations/${id}`)).json.conversation;
      expect(after.sentiment).toBe(before.sentiment);
      expect(after.triageAction).toBe('respond');
      const playbooks = (await ana.get(`/api/conversations/${id}/playbooks`)).json.items.map((p: any) => p.playbook?.id ?? p.id);
      expect(playbooks).toContain('public-complaint');
      expect(playbooks).not.toContain('praise');
    });

    it('returns hostile text exactly as it arrived', async () => {
      const texts = ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', 'a\u202Eb', 'lone \ud83d half', 'nul\u0000byte', 'z'.repeat(100 * 1024)];
      const msgs = texts.map((text) => mention({ text }));
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs });
      expect(r.json.outcomes.every((o: any) => o.status === 'stored')).toBe(true);
      for (let i = 0; i < texts.length; i++) {
        const d = await ana.get(`/api/conversations/${r.json.outcomes[i].conversationId}`);
        expect(d.json.messages[0].text).toBe(texts[i]);
      }
    });

    it('quarantines malformed items with the reason and keeps the rest', async () => {
      const good = mention();
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [{ network: 'x', text: 42 }, good] });
      expect(r.json.outcomes[0]).toMatchObject({ status: 'quarantined', reason: expect.stringContaining('networkMessageId') });
      expect(r.json.outcomes[1].status).toBe('stored');
      const q = await admin.get('/api/quarantine');
      expect(q.json.items[0].raw).toContain('"text":42');
    });

    it('sends a reply through the outbox exactly once, even when the client retries', async () => {
      const m = mention();
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      const convId = r.json.outcomes[0].conversationId;
      const body = { text: 'Sorry about that! I have checked: it arrives tomorrow before noon.', visibility: 'public', idempotencyKey: `key-${convId}-abcdef` };
      const [a, b] = await Promise.all([ana.post(`/api/conversations/${convId}/replies`, body), ana.post(`/api/conversations/${convId}/replies`, body)]);
      expect([a.status, b.status].sort()).toEqual([200, 202]);
      expect(a.json.message.id).toBe(b.json.message.id);
      const again = await ana.post(`/api/conversations/${convId}/replies`, body);
      expect(again.status).toBe(200);
      expect(again.json.duplicate).toBe(true);
      let detail: any;
      for (let i = 0; i < 50; i++) {
        detail = (await ana.get(`/api/conversations/${convId}`)).json;
        if (detail.messages.some((x: any) => x.direction === 'outbound' && x.status === 'sent')) break;
        await new Promise((res) => setTimeout(res, 100));
      }
      const outbound = detail.messages.filter((x: any) => x.direction === 'outbound');
      expect(outbound).toHaveLength(1);
      expect(outbound[0]).toMatchObject({ status: 'sent', networkMessageId: expect.stringMatching(/^demo-/), authorUserId: desk.users.ana, replyToMessageId: detail.messages[0].id });
      expect(detail.conversation.firstResponseAt).not.toBeNull();
      expect(detail.conversation.waitingSince).toBeNull();
      const n = await desk.db.store.db.selectFrom('outbox').select((eb) => eb.fn.countAll().as('n')).where('message_id', '=', outbound[0].id).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(1);
      expect(detail.audit.map((e: any) => e.action)).toEqual(expect.arrayContaining(['reply.queued', 'reply.sent']));
    });

    it('refuses an idempotency key reused for another conversation or another text, instead of dropping the new reply', async () => {
      const [c1, c2] = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention(), mention()] })).json.outcomes.map((o: any) => o.conversationId);
      const key = `reuse-${c1}-abcdef`;
      const first = await ana.post(`/api/conversations/${c1}/replies`, { text: 'It ships tomorrow before noon, tracking comes by email.', visibility: 'public', idempotencyKey: key });
      expect(first.status).toBe(202);
      const elsewhere = await ana.post(`/api/conversations/${c2}/replies`, { text: 'Your refund was sent today.', visibility: 'public', idempotencyKey: key });
      expect(elsewhere.status).toBe(409);
      expect(elsewhere.json.code).toBe('reply.key_reused');
      expect(elsewhere.json.detail).toContain(`conversation ${c1}`);
      const otherText = await ana.post(`/api/conversations/${c1}/replies`, { text: 'Something else entirely.', visibility: 'public', idempotencyKey: key });
      expect(otherText.status).toBe(409);
      expect(otherText.json.code).toBe('reply.key_reused');
      // the same request again is still the same reply
      const retry = await ana.post(`/api/conversations/${c1}/replies`, { text: 'It ships tomorrow before noon, tracking comes by email.', visibility: 'public', idempotencyKey: key });
      expect(retry.status).toBe(200);
      expect(retry.json).toMatchObject({ duplicate: true, message: { id: first.json.message.id } });
      const out = await desk.db.store.db.selectFrom('message').select('id').where('conversation_id', '=', c2).where('direction', '=', 'outbound').execute();
      expect(out).toHaveLength(0);
    });

    it('refuses to reply from a listen-only account, at once and with the reason, and queues nothing', async () => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] });
      const convId = r.json.outcomes[0].conversationId;
      expect((await admin.req('PATCH', `/api/channel-accounts/${desk.accountId}`, { listenOnly: true })).status).toBe(200);
      try {
        const refused = await ana.post(`/api/conversations/${convId}/replies`, { text: 'Sorry to hear that! It ships tomorrow.', visibility: 'public' });
        expect(refused.status).toBe(409);
        expect(refused.json.code).toBe('channel.listen_only');
        expect(refused.json.detail).toMatch(/listen-only/);
        const out = await desk.db.store.db.selectFrom('message').select('id').where('conversation_id', '=', convId).where('direction', '=', 'outbound').execute();
        expect(out).toHaveLength(0);
      } finally {
        await admin.req('PATCH', `/api/channel-accounts/${desk.accountId}`, { listenOnly: false });
      }
      expect((await ana.post(`/api/conversations/${convId}/replies`, { text: 'Sorry to hear that! It ships tomorrow.', visibility: 'public' })).status).toBe(202);
    });

    it('refuses a reply written against an older view of the conversation unless confirmed', async () => {
      const m = mention();
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      const convId = r.json.outcomes[0].conversationId;
      const seen = r.json.outcomes[0].messageId;
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ author: m.author, inReplyToNetworkId: m.networkMessageId, text: 'hello?? anyone?' })] });
      const stale = await ana.post(`/api/conversations/${convId}/replies`, { text: 'On it, checking now.', lastSeenMessageId: seen });
      expect(stale.status).toBe(409);
      expect(stale.json.code).toBe('reply.conflict');
      expect(stale.json.newMessages[0].text).toBe('hello?? anyone?');
      const ok = await ana.post(`/api/conversations/${convId}/replies`, { text: 'On it, checking now.', lastSeenMessageId: seen, confirm: true });
      expect(ok.status).toBe(202);
    });

    it('assigns, labels, notes and resolves, writing the audit trail', async () => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] });
      const id = r.json.outcomes[0].conversationId;
      expect((await ana.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ben, teamId: desk.teamId })).json).toMatchObject({ assigneeId: desk.users.ben, teamId: desk.teamId });
      const ben = await Client.signIn(desk.url, 'ben@acme.test');
      expect((await ben.get('/api/conversations?view=mine')).json.items.map((c: any) => c.id)).toContain(id);
      expect((await ana.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.expert })).json.code).toBe('assign.expert');
      expect((await ana.post(`/api/conversations/${id}/labels`, { add: ['Delivery', 'vip'] })).json.labels).toEqual(['delivery', 'vip']);
      expect((await ana.get('/api/conversations?label=vip')).json.items.map((c: any) => c.id)).toEqual([id]);
      const note = await ana.post(`/api/conversations/${id}/notes`, { text: '@ben can you check the courier? <b>not html</b>' });
      expect(note.status).toBe(201);
      expect(note.json.mentions).toEqual([desk.users.ben]);
      expect((await ana.post(`/api/conversations/${id}/status`, { status: 'resolved' })).json.status).toBe('resolved');
      const d = (await ana.get(`/api/conversations/${id}`)).json;
      expect(d.notes[0].text).toBe('@ben can you check the courier? <b>not html</b>');
      expect(d.audit.map((e: any) => e.action)).toEqual(expect.arrayContaining(['conversation.assigned', 'conversation.labels', 'note.added', 'conversation.status']));
      const bulk = await ana.post('/api/conversations/bulk', { ids: [id, 999999], action: { type: 'status', status: 'open' } });
      expect(bulk.json).toMatchObject({ done: [id], failed: [{ id: 999999, code: 'not_found' }] });
    });

    it('hands an unassigned conversation back to the queue where its customer began waiting', async () => {
      const team = await admin.post('/api/teams', { name: `Manual ${dialect}`, routingStrategy: 'manual' });
      expect(team.status).toBe(201);
      const m = mention({ createdAt: Date.now() - 20 * 60_000 });
      const id = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId;
      expect((await ana.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana, teamId: team.json.id })).status).toBe(200);
      const row = () => desk.db.store.db.selectFrom('conversation').select(['assignee_id', 'queued_at', 'waiting_since']).where('id', '=', id).executeTakeFirstOrThrow();
      expect((await row()).queued_at).toBeNull();
      expect((await ana.post(`/api/conversations/${id}/assign`, { assigneeId: null })).status).toBe(200);
      const back = await row();
      expect(back.assignee_id).toBeNull();
      expect(back.queued_at).toBe(back.waiting_since);
      const queue = (await admin.get('/api/queues')).json.items.find((t: any) => t.id === team.json.id);
      expect(queue).toMatchObject({ waiting: 1, oldestQueuedAt: new Date(back.waiting_since!).toISOString() });
    });

    it('pages through conversations with a cursor, without repeats', async () => {
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: Array.from({ length: 12 }, () => mention()) });
      const seen = new Set<number>();
      let cursor: string | null = null;
      let pages = 0;
      do {
        const r: any = await ana.get(`/api/conversations?limit=5${cursor ? `&cursor=${cursor}` : ''}`);
        for (const c of r.json.items) {
          expect(seen.has(c.id)).toBe(false);
          seen.add(c.id);
        }
        cursor = r.json.nextCursor;
        pages++;
      } while (cursor && pages < 100);
      const total = await desk.db.store.db.selectFrom('conversation').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow();
      expect(seen.size).toBe(Number(total.n));
      expect((await ana.get('/api/conversations?cursor=garbage')).json.code).toBe('cursor.invalid');
    });

    it('gives every report CSV its header over an empty period, the columns it has with rows; refuses from after to', async () => {
      // by now replies were sent and conversations resolved: these tables have rows over all time
      const withRows = ['response-rate', 'agents', 'teams', 'first-response'];
      for (const name of withRows) {
        const full = (await admin.get(`/api/reports/${name}?format=csv`)).json as string;
        const empty = (await admin.get(`/api/reports/${name}?format=csv&from=1990-01-01T00:00:00Z&to=1990-01-02T00:00:00Z`)).json as string;
        expect(full.split('\r\n').length, name).toBeGreaterThan(2);
        expect(empty.split('\r\n')[0], name).toBe(full.split('\r\n')[0]);
      }
      const backwards = await admin.get('/api/reports/volume?from=2026-12-06T00:00:00Z&to=2026-12-01T00:00:00Z');
      expect(backwards.status).toBe(400);
      expect(backwards.json.detail).toMatch(/before/);
    });
  });
}
