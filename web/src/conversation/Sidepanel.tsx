/** Beside the thread: the author card (identities across networks, past conversations) and the audit trail. */
import type { AuditEvent, ContactDetail, Conversation, Message, Team, User } from '../api/types.js';
import { clip, compactNumber, fullTime, networkLabel, priorityLabel, shortAgo, STATUS_LABEL, useNow } from '../lib/format.js';
import { ExternalLink, safeHref } from '../lib/SafeText.js';
import { Avatar, NetworkBadge, StatusBadge, VerifiedIcon } from '../ui/bits.js';
import { CrmSection } from '../workflow/Crm.js';

export function AuthorCard({ conversation, contact, messages, onOpenConversation, readOnly }: { conversation: Conversation; contact: ContactDetail | null; messages: Message[]; onOpenConversation: (id: number) => void; readOnly?: boolean }) {
  const now = useNow();
  const first = messages.find((m) => m.direction === 'inbound' && m.author)?.author ?? null;
  const primary = contact?.identities.find((i) => i.identityId === first?.identityId) ?? first ?? contact?.identities[0] ?? null;
  const name = clip(contact?.displayName || primary?.displayName || (primary ? `@${primary.handle}` : conversation.contact?.handle ? `@${conversation.contact.handle}` : 'Unknown customer'), 200);
  const others = (contact?.identities ?? []).filter((i) => i.identityId !== primary?.identityId);
  const profile = safeHref(primary?.profileUrl);
  return (
    <section className="card author-card" aria-labelledby="author-title">
      <div className="author-top">
        <Avatar name={name} seed={primary?.handle ?? name} size="lg" />
        <div className="author-names">
          <h2 id="author-title" dir="auto">
            {name} {primary?.verified && <VerifiedIcon />}
          </h2>
          {primary && (
            <div className="muted" dir="auto">
              @{clip(primary.handle, 100)} · {networkLabel(primary.network)}
            </div>
          )}
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Followers</dt>
          <dd>{compactNumber(primary?.followers)}</dd>
        </div>
        <div>
          <dt>Verified</dt>
          <dd>{primary?.verified ? 'Yes' : 'No'}</dd>
        </div>
        <div>
          <dt>Conversations</dt>
          <dd>{(contact?.pastConversations.length ?? 0) + 1}</dd>
        </div>
      </dl>
      {profile && (
        <p className="small">
          Profile: <ExternalLink href={profile} />
        </p>
      )}
      {others.length > 0 && (
        <>
          <h3>Also known as</h3>
          <ul className="plain-list identities">
            {others.map((i) => {
              const href = safeHref(i.profileUrl);
              return (
                <li key={i.identityId}>
                  <NetworkBadge network={i.network} /> <span dir="auto">@{clip(i.handle, 100)}</span>
                  {i.verified && <VerifiedIcon />}
                  {i.displayName && (
                    <span className="muted" dir="auto">
                      {' '}
                      {clip(i.displayName, 120)}
                    </span>
                  )}
                  <span className="muted"> · {compactNumber(i.followers)} followers</span>
                  {href && (
                    <div className="small">
                      <ExternalLink href={href} />
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
      {contact && !readOnly && <CrmSection contact={contact} conversationId={conversation.id} messages={messages} />}
      {!readOnly && (
        <>
      <h3>Past conversations</h3>
      {contact?.pastConversations.length ? (
        <ul className="plain-list past">
          {contact.pastConversations.map((p) => (
            <li key={p.id}>
              <button type="button" className="past-link" onClick={() => onOpenConversation(p.id)}>
                <span className="past-top">
                  <StatusBadge status={p.status} /> <NetworkBadge network={p.network} />
                  <span className="muted small">{shortAgo(p.lastMessageAt, now)}</span>
                </span>
                <span className="past-subject" dir="auto">
                  {clip(p.subject, 120) || '(no text)'}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">None — this is their first conversation.</p>
      )}
        </>
      )}
    </section>
  );
}

function actorName(e: AuditEvent, users: Map<number, User>): string {
  if (e.actorUserId != null) return users.get(e.actorUserId)?.name ?? `User ${e.actorUserId}`;
  if (e.actor === 'system') return 'Parley';
  if (e.actor.startsWith('system:')) return `Parley (${e.actor.slice(7)})`;
  if (e.actor.startsWith('token:')) return 'An API token';
  return e.actor;
}

/** One audit event in words. */
export function describeAudit(e: AuditEvent, users: Map<number, User>, teams: Map<number, Team>): string {
  const d = e.data as Record<string, any>;
  const who = (id: unknown) => (id == null ? 'nobody' : users.get(Number(id))?.name ?? `user ${String(id)}`);
  switch (e.action) {
    case 'conversation.assigned': {
      const parts: string[] = [];
      if (d.to?.assigneeId !== d.from?.assigneeId) parts.push(d.to?.assigneeId == null ? 'unassigned it' : `assigned it to ${who(d.to.assigneeId)}`);
      if (d.to?.teamId !== d.from?.teamId) parts.push(d.to?.teamId == null ? 'removed the team' : `moved it to team ${teams.get(Number(d.to.teamId))?.name ?? d.to.teamId}`);
      return parts.join(' and ') || 'assigned it';
    }
    case 'conversation.status':
      return `changed status ${STATUS_LABEL[d.from] ?? d.from ?? ''} → ${STATUS_LABEL[d.to] ?? d.to ?? ''}${d.snoozeUntil ? ` (snoozed until ${fullTime(new Date(Number(d.snoozeUntil)).toISOString())})` : ''}`;
    case 'conversation.priority':
      return `set priority ${d.from ?? 0} → ${d.to} (${priorityLabel(Number(d.to))})`;
    case 'conversation.labels': {
      const add = (d.add as string[] | undefined) ?? [];
      const rem = (d.remove as string[] | undefined) ?? [];
      return [add.length ? `added label${add.length > 1 ? 's' : ''} ${add.join(', ')}` : '', rem.length ? `removed ${rem.join(', ')}` : ''].filter(Boolean).join('; ') || 'changed labels';
    }
    case 'note.added':
      return 'added an internal note';
    case 'reply.queued':
      return `sent a ${d.visibility === 'private' ? 'private' : 'public'} reply`;
    case 'reply.pending_approval':
      return 'wrote a reply that needs approval';
    case 'reply.approved':
      return 'approved a reply';
    case 'reply.edited_and_approved':
      return 'edited and approved a reply';
    case 'reply.rewritten_for_sign_off':
      return 'rewrote a reply at sign-off and sent it back for sign-off';
    case 'reply.rejected':
      return `did not approve a reply${d.note ? `: “${String(d.note).slice(0, 200)}”` : ''}`;
    case 'expert.asked':
      return 'asked an expert';
    case 'expert.answered':
      return 'answered a question to experts';
    case 'sla.warning':
      return `warned: SLA ${String(d.clock ?? '').replace(/_/g, ' ')} due soon`;
    case 'sla.breached':
      return `recorded an SLA breach (${String(d.clock ?? '').replace(/_/g, ' ')})`;
    case 'contact.crm_linked':
      return 'linked the customer to the CRM, with consent';
    case 'contact.crm_unlinked':
      return 'removed the CRM link';
    case 'triage.corrected': {
      const before = (d.before ?? {}) as Record<string, unknown>;
      const after = (d.after ?? {}) as Record<string, unknown>;
      const show = (v: unknown) => (v == null ? '—' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v).replace(/_/g, ' '));
      const parts = Object.keys(after).map((k) => `${k} ${show(before[k])} → ${show(after[k])}`);
      return `corrected triage${parts.length ? `: ${parts.join(', ')}` : ''}`;
    }
    default:
      if (e.action.startsWith('moderation.')) {
        const failed = d.status === 'failed' ? ' — the network refused' : '';
        // an undo cites no rule: its reason, when one was given, is what it says
        if (!d.guideline) return `moderation: ${e.action.slice(11)}${d.evidence ? ` — “${String(d.evidence)}”` : ''}${failed}`;
        return `moderation: ${e.action.slice(11)}, citing “${String(d.guideline.title ?? d.guideline.code)}”${failed}`;
      }
      return e.action.replace(/[._]/g, ' ');
  }
}

export function AuditTrail({ audit, users, teams }: { audit: AuditEvent[]; users: Map<number, User>; teams: Map<number, Team> }) {
  const now = useNow();
  return (
    <section className="card audit" aria-labelledby="audit-title">
      <h2 id="audit-title">Activity</h2>
      {audit.length === 0 ? (
        <p className="muted small">No actions yet.</p>
      ) : (
        <ol className="plain-list audit-list">
          {audit.map((e) => (
            <li key={e.id}>
              <strong>{actorName(e, users)}</strong> {describeAudit(e, users, teams)}{' '}
              <time className="muted small" dateTime={e.createdAt ?? undefined} title={fullTime(e.createdAt)}>
                {shortAgo(e.createdAt, now)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
