/**
 * Links to the desk's other pages (queues, sign-off, experts, incidents, settings),
 * shown to the roles that use them, with live counts where waiting work matters.
 */
import { Link, useRouterState } from '@tanstack/react-router';
import type { Me } from '../api/types.js';
import { useApprovals, useExpertRequests, useIncidents } from '../api/workflow.js';

const WORKERS = ['agent', 'approver', 'admin'];

export function DeskNav({ me, compact }: { me: Me; compact?: boolean }) {
  const path = useRouterState({ select: (s) => s.location.pathname });
  const role = me.user.role;
  const reviewer = role === 'approver' || role === 'admin';
  const approvals = useApprovals(reviewer).data;
  const questions = useExpertRequests(null, role === 'expert' || reviewer);
  const incidents = useIncidents().data ?? [];
  const openIncidents = incidents.filter((i) => i.status === 'open').length;
  const openQuestions = (questions.data ?? []).filter((r) => r.status === 'open').length;
  const cls = (p: string) => (path === p || path.startsWith(`${p}/`) ? 'view-link active' : 'view-link');
  const cur = (p: string) => (path === p || path.startsWith(`${p}/`) ? ('page' as const) : undefined);
  return (
    <>
      {!compact && <h2 className="sidebar-title">Desk</h2>}
      <ul className="view-list desk-nav">
        {WORKERS.includes(role) && compact && (
          <li>
            <Link to="/inbox/$view" params={{ view: 'open' }} className={cls('/inbox')} aria-current={cur('/inbox')}>
              <span>Inbox</span>
            </Link>
          </li>
        )}
        {WORKERS.includes(role) && (
          <li>
            <Link to="/queues" className={cls('/queues')} aria-current={cur('/queues')}>
              <span>Queues</span>
            </Link>
          </li>
        )}
        {reviewer && (
          <li>
            <Link to="/approvals" className={cls('/approvals')} aria-current={cur('/approvals')}>
              <span>Approvals</span>
              <span className={`count${approvals?.length ? ' count-attention' : ''}`}>
                {approvals ? approvals.length : '…'}
                <span className="visually-hidden"> waiting</span>
              </span>
            </Link>
          </li>
        )}
        {(role === 'expert' || reviewer) && (
          <li>
            <Link to="/expert" className={cls('/expert')} aria-current={cur('/expert')}>
              <span>{role === 'expert' ? 'Questions for me' : 'Expert questions'}</span>
              <span className={`count${openQuestions ? ' count-attention' : ''}`}>
                {questions.data ? openQuestions : '…'}
                <span className="visually-hidden"> open</span>
              </span>
            </Link>
          </li>
        )}
        <li>
          <Link to="/incidents" className={cls('/incidents')} aria-current={cur('/incidents')}>
            <span>Incidents</span>
            {openIncidents > 0 && (
              <span className="count count-danger">
                {openIncidents}
                <span className="visually-hidden"> open</span>
              </span>
            )}
          </Link>
        </li>
        {WORKERS.includes(role) && (
          <li>
            <Link to="/reports/$section" params={{ section: 'volume' }} className={cls('/reports')} aria-current={cur('/reports')}>
              <span>Reports</span>
            </Link>
          </li>
        )}
        {reviewer && (
          <li>
            <Link to="/admin/$section" params={{ section: 'channels' }} className={cls('/admin')} aria-current={cur('/admin')}>
              <span>Settings</span>
            </Link>
          </li>
        )}
      </ul>
    </>
  );
}
