/**
 * In-app notifications become read: `POST /api/notifications/read` with ids (only the
 * caller's own) or `all`, the unread count is every unread one (not the 100 the list
 * shows), and the person's other tabs hear `notification.read` to update their badge.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, streamFor, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`notifications [${dialect}]`, () => {
    let desk: TestDesk;
    let ana: Client;
    let ben: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      ben = await Client.signIn(desk.url, 'ben@acme.test');
    });
    afterAll(async () => desk?.stop());

    const notify = async (userId: number, n: number, kind = 'note.mention') => {
      const rows = Array.from({ length: n }, (_, i) => ({ brand_id: desk.brandId, user_id: userId, kind, title: `Notice ${i}`, body: 'body', conversation_id: null, created_at: Date.now() + i }));
      for (let i = 0; i < rows.length; i += 100) await desk.db.store.db.insertInto('notification').values(rows.slice(i, i + 100)).execute();
      return (await desk.db.store.db.selectFrom('notification').select('id').where('user_id', '=', userId).orderBy('id').execute()).map((r) => Number(r.id));
    };

    it('counts every unread notification, not the page the list shows', async () => {
      const ids = await notify(desk.users.ana, 150);
      await notify(desk.users.ben, 3);
      const r = await ana.get('/api/notifications');
      expect(r.status).toBe(200);
      expect(r.json.items).toHaveLength(100);
      expect(r.json.unread).toBe(150);
      expect(r.json.items[0].id).toBe(ids[ids.length - 1]);
      expect((await ben.get('/api/notifications')).json.unread).toBe(3);
    });

    it('marks the given ids read, only the caller\'s own, and tells the caller\'s other tabs', async () => {
      const mine = (await ana.get('/api/notifications')).json.items.slice(0, 2).map((n: any) => n.id);
      const bens = (await ben.get('/api/notifications')).json.items.map((n: any) => n.id);
      const heard = listen(desk, ana, 'notification.read');
      const benHeard = listen(desk, ben, 'notification.read');
      await new Promise((r) => setTimeout(r, 200));
      const r = await ana.post('/api/notifications/read', { ids: [...mine, bens[0]] });
      expect(r.status).toBe(200);
      expect(r.json).toEqual({ read: 2, unread: 148 });
      const after = (await ana.get('/api/notifications')).json;
      expect(after.unread).toBe(148);
      expect(after.items.filter((n: any) => mine.includes(n.id)).map((n: any) => n.read)).toEqual([true, true]);
      // ben's stays unread
      expect((await ben.get('/api/notifications')).json.unread).toBe(3);
      expect((await heard).map((e) => e.ids)).toEqual([[...mine, bens[0]]]);
      expect(await benHeard).toEqual([]);
      // again: nothing changes, nothing is announced
      expect((await ana.post('/api/notifications/read', { ids: mine })).json).toEqual({ read: 0, unread: 148 });
    });

    it('marks all of the caller\'s read', async () => {
      const r = await ana.post('/api/notifications/read', { all: true });
      expect(r.json).toEqual({ read: 148, unread: 0 });
      expect((await ana.get('/api/notifications')).json.items.every((n: any) => n.read)).toBe(true);
      expect((await ben.get('/api/notifications')).json.unread).toBe(3);
    });

    it('tells a person when someone else assigns them a conversation, once; not when they take it themselves', async () => {
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] });
      expect(r.status).toBe(200);
      const conv = r.json.outcomes[0].conversationId as number;
      await admin.post(`/api/conversations/${conv}/assign`, { assigneeId: null });
      // Ana takes it herself: nothing to tell her
      let heard = listen(desk, ana, 'notification');
      await new Promise((ok) => setTimeout(ok, 300));
      expect((await ana.post(`/api/conversations/${conv}/assign`, { assigneeId: desk.users.ana })).status).toBe(200);
      expect((await heard).filter((n: any) => n.kind === 'assigned')).toEqual([]);
      // Ben hands it to himself, then back to Ana (by the bulk action, which assigns one by one): she hears it once
      expect((await ben.post(`/api/conversations/${conv}/assign`, { assigneeId: desk.users.ben })).status).toBe(200);
      heard = listen(desk, ana, 'notification');
      const benHeard = listen(desk, ben, 'notification');
      await new Promise((ok) => setTimeout(ok, 300));
      expect((await ben.post('/api/conversations/bulk', { ids: [conv], action: { type: 'assign', assigneeId: desk.users.ana } })).json.done).toEqual([conv]);
      expect((await ben.post('/api/conversations/bulk', { ids: [conv], action: { type: 'assign', assigneeId: desk.users.ana } })).json.done).toEqual([conv]);
      expect((await heard).filter((n: any) => n.kind === 'assigned')).toEqual([expect.objectContaining({ kind: 'assigned', conversationId: conv, title: 'Conversation assigned to you' })]);
      expect((await benHeard).filter((n: any) => n.kind === 'assigned')).toEqual([]);
    });

    it('refuses a body that says neither, both, or no ids, and a write without the CSRF token', async () => {
      for (const body of [{}, { ids: [] }, { all: false }, { ids: [1], all: true }, { ids: ['x'] }]) {
        const r = await ben.post('/api/notifications/read', body);
        expect(r.status, JSON.stringify(body)).toBe(400);
      }
      const r = await ben.req('POST', '/api/notifications/read', { all: true }, { 'x-csrf-token': '' });
      expect(r.status).toBe(403);
      expect((await ben.get('/api/notifications')).json.unread).toBe(3);
    });
  });
}

/** `type` events on a person's live stream for ~1.5 s. */
const listen = async (desk: TestDesk, client: Client, type: string) => (await streamFor(desk, client, 1500)).filter((e) => e.type === type).map((e) => e.data);
