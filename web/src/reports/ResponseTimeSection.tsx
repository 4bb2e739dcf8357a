/**
 * Response time: first response, next response, and reply time per message (the TWCS
 * contract metric) — median, p90 and share within 60 min, the distribution over time
 * bands, and the same per channel account.
 */
import { useMemo, useSyncExternalStore } from 'react';
import { useReport, type ReportFilter, type ResponseTimeReport } from '../api/reports.js';
import { networkLabel } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';
import { Chart, COLORS, type ChartOption } from './Chart.js';
import { fmtCount, fmtMin, fmtMinExact, fmtPct } from './format.js';
import { HELP } from './help.js';
import type { ResolvedPeriod } from './period.js';
import type { Metric } from './search.js';
import { ChartNumbers, DataTable, QueryState, ReportCard, Stats } from './ui.js';

export const METRIC_LABEL: Record<Metric, string> = {
  'first-response': 'First response',
  'next-response': 'Next response',
  'reply-time': 'Reply time per message',
};

/** A phone-width screen, where nine one-line band labels ("15–30 min") would run together. */
const NARROW = '(max-width: 600px)';
function useNarrow(): boolean {
  return useSyncExternalStore(
    (cb) => {
      const m = window.matchMedia(NARROW);
      m.addEventListener('change', cb);
      return () => m.removeEventListener('change', cb);
    },
    () => window.matchMedia(NARROW).matches,
  );
}

/** "15–30 min" → "15–30\nmin": the number over its unit, so each label fits its bar's slot on a phone. */
const stacked = (label: string) => {
  const i = label.lastIndexOf(' ');
  return i > 0 ? `${label.slice(0, i)}\n${label.slice(i + 1)}` : label;
};

function bucketOption(r: ResponseTimeReport, narrow: boolean): ChartOption {
  return {
    grid: { left: narrow ? 40 : 48, right: narrow ? 8 : 16, top: 30, bottom: narrow ? 44 : 40 },
    xAxis: { type: 'category', data: r.buckets.map((b) => b.label), axisTick: { alignWithLabel: true }, axisLabel: narrow ? { interval: 0, formatter: stacked, fontSize: 10, lineHeight: 12 } : { interval: 0 } },
    yAxis: { type: 'value', minInterval: 1, name: 'Responses', nameTextStyle: { align: 'left' } },
    tooltip: { trigger: 'axis' },
    series: [{
      type: 'bar', name: 'Responses', barMaxWidth: 48, tooltip: { valueFormatter: (v: unknown) => `${fmtCount(Number(v))} response${Number(v) === 1 ? '' : 's'}` },
      data: r.buckets.map((b, i) => ({ value: b.count, itemStyle: { color: i < 4 ? COLORS.accent : COLORS.warn } })),
    }],
  };
}

export function ResponseTimeSection({ filter, period, metric, onMetric }: { filter: ReportFilter; period: ResolvedPeriod; metric: Metric; onMetric: (m: Metric) => void }) {
  const first = useReport('first-response', filter);
  const next = useReport('next-response', filter);
  const reply = useReport('reply-time', filter);
  const q = { 'first-response': first, 'next-response': next, 'reply-time': reply }[metric];
  const title = METRIC_LABEL[metric];
  return (
    <div className="report-grid">
      <div className="metric-tabs wide" role="group" aria-label="Measurement">
        {(Object.keys(METRIC_LABEL) as Metric[]).map((m) => {
          const r = { 'first-response': first, 'next-response': next, 'reply-time': reply }[m].data;
          return (
            <button key={m} type="button" className="metric-tab" aria-pressed={m === metric} onClick={() => onMetric(m)}>
              <span className="metric-tab-label">{METRIC_LABEL[m]}</span>
              <span className="metric-tab-value">{r ? `median ${fmtMin(r.overall.median_min)}` : '…'}</span>
              <span className="metric-tab-sub">{r ? `${fmtCount(r.overall.n)} measured` : ''}</span>
            </button>
          );
        })}
      </div>
      <ReportCard title={title} help={<>{HELP[metric]} {HELP.percentiles} {HELP.within60}</>} csv={{ name: metric, filter }} wide testId={`rt-${metric}`}>
        <QueryState q={q} what={title.toLowerCase()} empty={(d) => (d.overall.n === 0 ? emptyWhy(metric, period, filter) : null)}>
          {(d) => <ResponseTimes r={d} metric={metric} />}
        </QueryState>
      </ReportCard>
    </div>
  );
}

function emptyWhy(metric: Metric, period: ResolvedPeriod, filter: ReportFilter): string {
  const filtered = !!(filter.team || filter.agent || filter.channel || filter.network || filter.visibility || filter.business);
  const when = `${period.kind === 'all' ? 'at all' : `in this period (${period.label})`}${filtered ? ' with these filters' : ''}`;
  if (metric === 'next-response') return `No next responses ${when}: a next response is measured when an agent answers a customer who wrote again while waiting.`;
  if (metric === 'reply-time') return `No replies to inbound messages ${when}: reply time needs a brand reply linked to the message it answers.`;
  return `No first responses ${when}: ${period.kind === 'all' ? 'nothing was answered by a person yet' : 'nothing in it was answered by a person'}.`;
}

function ResponseTimes({ r, metric }: { r: ResponseTimeReport; metric: Metric }) {
  const o = r.overall;
  const narrow = useNarrow();
  const chart = useMemo(() => bucketOption(r, narrow), [r, narrow]);
  const total = r.buckets.reduce((s, b) => s + b.count, 0);
  const name = METRIC_LABEL[metric].toLowerCase();
  return (
    <>
      <Stats
        label={`${METRIC_LABEL[metric]} figures`}
        items={[
          { label: 'Median', value: fmtMin(o.median_min), sub: `p25 ${fmtMin(o.p25_min)} · p75 ${fmtMin(o.p75_min)}`, title: `Median ${fmtMinExact(o.median_min)}`, testId: 'median' },
          { label: 'p90', value: fmtMin(o.p90_min), sub: fmtMinExact(o.p90_min), title: '90 % of responses were at least this fast', testId: 'p90' },
          { label: 'Within 60 min', value: fmtPct(o.share_within_60), sub: 'share of responses', testId: 'within60' },
          { label: 'Measured', value: fmtCount(o.n), sub: r.business_hours ? 'in business hours' : 'wall-clock time', testId: 'n' },
        ]}
      />
      <h3>Distribution</h3>
      <p className="report-help">{HELP.distribution}</p>
      <Chart
        option={chart}
        className="chart-buckets"
        label={`Bar chart of the ${name} distribution: ${r.buckets.map((b) => `${b.label}: ${fmtCount(b.count)}`).join(', ')}.`}
      />
      <ChartNumbers>
        <DataTable
          caption={`${METRIC_LABEL[metric]} by time band`}
          captionHidden
          columns={[
            { key: 'band', label: 'Time band', render: (b) => b.label },
            { key: 'count', label: 'Responses', numeric: true, render: (b) => fmtCount(b.count) },
            { key: 'share', label: 'Share', numeric: true, render: (b) => fmtPct(total ? b.count / total : null) },
          ]}
          rows={r.buckets}
          rowKey={(b) => b.label}
        />
      </ChartNumbers>
      <h3>By channel account</h3>
      <p className="report-help">{HELP.byChannel}</p>
      <DataTable
        caption={`${METRIC_LABEL[metric]} by channel account`}
        captionHidden
        columns={[
          { key: 'account', label: 'Channel account', render: (a) => (<><span className="muted">{a.network ? networkLabel(a.network) : ''}</span> @<SafeText text={a.handle} linkify={false} /></>) },
          { key: 'n', label: 'Measured', numeric: true, render: (a) => fmtCount(a.n) },
          { key: 'median', label: 'Median', numeric: true, render: (a) => <span title={fmtMinExact(a.median_min)}>{fmtMin(a.median_min)}</span> },
          { key: 'p90', label: 'p90', numeric: true, render: (a) => <span title={fmtMinExact(a.p90_min)}>{fmtMin(a.p90_min)}</span> },
          { key: 'within', label: 'Within 60 min', numeric: true, render: (a) => fmtPct(a.share_within_60) },
        ]}
        rows={r.by_channel_account}
        rowKey={(a) => a.channel_account_id}
      />
    </>
  );
}
