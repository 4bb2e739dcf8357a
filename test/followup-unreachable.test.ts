/**
 * A customer waiting on an assignee who has gone away, through the HTTP API on SQLite and
 * PostgreSQL: within the grace (`handoverAfterMin`, default 15 minutes) the follow-up stays with
 * its assignee; past it, it goes back to the team's queue and the next available agent has it,
 * audited with the reason and the previous assignee notified. Without a new message the
 * conversation's `handover:<id>` timer hands it over when the grace ends (SQLite's job table run by
 * the test clock; graphile-worker keeps the wall clock, so its timer is read and what it runs is
 * run). Once per absence: running the check again moves nothing, and the agent coming back gets
 * nothing back. A conversation waiting on the customer never moves; 0 turns it off (its pending
 * timers dropped), and turning it on again takes up the customers already waiting on someone
 * offline; bad settings are refused with every problem named.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { WorkflowSettingsStore } from '../src/workflow/settings.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const TUESDAY_10AM = Date.UTC(2026, 10, 17, 10, 0);
const BRAND = { networkUserId: 'acme', handle: 'AcmeCare', displayName: 'Acme', followers: 1 };

for (const dialect of DIALECTS) {
  describe(`follow-ups whose assignee has gone away [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let people: Record<'ana' | 'ben', Client>;
    beforeAll(async () => {
      clock = new ManualClock(TUESDAY_10AM);
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      people = { ana: await Client.signIn(desk.url, 'ana@acme.test'), ben: await Client.signIn(desk.url, 'ben@acme.test') };
      // Ana and Ben take the Care team's work (Cleo, its lead, is off today)
      await admin.req('PATCH', `/api/users/${desk.users.approver}`, { availability: 'offline' });
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const nameOf = (id: number) => (id === desk.users.ana ? 'ana' : 'ben') as 'ana' | 'ben';
    const other = (id: number) => (id === desk.users.ana ? desk.users.ben : desk.users.ana);
    const ingest = async (m: ReturnType<typeof mention>) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return r.json.outcomes[0].conversationId as number;
    };
    const customer = (handle: string) => ({ networkUserId: `id-${handle}`, handle, displayName: handle, followers: 3 });
    const conv = (id: number) => db().selectFrom('conversation').select(['assignee_id', 'team_id', 'status', 'waiting_since']).where('id', '=', id).executeTakeFirstOrThrow();
    const handovers = async (id: number) => (await db().selectFrom('audit_event').select(['data', 'actor']).where('conversation_id', '=', id).where('action', '=', 'conversation.assigned').orderBy('id').execute())
      .map((e): Record<string, any> => ({ actor: e.actor, ...(JSON.parse(e.data) as Record<string, any>) }))
      .filter((e) => e.reason === 'assignee_unreachable');
    const noticesOf = async (userId: number, id: number) => (await db().selectFrom('notification').select(['kind', 'title']).where('user_id', '=', userId).where('conversation_id', '=', id).execute()).filter((n) => n.kind === 'conversation.handed_over');
    /** When the conversation's pending hand-over timer runs (null: none), on either engine's job table. */
    const timer = async (id: number): Promise<number | null> => {
      if (desk.db.store.dialect === 'sqlite') {
        const j = await db().selectFrom('job').select('run_at').where('key', '=', `handover:${id}`).executeTakeFirst();
        return j ? Number(j.run_at) : null;
      }
      const r = await sql<{ run_at: Date }>`select run_at from graphile_worker.jobs where key = ${`handover:${id}`}`.execute(db());
      return r.rows[0] ? new Date(r.rows[0].run_at).getTime() : null;
    };
    /** Run the timer as it falls due: SQLite's job table by the test clock; on PostgreSQL what its job runs. */
    const runTimer = async (id: number) => {
      if (desk.db.store.dialect === 'sqlite') await desk.parley.services.jobs.runDue();
      else await desk.parley.services.workflow.handover.check(desk.brandId, [id]);
    };
    const setAvailability = async (userId: number, availability: string) => expect((await people[nameOf(userId)].req('PATCH', '/api/me', { availability })).status).toBe(200);

    it('within the grace a follow-up stays with its offline assignee; past it, the next available agent has it, audited and the assignee told', async () => {
      const who = customer('grace');
      const first = mention({ author: who, createdAt: clock.now() });
      const id = await ingest(first);
      const owner = (await conv(id)).assignee_id!;
      expect(owner).not.toBeNull();
      clock.advance(MIN);
      const wentAway = clock.now();
      await setAvailability(owner, 'offline');
      // the customer waits on someone offline: a timer for when the grace ends
      expect(await timer(id)).toBe(wentAway + 15 * MIN);
      clock.advance(10 * MIN);
      await ingest(mention({ author: who, text: '@AcmeCare hello? anyone?', createdAt: clock.now(), inReplyToNetworkId: first.networkMessageId }));
      expect(await conv(id)).toMatchObject({ assignee_id: owner });
      expect(await handovers(id)).toEqual([]);
      clock.advance(5 * MIN);
      await ingest(mention({ author: who, text: '@AcmeCare still waiting', createdAt: clock.now(), inReplyToNetworkId: first.networkMessageId }));
      expect(await conv(id)).toMatchObject({ assignee_id: other(owner), team_id: desk.teamId });
      expect(await handovers(id)).toEqual([{ actor: 'system:routing', from: { assigneeId: owner, teamId: desk.teamId }, to: { assigneeId: null, teamId: desk.teamId }, reason: 'assignee_unreachable', unreachableSince: wentAway, awayMin: 15, afterMin: 15 }]);
      expect(await noticesOf(owner, id)).toHaveLength(1);
      // the owner sees it in their notifications too
      const listed = (await people[nameOf(owner)].get('/api/notifications')).json.items.filter((n: any) => n.conversationId === id && n.kind === 'conversation.handed_over');
      expect(listed).toHaveLength(1);
      // coming back takes nothing back
      await setAvailability(owner, 'online');
      clock.advance(MIN);
      await ingest(mention({ author: who, text: '@AcmeCare thanks for picking this up', createdAt: clock.now(), inReplyToNetworkId: first.networkMessageId }));
      expect((await conv(id)).assignee_id).toBe(other(owner));
      expect(await handovers(id)).toHaveLength(1);
    });

    it('without a new message the timer hands a waiting customer over when the grace ends, once', async () => {
      clock.advance(10 * MIN);
      const id = await ingest(mention({ author: customer('timer'), createdAt: clock.now() }));
      const owner = (await conv(id)).assignee_id!;
      clock.advance(MIN);
      // signing out of their last session sets them offline (src/commands/availability.ts)
      const wentAway = clock.now();
      const owners = people[nameOf(owner)];
      expect((await owners.post('/api/auth/logout')).status).toBeLessThan(300);
      expect(await timer(id)).toBe(wentAway + 15 * MIN);
      // not yet due: nothing moves
      clock.advance(14 * MIN);
      await runTimer(id);
      expect((await conv(id)).assignee_id).toBe(owner);
      clock.advance(MIN);
      await runTimer(id);
      expect(await conv(id)).toMatchObject({ assignee_id: other(owner) });
      expect(await handovers(id)).toHaveLength(1);
      expect(await noticesOf(owner, id)).toHaveLength(1);
      // again: nothing doubled
      clock.advance(MIN);
      await desk.parley.services.workflow.handover.check(desk.brandId);
      await runTimer(id);
      expect(await handovers(id)).toHaveLength(1);
      expect((await conv(id)).assignee_id).toBe(other(owner));
      // back at the desk (signed in again, online): it stays where it went
      people[nameOf(owner)] = await Client.signIn(desk.url, nameOf(owner) === 'ana' ? 'ana@acme.test' : 'ben@acme.test');
      await setAvailability(owner, 'online');
      expect((await conv(id)).assignee_id).toBe(other(owner));
    });

    it('a conversation waiting on the customer never moves, however long its assignee is away', async () => {
      clock.advance(10 * MIN);
      const who = customer('answered');
      const first = mention({ author: who, createdAt: clock.now() });
      const id = await ingest(first);
      const owner = (await conv(id)).assignee_id!;
      clock.advance(MIN);
      // the brand answered (seen on the network): the customer has their answer
      await ingest(mention({ direction: 'outbound', fromBrand: true, author: BRAND, text: `@${who.handle} On its way!`, inReplyToNetworkId: first.networkMessageId, createdAt: clock.now() }));
      expect((await conv(id)).waiting_since).toBeNull();
      await setAvailability(owner, 'offline');
      expect(await timer(id)).toBeNull();
      clock.advance(60 * MIN);
      await desk.parley.services.workflow.handover.check(desk.brandId);
      expect((await conv(id)).assignee_id).toBe(owner);
      expect(await handovers(id)).toEqual([]);
      await setAvailability(owner, 'online');
    });

    it('nothing moves while nobody else of the team is online; someone coming online takes what is past the grace', async () => {
      clock.advance(10 * MIN);
      const id = await ingest(mention({ author: customer('alone'), createdAt: clock.now() }));
      const owner = (await conv(id)).assignee_id!;
      await setAvailability(other(owner), 'offline');
      await setAvailability(owner, 'offline');
      clock.advance(30 * MIN);
      await desk.parley.services.workflow.handover.check(desk.brandId);
      expect((await conv(id)).assignee_id).toBe(owner);
      await setAvailability(other(owner), 'online');
      expect((await conv(id)).assignee_id).toBe(other(owner));
      expect(await handovers(id)).toHaveLength(1);
      await setAvailability(owner, 'online');
    });

    it('an admin setting the assignee offline (People) starts the grace too', async () => {
      clock.advance(10 * MIN);
      const id = await ingest(mention({ author: customer('set-by-admin'), createdAt: clock.now() }));
      const owner = (await conv(id)).assignee_id!;
      clock.advance(MIN);
      const setAway = clock.now();
      expect((await admin.req('PATCH', `/api/users/${owner}`, { availability: 'offline' })).status).toBe(200);
      expect(await timer(id)).toBe(setAway + 15 * MIN);
      clock.advance(15 * MIN);
      await runTimer(id);
      expect(await conv(id)).toMatchObject({ assignee_id: other(owner) });
      expect(await handovers(id)).toHaveLength(1);
      await setAvailability(owner, 'online');
    });

    it('turned on again, customers already waiting on someone offline are handed over (past the grace) or timed (within it); turned off, the timers go', async () => {
      const setGrace = async (min: number) => expect((await admin.req('PATCH', '/api/settings/workflow', { handoverAfterMin: min })).status).toBe(200);
      await setGrace(0);
      clock.advance(10 * MIN);
      const late = await ingest(mention({ author: customer('while-off'), createdAt: clock.now() }));
      const owner = (await conv(late)).assignee_id!;
      const wentAway = clock.now();
      await setAvailability(owner, 'offline');
      expect(await timer(late)).toBeNull();
      clock.advance(20 * MIN);
      // on again: their grace (15 min) has passed, so the customer goes to the colleague at once
      await setGrace(15);
      expect(await conv(late)).toMatchObject({ assignee_id: other(owner), team_id: desk.teamId });
      expect(await handovers(late)).toEqual([{ actor: 'system:routing', from: { assigneeId: owner, teamId: desk.teamId }, to: { assigneeId: null, teamId: desk.teamId }, reason: 'assignee_unreachable', unreachableSince: wentAway, awayMin: 20, afterMin: 15 }]);
      expect(await noticesOf(owner, late)).toHaveLength(1);
      // the change itself is audited as any settings change
      const changes = await db().selectFrom('audit_event').select('data').where('action', '=', 'settings.workflow').orderBy('id', 'desc').limit(1).execute();
      expect(JSON.parse(changes[0]!.data)).toMatchObject({ changed: ['handoverAfterMin'], handoverAfterMin: { from: 0, to: 15 } });
      await setAvailability(owner, 'online');

      await setGrace(0);
      clock.advance(10 * MIN);
      const soon = await ingest(mention({ author: customer('within-grace'), createdAt: clock.now() }));
      const holder = (await conv(soon)).assignee_id!;
      const away = clock.now();
      await setAvailability(holder, 'offline');
      clock.advance(5 * MIN);
      // on again with 30 min: 5 of them are gone, the timer runs when the rest are
      await setGrace(30);
      expect(await timer(soon)).toBe(away + 30 * MIN);
      expect((await conv(soon)).assignee_id).toBe(holder);
      // off: the timer goes, and nothing moves however long they stay away
      await setGrace(0);
      expect(await timer(soon)).toBeNull();
      clock.advance(60 * MIN);
      await desk.parley.services.workflow.handover.check(desk.brandId);
      expect((await conv(soon)).assignee_id).toBe(holder);
      expect(await handovers(soon)).toEqual([]);
      // and on once more, long past the grace: handed over once
      await setGrace(15);
      expect((await conv(soon)).assignee_id).toBe(other(holder));
      await setGrace(15);
      expect(await handovers(soon)).toHaveLength(1);
      await setAvailability(holder, 'online');
    });

    it('0 minutes turns it off; the setting is validated with every problem named', async () => {
      expect((await admin.get('/api/settings/workflow')).json.handoverAfterMin).toBe(15);
      for (const bad of [-1, 1.5, 10081, '15']) {
        const r = await admin.req('PATCH', '/api/settings/workflow', { handoverAfterMin: bad });
        expect(r.status).toBe(400);
        expect(r.headers.get('content-type')).toContain('application/problem+json');
      }
      const r = await admin.req('PATCH', '/api/settings/workflow', { handoverAfterMin: -5 });
      expect(JSON.stringify(r.json)).toContain('0 turns it off');
      expect((await admin.get('/api/settings/workflow')).json.handoverAfterMin).toBe(15);
      expect((await admin.req('PATCH', '/api/settings/workflow', { handoverAfterMin: 0 })).json.handoverAfterMin).toBe(0);
      clock.advance(10 * MIN);
      const who = customer('never');
      const first = mention({ author: who, createdAt: clock.now() });
      const id = await ingest(first);
      const owner = (await conv(id)).assignee_id!;
      await setAvailability(owner, 'offline');
      expect(await timer(id)).toBeNull();
      clock.advance(120 * MIN);
      await ingest(mention({ author: who, text: '@AcmeCare hello?', createdAt: clock.now(), inReplyToNetworkId: first.networkMessageId }));
      await desk.parley.services.workflow.handover.check(desk.brandId);
      expect((await conv(id)).assignee_id).toBe(owner);
      expect(await handovers(id)).toEqual([]);
      expect((await admin.req('PATCH', '/api/settings/workflow', { handoverAfterMin: 15 })).status).toBe(200);
      await setAvailability(owner, 'online');
    });

    it('the audit\'s old minutes are what was saved, even when another process changed them moments before', async () => {
      // this process has the settings cached (5 s); another process of the desk saves 25 minutes meanwhile
      expect((await admin.get('/api/settings/workflow')).json.handoverAfterMin).toBe(15);
      await new WorkflowSettingsStore(desk.db.store).update(desk.brandId, { handoverAfterMin: 25 });
      expect((await admin.req('PATCH', '/api/settings/workflow', { handoverAfterMin: 30 })).status).toBe(200);
      const change = await db().selectFrom('audit_event').select('data').where('action', '=', 'settings.workflow').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      expect(JSON.parse(change.data).handoverAfterMin).toEqual({ from: 25, to: 30 });
      expect((await admin.req('PATCH', '/api/settings/workflow', { handoverAfterMin: 15 })).status).toBe(200);
    });
  });
}
