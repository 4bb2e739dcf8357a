/**
 * The line a held reply's author reads when nobody who may sign it off is at the desk now
 * ("Waiting for sign-off — no approver is online now; it will wait until one is"), from
 * GET /api/approvals/:id/sign-off. Refetched every minute and on focus: presence changes.
 */
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client.js';

/** A draft's wait for sign-off (GET /api/approvals/:id/sign-off; also `signOff` on GET /api/approvals items). */
export interface SignOffWait {
  approvers: number;
  availableNow: number;
  reason: 'none' | 'away' | 'out_of_hours' | null;
  notice: string | null;
}

export const useSignOffWait = (messageId: number | null) =>
  useQuery({
    queryKey: ['approvals', 'sign-off', messageId],
    queryFn: () => api<{ messageId: number; status: string; signOff: SignOffWait | null }>('GET', `/api/approvals/${messageId}/sign-off`),
    enabled: messageId != null,
    staleTime: 30_000,
    refetchInterval: 60_000,
  });

/** The notice for a held draft, or nothing while an approver is at the desk (or it no longer waits). */
export function SignOffWaitNotice({ messageId, wait }: { messageId?: number | null; wait?: SignOffWait | null }) {
  const q = useSignOffWait(wait === undefined ? (messageId ?? null) : null);
  const w = wait === undefined ? q.data?.signOff : wait;
  if (!w?.notice) return null;
  return (
    <p className="small approval-nobody-online" role="status" data-reason={w.reason ?? undefined}>
      {w.notice}
    </p>
  );
}
