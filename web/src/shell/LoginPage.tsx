/** Sign-in: email and password; the server sets an httpOnly session cookie. */
import { useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, ApiError, setCsrfToken } from '../api/client.js';
import { keys } from '../api/queries.js';
import type { Me } from '../api/types.js';

export function LoginPage() {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const search = useSearch({ from: '/login' });
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api<Me>('POST', '/api/auth/login', { email, password });
      setCsrfToken(me.csrfToken);
      qc.setQueryData(keys.me, me);
      if (search.redirect) await navigate({ href: search.redirect, replace: true });
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
          <input type="email" name="email" autoComplete="username" required autoFocus value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label className="field">
          <span>Password</span>
          <input type="password" name="password" autoComplete="current-password" required value={password} onChange={(e) => setPassword(e.target.value)} />
        </label>
        {error && (
          <p className="form-error" role="alert">
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
