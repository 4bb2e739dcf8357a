/**
 * A team's membership, the one path for every writer of it: an admin in Settings → People
 * (../server/routes/admin.ts) and an identity provider's SCIM groups (./scim.ts). Replacing the
 * members, then, once the change is committed, what routing needs to see it: the brand's cached
 * settings dropped and its waiting work drained (new members may take it at once).
 */
import type { Tx } from '../store/util.js';
import type { Workflow } from '../workflow/workflow.js';
import type { WorkflowSettingsStore } from '../workflow/settings.js';
import { addTeamMember } from './setup.js';

export interface TeamDeps {
  workflow: Workflow;
  workflowSettings: WorkflowSettingsStore;
}

/** A member of a team: the person, and whether they lead it. */
export interface TeamMembership {
  userId: number;
  isLead: boolean;
}

/** Replace the team's members (in the caller's transaction; the members are checked to be of its brand by the caller). */
export async function replaceTeamMembers(trx: Tx, teamId: number, members: readonly TeamMembership[]): Promise<void> {
  await trx.deleteFrom('team_member').where('team_id', '=', teamId).execute();
  for (const m of members) await addTeamMember(trx, teamId, m.userId, m.isLead);
}

/** After a team's members or assignment changed (and was committed): routing sees it, and waiting work may be taken. */
export async function teamChanged(deps: TeamDeps, brandId: number): Promise<void> {
  deps.workflowSettings.invalidate(brandId);
  await deps.workflow.drain(brandId);
}
