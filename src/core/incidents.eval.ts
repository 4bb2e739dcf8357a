/**
 * Scoring the incident detector on labelled volume series (the NAB Twitter
 * mention counts in ../shared/data/nab_twitter_volume/). Pure: series and
 * labels in, figures out; test/incidents-eval.test.ts reads the files.
 *
 * Per series:
 *  - a labelled window is *detected* when an incident opens inside it or at
 *    most `leadMs` before it starts;
 *  - a *false alarm* is an incident opening outside every window (and its lead);
 *    false alarms per day divide by the days judged outside windows (after the
 *    detector's warm-up);
 *  - *delay* is the first detecting alarm minus the first labelled anomaly
 *    point in the window (negative = before the labelled point; NAB windows
 *    extend well before it), in minutes.
 */
import { detectAll, type DetectorConfig, type VolumeObservation } from './incidents.js';

export interface LabelledSeries {
  name: string;
  points: VolumeObservation[];
  /** [start, end] ms, inclusive. */
  windows: [number, number][];
  /** Labelled anomaly instants, ms. */
  anomalies: number[];
}

export interface SeriesEvaluation {
  name: string;
  windows: number;
  detected: number;
  /** Windows nobody alarmed on, as [start, end]. */
  missed: [number, number][];
  falseAlarms: number;
  /** Days judged (after warm-up) outside windows and their leads. */
  judgedDays: number;
  falseAlarmsPerDay: number;
  /** Per detected window: first alarm − first labelled point, minutes. */
  delaysMin: number[];
  /** Alarm reasons, for reading. */
  alarms: { at: number; inWindow: boolean; reason: string }[];
}

export interface Evaluation {
  series: SeriesEvaluation[];
  windows: number;
  detected: number;
  /** detected / windows */
  recall: number;
  falseAlarms: number;
  judgedDays: number;
  falseAlarmsPerDay: number;
  /** Median over all detected windows, minutes. */
  medianDelayMin: number | null;
}

export interface EvalOptions {
  /** An alarm this long before a window still detects it (default 60 min). */
  leadMs?: number;
}

/** NAB timestamps (`2015-03-03 04:37:53` or with `.000000`), UTC. */
export function parseNabTime(s: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?$/.exec(s.trim());
  if (!m) throw new RangeError(`not a NAB timestamp: ${s}`);
  return Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!);
}

function medianOf(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function evaluateSeries(series: LabelledSeries, config: Partial<DetectorConfig> = {}, options: EvalOptions = {}): SeriesEvaluation {
  const lead = options.leadMs ?? 60 * 60_000;
  const { events, assessments, state } = detectAll(series.points, config);
  const interval = state.config.intervalMs;
  const opens = events.filter((e) => e.kind === 'open');
  const inAnyWindow = (t: number) => series.windows.some(([s, e]) => t >= s - lead && t <= e);

  let detected = 0;
  const missed: [number, number][] = [];
  const delaysMin: number[] = [];
  for (const [s, e] of series.windows) {
    const hit = opens.find((o) => o.at >= s - lead && o.at <= e);
    if (!hit) {
      missed.push([s, e]);
      continue;
    }
    detected++;
    const firstPoint = series.anomalies.filter((a) => a >= s && a <= e).sort((a, b) => a - b)[0] ?? s;
    delaysMin.push((hit.at - firstPoint) / 60_000);
  }
  const falseAlarms = opens.filter((o) => !inAnyWindow(o.at)).length;
  const judged = assessments.filter((a) => a.baseline !== null && !inAnyWindow(a.start)).length;
  const judgedDays = (judged * interval) / 86_400_000;
  return {
    name: series.name,
    windows: series.windows.length,
    detected,
    missed,
    falseAlarms,
    judgedDays,
    falseAlarmsPerDay: judgedDays ? falseAlarms / judgedDays : 0,
    delaysMin,
    alarms: opens.map((o) => ({ at: o.at, inWindow: inAnyWindow(o.at), reason: o.incident.reason })),
  };
}

/** Evaluate over several series; totals pool the counts (false alarms per judged day overall). */
export function evaluateDetector(all: LabelledSeries[], config: Partial<DetectorConfig> = {}, options: EvalOptions = {}): Evaluation {
  const series = all.map((s) => evaluateSeries(s, config, options));
  const windows = series.reduce((a, s) => a + s.windows, 0);
  const detected = series.reduce((a, s) => a + s.detected, 0);
  const falseAlarms = series.reduce((a, s) => a + s.falseAlarms, 0);
  const judgedDays = series.reduce((a, s) => a + s.judgedDays, 0);
  return {
    series,
    windows,
    detected,
    recall: windows ? detected / windows : 0,
    falseAlarms,
    judgedDays,
    falseAlarmsPerDay: judgedDays ? falseAlarms / judgedDays : 0,
    medianDelayMin: medianOf(series.flatMap((s) => s.delaysMin)),
  };
}
