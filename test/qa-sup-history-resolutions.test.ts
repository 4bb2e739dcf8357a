/**
 * QA (supervisor flows): resolved history counts as a resolution. A conversation stored as history
 * (an import) writes one `resolution` fact at its last message, with no agent, in facts and
 * rollups alike; history that a later import continues moves that fact (not a second one), and
 * the same history imported again changes nothing. The SLA and people reports say that history has
 * no SLA clocks; a team filter tells how many members the team has. SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { runReport } from '../src/reports/reports.js';
import { rewriteFacts, type Fact } from '../src/store/rollup.js';
import { createTeam } from '../src/commands/setup.js';
import { DIALECTS } from './db.js';
import { mention, startDesk, type TestDesk } from './helpers/parley.js';

const HOUR = 3600_000;
const DAY = 24 * HOUR;
const T = Date.UTC(2026, 10, 16, 12, 0); // Monday 16 November 2026
const PAST = T - 20 * DAY; // history: well before the week's cutoff

for (const dialect of DIALECTS) {
  describe(`resolved history counts as resolutions [${dialect}]`, () => {
    let desk: TestDesk;
    beforeAll(async () => {
      desk = await startDesk(dialect, { clock: new ManualClock(T), workers: false });
    });
    afterAll(async () => desk?.stop());
    const db = () => desk.db.store.db;

    const asked = mention({ networkMessageId: 'h-1', author: { networkUserId: 'h-u1', handle: 'histone' }, text: '@AcmeCare my parcel is lost, can you help?', createdAt: PAST });
    const reply = mention({ networkMessageId: 'h-2', direction: 'outbound', kind: 'reply', inReplyToNetworkId: 'h-1', author: { networkUserId: 'acmecare', handle: 'AcmeCare' }, text: '@histone Sorry! Please DM us your order number', createdAt: PAST + HOUR });
    const thanks = mention({ networkMessageId: 'h-3', kind: 'reply', inReplyToNetworkId: 'h-2', author: { networkUserId: 'h-u1', handle: 'histone' }, text: '@AcmeCare sent it, thanks', createdAt: PAST + 2 * HOUR });
    const ingest = (messages: ReturnType<typeof mention>[]) => desk.parley.services.pipeline.ingest(desk.brandId, messages.map((message) => ({ channelAccountId: desk.accountId, message, source: 'import' as const })));
    const resolutions = () => db().selectFrom('reporting_fact').selectAll().where('brand_id', '=', desk.brandId).where('kind', '=', 'resolution').execute();
    const rolledUp = async () => Number((await db().selectFrom('fact_rollup').select((eb) => eb.fn.sum<number>('n').as('n')).where('brand_id', '=', desk.brandId).where('kind', '=', 'resolution').executeTakeFirst())?.n ?? 0);
    // whole days around the history: the reports read the rollups
    const period = { brandId: 0, from: Math.floor(PAST / DAY) * DAY - DAY, to: Math.floor(PAST / DAY) * DAY + 2 * DAY };

    it('writes one resolution at the last message, no agent, in facts and rollups', async () => {
      const outcomes = await ingest([asked, reply]);
      expect(outcomes.map((o) => o.status)).toEqual(['stored', 'stored']);
      const id = (outcomes[0] as { conversationId: number }).conversationId;
      const conv = await db().selectFrom('conversation').select(['status', 'resolved_at']).where('id', '=', id).executeTakeFirstOrThrow();
      expect(conv).toMatchObject({ status: 'resolved' });
      const facts = await resolutions();
      expect(facts).toHaveLength(1);
      expect(facts[0]).toMatchObject({ conversation_id: id, agent_id: null, occurred_at: PAST + HOUR, data: JSON.stringify({ history: true }) });
      expect(Number(facts[0]!.value_s)).toBe(3600);
      expect(await rolledUp()).toBe(1);
    });

    it('moves the resolution when more history continues the conversation, and re-importing changes nothing', async () => {
      const outcomes = await ingest([asked, reply, thanks]);
      expect(outcomes.map((o) => o.status)).toEqual(['duplicate', 'duplicate', 'stored']);
      let facts = await resolutions();
      expect(facts).toHaveLength(1);
      expect(Number(facts[0]!.occurred_at)).toBe(PAST + 2 * HOUR);
      expect(await rolledUp()).toBe(1);
      await ingest([asked, reply, thanks]);
      facts = await resolutions();
      expect(facts).toHaveLength(1);
      expect(await rolledUp()).toBe(1);
    });

    it('counts in the team totals without an agent, and the SLA figures say history has no clocks', async () => {
      // the demo attributes its history to the Care team (every fact of the conversation)
      const rows = (await db().selectFrom('reporting_fact').selectAll().where('brand_id', '=', desk.brandId).execute()) as (Fact & { id: number })[];
      await db().transaction().execute((trx) => rewriteFacts(trx, desk.db.store, rows, { team_id: desk.teamId }));
      const f = { ...period, brandId: desk.brandId };
      const teams = (await runReport(desk.db.store, 'teams', f, T)) as any;
      const care = teams.rows.find((r: any) => r.id === desk.teamId);
      expect(care).toMatchObject({ resolutions: 1, history_resolutions: 1, sla_attainment: null });
      expect(teams.note).toMatch(/imported history.*no SLA clocks/);
      const agents = (await runReport(desk.db.store, 'agents', f, T)) as any;
      expect(agents.rows.every((r: any) => r.resolutions === 0)).toBe(true);
      const sla = (await runReport(desk.db.store, 'sla', f, T)) as any;
      expect(sla).toMatchObject({ met: 0, breached: 0, attainment: null, history_resolutions: 1 });
      expect(sla.note).toBe('1 resolution in this period is imported history: handled outside Parley, it has no SLA clocks, so SLA attainment covers only the conversations handled at the desk.');
    });

    it('tells a new team with no members from history: members counted, no history note', async () => {
      const fresh = await createTeam(db(), { brandId: desk.brandId, name: 'Night shift' }, T);
      const teams = (await runReport(desk.db.store, 'teams', { ...period, brandId: desk.brandId, teamId: fresh }, T)) as any;
      expect(teams).toMatchObject({ rows: [], team_members: 0, history_resolutions: 0, note: null });
      const care = (await runReport(desk.db.store, 'teams', { ...period, brandId: desk.brandId, teamId: desk.teamId }, T)) as any;
      expect(care.team_members).toBe(3);
    });
  });
}
