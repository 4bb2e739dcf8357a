/**
 * Server state of the care workflow and administration: sign-off, queues, experts,
 * playbooks and snippets, incidents, guidelines, SLA clocks, settings, channels and
 * people. Live events invalidate these (../workflow/live.ts); mutations write their
 * results back so the screen changes at once.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, qs } from './client.js';
import { keys } from './queries.js';
import type {
  Availability2, BusinessCalendar, ChannelAccountAdmin, ConversationDetail, ExpertRequest, Guideline, Incident, Message, ModerationAction, PendingApproval, Playbook, PlaybookSuggestion,
  QuarantineItem, QueueTeam, ReplyCheck, ReplyCheckReport, ReplyResult, SlaClockView, Snippet, SnippetRender, TriageCorrection, UserAdmin, WorkflowSettings, ConsentMethod,
} from './types.js';

export const wkeys = {
  approvals: ['approvals'] as const,
  queues: ['queues'] as const,
  incidents: ['incidents'] as const,
  expertRequests: ['expert-requests'] as const,
  expertRequestsFor: (conversationId: number | null) => ['expert-requests', conversationId ?? 'mine'] as const,
  /** Under `expertRequests`: the live events that refresh the lists refresh an open history too. */
  expertAnswers: (requestId: number) => ['expert-requests', 'answers', requestId] as const,
  playbooks: ['playbooks'] as const,
  playbooksFor: (conversationId: number) => ['playbooks', 'for', conversationId] as const,
  snippets: ['snippets'] as const,
  guidelines: ['guidelines'] as const,
  sla: (conversationId: number) => ['sla', conversationId] as const,
  settings: ['settings', 'workflow'] as const,
  userFlags: ['users', 'flags'] as const,
  availability: (accountId: number) => ['channel-accounts', accountId, 'availability'] as const,
  quarantine: ['quarantine'] as const,
};

const items = <T,>(path: string) => async () => (await api<{ items: T[] }>('GET', path)).items;

export const useApprovals = (enabled = true) => useQuery({ queryKey: wkeys.approvals, queryFn: items<PendingApproval>('/api/approvals'), enabled, staleTime: 10_000, refetchInterval: 60_000 });
export const useQueues = () => useQuery({ queryKey: wkeys.queues, queryFn: items<QueueTeam>('/api/queues'), staleTime: 5_000, refetchInterval: 30_000 });
export const useIncidents = () => useQuery({ queryKey: wkeys.incidents, queryFn: items<Incident>('/api/incidents'), staleTime: 30_000, refetchInterval: 120_000 });
export const useExpertRequests = (conversationId: number | null, enabled = true) =>
  useQuery({ queryKey: wkeys.expertRequestsFor(conversationId), queryFn: items<ExpertRequest>(`/api/expert-requests${qs({ conversation: conversationId })}`), enabled, staleTime: 15_000 });
export const usePlaybooksFor = (conversationId: number) => useQuery({ queryKey: wkeys.playbooksFor(conversationId), queryFn: items<PlaybookSuggestion>(`/api/conversations/${conversationId}/playbooks`), staleTime: 60_000 });
export const usePlaybooks = () => useQuery({ queryKey: wkeys.playbooks, queryFn: items<Playbook>('/api/playbooks'), staleTime: 60_000 });
export const useSnippets = () => useQuery({ queryKey: wkeys.snippets, queryFn: items<Snippet>('/api/snippets'), staleTime: 60_000 });
export const useGuidelines = () => useQuery({ queryKey: wkeys.guidelines, queryFn: items<Guideline>('/api/guidelines'), staleTime: 60_000 });
export const useSlaClocks = (conversationId: number) => useQuery({ queryKey: wkeys.sla(conversationId), queryFn: items<SlaClockView>(`/api/conversations/${conversationId}/sla`), staleTime: 15_000 });
export const useWorkflowSettings = (enabled = true) => useQuery({ queryKey: wkeys.settings, queryFn: () => api<WorkflowSettings>('GET', '/api/settings/workflow'), enabled, staleTime: 30_000 });
export const useUserFlags = (enabled = true) =>
  useQuery({ queryKey: wkeys.userFlags, queryFn: async () => new Map((await items<{ id: number; flags: string[] }>('/api/users/flags')()).map((x) => [x.id, x.flags])), enabled, staleTime: 30_000 });
export const useAdminUsers = () => useQuery({ queryKey: keys.users, queryFn: items<UserAdmin>('/api/users'), staleTime: 60_000 });
export const useAdminChannels = () => useQuery({ queryKey: keys.channels, queryFn: items<ChannelAccountAdmin>('/api/channel-accounts'), staleTime: 60_000, select: (xs) => xs as ChannelAccountAdmin[] });
export const useChannelAvailability = (accountId: number, enabled = true) =>
  useQuery({ queryKey: wkeys.availability(accountId), queryFn: () => api<Availability2>('GET', `/api/channel-accounts/${accountId}/availability`), enabled, staleTime: 60_000 });
export const useQuarantine = (enabled = true) => useQuery({ queryKey: wkeys.quarantine, queryFn: items<QuarantineItem>('/api/quarantine?limit=200'), enabled, staleTime: 30_000 });

/** Run the reply checks on a draft (the composer calls this debounced as the agent types). */
export const runReplyChecks = (conversationId: number, text: string, visibility: 'public' | 'private', signal?: AbortSignal) =>
  api<ReplyCheckReport>('POST', '/api/reply-checks', { conversationId, text, visibility }, { signal });

/** Put a changed message into the conversation it belongs to. */
function storeMessage(qc: ReturnType<typeof useQueryClient>, m: Message) {
  qc.setQueryData<ConversationDetail>(keys.detail(m.conversationId), (d) => {
    if (!d) return d;
    const i = d.messages.findIndex((x) => x.id === m.id);
    if (i < 0) return { ...d, messages: [...d.messages, m] };
    const next = d.messages.slice();
    next[i] = { ...m, author: m.author ?? next[i]!.author };
    return { ...d, messages: next };
  });
}

export function useReview() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; decision: 'approve' | 'reject'; text?: string | null; note?: string | null }) =>
      api<Message>('POST', `/api/approvals/${v.id}`, { decision: v.decision, text: v.text ?? undefined, note: v.note ?? undefined }),
    onSuccess: (m) => {
      qc.setQueryData<PendingApproval[]>(wkeys.approvals, (xs) => xs?.filter((x) => x.id !== m.id));
      storeMessage(qc, m);
      void qc.invalidateQueries({ queryKey: wkeys.approvals });
    },
    // refused (decided by someone else, or its incident closed meanwhile): show the queue as it is now
    onError: () => void qc.invalidateQueries({ queryKey: wkeys.approvals }),
  });
}

/** The author takes back their own draft while it waits for sign-off. */
export function useWithdrawDraft() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (id: number) => api<Message>('POST', `/api/approvals/${id}/withdraw`),
    onSuccess: (m) => {
      qc.setQueryData<PendingApproval[]>(wkeys.approvals, (xs) => xs?.filter((x) => x.id !== m.id));
      storeMessage(qc, m);
    },
  });
}

export function useTakePrivate() {
  const qc = useQueryClient();
  return useMutation({
    /** `idempotencyKey`: one per offer, so a double click or a retry posts it once. */
    mutationFn: (v: { id: number; reason?: 'personal_data' | 'account' | 'complex'; text?: string; idempotencyKey: string }) =>
      api<ReplyResult>('POST', `/api/conversations/${v.id}/take-private`, { reason: v.reason, text: v.text || undefined, idempotencyKey: v.idempotencyKey }),
    onSuccess: (r) => {
      storeMessage(qc, r.message);
      void qc.invalidateQueries({ queryKey: keys.detail(r.message.conversationId), refetchType: 'active' });
    },
  });
}

/** One version of an expert's answer (`GET /api/expert-requests/:id/answers`): the first answer, or a correction. */
export interface AnswerVersion {
  version: number;
  text: string;
  byId: number | null;
  byName: string | null;
  at: string;
  /** The answer as it reads now. */
  current: boolean;
}

/** The versions of a question's answer, oldest first; fetched while `enabled` (an open "earlier versions"). */
export const useExpertAnswerHistory = (requestId: number, enabled: boolean) =>
  useQuery({ queryKey: wkeys.expertAnswers(requestId), queryFn: items<AnswerVersion>(`/api/expert-requests/${requestId}/answers`), enabled, staleTime: 15_000 });

export function useAskExpert() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { conversationId: number; expertId?: number; teamId?: number; question: string }) =>
      api<ExpertRequest>('POST', `/api/conversations/${v.conversationId}/expert-requests`, { expertId: v.expertId, teamId: v.teamId, question: v.question }),
    onSuccess: (r) => {
      qc.setQueryData<ExpertRequest[]>(wkeys.expertRequestsFor(r.conversationId), (xs) => (xs ? [r, ...xs.filter((x) => x.id !== r.id)] : xs));
      void qc.invalidateQueries({ queryKey: wkeys.expertRequests });
    },
  });
}

export function useAnswerExpert() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; text: string }) => api<{ request: ExpertRequest; note: { conversationId: number } }>('POST', `/api/expert-requests/${v.id}/answer`, { text: v.text }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: wkeys.expertRequests });
      void qc.invalidateQueries({ queryKey: keys.detail(r.request.conversationId) });
    },
  });
}

/** Withdraw an open question to an expert (its asker, a lead, an admin). */
export function useCancelExpertRequest() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; reason?: string }) => api<ExpertRequest>('POST', `/api/expert-requests/${v.id}/cancel`, { reason: v.reason || null }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: wkeys.expertRequests }),
  });
}

/** Give an open question to another expert or expert group. */
export function useReassignExpertRequest() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; expertId?: number; teamId?: number }) => api<ExpertRequest>('POST', `/api/expert-requests/${v.id}/reassign`, { expertId: v.expertId ?? null, teamId: v.teamId ?? null }),
    onSuccess: () => void qc.invalidateQueries({ queryKey: wkeys.expertRequests }),
  });
}

/** Correct an answer (the expert who answered); `warning` when the earlier text was already used in a sent reply. */
export function useEditExpertAnswer() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; text: string }) => api<{ request: ExpertRequest; usedInReplies: number[]; warning?: string }>('PUT', `/api/expert-requests/${v.id}/answer`, { text: v.text }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: wkeys.expertRequests });
      void qc.invalidateQueries({ queryKey: keys.detail(r.request.conversationId) });
    },
  });
}

export const renderSnippet = (snippetId: number, conversationId: number, variantId?: number) => api<SnippetRender>('POST', `/api/snippets/${snippetId}/render`, { conversationId, ...(variantId != null ? { variantId } : {}) });

export function useModerate() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { messageId: number; conversationId: number; action: ModerationAction; guidelineId: number | null; evidence: string; doneOnNetwork?: boolean }) =>
      api<{ status: string; action: string; guideline: string | null; doneOnNetwork?: boolean }>('POST', `/api/messages/${v.messageId}/moderation`, {
        action: v.action, guidelineId: v.guidelineId ?? undefined, evidence: v.evidence || undefined, ...(v.doneOnNetwork ? { doneOnNetwork: true } : {}),
      }),
    onSettled: (_r, _e, v) => void qc.invalidateQueries({ queryKey: keys.detail(v.conversationId) }),
  });
}

/**
 * Correct a customer message's triage. The answer is the updated message: shown at once;
 * the conversation (its category, sentiment, action and activity) follows by refetch
 * and by the live `conversation.updated` event.
 */
export function useCorrectTriage() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { messageId: number; conversationId: number; correction: TriageCorrection }) => api<Message>('POST', `/api/messages/${v.messageId}/triage`, v.correction),
    onSuccess: (m) => {
      storeMessage(qc, m);
      void qc.invalidateQueries({ queryKey: keys.detail(m.conversationId), refetchType: 'active' });
    },
  });
}

export function useCrmLink() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { contactId: number; conversationId: number; crmCustomerId: string; consent: { method: ConsentMethod; messageId?: number | null; note?: string | null } }) =>
      api<{ contactId: number; crmCustomerId: string; consentAt: string; method: string }>('POST', `/api/contacts/${v.contactId}/crm-link`, { crmCustomerId: v.crmCustomerId, consent: v.consent }),
    onSuccess: (r, v) => {
      qc.setQueryData<ConversationDetail>(keys.detail(v.conversationId), (d) => (d?.contact ? { ...d, contact: { ...d.contact, crmCustomerId: r.crmCustomerId, crmConsentAt: r.consentAt } } : d));
      void qc.invalidateQueries({ queryKey: keys.detail(v.conversationId) });
    },
  });
}

export function useCrmUnlink() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { contactId: number; conversationId: number; reason: string }) => api<void>('POST', `/api/contacts/${v.contactId}/crm-unlink`, { reason: v.reason }),
    onSuccess: (_r, v) => {
      qc.setQueryData<ConversationDetail>(keys.detail(v.conversationId), (d) => (d?.contact ? { ...d, contact: { ...d.contact, crmCustomerId: null, crmConsentAt: null } } : d));
      void qc.invalidateQueries({ queryKey: keys.detail(v.conversationId) });
    },
  });
}

/** Link a customer's conversation to an open incident (or unlink it: null); the incidents' counts change. */
export function useLinkIncident() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; incidentId: number | null }) => api<unknown>('PUT', `/api/conversations/${v.id}/incident`, { incidentId: v.incidentId }),
    onSettled: () => void qc.invalidateQueries({ queryKey: wkeys.incidents }),
  });
}

export function useDeclareIncident() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { title: string; reason: string }) => api<{ id: number }>('POST', '/api/incidents', v),
    onSettled: () => void qc.invalidateQueries({ queryKey: wkeys.incidents }),
  });
}

export function useCloseIncident() {
  const qc = useQueryClient();
  return useMutation({
    // closing withdraws the statement not yet posted: it leaves the approvals queue too
    mutationFn: (id: number) => api<{ id: number; status: string; withdrawnStatementIds: number[] }>('POST', `/api/incidents/${id}/close`),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: wkeys.incidents });
      void qc.invalidateQueries({ queryKey: wkeys.approvals });
    },
  });
}

/** What posting a statement answers: the statement, and whether it waits for sign-off. */
export interface StatementPosted {
  message: Message;
  duplicate: boolean;
  approval: { reasons: { code: string; message: string }[] } | null;
  checks: ReplyCheck[];
}

export function usePostStatement() {
  const qc = useQueryClient();
  return useMutation({
    // nextUpdateAt: when the next update is due (ISO), told to customers in the suggested replies; left out when not given
    mutationFn: (v: { incidentId: number; channelAccountId: number; text: string; idempotencyKey: string; nextUpdateAt?: string | null }) =>
      api<StatementPosted>('POST', `/api/incidents/${v.incidentId}/statement`, { channelAccountId: v.channelAccountId, text: v.text, idempotencyKey: v.idempotencyKey, ...(v.nextUpdateAt ? { nextUpdateAt: v.nextUpdateAt } : {}) }),
    onSettled: () => {
      void qc.invalidateQueries({ queryKey: wkeys.incidents });
      void qc.invalidateQueries({ queryKey: wkeys.approvals });
    },
  });
}

/** A generic admin write that refreshes the given caches afterwards. */
export function useAdminWrite<V, R = unknown>(fn: (v: V) => Promise<R>, invalidate: readonly (readonly unknown[])[]) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => {
      for (const k of invalidate) void qc.invalidateQueries({ queryKey: k });
    },
  });
}

/** Change your own password (the current one proves it is you); your other sessions are signed out. */
export const changeMyPassword = (currentPassword: string, newPassword: string) => api<null>('POST', '/api/me/password', { currentPassword, newPassword });

export const saveCalendar = (accountId: number, calendar: BusinessCalendar | null) => api<{ calendar: BusinessCalendar | null; availabilityLine: string | null }>('PUT', `/api/channel-accounts/${accountId}/calendar`, { calendar });
