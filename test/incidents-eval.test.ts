/**
 * The incident detector on the real NAB Twitter mention-volume series
 * (../shared/data/nab_twitter_volume/, 8 dev series, 28 labelled windows).
 * Floors are the figures reached with the default configuration (docs/metrics.md,
 * "Incident detector"); a change that drops below them has to say why.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readCsvRows } from '../src/lib/csv.js';
import { sharedDataDir } from '../src/lib/paths.js';
import { evaluateDetector, parseNabTime, type Evaluation, type LabelledSeries } from '../src/core/incidents.eval.js';

function loadNab(): LabelledSeries[] {
  const dir = join(sharedDataDir() ?? '', 'nab_twitter_volume');
  const windows: Record<string, [string, string][]> = JSON.parse(readFileSync(join(dir, 'anomaly_windows.json'), 'utf8'));
  const points: Record<string, string[]> = JSON.parse(readFileSync(join(dir, 'anomaly_points.json'), 'utf8'));
  return Object.keys(windows)
    .sort()
    .map((file) => {
      const { rows, errors } = readCsvRows(readFileSync(join(dir, file), 'utf8'));
      if (errors.length) throw new Error(`${file}: line ${errors[0]!.line}: ${errors[0]!.reason}`);
      return {
        name: file.replace(/^Twitter_volume_|\.csv$/g, ''),
        points: rows.map((r) => ({ start: parseNabTime(r.timestamp!), count: Number(r.value) })),
        windows: windows[file]!.map(([s, e]) => [parseNabTime(s), parseNabTime(e)] as [number, number]),
        anomalies: (points[file] ?? []).map(parseNabTime),
      };
    });
}

describe('incident detector on NAB Twitter volumes (default configuration)', () => {
  let evaluation: Evaluation;
  beforeAll(() => {
    evaluation = evaluateDetector(loadNab());
  });

  it('evaluates all 8 dev series and their 28 windows', () => {
    expect(evaluation.series.map((s) => s.name)).toEqual(['AAPL', 'AMZN', 'CVS', 'GOOG', 'IBM', 'KO', 'PFE', 'UPS']);
    expect(evaluation.windows).toBe(28);
    expect(evaluation.judgedDays).toBeGreaterThan(350);
  });

  it('detects at least 25 of 28 labelled windows', () => {
    expect(evaluation.detected).toBeGreaterThanOrEqual(25);
    for (const s of evaluation.series) expect(s.detected, s.name).toBeGreaterThanOrEqual(Math.ceil(s.windows / 2));
  });

  it('raises at most 0.15 false alarms per day per series (about one a week)', () => {
    expect(evaluation.falseAlarmsPerDay).toBeLessThanOrEqual(0.15);
    for (const s of evaluation.series) expect(s.falseAlarmsPerDay, s.name).toBeLessThanOrEqual(0.35);
  });

  it('alarms no later than the labelled anomaly point, in the median', () => {
    expect(evaluation.medianDelayMin).not.toBeNull();
    expect(evaluation.medianDelayMin!).toBeLessThanOrEqual(0);
    // and never more than 90 minutes after it
    for (const s of evaluation.series) for (const d of s.delaysMin) expect(d, s.name).toBeLessThanOrEqual(90);
  });

  it('explains every alarm in words', () => {
    const reasons = evaluation.series.flatMap((s) => s.alarms.map((a) => a.reason));
    expect(reasons.length).toBeGreaterThan(0);
    for (const r of reasons) expect(r).toMatch(/^\d+ mentions in 5 min.*(the usual [\d.]+|usually none) for (Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day \d\d:\d\d (UTC([+-]\d\d:\d\d)?|[A-Z]{2,5}|GMT[+-][\d:]+)$/);
  });
});
