/**
 * Questions for experts. An expert sees only what they were asked (and the
 * conversations those questions are about), answers inside the conversation as an
 * internal note, and never takes the conversation over. Leads see every question.
 */
import { useMemo, useState } from 'react';
import { Link, useNavigate, useSearch } from '@tanstack/react-router';
import { useChannels, useConversation, useMe, useTeams, useUsers } from '../api/queries.js';
import type { ExpertRequest, Me, User } from '../api/types.js';
import { useAnswerExpert, useExpertRequests } from '../api/workflow.js';
import { Thread } from '../conversation/Thread.js';
import { AuthorCard } from '../conversation/Sidepanel.js';
import { clip, fullTime, useNow } from '../lib/format.js';
import { agoText } from './Sla.js';
import { SafeText } from '../lib/SafeText.js';
import { Spinner } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { requestTarget } from './Experts.js';
import { Frame } from './Frame.js';

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
  const usersQ = useUsers();
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
                  {!isExpert && <span className="muted small">to {requestTarget(r, users, teams)}</span>}
                </Link>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section className="approval-detail" aria-label="Question">
        {selected ? <Answer key={selected.id} r={selected} me={me} users={users} onAnswered={() => void navigate({ search: { r: selected.id } })} /> : <p className="muted">Pick a question.</p>}
      </section>
    </div>
  );
}

function Answer({ r, me, users, onAnswered }: { r: ExpertRequest; me: Me; users: Map<number, User>; onAnswered: () => void }) {
  const conv = useConversation(r.conversationId);
  const channel = useChannels().data?.find((c) => c.id === conv.data?.conversation.channelAccountId);
  const answer = useAnswerExpert();
  const toast = useToast();
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  const asker = users.get(r.askedBy)?.name ?? 'A colleague';
  return (
    <div className="review">
      <div className="review-why" role="note">
        <strong>
          {asker} asks{r.createdAt ? ` (${fullTime(r.createdAt)})` : ''}:
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
      {r.status === 'open' ? (
        <form
          className="review-draft"
          onSubmit={(e) => {
            e.preventDefault();
            setError(null);
            answer.mutate(
              { id: r.id, text: text.trim() },
              {
                onSuccess: () => {
                  toast('Answer added to the conversation as an internal note');
                  setText('');
                  onAnswered();
                },
                onError: (err) => setError((err as Error).message),
              },
            );
          }}
        >
          <label className="field">
            <span>Your answer (an internal note: the customer never sees it)</span>
            <textarea className="composer-text" rows={4} value={text} maxLength={20_000} onChange={(e) => setText(e.target.value)} required />
          </label>
          {error && (
            <p className="form-error" role="alert">
              {error}
            </p>
          )}
          <button type="submit" className="btn btn-primary" disabled={answer.isPending || !text.trim()}>
            {answer.isPending ? 'Sending…' : 'Answer'}
          </button>
        </form>
      ) : (
        <p className="small">
          <span className="badge sla-ok">Answered</span> {r.answeredAt ? fullTime(r.answeredAt) : ''} — the answer is the internal note in the thread below.
        </p>
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
              <Thread messages={conv.data.messages} notes={conv.data.notes} users={users} channel={channel} highlightAfter={null} meId={me.user.id} />
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
