/** Sentiment and category of inbound mentions per day, as stacked bars (and tables). */
import { useMemo } from 'react';
import { useReport, type ReportFilter, type TrendRow } from '../api/reports.js';
import { CATEGORY_LABEL as TRIAGE_CATEGORY_LABEL } from '../conversation/triage.js';
import { Chart, COLORS, SERIES_COLORS, type ChartOption } from './Chart.js';
import { dayLabels, fmtCount, fmtDay, fmtPct } from './format.js';
import { HELP } from './help.js';
import { everyDay, type ResolvedPeriod } from './period.js';
import { ChartNumbers, DataTable, Note, QueryState, ReportCard } from './ui.js';

const SENTIMENT_ORDER = ['negative', 'neutral', 'positive', 'untriaged'];
const SENTIMENT_COLOR: Record<string, string> = { negative: COLORS.danger, neutral: COLORS.neutral, positive: COLORS.ok, untriaged: '#d9dde3' };
const CATEGORY_LABEL: Record<string, string> = { ...TRIAGE_CATEGORY_LABEL, untriaged: 'Untriaged' };
const label = (k: string) => CATEGORY_LABEL[k] ?? (SENTIMENT_ORDER.includes(k) ? k[0]!.toUpperCase() + k.slice(1) : k.replace(/_/g, ' '));

function keysOf(rows: TrendRow[], order: string[]): string[] {
  const ks = new Set<string>();
  for (const r of rows) for (const k of Object.keys(r)) if (k !== 'day') ks.add(k);
  // known keys in their order, others alphabetically, untriaged last
  return [...ks].sort((a, b) => {
    if (a === 'untriaged') return 1;
    if (b === 'untriaged') return -1;
    const ia = order.indexOf(a);
    const ib = order.indexOf(b);
    return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
  });
}

function stackedOption(rows: TrendRow[], keys: string[], colors: (k: string, i: number) => string): ChartOption {
  return {
    grid: { left: 48, right: 16, top: 44, bottom: 40 },
    legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 10 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'category', data: dayLabels(rows.map((r) => r.day)) },
    yAxis: { type: 'value', minInterval: 1, name: 'Mentions', nameTextStyle: { align: 'left' } },
    series: keys.map((k, i) => ({ type: 'bar' as const, name: label(k), stack: 'all', data: rows.map((r) => Number(r[k] ?? 0)), itemStyle: { color: colors(k, i) }, barMaxWidth: 24, tooltip: { valueFormatter: (v: unknown) => `${fmtCount(Number(v))} mention${Number(v) === 1 ? '' : 's'}` } })),
  };
}

function Trend({ rows: raw, order, colors, what, period }: { rows: TrendRow[]; order: string[]; colors: (k: string, i: number) => string; what: string; period: ResolvedPeriod }) {
  // every day of the period on the axis, quiet days as zero
  const rows = useMemo(() => everyDay(raw, period, (day) => ({ day }) as TrendRow), [raw, period]);
  const keys = useMemo(() => keysOf(rows, order), [rows, order]);
  const chart = useMemo(() => stackedOption(rows, keys, colors), [rows, keys, colors]);
  const totals = keys.map((k) => rows.reduce((s, r) => s + Number(r[k] ?? 0), 0));
  const all = totals.reduce((a, b) => a + b, 0);
  const onlyUntriaged = keys.length === 1 && keys[0] === 'untriaged';
  return (
    <>
      <p className="chart-caption">
        {keys.map((k, i) => `${label(k)} ${fmtCount(totals[i])} (${fmtPct(all ? totals[i]! / all : null)})`).join(' · ')}
      </p>
      {onlyUntriaged && <Note tone="warn">No mention in this period has been triaged yet, so there is no {what} to show.</Note>}
      <Chart option={chart} className="chart-daily" label={`Stacked bar chart of inbound mentions per day by ${what}. Totals: ${keys.map((k, i) => `${label(k)} ${fmtCount(totals[i])}`).join(', ')}.`} />
      <ChartNumbers>
        <DataTable
          caption={`Inbound mentions per day by ${what}`}
          captionHidden
          columns={[{ key: 'day', label: 'Day', render: (r: TrendRow) => fmtDay(r.day) }, ...keys.map((k) => ({ key: k, label: label(k), numeric: true, render: (r: TrendRow) => fmtCount(Number(r[k] ?? 0)) }))]}
          rows={rows}
          rowKey={(r) => r.day}
        />
      </ChartNumbers>
    </>
  );
}

const sentimentColor = (k: string, i: number) => SENTIMENT_COLOR[k] ?? SERIES_COLORS[i % SERIES_COLORS.length]!;
const categoryColor = (k: string, i: number) => (k === 'untriaged' ? '#d9dde3' : SERIES_COLORS[i % SERIES_COLORS.length]!);
const CATEGORY_ORDER = Object.keys(CATEGORY_LABEL);

export function TrendsSection({ filter, period }: { filter: ReportFilter; period: ResolvedPeriod }) {
  const q = useReport('trends', filter);
  const empty = (d: { sentiment: TrendRow[] }) => (d.sentiment.length === 0 ? `No inbound mentions ${period.kind === 'all' ? 'at all' : `in this period (${period.label})`}.` : null);
  return (
    <div className="report-grid">
      <ReportCard title="Sentiment per day" help={HELP.sentiment} csv={{ name: 'trends', filter }} wide testId="sentiment">
        <QueryState q={q} what="sentiment" empty={empty}>
          {(d) => <Trend rows={d.sentiment} order={SENTIMENT_ORDER} colors={sentimentColor} what="sentiment" period={period} />}
        </QueryState>
      </ReportCard>
      <ReportCard title="Categories per day" help={HELP.category} wide testId="category">
        <QueryState q={q} what="categories" empty={empty}>
          {(d) => <Trend rows={d.category} order={CATEGORY_ORDER} colors={categoryColor} what="category" period={period} />}
        </QueryState>
      </ReportCard>
    </div>
  );
}
