/**
 * Every live `conversation.updated` names the conversation's customer, on SQLite and
 * PostgreSQL: the inbox replaces a row with what the event carries, so an event without the
 * contact turned the row into "Unknown customer" until a reload (found in a QA pass: a
 * conversation assigned from the team queue arrived in the agent's "Mine" view that way).
 * Covered: the assignment of queued work when an agent comes online (the routing drain), and
 * the SLA sweep when a first-response clock goes overdue.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveEvent } from '../src/events/bus.js';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
// Tuesday 17 November 2026, 10:00 London (no calendar is set: always open)
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);

for (const dialect of DIALECTS) {
  describe(`live conversation updates carry the customer [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    const events: LiveEvent[] = [];
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // nobody can take work: new conversations wait in the team's queue
      for (const id of [desk.users.ana, desk.users.ben, desk.users.approver]) await admin.req('PATCH', `/api/users/${id}`, { availability: 'offline' });
      // new work goes to team Care
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
      desk.parley.services.bus.subscribe(desk.brandId, (e) => void events.push(e));
    });
    afterAll(async () => desk?.stop());

    const updatesOf = (id: number) => events.filter((e) => e.type === 'conversation.updated' && (e.data as { id: number }).id === id).map((e) => e.data as { contact: { displayName: string | null; handle: string | null } | null; assigneeId: number | null; sla: unknown });

    it('when queued work is assigned, and when its first-response clock goes overdue', async () => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), text: '@AcmeCare my order has not arrived', author: { networkUserId: 'u-queued', handle: 'queued_customer', displayName: 'Queued Customer' } })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      const id = r.json.outcomes[0].conversationId as number;
      expect((await admin.get(`/api/conversations/${id}`)).json.conversation).toMatchObject({ assigneeId: null, teamId: desk.teamId });

      // Ana comes online: the drain assigns the queued conversation to her
      events.length = 0;
      await admin.req('PATCH', `/api/users/${desk.users.ana}`, { availability: 'online' });
      await desk.parley.services.workflow.drain(desk.brandId);
      const assigned = updatesOf(id).filter((u) => u.assigneeId === desk.users.ana);
      expect(assigned.length).toBeGreaterThan(0);
      for (const u of assigned) expect(u.contact).toMatchObject({ displayName: 'Queued Customer', handle: 'queued_customer' });

      // hours later, unanswered: the sweep moves its SLA clock and announces it
      events.length = 0;
      clock.advance(6 * 60 * MIN);
      await desk.parley.services.workflow.sweepSla();
      const swept = updatesOf(id);
      expect(swept.length).toBeGreaterThan(0);
      for (const u of swept) expect(u.contact).toMatchObject({ displayName: 'Queued Customer', handle: 'queued_customer' });
    });
  });
}
