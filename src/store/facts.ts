/**
 * Reporting facts: append-only rows written as things happen, each with
 * wall-clock and business-hours seconds and the dimensions reports filter by.
 * Reports aggregate these and never re-derive history (docs/metrics.md).
 */
import type { Insertable } from 'kysely';
import type { HandlingTime } from '../core/staffing/handlingTime.js';
import { localParts } from '../lib/tz.js';
import type { ChannelAccount, DB } from './schema.js';
import type { Tx } from './util.js';

/** Business-hours seconds between two instants on a channel account's calendar (the workflow's). */
export type BusinessSeconds = (account: ChannelAccount, from: number, to: number) => number;

/**
 * The business-hours measure for facts about a conversation on `accountId`: null (business
 * seconds = wall-clock seconds) only when no calendar logic is wired in.
 */
export async function businessFor(db: Tx, businessSeconds: BusinessSeconds | undefined, accountId: number): Promise<((from: number, to: number) => number) | null> {
  if (!businessSeconds) return null;
  const account = await db.selectFrom('channel_account').selectAll().where('id', '=', accountId).executeTakeFirst();
  return account ? (from, to) => businessSeconds(account, from, to) : null;
}

export interface FactDimensions {
  brandId: number;
  /** The brand's zone: hour-of-week and day are local. */
  timezone: string;
  conversationId: number | null;
  messageId: number | null;
  agentId: number | null;
  teamId: number | null;
  channelAccountId: number | null;
  network: string | null;
  visibility: string | null;
  priority: number | null;
  category: string | null;
  needsResponse?: boolean | null;
  sentiment?: string | null;
}

/**
 * The `handling` fact of a reply sent at `at`: its measured handling time (capped when the rule
 * capped it), or unmeasured with the reason. The reply command and the demo's history write it so.
 */
export function handlingFactRow(d: FactDimensions, at: number, h: HandlingTime): Insertable<DB['reporting_fact']> {
  return h.measured
    ? factRow(d, 'handling', at, at - h.handlingMs, at, null, h.capped ? { capped: true } : undefined)
    : factRow(d, 'handling', at, null, null, null, { unmeasured: h.reason });
}

/**
 * One fact row. `from`/`to` is the interval measured (null for point facts);
 * `business` turns it into business-hours seconds (null: same as wall clock).
 */
export function factRow(
  d: FactDimensions,
  kind: string,
  occurredAt: number,
  from: number | null,
  to: number | null,
  business: ((from: number, to: number) => number) | null,
  data?: Record<string, unknown>,
): Insertable<DB['reporting_fact']> {
  const local = localParts(d.timezone, occurredAt);
  const measured = from != null && to != null;
  const valueS = measured ? Math.max(0, (to - from) / 1000) : null;
  return {
    brand_id: d.brandId,
    kind,
    occurred_at: occurredAt,
    conversation_id: d.conversationId,
    message_id: d.messageId,
    agent_id: d.agentId,
    team_id: d.teamId,
    channel_account_id: d.channelAccountId,
    network: d.network,
    visibility: d.visibility,
    priority: d.priority,
    category: d.category,
    value_s: valueS,
    business_s: measured ? (business ? Math.max(0, business(from, to)) : valueS) : null,
    hour_of_week: local.hourOfWeek,
    day: local.day,
    data: data ? JSON.stringify(data) : null,
    needs_response: d.needsResponse == null ? null : d.needsResponse ? 1 : 0,
    sentiment: d.sentiment ?? null,
  };
}
