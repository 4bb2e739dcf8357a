/**
 * Live events respect what each person may read, on SQLite and PostgreSQL: an expert reads
 * only the conversations they are asked about (the API refuses the others with 403), so the
 * event stream gives them only those conversations' events — not internal notes, messages or
 * updates of the rest — plus their own notifications; a conversation they are asked about
 * while connected is theirs from that moment. Their presence (viewing, typing) can be set only
 * on conversations they are asked about.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, collectEvents, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`live events for an expert [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let eli: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
    });
    afterAll(async () => desk?.stop());

    const ingest = async (text: string) => (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text })] })).json.outcomes[0].conversationId as number;
    const about = (events: { type: string; data: any }[], conv: number) => events.filter((e) => e.data?.conversationId === conv || (e.type.startsWith('conversation.') && e.data?.id === conv));

    it('gives an expert only the conversations they are asked about', async () => {
      const asked = await ingest('@AcmeCare is the X200 charger compatible with the X100?');
      const other = await ingest('@AcmeCare my account was charged twice');
      expect((await ana.post(`/api/conversations/${asked}/expert-requests`, { expertId: desk.users.expert, question: 'Is the X200 charger safe on an X100?' })).status).toBe(201);
      expect((await eli.get(`/api/conversations/${other}`)).status).toBe(403);
      const events = await collectEvents(desk, eli, (ev) => about(ev, asked).some((e) => e.type === 'note.created'), async () => {
        expect((await ana.post(`/api/conversations/${other}/notes`, { text: 'INTERNAL: customer is a VIP, refund without asking' })).status).toBe(201);
        await ingest('@AcmeCare another unrelated post');
        expect((await ana.post(`/api/conversations/${asked}/notes`, { text: 'Waiting for the expert' })).status).toBe(201);
      });
      expect(about(events, asked).map((e) => e.type)).toContain('note.created');
      expect(about(events, other)).toEqual([]);
      expect(JSON.stringify(events)).not.toContain('INTERNAL');
      // an agent sees both
      const all = await collectEvents(desk, ana, (ev) => ev.some((e) => e.type === 'note.created' && e.data.conversationId === other), async () => {
        const ben = await Client.signIn(desk.url, 'ben@acme.test');
        expect((await ben.post(`/api/conversations/${other}/notes`, { text: 'second note' })).status).toBe(201);
      });
      expect(all.some((e) => e.type === 'note.created' && e.data.conversationId === other)).toBe(true);
    });

    it('lets an expert show presence only where they are asked, without telling which ids exist', async () => {
      const asked = await ingest('@AcmeCare does the X300 work with the old dock?');
      const other = await ingest('@AcmeCare please close my account');
      expect((await ana.post(`/api/conversations/${asked}/expert-requests`, { expertId: desk.users.expert, question: 'X300 on the old dock?' })).status).toBe(201);
      expect((await eli.post(`/api/conversations/${other}/presence`, { state: 'typing' })).status).toBe(403);
      expect((await eli.post('/api/conversations/99999999/presence', { state: 'typing' })).status).toBe(403);
      expect((await ana.get(`/api/conversations/${other}`)).json.presence).toEqual([]);
      expect((await eli.post(`/api/conversations/${asked}/presence`, { state: 'typing' })).status).toBe(204);
      expect((await ana.get(`/api/conversations/${asked}`)).json.presence).toEqual([expect.objectContaining({ userId: desk.users.expert, state: 'typing' })]);
    });

    it('lets a conversation in once the expert is asked about it while connected', async () => {
      const later = await ingest('@AcmeCare does the warranty cover water damage?');
      const events = await collectEvents(desk, eli, (ev) => about(ev, later).some((e) => e.type === 'note.created'), async () => {
        expect((await ana.post(`/api/conversations/${later}/expert-requests`, { expertId: desk.users.expert, question: 'Water damage under warranty?' })).status).toBe(201);
        expect((await ana.post(`/api/conversations/${later}/notes`, { text: 'Asked Eli about water damage' })).status).toBe(201);
      });
      expect(events.some((e) => e.type === 'notification' && e.data.kind === 'expert.asked')).toBe(true);
      expect(about(events, later).some((e) => e.type === 'note.created')).toBe(true);
    });
  });
}

