/**
 * One conversation: who and where, the actions (assign, status, snooze, priority,
 * labels), who else is here (presence), the thread with notes, the author card and
 * audit trail, and the composer. Loaded lazily: the inbox list renders without it.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client.js';
import { useAssign, useChannels, useConversation, useMe, useSetLabels, useSetPriority, useSetStatus, useTeams, useUsers } from '../api/queries.js';
import type { ConversationStatus, Message, Team, User } from '../api/types.js';
import { fullTime, networkLabel, PRIORITY_PRESETS, priorityLabel, STATUS_LABEL, zoneLabel } from '../lib/format.js';
import { isTypingTarget, useHotkeys } from '../lib/keyboard.js';
import { setPresence, usePresence, usePresenceHeartbeat } from '../live/presence.js';
import { AssignDialog } from '../inbox/AssignDialog.js';
import { SnoozeDialog } from '../inbox/SnoozeDialog.js';
import { Avatar, EyeIcon, NetworkBadge, Spinner, StatusBadge, VisibilityBadge, SelectField } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { Composer, type ComposerHandle } from './Composer.js';
import { customerName } from './customerName.js';
import { AuditTrail, AuthorCard } from './Sidepanel.js';
import { Thread } from './Thread.js';
import { CorrectTriageDialog } from './TriagePanel.js';
import { SlaClocks, SlaCountdown } from '../workflow/Sla.js';
import { AskExpertDialog, ExpertRequestsCard } from '../workflow/Experts.js';
import { IncidentReplyCard } from '../workflow/IncidentReply.js';
import { useIncidents, useLinkIncident } from '../api/workflow.js';
import { GuidancePanel } from '../workflow/Guidance.js';
import { ModerationDialog, UndoModerationDialog, useModerationLive, type UndoTarget } from '../workflow/Moderation.js';

/**
 * When a snooze ends, to the minute (its seconds say nothing) and in the zone it is shown in,
 * like every absolute time of the desk (lib/format.ts `fullTime`): "Mon 7 Dec, 13:45 GMT" in the browser's locale.
 */
const snoozeTime = (d: Date) => {
  const zone = zoneLabel(d.getTime());
  const when = d.toLocaleString(undefined, { weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
  return zone ? `${when} ${zone}` : when;
};

/** Who may correct triage (POST /api/messages/:id/triage). */
const CAN_CORRECT_TRIAGE = new Set(['agent', 'approver', 'admin']);
/** Who may moderate, and undo it (POST /api/messages/:id/moderation). */
const CAN_MODERATE = new Set(['agent', 'approver', 'admin']);
/** The brand's moderation policy for me (workflow setting `moderation.allowedRoles`): whether I may, and why not. */
const useModerationPolicy = () =>
  useQuery({ queryKey: ['moderation', 'policy'], queryFn: () => api<{ allowedRoles: string[]; allowed: boolean; reason: string | null }>('GET', '/api/moderation/policy'), staleTime: 60_000 });

export default function ConversationPane({ id, onClose, onOpenConversation }: { id: number; onClose: () => void; onOpenConversation: (id: number | undefined) => void }) {
  const q = useConversation(id);
  // null for the render between signing out and this page going (api/queries.ts signedOut)
  const me = useMe().data;
  const usersQ = useUsers();
  const teamsQ = useTeams();
  const channelsQ = useChannels();
  const users = useMemo(() => new Map<number, User>((usersQ.data ?? []).map((u) => [u.id, u])), [usersQ.data]);
  const teams = useMemo(() => new Map<number, Team>((teamsQ.data ?? []).map((t) => [t.id, t])), [teamsQ.data]);
  // present only once it has loaded: one that could not be has no presence to keep (a 404)
  const onTyping = usePresenceHeartbeat(q.data && !q.isError ? id : null);
  const presence = usePresence(id).filter((p) => p.userId !== me?.user.id);
  const composer = useRef<ComposerHandle>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const assignRef = useRef<HTMLButtonElement>(null);
  // "Take it" goes once the conversation is yours: focus moves to the Assign button beside it
  // ("Assigned: me"), not to the page
  const tookIt = useRef(false);
  const assigneeId = q.data?.conversation.assigneeId;
  useEffect(() => {
    if (!tookIt.current || assigneeId !== me?.user.id) return;
    tookIt.current = false;
    if (document.activeElement === document.body || document.activeElement == null) assignRef.current?.focus();
  }, [assigneeId, me?.user.id]);
  const toast = useToast();
  const assign = useAssign();
  const setStatus = useSetStatus();
  const setPriority = useSetPriority();
  const setLabels = useSetLabels();
  const linkIncident = useLinkIncident();
  const modPolicy = useModerationPolicy().data;
  // the brand may keep moderation to its leads: the action stays visible, disabled, with the reason
  const moderateBlocked = modPolicy && !modPolicy.allowed ? (modPolicy.reason ?? 'Your role may not take moderation actions in this brand.') : undefined;
  const openIncidents = (useIncidents().data ?? []).filter((i) => i.status === 'open');
  const [assignOpen, setAssignOpen] = useState(false);
  const [snoozeOpen, setSnoozeOpen] = useState(false);
  const [asideOpen, setAsideOpen] = useState(false);
  const asideToggleRef = useRef<HTMLButtonElement>(null);
  // Messages newer than what was there on opening get a "New" mark.
  const [openedAt, setOpenedAt] = useState<number | null>(null);
  const [askOpen, setAskOpen] = useState(false);
  const [moderating, setModerating] = useState<Message | null>(null);
  const [correcting, setCorrecting] = useState<Message | null>(null);
  const [undoing, setUndoing] = useState<UndoTarget | null>(null);
  // colleagues' moderation (and its undoing) shows here without a reload
  useModerationLive();

  // Presence from the detail response seeds the live store (events keep it current).
  const seeded = useRef(false);
  useEffect(() => {
    if (q.data && !seeded.current) {
      seeded.current = true;
      if (q.data.presence.length) setPresence(id, q.data.presence);
      setOpenedAt(q.data.messages.reduce((mx, m) => Math.max(mx, m.id), 0));
    }
  }, [q.data, id]);

  // Focus the conversation heading when it opens, so screen readers and keyboard users land here.
  useEffect(() => {
    // Opened from its row (Enter or a click), focus follows too: j / k still move along the list.
    const from = document.activeElement;
    if (q.data && (from === document.body || from == null || (from instanceof HTMLElement && from.matches('a.row-link, .hit-row a')))) headingRef.current?.focus({ preventScroll: true });
  }, [!!q.data]); // eslint-disable-line react-hooks/exhaustive-deps

  const c = q.data?.conversation;
  const act = <T,>(p: Promise<T>, done: string) => p.then(() => toast(done)).catch((err: Error) => toast(err.message, 'error'));
  /**
   * Set the status (resolve, reopen, snooze, ...); its toast offers Undo for a few seconds, which
   * puts back the status (and the snooze, while still ahead) it had, through the same API (audited
   * like any change).
   */
  const changeStatus = (status: ConversationStatus, done: string, snoozeUntil?: string) => {
    if (!c) return;
    const before = { status: c.status, snoozedUntil: c.snoozedUntil };
    const changed = before.status !== status || !!snoozeUntil || (status === 'waiting' && before.snoozedUntil != null);
    void setStatus.mutateAsync({ id, status, snoozeUntil }).then(
      () => toast(done, 'info', changed ? { action: { label: 'Undo', name: `Undo: ${done}`, run: () => undoStatus(before) } } : undefined),
      (err: Error) => toast(err.message, 'error'),
    );
  };
  const undoStatus = (before: { status: ConversationStatus; snoozedUntil: string | null }) => {
    const snoozeUntil = before.status === 'waiting' && before.snoozedUntil && Date.parse(before.snoozedUntil) > Date.now() ? before.snoozedUntil : null;
    const label = STATUS_LABEL[before.status] ?? before.status;
    void setStatus.mutateAsync({ id, status: before.status, snoozeUntil }).then(
      () => toast(`Undone: ${label} again${snoozeUntil ? `, snoozed until ${snoozeTime(new Date(snoozeUntil))}` : ''}`),
      (err: Error) => toast(`Could not undo: ${err.message}`, 'error'),
    );
  };

  // On a phone, "Customer & activity" covers the thread: Esc goes back to it before it closes the
  // conversation. Taken on the document, before the inbox's Esc on the window, which skips a
  // prevented key; not while typing in a field or with a dialog open (they own Esc then).
  useEffect(() => {
    if (!asideOpen) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || isTypingTarget(e.target) || document.querySelector('dialog[open]')) return;
      // wide enough for both side by side (no toggle shown): nothing covers the thread
      const toggle = asideToggleRef.current;
      if (!toggle?.checkVisibility()) return;
      e.preventDefault();
      setAsideOpen(false);
      toggle.focus();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [asideOpen]);

  useHotkeys({
    r: () => composer.current?.focus(c?.visibility === 'private' ? 'private' : 'public'),
    p: () => composer.current?.focus('private'),
    n: () => composer.current?.focus('note'),
    a: () => setAssignOpen(true),
    s: () => setSnoozeOpen(true),
    e: () => {
      if (!c) return;
      if (c.status === 'resolved') return false;
      changeStatus('resolved', 'Resolved');
    },
  });

  if (!me) return null;
  if (q.isPending) {
    return (
      <div className="pane-empty">
        <Spinner label="Loading conversation" />
      </div>
    );
  }
  if (q.isError || !q.data || !c) {
    return (
      <div className="pane-empty" role="alert">
        <p>This conversation could not be loaded: {(q.error as Error | null)?.message ?? 'not found'}</p>
        <button type="button" className="btn" onClick={onClose}>
          Back to the list
        </button>
      </div>
    );
  }
  const d = q.data;
  const channel = channelsQ.data?.find((a) => a.id === c.channelAccountId);
  const assignee = c.assigneeId != null ? users.get(c.assigneeId) : undefined;
  const team = c.teamId != null ? teams.get(c.teamId) : undefined;
  // named as the inbox row names them (customerName.ts); the first author's handle when the contact has none
  const name = c.statement ? 'Brand statement' : customerName(c.network, c.contact, 200, d.messages.find((m) => m.author)?.author?.handle);
  const typing = presence.filter((p) => p.state === 'typing');

  return (
    <div className={`conversation${asideOpen ? ' aside-open' : ''}`}>
      <div className="conv-head">
        <button type="button" className="btn btn-small btn-ghost back-button" onClick={onClose} aria-label="Back to the list">
          ← List
        </button>
        <Avatar name={name} seed={c.contact?.handle ?? name} />
        <div className="conv-title">
          <h2 ref={headingRef} tabIndex={-1} dir="auto">
            {name}
          </h2>
          <div className="conv-sub">
            <StatusBadge status={c.status} />
            <NetworkBadge network={c.network} />
            <VisibilityBadge visibility={c.visibility} />
            {channel && (
              <span className={channel.status !== 'active' ? 'badge badge-danger' : 'muted small'} title={channel.status !== 'active' ? String(channel.health.message ?? channel.status) : undefined}>
                via {networkLabel(channel.network)} @{channel.handle}
                {channel.status !== 'active' ? ` — ${channel.status}` : ''}
              </span>
            )}
            <SlaCountdown conversation={c} />
            {c.snoozedUntil && c.status === 'waiting' && <span className="badge" title={fullTime(c.snoozedUntil)}>Snoozed until {snoozeTime(new Date(c.snoozedUntil))}</span>}
            {c.sentiment && <span className={`badge sent-${c.sentiment.slice(0, 3)}`}>{c.sentiment}</span>}
            {c.category && <span className="badge">{c.category.replace(/_/g, ' ')}</span>}
          </div>
        </div>
        <button type="button" ref={asideToggleRef} className="btn btn-small btn-ghost aside-toggle" aria-expanded={asideOpen} onClick={() => setAsideOpen((x) => !x)}>
          {asideOpen ? 'Show thread' : 'Customer & activity'}
        </button>
      </div>

      <div className="conv-actions" role="toolbar" aria-label="Conversation actions">
        <button type="button" className="btn btn-small" ref={assignRef} onClick={() => setAssignOpen(true)} title="Assign (a)">
          {assignee ? `Assigned: ${assignee.id === me.user.id ? 'me' : assignee.name}` : 'Assign'}
          {team ? ` · ${team.name}` : ''}
        </button>
        {c.assigneeId !== me.user.id && (
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => {
              tookIt.current = true;
              void act(assign.mutateAsync({ id, assigneeId: me.user.id }), 'Assigned to you');
            }}
          >
            Take it
          </button>
        )}
        <SelectField label="Status" hideLabel value={c.status} onChange={(e) => changeStatus(e.target.value as ConversationStatus, `Status: ${STATUS_LABEL[e.target.value] ?? e.target.value}`)}>
            <option value="new">New</option>
            <option value="open">Open</option>
            <option value="waiting">Waiting on customer</option>
            <option value="resolved">Resolved</option>
          </SelectField>
        {c.status === 'resolved' ? (
          <button type="button" className="btn btn-small" onClick={() => changeStatus('open', 'Reopened')}>
            Reopen
          </button>
        ) : (
          <button type="button" className="btn btn-small btn-primary" onClick={() => changeStatus('resolved', 'Resolved')} title="Resolve (e)">
            Resolve
          </button>
        )}
        <button type="button" className="btn btn-small" onClick={() => setSnoozeOpen(true)} title="Snooze (s)">
          Snooze…
        </button>
        <SelectField label="Priority" hideLabel value={String(c.priority)} onChange={(e) => void act(setPriority.mutateAsync({ id, priority: Number(e.target.value) }), `Priority: ${priorityLabel(Number(e.target.value))}`)}>
            {[...new Set([...PRIORITY_PRESETS.map((x) => x.value), c.priority])].sort((a, b) => a - b).map((p) => (
              <option key={p} value={String(p)}>
                Priority: {priorityLabel(p)} ({p})
              </option>
            ))}
          </SelectField>
        {d.contact && CAN_MODERATE.has(me.user.role) && (openIncidents.length > 0 || c.incidentId != null) && (
          // a mass problem: which customers it affects, so they are counted and answered one by one
          <SelectField
            label="Incident"
            hideLabel
            value={c.incidentId != null ? String(c.incidentId) : ''}
            onChange={(e) => {
              const incidentId = e.target.value ? Number(e.target.value) : null;
              void act(linkIncident.mutateAsync({ id, incidentId }), incidentId != null ? 'Linked to the incident' : 'No longer linked to the incident');
            }}
          >
            <option value="">Not part of an incident</option>
            {c.incidentId != null && !openIncidents.some((i) => i.id === c.incidentId) && <option value={String(c.incidentId)}>Incident #{c.incidentId} (closed)</option>}
            {openIncidents.map((i) => (
              <option key={i.id} value={String(i.id)}>
                Incident: {i.title}
              </option>
            ))}
          </SelectField>
        )}
        <button type="button" className="btn btn-small" onClick={() => setAskOpen(true)}>
          Ask an expert…
        </button>
        <Labels labels={c.labels} onAdd={(l) => void act(setLabels.mutateAsync({ id, add: [l] }), `Label “${l}” added`)} onRemove={(l) => void act(setLabels.mutateAsync({ id, remove: [l] }), `Label “${l}” removed`)} />
      </div>

      {presence.length > 0 && (
        <div className="presence-bar" role="status">
          <EyeIcon />{' '}
          {typing.length > 0
            ? `${typing.map((p) => p.name).join(', ')} ${typing.length > 1 ? 'are' : 'is'} typing a reply…`
            : `${presence.map((p) => p.name).join(', ')} ${presence.length > 1 ? 'are' : 'is'} also viewing this conversation`}
        </div>
      )}

      <div className="conv-body">
        <div className="conv-main">
          <Thread messages={d.messages} notes={d.notes} users={users} channel={channel} highlightAfter={openedAt} meId={me.user.id} onModerate={setModerating} moderateBlocked={moderateBlocked} onCorrectTriage={CAN_CORRECT_TRIAGE.has(me.user.role) ? setCorrecting : undefined} moderation={d.moderation} onUndoModeration={CAN_MODERATE.has(me.user.role) && !moderateBlocked ? setUndoing : undefined} />
          <Composer ref={composer} conversation={c} messages={d.messages} users={users} meId={me.user.id} onTyping={onTyping} listenOnly={channel?.listenOnly ? channel.handle : null} />
        </div>
        <aside className="conv-aside" aria-label="Customer and activity">
          <GuidancePanel conversationId={id} />
          <AuthorCard conversation={c} contact={d.contact} messages={d.messages} onOpenConversation={(pid) => onOpenConversation(pid)} />
          <IncidentReplyCard conversationId={id} incidentId={c.incidentId} />
          <ExpertRequestsCard conversationId={id} onAsk={() => setAskOpen(true)} />
          <SlaClocks conversationId={id} />
          <AuditTrail audit={d.audit} users={users} teams={teams} />
        </aside>
      </div>

      <AssignDialog
        open={assignOpen}
        onClose={() => setAssignOpen(false)}
        currentAssigneeId={c.assigneeId}
        currentTeamId={c.teamId}
        onPick={(choice) => {
          setAssignOpen(false);
          void act(assign.mutateAsync({ id, assigneeId: choice.assigneeId, teamId: choice.teamId }), choice.done);
        }}
      />
      <AskExpertDialog open={askOpen} onClose={() => setAskOpen(false)} conversationId={id} />
      <ModerationDialog message={moderating} onClose={() => setModerating(null)} />
      <UndoModerationDialog target={undoing} channel={channel} users={users} onClose={() => setUndoing(null)} />
      <CorrectTriageDialog message={correcting} onClose={() => setCorrecting(null)} />
      <SnoozeDialog
        open={snoozeOpen}
        onClose={() => setSnoozeOpen(false)}
        onSnooze={(until) => {
          setSnoozeOpen(false);
          changeStatus('waiting', `Snoozed until ${snoozeTime(until)}`, until.toISOString());
        }}
      />
    </div>
  );
}

function Labels({ labels, onAdd, onRemove }: { labels: string[]; onAdd: (l: string) => void; onRemove: (l: string) => void }) {
  const [value, setValue] = useState('');
  const groupRef = useRef<HTMLDivElement>(null);
  // a label removed, its chip (and the button that had focus) goes: focus the chip that took its
  // place, else the one before, else the add box; never the page
  const removedAt = useRef<number | null>(null);
  useEffect(() => {
    const index = removedAt.current;
    const g = groupRef.current;
    if (index == null || !g) return;
    removedAt.current = null;
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    const xs = [...g.querySelectorAll<HTMLElement>('.chip-x')];
    (xs[Math.min(index, xs.length - 1)] ?? g.querySelector<HTMLElement>('.label-input'))?.focus();
  }, [labels]);
  const remove = (l: string, index: number) => {
    removedAt.current = index;
    onRemove(l);
  };
  return (
    <div className="labels" role="group" aria-label="Labels" ref={groupRef}>
      {labels.map((l, i) => (
        <span key={l} className="badge label">
          {l}
          <button type="button" className="chip-x" aria-label={`Remove label ${l}`} onClick={() => remove(l, i)}>
            ×
          </button>
        </span>
      ))}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          const l = value.trim();
          if (l) onAdd(l);
          setValue('');
        }}
      >
        <label className="visually-hidden" htmlFor="add-label">
          Add a label
        </label>
        <input id="add-label" className="label-input" placeholder="+ label" maxLength={64} value={value} list="known-labels" onChange={(e) => setValue(e.target.value)} />
      </form>
    </div>
  );
}
