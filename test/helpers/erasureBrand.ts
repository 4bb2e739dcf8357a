/**
 * A brand seeded row by row for the erasure tests that need thousands of rows or exact ids
 * (test/erasure-scale.test.ts, test/erasure-transaction.test.ts): a brand, its X account and an
 * agent on a fresh database per suite, and builders for conversation and message rows written
 * straight to the store. Call it inside a `describe`: it registers the suite's beforeAll/afterAll.
 */
import { afterAll, beforeAll } from 'vitest';
import { createBrand, createChannelAccount, createUser } from '../../src/commands/setup.js';
import { ManualClock } from '../../src/lib/clock.js';
import type { Dialect } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../db.js';

export interface MessageOpts {
  direction?: 'inbound' | 'outbound';
  /** Default: 'received' inbound, 'sent' outbound. */
  status?: string;
  author?: number | null;
}

export function erasureBrand(dialect: Dialect) {
  let t: TestDatabase;
  const clock = new ManualClock(Date.UTC(2026, 10, 17, 10, 0));
  const ids = { brandId: 0, accountId: 0, agentId: 0 };
  const db = () => t.store.db;
  beforeAll(async () => {
    t = await createTestDatabase(dialect);
    ids.brandId = await createBrand(db(), { slug: 'acme', name: 'Acme' }, clock.now());
    ids.accountId = await createChannelAccount(db(), { brandId: ids.brandId, network: 'x', handle: 'AcmeCare', driver: 'demo' }, clock.now());
    ids.agentId = await createUser(db(), { brandId: ids.brandId, email: 'ana@acme.test', name: 'Ana Agent', role: 'agent' }, clock.now());
  });
  afterAll(async () => t?.drop());

  const conversation = async (contactId: number | null) => Number((await db().insertInto('conversation').values({
    brand_id: ids.brandId, channel_account_id: ids.accountId, contact_id: contactId, network: 'x', visibility: 'public', status: 'open', priority: 1, assignee_id: null, team_id: null, subject: 'parcel',
    created_at: clock.now(), updated_at: clock.now(), last_message_at: clock.now(), waiting_since: clock.now(), cycle_started_at: clock.now(), reopened_count: 0, message_count: 1, version: 1,
  } as never).returning('id').executeTakeFirstOrThrow()).id);
  let n = 0;
  const message = (conversationId: number, text: string, o: MessageOpts = {}) => ({
    brand_id: ids.brandId, conversation_id: conversationId, channel_account_id: ids.accountId, network: 'x', network_message_id: `m-${dialect}-${++n}`, direction: o.direction ?? 'outbound',
    author_identity_id: o.author ?? null, visibility: 'public', kind: 'reply', text, created_at: clock.now(), received_at: clock.now(), status: o.status ?? (o.direction === 'inbound' ? 'received' : 'sent'), is_auto: 0, source: 'agent',
  });
  const insertMessage = async (conversationId: number, text: string, o: MessageOpts = {}) =>
    Number((await db().insertInto('message').values(message(conversationId, text, o) as never).returning('id').executeTakeFirstOrThrow()).id);
  return { clock, ids, db, database: () => t, conversation, message, insertMessage };
}
