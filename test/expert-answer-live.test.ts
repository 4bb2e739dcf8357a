/**
 * An expert's answer, live and with its history, on SQLite and PostgreSQL through a real desk:
 * answering, correcting, withdrawing and reassigning a question reach the brand's other agents on
 * their live streams (`expert.request`; a correction says when), never another brand's people nor
 * an expert who was not asked; `GET /api/expert-requests/:id/answers` lists the answer's versions
 * oldest first (text, who, when; the last is the answer as it reads now) to whoever may list the
 * question, and is a 404 for another brand, an expert not asked, and a question not answered.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, openEventStream, startDesk, type EventStream, type TestDesk } from './helpers/parley.js';
import { createBrand, createUser } from '../src/commands/setup.js';

for (const dialect of DIALECTS) {
  describe(`expert answers: live to the brand, with their history [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let eli: Client;
    let uma: Client;
    let other: Client;
    let umaId: number;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      [admin, ana, ben, eli] = await Promise.all(['admin', 'ana', 'ben', 'eli'].map((n) => Client.signIn(desk.url, `${n}@acme.test`)));
      const db = desk.db.store.db;
      const now = Date.now();
      const hash = (await db.selectFrom('app_user').select('password_hash').where('id', '=', desk.users.admin).executeTakeFirstOrThrow()).password_hash;
      // an expert of the same brand who is not asked, and an admin of another brand
      umaId = await createUser(db, { brandId: desk.brandId, email: 'uma@acme.test', name: 'Uma Expert', role: 'expert', availability: 'online' }, now);
      const brandB = await createBrand(db, { slug: 'globex', name: 'Globex', timezone: 'Europe/Paris' }, now);
      const otherId = await createUser(db, { brandId: brandB, email: 'gus@globex.test', name: 'Gus Globex', role: 'admin', availability: 'online' }, now);
      await db.updateTable('app_user').set({ password_hash: hash }).where('id', 'in', [umaId, otherId]).execute();
      [uma, other] = await Promise.all([Client.signIn(desk.url, 'uma@acme.test'), Client.signIn(desk.url, 'gus@globex.test')]);
    });
    afterAll(async () => desk?.stop());

    const conv = async () => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0].conversationId as number;
    const ask = async (c: number, question: string) => {
      const r = await ana.post(`/api/conversations/${c}/expert-requests`, { expertId: desk.users.expert, question });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      return r.json.id as number;
    };
    const correct = (id: number, text: string) => eli.req('PUT', `/api/expert-requests/${id}/answer`, { text });
    const stream = (c: Client) => openEventStream(desk.url, { cookie: c.cookie });
    const eventually = (check: () => boolean, what: string) => vi.waitFor(() => {
      if (!check()) throw new Error(`not yet: ${what}`);
    }, { timeout: 10_000, interval: 50 });
    const aboutRequest = (s: EventStream, id: number) => s.events().filter((e) => e.type === 'expert.request' && e.data.id === id).map((e) => e.data);

    it('answering, correcting, withdrawing and reassigning reach the brand\'s agents live; not another brand, not an expert not asked', async () => {
      const c = await conv();
      const id = await ask(c, 'Is the BL-200 covered abroad?');
      const [benLive, umaLive, otherLive] = await Promise.all([stream(ben), stream(uma), stream(other)]);
      try {
        expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: 'Yes, everywhere in the EU.' })).status).toBe(200);
        await eventually(() => aboutRequest(benLive, id).some((d) => d.status === 'answered'), 'the answer, live');
        const corrected = await correct(id, 'Yes, in the EU and in Switzerland.');
        expect(corrected.status, JSON.stringify(corrected.json)).toBe(200);
        await eventually(() => aboutRequest(benLive, id).some((d) => d.answerEditedAt != null), 'the correction, live');
        const live = aboutRequest(benLive, id).find((d) => d.answerEditedAt != null)!;
        expect(live).toMatchObject({ id, conversationId: c, status: 'answered', answeredBy: desk.users.expert });
        expect(live.answerEditedAt).toBe(corrected.json.request.answerEditedAt);
        // the event says what changed; the text is read where the reader may read it
        expect(JSON.stringify(live)).not.toContain('Switzerland');

        // withdrawn, and reassigned: live too
        const gone = await ask(c, 'And for a gift bought abroad?');
        expect((await ana.post(`/api/expert-requests/${gone}/cancel`, { reason: 'the customer found it' })).status).toBe(200);
        const moved = await ask(c, 'Does it cover the charger?');
        expect((await ana.post(`/api/expert-requests/${moved}/reassign`, { expertId: umaId })).status).toBe(200);
        await eventually(() => aboutRequest(benLive, gone).some((d) => d.status === 'cancelled') && aboutRequest(benLive, moved).some((d) => d.expertId === umaId), 'withdrawn and reassigned, live');
        // the expert it went to hears of it from then on (its conversation is now theirs to read)
        await eventually(() => aboutRequest(umaLive, moved).some((d) => d.expertId === umaId), 'the new expert, live');

        // another brand hears nothing of it; the expert not asked heard nothing before it reached her
        expect(otherLive.events().filter((e) => e.type === 'expert.request')).toEqual([]);
        expect(aboutRequest(umaLive, id)).toEqual([]);
        expect(aboutRequest(umaLive, gone)).toEqual([]);
      } finally {
        for (const s of [benLive, umaLive, otherLive]) s.close();
      }
    });

    it('lists the answer\'s versions oldest first to whoever may list the question; 404 for another brand, an expert not asked, a question not answered', async () => {
      const c = await conv();
      const id = await ask(c, 'How long is the warranty?');
      // not answered yet: no versions
      expect((await ana.get(`/api/expert-requests/${id}/answers`)).status).toBe(404);
      const texts = ['One year from delivery.', 'Two years from delivery.', 'Two years from delivery (EU rule), one elsewhere.'];
      expect((await eli.post(`/api/expert-requests/${id}/answer`, { text: texts[0] })).status).toBe(200);
      const one = await ana.get(`/api/expert-requests/${id}/answers`);
      expect(one.status).toBe(200);
      expect(one.json.items).toEqual([{ version: 1, text: texts[0], byId: desk.users.expert, byName: 'Eli Expert', at: expect.any(String), current: true }]);
      for (const t of texts.slice(1)) {
        await new Promise((r) => setTimeout(r, 5));
        expect((await correct(id, t)).status).toBe(200);
      }
      for (const who of [ana, ben, admin, eli]) {
        const r = await who.get(`/api/expert-requests/${id}/answers`);
        expect(r.status).toBe(200);
        expect(r.json.items.map((v: any) => [v.version, v.text, v.byName, v.current])).toEqual([
          [1, texts[0], 'Eli Expert', false],
          [2, texts[1], 'Eli Expert', false],
          [3, texts[2], 'Eli Expert', true],
        ]);
        const at = r.json.items.map((v: any) => Date.parse(v.at));
        expect(at).toEqual([...at].sort((a, b) => a - b));
        expect(at[1]).toBeGreaterThan(at[0]);
      }
      // the first version's time is the answer's; the last one is the answer as listed now
      const listed = (await ana.get(`/api/expert-requests?conversation=${c}`)).json.items.find((r: any) => r.id === id);
      const history = (await ana.get(`/api/expert-requests/${id}/answers`)).json.items;
      expect(history[0].at).toBe(listed.answeredAt);
      expect(history.at(-1)).toMatchObject({ text: listed.answerText, at: listed.answerEditedAt });

      // another brand, an expert who was not asked, an id nobody has: 404, and nothing of the text
      for (const [who, path] of [[other, `/api/expert-requests/${id}/answers`], [uma, `/api/expert-requests/${id}/answers`], [ana, '/api/expert-requests/999999/answers']] as const) {
        const r = await who.get(path);
        expect(r.status, path).toBe(404);
        expect(JSON.stringify(r.json)).not.toContain('delivery');
      }
    });
  });
}
