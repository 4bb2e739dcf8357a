/**
 * The top bar: search over message text, live connection state, channel health alerts,
 * notifications, and the signed-in person with their availability (routing only
 * assigns to agents who are online) and their account menu (change password, two-factor
 * sign-in).
 *
 * Notifications: the badge is the server's count of every unread one (the panel lists the
 * latest); opening one (its conversation, from the panel or its alert) marks it read, and
 * "Mark all read" reads them all. Other tabs follow through `notification.read` events.
 */
import { forwardRef, useEffect, useId, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { api } from '../api/client.js';
import { useIncidents } from '../api/workflow.js';
import { keys, signedOut, useChannels, useSetAvailability } from '../api/queries.js';
import type { Me, Notification } from '../api/types.js';
import { useLiveStatus } from '../live/events.js';
import { setDesktop, useDesktopAttention, useDesktopState } from '../live/attention.js';
import { useWithdrawnSlaAlerts } from '../live/slaAlerts.js';
import { ROLE_LABEL, networkLabel, shortAgo, sinceText, useNow } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';
import { Avatar, WarningIcon } from '../ui/bits.js';
import { Modal } from '../ui/Modal.js';
import { useToast } from '../ui/Toasts.js';
import { LiveAlerts } from '../workflow/Alerts.js';
import { IncidentBanner } from '../workflow/Incidents.js';
import { DeskNav } from './DeskNav.js';
import { PasskeysDialog } from './PasskeysDialog.js';
import { PasswordDialog } from './PasswordDialog.js';
import { TwoFactorDialog } from './TwoFactorDialog.js';

export interface HeaderProps {
  me: Me;
  query: string;
  onQuery: (q: string) => void;
  onOpenConversation: (id: number) => void;
  onShowShortcuts: () => void;
  /** Experts do not search the inbox. */
  hideSearch?: boolean;
}

export const Header = forwardRef<HTMLInputElement, HeaderProps>(function Header({ me, query, onQuery, onOpenConversation, onShowShortcuts, hideSearch }, searchRef) {
  const qc = useQueryClient();
  const toast = useToast();
  const availability = useSetAvailability();
  const live = useLiveStatus();
  const [draft, setDraft] = useState(query);
  const [notesOpen, setNotesOpen] = useState(false);
  const [healthOpen, setHealthOpen] = useState(false);
  const channels = useChannels().data ?? [];
  const unhealthy = channels.filter((c) => c.status !== 'active' && c.status !== 'paused');
  const notificationPage = useNotificationPage().data;
  const notifications = notificationPage?.items ?? [];
  const unread = notificationPage?.unread ?? 0;
  const markRead = useMarkNotificationsRead();
  const now = useNow();
  useWithdrawnSlaAlerts();
  /** Opening a conversation from a notification or its alert reads that conversation's notifications. */
  const openNotified = (conversationId: number) => {
    const ids = notifications.filter((n) => !n.read && n.conversationId === conversationId).map((n) => n.id);
    if (ids.length) markRead.mutate({ ids });
    onOpenConversation(conversationId);
  };

  useDesktopAttention({ userId: me.user.id, unread, onOpenConversation: openNotified });

  useEffect(() => setDraft(query), [query]);
  useEffect(() => {
    if (draft === query) return;
    const t = setTimeout(() => onQuery(draft), 250);
    return () => clearTimeout(t);
  }, [draft]); // eslint-disable-line react-hooks/exhaustive-deps

  const signOut = async () => {
    let provider: string | undefined;
    try {
      // signed in with a provider that signs people out too: on to it (it comes back to /login)
      provider = (await api<{ redirect?: string } | undefined>('POST', '/api/auth/logout'))?.redirect;
    } finally {
      signedOut(qc);
    }
    if (provider && /^https?:\/\//i.test(provider)) window.location.assign(provider);
  };

  return (
    <>
    <header className="topbar">
      <div className="brand">
        <span className="brand-mark" aria-hidden="true">
          P
        </span>
        <span className="brand-name">Parley</span>
      </div>
      <details className="desk-menu">
        <summary className="btn btn-small btn-ghost">Menu</summary>
        <nav
          className="desk-menu-list"
          aria-label="Desk pages"
          onClick={(e) => {
            // a followed link closes the menu
            if ((e.target as HTMLElement).closest('a')) e.currentTarget.closest('details')?.removeAttribute('open');
          }}
        >
          <DeskNav me={me} compact />
        </nav>
      </details>
      {!hideSearch && <form
        role="search"
        className="search"
        onSubmit={(e) => {
          e.preventDefault();
          onQuery(draft);
        }}
      >
        <label htmlFor="global-search" className="visually-hidden">
          Search messages
        </label>
        <input
          id="global-search"
          ref={searchRef}
          type="search"
          placeholder="Search messages  ( / )"
          autoComplete="off"
          value={draft}
          maxLength={500}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              // Esc leaves the field and keeps what it searched, so j / k and Enter work the results
              // (Esc again, on the inbox, clears the search); an edit not searched yet is dropped
              e.preventDefault(); // Chromium's own Esc would empty a search field
              if (draft !== query) setDraft(query);
              e.currentTarget.blur();
            }
          }}
        />
      </form>}
      <div className="topbar-right">
        <span className={`live live-${live}`} title={live === 'live' ? 'Receiving live updates' : 'Live updates interrupted; reconnecting'}>
          <span className="dot" aria-hidden="true" />
          <span className="live-text">{live === 'live' ? 'Live' : live === 'connecting' ? 'Connecting…' : 'Reconnecting…'}</span>
        </span>
        {unhealthy.length > 0 && (
          <button type="button" className="btn btn-danger btn-small" onClick={() => setHealthOpen(true)}>
            <WarningIcon /> {unhealthy.length} channel{unhealthy.length > 1 ? 's' : ''} need{unhealthy.length > 1 ? '' : 's'} attention
          </button>
        )}
        <button type="button" className="btn btn-ghost btn-small" onClick={() => setNotesOpen(true)}>
          Notifications
          {unread > 0 && (
            <span className="count-pill count-alert" data-testid="notifications-unread">
              {unread.toLocaleString('en-GB')}
              <span className="visually-hidden"> unread</span>
            </span>
          )}
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={onShowShortcuts} aria-label="Keyboard shortcuts">
          <span aria-hidden="true">?</span>
        </button>
        <div className="me">
          <UserMenu me={me} />
          <label className="visually-hidden" htmlFor="availability">
            Availability
          </label>
          <select
            id="availability"
            className={`availability avail-${me.user.availability}`}
            value={me.user.availability}
            disabled={availability.isPending}
            onChange={(e) =>
              availability.mutate(e.target.value, {
                onSuccess: (m) => toast(`You are now ${m.user.availability}`),
                onError: (err) => toast((err as Error).message, 'error'),
              })
            }
          >
            <option value="online">● Online</option>
            <option value="away">● Away</option>
            <option value="offline">● Offline</option>
          </select>
          <button type="button" className="btn btn-ghost btn-small" onClick={signOut}>
            Sign out
          </button>
        </div>
      </div>

      <Modal open={healthOpen} onClose={() => setHealthOpen(false)} title="Channels that need attention">
        <ul className="plain-list">
          {unhealthy.map((c) => (
            <li key={c.id} className="health-item">
              <strong>
                {networkLabel(c.network)} @{c.handle}
              </strong>{' '}
              <span className="badge badge-danger">{c.status}</span>
              {c.health.message && (
                <p>
                  <SafeText text={String(c.health.message)} linkify={false} />
                </p>
              )}
              {c.health.advice && (
                <p className="muted">
                  <SafeText text={String(c.health.advice)} linkify={false} />
                </p>
              )}
              {c.health.since && sinceText(String(c.health.since), now) && <p className="muted health-since">Since {sinceText(String(c.health.since), now)}</p>}
            </li>
          ))}
        </ul>
      </Modal>

      <Modal open={notesOpen} onClose={() => setNotesOpen(false)} title="Notifications">
        <DesktopNotifications userId={me.user.id} />
        {unread > 0 && (
          <p className="small">
            {unread.toLocaleString('en-GB')} unread{' '}
            <button type="button" className="btn btn-small" disabled={markRead.isPending} onClick={() => markRead.mutate({ all: true })}>
              Mark all read
            </button>
          </p>
        )}
        {notifications.length === 0 ? (
          <p className="muted">Nothing yet. Mentions in internal notes and channel alerts show up here.</p>
        ) : (
          <ul className="plain-list notification-list">
            {notifications.slice(0, 50).map((n) => (
              <li key={n.id} className={n.read ? 'read' : 'unread'}>
                <div className="notification-title">
                  {n.title} <span className="muted">· {shortAgo(n.createdAt, now)}</span>
                </div>
                <div className="muted">
                  <SafeText text={n.body} linkify={false} />
                </div>
                {n.conversationId != null ? (
                  <button
                    type="button"
                    className="link-button"
                    onClick={() => {
                      setNotesOpen(false);
                      if (!n.read) markRead.mutate({ ids: [n.id] });
                      onOpenConversation(n.conversationId!);
                    }}
                  >
                    Open conversation #{n.conversationId}
                  </button>
                ) : (
                  !n.read && (
                    <button type="button" className="link-button" onClick={() => markRead.mutate({ ids: [n.id] })}>
                      Mark read
                    </button>
                  )
                )}
              </li>
            ))}
          </ul>
        )}
      </Modal>
    </header>
    <CompactIncidentBanner me={me} />
    <LiveAlerts onOpenConversation={openNotified} />
    </>
  );
});

/**
 * The open incidents' banner, which on a phone (760 px wide or less, styles.css) is one line
 * per incident (its title) until "More" shows the rest (why, since when, the statement, the
 * lead's buttons): written out in full it took most of a phone's height from the conversation
 * under it. Wider screens show it in full, and the toggle not at all.
 */
function CompactIncidentBanner({ me }: { me: Me }) {
  const [expanded, setExpanded] = useState(false);
  const anyOpen = (useIncidents().data ?? []).some((i) => i.status === 'open');
  return (
    <div className={`incident-area${expanded ? ' incident-expanded' : ''}`}>
      <IncidentBanner me={me} />
      {anyOpen && (
        <button type="button" className="btn btn-small incident-more" aria-expanded={expanded} onClick={() => setExpanded((x) => !x)}>
          {expanded ? 'Less' : 'More'}
          <span className="visually-hidden"> about the incident</span>
        </button>
      )}
    </div>
  );
}

/** The latest notifications and the count of every unread one. */
interface NotificationPage {
  items: Notification[];
  unread: number;
}

const DESKTOP_SAYS: Record<string, string> = {
  unsupported: 'This browser cannot show desktop notifications for this desk (they need https, or the desk on this computer).',
  blocked: 'Your browser blocks notifications from this desk: allow them in the site\'s settings (the icon left of the address), then turn them on here.',
  on: 'While the desk is in the background, alerts and customers waiting for you show as desktop notifications.',
  off: 'Show alerts and customers waiting for you as desktop notifications while the desk is in the background.',
};

/** The per-browser switch for desktop notifications (the browser asks its permission when it is turned on). */
function DesktopNotifications({ userId }: { userId: number }) {
  const state = useDesktopState(userId);
  const [asking, setAsking] = useState(false);
  const hint = useId();
  return (
    <div className="desktop-notifications small">
      <label>
        <input
          type="checkbox"
          checked={state === 'on'}
          disabled={asking || state === 'unsupported' || state === 'blocked'}
          aria-describedby={hint}
          onChange={async (e) => {
            setAsking(true);
            try {
              await setDesktop(userId, e.target.checked);
            } finally {
              setAsking(false);
            }
          }}
        />{' '}
        Desktop notifications
      </label>
      <p id={hint} className="muted">
        {DESKTOP_SAYS[state]}
      </p>
    </div>
  );
}

/** Under `keys.notifications`, so every notification event (new, or read elsewhere) refetches it. */
const notificationPageKey = [...keys.notifications, 'page'] as const;

function useNotificationPage() {
  return useQuery({ queryKey: notificationPageKey, queryFn: () => api<NotificationPage>('GET', '/api/notifications'), staleTime: 60_000 });
}

type MarkRead = { ids: number[] } | { all: true };

/** Mark read on the server; the badge and the list change at once, and are put right if the server says otherwise. */
function useMarkNotificationsRead() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: MarkRead) => api<{ read: number; unread: number }>('POST', '/api/notifications/read', body),
    onMutate: (body) => {
      void qc.cancelQueries({ queryKey: notificationPageKey });
      markReadInCache(qc, body);
    },
    onSuccess: (r) => qc.setQueryData<NotificationPage>(notificationPageKey, (p) => (p ? { ...p, unread: r.unread } : p)),
    onSettled: () => qc.invalidateQueries({ queryKey: keys.notifications }),
  });
}

function markReadInCache(qc: QueryClient, body: MarkRead) {
  qc.setQueryData<NotificationPage>(notificationPageKey, (p) => {
    if (!p) return p;
    const ids = 'ids' in body ? new Set(body.ids) : null;
    let changed = 0;
    const items = p.items.map((n) => {
      if (n.read || (ids && !ids.has(n.id))) return n;
      changed++;
      return { ...n, read: true };
    });
    return { items, unread: ids ? Math.max(0, p.unread - changed) : 0 };
  });
}

/**
 * The signed-in person's account menu: a disclosure under their name (Esc or a click
 * elsewhere closes it). Everyone, whatever their role, changes their password, sets up
 * two-factor sign-in (which they do not turn off while their desk requires it) and their passkeys here.
 */
function UserMenu({ me }: { me: Me }) {
  const [open, setOpen] = useState(false);
  const [passwordOpen, setPasswordOpen] = useState(false);
  const [twoFactorOpen, setTwoFactorOpen] = useState(false);
  const [passkeysOpen, setPasskeysOpen] = useState(false);
  const wrap = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  const listId = useId();
  // a dialog gives focus back to what had it: the menu's button, not the item now hidden
  const openDialog = (show: (v: boolean) => void) => {
    setOpen(false);
    button.current?.focus();
    show(true);
  };
  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (wrap.current && !wrap.current.contains(e.target as Node)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape') return;
      setOpen(false);
      button.current?.focus();
    };
    document.addEventListener('mousedown', onDown);
    document.addEventListener('keydown', onKey);
    return () => {
      document.removeEventListener('mousedown', onDown);
      document.removeEventListener('keydown', onKey);
    };
  }, [open]);
  return (
    <div className="user-menu" ref={wrap}>
      <button ref={button} type="button" className="user-menu-button" aria-expanded={open} aria-controls={listId} onClick={() => setOpen((o) => !o)}>
        {/* named by what it shows (the person), after what it is */}
        <span className="visually-hidden">Your account: </span>
        <Avatar name={me.user.name} seed={`u${me.user.id}`} size="sm" />
        <span className="me-text">
          <span className="me-name">{me.user.name}</span>
          <span className="me-role">{ROLE_LABEL[me.user.role] ?? me.user.role}</span>
        </span>
        <span className="user-menu-caret" aria-hidden="true">
          ▾
        </span>
      </button>
      <div id={listId} className="user-menu-list" hidden={!open}>
        <p className="user-menu-who small muted">
          Signed in as <span dir="auto">{me.user.email}</span>
        </p>
        <button type="button" className="btn btn-ghost btn-small user-menu-item" onClick={() => openDialog(setPasswordOpen)}>
          Change password…
        </button>
        <button type="button" className="btn btn-ghost btn-small user-menu-item" onClick={() => openDialog(setTwoFactorOpen)}>
          Two-factor sign-in…{' '}
          <span className="muted">{me.user.twoFactor ? '(on)' : '(off)'}</span>
        </button>
        <button type="button" className="btn btn-ghost btn-small user-menu-item" onClick={() => openDialog(setPasskeysOpen)}>
          Passkeys…
        </button>
      </div>
      <PasswordDialog open={passwordOpen} onClose={() => setPasswordOpen(false)} email={me.user.email} />
      <TwoFactorDialog open={twoFactorOpen} onClose={() => setTwoFactorOpen(false)} user={me.user} required={me.twoFactorRequired} />
      <PasskeysDialog open={passkeysOpen} onClose={() => setPasskeysOpen(false)} />
    </div>
  );
}
