/**
 * Staffing from measured volume: arrivals per hour of week come from the
 * reporting facts (inbound mentions that need handling, in the brand's time
 * zone, averaged over the weeks of the period); the planner (Erlang C, or
 * Erlang A with patience) turns them into agents per hour; the brand's roster
 * shows the gap; the simulator replays the real arrival times against a roster
 * ("what if we had two more agents on Monday mornings?"). The handling time is the
 * period's measured one when enough replies were measured, else the one set by hand
 * (the response says which, and why). See docs/metrics.md.
 */
import { ahtByHourOfWeek, chooseAht, DEFAULT_MIN_SAMPLES, describeHourlyAht } from '../core/staffing/handlingTime.js';
import { HOURS_PER_WEEK, hourOfWeekOccurrences, planWeek, rosterGap, type HourPlan, type PlanInput } from '../core/staffing/plan.js';
import { simulate, weeklyRosterSequence } from '../core/staffing/simulate.js';
import { parseObject } from '../lib/json.js';
import { localParts } from '../lib/tz.js';
import type { Store } from '../store/db.js';
import { measuredHandling } from './reports.js';

export interface StaffingParams {
  brandId: number;
  from: number;
  to: number;
  channelAccountId?: number;
  /** Handling time set by hand, seconds: the override (`manual`), or the fallback when too few replies were measured (`auto`). */
  ahtS: number;
  /** `auto` (default): the measured handling time of the period when at least `ahtMinSamples` replies were measured, else `ahtS`. `manual`: `ahtS`. */
  ahtMode?: 'auto' | 'manual';
  /** Replies that must have been measured before the measurement is used (default 30). */
  ahtMinSamples?: number;
  serviceLevel: number;
  answerWithinS: number;
  shrinkage?: number;
  maxOccupancy?: number;
  concurrency?: number;
  patienceS?: number;
}

export interface StaffingSettings {
  /** Heads on shift per hour of week (Monday 00:00 = 0), 168 numbers. */
  roster: number[] | null;
}

async function brandTz(store: Store, brandId: number) {
  return (await store.db.selectFrom('brand').select(['timezone', 'settings']).where('id', '=', brandId).executeTakeFirstOrThrow());
}

export async function getRoster(store: Store, brandId: number): Promise<number[] | null> {
  const b = await brandTz(store, brandId);
  const r = parseObject(b.settings).staffing?.roster;
  return Array.isArray(r) && r.length === HOURS_PER_WEEK ? r.map(Number) : null;
}

export async function saveRoster(store: Store, brandId: number, roster: number[] | null): Promise<void> {
  const b = await brandTz(store, brandId);
  const s = parseObject(b.settings);
  s.staffing = { ...(s.staffing ?? {}), roster };
  await store.db.updateTable('brand').set({ settings: JSON.stringify(s) }).where('id', '=', brandId).execute();
}

/**
 * Mean arrivals per hour of week over the period, and how many of each hour the period held:
 * each local hour of the brand's zone once, across daylight-saving changes too (the hour the
 * clocks repeat is one hour of that day, its arrivals both real hours'), as the facts file
 * arrivals under local hours.
 */
export async function measuredArrivals(store: Store, brandId: number, from: number, to: number, channelAccountId?: number) {
  const { timezone } = await brandTz(store, brandId);
  const occurrences = hourOfWeekOccurrences(from, to, (t) => localParts(timezone, t));
  let q = store.db
    .selectFrom('reporting_fact')
    .select(['hour_of_week', (eb) => eb.fn.countAll<number>().as('n')])
    .where('brand_id', '=', brandId)
    .where('kind', '=', 'inbound')
    .where('occurred_at', '>=', from)
    .where('occurred_at', '<', to)
    .where((eb) => eb.or([eb('needs_response', 'is', null), eb('needs_response', '=', 1)]));
  if (channelAccountId != null) q = q.where('channel_account_id', '=', channelAccountId);
  const rows = await q.groupBy('hour_of_week').execute();
  const totals = new Array<number>(HOURS_PER_WEEK).fill(0);
  for (const r of rows) totals[r.hour_of_week] = Number(r.n);
  return { timezone, totals, occurrences, perHour: totals.map((n, h) => (occurrences[h] ? n / occurrences[h]! : 0)) };
}

/**
 * The handling time a plan uses, and why: the period's measured handling time (same
 * period and channel as the arrivals) when enough replies were measured and nobody
 * overrode it, else the hand-set value. Measured time is focused time per reply, so
 * it is planned at concurrency 1 (see chooseAht).
 */
export async function staffingAht(store: Store, p: StaffingParams) {
  const h = await measuredHandling(store, { brandId: p.brandId, from: p.from, to: p.to, channelAccountId: p.channelAccountId });
  const minSamples = p.ahtMinSamples ?? DEFAULT_MIN_SAMPLES;
  const choice = chooseAht({ measured: h.stats, handSetS: p.ahtS, mode: p.ahtMode ?? 'auto', minSamples, concurrency: p.concurrency ?? 1 });
  const st = h.stats;
  // measured: each hour of the week with enough replies of its own (or of the same hour on other days) uses them
  const hourly = choice.source === 'measured' ? ahtByHourOfWeek(h.measured, choice.ahtS, minSamples) : null;
  const varies = hourly && hourly.counts.overall < 168 ? hourly : null;
  return {
    aht_s: choice.ahtS,
    source: choice.source,
    reason: choice.reason,
    summary: varies ? `${choice.summary}; ${describeHourlyAht(varies)}` : choice.summary,
    /** Seconds per hour of week when measured handling differs by hour (enough replies in some hours), else null: `aht_s` throughout. */
    per_hour: varies?.perHour ?? null,
    per_hour_sources: varies?.counts ?? null,
    concurrency: choice.concurrency,
    set_by_hand_s: p.ahtS,
    min_samples: minSamples,
    measured: {
      n: st.n, mean_s: st.meanS, median_s: st.medianS, trimmed_mean_s: st.trimmedMeanS, p90_s: st.p90S, capped: st.capped,
      replies: h.replies, unmeasured: h.replies - st.n,
    },
  };
}

export type StaffingAht = Awaited<ReturnType<typeof staffingAht>>;

export async function staffingPlan(store: Store, p: StaffingParams) {
  const arrivals = await measuredArrivals(store, p.brandId, p.from, p.to, p.channelAccountId);
  const aht = await staffingAht(store, p);
  const input: PlanInput = {
    arrivalsPerHour: arrivals.perHour,
    ahtS: aht.aht_s,
    ahtPerHour: aht.per_hour ?? undefined,
    target: { serviceLevel: p.serviceLevel, answerWithinS: p.answerWithinS, shrinkage: p.shrinkage ?? 0, maxOccupancy: p.maxOccupancy ?? 1, concurrency: aht.concurrency },
    patienceS: p.patienceS,
  };
  const plan: HourPlan[] = planWeek(input);
  const roster = await getRoster(store, p.brandId);
  const gap = roster ? rosterGap(input, roster, plan) : null;
  return {
    model: p.patienceS ? 'erlang-a' : 'erlang-c',
    aht,
    timezone: arrivals.timezone,
    weeks: Math.max(...arrivals.occurrences),
    arrivals_per_hour: arrivals.perHour,
    plan,
    roster,
    gap,
    totals: { scheduled_head_hours: plan.reduce((s, h) => s + h.scheduled, 0), volume_per_week: arrivals.perHour.reduce((a, b) => a + b, 0) },
  };
}

/**
 * Monday 00:00 (brand zone) at or before `t`, found by stepping back quarter hours (every zone's
 * hours start on one): whole UTC hours fell 30 or 45 minutes into the local hour in zones such
 * as Asia/Kolkata or Asia/Kathmandu, and the whole roster then ran that much late.
 */
function weekStart(tz: string, t: number): number {
  const quarter = 900_000;
  let x = Math.floor(t / quarter) * quarter;
  for (let i = 0; i < 4 * 24 * 8; i++) {
    const here = localParts(tz, x);
    if (here.hourOfWeek === 0) {
      const before = localParts(tz, x - quarter);
      if (before.hourOfWeek !== 0 || before.day !== here.day) return x;
    }
    x -= quarter;
  }
  return x;
}

/**
 * Replay the real arrivals of the period against a roster (the brand's, or one
 * given), optionally adjusted: `adjust: [{ hours: [0..167], delta: +2 }]`.
 */
export async function staffingSimulation(store: Store, p: StaffingParams & { roster?: number[] | null; adjust?: { hours: number[]; delta: number }[]; seed?: number }) {
  const { timezone } = await brandTz(store, p.brandId);
  const base = p.roster ?? (await getRoster(store, p.brandId));
  if (!base) throw Object.assign(new Error('no roster: save one (PUT /api/staffing/roster) or pass `roster`'), { code: 'staffing.no_roster' });
  const roster = [...base];
  // an hour named twice in one adjustment is one hour (a selection, not a count); separate adjustments add up
  for (const a of p.adjust ?? []) for (const h of new Set(a.hours)) roster[h] = Math.max(0, (roster[h] ?? 0) + a.delta);
  const shrink = p.shrinkage ?? 0;
  const productive = roster.map((r) => Math.floor(r * (1 - shrink) + 1e-9));
  let q = store.db.selectFrom('reporting_fact').select('occurred_at').where('brand_id', '=', p.brandId).where('kind', '=', 'inbound').where('occurred_at', '>=', p.from).where('occurred_at', '<', p.to).where((eb) => eb.or([eb('needs_response', 'is', null), eb('needs_response', '=', 1)]));
  if (p.channelAccountId != null) q = q.where('channel_account_id', '=', p.channelAccountId);
  const arrivals = (await q.orderBy('occurred_at').execute()).map((r) => r.occurred_at);
  const aht = await staffingAht(store, p);
  const startMs = weekStart(timezone, p.from);
  const endMs = p.to + 7 * 24 * 3600_000;
  // the roster is by local hour of week: across a daylight-saving change it stays on the wall clock
  const sequence = weeklyRosterSequence(startMs, endMs, (t) => localParts(timezone, t));
  const result = simulate({
    arrivals, roster: { startMs, intervalS: 3600, agents: productive, cyclic: true, sequence }, ahtS: aht.aht_s, ahtPerInterval: aht.per_hour ?? undefined, concurrency: aht.concurrency,
    patienceS: p.patienceS, answerWithinS: p.answerWithinS, seed: p.seed ?? 1, endMs,
  });
  return { roster, productive, arrivals: arrivals.length, aht, result };
}
