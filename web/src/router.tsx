/**
 * Routes: /login, and /inbox/<view> (everything else lives in the inbox URL's search
 * parameters). The root checks the session and keeps the live connection open.
 */
import { useEffect } from 'react';
import { createRootRoute, createRoute, createRouter, Navigate, Outlet, redirect, useRouterState } from '@tanstack/react-router';
import { useQueryClient } from '@tanstack/react-query';
import { setCsrfToken, setUnauthorizedHandler } from './api/client.js';
import { keys, signedOut, useMe } from './api/queries.js';
import { useLiveEvents } from './live/events.js';
import { setViewer } from './live/listCache.js';
import { LoginPage } from './shell/LoginPage.js';
import { InboxPage } from './inbox/InboxPage.js';
import { isView, parseInboxSearch } from './inbox/search.js';
import { Spinner } from './ui/bits.js';

function Root() {
  const qc = useQueryClient();
  const me = useMe();
  const path = useRouterState({ select: (s) => s.location.pathname });
  const href = useRouterState({ select: (s) => s.location.href });
  const signedIn = !!me.data;

  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (qc.getQueryData(keys.me)) signedOut(qc);
    });
  }, [qc]);
  useEffect(() => {
    if (me.data) {
      setCsrfToken(me.data.csrfToken);
      setViewer({ userId: me.data.user.id, teamIds: me.data.teams.map((t) => t.id) });
    }
  }, [me.data]);
  useLiveEvents(signedIn);

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
  if (!signedIn && path !== '/login') return <Navigate to="/login" search={{ redirect: path.startsWith('/inbox') ? href : undefined }} replace />;
  if (signedIn && path === '/login') return <Navigate to="/inbox/$view" params={{ view: 'open' }} replace />;
  return <Outlet />;
}

const rootRoute = createRootRoute({ component: Root, notFoundComponent: () => <Navigate to="/inbox/$view" params={{ view: 'open' }} replace /> });

export const loginRoute = createRoute({
  getParentRoute: () => rootRoute,
  path: '/login',
  validateSearch: (s: Record<string, unknown>): { redirect?: string } => (typeof s.redirect === 'string' && s.redirect.startsWith('/inbox') ? { redirect: s.redirect } : {}),
  component: LoginPage,
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

const routeTree = rootRoute.addChildren([loginRoute, indexRoute, inboxRoute]);

export const router = createRouter({ routeTree, defaultPreload: false, scrollRestoration: false });

declare module '@tanstack/react-router' {
  interface Register {
    router: typeof router;
  }
}
