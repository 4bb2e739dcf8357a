/**
 * Queues: for each team, the conversations waiting for an agent, how long the oldest
 * has waited, and who is online, away or offline with their load against capacity.
 * Live: refreshed as conversations and people change.
 */
import { Link } from '@tanstack/react-router';
import { useMe } from '../api/queries.js';
import type { QueueAgent, QueueTeam } from '../api/types.js';
import { useQueues } from '../api/workflow.js';
import { duration, fullTime } from '../lib/format.js';
import { Avatar, Spinner } from '../ui/bits.js';
import { Frame } from './Frame.js';
import { useTick } from './Sla.js';

const AVAIL_ORDER: Record<string, number> = { online: 0, away: 1, offline: 2 };
const ROUTING: Record<string, string> = { round_robin: 'Round robin', least_loaded: 'Least loaded', skills: 'By skills', manual: 'Manual' };

export function QueuesPage() {
  const me = useMe().data;
  if (!me) return null;
  return (
    <Frame me={me} title="Queues">
      <Queues />
    </Frame>
  );
}

function Queues() {
  const q = useQueues();
  const now = useTick(5_000);
  if (q.isPending) return <Spinner label="Loading queues" />;
  if (q.isError)
    return (
      <p className="form-error" role="alert">
        Could not load the queues: {(q.error as Error).message}
      </p>
    );
  const teams = q.data;
  const totalWaiting = teams.reduce((n, t) => n + t.waiting, 0);
  const online = new Set(teams.flatMap((t) => t.agents.filter((a) => a.availability === 'online').map((a) => a.id))).size;
  return (
    <>
      <p className="queue-summary" aria-live="polite">
        <strong>{totalWaiting.toLocaleString()}</strong> waiting for an agent across {teams.length} team{teams.length === 1 ? '' : 's'} · <strong>{online}</strong> agent{online === 1 ? '' : 's'} online
      </p>
      {teams.length === 0 ? (
        <p className="muted">No teams yet. Admins create them in Settings → Teams.</p>
      ) : (
        <div className="queue-grid">
          {teams.map((t) => (
            <TeamQueue key={t.id} t={t} now={now} />
          ))}
        </div>
      )}
    </>
  );
}

function TeamQueue({ t, now }: { t: QueueTeam & { routed?: boolean }; now: number }) {
  // work reaches this team (routing sends it, or some waits) but nobody can take it: no members, or only disabled ones
  const unstaffed = t.agents.length === 0 && (t.routed === true || t.waiting > 0);
  const oldest = t.oldestQueuedAt ? now - Date.parse(t.oldestQueuedAt) : null;
  const agents = [...t.agents].sort((a, b) => (AVAIL_ORDER[a.availability] ?? 3) - (AVAIL_ORDER[b.availability] ?? 3) || a.name.localeCompare(b.name));
  const counts = { online: 0, away: 0, offline: 0 } as Record<string, number>;
  for (const a of t.agents) counts[a.availability] = (counts[a.availability] ?? 0) + 1;
  const capacity = t.agents.filter((a) => a.availability === 'online').reduce((n, a) => n + Math.max(0, a.capacity - a.open), 0);
  return (
    <section className={`panel queue${t.waiting > 0 ? ' queue-waiting' : ''}${unstaffed ? ' queue-unstaffed' : ''}`} aria-labelledby={`queue-${t.id}`} data-team-id={t.id}>
      <div className="queue-head">
        <h2 id={`queue-${t.id}`}>{t.name}</h2>
        <span className="muted small">{ROUTING[t.strategy] ?? t.strategy}</span>
      </div>
      <dl className="queue-stats">
        <div>
          <dt>Waiting</dt>
          <dd className="queue-waiting-count" data-waiting={t.waiting}>
            {t.waiting.toLocaleString()}
          </dd>
        </div>
        <div>
          <dt>Oldest wait</dt>
          <dd className={oldest != null && oldest > 30 * 60_000 ? 'text-danger' : undefined} title={t.oldestQueuedAt ? fullTime(t.oldestQueuedAt) : undefined}>
            {oldest == null ? '—' : duration(oldest)}
          </dd>
        </div>
        <div>
          <dt>Free capacity</dt>
          <dd>{capacity}</dd>
        </div>
      </dl>
      <p className="small muted">
        {counts.online ?? 0} online · {counts.away ?? 0} away · {counts.offline ?? 0} offline
      </p>
      {unstaffed && (
        <p className="form-error small queue-no-members" role="alert">
          {t.routed ? 'Routing sends conversations to this team, but it' : 'Conversations wait in this team, but it'} has no members who take conversations: they wait here until an admin adds someone (Settings → Teams).
        </p>
      )}
      {t.waiting > 0 && (
        <p className="small">
          <Link to="/inbox/$view" params={{ view: 'open' }} search={{ team: t.id, assignee: 'none', sort: 'oldest' }}>
            Show the waiting conversations
          </Link>
        </p>
      )}
      <ul className="plain-list agent-loads">
        {agents.map((a) => (
          <AgentLoad key={a.id} a={a} />
        ))}
      </ul>
    </section>
  );
}

function AgentLoad({ a }: { a: QueueAgent }) {
  const full = a.capacity > 0 && a.open >= a.capacity;
  return (
    <li className={`agent-load avail-row-${a.availability}`}>
      <Avatar name={a.name} seed={`u${a.id}`} size="sm" />
      <span className="agent-name">
        {a.name}
        {a.lead && <span className="badge">lead</span>}
      </span>
      <span className={`avail-dot avail-${a.availability}`} aria-hidden="true" />
      <span className="small avail-text">{a.availability}</span>
      <meter className={`load${full ? ' load-full' : ''}`} min={0} max={Math.max(1, a.capacity)} low={Math.max(1, a.capacity) * 0.7} high={Math.max(1, a.capacity) * 0.99} optimum={0} value={Math.min(a.open, Math.max(1, a.capacity))} aria-label={`${a.name}: ${a.open} of ${a.capacity} open conversations`} />
      <span className={`small load-text${full ? ' text-danger' : ''}`}>
        {a.open}/{a.capacity}
      </span>
    </li>
  );
}
