/**
 * Settings → Audit log: every audited action of the brand, newest first, including the
 * many that belong to no conversation (CRM links, guidelines, people, settings, tokens,
 * sign-ins, channels, incidents). Filters by action, person, subject, conversation and
 * period; a CSV download of what the filters match. Read-only: the trail is never edited.
 * Everything the entries carry (names, token names, notes, settings) is shown as text.
 */
import { Link } from '@tanstack/react-router';
import { useId, useMemo, useState, type FormEvent } from 'react';
import { auditCsvHref, useAuditLog, type AuditFilters, type AuditLogEntry } from '../api/audit.js';
import { useTeams, useUsers } from '../api/queries.js';
import { fullTime, plain } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';
import { SelectField, Spinner } from '../ui/bits.js';
import { Section, TableScroll } from './fields.js';

/** Every action Parley audits, in words (unknown ones fall back to their code). */
export const AUDIT_ACTION_LABEL: Record<string, string> = {
  'auth.login': 'Signed in',
  'user.created': 'Added a person',
  'message.network_hidden': 'A post was found hidden by its network',
  'message.network_shown': 'A hidden post is shown again',
  'user.updated': 'Changed a person',
  'user.password_set': 'Set a person’s password',
  'user.password_changed': 'Changed their password',
  'user.availability': 'Changed availability',
  'user.conversations_released': 'Released a person’s conversations',
  'team.created': 'Created a team',
  'team.updated': 'Changed a team',
  'team.deleted': 'Removed a team',
  'user.passkey_added': 'Added a passkey',
  'user.passkey_removed': 'Removed a passkey',
  'auth.passkey_counter_regressed': 'Refused a passkey whose counter went backwards (a cloned authenticator?)',
  'sso.backchannel_logout': 'Signed out by the identity provider',
  'webhook.created': 'Added a webhook endpoint',
  'webhook.updated': 'Changed a webhook endpoint',
  'webhook.deleted': 'Removed a webhook endpoint',
  'webhook.secret_rotated': 'Rotated a webhook endpoint’s secret',
  'webhook.disabled': 'A webhook endpoint was turned off',
  'token.created': 'Created an API token',
  'settings.workflow': 'Changed workflow settings',
  'staffing.roster': 'Saved the staffing roster',
  'channel.connected': 'Connected a channel',
  'channel.updated': 'Changed a channel',
  'channel.reconnected': 'Reconnected a channel',
  'channel.calendar': 'Changed a channel’s business hours',
  'channel.unhealthy': 'Channel became unhealthy',
  'channel.recovered': 'Channel recovered',
  'guideline.published': 'Published a community guideline',
  'guideline.retired': 'Retired a community guideline',
  'snippet.created': 'Created a saved reply (snippet)',
  'snippet.updated': 'Changed a saved reply (snippet) or its wordings',
  'contact.crm_linked': 'Linked a customer to the CRM (with consent)',
  'contact.crm_consent_asked': 'Asked a customer for consent to a CRM link',
  'crm.consent_ask_text_set': 'Changed the CRM consent question',
  'contact.crm_unlinked': 'Removed a CRM link',
  'conversation.assigned': 'Assigned a conversation',
  'conversation.status': 'Changed a conversation’s status',
  'conversation.priority': 'Changed a conversation’s priority',
  'conversation.labels': 'Changed a conversation’s labels',
  'conversation.queued': 'Queued a conversation',
  'note.added': 'Added an internal note',
  'reply.queued': 'Sent a reply',
  'reply.pending_approval': 'Wrote a reply that needs approval',
  'reply.approved': 'Approved a reply',
  'reply.edited_and_approved': 'Edited and approved a reply',
  'reply.rewritten_for_sign_off': 'Rewrote a reply at sign-off (sent back for sign-off)',
  'reply.released': 'Released a reply held for an incident (the incident closed)',
  'reply.rejected': 'Did not approve a reply',
  'reply.sent': 'A reply went out',
  'reply.failed': 'A reply failed',
  'auto_ack.queued': 'Queued an automatic acknowledgement',
  'triage.corrected': 'Corrected triage',
  'expert.asked': 'Asked an expert',
  'expert.answered': 'Answered a question to experts',
  'expert.overdue': 'A question to experts went unanswered',
  'expert.cancelled': 'A question to an expert was cancelled (the expert can no longer answer)',
  'sla.warning': 'SLA due soon',
  'sla.breached': 'SLA breached',
  'incident.opened': 'Opened an incident',
  'incident.closed': 'Closed an incident',
  'incident.statement': 'Sent an incident statement',
  'incident.statement_pending_approval': 'Wrote an incident statement that needs approval',
  'incident.statement_approved': 'Approved an incident statement',
  'incident.statement_edited_and_approved': 'Edited and approved an incident statement',
  'incident.statement_rewritten_for_sign_off': 'Rewrote an incident statement at sign-off (sent back for sign-off)',
  'incident.calm': 'Mentions back to normal (the incident may be closed)',
  'incident.statement_rejected': 'Did not approve an incident statement',
  'incident.statement_withdrawn': 'Withdrew an incident statement',
  'moderation.hide': 'Hid a post (citing a guideline)',
  'moderation.unhide': 'Unhid a post',
  'moderation.delete': 'Deleted a post (citing a guideline)',
  'moderation.block': 'Blocked an author (citing a guideline)',
  'moderation.unblock': 'Unblocked an author',
  'moderation.restrict': 'Restricted an author (citing a guideline)',
  'moderation.unrestrict': 'Unrestricted an author',
  'moderation.mute': 'Muted an author (citing a guideline)',
  'moderation.unmute': 'Unmuted an author',
  'moderation.report_post': 'Reported a post to the network (citing a guideline)',
  'moderation.report_account': 'Reported an account to the network (citing a guideline)',
  'moderation.report_not_filed': 'Confirmed an unanswered report to the network was not filed, and reported again',
  'guideline.report_reason': 'Changed a guideline\'s report reason',
};

/** Groups of actions the filter offers as prefixes. */
const ACTION_GROUPS: { prefix: string; label: string }[] = [
  { prefix: 'contact.crm_*', label: 'CRM links' },
  { prefix: 'auth.', label: 'Sign-ins' },
  { prefix: 'user.', label: 'People' },
  { prefix: 'team.', label: 'Teams' },
  { prefix: 'token.', label: 'API tokens' },
  { prefix: 'webhook.', label: 'Webhooks' },
  { prefix: 'settings.', label: 'Settings' },
  { prefix: 'channel.', label: 'Channels' },
  { prefix: 'guideline.', label: 'Guidelines' },
  { prefix: 'moderation.', label: 'Moderation' },
  { prefix: 'incident.', label: 'Incidents' },
  { prefix: 'conversation.', label: 'Conversations' },
  { prefix: 'reply.', label: 'Replies' },
  { prefix: 'expert.', label: 'Experts' },
  { prefix: 'sla.', label: 'SLA' },
  { prefix: 'triage.', label: 'Triage' },
];

const SUBJECT_LABEL: Record<string, string> = {
  conversation: 'Conversation',
  message: 'Message',
  note: 'Note',
  contact: 'Contact',
  user: 'Person',
  team: 'Team',
  api_token: 'API token',
  webhook_endpoint: 'Webhook endpoint',
  channel_account: 'Channel',
  community_guideline: 'Guideline',
  incident: 'Incident',
  expert_request: 'Question to experts',
  brand: 'Brand',
};

export const actionLabel = (action: string) => AUDIT_ACTION_LABEL[action] ?? action.replace(/[._]/g, ' ');

interface Draft {
  action: string;
  actorUserId: string;
  subjectType: string;
  subjectId: string;
  conversationId: string;
  from: string;
  to: string;
}

const EMPTY: Draft = { action: '', actorUserId: '', subjectType: '', subjectId: '', conversationId: '', from: '', to: '' };

/** `datetime-local` values (local time) as ISO; empty stays unset. */
const isoOf = (local: string) => {
  if (!local) return undefined;
  const t = new Date(local).getTime();
  return Number.isFinite(t) ? new Date(t).toISOString() : undefined;
};

function toFilters(d: Draft): AuditFilters {
  const num = (s: string) => (/^\d+$/.test(s.trim()) ? Number(s.trim()) : undefined);
  return {
    action: d.action || undefined,
    actorUserId: num(d.actorUserId),
    subjectType: d.subjectType || undefined,
    subjectId: d.subjectType && d.subjectId.trim() ? d.subjectId.trim() : undefined,
    conversationId: num(d.conversationId),
    from: isoOf(d.from),
    to: isoOf(d.to),
  };
}

type Problem = { field: 'conversationId' | 'subjectId' | 'period'; message: string };

function problemOf(d: Draft): Problem | null {
  if (d.conversationId.trim() && !/^\d+$/.test(d.conversationId.trim())) return { field: 'conversationId', message: 'A conversation is chosen by its number.' };
  if (d.subjectId.trim() && !d.subjectType) return { field: 'subjectId', message: 'Choose what kind of record the ID is.' };
  const f = isoOf(d.from);
  const t = isoOf(d.to);
  if (f && t && !(Date.parse(f) < Date.parse(t))) return { field: 'period', message: '“From” must be before “To”.' };
  return null;
}

export function AuditLogAdmin() {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [applied, setApplied] = useState<AuditFilters>({});
  const [error, setError] = useState<Problem | null>(null);
  const users = useUsers().data ?? [];
  const teams = useTeams().data;
  const names = useMemo<Names>(() => ({ people: new Map(users.map((u) => [u.id, u.name])), teams: new Map((teams ?? []).map((t) => [t.id, t.name])) }), [users, teams]);
  const log = useAuditLog(applied);
  const ids = { subjectId: useId(), conversationId: useId(), from: useId(), to: useId(), error: useId() };
  const set = (patch: Partial<Draft>) => setDraft((d) => ({ ...d, ...patch }));
  const invalid = (field: Problem['field']) => (error?.field === field ? { 'aria-invalid': true, 'aria-describedby': ids.error } : {});

  const apply = (e?: FormEvent, next = draft) => {
    e?.preventDefault();
    const problem = problemOf(next);
    setError(problem);
    if (!problem) setApplied(toFilters(next));
  };
  const showSubject = (type: string, id: string) => {
    const next = { ...draft, subjectType: type, subjectId: id };
    setDraft(next);
    apply(undefined, next);
  };
  const entries = log.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <Section
      title="Audit log"
      id="audit-title"
      description="Every audited action of the brand, newest first, including those that belong to no conversation. Entries cannot be changed."
      actions={
        <a className="btn btn-small" href={auditCsvHref(applied)} download="parley-audit.csv">
          Download CSV
        </a>
      }
    >
      <form className="filters audit-filters" onSubmit={apply} aria-label="Audit log filters" noValidate>
        <SelectField label="Action" value={draft.action} onChange={(e) => set({ action: e.target.value })}>
          <option value="">All actions</option>
          <optgroup label="Groups">
            {ACTION_GROUPS.map((g) => (
              <option key={g.prefix} value={g.prefix}>
                {g.label} (all)
              </option>
            ))}
          </optgroup>
          <optgroup label="One action">
            {Object.entries(AUDIT_ACTION_LABEL).map(([code, label]) => (
              <option key={code} value={code}>
                {label}
              </option>
            ))}
          </optgroup>
        </SelectField>
        <SelectField label="Person" value={draft.actorUserId} onChange={(e) => set({ actorUserId: e.target.value })}>
          <option value="">Anyone (and Parley)</option>
          {users.map((u) => (
            <option key={u.id} value={u.id}>
              {plain(u.name)}
            </option>
          ))}
        </SelectField>
        <SelectField label="Record" value={draft.subjectType} onChange={(e) => set({ subjectType: e.target.value })}>
          <option value="">Any kind</option>
          {Object.entries(SUBJECT_LABEL).map(([code, label]) => (
            <option key={code} value={code}>
              {label}
            </option>
          ))}
        </SelectField>
        <span className="inline-field">
          <label htmlFor={ids.subjectId}>Record ID</label>
          <input id={ids.subjectId} value={draft.subjectId} onChange={(e) => set({ subjectId: e.target.value })} maxLength={200} autoComplete="off" size={8} {...invalid('subjectId')} />
        </span>
        <span className="inline-field">
          <label htmlFor={ids.conversationId}>Conversation</label>
          <input id={ids.conversationId} value={draft.conversationId} onChange={(e) => set({ conversationId: e.target.value })} inputMode="numeric" autoComplete="off" size={8} {...invalid('conversationId')} />
        </span>
        <span className="inline-field">
          <label htmlFor={ids.from}>From</label>
          <input id={ids.from} type="datetime-local" value={draft.from} onChange={(e) => set({ from: e.target.value })} {...invalid('period')} />
        </span>
        <span className="inline-field">
          <label htmlFor={ids.to}>To</label>
          <input id={ids.to} type="datetime-local" value={draft.to} onChange={(e) => set({ to: e.target.value })} {...invalid('period')} />
        </span>
        <button type="submit" className="btn btn-small btn-primary">
          Apply
        </button>
        <button
          type="button"
          className="btn btn-small btn-ghost"
          onClick={() => {
            setDraft(EMPTY);
            setError(null);
            setApplied({});
          }}
        >
          Clear
        </button>
        {error && (
          <span id={ids.error} className="form-error" role="alert">
            {error.message}
          </span>
        )}
      </form>
      {log.isPending ? (
        <Spinner label="Loading the audit log" />
      ) : log.isError ? (
        <p className="form-error" role="alert">
          The audit log could not be read: {(log.error as Error).message}
        </p>
      ) : entries.length === 0 ? (
        <p className="muted">No audited actions match these filters.</p>
      ) : (
        <>
          <TableScroll label="Audit log">
            <table className="data-table audit-log">
              <thead>
                <tr>
                  <th scope="col">When</th>
                  <th scope="col">Who</th>
                  <th scope="col">What</th>
                  <th scope="col">Record</th>
                  <th scope="col">Conversation</th>
                  <th scope="col">Details</th>
                </tr>
              </thead>
              <tbody>
                {entries.map((e) => (
                  <AuditRow key={e.id} e={e} names={names} onSubject={showSubject} />
                ))}
              </tbody>
            </table>
          </TableScroll>
          {log.hasNextPage && (
            <p>
              <button type="button" className="btn btn-small" disabled={log.isFetchingNextPage} onClick={() => void log.fetchNextPage()}>
                {log.isFetchingNextPage ? 'Loading…' : 'Show older entries'}
              </button>
            </p>
          )}
        </>
      )}
    </Section>
  );
}

/** Names of the brand's people and teams by id, for the details. */
interface Names {
  people: Map<number, string>;
  teams: Map<number, string>;
}

const PERSON_KEY = /^(assignee|previousAssignee|user|agent|author|approver|expert)Id$/;
const TEAM_KEY = /^(team|previousTeam)Id$/;

/** A detail's key in words: "teamId" → "team", "previousAssigneeId" → "previous assignee". */
function detailKey(k: string): string {
  const bare = PERSON_KEY.test(k) || TEAM_KEY.test(k) ? k.slice(0, -2) : k;
  return bare.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();
}

/**
 * A detail's value as a care lead reads it: people and teams by name (their id when they are
 * gone), nothing as "none", a routing reason code in words, a nested record ("to") as
 * "assignee Ana Agent · team Care". Strings stay exactly as stored.
 */
function detailText(k: string, v: unknown, names: Names): string {
  if (v == null) return 'none';
  const id = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : null;
  if (id != null && PERSON_KEY.test(k)) return names.people.get(id) ?? `person ${id}`;
  if (id != null && TEAM_KEY.test(k)) return names.teams.get(id) ?? `team ${id}`;
  if (typeof v === 'string') return k === 'reason' && /^[a-z]+(_[a-z]+)+$/.test(v) ? v.replace(/_/g, ' ') : v;
  if (Array.isArray(v)) return v.every((x) => typeof x !== 'object' || x === null) ? v.map((x) => detailText(k, x, names)).join(', ') : JSON.stringify(v);
  if (typeof v === 'object') return Object.entries(v).map(([kk, vv]) => `${detailKey(kk)} ${detailText(kk, vv, names)}`).join(' · ') || 'none';
  return String(v);
}

function AuditRow({ e, names, onSubject }: { e: AuditLogEntry; names: Names; onSubject: (type: string, id: string) => void }) {
  const data = Object.entries(e.data ?? {});
  const subject = SUBJECT_LABEL[e.subjectType] ?? e.subjectType;
  return (
    <tr data-audit-id={e.id} data-action={e.action}>
      <td className="small">
        <time dateTime={e.createdAt ?? undefined}>{fullTime(e.createdAt)}</time>
      </td>
      <td>
        {/* isolated and with control codes shown, like SafeText, but wrapped between words only: on a
            phone the narrow column would otherwise break a name inside its words ("De mo Adm in") */}
        <bdi>{plain(e.actorName)}</bdi>
      </td>
      <td>
        {actionLabel(e.action)}
        <br />
        <code className="muted small">{e.action}</code>
      </td>
      <td className="small">
        {subject}{' '}
        <button type="button" className="link-button" onClick={() => onSubject(e.subjectType, e.subjectId)} title={`Show only entries about this ${subject.toLowerCase()}`}>
          <SafeText text={e.subjectId} linkify={false} />
        </button>
      </td>
      <td className="small">
        {e.conversationId != null ? (
          <Link to="/inbox/$view" params={{ view: 'all' }} search={{ c: e.conversationId }}>
            #{e.conversationId}
          </Link>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="small">
        {data.length === 0 ? (
          <span className="muted">—</span>
        ) : (
          <dl className="facts channel-facts audit-data">
            {data.map(([k, v]) => (
              <div key={k}>
                <dt>
                  <SafeText text={detailKey(k)} linkify={false} />
                </dt>
                <dd>
                  <SafeText text={detailText(k, v, names)} linkify={false} />
                </dd>
              </div>
            ))}
          </dl>
        )}
      </td>
    </tr>
  );
}
