/**
 * Routes: /login, /reset-password (an admin's one-time link, before signing in), and
 * /inbox/<view> (everything else lives in the inbox URL's search parameters). The root checks
 * the session and keeps the live connection open.
 */
import { useEffect } from 'react';
import { createRootRoute, createRoute, createRouter, lazyRouteComponent, Navigate, Outlet, redirect, useNavigate, useRouterState } from '@tanstack/react-router';
import { useQueryClient } from '@tanstack/react-query';
import { setCsrfToken, setUnauthorizedHandler } from './api/client.js';
import { keys, signedOut, useMe } from './api/queries.js';
import { useLiveEvents } from './live/events.js';
import { setViewer } from './live/listCache.js';
import { cameBackFromSso, claimTab, LoginPage } from './shell/LoginPage.js';
import { InboxPage } from './inbox/InboxPage.js';
import { isView, parseInboxSearch } from './inbox/search.js';
import { isSection, parseReportsSearch } from './reports/search.js';
import { Spinner } from './ui/bits.js';
import { useWorkflowLive } from './workflow/live.js';
import { isAdminSection } from './admin/sections.js';

/**
 * Set when the person signed out on purpose: the sign-in page then offers no way back to the
 * page they were on (the next person to sign in on this tab lands on the inbox). A session
 * that expired keeps it, for the same person signing in again.
 */
let signedOutOnPurpose = false;
if (typeof window !== 'undefined') {
  // dispatched by signedOut() (api/queries.ts)
  window.addEventListener('parley:signed-out', (e) => {
    if ((e as CustomEvent<{ why?: string }>).detail?.why === 'signed-out') signedOutOnPurpose = true;
  });
}

function Root() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const me = useMe();
  const path = useRouterState({ select: (s) => s.location.pathname });
  const href = useRouterState({ select: (s) => s.location.href });
  const signedIn = !!me.data;

  useEffect(() => {
    setUnauthorizedHandler(() => {
      // the server ended the session: the same person may sign in again and keep their drafts
      if (qc.getQueryData(keys.me)) signedOut(qc, 'expired');
    });
  }, [qc]);
  useEffect(() => {
    if (me.data) {
      signedOutOnPurpose = false;
      // someone else's session on this tab before (a reload after another sign-in, or a single
      // sign-on, which comes back by a redirect): forget theirs
      const switched = claimTab(qc, me.data.user.id);
      // a single sign-on returns to the page the sign-in page was given as the way back, which was
      // the previous person's (their session expired): someone else does not stay on it
      if (cameBackFromSso() && switched) void navigate({ to: '/inbox/$view', params: { view: 'open' }, replace: true });
      setCsrfToken(me.data.csrfToken);
      setViewer({ userId: me.data.user.id, teamIds: me.data.teams.map((t) => t.id) });
    }
  }, [me.data, qc, navigate]);
  useLiveEvents(signedIn);
  useWorkflowLive(signedIn);

  if (me.isPending) {
    return (
      <div className="splash">
        <Spinner label="Loading Parley" />
      </div>
    );
  }
  if (me.isError) {
    return (
      <main className="splash">
        <p role="alert">Parley cannot be reached right now. {(me.error as Error).message}</p>
        <button type="button" className="btn" onClick={() => me.refetch()}>
          Try again
        </button>
      </main>
    );
  }
  if (!signedIn && !isPublic(path)) return <Navigate to="/login" search={{ redirect: !signedOutOnPurpose && returnable(path) ? href : undefined }} replace />;
  // Experts work only on the questions they are asked (the inbox is not theirs).
  if (signedIn && me.data!.user.role === 'expert' && (path === '/login' || path.startsWith('/inbox'))) return <Navigate to="/expert" replace />;
  if (signedIn && path === '/login') return <Navigate to="/inbox/$view" params={{ view: 'open' }} replace />;
  return <Outlet />;
}

/** Pages for people not signed in (a reset link works for whoever is signed in on the tab too). */
const isPublic = (p: string) => p === '/login' || p === '/reset-password';

/** Pages a sign-in may return to. */
const returnable = (p: string) => ['/inbox', '/queues', '/approvals', '/expert', '/incidents', '/admin', '/reports'].some((x) => p === x || p.startsWith(`${x}/`) || p.startsWith(`${x}?`));

const rootRoute = createRootRoute({ component: Root, notFoundComponent: () => <Navigate to="/inbox/$view" params={{ view: 'open' }} replace /> });

export const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/login',
  // reset=done: arriving from /reset-password, the password just changed; sso_error: a single
  // sign-on came back unsigned-in, and why (shell/LoginPage.tsx says it in words); sso_code: it
  // came back for the person's own second factor (the page asks only the code); saml_logout: a
  // SAML single logout came back from the identity provider (done, partial or refused)
  validateSearch: (s: Record<string, unknown>): { redirect?: string; reset?: 'done'; sso_error?: string; sso_code?: 1; saml_logout?: 'done' | 'partial' | 'refused' } => ({
    ...(typeof s.redirect === 'string' && returnable(s.redirect) ? { redirect: s.redirect } : {}),
    ...(s.reset === 'done' ? { reset: 'done' as const } : {}),
    ...(typeof s.sso_error === 'string' && /^[a-z_]{1,40}$/.test(s.sso_error) ? { sso_error: s.sso_error } : {}),
    // kept a number: the router reads sso_code=1 as 1, and writes a string '1' back as sso_code=%221%22
    ...(s.sso_code === '1' || s.sso_code === 1 ? { sso_code: 1 as const } : {}),
    ...(s.saml_logout === 'done' || s.saml_logout === 'partial' || s.saml_logout === 'refused' ? { saml_logout: s.saml_logout } : {}),
  }),
  component: LoginPage,
});

// The page of an admin's reset link: lazy (rarely opened; the token is in the URL's fragment).
const resetPasswordRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/reset-password',
  component: lazyRouteComponent(() => import('./shell/ResetPasswordPage.js'), 'ResetPasswordPage'),
});

const indexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/',
  beforeLoad: () => {
    throw redirect({ to: '/inbox/$view', params: { view: 'open' } });
  },
});

export const inboxRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/inbox/$view',
  validateSearch: parseInboxSearch,
  beforeLoad: ({ params }) => {
    if (!isView(params.view)) throw redirect({ to: '/inbox/$view', params: { view: 'open' } });
  },
  component: InboxPage,
});

// Reports: lazy (ECharts and the report pages stay out of the inbox bundle).
const reportsIndexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/reports',
  beforeLoad: () => {
    throw redirect({ to: '/reports/$section', params: { section: 'volume' } });
  },
});

export const reportsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/reports/$section',
  validateSearch: parseReportsSearch,
  beforeLoad: ({ params }) => {
    if (!isSection(params.section)) throw redirect({ to: '/reports/$section', params: { section: 'volume' } });
  },
  component: lazyRouteComponent(() => import('./reports/ReportsPage.js'), 'ReportsPage'),
});

// The care workflow and settings: lazy, like reports.
const num = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
};
const queuesRoute = createRoute({ getParentRoute: () => rootRoute, path: '/queues', component: lazyRouteComponent(() => import('./workflow/QueuesPage.js'), 'QueuesPage') });
const approvalsRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/approvals',
  validateSearch: (s: Record<string, unknown>): { m?: number } => (num(s.m) ? { m: num(s.m) } : {}),
  component: lazyRouteComponent(() => import('./workflow/ApprovalsPage.js'), 'ApprovalsPage'),
});
const expertRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/expert',
  validateSearch: (s: Record<string, unknown>): { r?: number; c?: number } => ({ ...(num(s.r) ? { r: num(s.r) } : {}), ...(num(s.c) ? { c: num(s.c) } : {}) }),
  component: lazyRouteComponent(() => import('./workflow/ExpertPage.js'), 'ExpertPage'),
});
const incidentsRoute = createRoute({ getParentRoute: () => rootRoute, path: '/incidents', component: lazyRouteComponent(() => import('./workflow/IncidentsPage.js'), 'IncidentsPage') });
const adminIndexRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/admin',
  beforeLoad: () => {
    throw redirect({ to: '/admin/$section', params: { section: 'channels' } });
  },
});
const adminRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/admin/$section',
  beforeLoad: ({ params }) => {
    if (!isAdminSection(params.section)) throw redirect({ to: '/admin/$section', params: { section: 'channels' } });
  },
  component: lazyRouteComponent(() => import('./admin/AdminPage.js'), 'AdminPage'),
});

const routeTree = rootRoute.addChildren([loginRoute, resetPasswordRoute, indexRoute, inboxRoute, reportsIndexRoute, reportsRoute, queuesRoute, approvalsRoute, expertRoute, incidentsRoute, adminIndexRoute, adminRoute]);

export const router = createRouter({ routeTree, defaultPreload: false, scrollRestoration: false });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
