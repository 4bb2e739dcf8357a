/** The Parley agent UI: React 19, TanStack Query (server state) and Router (URL state). */
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { QueryClient, QueryClientProvider, useQueryClient } from '@tanstack/react-query';
import { RouterProvider } from '@tanstack/react-router';
import { api, setCsrfToken, setSecondFactorRequiredHandler } from './api/client.js';
import { keys, signedOut, useMe } from './api/queries.js';
import { router } from './router.js';
import { TwoFactorRequiredScreen } from './shell/TwoFactorDialog.js';
import { ToastProvider } from './ui/Toasts.js';
import { Announcer } from './ui/Announcer.js';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      // retry what may be passing (server errors, a dropped connection), never 4xx
      retry: (n, err) => {
        const status = (err as { status?: number }).status ?? 0;
        return n < 2 && (status === 0 || status >= 500);
      },
      refetchOnWindowFocus: true,
    },
    mutations: { retry: false },
  },
});

/**
 * The desk, or, for someone whose brand requires two-factor sign-in and who has not set it up,
 * the screen that sets it up (or signs out) in its place: known from `GET /api/me`
 * (`twoFactorRequired`), or from the server refusing anything with 403 `two_factor.required`
 * (the policy turned on while the desk was open). Once the set-up has begun the screen stays
 * until the recovery codes are saved; then the desk loads afresh.
 */
function Desk() {
  const qc = useQueryClient();
  const me = useMe().data ?? null;
  /** The server said so (403 `two_factor.required`) since this person signed in. */
  const [refused, setRefused] = useState(false);
  /** The set-up has begun: shown to the end (the recovery codes), though it is on by then. */
  const [started, setStarted] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  useEffect(() => {
    setSecondFactorRequiredHandler(() => {
      setRefused(true);
      // what /api/me says now (the policy, and whether it is on after all)
      void qc.invalidateQueries({ queryKey: keys.me });
    });
    return () => setSecondFactorRequiredHandler(null);
  }, [qc]);
  const userId = me?.user.id ?? null;
  // another person, or nobody: what the last one was told does not hold
  useEffect(() => {
    setRefused(false);
    setStarted(false);
  }, [userId]);
  const held = !!me && ((!me.user.twoFactor && (me.twoFactorRequired || refused)) || started);
  // the desk (router.tsx) sets the CSRF token as it loads; the screen is shown instead of it
  useEffect(() => {
    if (held && me) setCsrfToken(me.csrfToken);
  }, [held, me]);
  if (!held || !me) return <RouterProvider router={router} />;
  return (
    <TwoFactorRequiredScreen
      user={me.user}
      signingOut={signingOut}
      onStarted={() => setStarted(true)}
      onDone={() => {
        setRefused(false);
        setStarted(false);
        // what was refused loads again, as on a fresh sign-in
        qc.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.me[0] });
        void qc.invalidateQueries({ queryKey: keys.me });
      }}
      onSignOut={async () => {
        setSigningOut(true);
        let provider: string | undefined;
        try {
          // signed in with a provider that signs people out too: on to it (it comes back to /login)
          provider = (await api<{ redirect?: string } | undefined>('POST', '/api/auth/logout'))?.redirect;
        } catch {
          // signed out here whatever the server answered (its session may be gone already)
        } finally {
          setSigningOut(false);
          signedOut(qc);
        }
        if (provider && /^https?:\/\//i.test(provider)) window.location.assign(provider);
      }}
    />
  );
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <ToastProvider>
        <Desk />
        <Announcer />
      </ToastProvider>
    </QueryClientProvider>
  </StrictMode>,
);
