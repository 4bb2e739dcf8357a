/**
 * Reports (lazy-loaded with ECharts): the header, a section list, the shared filter bar
 * (period, team, agent, channel, network, public/private, business hours — all in the
 * URL) and one section at a time. For agents, approvers and admins (the API's rule).
 */
import { useCallback, useState } from 'react';
import { Link, useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useBrandTimezone } from '../api/reports.js';
import { useMe } from '../api/queries.js';
import type { Me } from '../api/types.js';
import { DeskNav } from '../shell/DeskNav.js';
import { Header } from '../shell/Header.js';
import { ShortcutsDialog } from '../shell/ShortcutsDialog.js';
import { Spinner } from '../ui/bits.js';
import { BacklogSection } from './BacklogSection.js';
import { fmtDay } from './format.js';
import { PeopleSection } from './PeopleSection.js';
import { reportFilter, useResolvedPeriod } from './period.js';
import { QualitySection } from './QualitySection.js';
import { ReportFilters, type FilterSet } from './ReportFilters.js';
import { ResponseTimeSection } from './ResponseTimeSection.js';
import { SECTION_LABEL, SECTIONS, type ReportsSearch, type Section } from './search.js';
import { StaffingSection } from './StaffingSection.js';
import { TrendsSection } from './TrendsSection.js';
import { Note } from './ui.js';
import { VolumeSection } from './VolumeSection.js';

export function ReportsPage() {
  const me = useMe().data;
  if (!me) return null;
  if (me.user.role === 'expert') {
    return (
      <main className="splash">
        <p>Reports are for agents, approvers and admins.</p>
        <Link to="/expert" className="btn">
          Back to your questions
        </Link>
      </main>
    );
  }
  return <Reports me={me} />;
}

export default ReportsPage;

const FILTERS_FOR: Record<Section, FilterSet> = {
  volume: 'all', 'response-time': 'all', quality: 'all', people: 'all', trends: 'all', backlog: 'none', staffing: 'staffing',
};

function Reports({ me }: { me: Me }) {
  const section = useParams({ from: '/reports/$section' }).section as Section;
  const search = useSearch({ from: '/reports/$section' });
  const navigate = useNavigate({ from: '/reports/$section' });
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const tz = useBrandTimezone();
  const period = useResolvedPeriod(search, tz.data);
  const filter = reportFilter(period, search);

  const update = useCallback(
    (patch: Partial<ReportsSearch>) => navigate({ search: (s: ReportsSearch) => dropUndefined({ ...s, ...patch }) }),
    [navigate],
  );

  return (
    <div className="app reports-app">
      <a href="#report-main" className="skip-link">
        Skip to the report
      </a>
      <Header
        me={me}
        query=""
        onQuery={(q) => q && navigate({ to: '/inbox/$view', params: { view: 'all' }, search: { q } })}
        onOpenConversation={(id) => navigate({ to: '/inbox/$view', params: { view: 'all' }, search: { c: id } })}
        onShowShortcuts={() => setShortcutsOpen(true)}
      />
      <div className="reports-workspace">
        <nav className="reports-nav" aria-label="Desk">
          <h2 className="sidebar-title">Inbox</h2>
          <ul className="view-list">
            <li>
              <Link to="/inbox/$view" params={{ view: 'open' }} className="view-link">
                Open conversations
              </Link>
            </li>
            <li>
              <Link to="/inbox/$view" params={{ view: 'mine' }} className="view-link">
                Mine
              </Link>
            </li>
          </ul>
          <h2 className="sidebar-title" id="reports-nav-title">
            Reports
          </h2>
          <ul className="view-list" aria-labelledby="reports-nav-title">
            {SECTIONS.map((s) => (
              <li key={s}>
                <Link to="/reports/$section" params={{ section: s }} search={search} className={s === section ? 'view-link active' : 'view-link'} aria-current={s === section ? 'page' : undefined}>
                  {SECTION_LABEL[s]}
                </Link>
              </li>
            ))}
          </ul>
          <DeskNav me={me} />
        </nav>
        <main id="report-main" className="reports-main" tabIndex={-1} aria-labelledby="report-title">
          <div className="reports-head">
            <h1 id="report-title">{SECTION_LABEL[section]}</h1>
            <label className="visually-hidden" htmlFor="report-section">
              Report
            </label>
            <select id="report-section" className="section-select" value={section} onChange={(e) => navigate({ to: '/reports/$section', params: { section: e.target.value }, search })}>
              {SECTIONS.map((s) => (
                <option key={s} value={s}>
                  {SECTION_LABEL[s]}
                </option>
              ))}
            </select>
            <span className="muted small reports-period" aria-live="polite">
              {section === 'backlog' ? 'Right now' : period.label}
              {tz.data ? ` · times in ${tz.data}` : ''}
            </span>
          </div>
          {tz.isError ? (
            <div className="report-state report-error" role="alert">
              <p>Could not load the reports: {(tz.error as Error).message}</p>
              <button type="button" className="btn btn-small" onClick={() => tz.refetch()}>
                Try again
              </button>
            </div>
          ) : !tz.data || !period.ready ? (
            <div className="report-state">
              <Spinner label="Loading reports" />
            </div>
          ) : (
            <>
              <ReportFilters search={search} period={period} onChange={update} show={FILTERS_FOR[section]} />
              {period.fellBack && section !== 'backlog' && (
                <Note>
                  Nothing arrived in the last 30 days, so these reports cover all time
                  {period.dataRange ? ` (mentions from ${fmtDay(period.dataRange.first)} to ${fmtDay(period.dataRange.last)})` : ''}. Pick a period above to narrow them.
                </Note>
              )}
              {period.reversed && section !== 'backlog' ? (
                <div className="report-state" role="alert" data-testid="period-reversed">
                  <p>
                    These dates are reversed: the period starts on {fmtDay(period.fromDate!)}, after it ends on {fmtDay(period.toDate!)}.
                  </p>
                  <button type="button" className="btn btn-small" onClick={() => update({ period: 'custom', ...period.reversed })}>
                    Show {fmtDay(period.reversed.from)} – {fmtDay(period.reversed.to)} instead
                  </button>
                </div>
              ) : (
              <>
              {period.future && section !== 'backlog' && (
                <Note tone="warn">
                  This period starts after today ({fmtDay(period.fromDate!)}), so nothing can have happened in it yet. Pick a period up to today.
                </Note>
              )}
              {section === 'staffing' && <Note>Staffing uses the period and the channel account; the other filters do not apply.</Note>}
              {section === 'volume' && <VolumeSection filter={filter} period={period} />}
              {section === 'response-time' && <ResponseTimeSection filter={filter} period={period} metric={search.metric ?? 'first-response'} onMetric={(m) => update({ metric: m === 'first-response' ? undefined : m })} />}
              {section === 'quality' && <QualitySection filter={filter} period={period} />}
              {section === 'people' && <PeopleSection filter={filter} period={period} />}
              {section === 'trends' && <TrendsSection filter={filter} period={period} />}
              {section === 'backlog' && <BacklogSection filter={filter} />}
              {section === 'staffing' && <StaffingSection me={me} search={search} period={period} tz={tz.data} onChange={update} />}
              </>
              )}
            </>
          )}
        </main>
      </div>
      <ShortcutsDialog open={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
    </div>
  );
}

function dropUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
