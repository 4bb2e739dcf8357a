/**
 * Questions for experts. An expert sees only what they were asked (and the
 * conversations those questions are about), answers inside the conversation as an
 * internal note, and never takes the conversation over. Leads see every question. The
 * person who asked never answers their own question; an admin may answer on the expert's
 * behalf (recorded as such).
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useChannels, useConversation, useMe, useTeams, useUsers } from '../api/queries.js';
import type { ExpertRequest, Me, User } from '../api/types.js';
import { useAnswerExpert, useEditExpertAnswer, useExpertRequests } from '../api/workflow.js';
import { Thread } from '../conversation/Thread.js';
import { AuthorCard } from '../conversation/Sidepanel.js';
import { clip, fullTime, useNow } from '../lib/format.js';
import { agoText } from './Sla.js';
import { SafeText } from '../lib/SafeText.js';
import { Spinner } from '../ui/bits.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';
import { cancelledText, EarlierAnswers, mayManageQuestion, QuestionActions, requestTarget } from './Experts.js';
import { Frame } from './Frame.js';
import { useModerationLive } from './Moderation.js';

/** Who `me` is to a question: its asker, the one asked, an admin who may answer for them, or a reader. */
function answererRole(r: ExpertRequest, me: Me): 'asker' | 'asked' | 'on-behalf' | 'reader' {
  if (r.askedBy === me.user.id) return 'asker';
  const asked = r.expertId != null ? r.expertId === me.user.id : r.teamId != null && me.teams.some((t) => t.id === r.teamId);
  if (asked) return 'asked';
  return me.user.role === 'admin' ? 'on-behalf' : 'reader';
}

/** Who asked a question: the name the server sends with it (experts may not list people), else from the people list. */
function askerName(r: ExpertRequest, users: Map<number, User>): string {
  return clip(r.askedByName ?? users.get(r.askedBy)?.name ?? 'A colleague', 120);
}

export function ExpertPage() {
  const me = useMe().data;
  if (!me) return null;
  return (
    <Frame me={me} title={me.user.role === 'expert' ? 'Questions for me' : 'Questions to experts'} className="expert-app">
      <Questions me={me} />
    </Frame>
  );
}

function Questions({ me }: { me: Me }) {
  const q = useExpertRequests(null);
  const search = useSearch({ from: '/expert' });
  const navigate = useNavigate({ from: '/expert' });
  const isExpert = me.user.role === 'expert';
  const usersQ = useUsers(!isExpert);
  const teamsQ = useTeams();
  // Experts may not list people: the map then holds only themselves.
  const users = useMemo(() => new Map<number, User>([[me.user.id, me.user], ...(usersQ.data ?? []).map((u) => [u.id, u] as [number, User])]), [usersQ.data, me.user]);
  const teams = useMemo(() => new Map((teamsQ.data ?? []).map((t) => [t.id, t])), [teamsQ.data]);
  const now = useNow();
  const [filter, setFilter] = useState<'open' | 'all'>('open');
  const all = q.data ?? [];
  const list = all.filter((r) => filter === 'all' || r.status === 'open');
  const selected = (search.r != null ? all.find((r) => r.id === search.r) : null) ?? (search.c != null ? all.find((r) => r.conversationId === search.c && r.status === 'open') ?? all.find((r) => r.conversationId === search.c) : null) ?? list[0] ?? null;

  if (q.isPending) return <Spinner label="Loading questions" />;
  if (q.isError)
    return (
      <p className="form-error" role="alert">
        Could not load the questions: {(q.error as Error).message}
      </p>
    );
  return (
    <div className="approvals expert-view">
      <section className="approval-list-pane" aria-labelledby="questions-title">
        <div className="row-gap">
          <h2 id="questions-title">
            {filter === 'open' ? 'Open' : 'All'} <span className="muted">{list.length}</span>
          </h2>
          <div className="segmented" role="group" aria-label="Show">
            <button type="button" aria-pressed={filter === 'open'} onClick={() => setFilter('open')}>
              Open
            </button>
            <button type="button" aria-pressed={filter === 'all'} onClick={() => setFilter('all')}>
              All
            </button>
          </div>
        </div>
        {list.length === 0 ? (
          <p className="muted">{filter === 'open' ? 'No open questions. When a colleague asks you, it appears here (and as a notification).' : 'No questions yet.'}</p>
        ) : (
          <ul className="plain-list approval-list">
            {list.map((r) => (
              <li key={r.id}>
                <Link to="/expert" search={{ r: r.id }} className={`approval-item${r.id === selected?.id ? ' active' : ''}`} aria-current={r.id === selected?.id ? 'true' : undefined} data-request-id={r.id}>
                  <span className="approval-top">
                    <strong>{r.status === 'open' ? 'Open' : r.status === 'answered' ? 'Answered' : r.status}</strong>
                    {r.status === 'open' && r.dueAt && Date.parse(r.dueAt) <= now && <span className="badge sla-over">Overdue</span>}
                    <span className="muted small">{agoText(r.createdAt, now)}</span>
                  </span>
                  <span className="approval-draft small" dir="auto">
                    {clip(r.question, 160)}
                  </span>
                  {isExpert ? <span className="muted small">from {r.askedBy === me.user.id ? 'you' : askerName(r, users)}</span> : <span className="muted small">to {requestTarget(r, users, teams)}</span>}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="approval-detail" aria-label="Question">
        {selected ? <Answer key={selected.id} r={selected} me={me} users={users} teams={teams} onAnswered={() => void navigate({ search: { r: selected.id } })} /> : <p className="muted">Pick a question.</p>}
      </section>
    </div>
  );
}

/**
 * An answered question's answer as it reads now (user text, rendered as text); its expert may
 * correct it: the earlier text is kept, the asker told, and a reply that already used it is named.
 */
function AnswerText({ r, mine }: { r: ExpertRequest; mine: boolean }) {
  const edit = useEditExpertAnswer();
  const toast = useToast();
  const [editing, setEditing] = useState(false);
  const [text, setText] = useState(r.answerText ?? '');
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const [warning, setWarning] = useState<string | null>(null);
  return (
    <div className="expert-answer">
      {!editing && (
        <blockquote className="expert-answer-text" aria-label="The answer" style={{ margin: '4px 0 6px', paddingLeft: 8, borderLeft: '3px solid var(--border)', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
          <SafeText text={r.answerText ?? ''} />
        </blockquote>
      )}
      {!editing && r.answerEditedAt && <EarlierAnswers requestId={r.id} />}
      {warning && (
        <p className="form-error small expert-edit-warning" role="alert">
          {warning}
        </p>
      )}
      {mine && !editing && (
        <button
          type="button"
          className="btn btn-small"
          onClick={() => {
            setText(r.answerText ?? '');
            setEditing(true);
            setWarning(null);
          }}
        >
          Correct the answer
        </button>
      )}
      {mine && editing && (
        <form
          className="review-draft"
          onSubmit={(e) => {
            e.preventDefault();
            setRefusal(null);
            edit.mutate(
              { id: r.id, text: text.trim() },
              {
                onSuccess: (res) => {
                  toast('Answer corrected: the agent who asked was told');
                  setWarning(res.warning ?? null);
                  setEditing(false);
                },
                onError: (err) => setRefusal(refusalOf(err)),
              },
            );
          }}
        >
          <label className="field">
            <span>Corrected answer (the earlier text is kept in the question's history)</span>
            <textarea className="composer-text" rows={4} value={text} maxLength={20_000} onChange={(e) => setText(e.target.value)} required autoFocus />
          </label>
          <Refusal refusal={refusal} lead="Not corrected." />
          <div className="row-gap">
            <button type="submit" className="btn btn-primary btn-small" disabled={edit.isPending || !text.trim()}>
              {edit.isPending ? 'Saving…' : 'Save the correction'}
            </button>
            <button type="button" className="btn btn-small" onClick={() => setEditing(false)}>
              Keep it as it was
            </button>
          </div>
        </form>
      )}
    </div>
  );
}

function Answer({ r, me, users, teams, onAnswered }: { r: ExpertRequest; me: Me; users: Map<number, User>; teams: Map<number, { name: string }>; onAnswered: () => void }) {
  const conv = useConversation(r.conversationId);
  const channel = useChannels().data?.find((c) => c.id === conv.data?.conversation.channelAccountId);
  const answer = useAnswerExpert();
  const toast = useToast();
  const [text, setText] = useState('');
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  // the answer form gives way to "Answered" once the question is: focus goes there, not to the page
  const [answered, setAnswered] = useState(false);
  const answeredRef = useRef<HTMLParagraphElement>(null);
  useEffect(() => {
    if (answered && r.status !== 'open') answeredRef.current?.focus();
  }, [answered, r.status]);
  const asker = r.askedBy === me.user.id ? 'You' : askerName(r, users);
  const role = answererRole(r, me);
  const target = requestTarget(r, users, teams);
  useModerationLive();
  return (
    <div className="review">
      <div className="review-why" role="note">
        <strong>
          {asker} {role === 'asker' ? 'asked' : 'asks'} {target}{r.createdAt ? ` (${fullTime(r.createdAt)})` : ''}:
        </strong>
        <p className="expert-question">
          <SafeText text={r.question} />
        </p>
        {r.dueAt && r.status === 'open' && (
          <p className={`small ${r.overdueAt ? 'form-error' : 'muted'}`}>
            {r.overdueAt ? `Overdue: an answer was expected by ${fullTime(r.dueAt)}.` : `An answer is expected by ${fullTime(r.dueAt)}.`}
          </p>
        )}
      </div>
      {mayManageQuestion(r, me.user) && <QuestionActions r={r} askerId={r.askedBy} />}
      {r.status === 'open' && role === 'asker' ? (
        <p className="expert-own-question" role="note">
          You asked this; the expert answers. To add what you learn meanwhile, write an internal note in the conversation.
        </p>
      ) : r.status === 'open' && role === 'reader' ? (
        <p className="muted" role="note">
          Asked of {target}: they answer it.
        </p>
      ) : r.status === 'open' ? (
        <form
          className="review-draft"
          onSubmit={(e) => {
            e.preventDefault();
            setRefusal(null);
            answer.mutate(
              { id: r.id, text: text.trim() },
              {
                onSuccess: () => {
                  toast('Answer added to the conversation as an internal note');
                  setText('');
                  setAnswered(true);
                  onAnswered();
                },
                onError: (err) => setRefusal(refusalOf(err)),
              },
            );
          }}
        >
          {role === 'on-behalf' && (
            <p className="small muted">
              You are not the expert asked ({target}). An admin may answer for them: your answer is recorded as given on their behalf.
            </p>
          )}
          <label className="field">
            <span>{role === 'on-behalf' ? `Answer on their behalf (an internal note: the customer never sees it)` : 'Your answer (an internal note: the customer never sees it)'}</span>
            <textarea className="composer-text" rows={4} value={text} maxLength={20_000} onChange={(e) => setText(e.target.value)} required />
          </label>
          <Refusal refusal={refusal} lead="Not answered." />
          <button type="submit" className="btn btn-primary" disabled={answer.isPending || !text.trim()}>
            {answer.isPending ? 'Sending…' : role === 'on-behalf' ? 'Answer on their behalf' : 'Answer'}
          </button>
        </form>
      ) : r.status === 'cancelled' ? (
        <p className="small expert-cancelled-why" role="note">
          {cancelledText(r)}
        </p>
      ) : (
        <div className="expert-answered-block">
          <p className="small expert-answered" ref={answeredRef} tabIndex={-1}>
            <span className="badge sla-ok">Answered</span> {r.answeredAt ? fullTime(r.answeredAt) : ''}
            {r.answeredByName ? ` by ${clip(r.answeredByName, 120)}` : ''}
            {r.answerEditedAt && (
              <>
                {' '}
                · <span className="badge expert-edited">corrected</span> {fullTime(r.answerEditedAt)}
              </>
            )}
          </p>
          {r.answerText != null && <AnswerText r={r} mine={r.answeredBy === me.user.id} />}
        </div>
      )}
      <div className="review-context">
        <h3>The conversation</h3>
        {conv.isPending ? (
          <Spinner label="Loading the conversation" />
        ) : conv.isError || !conv.data ? (
          <p className="muted">The conversation could not be loaded: {(conv.error as Error | null)?.message}</p>
        ) : (
          <div className="expert-context">
            <div className="review-thread">
              <Thread messages={conv.data.messages} notes={conv.data.notes} users={users} channel={channel} highlightAfter={null} meId={me.user.id} moderation={conv.data.moderation} />
            </div>
            <aside className="expert-aside" aria-label="Customer">
              <AuthorCard conversation={conv.data.conversation} contact={conv.data.contact} messages={conv.data.messages} onOpenConversation={() => {}} readOnly />
            </aside>
          </div>
        )}
      </div>
    </div>
  );
}
