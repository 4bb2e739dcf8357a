/**
 * Imported history is history: `parley import twcs` into a running desk (its pipeline, with
 * routing and SLA clocks on) stores conversations whose last message is older than a week
 * resolved — out of the live inbox, the queues and the backlog, never routed, clocked or
 * acknowledged, without a "waiting 3321 days" priority — while they still count in the reports
 * (volume, reply times, accolades). A recently imported conversation stays open as live work.
 * History imported in many small batches is measured as the same messages are live.
 * SQLite and PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_AFTER_MS } from '../src/core/conversationState.js';
import { EventBus } from '../src/events/bus.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { ManualClock } from '../src/lib/clock.js';
import { sharedDataFile } from '../src/lib/paths.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { createPipelineTriage } from '../src/triage/pipelineTriage.js';
import { DIALECTS } from './db.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

const HOUR = 3600_000;
// Tuesday 17 November 2026, 10:00 London: the TWCS sample is from 2017
const T = Date.UTC(2026, 10, 17, 10, 0);
const TWCS = sharedDataFile('twcs/twcs_head5k.csv');

/** A date as TWCS writes it (ISO form, which the importer reads too). */
const twcsDate = (ms: number) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, '+00:00');

for (const dialect of DIALECTS) {
  describe(`imported history [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let dir: string;
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock: new ManualClock(T), workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      // routing on: live work would be queued for Care
      expect((await admin.req('PATCH', '/api/settings/workflow', { routing: { rules: [], defaultTeamId: String(desk.teamId) } })).status).toBe(200);
      dir = mkdtempSync(join(tmpdir(), 'parley-history-'));
    });
    afterAll(async () => {
      await desk?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    const db = () => desk.db.store.db;
    const brandOf = async (slug: string) => (await db().selectFrom('brand').select('id').where('slug', '=', slug).executeTakeFirstOrThrow()).id;
    /** What a brand's conversations and facts add up to. */
    async function summary(brandId: number) {
      const convs = await db().selectFrom('conversation').select(['status', 'team_id', 'assignee_id', 'queued_at', 'sla', 'sla_due_at', 'reopened_count', 'message_count', 'first_response_at', 'waiting_since', 'priority']).where('brand_id', '=', brandId).execute();
      const facts = await db().selectFrom('reporting_fact').select(['kind', 'value_s']).where('brand_id', '=', brandId).execute();
      const byKind: Record<string, { n: number; s: number }> = {};
      for (const f of facts) {
        const k = (byKind[f.kind] ??= { n: 0, s: 0 });
        k.n++;
        k.s += Number(f.value_s ?? 0);
      }
      const statuses: Record<string, number> = {};
      for (const c of convs) statuses[c.status] = (statuses[c.status] ?? 0) + 1;
      return {
        statuses, byKind, conversations: convs.length,
        messages: convs.reduce((s, c) => s + Number(c.message_count), 0),
        answered: convs.filter((c) => c.first_response_at != null).length,
        waiting: convs.filter((c) => c.waiting_since != null).length,
        priority: convs.reduce((s, c) => s + Number(c.priority), 0),
        workflow: convs.filter((c) => c.team_id != null || c.assignee_id != null || c.queued_at != null || c.sla != null || c.sla_due_at != null).length,
        reopened: convs.reduce((s, c) => s + Number(c.reopened_count), 0),
      };
    }

    /** A brand's resolution facts, the conversations they are of, its conversations with a customer in them, and how many facts name an agent. */
    async function historyResolutions(brandId: number) {
      const facts = await db().selectFrom('reporting_fact').select(['conversation_id', 'agent_id']).where('brand_id', '=', brandId).where('kind', '=', 'resolution').execute();
      const withCustomer = await db().selectFrom('conversation').select('id').where('brand_id', '=', brandId).where('last_inbound_at', 'is not', null).execute();
      return { facts: facts.length, conversations: new Set(facts.map((f) => Number(f.conversation_id))).size, withCustomer: withCustomer.length, agents: facts.filter((f) => f.agent_id != null).length };
    }

    it('stores years-old conversations resolved: in the reports, not in the inbox, queues or backlog', async () => {
      const r = await importTwcs(desk.db.store, desk.parley.services.pipeline, TWCS, { brandSlug: 'acme', now: () => T });
      expect(r.stored).toBeGreaterThan(3900);
      const s = await summary(desk.brandId);
      expect(s.conversations).toBeGreaterThan(1000);
      expect(s.statuses).toEqual({ resolved: s.conversations });
      expect(s.workflow).toBe(0); // never routed, queued or clocked
      expect(s.reopened).toBe(0);
      // resolved outside Parley: one resolution for each with a customer in it, with no agent
      expect(await historyResolutions(desk.brandId)).toEqual({ facts: s.byKind.resolution!.n, conversations: s.byKind.resolution!.n, withCustomer: s.byKind.resolution!.n, agents: 0 });
      expect(s.byKind.reopen).toBeUndefined();
      expect(Object.keys(s.byKind).filter((k) => k.startsWith('sla_'))).toEqual([]);
      // nothing acknowledged, nothing audited as queued
      expect(Number((await db().selectFrom('message').select((eb) => eb.fn.countAll().as('n')).where('brand_id', '=', desk.brandId).where('is_auto', '=', 1).executeTakeFirstOrThrow()).n)).toBe(0);
      expect(await db().selectFrom('audit_event').select('id').where('brand_id', '=', desk.brandId).where('action', 'in', ['conversation.queued', 'sla.breached', 'sla.warning']).execute()).toEqual([]);
      // no "waiting 3321 days" in any priority
      const triaged = await db().selectFrom('message').select(['triage', 'priority']).where('brand_id', '=', desk.brandId).where('direction', '=', 'inbound').execute();
      expect(triaged.length).toBeGreaterThan(2000);
      expect(triaged.filter((m) => m.triage != null)).toHaveLength(triaged.length);
      expect(triaged.filter((m) => m.triage!.includes('waiting_time'))).toEqual([]);

      // the live desk: empty inbox views, queues, backlog
      const counts = (await admin.get('/api/conversations/counts')).json;
      for (const view of ['new', 'open', 'team', 'waiting']) expect(counts[view] ?? 0, view).toBe(0);
      expect((await admin.get('/api/conversations?view=open&limit=10')).json.items).toEqual([]);
      expect((await admin.get('/api/queues')).json.items.every((q: any) => q.waiting === 0)).toBe(true);
      const backlog = (await admin.get('/api/reports/backlog')).json;
      expect(backlog.by_status).toEqual({});
      expect(backlog.oldest).toEqual([]);

      // the reports still count it
      const period = `from=${new Date(Date.UTC(2000, 0, 1)).toISOString()}&to=${new Date(T).toISOString()}`;
      expect((await admin.get(`/api/reports/volume?${period}`)).json.total).toBe(s.byKind.inbound!.n);
      expect((await admin.get(`/api/reports/reply-time?${period}`)).json.overall.n).toBe(1644); // the dataset README's answered inbound tweets
      expect((await admin.get(`/api/reports/accolades?${period}`)).json.total).toBe(s.byKind.accolade!.n);
      expect(s.byKind.first_response!.n).toBeGreaterThan(500);

      // working their clocks out again (an agent acting on one does) starts none: they were never under an SLA
      const ids = (await db().selectFrom('conversation').select('id').where('brand_id', '=', desk.brandId).limit(200).execute()).map((c) => c.id);
      await desk.parley.services.workflow.refreshSlaMany(ids);
      const after = await summary(desk.brandId);
      expect(Object.keys(after.byKind).filter((k) => k.startsWith('sla_'))).toEqual([]);
      expect(await db().selectFrom('notification').select('id').where('brand_id', '=', desk.brandId).execute()).toEqual([]);
      expect(await db().selectFrom('conversation').select('id').where('brand_id', '=', desk.brandId).where('sla_due_at', 'is not', null).execute()).toEqual([]);
    });

    it('measures history imported in many small batches as it measures the same messages live', async () => {
      // the same file, in batches of 37 (conversations span batches), through two pipelines:
      // one whose clock follows the data (nothing is history: the messages as live traffic)
      // and one in 2026 (everything is history); only the status may differ
      const triage = await createPipelineTriage({ worker: false });
      // as live traffic: the clock moves to each batch's newest message as it arrives (a message
      // dated ahead of its receipt would be dated at its receipt), so nothing is ever history
      const liveClock = new ManualClock(Date.UTC(2000, 0, 1));
      const asLive = new IngestPipeline({ store: desk.db.store, bus: new EventBus(), clock: liveClock, triage });
      const ingestLive = asLive.ingest.bind(asLive);
      asLive.ingest = (brandId, items) => {
        liveClock.set(Math.max(liveClock.now(), ...items.map((i) => (i.message as { createdAt: number }).createdAt)));
        return ingestLive(brandId, items);
      };
      const asHistory = new IngestPipeline({ store: desk.db.store, bus: new EventBus(), clock: new ManualClock(T), triage });
      await importTwcs(desk.db.store, asLive, TWCS, { brandSlug: 'as-live', batchSize: 37, now: () => T });
      await importTwcs(desk.db.store, asHistory, TWCS, { brandSlug: 'as-history', batchSize: 37, now: () => T });
      const { statuses: liveStatuses, ...live } = await summary(await brandOf('as-live'));
      const { statuses, ...history } = await summary(await brandOf('as-history'));
      expect(liveStatuses.new).toBeGreaterThan(0);
      expect(statuses).toEqual({ resolved: history.conversations });
      expect(history.byKind.reopen).toBeUndefined();
      expect(history.byKind.first_response!.n).toBeGreaterThan(500);
      // measured alike; what the live pipeline's moving clock adds is left aside: priorities that
      // count each wait up to the clock, and a conversation the live pass reopened by its clock
      // (and the resolution each history conversation gets: one, however many batches it spans)
      expect(await historyResolutions(await brandOf('as-history'))).toEqual({ facts: history.byKind.resolution!.n, conversations: history.byKind.resolution!.n, withCustomer: history.byKind.resolution!.n, agents: 0 });
      const measures = ({ priority: _p, reopened: _r, byKind: { reopen: _o, resolution: _res, ...byKind }, ...rest }: typeof live) => ({ ...rest, byKind });
      expect(live.reopened).toBeLessThanOrEqual(1);
      expect(measures(history)).toEqual(measures(live));
    });

    it('keeps a recently imported conversation open as live work, its wait in the priority', async () => {
      const recent = T - 2 * HOUR;
      const old = T - HISTORY_AFTER_MS - 2 * HOUR;
      const file = join(dir, 'mixed.csv');
      writeFileSync(file, [
        'tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id',
        `9100000001,mixcust1,True,${twcsDate(old)},@MixCare my order has not arrived,9100000002,`,
        `9100000002,MixCare,False,${twcsDate(old + HOUR)},@mixcust1 Sorry! Please DM us your order number,,9100000001`,
        `9100000003,mixcust2,True,${twcsDate(recent)},@MixCare my order has not arrived,,`,
        `9100000004,mixcust3,True,${twcsDate(recent - HOUR)},@MixCare hello? anyone there,9100000005,`,
        `9100000005,MixCare,False,${twcsDate(recent)},@mixcust3 Hi! How can we help?,,9100000004`,
      ].join('\n') + '\n');
      const r = await importTwcs(desk.db.store, desk.parley.services.pipeline, file, { brandSlug: 'acme', now: () => T });
      expect(r.stored).toBe(5);
      const conv = async (tweet: string) => {
        const m = await db().selectFrom('message').select(['conversation_id', 'triage']).where('brand_id', '=', desk.brandId).where('network_message_id', '=', tweet).executeTakeFirstOrThrow();
        return { ...(await db().selectFrom('conversation').selectAll().where('id', '=', m.conversation_id).executeTakeFirstOrThrow()), triage: m.triage };
      };
      const history = await conv('9100000001');
      expect(history).toMatchObject({ status: 'resolved', team_id: null, sla: null });
      expect(history.first_response_at).toBe(old + HOUR);
      const live = await conv('9100000003');
      expect(live.status).toBe('new');
      expect(live.team_id).toBe(desk.teamId); // routed
      expect(live.sla).not.toBeNull(); // clocked
      expect(live.triage).toContain('waiting_time'); // a customer waiting two hours is waiting
      expect((await conv('9100000004')).status).toBe('open'); // answered two hours ago, recent: live
      const counts = (await admin.get('/api/conversations/counts')).json;
      expect(counts.new).toBe(1);
      const backlog = (await admin.get('/api/reports/backlog')).json;
      expect(backlog.oldest.map((o: any) => o.id)).toEqual([live.id]);
    });
  });
}
