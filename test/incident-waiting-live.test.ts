/**
 * An incident's count of customers still waiting is live: when a linked customer's
 * conversation is resolved, or reopened (by hand, or by the customer writing again), the
 * incident's new `affected` counts go out on the live stream as an `incident` event; a bulk
 * action announces each incident it touched once, with its final counts, not once per
 * conversation; a change that leaves the counts as they were announces nothing. Through the
 * HTTP API and the SSE stream, on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, collectEvents, mention, startDesk, type TestDesk } from './helpers/parley.js';

// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);
const MIN = 60_000;

type Ev = { type: string; data: any };

for (const dialect of DIALECTS) {
  describe(`incident waiting count, live [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    let n = 0;
    const author = () => ({ networkUserId: `waiting-${dialect}-${++n}`, handle: `waiting${n}`, displayName: `Waiting ${n}`, followers: 10 });
    const say = async (who: ReturnType<typeof author>, text: string): Promise<number> => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ author: who, createdAt: clock.now(), text: `@AcmeCare ${text}` })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId;
    };
    const declare = async (title: string): Promise<number> => {
      const r = await admin.post('/api/incidents', { title, reason: 'many customers write about it' });
      expect(r.status).toBe(201);
      return r.json.id;
    };
    const link = async (convId: number, incidentId: number) => expect((await ana.req('PUT', `/api/conversations/${convId}/incident`, { incidentId })).status).toBe(200);
    const setStatus = async (convId: number, status: string) => expect((await ana.post(`/api/conversations/${convId}/status`, { status })).status).toBe(200);
    const listed = async (id: number) => (await admin.get('/api/incidents')).json.items.find((i: any) => i.id === id).affected;
    const incidentEvents = (ev: Ev[], id: number) => ev.filter((e) => e.type === 'incident' && e.data.id === id);
    const announced = (id: number, affected: { total: number; open: number }) => (ev: Ev[]) => incidentEvents(ev, id).some((e) => e.data.affected.total === affected.total && e.data.affected.open === affected.open);

    it('announces the new waiting count when a linked customer is resolved, reopened by hand, or writes again', async () => {
      const inc = await declare('Checkout is down');
      const who = [author(), author(), author()];
      const convs: number[] = [];
      for (const w of who) convs.push(await say(w, 'I cannot pay for my order'));
      for (const c of convs) await link(c, inc);
      expect(await listed(inc)).toEqual({ total: 3, open: 3 });

      // resolved by hand: one fewer waiting
      let ev = await collectEvents(desk, admin, announced(inc, { total: 3, open: 2 }), () => setStatus(convs[0]!, 'resolved'));
      expect(incidentEvents(ev, inc).map((e) => e.data.affected)).toEqual([{ total: 3, open: 2 }]);
      expect(incidentEvents(ev, inc)[0]!.data).toMatchObject({ id: inc, title: 'Checkout is down', status: 'open' });

      // reopened by hand
      ev = await collectEvents(desk, admin, announced(inc, { total: 3, open: 3 }), () => setStatus(convs[0]!, 'open'));
      expect(incidentEvents(ev, inc).map((e) => e.data.affected)).toEqual([{ total: 3, open: 3 }]);

      // resolved, then the customer writes again: the conversation reopens, and they wait again
      await setStatus(convs[1]!, 'resolved');
      expect(await listed(inc)).toEqual({ total: 3, open: 2 });
      clock.advance(30 * MIN);
      ev = await collectEvents(desk, admin, announced(inc, { total: 3, open: 3 }), async () => {
        expect(await say(who[1]!, 'it is still broken, I still cannot pay')).toBe(convs[1]);
      });
      expect(incidentEvents(ev, inc).map((e) => e.data.affected)).toEqual([{ total: 3, open: 3 }]);
      expect(await listed(inc)).toEqual({ total: 3, open: 3 });
      await admin.post(`/api/incidents/${inc}/close`);
    });

    it('announces nothing when a linked conversation changes but the counts do not', async () => {
      const inc = await declare('App login fails');
      const conv = await say(author(), 'cannot log in to the app');
      await link(conv, inc);
      const ev = await collectEvents(desk, admin, () => false, async () => {
        expect((await ana.post(`/api/conversations/${conv}/labels`, { add: ['login'] })).status).toBe(200);
        // waiting (snoozed) still counts as waiting: not resolved
        await setStatus(conv, 'waiting');
        await setStatus(conv, 'open');
      }, 1500);
      expect(ev.filter((e) => e.type === 'conversation.updated' && e.data.id === conv).length).toBeGreaterThan(0);
      expect(incidentEvents(ev, inc)).toEqual([]);
      await admin.post(`/api/incidents/${inc}/close`);
    });

    it('announces each incident a bulk resolve touched once, with its final counts', async () => {
      const outage = await declare('Payments outage');
      const recall = await declare('Kettle recall');
      const paying: number[] = [];
      for (let i = 0; i < 6; i++) paying.push(await say(author(), `payment fails, attempt ${i}`));
      const kettles: number[] = [];
      for (let i = 0; i < 3; i++) kettles.push(await say(author(), `my kettle sparks, ${i}`));
      const unrelated = await say(author(), 'what are your opening hours');
      for (const c of paying) await link(c, outage);
      for (const c of kettles) await link(c, recall);

      // five of the six payment customers, two of the three kettles, and one unrelated
      const ids = [...paying.slice(0, 5), ...kettles.slice(0, 2), unrelated];
      const ev = await collectEvents(desk, admin, () => false, async () => {
        const r = await ana.post('/api/conversations/bulk', { ids, action: { type: 'status', status: 'resolved' } });
        expect(r.status).toBe(200);
        expect(r.json.done).toHaveLength(ids.length);
      }, 2000);
      expect(ev.filter((e) => e.type === 'conversation.updated' && ids.includes(e.data.id) && e.data.status === 'resolved').length).toBeGreaterThanOrEqual(ids.length);
      expect(incidentEvents(ev, outage).map((e) => e.data.affected)).toEqual([{ total: 6, open: 1 }]);
      expect(incidentEvents(ev, recall).map((e) => e.data.affected)).toEqual([{ total: 3, open: 1 }]);
      expect(await listed(outage)).toEqual({ total: 6, open: 1 });
      expect(await listed(recall)).toEqual({ total: 3, open: 1 });

      // and back: reopened in bulk, again once each
      const back = await collectEvents(desk, admin, () => false, async () => {
        expect((await ana.post('/api/conversations/bulk', { ids, action: { type: 'status', status: 'open' } })).status).toBe(200);
      }, 2000);
      expect(incidentEvents(back, outage).map((e) => e.data.affected)).toEqual([{ total: 6, open: 6 }]);
      expect(incidentEvents(back, recall).map((e) => e.data.affected)).toEqual([{ total: 3, open: 3 }]);
    });
  });
}
