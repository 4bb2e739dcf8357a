/**
 * Server state: query keys, fetchers and the mutations behind every action. Live
 * events (../live/events.ts) keep these caches fresh; mutations write their result
 * into the caches at once so the agent never waits for the round trip to show it.
 */
import { useInfiniteQuery, useMutation, useQuery, useQueryClient, type InfiniteData, type Query, type QueryClient } from '@tanstack/react-query';
import { api, qs } from './client.js';
import type {
  BulkAction, ChannelAccount, Conversation, ConversationDetail, ConversationPage, ConversationStatus, Counts, Me, Note, Notification, PasswordResetInfo, PasswordResetLink, ReplyResult, SearchPage, Sort, Team, User, View,
} from './types.js';
import { patchConversationEverywhere } from '../live/listCache.js';
import { clearPresence } from '../live/presence.js';
import { stopLiveEvents } from '../live/events.js';

/** Everything that narrows a conversation list (the view plus the filter bar). */
export interface ListParams {
  view: View;
  status?: string;
  assignee?: string;
  team?: number;
  channel?: number;
  network?: string;
  priorityMin?: number;
  label?: string;
  sentiment?: string;
  category?: string;
  /** Comma-separated triage actions (respond, monitor, ignore): any of them. */
  triageAction?: string;
  dueWithinMin?: number;
  /** Customers' conversations linked to this incident. */
  incident?: number;
  /** How the conversation began: found by keyword `listening`, or `addressed` to the brand (a mention, reply, DM...). */
  origin?: 'listening' | 'addressed';
  q?: string;
  sort: Sort;
}

export const PAGE_SIZE = 100;

export const keys = {
  me: ['me'] as const,
  users: ['users'] as const,
  teams: ['teams'] as const,
  channels: ['channel-accounts'] as const,
  counts: ['counts'] as const,
  notifications: ['notifications'] as const,
  lists: ['conversations', 'list'] as const,
  list: (p: ListParams) => ['conversations', 'list', p] as const,
  /** How many filtered lists match (the prefix of `listTotal`). */
  listTotals: ['conversations', 'total'] as const,
  listTotal: (p: ListParams) => ['conversations', 'total', p] as const,
  detail: (id: number) => ['conversation', id] as const,
  /** Every conversation's detail (the prefix of `detail`). */
  details: ['conversation'] as const,
  search: (q: string) => ['search', q] as const,
};

export type ListData = InfiniteData<ConversationPage, string | null>;

export function useMe() {
  const qc = useQueryClient();
  return useQuery({
    queryKey: keys.me,
    queryFn: async () => {
      // 200 signed in or not (GET /api/me's 401 would be logged by the browser on the sign-in page)
      const s = await api<{ signedIn: boolean; me?: Me }>('GET', '/api/session');
      if (s.signedIn && s.me) return s.me;
      // the session ended while this tab was signed in: as a 401 from anything else says it
      if (qc.getQueryData(keys.me)) signedOut(qc, 'expired');
      return null;
    },
    staleTime: Infinity,
    retry: 1,
  });
}

/** The brand's people; `enabled` false for a role that may not list them (an expert), so nothing is asked. */
export const useUsers = (enabled = true) => useQuery({ queryKey: keys.users, queryFn: async () => (await api<{ items: User[] }>('GET', '/api/users')).items, staleTime: 60_000, enabled });
export const useTeams = () => useQuery({ queryKey: keys.teams, queryFn: async () => (await api<{ items: Team[] }>('GET', '/api/teams')).items, staleTime: 60_000 });
export const useChannels = () => useQuery({ queryKey: keys.channels, queryFn: async () => (await api<{ items: ChannelAccount[] }>('GET', '/api/channel-accounts')).items, staleTime: 60_000 });
export const useCounts = () => useQuery({ queryKey: keys.counts, queryFn: () => api<Counts>('GET', '/api/conversations/counts'), staleTime: 30_000, refetchInterval: 60_000 });
export const useNotifications = () => useQuery({ queryKey: keys.notifications, queryFn: async () => (await api<{ items: Notification[] }>('GET', '/api/notifications')).items, staleTime: 60_000 });

export function listQueryString(p: ListParams, cursor: string | null, opts: { limit?: number; total?: boolean } = {}): string {
  return qs({
    view: p.view, status: p.status, assignee: p.assignee, team: p.team, channel: p.channel, network: p.network, priorityMin: p.priorityMin, label: p.label,
    sentiment: p.sentiment, category: p.category, triageAction: p.triageAction, dueWithinMin: p.dueWithinMin, incident: p.incident, origin: p.origin, q: p.q, sort: p.sort, cursor, limit: opts.limit ?? PAGE_SIZE,
    total: opts.total ? 'true' : undefined,
  });
}

/** How many conversations a list's filters match: `count` (at most the server's cap, then `capped`), or null where the server does not count (views over resolved history). */
export interface ListTotal {
  count: number | null;
  capped: boolean;
}

/**
 * The total of a filtered list, from the list API (`total=true` with a one-row page). Only worth
 * asking when the list has more than its first page. Counting walks every match up to the
 * server's cap (tens of ms over 100,000 open conversations), so it is refreshed every minute
 * and after bulk actions, not on every live event as the view counts are; the loaded rows,
 * which live events keep current, are never shown as fewer than they are.
 */
export function useListTotal(p: ListParams, enabled: boolean) {
  return useQuery({
    queryKey: keys.listTotal(p),
    queryFn: async ({ signal }): Promise<ListTotal> => {
      const r = await api<ConversationPage & { total?: number | null; totalCapped?: boolean }>('GET', `/api/conversations${listQueryString(p, null, { limit: 1, total: true })}`, undefined, { signal });
      return { count: r.total ?? null, capped: r.totalCapped === true };
    },
    enabled,
    staleTime: 30_000,
    refetchInterval: 60_000,
  });
}

/**
 * Live events place rows into loaded lists by `matchesList` (live/listCache.ts), which does not
 * judge the triage filter: a triage-filtered list shows only the rows that pass it. (One
 * selector per filter value, so the query keeps its memoized result.)
 */
const triageSelectors = new Map<string, (d: ListData) => ListData>();
function triageSelect(triageAction: string | undefined): ((d: ListData) => ListData) | undefined {
  if (!triageAction) return undefined;
  let select = triageSelectors.get(triageAction);
  if (!select) {
    const allowed = new Set(triageAction.split(','));
    const passes = (c: Conversation) => c.triageAction != null && allowed.has(c.triageAction);
    select = (d) => (d.pages.every((pg) => pg.items.every(passes)) ? d : { ...d, pages: d.pages.map((pg) => ({ ...pg, items: pg.items.filter(passes) })) });
    triageSelectors.set(triageAction, select);
  }
  return select;
}

export function useConversationList(p: ListParams, enabled = true) {
  return useInfiniteQuery({
    queryKey: keys.list(p),
    queryFn: ({ pageParam, signal }) => api<ConversationPage>('GET', `/api/conversations${listQueryString(p, pageParam)}`, undefined, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    select: triageSelect(p.triageAction),
    enabled,
    // Live events keep loaded pages current; refetching 100 pages on focus would not.
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    gcTime: 5 * 60_000,
  });
}

export function useSearch(q: string) {
  return useInfiniteQuery({
    queryKey: keys.search(q),
    queryFn: ({ pageParam, signal }) => api<SearchPage>('GET', `/api/search${qs({ q, limit: 50, before: pageParam })}`, undefined, { signal }),
    initialPageParam: null as number | null,
    getNextPageParam: (last) => last.nextBefore,
    enabled: q.trim().length > 0,
    staleTime: 15_000,
  });
}

export function useConversation(id: number | null) {
  return useQuery({
    queryKey: keys.detail(id ?? 0),
    queryFn: ({ signal }) => api<ConversationDetail>('GET', `/api/conversations/${id}`, undefined, { signal }),
    enabled: id != null,
    staleTime: 30_000,
  });
}

/**
 * Forget everything about the session; the root then shows sign-in. `why`:
 * - 'signed-out' (the person signed out): their cached data, drafts, alerts and the page
 *   they were on all go, so whoever signs in next on this tab starts clean;
 * - 'expired' (the server ended the session): the cached data goes, but the drafts and the
 *   way back stay for the same person signing in again (a different person signing in
 *   forgets them then: shell/LoginPage.tsx).
 * The drafts (conversation/Composer.tsx), the alerts (workflow/live.ts) and the sign-in page's
 * way back (router.tsx) listen for the `parley:signed-out` event.
 */
export function signedOut(qc: QueryClient, why: 'signed-out' | 'expired' = 'signed-out'): void {
  // Nothing may ask the server anything more for this session (each would be a 401 in the
  // browser's console): the live connection ends first (an event would invalidate queries),
  // fetches under way are called off, then "no one" is set so the mounted session observer
  // sees it and the desk's pages go; their data goes with them.
  stopLiveEvents();
  const session = (q: Query) => q.queryKey[0] !== keys.me[0];
  void qc.cancelQueries({ predicate: session });
  qc.setQueryData(keys.me, null);
  forgetQueries(qc, session);
  clearPresence();
  // (globalThis: the window in the browser; nothing to tell where this module runs without one)
  const page = globalThis as { dispatchEvent?: (e: Event) => boolean };
  page.dispatchEvent?.(new CustomEvent('parley:signed-out', { detail: { why } }));
}

/** How long a query still shown after signing out may stay in the cache, at most (its page is normally gone on the next render). */
const SHOWN_AFTER_SIGN_OUT_MS = 2_000;

/**
 * Drop the queries `which` picks. One no page shows goes at once; one a page still shows goes
 * when the page does (on the render that follows "no one" signed in): gone from the cache while
 * its page is still mounted, it would be fetched again by that page's next render, without a
 * session. Whatever is still shown after `SHOWN_AFTER_SIGN_OUT_MS` goes all the same (no one's
 * data stays for whoever signs in next).
 */
function forgetQueries(qc: QueryClient, which: (q: Query) => boolean): void {
  const cache = qc.getQueryCache();
  const shown = new Set<Query>();
  for (const q of cache.findAll({ predicate: which })) {
    if (q.getObserversCount() === 0) cache.remove(q);
    else shown.add(q);
  }
  if (!shown.size) return;
  const done = () => {
    unsubscribe();
    clearTimeout(timer);
    for (const q of shown) if (cache.get(q.queryHash) === q) cache.remove(q);
  };
  const unsubscribe = cache.subscribe((e) => {
    if (e.type !== 'observerRemoved' || !shown.has(e.query) || e.query.getObserversCount() > 0) return;
    shown.delete(e.query);
    if (cache.get(e.query.queryHash) === e.query) cache.remove(e.query);
    if (!shown.size) done();
  });
  const timer = setTimeout(done, SHOWN_AFTER_SIGN_OUT_MS);
}

/** Put a fresh conversation (from an action's response) into every cache that shows it. */
export function storeConversation(qc: QueryClient, c: Conversation): void {
  patchConversationEverywhere(qc, [c], { authoritativeLabels: true });
  qc.invalidateQueries({ queryKey: keys.counts });
}

function useConversationAction<V>(fn: (v: V) => Promise<Conversation>) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: (c) => {
      storeConversation(qc, c);
      qc.invalidateQueries({ queryKey: keys.detail(c.id), refetchType: 'active' });
    },
  });
}

export const useAssign = () => useConversationAction((v: { id: number; assigneeId?: number | null; teamId?: number | null }) => api<Conversation>('POST', `/api/conversations/${v.id}/assign`, { assigneeId: v.assigneeId, teamId: v.teamId }));
export const useSetStatus = () => useConversationAction((v: { id: number; status: ConversationStatus; snoozeUntil?: string | null }) => api<Conversation>('POST', `/api/conversations/${v.id}/status`, { status: v.status, snoozeUntil: v.snoozeUntil ?? undefined }));
export const useSetPriority = () => useConversationAction((v: { id: number; priority: number }) => api<Conversation>('POST', `/api/conversations/${v.id}/priority`, { priority: v.priority }));
export const useSetLabels = () => useConversationAction((v: { id: number; add?: string[]; remove?: string[] }) => api<Conversation>('POST', `/api/conversations/${v.id}/labels`, { add: v.add, remove: v.remove }));

export function useAddNote() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { id: number; text: string }) => api<Note>('POST', `/api/conversations/${v.id}/notes`, { text: v.text }),
    onSuccess: (n) => {
      qc.setQueryData<ConversationDetail>(keys.detail(n.conversationId), (d) => (d && !d.notes.some((x) => x.id === n.id) ? { ...d, notes: [...d.notes, n] } : d));
      qc.invalidateQueries({ queryKey: keys.detail(n.conversationId), refetchType: 'active' });
    },
  });
}

export interface ReplyInput {
  id: number;
  text: string;
  visibility: 'public' | 'private';
  idempotencyKey: string;
  lastSeenMessageId: number | null;
  replyToMessageId?: number | null;
  confirm?: boolean;
}

export function useReply() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: ReplyInput) =>
      api<ReplyResult>('POST', `/api/conversations/${v.id}/replies`, {
        text: v.text, visibility: v.visibility, idempotencyKey: v.idempotencyKey, lastSeenMessageId: v.lastSeenMessageId, replyToMessageId: v.replyToMessageId ?? undefined, confirm: v.confirm || undefined,
      }),
    onSuccess: (r) => {
      qc.setQueryData<ConversationDetail>(keys.detail(r.message.conversationId), (d) => (d && !d.messages.some((m) => m.id === r.message.id) ? { ...d, messages: [...d.messages, r.message] } : d));
    },
  });
}

export function useBulk() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { ids: number[]; action: BulkAction }) => api<{ done: number[]; failed: { id: number; code: string; detail: string }[] }>('POST', '/api/conversations/bulk', v),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.counts }),
  });
}

export function useSetAvailability() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (availability: string) => api<Me>('PATCH', '/api/me', { availability }),
    onSuccess: (me) => {
      qc.setQueryData(keys.me, me);
      qc.setQueryData<User[]>(keys.users, (us) => us?.map((u) => (u.id === me.user.id ? me.user : u)));
    },
  });
}

/** A new authenticator secret for the signed-in person (the current password proves it is them); two-factor stays off until `enableTwoFactor`. */
export const setUpTwoFactor = (currentPassword: string) => api<{ secret: string; uri: string }>('POST', '/api/me/two-factor/setup', { currentPassword });
/** Turn two-factor sign-in on with a code from the app just set up; the 10 recovery codes come back once. */
export const enableTwoFactor = (code: string) => api<{ recoveryCodes: string[] }>('POST', '/api/me/two-factor/enable', { code });
export const disableTwoFactor = (currentPassword: string, code: string) => api<null>('POST', '/api/me/two-factor/disable', { currentPassword, code });
/** New recovery codes (the old ones stop working), shown once. */
export const newRecoveryCodes = (currentPassword: string, code: string) => api<{ recoveryCodes: string[] }>('POST', '/api/me/two-factor/recovery-codes', { currentPassword, code });
/** An admin turns someone's two-factor sign-in off (they lost their device); their sessions are signed out. */
export const resetTwoFactor = (userId: number) => api<null>('POST', `/api/users/${userId}/two-factor/reset`);

/** Someone's two-factor sign-in was turned on or off here: their own dialog and the people list say so at once. */
export function storeTwoFactor(qc: QueryClient, userId: number, twoFactor: boolean): void {
  qc.setQueryData<Me | null>(keys.me, (m) => (m && m.user.id === userId ? { ...m, user: { ...m.user, twoFactor } } : m));
  qc.setQueryData<User[]>(keys.users, (us) => us?.map((u) => (u.id === userId ? { ...u, twoFactor } : u)));
}

/**
 * An admin makes a one-time link for someone who forgot their password (not for themselves):
 * valid 24 h, it voids the person's earlier links; their password and sessions stay as they
 * are until they use it.
 */
export const issuePasswordReset = (userId: number) => api<PasswordResetLink>('POST', `/api/users/${userId}/password-reset`, {});

/**
 * Whose a reset link is (public, before signing in). 404 `password_reset.invalid` when it is
 * unknown, used, expired or the person disabled; not retried, and not fetched again while the
 * page is open (the link is used once: the page moves on when it is).
 */
export function usePasswordResetLink(token: string) {
  return useQuery({
    queryKey: ['password-reset', token] as const,
    queryFn: () => api<PasswordResetInfo>('POST', '/api/auth/password-reset/lookup', { token }),
    enabled: token !== '',
    staleTime: Infinity,
    gcTime: 0,
    refetchOnWindowFocus: false,
  });
}

/** Sets the new password with a reset link (public; used once). Every session of the person is signed out; no new one starts. */
export const completePasswordReset = (token: string, newPassword: string) => api<null>('POST', '/api/auth/password-reset', { token, newPassword });
