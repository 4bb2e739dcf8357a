/**
 * Sign-in: email and password, then, for those who turned two-factor sign-in on, a code from
 * their authenticator app or a recovery code (the server asks for it with
 * `auth.code_required`); the server sets an httpOnly session cookie. A tab remembers who used
 * it last: when someone else signs in, the previous person's drafts, alerts and cached data
 * are forgotten and their page is not where the new person lands. Who forgot their password
 * asks an admin for a one-time link (shell/ResetPasswordPage.tsx), which comes back here
 * with `?reset=done` once the new one is set.
 *
 * Below the form, single sign-on (OpenID Connect). A desk of one brand lists its providers: one
 * "Sign in with <provider>" link each. A desk of several brands lists none (they would tell anyone
 * which companies use it): "Sign in with single sign-on" asks for the work email, and the server
 * answers which provider takes it (POST /api/auth/sso/discover): one goes straight on, several
 * show their links, none says so. A link is a plain navigation to the server, which sends the
 * person to the provider and, signed in, back to where they were going (or, failing, here with
 * `?sso_error=<code>`, said in words, with the way back kept). The desk then learns who is
 * signed in as after any reload (GET /api/me, router.tsx), and claims the tab there. Someone with
 * two-factor sign-in on, after a provider not trusted to enforce MFA, comes back here with
 * `?sso_code=1`: only the code field shows, and their code (POST /api/auth/sso/code, bound to
 * this browser) signs them in as the password form does; a sign-in that is over (too old, or too
 * many wrong codes) goes back to the full page, to start again.
 *
 * "Use a passkey" (where the browser has WebAuthn; named so, apart from the form's "Sign in"): no address is typed; the browser
 * offers the passkeys it holds for the desk (docs/passkeys.md), and the user-verified passkey
 * stands in for the password and the code. Refusals are said in words; one that says the desk
 * signs this person in with a provider points at its button, as after a password.
 */
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useNavigate, useSearch } from '@tanstack/react-router';
import { api, ApiError, setCsrfToken } from '../api/client.js';
import { keys } from '../api/queries.js';
import type { Me, SsoError, SsoProviderPublic } from '../api/types.js';
import { getPasskey, passkeysSupported, webauthnProblem, type RequestOptionsJSON } from '../lib/webauthn.js';
import { AuthCodeField } from './TwoFactorDialog.js';

const OWNER = 'parley.tab-user';
let ownerInMemory: string | null = null;
/** Set (this tab) when a single sign-on starts: the desk it comes back to knows it came from one. */
const SSO_STARTED = 'parley.sso-started';

/** What the sign-in page offers (public): a one-brand desk's providers, or whether to ask for the email; not reachable: only the password form. */
const SSO_PROVIDERS_KEY = ['sso-providers', 'public'] as const;
interface SsoOffer {
  providers: SsoProviderPublic[];
  /** A desk of several brands with providers: found by the work email (POST /api/auth/sso/discover). */
  discovery: boolean;
}

/** Where a single sign-on starts: the server sends the person on to the provider, and back to `next` once signed in. */
const ssoStartHref = (id: number, next?: string) => `/api/auth/sso/${id}/start${next ? `?next=${encodeURIComponent(next)}` : ''}`;

/** Why a single sign-on came back here, in words. */
const SSO_ERROR_TEXT: Record<SsoError, string> = {
  cancelled: 'Single sign-on was cancelled at the provider, so you are not signed in. Try again with the button below, or sign in another way.',
  expired: 'That sign-in was started too long ago or was already used. Start again with the sign-in button below.',
  provider: 'The sign-in provider could not be reached, or its answer could not be verified. Try again in a moment; if it keeps happening, tell an admin of your desk.',
  unverified_email: 'The sign-in provider did not confirm your email address, so Parley cannot tell which account is yours. Confirm your email address with the provider, or ask an admin of your desk.',
  domain: 'Your email address is not from a domain this desk accepts through that provider. Sign in with your work account, or ask an admin of your desk.',
  no_account: 'There is no Parley account for your email address. Ask an admin of your desk to add you.',
  disabled: 'Your Parley account is disabled. Ask an admin of your desk.',
  unavailable: 'That way of signing in is not available any more (it was turned off or removed). Sign in another way, or ask an admin of your desk.',
  rate_limited: 'Too many sign-in attempts. Wait a minute, then try again.',
};
/** Why a passkey did not sign someone in, in words (by the server's code). */
const PASSKEY_ERROR_TEXT: Record<string, string> = {
  'passkey.unknown': 'That passkey is not registered on this desk (it may have been removed). Sign in with your password, then add it again.',
  'passkey.account_disabled': 'Your Parley account is disabled. Ask an admin of your desk.',
  'passkey.challenge_invalid': 'That took too long, or was already used. Try again.',
  'passkey.not_verified': 'Your device did not check that it is you (a PIN, a fingerprint or your face): this desk needs it. Try again.',
  'passkey.counter': 'That passkey was refused: it may have been copied. Sign in with your password and remove it.',
  'passkey.wrong_origin': 'That passkey is for another address. Open the desk at its usual address and try again.',
  'passkey.wrong_rp': 'That passkey is for another address. Open the desk at its usual address and try again.',
  'auth.rate_limited': 'Too many sign-in attempts. Wait a minute, then try again.',
};

/** A public sign-in call (its 401s are refusals to say here, not an ended session). */
async function signInCall<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiError(res.status, typeof json.code === 'string' ? json.code : `http.${res.status}`, typeof json.detail === 'string' ? json.detail : `${res.status} ${res.statusText}`, json);
  return json as T;
}

/** A wrong or used code, after the password or after a provider. */
const WRONG_CODE = 'That code is not right, or was already used. Type the code your app shows now, or an unused recovery code.';
/** Where a SAML single logout ended: Parley's session is gone in every case (it ends first). */
const SAML_LOGOUT_TEXT = {
  done: 'You are signed out of Parley and of your identity provider.',
  partial: 'You are signed out of Parley. Your identity provider could not sign you out everywhere: close the browser to be sure.',
  refused: 'You are signed out of Parley. The identity provider\'s answer could not be checked, so you may still be signed in there: close the browser to be sure.',
} as const;
const ssoErrorText = (code: string) => SSO_ERROR_TEXT[code as SsoError] ?? 'Single sign-on did not work. Try again, or ask an admin of your desk.';

/**
 * Whether this page came back from a single sign-on started in this tab (asked once: it is
 * forgotten as it is read). A sign-in there may be of someone else than the person whose
 * way back it took (their session had expired): the desk then does not stay on their page.
 */
export function cameBackFromSso(): boolean {
  try {
    const started = window.sessionStorage.getItem(SSO_STARTED) != null;
    window.sessionStorage.removeItem(SSO_STARTED);
    return started;
  } catch {
    return false;
  }
}

function markSsoStarted(): void {
  try {
    window.sessionStorage.setItem(SSO_STARTED, '1');
  } catch {
    /* storage unavailable: the desk stays where the sign-in returns */
  }
}

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
  // 'sso': the password is right but the desk signs this person in with a provider (its button below)
  const [error, setError] = useState<{ text: string; field: 'password' | 'code' | 'sso'; providerId?: number } | null>(null);
  const [busy, setBusy] = useState(false);
  /** Why the last single sign-on came back here; gone once the form is tried. */
  const [ssoError, setSsoError] = useState(search.sso_error ?? null);
  /** A single sign-on came back for the person's own second factor: only the code is asked. */
  const [ssoCode, setSsoCode] = useState(search.sso_code === 1);
  const offer = useQuery({
    queryKey: SSO_PROVIDERS_KEY,
    queryFn: () => api<SsoOffer>('GET', '/api/auth/sso/providers'),
    staleTime: 60_000,
    retry: false,
  });
  /** Providers learnt on this page: found by the work email, or named by the server's `auth.sso_required`. */
  const [found, setFound] = useState<SsoProviderPublic[]>([]);
  const listed = offer.data?.providers ?? [];
  const sso = [...listed, ...found.filter((f) => !listed.some((l) => l.id === f.id))];
  /** The work-email step of single sign-on (a desk of several brands). */
  const [discovering, setDiscovering] = useState(false);
  const [workEmail, setWorkEmail] = useState('');
  const [discoverError, setDiscoverError] = useState<string | null>(null);
  const workEmailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const ssoRef = useRef<HTMLDivElement>(null);
  const passkeyRef = useRef<HTMLButtonElement>(null);
  /** Why the last passkey sign-in did not go through. */
  const [passkeyError, setPasskeyError] = useState<{ text: string; code: string } | null>(null);
  const canPasskey = passkeysSupported();
  // a passkey refused: focus back on its button (enabled again), which the error describes
  useEffect(() => {
    if (passkeyError) passkeyRef.current?.focus();
  }, [passkeyError]);
  // after a refusal focus is back in the form (the button it left was disabled), on the
  // field at fault, selected, ready to type again; the error is tied to it (a wrong password
  // to both email and password). Told to use single sign-on: on that provider's button.
  useEffect(() => {
    if (!error) return;
    const button = error.field === 'sso' ? ssoRef.current?.querySelector<HTMLElement>(error.providerId != null ? `a[data-sso-provider="${error.providerId}"]` : 'a[data-sso-provider]') : null;
    if (button) button.focus();
    else (error.field === 'code' ? codeRef : passwordRef).current?.select();
  }, [error]);
  // the work-email step opened, or its answer refused: focus on the field, ready to type
  useEffect(() => {
    if (discovering) workEmailRef.current?.focus();
  }, [discovering, discoverError]);
  // asked for the code: focus goes to it, which says what to type
  useEffect(() => {
    if (codeAsked || ssoCode) codeRef.current?.focus();
  }, [codeAsked, ssoCode]);
  const errorProps = error?.field === 'password' ? { 'aria-invalid': true, 'aria-describedby': 'login-error' } : {};
  // where the person was going goes with them to the provider and back (not after signing out on purpose: there is none then)
  const next = search.redirect;

  /** Signed in (by the password form, or by the code after a single sign-on): onto the desk. */
  const signedIn = async (me: Me) => {
    setCsrfToken(me.csrfToken);
    // not the person who used this tab before (their session ended): start clean, and not on their page
    const switched = claimTab(qc, me.user.id, true);
    qc.setQueryData(keys.me, me);
    if (search.redirect && !switched) await navigate({ href: search.redirect, replace: true });
    else await navigate({ to: '/inbox/$view', params: { view: 'open' }, replace: true });
  };

  /** Back to the whole page (the buttons and the password form), as after a single sign-on that did not go through. */
  const startAgain = (why: SsoError | null) => {
    setSsoCode(false);
    setCode('');
    setError(null);
    setSsoError(why);
    void navigate({ to: '/login', search: { ...(search.redirect ? { redirect: search.redirect } : {}) }, replace: true });
  };

  const submitSsoCode = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await signedIn(await api<Me>('POST', '/api/auth/sso/code', { code: code.trim() }));
    } catch (err) {
      const why = err instanceof ApiError ? err.code : '';
      setBusy(false);
      // too old, used, or too many wrong codes: start again at the provider
      if (why === 'auth.sso_expired') startAgain('expired');
      else if (why === 'auth.invalid_code') setError({ text: WRONG_CODE, field: 'code' });
      else setError({ text: (err as Error).message, field: 'code' });
    }
  };

  /** The work email: which provider takes it. One: on to it; several: their links; none: said. */
  const discover = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setDiscoverError(null);
    setSsoError(null);
    try {
      const { providers } = await api<{ providers: SsoProviderPublic[] }>('POST', '/api/auth/sso/discover', { email: workEmail.trim() });
      if (providers.length === 1) {
        markSsoStarted();
        window.location.assign(ssoStartHref(providers[0]!.id, next));
        return;
      }
      setBusy(false);
      if (providers.length === 0) setDiscoverError('No single sign-on is set up for that email address. Check it, or sign in with your password.');
      else setFound(providers);
    } catch (err) {
      setBusy(false);
      setDiscoverError(err instanceof ApiError && err.code === 'auth.rate_limited' ? SSO_ERROR_TEXT.rate_limited : (err as Error).message);
    }
  };

  /** Username-less: the browser offers the desk's passkeys it holds; the chosen one signs in. */
  const signInWithPasskey = async () => {
    setBusy(true);
    setError(null);
    setSsoError(null);
    setPasskeyError(null);
    try {
      const options = await signInCall<RequestOptionsJSON>('/api/auth/passkey/options');
      const response = await getPasskey(options);
      await signedIn(await signInCall<Me>('/api/auth/passkey', { response }));
    } catch (err) {
      setBusy(false);
      const why = err instanceof ApiError ? err.code : 'passkey.browser';
      if (why === 'auth.sso_required') {
        const refusal = ssoRequired(err as ApiError, sso);
        if (refusal.provider && !sso.some((p) => p.id === refusal.provider!.id)) setFound((f) => [...f, refusal.provider!]);
        setError(refusal);
        return;
      }
      setPasskeyError({ code: why, text: webauthnProblem(err) ?? PASSKEY_ERROR_TEXT[why] ?? (err as Error).message });
    }
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setSsoError(null);
    setPasskeyError(null);
    try {
      await signedIn(await api<Me>('POST', '/api/auth/login', { email, password, ...(codeAsked ? { code: code.trim() } : {}) }));
    } catch (err) {
      const why = err instanceof ApiError ? err.code : '';
      setBusy(false);
      if (why === 'auth.code_required') setCodeAsked(true);
      else if (why === 'auth.invalid_code') setError({ text: WRONG_CODE, field: 'code' });
      else if (why === 'auth.sso_required') {
        // the password was right: the provider it names may now be shown (on a desk of several brands, no button was)
        const refusal = ssoRequired(err as ApiError, sso);
        if (refusal.provider && !sso.some((p) => p.id === refusal.provider!.id)) setFound((f) => [...f, refusal.provider!]);
        setError(refusal);
      }
      else setError({ text: why === 'auth.invalid_credentials' ? 'Wrong email or password.' : (err as Error).message, field: codeAsked && why === 'auth.rate_limited' ? 'code' : 'password' });
    }
  };

  if (ssoCode) {
    return (
      <main className="login">
        <div className="login-card">
          <form onSubmit={submitSsoCode} aria-labelledby="login-title" data-testid="sso-code-form">
            <div className="brand-mark" aria-hidden="true">
              P
            </div>
            <h1 id="login-title">Sign in to Parley</h1>
            <p>Your organisation’s account signed you in. Two-factor sign-in is on for your Parley account: enter the code from your authenticator app to go on.</p>
            <AuthCodeField value={code} onChange={setCode} inputRef={codeRef} recovery invalid={error?.field === 'code'} errorId="login-error" />
            {error && (
              <p id="login-error" className="form-error" role="alert" data-code={error.field === 'code' ? 'auth.invalid_code' : undefined}>
                {error.text}
              </p>
            )}
            <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
              {busy ? 'Signing in…' : 'Sign in'}
            </button>
            <button type="button" className="link-button small" onClick={() => startAgain(null)}>
              Start again, or sign in another way
            </button>
          </form>
        </div>
      </main>
    );
  }

  return (
    <main className="login">
      <div className="login-card">
        <form onSubmit={submit} aria-labelledby="login-title">
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
          {search.saml_logout && (
            <p className={search.saml_logout === 'done' ? 'form-ok' : 'form-error'} role="status" data-testid="saml-logout" data-outcome={search.saml_logout}>
              {SAML_LOGOUT_TEXT[search.saml_logout]}
            </p>
          )}
          {ssoError && (
            <p id="sso-error" className="form-error" role="alert" data-code={`sso.${ssoError}`}>
              {ssoErrorText(ssoError)}
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
            <p id="login-error" className="form-error" role="alert" data-code={error.field === 'sso' ? 'auth.sso_required' : undefined}>
              {error.text}
            </p>
          )}
          <button type="submit" className="btn btn-primary btn-block" disabled={busy}>
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
          <p className="muted small">Forgot your password? Ask an admin of your desk for a reset link.</p>
        </form>
        {canPasskey && (
          <div role="group" aria-labelledby="passkey-title" className="form-grid">
            <p id="passkey-title" className="muted small">
              Or sign in with a passkey:
            </p>
            <button
              ref={passkeyRef}
              type="button"
              className="btn btn-block"
              data-testid="passkey-sign-in"
              disabled={busy}
              aria-describedby={passkeyError ? 'passkey-error' : undefined}
              onClick={() => void signInWithPasskey()}
            >
              Use a passkey
            </button>
            {passkeyError && (
              <p id="passkey-error" className="form-error" role="alert" data-code={passkeyError.code}>
                {passkeyError.text}
              </p>
            )}
          </div>
        )}
        {(sso.length > 0 || offer.data?.discovery) && (
          <div ref={ssoRef} role="group" aria-labelledby="sso-title" className="form-grid">
            <p id="sso-title" className="muted small">
              Or sign in with your organisation’s account:
            </p>
            {offer.data?.discovery && !discovering && found.length === 0 && (
              <button type="button" className="btn btn-block" data-testid="sso-discover" aria-describedby={ssoError ? 'sso-error' : undefined} onClick={() => { setWorkEmail((w) => w || email); setDiscovering(true); }}>
                Sign in with single sign-on
              </button>
            )}
            {discovering && found.length === 0 && (
              <form onSubmit={discover} className="form-grid" aria-label="Sign in with single sign-on" data-testid="sso-discover-form">
                <label className="field">
                  <span>Work email</span>
                  <input ref={workEmailRef} type="email" name="work-email" autoComplete="username" required value={workEmail} onChange={(e) => setWorkEmail(e.target.value)} {...(discoverError ? { 'aria-invalid': true, 'aria-describedby': 'sso-discover-error' } : {})} />
                </label>
                {discoverError && (
                  <p id="sso-discover-error" className="form-error" role="alert">
                    {discoverError}
                  </p>
                )}
                <button type="submit" className="btn btn-block" disabled={busy}>
                  {busy ? 'Finding your sign-in…' : 'Continue with single sign-on'}
                </button>
              </form>
            )}
            {sso.map((p) => (
              <a
                key={p.id}
                className="btn btn-block"
                href={ssoStartHref(p.id, next)}
                data-sso-provider={p.id}
                aria-describedby={error?.field === 'sso' ? 'login-error' : ssoError ? 'sso-error' : undefined}
                onClick={markSsoStarted}
              >
                Sign in with {p.label}
              </a>
            ))}
          </div>
        )}
      </div>
    </main>
  );
}

/**
 * The server's refusal of a password (`auth.sso_required`: "<label> signs you in here", and
 * which provider) in words that point at that provider's button, where focus goes.
 */
function ssoRequired(err: ApiError, providers: SsoProviderPublic[]): { text: string; field: 'sso'; providerId?: number; provider?: SsoProviderPublic } {
  const p = err.body.provider as Partial<SsoProviderPublic> | undefined;
  const named = providers.find((x) => x.id === p?.id) ?? (typeof p?.label === 'string' && typeof p.id === 'number' ? { id: p.id, label: p.label } : providers.length === 1 ? providers[0] : undefined);
  if (named) return { text: `Your desk signs you in with ${named.label}, not a password: use “Sign in with ${named.label}” below.`, field: 'sso', providerId: named.id, provider: { id: named.id, label: named.label } };
  return { text: `${err.message.replace(/[.\s]+$/, '')}, not with a password: use its sign-in button below.`, field: 'sso' };
}
