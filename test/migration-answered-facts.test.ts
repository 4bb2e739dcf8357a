/**
 * Facts recorded before answers were filed at their message's arrival: the migration gives each
 * answered message its `message_answered` twin (from its inbound fact), fills in the triage the
 * outbox left off desk replies' `message_response` facts, and asks for the rollups to be rebuilt.
 * On SQLite and PostgreSQL, with facts written as an older Parley wrote them.
 */
import { expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { responseRateReport } from '../src/reports/reports.js';
import { factRow } from '../src/store/facts.js';
import { up } from '../src/store/migrations/20261205T1210_message_answered_facts.js';
import { rebuildRollups, type Fact } from '../src/store/rollup.js';
import { describeEachStore } from './db.js';

const HOUR = 3_600_000;
const T = Date.UTC(2026, 10, 17, 22, 0); // Tuesday 22:00 London

describeEachStore('migration: answers filed at their arrival', (get, dialect) => {
  it('adds a twin per answered message, the triage of desk replies, and a rollup rebuild', async () => {
    const { store } = get();
    const brandId = await createBrand(store.db, { slug: 'mig', name: 'Mig', timezone: 'Europe/London' }, T);
    const account = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'Mig', driver: 'demo' }, T);
    const dims = (messageId: number, over: { needsResponse?: boolean | null; sentiment?: string | null } = {}) => ({
      brandId, timezone: 'Europe/London', conversationId: messageId, messageId, agentId: null, teamId: null, channelAccountId: account, network: 'x', visibility: 'public', priority: 0, category: 'customer_service', ...over,
    });
    const old: Fact[] = [
      // 1: arrived Tuesday, answered from the desk after midnight (the outbox wrote no triage)
      factRow(dims(1, { needsResponse: true, sentiment: 'negative' }), 'inbound', T + HOUR, null, null, null),
      factRow(dims(1), 'message_response', T + 3 * HOUR, T + HOUR, T + 3 * HOUR, null),
      // 2: arrived Tuesday, answered on the network (ingest wrote its triage)
      factRow(dims(2, { needsResponse: true, sentiment: 'neutral' }), 'inbound', T + 1.5 * HOUR, null, null, null),
      factRow(dims(2, { needsResponse: true, sentiment: 'neutral' }), 'message_response', T + 1.6 * HOUR, T + 1.5 * HOUR, T + 1.6 * HOUR, null),
      // 3: arrived Wednesday, never answered
      factRow(dims(3, { needsResponse: true, sentiment: 'negative' }), 'inbound', T + 4 * HOUR, null, null, null),
      // 4: an answer whose message has no inbound fact: not a needed message, no twin
      factRow(dims(4), 'message_response', T + 5 * HOUR, T + 4.5 * HOUR, T + 5 * HOUR, null),
    ];
    // written as they were: bare rows, no derived facts
    await store.db.insertInto('reporting_fact').values(old).execute();
    await store.db.deleteFrom('kv').where('key', '=', 'rollup.rebuild').execute();

    await up(store.db, { dialect, id: ['bigint', (c) => c] });
    const facts = async () => store.db.selectFrom('reporting_fact').select(['kind', 'message_id', 'occurred_at', 'day', 'needs_response', 'sentiment']).where('brand_id', '=', brandId).where('kind', 'in', ['message_answered', 'message_response']).orderBy('kind').orderBy('message_id').execute();
    const after = await facts();
    expect(after).toEqual([
      { kind: 'message_answered', message_id: 1, occurred_at: T + HOUR, day: '2026-11-17', needs_response: 1, sentiment: 'negative' },
      { kind: 'message_answered', message_id: 2, occurred_at: T + 1.5 * HOUR, day: '2026-11-17', needs_response: 1, sentiment: 'neutral' },
      { kind: 'message_response', message_id: 1, occurred_at: T + 3 * HOUR, day: '2026-11-18', needs_response: 1, sentiment: 'negative' },
      { kind: 'message_response', message_id: 2, occurred_at: T + 1.6 * HOUR, day: '2026-11-17', needs_response: 1, sentiment: 'neutral' },
      { kind: 'message_response', message_id: 4, occurred_at: T + 5 * HOUR, day: '2026-11-18', needs_response: null, sentiment: null },
    ]);
    expect(await store.db.selectFrom('kv').select('key').where('key', '=', 'rollup.rebuild').executeTakeFirst()).toBeTruthy();
    // run twice (a retried deploy): nothing doubles
    await up(store.db, { dialect, id: ['bigint', (c) => c] });
    expect(await facts()).toEqual(after);

    await rebuildRollups(store, brandId);
    const r = await responseRateReport(store, { brandId });
    expect(r).toMatchObject({ needed: 3, answered: 2 });
    expect(r.by_day).toEqual([
      { day: '2026-11-17', needed: 2, answered: 2, rate: 1 },
      { day: '2026-11-18', needed: 1, answered: 0, rate: 0 },
    ]);
  });
});
