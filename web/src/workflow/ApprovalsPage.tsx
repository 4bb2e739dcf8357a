/**
 * Sign-off: replies and incident statements waiting for an approver, oldest first. Each
 * shows the draft, who wrote its current text, why it needs approval, and the conversation
 * it answers (or the incident a statement is about); the approver approves it, rejects it
 * with a note the author sees, or rewrites it — and then the new text is theirs: it is not
 * sent but goes back to the queue for someone else's sign-off (the list says who rewrote
 * whose draft). Only approved drafts are sent, and never on their author's own say-so; a
 * statement of a closed incident is not sent at all (it can only be rejected). Live: the
 * queue follows new drafts and other approvers' decisions.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { ApiError } from '../api/client.js';
import { useChannels, useConversation, useMe, useUsers } from '../api/queries.js';
import type { Me, PendingApproval, ReplyCheck, User } from '../api/types.js';
import { useApprovals, useReview } from '../api/workflow.js';
import { clip, fullTime, networkLabel, useNow } from '../lib/format.js';
import { agoText } from './Sla.js';
import { measureReply } from '../lib/length.js';
import { SafeText } from '../lib/SafeText.js';
import { Thread } from '../conversation/Thread.js';
import { NetworkBadge, Spinner, VisibilityBadge } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { Frame } from './Frame.js';
import { ChecksList } from './ReplyChecks.js';
import { FormError } from '../ui/DialogButtons.js';
import { SignOffWaitNotice, type SignOffWait } from './SignOffWait.js';


export function ApprovalsPage() {
  const me = useMe().data;
  if (!me) return null;
  return (
    <Frame me={me} title="Approvals" className="approvals-app">
      <Approvals me={me} />
    </Frame>
  );
}

function Approvals({ me }: { me: Me }) {
  const q = useApprovals();
  const search = useSearch({ from: '/approvals' });
  const navigate = useNavigate({ from: '/approvals' });
  const usersQ = useUsers();
  const users = useMemo(() => new Map<number, User>((usersQ.data ?? []).map((u) => [u.id, u])), [usersQ.data]);
  const now = useNow();
  const list: PendingApproval[] = q.data ?? [];
  const selectedId = search.m ?? list[0]?.id ?? null;
  const selected = list.find((x) => x.id === selectedId) ?? null;
  const [handled, setHandled] = useState<string | null>(null);
  /** After a decision, focus goes to the draft that took the decided one's place in the list (none left: the list's heading). */
  const [focusNext, setFocusNext] = useState<{ id: number | null } | null>(null);
  useEffect(() => {
    if (!focusNext) return;
    const el = focusNext.id != null ? document.querySelector<HTMLElement>(`.approval-item[data-message-id="${focusNext.id}"]`) : document.getElementById('approval-list-title');
    if (!el) return;
    el.focus();
    setFocusNext(null);
  }, [focusNext, list]);
  const reviewer = me.user.role === 'approver' || me.user.role === 'admin';

  if (q.isPending) return <Spinner label="Loading replies waiting for approval" />;
  if (q.isError)
    return (
      <p className="form-error" role="alert">
        Could not load approvals: {(q.error as Error).message}
      </p>
    );

  return (
    <div className="approvals">
      <section className="approval-list-pane" aria-labelledby="approval-list-title">
        <h2 id="approval-list-title" tabIndex={-1}>
          Waiting <span className="muted">{list.length}</span>
        </h2>
        {handled && (
          <p className="small approval-handled" role="status">
            {handled}
          </p>
        )}
        {list.length === 0 ? (
          <p className="muted">Nothing waiting. Replies that need sign-off appear here as agents send them.</p>
        ) : (
          <ul className="plain-list approval-list">
            {list.map((a) => (
              <li key={a.id}>
                <Link to="/approvals" search={{ m: a.id }} className={`approval-item${a.id === selectedId ? ' active' : ''}`} aria-current={a.id === selectedId ? 'true' : undefined} data-message-id={a.id}>
                  <span className="approval-top">
                    <strong>{a.authorName ?? 'Someone'}</strong>
                    {a.rewrite && <span className="badge badge-warn approval-rewritten">Rewritten from {a.rewrite.previousAuthorName ?? 'another'}’s draft</span>}
                    {a.statement && <span className="badge badge-danger">Incident statement</span>}
                    {a.statement?.incidentStatus === 'closed' && <span className="badge">Incident closed</span>}
                    <span className="muted small">{agoText(a.createdAt, now)}</span>
                  </span>
                  <span className="approval-draft small" dir="auto">
                    {clip(a.text, 140)}
                  </span>
                  <span className="approval-reasons-inline">
                    {a.reasons.map((r) => (
                      <span key={r.code} className="badge badge-warn">
                        {reasonLabel(r.code)}
                      </span>
                    ))}
                  </span>
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="approval-detail" aria-label="Reply to review">
        {selected ? (
          <ReviewPanel
            key={selected.id}
            a={selected}
            me={me}
            users={users}
            reviewer={reviewer}
            onDone={(msg) => {
              setHandled(msg);
              // its neighbour in the list: the one after it, else the one before
              const at = list.findIndex((x) => x.id === selected.id);
              const next = list[at + 1] ?? (at > 0 ? list[at - 1] : undefined);
              void navigate({ search: { m: next?.id } });
              setFocusNext({ id: next?.id ?? null });
            }}
          />
        ) : search.m ? (
          <p className="muted">This draft is no longer waiting for sign-off: it was decided on, or withdrawn when its incident was closed.</p>
        ) : (
          <p className="muted">Pick a reply to review.</p>
        )}
      </section>
    </div>
  );
}

const REASON_LABEL: Record<string, string> = {
  'approval.agent_listed': 'This agent’s replies need sign-off',
  'approval.agent_flagged': 'Agent in training',
  'approval.high_reach': 'High reach',
  'approval.verified_author': 'Verified author',
  'approval.public_negative_complaint': 'Public complaint',
  'approval.keyword': 'Sensitive words',
  'approval.refund': 'Refund',
  'approval.amount_over_limit': 'Amount over limit',
  'approval.incident': 'During an incident',
  'approval.incident_statement': 'Incident statement',
  'approval.rewritten_at_sign_off': 'Rewritten at sign-off',
};
const reasonLabel = (code: string) => REASON_LABEL[code] ?? code.replace(/^approval\./, '').replace(/_/g, ' ');

function ReviewPanel({ a, me, users, reviewer, onDone }: { a: PendingApproval; me: Me; users: Map<number, User>; reviewer: boolean; onDone: (msg: string) => void }) {
  const conv = useConversation(a.conversationId);
  const channel = useChannels().data?.find((c) => c.id === a.channelAccountId);
  const review = useReview();
  const toast = useToast();
  const [mode, setMode] = useState<'view' | 'edit' | 'reject'>('view');
  const [text, setText] = useState(a.text);
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [checks, setChecks] = useState<ReplyCheck[]>([]);
  // Edit… and Reject… give way to a field: focus goes into it, and back to the button that opened it on Cancel
  const editRef = useRef<HTMLTextAreaElement>(null);
  const noteRef = useRef<HTMLTextAreaElement>(null);
  const editButton = useRef<HTMLButtonElement>(null);
  const rejectButton = useRef<HTMLButtonElement>(null);
  const lastMode = useRef(mode);
  useEffect(() => {
    const was = lastMode.current;
    lastMode.current = mode;
    if (was === mode) return;
    if (mode === 'edit') editRef.current?.focus();
    else if (mode === 'reject') noteRef.current?.focus();
    else (was === 'edit' ? editButton.current : rejectButton.current)?.focus();
  }, [mode]);
  const own = a.authorUserId === me.user.id;
  // the author of the current text may sign off a rewrite of it only when they sign drafts off at all
  const authorSignsOff = ['approver', 'admin'].includes(users.get(a.authorUserId ?? -1)?.role ?? '');
  const authorMay = authorSignsOff && a.authorName ? ` (${a.authorName} may sign it off)` : '';
  const m = measureReply(a.network, a.visibility === 'private' ? 'private' : 'public', text);
  useEffect(() => setText(a.text), [a.text]);

  const what = a.statement ? 'statement' : 'reply';
  // nothing about a closed incident is published: the server refuses the approval, so only rejecting is offered
  const incidentClosed = a.statement?.incidentStatus === 'closed';
  const decide = (decision: 'approve' | 'reject') => {
    setError(null);
    setChecks([]);
    review.mutate(
      { id: a.id, decision, text: decision === 'approve' && mode === 'edit' && text !== a.text ? text : null, note: note.trim() || null },
      {
        onSuccess: () => {
          const whose = a.authorName ? `${a.authorName}’s` : 'the';
          const rewritten = decision === 'approve' && mode === 'edit' && text !== a.text;
          const msg = rewritten
            ? `You rewrote ${whose} ${what}: it is not sent yet. It waits for sign-off by another approver or admin${authorMay}.`
            : decision === 'approve'
              ? `Approved ${whose} ${what}: it is being sent.`
              : `Rejected ${whose} ${what}; the author sees your note.`;
          toast(msg);
          onDone(msg);
        },
        onError: (err) => {
          if (err instanceof ApiError && Array.isArray(err.body.checks)) setChecks(err.body.checks as ReplyCheck[]);
          setError(err instanceof ApiError && err.code === 'approval.not_pending' ? `${err.message}. Someone else decided first.` : err instanceof ApiError && err.code === 'incident.closed' ? `${err.message}. It can only be rejected now.` : (err as Error).message);
        },
      },
    );
  };

  return (
    <div className="review">
      <div className="review-head">
        <h2>
          {a.statement ? 'Incident statement' : 'Reply'} by {a.authorName ?? 'someone'} <span className="muted small">· {fullTime(a.createdAt)}</span>
        </h2>
        {a.rewrite && (
          <p className="small approval-rewrite-note" role="note">
            <strong>{a.rewrite.editedByName || a.authorName || 'A reviewer'}</strong> rewrote {a.rewrite.previousAuthorName ? <strong>{a.rewrite.previousAuthorName}</strong> : 'the author'}’s draft at sign-off: the text below is theirs, so someone other than them signs it off.
          </p>
        )}
        {own && <SignOffWaitNotice wait={(a as PendingApproval & { signOff?: SignOffWait | null }).signOff ?? null} />}
        <div className="row-gap">
          <VisibilityBadge visibility={a.visibility} />
          <NetworkBadge network={a.network} />
          {channel && <span className="muted small">as @{channel.handle}</span>}
          {a.statement ? (
            <Link to="/incidents" className="small">
              Incident: {a.statement.incidentTitle}
            </Link>
          ) : (
            <Link to="/inbox/$view" params={{ view: 'all' }} search={{ c: a.conversationId }} className="small">
              Open the conversation
            </Link>
          )}
        </div>
        {a.statement && !incidentClosed && <p className="small muted">A top-level post for the whole brand, not an answer to one person: it goes out from @{channel?.handle ?? 'the account'} once approved.</p>}
        {incidentClosed && (
          <p className="small" role="note">
            <strong>The incident is closed:</strong> this statement is not published. Reject it to clear it from the queue.
          </p>
        )}
      </div>
      <div className="review-why" role="note">
        <strong>Why it needs approval</strong>
        <ul>
          {a.reasons.map((r) => (
            <li key={r.code} data-reason={r.code}>
              {r.message}
            </li>
          ))}
        </ul>
      </div>
      <div className="review-draft">
        <h3>The draft</h3>
        {mode === 'edit' ? (
          <>
            <label htmlFor="edit-draft" className="visually-hidden">
              Edit the {what}
            </label>
            <textarea ref={editRef} id="edit-draft" className="composer-text" rows={4} value={text} onChange={(e) => setText(e.target.value)} aria-describedby="edit-count" />
            <span id="edit-count" className={`counter${m.over ? ' over' : ''}`}>
              {m.length} / {m.limit} on {networkLabel(a.network)}
            </span>
          </>
        ) : (
          <blockquote className="draft-text">
            <SafeText text={a.text} />
          </blockquote>
        )}
      </div>
      {mode === 'reject' && (
        <label className="field">
          <span>Note to {a.authorName ?? 'the author'}: what should change?</span>
          <textarea ref={noteRef} id="reject-note" rows={3} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} required />
        </label>
      )}
      {mode === 'edit' && (
        <>
          <p id="edit-sends-back" className="small" role="note">
            Your edit makes the new text yours: it is <strong>not sent</strong>, but goes back to the queue for sign-off by another approver or admin{authorMay}. To send {a.authorName ? `${a.authorName}’s` : 'the'} text as it is, cancel and approve it.
          </p>
          <label className="field">
            <span>Note to {a.authorName ?? 'the author'} (optional)</span>
            <input value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
          </label>
        </>
      )}
      {checks.length > 0 && <ChecksList results={checks} visibility={a.visibility === 'private' ? 'private' : 'public'} />}
      <FormError error={error} />
      {!reviewer ? (
        <p className="muted">Approvers and admins sign replies off.</p>
      ) : own ? (
        <p className="muted">{a.rewrite ? `You rewrote this ${what}` : `You wrote this ${what}`}: another approver or admin signs it off.</p>
      ) : (
        <div className="row-gap review-actions">
          {mode === 'view' && (
            <>
              {!incidentClosed && (
                <>
                  <button type="button" className="btn btn-primary" onClick={() => decide('approve')} disabled={review.isPending}>
                    Approve and send
                  </button>
                  <button ref={editButton} type="button" className="btn" onClick={() => setMode('edit')}>
                    Edit…
                  </button>
                </>
              )}
              <button ref={rejectButton} type="button" className="btn" onClick={() => setMode('reject')}>
                Reject…
              </button>
            </>
          )}
          {mode === 'edit' && (
            <>
              <button type="button" className="btn btn-primary" onClick={() => decide('approve')} disabled={review.isPending || !text.trim() || m.over || text === a.text} aria-describedby="edit-sends-back">
                Edit and send back for sign-off
              </button>
              <button type="button" className="btn btn-ghost" onClick={() => (setMode('view'), setText(a.text))}>
                Cancel edit
              </button>
            </>
          )}
          {mode === 'reject' && (
            <>
              <button type="button" className="btn btn-danger" onClick={() => decide('reject')} disabled={review.isPending || note.trim().length === 0}>
                Reject with note
              </button>
              <button type="button" className="btn btn-ghost" onClick={() => setMode('view')}>
                Cancel
              </button>
            </>
          )}
        </div>
      )}
      {/* a statement answers no one: its own conversation holds only the statement */}
      {!a.statement && (
        <div className="review-context">
          <h3>The conversation</h3>
          {conv.isPending ? (
            <Spinner label="Loading the conversation" />
          ) : conv.isError || !conv.data ? (
            <p className="muted">The conversation could not be loaded: {(conv.error as Error | null)?.message}</p>
          ) : (
            <div className="review-thread">
              <Thread messages={conv.data.messages} notes={conv.data.notes} users={users} channel={channel} highlightAfter={null} meId={me.user.id} />
            </div>
          )}
        </div>
      )}
    </div>
  );
}
