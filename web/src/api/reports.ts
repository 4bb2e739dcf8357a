/**
 * Reports and staffing: response shapes (mirroring src/reports/reports.ts and
 * src/reports/staffing.ts; definitions in docs/metrics.md), their query keys and the
 * hooks the Reports section uses. Durations from reports are minutes (unrounded
 * doubles: round only for display); staffing works in seconds.
 */
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, qs } from './client.js';

export type ReportName = 'volume' | 'first-response' | 'next-response' | 'reply-time' | 'response-rate' | 'accolades' | 'sla' | 'backlog' | 'agents' | 'teams' | 'trends' | 'turnaround' | 'handling-time';

/** The filter every report takes (query parameters of GET /api/reports/<name>). */
export interface ReportFilter {
  /** ISO instants; `to` is exclusive. */
  from?: string;
  to?: string;
  team?: number;
  agent?: number;
  channel?: number;
  network?: string;
  visibility?: 'public' | 'private';
  business?: boolean;
}

export interface DurationStats {
  n: number;
  median_min: number | null;
  p25_min: number | null;
  p75_min: number | null;
  p90_min: number | null;
  share_within_60: number | null;
}

export interface Bucket {
  label: string;
  count: number;
}

export interface VolumeReport {
  total: number;
  /** 168 counts, Monday 00:00 first, brand time zone. */
  by_hour_of_week: number[];
  by_day: { day: string; inbound: number }[];
}

export interface ResponseTimeReport {
  kind: 'first_response' | 'next_response' | 'message_response';
  business_hours: boolean;
  overall: DurationStats;
  buckets: Bucket[];
  by_channel_account: (DurationStats & { channel_account_id: number; handle: string; network: string | null })[];
}

export interface ResponseRateReport {
  needed: number;
  answered: number;
  rate: number | null;
  untriaged: number;
  by_day: { day: string; needed: number; answered: number; rate: number | null }[];
}

export interface AccoladesReport {
  total: number;
  by_day: { day: string; accolades: number }[];
}

export interface SlaReport {
  met: number;
  breached: number;
  attainment: number | null;
  by_clock: { clock: string; met: number; breached: number; attainment: number | null }[];
}

export interface BacklogReport {
  open: number;
  by_status: Record<string, number>;
  waiting: number;
  waiting_age: Bucket[];
  oldest: { id: number; subject: string; waiting_min: number; priority: number; assignee_id: number | null }[];
}

export interface PeopleRow {
  id: number;
  name: string;
  responses: number;
  first_responses: number;
  first_response_median_min: number | null;
  next_response_median_min: number | null;
  resolutions: number;
  reopens: number;
  accolades: number;
  sla_attainment: number | null;
}

export interface PeopleReport {
  by: 'agent' | 'team';
  rows: PeopleRow[];
}

/** One row per day: the day plus a count per sentiment (or category); `untriaged` when triage had not run. */
export type TrendRow = { day: string } & Record<string, number | string>;

export interface TrendsReport {
  sentiment: TrendRow[];
  category: TrendRow[];
}

export interface TurnaroundReport {
  approval: DurationStats;
  expert: DurationStats;
}

export interface HandlingTimeStats {
  n: number;
  mean_min: number | null;
  median_min: number | null;
  trimmed_mean_min: number | null;
  p90_min: number | null;
  capped: number;
}

/** Measured handling time per reply (GET /api/reports/handling-time). */
export interface HandlingTimeReport {
  cap_min: number;
  replies: number;
  overall: HandlingTimeStats;
  unmeasured: { total: number; by_reason: Record<string, number> };
  by_network: (HandlingTimeStats & { network: string })[];
  by_team: (HandlingTimeStats & { team_id: number; name: string })[];
}

export interface ReportData {
  volume: VolumeReport;
  'first-response': ResponseTimeReport;
  'next-response': ResponseTimeReport;
  'reply-time': ResponseTimeReport;
  'response-rate': ResponseRateReport;
  accolades: AccoladesReport;
  sla: SlaReport;
  backlog: BacklogReport;
  agents: PeopleReport;
  teams: PeopleReport;
  trends: TrendsReport;
  turnaround: TurnaroundReport;
  'handling-time': HandlingTimeReport;
}

export function reportQuery(f: ReportFilter): string {
  return qs({ from: f.from, to: f.to, team: f.team, agent: f.agent, channel: f.channel, network: f.network, visibility: f.visibility, business: f.business ? 1 : undefined });
}

/** The CSV download of a report's main table (same filters). */
export function reportCsvUrl(name: ReportName, f: ReportFilter): string {
  const q = reportQuery(f);
  return `/api/reports/${name}${q ? `${q}&` : '?'}format=csv`;
}

export const reportKeys = {
  all: ['reports'] as const,
  report: (name: ReportName, f: ReportFilter) => ['reports', name, f] as const,
  plan: (p: StaffingParams) => ['staffing', 'plan', p] as const,
  timezone: ['staffing', 'timezone'] as const,
};

export function useReport<N extends ReportName>(name: N, f: ReportFilter, enabled = true) {
  return useQuery({
    queryKey: reportKeys.report(name, f),
    queryFn: ({ signal }) => api<ReportData[N]>('GET', `/api/reports/${name}${reportQuery(f)}`, undefined, { signal }),
    enabled,
    staleTime: 60_000,
    // keep the last figures on screen while a changed filter loads
    placeholderData: keepPreviousData,
  });
}

// ---------------------------------------------------------------------------
// Staffing

/** Planner inputs (query parameters of GET /api/staffing/plan); seconds and shares. */
export interface StaffingParams {
  from: string;
  to: string;
  channel?: number;
  /** Handling time set by hand (an override). Absent: the measured one, or 300 s when too few replies were measured. */
  ahtS?: number;
  /** `auto`: measured when enough replies were, else ahtS; `manual`: ahtS. Default: manual with ahtS, else auto. */
  ahtSource?: 'auto' | 'manual';
  /** Measured replies needed before the measurement is used (default 30). */
  ahtMinSamples?: number;
  serviceLevel: number;
  answerWithinS: number;
  shrinkage: number;
  maxOccupancy: number;
  concurrency: number;
  /** Mean patience: Erlang A (customers give up); absent: Erlang C. */
  patienceS?: number;
}

export interface HourPlan {
  hourOfWeek: number;
  volume: number;
  /** Productive agents needed. */
  agents: number;
  /** Heads to schedule (shrinkage applied). */
  scheduled: number;
  serviceLevel: number;
  waitProbability: number;
  asaS: number | null;
  occupancy: number;
  abandonProbability: number;
}

export interface RosterHour {
  hourOfWeek: number;
  volume: number;
  scheduledNeeded: number;
  rostered: number;
  /** rostered − scheduledNeeded: negative = short. */
  gap: number;
  productive: number;
  serviceLevel: number;
  waitProbability: number;
  asaS: number | null;
  occupancy: number;
  abandonProbability: number;
  meetsTarget: boolean;
  overOccupancyCap: boolean;
}

export interface RosterGap {
  hours: RosterHour[];
  shortHours: number[];
  shortHeadHours: number;
  surplusHeadHours: number;
  volumeShareMeetingTarget: number;
}

/** Which handling time a plan used, and why (see docs/metrics.md, "Measured handling time"). */
export interface StaffingAht {
  aht_s: number;
  source: 'measured' | 'set_by_hand';
  reason: 'measured' | 'override' | 'too_few_samples';
  /** e.g. "AHT 4.2 min, measured from 312 replies". */
  summary: string;
  /** Concurrency planned with: 1 with measured (focused) time. */
  concurrency: number;
  set_by_hand_s: number;
  min_samples: number;
  /** Seconds per hour of week when measured handling differs by hour, else null (`aht_s` throughout). */
  per_hour: number[] | null;
  /** How many hours use their own replies, the same hour on other days, or all replies. */
  per_hour_sources: { hour_of_week: number; hour_of_day: number; overall: number } | null;
  measured: { n: number; mean_s: number | null; median_s: number | null; trimmed_mean_s: number | null; p90_s: number | null; capped: number; replies: number; unmeasured: number };
}

export interface StaffingPlan {
  model: 'erlang-c' | 'erlang-a';
  aht: StaffingAht;
  timezone: string;
  weeks: number;
  arrivals_per_hour: number[];
  plan: HourPlan[];
  roster: number[] | null;
  gap: RosterGap | null;
  totals: { scheduled_head_hours: number; volume_per_week: number };
}

export interface SimResult {
  offered: number;
  answered: number;
  abandoned: number;
  unanswered: number;
  answeredWithin: number;
  serviceLevel: number;
  abandonRate: number;
  wait: { meanS: number; p50S: number; p90S: number; maxS: number };
  occupancy: number;
}

export interface Simulation {
  roster: number[];
  productive: number[];
  arrivals: number;
  aht: StaffingAht;
  result: SimResult;
}

export interface SimulateBody extends StaffingParams {
  roster?: number[] | null;
  adjust?: { hours: number[]; delta: number }[];
  seed?: number;
}

export function staffingQuery(p: StaffingParams): string {
  return qs({ from: p.from, to: p.to, channel: p.channel, ahtS: p.ahtS, ahtSource: p.ahtSource, ahtMinSamples: p.ahtMinSamples, serviceLevel: p.serviceLevel, answerWithinS: p.answerWithinS, shrinkage: p.shrinkage, maxOccupancy: p.maxOccupancy, concurrency: p.concurrency, patienceS: p.patienceS });
}

export function useStaffingPlan(p: StaffingParams | null) {
  return useQuery({
    queryKey: reportKeys.plan(p ?? ({} as StaffingParams)),
    queryFn: ({ signal }) => api<StaffingPlan>('GET', `/api/staffing/plan${staffingQuery(p!)}`, undefined, { signal }),
    enabled: p != null,
    staleTime: 60_000,
    placeholderData: keepPreviousData,
  });
}

/**
 * The brand's time zone. Reports count days and hours of week in it, so the period's
 * date boundaries must be its midnights. No endpoint returns it directly; the staffing
 * plan does (a one-hour plan is cheap).
 */
export function useBrandTimezone() {
  return useQuery({
    queryKey: reportKeys.timezone,
    queryFn: async ({ signal }) => {
      const to = Date.now();
      const from = to - 3600_000;
      const r = await api<StaffingPlan>('GET', `/api/staffing/plan${qs({ from: new Date(from).toISOString(), to: new Date(to).toISOString() })}`, undefined, { signal });
      return r.timezone;
    },
    staleTime: Infinity,
  });
}

export function useSaveRoster() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (roster: number[] | null) => api<{ roster: number[] | null }>('PUT', '/api/staffing/roster', { roster }),
    onSuccess: () => qc.invalidateQueries({ queryKey: ['staffing', 'plan'] }),
  });
}

/** Baseline and what-if replays with the same seed (common random numbers: the same customers). */
export function useSimulation() {
  return useMutation({
    mutationFn: async (body: { base: SimulateBody; adjust: { hours: number[]; delta: number }[] }) => {
      const seed = body.base.seed ?? 1;
      const [baseline, whatIf] = await Promise.all([
        api<Simulation>('POST', '/api/staffing/simulate', { ...body.base, seed }),
        api<Simulation>('POST', '/api/staffing/simulate', { ...body.base, seed, adjust: body.adjust }),
      ]);
      return { baseline, whatIf };
    },
  });
}
