/**
 * Channel health: an account is `active` or `unhealthy` with the error code,
 * what happened and what an admin should do. Turning unhealthy raises an
 * alert (live event + notification to every admin); never silently green.
 * Recovering makes the account's replies waiting on a retry due at once.
 * What happened is often the network's own words: only admins read them
 * (see ./healthSummary.ts); the brand-wide event and the audit trail, which
 * leads read too, carry the plain summary.
 */
import type { EventBus } from '../events/bus.js';
import { adminsOf, publishWithAdminDetail } from '../events/adminDetail.js';
import { presentChannelAccount } from '../server/presenters.js';
import type { Store } from '../store/db.js';
import type { ChannelAccount } from '../store/schema.js';
import { audit } from '../store/audit.js';
import { sendWaitingNow } from '../outbox/waiting.js';
import { summarizeHealth } from './healthSummary.js';

export interface HealthProblem {
  code: string;
  message: string;
  advice: string;
}

/** Record a problem (or recovery, with null). Idempotent: repeats of the same problem do not re-alert. */
export async function markChannelHealth(store: Store, bus: EventBus, account: ChannelAccount, problem: HealthProblem | null, now: number): Promise<void> {
  // a disabled account stays disabled: only an admin enables it again
  if (account.status === 'disabled') return;
  const wasUnhealthy = account.status === 'unhealthy';
  const prev = safe(account.health);
  if (!problem) {
    if (!wasUnhealthy) return;
    const health = JSON.stringify({ ...prev, code: null, message: null, advice: null, recoveredAt: new Date(now).toISOString() });
    await store.db.updateTable('channel_account').set({ status: 'active', health }).where('id', '=', account.id).where('status', '!=', 'disabled').execute();
    // its replies held back while it was down go out now, not when their back-off (up to 5 minutes) ends
    const due = await sendWaitingNow(store.db, account.id, now);
    await audit(store.db, { brandId: account.brand_id, actor: 'system', action: 'channel.recovered', subjectType: 'channel_account', subjectId: account.id, ...(due ? { data: { repliesDueNow: due } } : {}) }, now);
    const row = await store.db.selectFrom('channel_account').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow();
    await publishChannelHealth(store, bus, row);
    return;
  }
  const same = wasUnhealthy && prev.code === problem.code;
  const health = JSON.stringify({ code: problem.code, message: problem.message, advice: problem.advice, since: same ? prev.since : new Date(now).toISOString(), lastErrorAt: new Date(now).toISOString() });
  await store.db.updateTable('channel_account').set({ status: 'unhealthy', health }).where('id', '=', account.id).where('status', '!=', 'disabled').execute();
  if (same) return;
  // approvers read the audit trail too: the summary of the problem, not the network's words
  const { message } = summarizeHealth({ code: problem.code, message: problem.message });
  await audit(store.db, { brandId: account.brand_id, actor: 'system', action: 'channel.unhealthy', subjectType: 'channel_account', subjectId: account.id, data: { code: problem.code, message, advice: problem.advice } }, now);
  const admins = await adminsOf(store, account.brand_id);
  for (const a of admins) {
    await store.db
      .insertInto('notification')
      .values({ brand_id: account.brand_id, user_id: a.id, kind: 'channel.unhealthy', title: `${account.network} @${account.handle} needs attention`, body: `${problem.message}. ${problem.advice}`, conversation_id: null, created_at: now })
      .execute();
  }
  const row = await store.db.selectFrom('channel_account').selectAll().where('id', '=', account.id).executeTakeFirstOrThrow();
  await publishChannelHealth(store, bus, row, admins);
  if (admins.length) bus.publish(account.brand_id, 'notification', { kind: 'channel.unhealthy', channelAccountId: account.id, title: `${account.network} @${account.handle} needs attention`, body: `${problem.message}. ${problem.advice}` }, { userIds: admins.map((a) => a.id) });
}

/**
 * Tell open pages that an account changed (`channel.health`): the whole brand (experts too)
 * gets the account with its health summarized; its admins then get it with the network's
 * words, which replace the summary on their pages.
 */
export async function publishChannelHealth(store: Store, bus: EventBus, row: ChannelAccount, admins?: { id: number }[]): Promise<void> {
  await publishWithAdminDetail(store, bus, row.brand_id, 'channel.health', presentChannelAccount(row), presentChannelAccount(row, undefined, 'detail'), admins);
}

function safe(s: string): Record<string, any> {
  try {
    return JSON.parse(s);
  } catch {
    return {};
  }
}
