/** Per-agent and per-team tables: responses, median first/next response, resolutions, reopens, accolades, SLA. */
import { useMemo, useState } from 'react';
import { useReport, type PeopleReport, type PeopleRow, type ReportFilter } from '../api/reports.js';
import { byName } from '../lib/collate.js';
import { plain } from '../lib/format.js';
import { fmtCount, fmtMin, fmtMinExact, fmtPct } from './format.js';
import { HELP } from './help.js';
import { AGENT_CREDIT, emptyText, type PeopleReportNotes } from './peopleText.js';
import type { ResolvedPeriod } from './period.js';
import { QueryState, ReportCard } from './ui.js';

type SortKey = 'name' | 'responses' | 'first_response_median_min' | 'next_response_median_min' | 'resolutions' | 'reopens' | 'accolades' | 'sla_attainment';

const COLUMNS: { key: SortKey; label: string; numeric?: boolean; render: (r: PeopleRow) => string; title?: string }[] = [
  { key: 'name', label: 'Name', render: (r) => plain(r.name) },
  { key: 'responses', label: 'Responses', numeric: true, render: (r) => fmtCount(r.responses), title: 'First and next responses' },
  { key: 'first_response_median_min', label: 'Median first response', numeric: true, render: (r) => fmtMin(r.first_response_median_min) },
  { key: 'next_response_median_min', label: 'Median next response', numeric: true, render: (r) => fmtMin(r.next_response_median_min) },
  { key: 'resolutions', label: 'Resolutions', numeric: true, render: (r) => fmtCount(r.resolutions) },
  { key: 'reopens', label: 'Reopens', numeric: true, render: (r) => fmtCount(r.reopens) },
  { key: 'accolades', label: 'Accolades', numeric: true, render: (r) => fmtCount(r.accolades) },
  { key: 'sla_attainment', label: 'SLA attainment', numeric: true, render: (r) => fmtPct(r.sla_attainment) },
];

export function PeopleSection({ filter, period }: { filter: ReportFilter; period: ResolvedPeriod }) {
  const agents = useReport('agents', filter);
  const teams = useReport('teams', filter);
  const why = (who: string) => (d: PeopleReport) => (d.rows.length === 0 ? emptyText(who, d as PeopleReportNotes, period) : null);
  return (
    <div className="report-grid">
      <ReportCard title="Agents" help={HELP.agents} csv={{ name: 'agents', filter }} wide testId="agents">
        <QueryState q={agents} what="the agents report" empty={why('agent')}>
          {(d) => (
            <>
              <PeopleTable rows={d.rows} caption="Figures per agent" />
              <p className="muted small" data-testid="agents-credit">{AGENT_CREDIT}</p>
            </>
          )}
        </QueryState>
      </ReportCard>
      <ReportCard title="Teams" help={HELP.teams} csv={{ name: 'teams', filter }} wide testId="teams">
        <QueryState q={teams} what="the teams report" empty={why('team')}>
          {(d) => (
            <>
              <PeopleTable rows={d.rows} caption="Figures per team" />
              {(d as PeopleReportNotes).note && <p className="muted small">{(d as PeopleReportNotes).note}</p>}
            </>
          )}
        </QueryState>
      </ReportCard>
    </div>
  );
}

/** A table sortable by any column (button in the header; aria-sort says which). */
function PeopleTable({ rows, caption }: { rows: PeopleRow[]; caption: string }) {
  const [sort, setSort] = useState<{ key: SortKey; desc: boolean }>({ key: 'responses', desc: true });
  const sorted = useMemo(() => {
    const dir = sort.desc ? -1 : 1;
    const order = (a: PeopleRow, b: PeopleRow) => {
      const x = a[sort.key];
      const y = b[sort.key];
      if (x == null && y == null) return 0;
      if (x == null) return 1; // no figure: always last
      if (y == null) return -1;
      return (typeof x === 'string' ? byName.compare(x, String(y)) : x - (y as number)) * dir;
    };
    // equal figures in name order, so a long table reads the same on every load
    return [...rows].sort((a, b) => order(a, b) || byName.compare(a.name, b.name));
  }, [rows, sort]);
  return (
    <div className="table-wrap">
      <table className="report-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {COLUMNS.map((c) => (
              <th key={c.key} scope="col" className={c.numeric ? 'num' : undefined} aria-sort={sort.key === c.key ? (sort.desc ? 'descending' : 'ascending') : undefined} title={c.title}>
                <button type="button" className="sort-button" onClick={() => setSort((s) => ({ key: c.key, desc: s.key === c.key ? !s.desc : c.key !== 'name' && !c.key.endsWith('_min') }))}>
                  {c.label}
                  <span aria-hidden="true" className="sort-mark">
                    {sort.key === c.key ? (sort.desc ? ' ▾' : ' ▴') : ''}
                  </span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr key={r.id}>
              {COLUMNS.map((c, i) =>
                i === 0 ? (
                  <th key={c.key} scope="row">
                    {c.render(r)}
                  </th>
                ) : (
                  <td key={c.key} className="num" title={c.key.endsWith('_min') ? fmtMinExact(r[c.key] as number | null) : undefined}>
                    {c.render(r)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
