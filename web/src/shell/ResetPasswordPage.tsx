/**
 * Choosing a new password with an admin's one-time link (`/reset-password#token=…`), before
 * signing in: the token is in the fragment (never sent to a server with the page, nor in a
 * Referer); the page asks the server whose link it is, takes the new password twice, and then
 * sends the person to sign in with it. A link that is unknown, used, expired or of a disabled
 * person gets one answer: it no longer works, ask an admin for a new one.
 */
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useRouterState } from '@tanstack/react-router';
import { ApiError } from '../api/client.js';
import { completePasswordReset, keys, usePasswordResetLink } from '../api/queries.js';
import type { Me, PasswordResetInfo } from '../api/types.js';
import { fullTime } from '../lib/format.js';
import { MIN_PASSWORD_CHARS, passwordProblem } from '../lib/password.js';
import { Spinner } from '../ui/bits.js';


/** The token of `#token=…` (the router's hash is without the `#`). */
export function tokenOfHash(hash: string): string {
  const h = hash.startsWith('#') ? hash.slice(1) : hash;
  return (new URLSearchParams(h).get('token') ?? '').trim();
}

export function ResetPasswordPage() {
  const hash = useRouterState({ select: (s) => s.location.hash });
  const token = tokenOfHash(hash);
  // another link pasted into this tab starts over
  return <ResetWith key={token} token={token} />;
}

function ResetWith({ token }: { token: string }) {
  const link = usePasswordResetLink(token);
  const [usedUp, setUsedUp] = useState(false);

  if (usedUp) return <InvalidLink replacedForm />;
  if (!token || (link.error instanceof ApiError && link.error.code === 'password_reset.invalid')) return <InvalidLink />;
  if (link.isPending) {
    return (
      <main className="login">
        <Spinner label="Checking the link" />
      </main>
    );
  }
  if (link.isError) {
    return (
      <main className="login">
        <div className="login-card">
          <h1>Choose a new password</h1>
          <p role="alert" className="form-error">
            The link cannot be checked right now. {(link.error as Error).message}
          </p>
          <button type="button" className="btn btn-block" onClick={() => link.refetch()}>
            Try again
          </button>
        </div>
      </main>
    );
  }
  return <NewPasswordForm token={token} who={link.data} onInvalid={() => setUsedUp(true)} />;
}

function InvalidLink({ replacedForm }: { replacedForm?: boolean }) {
  const headingRef = useRef<HTMLHeadingElement>(null);
  // it replaced the form (the link was used or voided meanwhile): say so where focus was
  useEffect(() => {
    if (replacedForm) headingRef.current?.focus();
  }, [replacedForm]);
  return (
    <main className="login">
      <div className="login-card">
        <div className="brand-mark" aria-hidden="true">
          P
        </div>
        <h1 ref={headingRef} tabIndex={-1}>
          This link no longer works
        </h1>
        <p>This password reset link is not valid: it was already used, it expired (links work for 24 hours), or it was not copied whole.</p>
        <p>Ask an admin of your desk for a new link.</p>
        <Link to="/login" search={{}} className="btn btn-block">
          Go to sign-in
        </Link>
      </div>
    </main>
  );
}

function NewPasswordForm({ token, who, onInvalid }: { token: string; who: PasswordResetInfo; onInvalid: () => void }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<{ field: 'next' | 'confirm' | 'form'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [doneForOther, setDoneForOther] = useState<string | null>(null);
  const ruleId = useId();
  const errorId = useId();
  const nextRef = useRef<HTMLInputElement>(null);
  const confirmRef = useRef<HTMLInputElement>(null);
  // after a refusal focus is back in the form (the button it left was disabled), on the field
  // at fault, selected, ready to type again
  useEffect(() => {
    if (error) (error.field === 'confirm' ? confirmRef : nextRef).current?.select();
  }, [error]);
  const fieldProps = (f: 'next' | 'confirm', describedBy?: string) => ({
    'aria-invalid': error?.field === f ? true : undefined,
    'aria-describedby': [describedBy, error?.field === f ? errorId : undefined].filter(Boolean).join(' ') || undefined,
  });

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const rule = passwordProblem(next);
    if (rule) return setError({ field: 'next', text: rule });
    if (next !== confirm) return setError({ field: 'confirm', text: 'The two passwords differ: type the same one twice.' });
    setError(null);
    setBusy(true);
    try {
      await completePasswordReset(token, next);
    } catch (err) {
      setBusy(false);
      const code = err instanceof ApiError ? err.code : '';
      if (code === 'password_reset.invalid') return onInvalid();
      // the server's rule (the same as ours, unless it changed): on the new password
      const status = err instanceof ApiError ? err.status : 0;
      return setError({ field: status === 400 ? 'next' : 'form', text: status === 400 ? (err as Error).message : `Not changed. ${(err as Error).message}` });
    }
    // someone signed in on this tab: if it was the same person, their session ended with the reset
    if (qc.getQueryData<Me | null>(keys.me)) {
      await qc.refetchQueries({ queryKey: keys.me });
      const still = qc.getQueryData<Me | null>(keys.me);
      if (still) {
        setBusy(false);
        return setDoneForOther(still.user.email);
      }
    }
    await navigate({ to: '/login', search: { reset: 'done' }, replace: true });
  };

  if (doneForOther) {
    return (
      <main className="login">
        <div className="login-card">
          <h1>Password changed</h1>
          <p role="status">
            The password of {who.email} was changed. This browser is signed in as {doneForOther}: sign out first to sign in as {who.name}.
          </p>
          <Link to="/inbox/$view" params={{ view: 'open' }} className="btn btn-block">
            Back to the inbox
          </Link>
        </div>
      </main>
    );
  }

  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-labelledby="reset-title" noValidate>
        <div className="brand-mark" aria-hidden="true">
          P
        </div>
        <h1 id="reset-title">Choose a new password</h1>
        <p data-testid="reset-who">
          Choose a new password for <strong>{who.name}</strong> ({who.email}).
        </p>
        {/* for password managers: whose password this is */}
        <input type="text" name="username" autoComplete="username" value={who.email} readOnly hidden />
        <label className="field">
          <span>New password</span>
          <input ref={nextRef} type="password" name="new-password" autoComplete="new-password" required maxLength={1024} autoFocus value={next} onChange={(e) => setNext(e.target.value)} {...fieldProps('next', ruleId)} />
        </label>
        <p id={ruleId} className="muted small">
          At least {MIN_PASSWORD_CHARS} characters other than spaces. A few unrelated words make a strong one.
        </p>
        <label className="field">
          <span>Repeat the new password</span>
          <input ref={confirmRef} type="password" name="confirm-password" autoComplete="new-password" required maxLength={1024} value={confirm} onChange={(e) => setConfirm(e.target.value)} {...fieldProps('confirm')} />
        </label>
        {error && (
          <p id={errorId} className="form-error" role="alert">
            {error.text}
          </p>
        )}
        <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
          {busy ? 'Saving…' : 'Set the new password'}
        </button>
        <p className="muted small">
          This link works once, until {fullTime(new Date(who.expiresAt).toISOString())}. You sign in with the new password afterwards; you are signed out everywhere else.
        </p>
      </form>
    </main>
  );
}
