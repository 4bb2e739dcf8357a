/**
 * Sign-in: email and password, then, for those who turned two-factor sign-in on, a code from
 * their authenticator app or a recovery code (the server asks for it with
 * `auth.code_required`); the server sets an httpOnly session cookie. A tab remembers who used
 * it last: when someone else signs in, the previous person's drafts, alerts and cached data
 * are forgotten and their page is not where the new person lands. Who forgot their password
 * asks an admin for a one-time link (shell/ResetPasswordPage.tsx), which comes back here
 * with `?reset=done` once the new one is set.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, ApiError, setCsrfToken } from '../api/client.js';
import { keys } from '../api/queries.js';
import type { Me } from '../api/types.js';
import { AuthCodeField } from './TwoFactorDialog.js';

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
  /** The server asked for a second factor: the code field shows, and goes with every try. */
  const [codeAsked, setCodeAsked] = useState(false);
  const [code, setCode] = useState('');
  const [error, setError] = useState<{ text: string; field: 'password' | 'code' } | null>(null);
  const [busy, setBusy] = useState(false);
  const passwordRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  // after a refusal focus is back in the form (the button it left was disabled), on the
  // field at fault, selected, ready to type again; the error is tied to it (a wrong password
  // to both email and password)
  useEffect(() => {
    if (error) (error.field === 'code' ? codeRef : passwordRef).current?.select();
  }, [error]);
  // asked for the code: focus goes to it, which says what to type
  useEffect(() => {
    if (codeAsked) codeRef.current?.focus();
  }, [codeAsked]);
  const errorProps = error?.field === 'password' ? { 'aria-invalid': true, 'aria-describedby': 'login-error' } : {};

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('POST', '/api/auth/login', { email, password, ...(codeAsked ? { code: code.trim() } : {}) });
      setCsrfToken(me.csrfToken);
      // not the person who used this tab before (their session ended): start clean, and not on their page
      const switched = claimTab(qc, me.user.id, true);
      qc.setQueryData(keys.me, me);
      if (search.redirect && !switched) await navigate({ href: search.redirect, replace: true });
      else await navigate({ to: '/inbox/$view', params: { view: 'open' }, replace: true });
    } catch (err) {
      const why = err instanceof ApiError ? err.code : '';
      setBusy(false);
      if (why === 'auth.code_required') setCodeAsked(true);
      else if (why === 'auth.invalid_code') setError({ text: 'That code is not right, or was already used. Type the code your app shows now, or an unused recovery code.', field: 'code' });
      else setError({ text: why === 'auth.invalid_credentials' ? 'Wrong email or password.' : (err as Error).message, field: codeAsked && why === 'auth.rate_limited' ? 'code' : 'password' });
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
        {search.reset === 'done' && (
          <p className="form-ok" role="status" data-testid="password-changed">
            Your password was changed, and you were signed out everywhere. Sign in with the new one.
          </p>
        )}
        <label className="field">
          <span>Email</span>
          <input type="email" name="email" autoComplete="username" required autoFocus {...errorProps} value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>Password</span>
          <input ref={passwordRef} type="password" name="password" autoComplete="current-password" required {...errorProps} value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {codeAsked && (
          <>
            <p>Two-factor sign-in is on for this account: enter the code from your authenticator app.</p>
            <AuthCodeField value={code} onChange={setCode} inputRef={codeRef} recovery invalid={error?.field === 'code'} errorId="login-error" />
          </>
        )}
        {error && (
          <p id="login-error" className="form-error" role="alert">
            {error.text}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">Forgot your password? Ask an admin of your desk for a reset link.</p>
      </form>
    </main>
  );
}
