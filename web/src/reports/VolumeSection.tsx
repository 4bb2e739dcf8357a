/** Volume: inbound mentions as an hour-of-week heatmap (brand time zone, Monday first) and per day. */
import { useMemo } from 'react';
import { useReport, type ReportFilter, type VolumeReport } from '../api/reports.js';
import { Chart, COLORS, type ChartOption } from './Chart.js';
import { dayLabels, DAY_NAMES, DAY_SHORT, fmtCount, fmtDay, fmtHourOfWeek } from './format.js';
import { HELP } from './help.js';
import { everyDay, type ResolvedPeriod } from './period.js';
import { ChartNumbers, QueryState, ReportCard, Stats } from './ui.js';

/** Tooltip values with their unit. */
const mentions = (v: unknown) => `${fmtCount(Number(v))} mention${Number(v) === 1 ? '' : 's'}`;

const HOURS = Array.from({ length: 24 }, (_, h) => String(h).padStart(2, '0'));

export function heatmapSummary(v: VolumeReport): { peak: number; peakCount: number; busiestDay: number; busiestDayCount: number; text: string } {
  let peak = 0;
  v.by_hour_of_week.forEach((c, h) => {
    if (c > v.by_hour_of_week[peak]!) peak = h;
  });
  const perDay = DAY_NAMES.map((_, d) => v.by_hour_of_week.slice(d * 24, d * 24 + 24).reduce((a, b) => a + b, 0));
  const busiestDay = perDay.indexOf(Math.max(...perDay));
  const peakCount = v.by_hour_of_week[peak] ?? 0;
  const text = `Busiest hour: ${fmtHourOfWeek(peak)} with ${fmtCount(peakCount)} mention${peakCount === 1 ? '' : 's'}. Busiest day of the week: ${DAY_NAMES[busiestDay]} (${fmtCount(perDay[busiestDay])}).`;
  return { peak, peakCount, busiestDay, busiestDayCount: perDay[busiestDay] ?? 0, text };
}

function heatmapOption(v: VolumeReport): ChartOption {
  const max = Math.max(1, ...v.by_hour_of_week);
  return {
    grid: { left: 44, right: 16, top: 8, bottom: 64 },
    xAxis: { type: 'category', data: HOURS, name: 'Hour of day', nameLocation: 'middle', nameGap: 26, splitArea: { show: false }, axisTick: { show: false }, axisLine: { show: false } },
    yAxis: { type: 'category', data: [...DAY_SHORT], inverse: true, axisTick: { show: false }, axisLine: { show: false } },
    // Colour by the square root of the count: one huge hour must not wash out the rest.
    visualMap: {
      type: 'continuous', dimension: 3, min: 0, max: Math.sqrt(max), calculable: false, hoverLink: false, orient: 'horizontal', left: 'center', bottom: 0, itemHeight: 160, itemWidth: 10,
      inRange: { color: ['#f1f5fc', '#a9c3f2', COLORS.accent, '#0d2f6e'] }, text: [fmtCount(max), '0'], textStyle: { color: COLORS.muted },
    },
    tooltip: { formatter: (p: unknown) => {
      const d = (p as { data: [number, number, number, number] }).data;
      return `${fmtHourOfWeek(d[1] * 24 + d[0])}\n${fmtCount(d[2])} mention${d[2] === 1 ? '' : 's'}`;
    } },
    series: [{
      type: 'heatmap',
      data: v.by_hour_of_week.map((c, h) => [h % 24, Math.floor(h / 24), c, Math.sqrt(c)]),
      itemStyle: { borderColor: '#ffffff', borderWidth: 1 },
      emphasis: { itemStyle: { borderColor: COLORS.text, borderWidth: 2, color: 'inherit' } },
    }],
  };
}

/** Every day of the period (missing days are zero), unless it is very long. */
function dailySeries(v: VolumeReport, period: ResolvedPeriod): { day: string; inbound: number }[] {
  return everyDay(v.by_day, period, (day) => ({ day, inbound: 0 }));
}

function dailyOption(days: { day: string; inbound: number }[]): ChartOption {
  return {
    grid: { left: 48, right: 16, top: 30, bottom: 40 },
    xAxis: { type: 'category', data: dayLabels(days.map((d) => d.day)), axisTick: { alignWithLabel: true } },
    yAxis: { type: 'value', minInterval: 1, name: 'Mentions', nameTextStyle: { align: 'left' } },
    tooltip: { trigger: 'axis' },
    series: [{ type: 'bar', name: 'Inbound mentions', data: days.map((d) => d.inbound), itemStyle: { color: COLORS.accent }, barMaxWidth: 24, tooltip: { valueFormatter: mentions } }],
  };
}

export function VolumeSection({ filter, period }: { filter: ReportFilter; period: ResolvedPeriod }) {
  const q = useReport('volume', filter);
  return (
    <div className="report-grid">
      <ReportCard title="Mentions by hour of week" help={`${HELP.volume} ${HELP.heatmap}`} csv={{ name: 'volume', filter }} wide testId="volume-heatmap">
        <QueryState q={q} what="volume" empty={(d) => (d.total === 0 ? `No inbound mentions in ${period.label.toLowerCase() === 'all time' ? 'any period' : `this period (${period.label})`}${filter.team || filter.agent || filter.channel || filter.network || filter.visibility ? ' with these filters' : ''}. Pick a longer period or clear filters.` : null)}>
          {(d) => <Volume v={d} period={period} />}
        </QueryState>
      </ReportCard>
    </div>
  );
}

function Volume({ v, period }: { v: VolumeReport; period: ResolvedPeriod }) {
  const summary = useMemo(() => heatmapSummary(v), [v]);
  const heat = useMemo(() => heatmapOption(v), [v]);
  const days = useMemo(() => dailySeries(v, period), [v, period]);
  const daily = useMemo(() => dailyOption(days), [days]);
  const busiestDate = v.by_day.reduce<{ day: string; inbound: number } | null>((a, b) => (!a || b.inbound > a.inbound ? b : a), null);
  return (
    <>
      <Stats
        label="Volume figures"
        items={[
          { label: 'Inbound mentions', value: fmtCount(v.total) },
          { label: 'Busiest hour', value: fmtHourOfWeek(summary.peak, true), sub: `${fmtCount(summary.peakCount)} mentions`, testId: 'peak-hour' },
          { label: 'Busiest date', value: busiestDate ? fmtDay(busiestDate.day) : '—', sub: busiestDate ? `${fmtCount(busiestDate.inbound)} mentions` : undefined },
          { label: 'Average per day', value: fmtCount(Math.round((v.total / Math.max(1, days.length)) * 10) / 10), sub: `over ${fmtCount(days.length)} days` },
        ]}
      />
      <Chart option={heat} className="chart-heatmap" label={`Heatmap of inbound mentions by day of week and hour. ${summary.text}`} testId="heatmap" />
      <p className="chart-caption" data-testid="heatmap-summary">
        {summary.text}
      </p>
      <ChartNumbers label="Show the numbers (mentions per day of week and hour)">
        <div className="table-wrap">
          <table className="report-table heat-table">
            <caption className="visually-hidden">Inbound mentions by day of week (rows) and hour of day (columns)</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                {HOURS.map((h) => (
                  <th key={h} scope="col" className="num">
                    {h}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {DAY_NAMES.map((name, d) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  {HOURS.map((_, h) => (
                    <td key={h} className="num">
                      {fmtCount(v.by_hour_of_week[d * 24 + h])}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </ChartNumbers>
      <h3>Mentions per day</h3>
      <Chart option={daily} className="chart-daily" label={`Bar chart of inbound mentions per day, ${days.length} days. ${busiestDate ? `Busiest: ${fmtDay(busiestDate.day)} with ${fmtCount(busiestDate.inbound)}.` : ''}`} />
      <ChartNumbers>
        <div className="table-wrap">
          <table className="report-table">
            <caption className="visually-hidden">Inbound mentions per day</caption>
            <thead>
              <tr>
                <th scope="col">Day</th>
                <th scope="col" className="num">
                  Inbound mentions
                </th>
              </tr>
            </thead>
            <tbody>
              {v.by_day.map((d) => (
                <tr key={d.day}>
                  <th scope="row">{fmtDay(d.day)}</th>
                  <td className="num">{fmtCount(d.inbound)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </ChartNumbers>
    </>
  );
}
