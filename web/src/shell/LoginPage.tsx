/**
 * Sign-in: email and password; the server sets an httpOnly session cookie. A tab remembers
 * who used it last: when someone else signs in, the previous person's drafts, alerts and
 * cached data are forgotten and their page is not where the new person lands.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, ApiError, setCsrfToken } from '../api/client.js';
import { keys } from '../api/queries.js';
import type { Me } from '../api/types.js';

const OWNER = 'parley.tab-user';
let ownerInMemory: string | null = null;

/**
 * Record who is signed in on this tab (sessionStorage: a reload remembers it). When it is not
 * the person who used the tab before, what was theirs is forgotten (the drafts and alerts
 * listen for `parley:signed-out`, see api/queries.ts `signedOut`); with `dropCache`, the cached
 * server data too. Returns whether it was someone else.
 */
export function claimTab(qc: QueryClient, userId: number, dropCache = false): boolean {
  let prev = ownerInMemory;
  const id = String(userId);
  try {
    prev = window.sessionStorage.getItem(OWNER) ?? prev;
    window.sessionStorage.setItem(OWNER, id);
  } catch {
    /* storage unavailable: this page's memory only */
  }
  ownerInMemory = id;
  const switched = prev != null && prev !== id;
  if (switched) {
    if (dropCache) qc.removeQueries({ predicate: (q) => q.queryKey[0] !== keys.me[0] });
    window.dispatchEvent(new CustomEvent('parley:signed-out', { detail: { why: 'switched-user' } }));
  }
  return switched;
}

export function LoginPage() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const search = useSearch({ from: '/login' });
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  // after a refusal focus is back in the form (the button it left was disabled), on the
  // password, selected, ready to type again; the error is tied to both fields
  useEffect(() => {
    if (error) passwordRef.current?.select();
  }, [error]);
  const errorProps = error ? { 'aria-invalid': true, 'aria-describedby': 'login-error' } : {};

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('POST', '/api/auth/login', { email, password });
      setCsrfToken(me.csrfToken);
      // not the person who used this tab before (their session ended): start clean, and not on their page
      const switched = claimTab(qc, me.user.id, true);
      qc.setQueryData(keys.me, me);
      if (search.redirect && !switched) await navigate({ href: search.redirect, replace: true });
      else await navigate({ to: '/inbox/$view', params: { view: 'open' }, replace: true });
    } catch (err) {
      const code = err instanceof ApiError ? err.code : '';
      setError(code === 'auth.invalid_credentials' ? 'Wrong email or password.' : (err as Error).message);
      setBusy(false);
    }
  };

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="login-title">
        <div className="brand-mark" aria-hidden="true">
          P
        </div>
        <h1 id="login-title">Sign in to Parley</h1>
        <p className="muted">Your team's social care desk.</p>
        <label className="field">
          <span>Email</span>
          <input type="email" name="email" autoComplete="username" required autoFocus {...errorProps} value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>Password</span>
          <input ref={passwordRef} type="password" name="password" autoComplete="current-password" required {...errorProps} value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <p id="login-error" className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
