/** Response rate ("always respond"), accolades per day, SLA attainment, approval and expert turnaround. */
import { useMemo } from 'react';
import { useReport, type AccoladesReport, type DurationStats, type ReportFilter, type ResponseRateReport, type SlaReport } from '../api/reports.js';
import { Chart, COLORS, type ChartOption } from './Chart.js';
import { dayLabels, fmtCount, fmtDay, fmtMin, fmtMinExact, fmtPct } from './format.js';
import { HELP } from './help.js';
import { everyDay, type ResolvedPeriod } from './period.js';
import { ChartNumbers, DataTable, Note, QueryState, ReportCard, Stats } from './ui.js';

const CLOCK_LABEL: Record<string, string> = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' };

function when(period: ResolvedPeriod) {
  return period.kind === 'all' ? 'at all' : `in this period (${period.label})`;
}

export function QualitySection({ filter, period }: { filter: ReportFilter; period: ResolvedPeriod }) {
  const rate = useReport('response-rate', filter);
  const acc = useReport('accolades', filter);
  const sla = useReport('sla', filter);
  const turn = useReport('turnaround', filter);
  return (
    <div className="report-grid">
      <ReportCard title="Response rate" help={HELP.responseRate} csv={{ name: 'response-rate', filter }} wide testId="response-rate">
        <QueryState q={rate} what="the response rate" empty={(d) => (d.needed === 0 && d.untriaged === 0 ? `No inbound mentions ${when(period)}.` : null)}>
          {(d) => <ResponseRate r={d} period={period} />}
        </QueryState>
      </ReportCard>
      <ReportCard title="SLA attainment" help={HELP.sla} csv={{ name: 'sla', filter }} testId="sla">
        <QueryState q={sla} what="SLA attainment" empty={(d) => (d.met + d.breached === 0 ? `No SLA clock stopped or passed its due time ${when(period)}. Clocks run when the brand\u2019s SLA policy applies to a conversation.${(d as SlaReport & { note?: string | null }).note ? ` ${(d as SlaReport & { note?: string | null }).note}` : ''}` : null)}>
          {(d) => <Sla r={d} />}
        </QueryState>
      </ReportCard>
      <ReportCard title="Accolades" help={HELP.accolades} csv={{ name: 'accolades', filter }} testId="accolades">
        <QueryState q={acc} what="accolades" empty={(d) => (d.total === 0 ? `No thanks or praise ${when(period)}. Accolades come from triage; untriaged mentions are not counted.` : null)}>
          {(d) => <Accolades r={d} period={period} />}
        </QueryState>
      </ReportCard>
      <ReportCard title="Approval and expert turnaround" help={HELP.turnaround} csv={{ name: 'turnaround', filter }} wide testId="turnaround">
        <QueryState q={turn} what="turnaround" empty={(d) => (d.approval.n + d.expert.n === 0 ? `No reply waited for approval and no expert answered a question ${when(period)}.` : null)}>
          {(d) => (
            <DataTable
              caption="Approval and expert turnaround"
              captionHidden
              columns={[
                { key: 'what', label: 'Wait', render: (r: { what: string; s: DurationStats }) => r.what },
                { key: 'n', label: 'Measured', numeric: true, render: (r) => fmtCount(r.s.n) },
                { key: 'median', label: 'Median', numeric: true, render: (r) => <span title={fmtMinExact(r.s.median_min)}>{fmtMin(r.s.median_min)}</span> },
                { key: 'p90', label: 'p90', numeric: true, render: (r) => <span title={fmtMinExact(r.s.p90_min)}>{fmtMin(r.s.p90_min)}</span> },
                { key: 'within', label: 'Within 60 min', numeric: true, render: (r) => fmtPct(r.s.share_within_60) },
              ]}
              rows={[{ what: 'Waiting for approval', s: d.approval }, { what: 'Waiting for an expert', s: d.expert }]}
              rowKey={(r) => r.what}
            />
          )}
        </QueryState>
      </ReportCard>
    </div>
  );
}

function rateOption(r: ResponseRateReport): ChartOption {
  const count = (v: unknown) => `${fmtCount(Number(v))} mention${Number(v) === 1 ? '' : 's'}`;
  return {
    grid: { left: 48, right: 48, top: 44, bottom: 40 },
    legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 10 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: dayLabels(r.by_day.map((d) => d.day)) },
    yAxis: [
      { type: 'value', minInterval: 1, name: 'Mentions', nameTextStyle: { align: 'left' } },
      { type: 'value', min: 0, max: 100, name: 'Rate %', splitLine: { show: false }, nameTextStyle: { align: 'right' }, axisLabel: { formatter: '{value} %' } },
    ],
    series: [
      { type: 'bar', name: 'Needed a response', data: r.by_day.map((d) => d.needed), itemStyle: { color: COLORS.accentWeak }, barMaxWidth: 20, tooltip: { valueFormatter: count } },
      { type: 'bar', name: 'Answered', data: r.by_day.map((d) => d.answered), itemStyle: { color: COLORS.accent }, barMaxWidth: 20, tooltip: { valueFormatter: count } },
      { type: 'line', name: 'Response rate', yAxisIndex: 1, data: r.by_day.map((d) => (d.rate == null ? null : Math.round(d.rate * 1000) / 10)), itemStyle: { color: COLORS.ok }, symbolSize: 5, tooltip: { valueFormatter: (v: unknown) => (v == null || v === '-' ? '—' : `${Number(v).toFixed(1)} %`) } },
    ],
  };
}

function ResponseRate({ r: raw, period }: { r: ResponseRateReport; period: ResolvedPeriod }) {
  // every day of the period on the axis (a day with no mention needing a response has no rate)
  const r = useMemo(() => ({ ...raw, by_day: everyDay(raw.by_day, period, (day) => ({ day, needed: 0, answered: 0, rate: null })) }), [raw, period]);
  const chart = useMemo(() => rateOption(r), [r]);
  return (
    <>
      <Stats
        label="Response rate figures"
        items={[
          { label: 'Response rate', value: fmtPct(r.rate), sub: `${fmtCount(r.answered)} of ${fmtCount(r.needed)}`, tone: r.rate == null ? undefined : r.rate >= 0.9 ? 'good' : r.rate < 0.7 ? 'bad' : undefined },
          { label: 'Needed a response', value: fmtCount(r.needed) },
          { label: 'Answered', value: fmtCount(r.answered) },
          { label: 'Untriaged', value: fmtCount(r.untriaged), sub: 'counted apart', title: 'Mentions triage has not judged; never guessed into the rate' },
        ]}
      />
      {r.needed === 0 ? (
        <Note tone="warn">
          None of the {fmtCount(r.untriaged)} mentions in this period has been triaged, so there is no response rate to show: it counts only mentions that triage judged as needing a response.
        </Note>
      ) : (
        <>
          <Chart option={chart} className="chart-daily" label={`Response rate per day: overall ${fmtPct(r.rate)}, ${fmtCount(r.answered)} answered of ${fmtCount(r.needed)} that needed a response.`} />
          <ChartNumbers>
            <DataTable
              caption="Response rate per day"
              captionHidden
              columns={[
                { key: 'day', label: 'Day', render: (d) => fmtDay(d.day) },
                { key: 'needed', label: 'Needed a response', numeric: true, render: (d) => fmtCount(d.needed) },
                { key: 'answered', label: 'Answered', numeric: true, render: (d) => fmtCount(d.answered) },
                { key: 'rate', label: 'Rate', numeric: true, render: (d) => fmtPct(d.rate) },
              ]}
              rows={r.by_day}
              rowKey={(d) => d.day}
            />
          </ChartNumbers>
        </>
      )}
    </>
  );
}

const CLOCK_ORDER = Object.keys(CLOCK_LABEL);
const clockRank = (c: string) => (CLOCK_ORDER.includes(c) ? CLOCK_ORDER.indexOf(c) : 99);

function slaOption(r: SlaReport): ChartOption {
  const clocks = r.by_clock.map((c) => CLOCK_LABEL[c.clock] ?? c.clock);
  return {
    grid: { left: 110, right: 16, top: 32, bottom: 28 },
    legend: { top: 0, left: 0, itemWidth: 14, itemHeight: 10 },
    tooltip: { trigger: 'axis', axisPointer: { type: 'shadow' } },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: clocks, inverse: true },
    series: [
      { type: 'bar', name: 'Met', stack: 'sla', data: r.by_clock.map((c) => c.met), itemStyle: { color: COLORS.ok }, barMaxWidth: 22 },
      { type: 'bar', name: 'Breached', stack: 'sla', data: r.by_clock.map((c) => c.breached), itemStyle: { color: COLORS.danger }, barMaxWidth: 22 },
    ],
  };
}

function Sla({ r: raw }: { r: SlaReport }) {
  // first response, next response, resolution: the order a conversation meets them
  const r = useMemo(() => ({ ...raw, by_clock: [...raw.by_clock].sort((a, b) => clockRank(a.clock) - clockRank(b.clock) || a.clock.localeCompare(b.clock)) }), [raw]);
  const chart = useMemo(() => slaOption(r), [r]);
  return (
    <>
      <Stats
        label="SLA figures"
        items={[
          { label: 'Attainment', value: fmtPct(r.attainment), tone: r.attainment == null ? undefined : r.attainment >= 0.9 ? 'good' : r.attainment < 0.7 ? 'bad' : undefined },
          { label: 'Met', value: fmtCount(r.met) },
          { label: 'Breached', value: fmtCount(r.breached) },
        ]}
      />
      {/* resolved history has no SLA clocks: the API says how much of the period the figures leave out */}
      {(raw as SlaReport & { note?: string | null }).note && <p className="muted small" data-testid="sla-history-note">{(raw as SlaReport & { note?: string | null }).note}</p>}
      <Chart option={chart} className="chart-small" label={`SLA clocks met and breached: ${r.by_clock.map((c) => `${CLOCK_LABEL[c.clock] ?? c.clock} ${fmtCount(c.met)} met, ${fmtCount(c.breached)} breached`).join('; ')}.`} />
      <DataTable
        caption="SLA attainment per clock"
        captionHidden
        columns={[
          { key: 'clock', label: 'Clock', render: (c) => CLOCK_LABEL[c.clock] ?? c.clock },
          { key: 'met', label: 'Met', numeric: true, render: (c) => fmtCount(c.met) },
          { key: 'breached', label: 'Breached', numeric: true, render: (c) => fmtCount(c.breached) },
          { key: 'att', label: 'Attainment', numeric: true, render: (c) => fmtPct(c.attainment) },
        ]}
        rows={r.by_clock}
        rowKey={(c) => c.clock}
      />
    </>
  );
}

function accoladeOption(r: AccoladesReport): ChartOption {
  return {
    grid: { left: 40, right: 16, top: 16, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: dayLabels(r.by_day.map((d) => d.day)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [{ type: 'bar', name: 'Accolades', data: r.by_day.map((d) => d.accolades), itemStyle: { color: COLORS.ok }, barMaxWidth: 20, tooltip: { valueFormatter: (v: unknown) => `${fmtCount(Number(v))} accolade${Number(v) === 1 ? '' : 's'}` } }],
  };
}

function Accolades({ r: raw, period }: { r: AccoladesReport; period: ResolvedPeriod }) {
  const r = useMemo(() => ({ ...raw, by_day: everyDay(raw.by_day, period, (day) => ({ day, accolades: 0 })) }), [raw, period]);
  const chart = useMemo(() => accoladeOption(r), [r]);
  const best = r.by_day.reduce<AccoladesReport['by_day'][number] | null>((a, b) => (!a || b.accolades > a.accolades ? b : a), null);
  return (
    <>
      <Stats label="Accolade figures" items={[{ label: 'Accolades', value: fmtCount(r.total) }, { label: 'Best day', value: best ? fmtDay(best.day) : '—', sub: best ? `${fmtCount(best.accolades)} accolades` : undefined }]} />
      <Chart option={chart} className="chart-small" label={`Accolades per day: ${fmtCount(r.total)} in total over ${r.by_day.length} days.`} />
      <ChartNumbers>
        <DataTable caption="Accolades per day" captionHidden columns={[{ key: 'day', label: 'Day', render: (d) => fmtDay(d.day) }, { key: 'n', label: 'Accolades', numeric: true, render: (d) => fmtCount(d.accolades) }]} rows={r.by_day} rowKey={(d) => d.day} />
      </ChartNumbers>
    </>
  );
}
