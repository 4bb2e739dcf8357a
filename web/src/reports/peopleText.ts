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

/**
 * How the Agents table credits people (docs/metrics.md, "Who is credited"), shown under it: a
 * lead otherwise sees accolades of 0/0/0/1 per agent beside a team's 106, or an admin credited
 * with replies they never wrote (a reply seen on the network goes to the conversation's
 * assignee, and round robin may assign to an admin who is an online member of the team).
 */
export const AGENT_CREDIT =
  'How agents are credited: a response (first or next) sent from Parley counts for the person who wrote it; ' +
  'one seen on the network (written outside Parley) counts for the conversation\u2019s assignee at the time, who may be an admin (round robin assigns online team members). ' +
  'An accolade (a customer\u2019s thanks or praise) counts for the assignee of the conversation when it arrived. ' +
  'Whatever happened while a conversation was unassigned counts for its team only, so a team\u2019s totals can be more than the sum of its agents.';
