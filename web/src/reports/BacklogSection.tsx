/** Backlog and age: open conversations right now, by status and by how long customers have waited. */
import { useMemo } from 'react';
import { Link } from '@tanstack/react-router';
import { useReport, type BacklogReport, type ReportFilter } from '../api/reports.js';
import { useUsers } from '../api/queries.js';
import { plain, priorityLabel, STATUS_LABEL } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';
import { Chart, COLORS, type ChartOption } from './Chart.js';
import { fmtCount, fmtMin, fmtPct } from './format.js';
import { HELP } from './help.js';
import { ChartNumbers, DataTable, QueryState, ReportCard, Stats } from './ui.js';

function ageOption(r: BacklogReport): ChartOption {
  return {
    grid: { left: 48, right: 16, top: 30, bottom: 40 },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'category', data: r.waiting_age.map((b) => b.label), axisLabel: { interval: 0 } },
    yAxis: { type: 'value', minInterval: 1, name: 'Conversations', nameTextStyle: { align: 'left' } },
    series: [{ type: 'bar', name: 'Waiting conversations', data: r.waiting_age.map((b, i) => ({ value: b.count, itemStyle: { color: i < 4 ? COLORS.accent : i < 7 ? COLORS.warn : COLORS.danger } })), barMaxWidth: 48 }],
  };
}

/** Current state: the period does not apply; team, agent, channel, network and public/private do. */
export function BacklogSection({ filter }: { filter: ReportFilter }) {
  const { from: _from, to: _to, ...scope } = filter;
  const q = useReport('backlog', scope);
  return (
    <div className="report-grid">
      <ReportCard title="Backlog and age" help={HELP.backlog} csv={{ name: 'backlog', filter: scope }} wide testId="backlog">
        <QueryState q={q} what="the backlog" empty={(d) => (d.open === 0 ? 'Nothing is open: every conversation is resolved.' : null)}>
          {(d) => <Backlog r={d} />}
        </QueryState>
      </ReportCard>
    </div>
  );
}

function Backlog({ r }: { r: BacklogReport }) {
  const users = useUsers().data ?? [];
  const names = new Map(users.map((u) => [u.id, u.name]));
  const chart = useMemo(() => ageOption(r), [r]);
  const over24 = r.waiting_age.at(-1)?.count ?? 0;
  return (
    <>
      <Stats
        label="Backlog figures"
        items={[
          { label: 'Open conversations', value: fmtCount(r.open), sub: Object.entries(r.by_status).map(([s, n]) => `${STATUS_LABEL[s] ?? s} ${fmtCount(n)}`).join(' · ') },
          { label: 'Customers waiting', value: fmtCount(r.waiting), sub: 'for a reply from us' },
          { label: 'Waiting over 24 h', value: fmtCount(over24), sub: fmtPct(r.waiting ? over24 / r.waiting : null), tone: over24 > 0 ? 'bad' : 'good' },
          { label: 'Longest wait', value: fmtMin(r.oldest[0]?.waiting_min) },
        ]}
      />
      <h3>How long customers have waited</h3>
      <Chart option={chart} className="chart-buckets" label={`Bar chart of waiting conversations by how long the customer has waited: ${r.waiting_age.map((b) => `${b.label}: ${b.count}`).join(', ')}.`} />
      <ChartNumbers>
        <DataTable caption="Waiting conversations by age" captionHidden columns={[{ key: 'band', label: 'Waiting', render: (b) => b.label }, { key: 'n', label: 'Conversations', numeric: true, render: (b) => fmtCount(b.count) }]} rows={r.waiting_age} rowKey={(b) => b.label} />
      </ChartNumbers>
      <h3>Longest waiting</h3>
      <DataTable
        caption="The conversations whose customers have waited longest"
        captionHidden
        columns={[
          { key: 'subject', label: 'Conversation', render: (o) => (
            <Link to="/inbox/$view" params={{ view: 'all' }} search={{ c: o.id }} className="oldest-link">
              #{o.id} <SafeText text={o.subject.length > 140 ? `${o.subject.slice(0, 140)}…` : o.subject} linkify={false} fold={false} />
            </Link>
          ) },
          { key: 'waiting', label: 'Waiting', numeric: true, render: (o) => fmtMin(o.waiting_min) },
          { key: 'priority', label: 'Priority', render: (o) => priorityLabel(o.priority) },
          { key: 'assignee', label: 'Assignee', render: (o) => (o.assignee_id == null ? <span className="muted">Unassigned</span> : plain(names.get(o.assignee_id) ?? `#${o.assignee_id}`)) },
        ]}
        rows={r.oldest}
        rowKey={(o) => o.id}
      />
    </>
  );
}
