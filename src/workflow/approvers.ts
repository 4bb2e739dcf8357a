/**
 * Who may sign a held reply off, so a draft never waits for nobody.
 *
 * A reply the approval policy holds is signed off by an approver or an admin other than its
 * author, who is not disabled (`signOffRefusal`). When no such person exists (a keyword policy
 * with no exempt roles and the only admin writes "lawyer…"), holding the reply would leave it
 * waiting forever: nobody may approve it. It is refused at submission instead (409
 * `approval.no_approver`, nothing sent and nothing held), saying what to do.
 *
 * Every eligible approver is told when a reply starts waiting (once per draft; a rewrite at
 * sign-off or a resubmitted draft is a new wait), in the transaction that stores the held reply
 * (who is read before it): a reply never waits with nobody told, and a notice that cannot be
 * written holds nothing (src/workflow/commands.ts, `onHeld` of src/commands/conversations.ts). And the author is told when nobody who may
 * sign it off is at the desk now: every one of them away or offline (presence), or the
 * conversation's account outside its business hours (Parley has no per-person working hours:
 * the account's calendar is the desk's).
 */
import { isOpen, type BusinessCalendar } from '../core/businessHours.js';
import { SIGN_OFF_ROLES } from '../core/approval.js';
import { conflict } from '../errors.js';
import type { Tx } from '../store/util.js';

/** Someone who may sign a draft off. */
export interface EligibleApprover {
  id: number;
  name: string;
  /** online | away | offline */
  availability: string;
}

/** Approvers and admins of the brand, not disabled, other than the draft's author. */
export async function eligibleApprovers(db: Tx, brandId: number, authorUserId: number | null): Promise<EligibleApprover[]> {
  let q = db.selectFrom('app_user').select(['id', 'name', 'availability']).where('brand_id', '=', brandId).where('role', 'in', [...SIGN_OFF_ROLES]).where('disabled_at', 'is', null);
  if (authorUserId != null) q = q.where('id', '!=', authorUserId);
  return (await q.orderBy('id').execute()).map((u) => ({ id: Number(u.id), name: u.name, availability: u.availability }));
}

/**
 * The refusal of a reply the policy holds when nobody but its author could sign it off: it
 * would wait forever. Nothing is written (thrown before the draft is stored).
 */
export function noApproverError(what: 'reply' | 'statement' | 'rewrite' = 'reply') {
  return what === 'rewrite'
    ? conflict('approval.no_approver', 'nobody else may sign off a text you wrote: approve the draft as it is, or reject it with a note saying what to change (or ask an admin to add an approver)')
    : conflict('approval.no_approver', `this ${what} needs sign-off, but nobody other than you may approve it (no other approver or admin): it was not sent and is not held. Ask an admin to add an approver, or to change the approval policy${what === 'reply' ? ' (e.g. exempt your role)' : ''}`);
}

/** Throws `approval.no_approver` when nobody other than `authorUserId` may sign a draft of the brand off. */
export async function refuseWithoutApprover(db: Tx, brandId: number, authorUserId: number | null, what: 'reply' | 'statement' | 'rewrite' = 'reply'): Promise<EligibleApprover[]> {
  const approvers = await eligibleApprovers(db, brandId, authorUserId);
  if (!approvers.length) throw noApproverError(what);
  return approvers;
}

/** Whether anyone who may sign a waiting draft off is at the desk now, and what the author is told if not. */
export interface SignOffWait {
  /** How many may sign it off. */
  approvers: number;
  /** How many of them are online now, within the account's business hours. */
  availableNow: number;
  /** `none` = nobody may (cannot happen for a held draft, except after approvers left); `away`, `out_of_hours`, or null when someone is at the desk. */
  reason: 'none' | 'away' | 'out_of_hours' | null;
  /** The line the author reads on the held draft, or null when someone is available. */
  notice: string | null;
}

/**
 * Pure: who of the eligible approvers can act now. Outside the account's business hours
 * nobody is counted as available, whatever their presence says.
 */
export function signOffWait(approvers: readonly Pick<EligibleApprover, 'availability'>[], at: { now: number; calendar: BusinessCalendar | null }): SignOffWait {
  if (!approvers.length) {
    return { approvers: 0, availableNow: 0, reason: 'none', notice: 'Waiting for sign-off — nobody other than its author may approve it now: ask an admin to add an approver' };
  }
  if (!isOpen(at.calendar, at.now)) {
    return { approvers: approvers.length, availableNow: 0, reason: 'out_of_hours', notice: 'Waiting for sign-off — it is outside working hours, so an approver may not see it until the desk opens; it will wait until one signs it off' };
  }
  const online = approvers.filter((a) => a.availability === 'online').length;
  if (!online) return { approvers: approvers.length, availableNow: 0, reason: 'away', notice: 'Waiting for sign-off — no approver is online now; it will wait until one is' };
  return { approvers: approvers.length, availableNow: online, reason: null, notice: null };
}
