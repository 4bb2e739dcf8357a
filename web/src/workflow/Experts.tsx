/**
 * Knowledge experts: an agent asks an expert (or an expert group) a question about a
 * conversation and keeps the conversation; the answer arrives as an internal note.
 * The conversation shows its open and answered questions.
 */
import { useMemo, useState } from 'react';
import { useMe, useTeams, useUsers } from '../api/queries.js';
import type { ExpertRequest, Team, User } from '../api/types.js';
import { useAskExpert, useCancelExpertRequest, useExpertAnswerHistory, useExpertRequests, useReassignExpertRequest } from '../api/workflow.js';
import { insertIntoReply } from '../conversation/Composer.js';
import { clip, fullTime, useNow } from '../lib/format.js';
import { agoText } from './Sla.js';
import { SafeText } from '../lib/SafeText.js';
import { Modal } from '../ui/Modal.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';
import { DialogButtons } from '../ui/DialogButtons.js';

/**
 * Whom a question may be asked of, as the server decides (askExpert): a knowledge expert
 * (role `expert`, not disabled) other than yourself, or an expert group — a team with an
 * active knowledge expert among its members, or with an answer target of its own — that
 * has someone other than yourself to answer it (you are never asked your own question).
 */
export function askableTargets(users: User[], teams: Team[], meId: number | null): { experts: User[]; groups: Team[] } {
  const byId = new Map(users.map((u) => [u.id, u]));
  const experts = users.filter((u) => u.role === 'expert' && !u.disabled && u.id !== meId);
  const groups = teams.filter((t) => {
    const isGroup = t.expertTargetMin != null || t.members.some((m) => {
      const u = byId.get(m.userId);
      return u?.role === 'expert' && !u.disabled;
    });
    const someoneElse = t.members.some((m) => m.userId !== meId && !byId.get(m.userId)?.disabled);
    return isGroup && someoneElse;
  });
  return { experts, groups };
}

/** The experts and expert groups a question can go to, as a select's options (`u:<id>`, `t:<id>`), leaving out `except` (where it is now). */
function ExpertTargetOptions({ experts, groups, except }: { experts: User[]; groups: Team[]; except?: string }) {
  const people = experts.filter((u) => `u:${u.id}` !== except);
  const teams = groups.filter((t) => `t:${t.id}` !== except);
  return (
    <>
      {people.length > 0 && (
        <optgroup label="Experts">
          {people.map((u) => (
            <option key={u.id} value={`u:${u.id}`}>
              {u.name}
            </option>
          ))}
        </optgroup>
      )}
      {teams.length > 0 && (
        <optgroup label="Expert groups">
          {teams.map((t) => (
            <option key={t.id} value={`t:${t.id}`}>
              {t.name}
            </option>
          ))}
        </optgroup>
      )}
    </>
  );
}

export function AskExpertDialog({ open, onClose, conversationId }: { open: boolean; onClose: () => void; conversationId: number }) {
  const users = useUsers().data ?? [];
  const teams = useTeams().data ?? [];
  const meId = useMe().data?.user.id ?? null;
  const { experts, groups } = askableTargets(users, teams, meId);
  const [target, setTarget] = useState('');
  const [question, setQuestion] = useState('');
  const [error, setError] = useState<RefusalInfo | null>(null);
  const ask = useAskExpert();
  const toast = useToast();

  const submit = () => {
    setError(null);
    const [kind, idStr] = target.split(':');
    const idNum = Number(idStr);
    if (!kind || !idNum) return setError({ code: 'form.target', detail: 'Choose an expert or an expert group.' });
    if (question.trim().length < 5) return setError({ code: 'form.question', detail: 'Write the question for the expert (at least a few words).' });
    ask.mutate(
      { conversationId, question: question.trim(), ...(kind === 'u' ? { expertId: idNum } : { teamId: idNum }) },
      {
        onSuccess: () => {
          toast('Question sent to the expert');
          setQuestion('');
          setTarget('');
          onClose();
        },
        onError: (err) => setError(refusalOf(err)),
      },
    );
  };

  return (
    <Modal open={open} onClose={onClose} title="Ask an expert" description="The expert sees this conversation and answers with an internal note. You keep the conversation and reply to the customer yourself.">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label className="field">
          <span>Who should answer</span>
          <select value={target} onChange={(e) => setTarget(e.target.value)} data-autofocus required>
            <option value="">Choose…</option>
            <ExpertTargetOptions experts={experts} groups={groups} />
          </select>
        </label>
        {experts.length === 0 && groups.length === 0 && <p className="muted small">There is no one to ask yet: questions go to people with the expert role, or to expert groups. Admins add them in Settings → People and Teams.</p>}
        <label className="field">
          <span>Your question</span>
          <textarea rows={4} value={question} maxLength={5000} onChange={(e) => setQuestion(e.target.value)} placeholder="What do you need to know to answer the customer?" required />
        </label>
        <Refusal refusal={error} lead="Not asked." />
        <DialogButtons disabled={ask.isPending} onCancel={onClose}>
          {ask.isPending ? 'Sending…' : 'Ask'}
        </DialogButtons>
      </form>
    </Modal>
  );
}

export function requestTarget(r: ExpertRequest, users: Map<number, User>, teams: Map<number, { name: string }>): string {
  if (r.expertId != null) return users.get(r.expertId)?.name ?? `expert #${r.expertId}`;
  if (r.teamId != null) return teams.get(r.teamId)?.name ?? `group #${r.teamId}`;
  return 'an expert';
}

/** A question as the conversation's list carries it: with its answer's text and author, and why it was cancelled. */
type ListedRequest = ExpertRequest;

/** Whether `me` may withdraw or reassign an open question: its asker, a lead (approver) or an admin. */
export function mayManageQuestion(r: ExpertRequest, me: { id: number; role: string } | null | undefined): boolean {
  return !!me && r.status === 'open' && (r.askedBy === me.id || me.role === 'approver' || me.role === 'admin');
}

/** Why a question was cancelled, in words. */
export function cancelledText(r: ExpertRequest): string {
  if (r.cancelReason === 'conversation_resolved') return 'Cancelled: the conversation was resolved. Ask again if you still need the answer.';
  if (r.cancelReason === 'withdrawn') return `Withdrawn${r.cancelNote ? `: ${r.cancelNote}` : '.'}`;
  return 'Cancelled: the expert can no longer answer (their account was disabled, or they are no longer an expert). Ask someone else.';
}

/**
 * Withdraw an open question (with an optional reason) or give it to another expert or expert
 * group (the same choices as asking: `askableTargets`, for the agent who asked). Buttons that open
 * a small form in place; they wrap on a phone.
 */
export function QuestionActions({ r, askerId }: { r: ExpertRequest; askerId: number }) {
  const users = useUsers().data ?? [];
  const teams = useTeams().data ?? [];
  const [mode, setMode] = useState<'none' | 'cancel' | 'reassign'>('none');
  const [reason, setReason] = useState('');
  const [target, setTarget] = useState('');
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const cancel = useCancelExpertRequest();
  const reassign = useReassignExpertRequest();
  const toast = useToast();
  const { experts, groups } = askableTargets(users, teams, askerId);
  const current = r.expertId != null ? `u:${r.expertId}` : `t:${r.teamId}`;
  const close = () => {
    setMode('none');
    setRefusal(null);
  };
  if (mode === 'none')
    return (
      <div className="row-gap expert-actions">
        <button type="button" className="btn btn-small" onClick={() => setMode('reassign')}>
          Reassign…
        </button>
        <button type="button" className="btn btn-small" onClick={() => setMode('cancel')}>
          Withdraw…
        </button>
      </div>
    );
  return (
    <form
      className="expert-action-form"
      aria-label={mode === 'cancel' ? 'Withdraw the question' : 'Reassign the question'}
      onSubmit={(e) => {
        e.preventDefault();
        setRefusal(null);
        if (mode === 'cancel') {
          cancel.mutate({ id: r.id, reason: reason.trim() }, { onSuccess: () => toast('Question withdrawn: the expert was told'), onError: (err) => setRefusal(refusalOf(err)) });
        } else {
          const [kind, idStr] = target.split(':');
          const idNum = Number(idStr);
          if (!kind || !idNum) return setRefusal({ code: 'form.target', detail: 'Choose an expert or an expert group.' });
          reassign.mutate(kind === 'u' ? { id: r.id, expertId: idNum } : { id: r.id, teamId: idNum }, {
            onSuccess: () => {
              toast('Question reassigned: both experts were told');
              close();
            },
            onError: (err) => setRefusal(refusalOf(err)),
          });
        }
      }}
    >
      {mode === 'cancel' ? (
        <label className="field">
          <span>Why withdraw it (optional: the expert reads it)</span>
          <input type="text" value={reason} maxLength={500} onChange={(e) => setReason(e.target.value)} autoFocus />
        </label>
      ) : (
        <label className="field">
          <span>Give it to</span>
          <select value={target} onChange={(e) => setTarget(e.target.value)} required autoFocus>
            <option value="">Choose…</option>
            <ExpertTargetOptions experts={experts} groups={groups} except={current} />
          </select>
          <span className="muted small">The new expert gets the whole answer time from now.</span>
        </label>
      )}
      <Refusal refusal={refusal} lead={mode === 'cancel' ? 'Not withdrawn.' : 'Not reassigned.'} />
      <div className="row-gap">
        <button type="submit" className="btn btn-small btn-primary" disabled={cancel.isPending || reassign.isPending}>
          {mode === 'cancel' ? 'Withdraw the question' : 'Reassign'}
        </button>
        <button type="button" className="btn btn-small" onClick={close}>
          Keep it
        </button>
      </div>
    </form>
  );
}

/** Characters of an answer shown before "Show all"; and lines (a list of steps folds too). */
const ANSWER_FOLD = 280;
const ANSWER_FOLD_LINES = 5;

/** The start of a long answer (whole code points), or null when it shows whole. */
export function foldedAnswer(text: string): string | null {
  const lines = text.split('\n');
  let cut = text.length > ANSWER_FOLD ? ANSWER_FOLD : text.length;
  if (lines.length > ANSWER_FOLD_LINES) cut = Math.min(cut, lines.slice(0, ANSWER_FOLD_LINES).join('\n').length);
  if (cut >= text.length) return null;
  let head = text.slice(0, cut);
  if (/[\uD800-\uDBFF]$/.test(head)) head = head.slice(0, -1);
  return head.replace(/\s+$/, '');
}

/**
 * The texts an answer had before its expert corrected it, behind a disclosure (fetched when
 * opened, and again live while open): who wrote each and when, oldest first.
 */
export function EarlierAnswers({ requestId }: { requestId: number }) {
  const [open, setOpen] = useState(false);
  const q = useExpertAnswerHistory(requestId, open);
  const earlier = (q.data ?? []).filter((v) => !v.current);
  return (
    <details className="expert-earlier" onToggle={(e) => setOpen(e.currentTarget.open)}>
      <summary className="small">Earlier versions</summary>
      {q.isError ? (
        <p className="form-error small" role="alert">
          Could not load the earlier versions: {(q.error as Error).message}
        </p>
      ) : !q.data ? (
        <p className="muted small">{open ? 'Loading…' : null}</p>
      ) : earlier.length === 0 ? (
        <p className="muted small">No earlier versions: the answer was never corrected.</p>
      ) : (
        <ol className="plain-list expert-earlier-list">
          {earlier.map((v) => (
            <li key={v.version} data-version={v.version}>
              <p className="muted small">
                {v.version === 1 ? 'First answer' : `Correction ${v.version - 1}`}
                {v.byName ? ` by ${clip(v.byName, 120)}` : ''} · <time dateTime={v.at}>{fullTime(v.at)}</time>
              </p>
              <blockquote style={{ margin: '2px 0 8px', paddingLeft: 8, borderLeft: '3px dashed var(--border)', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
                <SafeText text={v.text} />
              </blockquote>
            </li>
          ))}
        </ol>
      )}
    </details>
  );
}

/** An expert's answer on the card: the text (user text, rendered as text), who answered and when, and "Use in reply". */
function ExpertAnswer({ r, conversationId, answerer }: { r: ListedRequest; conversationId: number; answerer: string }) {
  const [all, setAll] = useState(false);
  const toast = useToast();
  const text = r.answerText ?? '';
  const head = foldedAnswer(text);
  const use = () => {
    if (insertIntoReply(conversationId, text)) toast('The answer is in your reply: edit it before you send');
    else toast('Open the reply box to use the answer', 'error');
  };
  return (
    <div className="expert-answer">
      <p className="muted small">
        Answered by <strong>{answerer}</strong> · <time dateTime={r.answeredAt ?? undefined}>{fullTime(r.answeredAt)}</time>
        {r.answerEditedAt && (
          <>
            {' '}
            · <span className="badge expert-edited" title={`Corrected by the expert ${fullTime(r.answerEditedAt)}`}>corrected</span> <time dateTime={r.answerEditedAt}>{fullTime(r.answerEditedAt)}</time>
          </>
        )}
      </p>
      <blockquote className="expert-answer-text" aria-label={`Answer from ${answerer}`} style={{ margin: '4px 0 6px', paddingLeft: 8, borderLeft: '3px solid var(--border)', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
        <SafeText text={all || head == null ? text : `${head}…`} fold={false} />
        {head != null && (
          <>
            {' '}
            <button type="button" className="link-button" aria-expanded={all} onClick={() => setAll((x) => !x)}>
              {all ? 'Show less' : 'Show all'}
            </button>
          </>
        )}
      </blockquote>
      {r.answerEditedAt && <EarlierAnswers requestId={r.id} />}
      <button type="button" className="btn btn-small" onClick={use} title="Adds the answer to your reply draft, to edit in your own words; nothing is sent">
        Use in reply
      </button>
    </div>
  );
}

/** The conversation's questions to experts, open first. */
export function ExpertRequestsCard({ conversationId, onAsk }: { conversationId: number; onAsk?: () => void }) {
  const q = useExpertRequests(conversationId);
  const usersQ = useUsers();
  const teamsQ = useTeams();
  const users = useMemo(() => new Map((usersQ.data ?? []).map((u) => [u.id, u])), [usersQ.data]);
  const teams = useMemo(() => new Map((teamsQ.data ?? []).map((t) => [t.id, t])), [teamsQ.data]);
  const now = useNow();
  const me = useMe().data?.user;
  const list = [...((q.data ?? []) as ListedRequest[])].sort((a, b) => Number(b.status === 'open') - Number(a.status === 'open') || b.id - a.id);
  return (
    <section className="card experts-card" aria-labelledby="experts-title">
      <div className="card-head">
        <h2 id="experts-title">Questions to experts</h2>
        {onAsk && (
          <button type="button" className="btn btn-small" onClick={onAsk}>
            Ask…
          </button>
        )}
      </div>
      {list.length === 0 ? (
        <p className="muted small">{q.isPending ? 'Loading…' : 'None. Ask an expert when you need knowledge you do not have.'}</p>
      ) : (
        <ul className="plain-list expert-list">
          {list.map((r) => {
            const late = r.status === 'open' && r.dueAt && Date.parse(r.dueAt) < now;
            return (
              <li key={r.id} className={`expert-item expert-${r.status}`} data-request-id={r.id}>
                <div className="row-gap">
                  <span className={`badge ${r.status === 'answered' ? 'sla-ok' : r.status === 'cancelled' ? '' : late ? 'sla-over' : 'badge-warn'}`}>{r.status === 'answered' ? 'Answered' : r.status === 'cancelled' ? 'Cancelled' : late ? 'Overdue' : 'Open'}</span>
                  <span className="small">
                    to <strong>{requestTarget(r, users, teams)}</strong>
                    {r.askedBy ? ` by ${users.get(r.askedBy)?.name ?? r.askedByName ?? 'a colleague'}` : ''}
                  </span>
                </div>
                <p className="expert-question">
                  <SafeText text={r.question} />
                </p>
                {r.status === 'answered' && r.answerText != null && (
                  <ExpertAnswer r={r} conversationId={conversationId} answerer={r.answeredByName ?? (r.answeredBy != null ? users.get(r.answeredBy)?.name : null) ?? 'an expert'} />
                )}
                <p className="muted small">
                  {r.status === 'answered' && r.answeredAt ? (
                    r.answerText != null ? null : <>Answered {agoText(r.answeredAt, now)} — see the internal note in the thread.</>
                  ) : r.status === 'cancelled' ? (
                    <span className="expert-cancelled-why">{cancelledText(r)}</span>
                  ) : r.status === 'open' && r.overdueAt && r.dueAt ? (
                    <span title={fullTime(r.dueAt)}>
                      Asked {agoText(r.createdAt, now)} · was due {fullTime(r.dueAt)} · {r.teamId != null ? 'the group' : 'the expert'} and the asker were notified {agoText(r.overdueAt, now)}
                    </span>
                  ) : r.dueAt ? (
                    <span title={fullTime(r.dueAt)}>Asked {agoText(r.createdAt, now)} · answer expected by {fullTime(r.dueAt)}</span>
                  ) : null}
                </p>
                {mayManageQuestion(r, me) && <QuestionActions r={r} askerId={r.askedBy} />}
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}
