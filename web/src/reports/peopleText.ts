/** The people reports' texts (Reports → Agents & teams): kept apart from the table so they can be tested as plain functions. */
import type { PeopleReport } from '../api/reports.js';
import type { ResolvedPeriod } from './period.js';

/** What the API adds to the people reports (src/reports/reports.ts, peopleReport). */
export type PeopleReportNotes = PeopleReport & { history_resolutions?: number; note?: string | null; team_members?: number | null };

/**
 * Why a people table is empty: a team filtered to that has no members says so; the sentence on
 * imported history only when there is imported history in the period (it has no agents).
 */
export function emptyText(who: string, d: PeopleReportNotes, period: Pick<ResolvedPeriod, 'kind' | 'label'>): string {
  const when = period.kind === 'all' ? 'yet' : `in this period (${period.label})`;
  const history = d.history_resolutions ? ' Imported history has no agents: its replies were written outside Parley.' : '';
  if (d.team_members === 0) return `This team has no members yet, and none of its conversations were answered or resolved ${when}. Add people to the team in Settings → Teams.`;
  return `No ${who} responded, resolved or met an SLA ${when}.${history}`;
}
