/**
 * A snooze wakes the conversation: at its snooze time (a job keyed per conversation, moved when
 * it is snoozed again and dropped when its status changes otherwise; a sweep as a safety net)
 * the conversation is open again, its snooze cleared, the audit trail says the system did it,
 * everyone sees it live and its assignee is told. A customer who writes before then reopens it
 * already, and the wake-up then does nothing. Through the HTTP API on SQLite and PostgreSQL.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, streamFor, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
// Tuesday 17 November 2026, 10:00 London
const T = Date.UTC(2026, 10, 17, 10, 0);
const iso = (t: number) => new Date(t).toISOString();

for (const dialect of DIALECTS) {
  describe(`snooze wakes a conversation [${dialect}]`, () => {
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

    const db = () => desk.db.store.db;
    const workflow = () => desk.parley.services.workflow;
    /** When the conversation's `snooze:<id>` job runs (null: none pending), on either engine's job table. */
    async function wakeJob(id: number): Promise<number | null> {
      const key = `snooze:${id}`;
      if (desk.db.store.dialect === 'sqlite') {
        const j = await db().selectFrom('job').select('run_at').where('key', '=', key).executeTakeFirst();
        return j ? Number(j.run_at) : null;
      }
      const r = await sql<{ run_at: Date }>`select run_at from graphile_worker.jobs where key = ${key}`.execute(db());
      return r.rows[0] ? new Date(r.rows[0].run_at).getTime() : null;
    }
    /** Run what is due at the clock's time: SQLite's job table by the clock; graphile-worker keeps the wall clock, so run what it would. */
    async function runDue(id: number) {
      if (desk.db.store.dialect === 'sqlite') await desk.parley.services.jobs.runDue();
      else await workflow().wakeSnoozed(id);
    }
    const conv = async (id: number) => (await ana.get(`/api/conversations/${id}`)).json;
    const start = async (text: string) => {
      const m = mention({ createdAt: clock.now(), text });
      const id = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0].conversationId as number;
      expect((await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana })).status).toBe(200);
      return { id, m };
    };
    const snooze = async (id: number, until: number) => {
      const r = await ana.post(`/api/conversations/${id}/status`, { status: 'waiting', snoozeUntil: iso(until) });
      expect(r.status).toBe(200);
      expect(r.json.snoozedUntil).toBe(iso(until));
    };

    it('reopens the conversation at the snooze time, as the system, live, and tells its assignee', async () => {
      clock.set(T);
      const { id } = await start('@AcmeCare my order is late');
      await snooze(id, T + 2 * HOUR);
      expect(await wakeJob(id)).toBe(T + 2 * HOUR);
      // snoozed again, later: the wake-up moves
      await snooze(id, T + 3 * HOUR);
      expect(await wakeJob(id)).toBe(T + 3 * HOUR);
      clock.set(T + 2 * HOUR);
      await runDue(id);
      expect((await conv(id)).conversation).toMatchObject({ status: 'waiting', snoozedUntil: iso(T + 3 * HOUR) });

      clock.set(T + 3 * HOUR);
      const events = streamFor(desk, ana, 1500);
      await new Promise((r) => setTimeout(r, 300));
      await runDue(id);
      const seen = await events;
      const c = await conv(id);
      expect(c.conversation).toMatchObject({ status: 'open', snoozedUntil: null });
      const woke = c.audit.find((e: any) => e.action === 'conversation.status' && e.data?.reason === 'snooze_ended');
      expect(woke).toMatchObject({ actor: 'system:snooze', data: { from: 'waiting', to: 'open', snoozeUntil: T + 3 * HOUR } });
      expect(seen.some((e) => e.type === 'conversation.updated' && e.data.id === id && e.data.status === 'open')).toBe(true);
      expect(seen.some((e) => e.type === 'notification' && e.data.kind === 'snooze.ended' && e.data.conversationId === id)).toBe(true);
      const notices = (await ana.get('/api/notifications')).json.items.filter((n: any) => n.conversationId === id && n.kind.startsWith('snooze.'));
      expect(notices.map((n: any) => [n.kind, n.read])).toEqual([['snooze.ended', false]]);
      expect(await wakeJob(id)).toBeNull();
      // it happens once
      expect(await workflow().wakeSnoozed(id)).toBe(false);
    });

    it('a customer writing first reopens it; the wake-up then does nothing, and other statuses drop it', async () => {
      clock.set(T + 4 * HOUR);
      const { id, m } = await start('@AcmeCare the tracking link is broken');
      await snooze(id, T + 6 * HOUR);
      clock.set(T + 5 * HOUR);
      await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ author: m.author, inReplyToNetworkId: m.networkMessageId, createdAt: clock.now(), text: '@AcmeCare any news?' })] });
      expect((await conv(id)).conversation).toMatchObject({ status: 'open', snoozedUntil: null });
      clock.set(T + 6 * HOUR);
      expect(await workflow().wakeSnoozed(id)).toBe(false);
      const c = await conv(id);
      expect(c.audit.filter((e: any) => e.data?.reason === 'snooze_ended')).toEqual([]);
      expect((await ana.get('/api/notifications')).json.items.filter((n: any) => n.conversationId === id && n.kind === 'snooze.ended')).toEqual([]);

      // snoozed, then resolved by hand: no wake-up left
      await snooze(id, T + 8 * HOUR);
      expect(await wakeJob(id)).toBe(T + 8 * HOUR);
      expect((await ana.post(`/api/conversations/${id}/status`, { status: 'resolved' })).status).toBe(200);
      expect(await wakeJob(id)).toBeNull();
    });

    it('the sweep wakes what a lost job left snoozed', async () => {
      clock.set(T + 10 * HOUR);
      const { id } = await start('@AcmeCare wrong size delivered');
      await snooze(id, T + 11 * HOUR);
      await desk.parley.services.jobs.cancel(`snooze:${id}`);
      expect(await wakeJob(id)).toBeNull();
      clock.set(T + 11 * HOUR - 1);
      expect(await workflow().sweepSnoozes()).toBe(0);
      clock.set(T + 12 * HOUR);
      expect(await workflow().sweepSnoozes()).toBe(1);
      expect((await conv(id)).conversation).toMatchObject({ status: 'open', snoozedUntil: null });
    });
  });
}
