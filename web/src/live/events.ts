/**
 * Live updates over Server-Sent Events (`GET /api/events`, cookie auth).
 *
 * Events are buffered and applied in one batch every ~50 ms: a burst of thousands of
 * ingested messages becomes a few cache writes and renders, not thousands. The browser's
 * EventSource reconnects by itself and sends Last-Event-ID; the server then replays what
 * was missed or sends `reset`, on which everything is refetched.
 *
 * A stream can also go silent without an error (a server that stopped without closing it,
 * a proxy or a network that drops it quietly, a laptop waking up): the server pings every
 * ~15 s (the `ping` event says the period), so when nothing at all has arrived for about two
 * periods the status turns to "Reconnecting…" and a new stream is opened, resuming after the
 * last event seen (`?lastEventId=`: a new EventSource cannot send the header).
 *
 * A stream whose session has ended (signed out in another tab, disabled, the password changed,
 * expired; or the desk now requires two-factor sign-in of this person) gets a last `signed-out`
 * event from the server before it is closed (its `code`: `auth.session_expired`,
 * `two_factor.required`, ...). Then no new stream is opened: who is signed in is asked again
 * (`GET /api/me`), and the desk goes to sign-in (the 401 handler, router.tsx) or to the screen
 * that sets two-factor sign-in up (main.tsx, from `twoFactorRequired`). Only if the server still
 * says someone is signed in here (signed in again in another tab) does a stream open again, after
 * a pause.
 *
 * Until a stream opens again, `sessionEndedHere()` says so: what would ask the server something
 * in the background for this session (the presence heartbeat, ./presence.ts) holds back instead
 * of being refused with a 401 in the console, with no need to ask the server about the session.
 *
 * A stream whose person's role changed (an agent made an expert, say) gets a last `role-changed`
 * event: everything is fetched again for the new role, and a new stream opens at once from the
 * last event seen (the server decides what each role's stream carries).
 */
import { useEffect, useSyncExternalStore } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { keys } from '../api/queries.js';
import type { ChannelAccount, Conversation, ConversationDetail, Me, Message, Note, PresenceUser, User } from '../api/types.js';
import { patchConversationEverywhere, rememberContact } from './listCache.js';
import { setPresence } from './presence.js';

export type LiveStatus = 'connecting' | 'live' | 'reconnecting' | 'offline';

let status: LiveStatus = 'connecting';
const statusListeners = new Set<() => void>();
function setStatus(s: LiveStatus) {
  if (s === status) return;
  status = s;
  for (const l of statusListeners) l();
}
export function useLiveStatus(): LiveStatus {
  return useSyncExternalStore((l) => (statusListeners.add(l), () => statusListeners.delete(l)), () => status);
}

type Incoming = { type: string; data: any };

const EVENT_TYPES = ['message.created', 'message.updated', 'conversation.created', 'conversation.updated', 'note.created', 'presence', 'notification', 'notification.read', 'channel.health', 'user.updated', 'reset', 'sla', 'incident', 'expert.request', 'moderation', 'contact.updated'] as const;

/** What the server said when it ended a stream whose session or token no longer passes. */
export interface SignedOutEvent {
  code: 'auth.session_expired' | 'auth.invalid_token' | 'auth.token_expired' | 'two_factor.required' | string;
  reason?: string;
}

/** The server ended the live stream for its session (`signed-out`), and none has opened since. */
let endedByServer = false;
/**
 * Whether the server said this browser's session ended (the live stream's `signed-out`) and no
 * stream has opened since: nothing more should be asked of it for this session.
 */
export function sessionEndedHere(): boolean {
  return endedByServer;
}

/** After a `signed-out` whose session /api/me still finds (signed in again elsewhere): the pause before a new stream. */
const AFTER_SIGNED_OUT_MS = 10_000;

/** The server's ping period until its first ping says otherwise. */
const DEFAULT_PING_MS = 15_000;
/** Silence tolerated: two ping periods and a little (a ping may be late behind a busy event loop). */
const silenceLimit = (pingMs: number) => 2 * pingMs + Math.min(5_000, pingMs);

/** Listeners for tests of the UI and for components that react to one kind of event. */
const eventListeners = new Set<(e: Incoming) => void>();
export function onLiveEvent(fn: (e: Incoming) => void): () => void {
  eventListeners.add(fn);
  return () => eventListeners.delete(fn);
}

const BURST = 2000;

function applyBatch(qc: QueryClient, batch: Incoming[]) {
  if (batch.some((e) => e.type === 'reset') || batch.length > BURST) {
    // Lists go back to their first page (refetching every loaded page of a deep scroll
    // would be hundreds of requests); everything else is refetched.
    void qc.resetQueries({ queryKey: keys.lists });
    void qc.invalidateQueries({ predicate: (q) => !(q.queryKey[0] === 'conversations' && q.queryKey[1] === 'list') });
    return;
  }
  const conversations = new Map<number, Conversation>();
  const touched = new Set<number>();
  const messages: Message[] = [];
  const notes: Note[] = [];
  let counts = false;
  for (const e of batch) {
    switch (e.type) {
      case 'message.created':
      case 'message.updated': {
        const m = e.data as Message;
        messages.push(m);
        touched.add(m.conversationId);
        if (m.direction === 'inbound' && m.author) {
          rememberContact(m.conversationId, { id: m.author.contactId, displayName: m.author.displayName, handle: m.author.handle, followers: m.author.followers, verified: m.author.verified });
        }
        break;
      }
      case 'conversation.created':
      case 'conversation.updated': {
        const c = e.data as Conversation;
        const prev = conversations.get(c.id);
        conversations.set(c.id, prev && prev.version > c.version ? prev : { ...c, labels: c.labels.length ? c.labels : prev?.labels ?? c.labels });
        touched.add(c.id);
        counts = true;
        break;
      }
      case 'note.created': {
        const n = e.data as Note;
        notes.push(n);
        touched.add(n.conversationId);
        break;
      }
      case 'expert.request': {
        // answered, corrected, withdrawn, reassigned: the answer is a note of the thread (its text
        // changes when corrected), so an open conversation is fetched again; the questions' lists
        // refresh in ../workflow/live.ts
        const id = (e.data as { conversationId?: unknown } | null)?.conversationId;
        if (typeof id === 'number') touched.add(id);
        break;
      }
      case 'presence': {
        const d = e.data as { conversationId: number; users: PresenceUser[] };
        setPresence(d.conversationId, d.users);
        break;
      }
      case 'notification':
      case 'notification.read':
        // new, or read elsewhere (another tab, or withdrawn with an SLA clock): list and unread count
        qc.invalidateQueries({ queryKey: keys.notifications });
        break;
      case 'channel.health': {
        const a = e.data as ChannelAccount;
        qc.setQueryData<ChannelAccount[]>(keys.channels, (xs) => (xs ? xs.map((x) => (x.id === a.id ? { ...x, ...a } : x)) : xs));
        break;
      }
      case 'user.updated': {
        const u = e.data as User;
        qc.setQueryData<User[]>(keys.users, (xs) => (xs ? xs.map((x) => (x.id === u.id ? { ...x, ...u } : x)) : xs));
        // your own availability, also when the system changed it (back at the desk after an absence)
        qc.setQueryData<Me | null>(keys.me, (m) => (m && m.user.id === u.id ? { ...m, user: { ...m.user, ...u } } : m));
        break;
      }
    }
  }
  for (const m of messages) {
    let partial = false;
    qc.setQueryData<ConversationDetail>(keys.detail(m.conversationId), (d) => {
      if (!d) return d;
      const i = d.messages.findIndex((x) => x.id === m.id);
      if (i >= 0) {
        const next = d.messages.slice();
        // an event never loses the author, nor the full triage, the detail already had
        const had = next[i]!;
        next[i] = { ...m, author: m.author ?? had.author, triage: m.triage?.partial && had.triage && !had.triage.partial ? had.triage : m.triage };
        return { ...d, messages: next };
      }
      // a new message's event carries its triage without reasons: the detail is fetched again for them
      partial ||= !!m.triage?.partial;
      const next = [...d.messages, m].sort((a, b) => Date.parse(a.createdAt ?? '') - Date.parse(b.createdAt ?? '') || a.id - b.id);
      return { ...d, messages: next };
    });
    // an open conversation is refetched below (scheduleDetailRefresh); a cached one is refetched when opened
    if (partial) void qc.invalidateQueries({ queryKey: keys.detail(m.conversationId), refetchType: 'none' });
  }
  for (const n of notes) {
    qc.setQueryData<ConversationDetail>(keys.detail(n.conversationId), (d) => (d && !d.notes.some((x) => x.id === n.id) ? { ...d, notes: [...d.notes, n] } : d));
  }
  patchConversationEverywhere(qc, [...conversations.values()]);
  if (counts) scheduleCounts(qc);
  // The open conversation's audit trail is not carried by events: refresh it soon after.
  for (const id of touched) scheduleDetailRefresh(qc, id);
}

let countsTimer: ReturnType<typeof setTimeout> | null = null;
function scheduleCounts(qc: QueryClient) {
  if (countsTimer) return;
  countsTimer = setTimeout(() => {
    countsTimer = null;
    qc.invalidateQueries({ queryKey: keys.counts });
  }, 1000);
}

const detailTimers = new Map<number, ReturnType<typeof setTimeout>>();
function scheduleDetailRefresh(qc: QueryClient, id: number) {
  if (detailTimers.has(id) || !qc.getQueryCache().find({ queryKey: keys.detail(id), type: 'active' })) return;
  detailTimers.set(id, setTimeout(() => {
    detailTimers.delete(id);
    qc.invalidateQueries({ queryKey: keys.detail(id), refetchType: 'active' });
  }, 1500));
}

/** How to end the open stream (one per mounted `useLiveEvents`), for `stopLiveEvents`. */
const stops = new Set<() => void>();

/**
 * End the live connection now, before the page that opened it is gone: signing out
 * (api/queries.ts `signedOut`) stops it first, so no event that arrives as the session ends
 * (a notification, an incident, the server's own `signed-out`) invalidates a query that would
 * then be fetched without a session (a 401), and no new stream is tried. Events still waiting
 * for their batch are dropped with it.
 */
export function stopLiveEvents(): void {
  for (const stop of [...stops]) stop();
}

/** Connect while signed in; apply events to the query caches. */
export function useLiveEvents(enabled: boolean): void {
  const qc = useQueryClient();
  useEffect(() => {
    if (!enabled) return;
    // signed in (again): whatever ended a session before is not this one's
    endedByServer = false;
    let es: EventSource | null = null;
    let buffer: Incoming[] = [];
    let flushTimer: ReturnType<typeof setTimeout> | null = null;
    let retryTimer: ReturnType<typeof setTimeout> | null = null;
    let closed = false;
    /** The last event id seen, for resuming on a stream this code opens (the browser's own reconnects send it as a header). */
    let lastEventId: string | null = null;
    let pingMs = DEFAULT_PING_MS;
    let lastHeard = Date.now();

    const flush = () => {
      flushTimer = null;
      const batch = buffer;
      buffer = [];
      applyBatch(qc, batch);
      for (const e of batch) for (const l of eventListeners) l(e);
    };
    const push = (type: string, raw: string) => {
      let data: unknown = {};
      try {
        data = raw ? JSON.parse(raw) : {};
      } catch {
        return;
      }
      buffer.push({ type, data });
      flushTimer ??= setTimeout(flush, 50);
    };

    const connect = () => {
      // the first connection is "connecting"; any later one (after live, an error or silence) is a reconnection
      setStatus(status === 'connecting' ? 'connecting' : 'reconnecting');
      lastHeard = Date.now();
      es = new EventSource(lastEventId ? `/api/events?lastEventId=${encodeURIComponent(lastEventId)}` : '/api/events');
      es.onopen = () => {
        lastHeard = Date.now();
        // opened: the session is good (signed in again, or it never ended)
        endedByServer = false;
        const wasDown = status === 'reconnecting' || status === 'offline';
        setStatus('live');
        // After an outage longer than the server's replay buffer, `reset` arrives; after a
        // short one the replay covers it. Counts are cheap: refresh them either way.
        if (wasDown) qc.invalidateQueries({ queryKey: keys.counts });
      };
      es.onerror = () => {
        if (closed) return;
        if (es && es.readyState === EventSource.CLOSED) {
          // The server refused (e.g. session expired): check the session, then retry.
          setStatus('offline');
          es = null;
          qc.invalidateQueries({ queryKey: keys.me });
          retryTimer = setTimeout(connect, 5000);
        } else {
          setStatus('reconnecting');
        }
      };
      for (const type of EVENT_TYPES) {
        es.addEventListener(type, (ev) => {
          const m = ev as MessageEvent<string>;
          lastHeard = Date.now();
          // after a reset the old id means nothing to the server any more
          lastEventId = type === 'reset' ? null : m.lastEventId || lastEventId;
          push(type, m.data);
        });
      }
      // the session ended: no reconnecting (the next stream would be refused); who is signed in now?
      es.addEventListener('signed-out', (ev) => {
        let why: SignedOutEvent = { code: 'auth.session_expired' };
        try {
          why = { ...why, ...JSON.parse((ev as MessageEvent<string>).data) };
        } catch {
          /* ended all the same */
        }
        es?.close();
        es = null;
        endedByServer = true;
        setStatus('offline');
        for (const l of eventListeners) l({ type: 'signed-out', data: why });
        // 401: signed out (router.tsx); two-factor required: the set-up screen (main.tsx); still
        // signed in (again, in another tab): a stream opens again (this effect is gone otherwise)
        void qc.invalidateQueries({ queryKey: keys.me });
        if (retryTimer) clearTimeout(retryTimer);
        retryTimer = setTimeout(connect, AFTER_SIGNED_OUT_MS);
      });
      // their role changed: what they may read changed with it. Everything is asked again (who
      // they are, the lists, the open conversation) and a stream with the new role's reach opens
      // at once, from the last event this one had
      es.addEventListener('role-changed', () => {
        es?.close();
        es = null;
        for (const l of eventListeners) l({ type: 'role-changed', data: {} });
        void qc.invalidateQueries();
        connect();
      });
      es.addEventListener('ping', (ev) => {
        lastHeard = Date.now();
        try {
          const every = Number(JSON.parse((ev as MessageEvent<string>).data)?.every);
          if (every >= 1_000) pingMs = every;
        } catch {
          /* keep the period we had */
        }
      });
    };
    // a silent stream is a dead one: open another (an offline retry already waiting has its own timer)
    const watchdog = setInterval(() => {
      if (closed || !es || Date.now() - lastHeard <= silenceLimit(pingMs)) return;
      es.close();
      es = null;
      connect();
    }, 1_000);
    const stop = () => {
      stops.delete(stop);
      if (closed) return;
      closed = true;
      es?.close();
      es = null;
      buffer = [];
      clearInterval(watchdog);
      if (flushTimer) clearTimeout(flushTimer);
      if (retryTimer) clearTimeout(retryTimer);
    };
    stops.add(stop);
    connect();
    return () => {
      stop();
      setStatus('connecting');
    };
  }, [enabled, qc]);
}
