/**
 * What the brand's own Mastodon account is told of its instance's moderation, read from its
 * notifications (GET /api/v1/notifications, types filter; both types 4.3+, docs: entities
 * Notification, AccountWarning, RelationshipSeveranceEvent):
 *  - `moderation_warning` ("A moderator has taken action against your account or has sent you a
 *    warning"), carrying an AccountWarning: `action` `delete_statuses` ("Specific statuses from
 *    the target account have been deleted") with `status_ids` ("those are the affected
 *    statuses"). A strike is only ever about the account that receives it, so this names the
 *    brand's OWN statuses that a moderator of its instance removed — never a customer's, whose
 *    strikes only the customer sees. Mastodon sends the notification only when the moderator
 *    leaves "notify the user" ticked (Admin::StatusBatchAction / AccountAction `warnable?`:
 *    `send_email_notification? && target_account.local?`): a removal without it stays unknown;
 *  - `severed_relationships` with a RelationshipSeveranceEvent of `type` `domain_block` ("A
 *    moderator suspended a whole domain") and `target_name` (the domain): the brand's instance
 *    defederated that server, sent when the block cut some of the brand's follows. Read only to
 *    name a suspended author's server when the instance's public domain-block list cannot.
 *
 * Servers before 4.3 know neither type: the filter then matches nothing and nothing is learnt.
 */

/** The AccountWarning fields read here (masto camel-cases the keys). */
interface Warning {
  action?: unknown;
  statusIds?: unknown;
}

/** The notification fields read here. */
export interface ModerationNotification {
  type?: unknown;
  moderationWarning?: Warning | null;
  event?: { type?: unknown; targetName?: unknown } | null;
}

/** Status ids the account's `moderation_warning` notifications say a moderator deleted (`delete_statuses`). */
export function statusesRemovedByModerators(notifications: readonly ModerationNotification[]): Set<string> {
  const out = new Set<string>();
  for (const n of notifications) {
    if (n?.type !== 'moderation_warning') continue;
    const w = n.moderationWarning;
    if (!w || w.action !== 'delete_statuses' || !Array.isArray(w.statusIds)) continue;
    for (const id of w.statusIds) if (typeof id === 'string' && /^\d{1,20}$/.test(id)) out.add(id);
  }
  return out;
}

/** Domains the account's `severed_relationships` notifications say its instance suspended as a whole (`domain_block`), lower-cased. */
export function domainsSevered(notifications: readonly ModerationNotification[]): Set<string> {
  const out = new Set<string>();
  for (const n of notifications) {
    if (n?.type !== 'severed_relationships') continue;
    const e = n.event;
    if (e?.type === 'domain_block' && typeof e.targetName === 'string' && e.targetName.trim()) out.add(e.targetName.trim().toLowerCase());
  }
  return out;
}

/**
 * A domain and the parent domains a block of which covers it, the most specific first, lower-cased
 * (`a.b.example` → `a.b.example`, `b.example`, `example`... never a bare top-level label):
 * Mastodon's DomainBlock.rule_for walks up the domain the same way.
 */
export function domainAndParents(domain: string): string[] {
  const parts = domain.toLowerCase().split('.');
  return parts.map((_, i) => parts.slice(i).join('.')).filter((c, i) => i === 0 || c.includes('.'));
}

/** Whether `domain` is `blocked` or one of its subdomains (a domain block covers its subdomains). */
export function withinDomain(domain: string, blocked: ReadonlySet<string>): boolean {
  return domainAndParents(domain).some((c) => blocked.has(c));
}

/**
 * What a Mastodon status the check reports gone means, as the redaction's reason: its author
 * deleted it, or a moderator (of the brand's instance, or of the author's own server, whose
 * Delete federates like the author's) removed it — the API answers both with 404 "Record not
 * found" and the same `delete` event, so the desk must not say which. For
 * src/pipeline/deletions.ts to label the redaction with (a reason to add to REDACTION_REASONS).
 */
export const MASTODON_GONE_MEANS = 'deleted_or_removed' as const;
