/** Views with live counts, and the connected channel accounts (unhealthy ones first). */
import { Link } from '@tanstack/react-router';
import { useChannels, useCounts, useMe } from '../api/queries.js';
import { DeskNav } from './DeskNav.js';
import { VIEWS, type View } from '../api/types.js';
import { networkLabel } from '../lib/format.js';
import { VIEW_LABEL, type InboxSearch } from '../inbox/search.js';
import { WarningIcon } from '../ui/bits.js';

const VIEW_KEY: Partial<Record<View, string>> = { open: 'g i', mine: 'g m', team: 'g t', waiting: 'g w' };

export function Sidebar({ view, search }: { view: View; search: InboxSearch }) {
  const counts = useCounts().data;
  const me = useMe().data;
  const channels = useChannels().data ?? [];
  const sorted = [...channels].sort((a, b) => Number(a.status === 'active') - Number(b.status === 'active') || a.network.localeCompare(b.network) || a.handle.localeCompare(b.handle));
  // Keep filters when switching views, but not the open conversation or the search.
  const { c: _c, q: _q, mode: _m, ...filters } = search;
  return (
    <nav className="sidebar" aria-label="Inbox views">
      <h2 className="sidebar-title">Inbox</h2>
      <ul className="view-list">
        {VIEWS.map((v) => (
          <li key={v}>
            <Link
              to="/inbox/$view"
              params={{ view: v }}
              search={filters}
              className={v === view ? 'view-link active' : 'view-link'}
              aria-current={v === view ? 'page' : undefined}
              title={VIEW_KEY[v] ? `${VIEW_LABEL[v]} (${VIEW_KEY[v]})` : VIEW_LABEL[v]}
            >
              <span>{VIEW_LABEL[v]}</span>
              <span className="count" aria-label={`${counts?.[v] ?? 0} conversations`}>
                {counts ? counts[v].toLocaleString() : '…'}
              </span>
            </Link>
          </li>
        ))}
      </ul>
      {me && <DeskNav me={me} />}
      <h2 className="sidebar-title">Channels</h2>
      <ul className="channel-list">
        {sorted.map((a) => {
          const active = search.channel === a.id;
          const bad = a.status !== 'active';
          return (
            <li key={a.id}>
              <Link
                to="/inbox/$view"
                params={{ view }}
                search={{ ...filters, channel: active ? undefined : a.id }}
                className={`channel-link${active ? ' active' : ''}${bad ? ' unhealthy' : ''}`}
                aria-current={active ? 'true' : undefined}
                title={bad ? `${a.status}: ${String(a.health.message ?? 'needs attention')}` : `Only ${networkLabel(a.network)} @${a.handle}`}
              >
                <span className={`health-dot ${bad ? 'bad' : 'ok'}`} aria-hidden="true" />
                <span className="channel-name">
                  <span className="muted">{networkLabel(a.network)}</span> @{a.handle}
                </span>
                {bad && (
                  <span className="badge badge-danger">
                    <WarningIcon /> {a.status}
                  </span>
                )}
              </Link>
            </li>
          );
        })}
      </ul>
    </nav>
  );
}
