/**
 * Migration 20261207T1500_history_resolution_backfill: resolved history stored before ingest wrote
 * its `resolution` fact (commit d807e91) gets that fact, and its rollup counts, as a fresh import
 * writes them. History is imported through `parley import twcs` (over two files, so one
 * conversation is history an import continued), two conversations are then continued live (one
 * reopened, one answered by the brand), and the state before d807e91 is made with the real
 * functions: the history resolution facts withdrawn (`withdrawFactsWhere`, uncounted from the
 * rollups), all but one conversation's, which must stay as it is. The migration then gives the
 * same facts, rollups and reports as the fresh import, and nothing more when run again. Business
 * hours on the account's calendar; one conversation's facts attributed to a team, as the demo's
 * history is. SQLite and PostgreSQL.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTwcs } from '../src/import/importTwcs.js';
import { TWCS_COLUMNS } from '../src/import/twcs.js';
import { ManualClock } from '../src/lib/clock.js';
import { runReport } from '../src/reports/reports.js';
import type { MigrationContext } from '../src/store/migrate.js';
import { up } from '../src/store/migrations/20261207T1500_history_resolution_backfill.js';
import { HISTORY_RESOLUTION_DATA, rewriteFacts, withdrawFactsWhere, type Fact } from '../src/store/rollup.js';
import { DIALECTS } from './db.js';
import { mention, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;
const T = Date.UTC(2026, 10, 16, 12, 0); // Monday 16 November 2026, 12:00 London (UTC)
const PAST = Date.UTC(2026, 9, 23, 15, 0); // Friday 23 October 2026, 16:00 London (BST): history, an hour before closing
const nineToFive = [{ start: '09:00', end: '17:00' }];
const CALENDAR = { timeZone: 'Europe/London', weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive } };

const iso = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+00:00');
const row = (id: number, author: string, inbound: boolean, at: number, text: string, inReplyTo: number | null = null) =>
  [id, author, inbound ? 'True' : 'False', iso(at), text, '', inReplyTo ?? ''].join(',');

// the first file: five conversations of history and one recent (live work: no resolution)
const FIRST = [
  row(101, '201', true, PAST, '@AcmeCare my parcel is lost'), // c1: asked, answered, thanked
  row(102, 'AcmeCare', false, PAST + 30 * MIN, '@201 sorry! DM us the order number', 101),
  row(103, '201', true, PAST + 20 * HOUR, '@AcmeCare sent it thanks', 102), // Saturday: outside business hours
  row(111, '211', true, PAST + HOUR, '@AcmeCare the app crashes on login'), // c2: continued by the second file
  row(121, 'AcmeCare', false, PAST + 2 * HOUR, 'Our autumn sale starts today'), // c3: the brand's own post, nobody answered
  row(131, '231', true, PAST + 3 * DAY, '@AcmeCare card declined twice'), // c4: reopened live later
  row(132, 'AcmeCare', false, PAST + 3 * DAY + HOUR, '@231 please try again now', 131),
  row(141, '241', true, PAST + 4 * DAY, '@AcmeCare where is my refund'), // c5: the brand answers live later
  row(142, 'AcmeCare', false, PAST + 4 * DAY + 2 * HOUR, '@241 it is on its way', 141),
  row(143, '241', true, PAST + 4 * DAY + 3 * HOUR, '@AcmeCare still nothing', 142),
  row(151, '251', true, T - 2 * DAY, '@AcmeCare my order is late'), // c6: two days old, live work
];
const SECOND = [
  row(112, 'AcmeCare', false, PAST + 26 * HOUR, '@211 update the app please', 111),
  row(113, '211', true, PAST + 27 * HOUR, '@AcmeCare works now', 112),
];

for (const dialect of DIALECTS) {
  describe(`history resolution backfill [${dialect}]`, () => {
    let desk: TestDesk;
    let dir: string;
    const db = () => desk.db.store.db;
    const conversationOf = async (tweet: number) => Number((await db().selectFrom('message').select('conversation_id').where('network_message_id', '=', String(tweet)).executeTakeFirstOrThrow()).conversation_id);

    beforeAll(async () => {
      desk = await startDesk(dialect, { clock: new ManualClock(T), workers: false });
      dir = mkdtempSync(join(tmpdir(), 'parley-history-backfill-'));
      await db().updateTable('channel_account').set({ calendar: JSON.stringify(CALENDAR) }).where('id', '=', desk.accountId).execute();
      desk.parley.services.workflowSettings.invalidate();
      const pipeline = desk.parley.services.pipeline;
      for (const [name, rows] of [['first.csv', FIRST], ['second.csv', SECOND]] as const) {
        const file = join(dir, name);
        writeFileSync(file, [TWCS_COLUMNS.join(','), ...rows].join('\n') + '\n');
        const summary = await importTwcs(desk.db.store, pipeline, file, { brandSlug: 'acme', now: () => T });
        expect(summary).toMatchObject({ stored: rows.length, quarantined: 0, brandId: desk.brandId });
      }
      // continued live: a customer writes again on c4 (reopened), the brand answers c5 on the network
      const live = await pipeline.ingest(desk.brandId, [
        { channelAccountId: desk.accountId, source: 'network', message: mention({ networkMessageId: '133', kind: 'reply', inReplyToNetworkId: '132', author: { networkUserId: '231', handle: '231' }, text: '@AcmeCare it is still declined', createdAt: T - HOUR }) },
        { channelAccountId: desk.accountId, source: 'network', message: mention({ networkMessageId: '144', direction: 'outbound', kind: 'reply', inReplyToNetworkId: '143', author: { networkUserId: 'acmecare', handle: 'AcmeCare' }, text: '@241 we have sent it again', createdAt: T - 30 * MIN }) },
      ]);
      expect(live.map((o) => o.status)).toEqual(['stored', 'stored']);
    });
    afterAll(async () => {
      await desk?.stop();
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    const resolutionFacts = async () => (await db().selectFrom('reporting_fact').selectAll().where('brand_id', '=', desk.brandId).where('kind', '=', 'resolution').orderBy('conversation_id').orderBy('occurred_at').execute())
      .map(({ id: _id, ...f }) => Object.fromEntries(Object.entries(f).map(([k, v]) => [k, typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) && k !== 'day' ? Number(v) : v])));
    const rollups = async () => (await db().selectFrom('fact_rollup').selectAll().where('brand_id', '=', desk.brandId).where('kind', '=', 'resolution').where('n', '!=', 0).orderBy('k').execute())
      .map((r) => ({ ...r, n: Number(r.n), sum_s: Number(r.sum_s), sum_bs: Number(r.sum_bs) }));
    const period = { from: Math.floor(PAST / DAY) * DAY - DAY, to: Math.floor(T / DAY) * DAY + DAY };
    const reports = async () => {
      const f = { ...period, brandId: desk.brandId };
      return { sla: await runReport(desk.db.store, 'sla', f, T), teams: await runReport(desk.db.store, 'teams', f, T), turnaround: await runReport(desk.db.store, 'turnaround', f, T) };
    };
    const snapshot = async () => ({ facts: await resolutionFacts(), rollups: await rollups(), reports: await reports() });
    const ctx = { dialect } as MigrationContext;
    // as the migrator runs it: PostgreSQL in one transaction, SQLite on one connection without one
    const migrate = () => db().connection().execute((c) => (dialect === 'postgres' ? c.transaction().execute((trx) => up(trx, ctx)) : up(c, ctx)));

    it('gives the history the resolution facts, rollups and reports a fresh import gives, once', async () => {
      const [c1, c2, c3, c4, c5, c6] = await Promise.all([101, 111, 121, 131, 141, 151].map(conversationOf));
      // the demo attributes its history's facts to the Care team (the conversation keeps none): c2's so
      const c2Facts = (await db().selectFrom('reporting_fact').selectAll().where('conversation_id', '=', c2).execute()) as (Fact & { id: number })[];
      expect(await db().transaction().execute((trx) => rewriteFacts(trx, desk.db.store, c2Facts, { team_id: desk.teamId }))).toBeGreaterThan(1);
      const fresh = await snapshot();
      expect(fresh.facts.map((f) => f.team_id)).toEqual([null, desk.teamId, null, null]);
      // what the import wrote: one per history conversation with a customer, none for the post or live work
      expect(fresh.facts.map((f) => f.conversation_id)).toEqual([c1, c2, c4, c5]);
      expect(fresh.facts.every((f) => f.data === HISTORY_RESOLUTION_DATA && f.agent_id == null)).toBe(true);
      // measured on the calendar: c1 ended on a Saturday, an hour of business time after it began
      expect(fresh.facts[0]).toMatchObject({ value_s: 20 * 3600, business_s: 3600 });
      expect(fresh.rollups.reduce((n, r) => n + r.n, 0)).toBe(4);
      // the cases the migration tells apart from the stored rows
      const conv = async (id: number) => {
        const c = await db().selectFrom('conversation').select(['status', 'resolved_at', 'last_message_at', 'reopened_count']).where('id', '=', id).executeTakeFirstOrThrow();
        return { status: c.status, reopened: Number(c.reopened_count), atLast: c.resolved_at != null && Number(c.resolved_at) === Number(c.last_message_at) };
      };
      expect(await conv(c2)).toEqual({ status: 'resolved', reopened: 0, atLast: true }); // history an import continued
      expect(await conv(c4)).toMatchObject({ reopened: 1, atLast: false }); // reopened live
      expect((await conv(c4)).status).not.toBe('resolved');
      expect(await conv(c5)).toEqual({ status: 'resolved', reopened: 0, atLast: false }); // answered live, still resolved
      expect((await conv(c6)).status).not.toBe('resolved'); // live work
      expect(c3).not.toBe(c6);

      // before d807e91: no history resolution facts (c1's kept: a conversation that has one stays as it is)
      await db().transaction().execute((trx) => withdrawFactsWhere(trx, desk.db.store, (q) => q.where('brand_id', '=', desk.brandId).where('kind', '=', 'resolution').where('data', '=', HISTORY_RESOLUTION_DATA).where('conversation_id', '!=', c1)));
      const before = await snapshot();
      expect(before.facts.map((f) => f.conversation_id)).toEqual([c1]);
      expect(before.rollups.reduce((n, r) => n + r.n, 0)).toBe(1);
      expect(before.reports).not.toEqual(fresh.reports);

      await migrate();
      expect(await snapshot()).toEqual(fresh);
      // again: nothing more
      await migrate();
      expect(await snapshot()).toEqual(fresh);
    });
  });
}
