/**
 * Two-factor sign-in, for everyone (from the header's account menu): with it on, signing in
 * asks for a code from an authenticator app as well as the password, so a stolen password
 * alone does not publish as the brand. Setting it up: the current password, then the app
 * scans a QR code (or takes the key typed in), then a code from the app turns it on and the
 * 10 recovery codes are shown, once, to copy or download. Turning it off and new recovery
 * codes each ask for the password and a code. The server's refusals are said in words, by
 * their code.
 *
 * Someone without a password (made by the desk's single sign-on provider) is asked none: a
 * sign-in with the provider in the last 10 minutes confirms instead, and when it is older the
 * server's `auth.reauthenticate` is said with a link that signs in again with that provider.
 *
 * A brand may require it of everyone (Settings → Workflow): someone without it then sees, instead
 * of the desk, a screen that runs the same set-up steps or signs them out
 * (`TwoFactorRequiredScreen`), and nobody turns theirs off. A sign-in with a passkey satisfies the
 * policy too, so that screen also offers to add one (`PasskeyInstead`); adding it does not let the
 * session it was added in through (signed in with a password, the server still holds it), a
 * sign-in with it does, and the desk then loads.
 */
import { useEffect, useId, useRef, useState, type ReactNode, type RefObject } from 'react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { disableTwoFactor, enableTwoFactor, keys, newRecoveryCodes, setUpTwoFactor, storeTwoFactor } from '../api/queries.js';
import type { User } from '../api/types.js';
import { Modal } from '../ui/Modal.js';
import { api, ApiError, setCsrfToken } from '../api/client.js';
import type { Me } from '../api/types.js';
import { createPasskey, getPasskey, passkeysSupported, type CreationOptionsJSON, type RequestOptionsJSON } from '../lib/webauthn.js';
import { passkeyRefusal } from './passkeyRefusal.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { CopyButton } from '../ui/Copy.js';

/** The longest code the server takes (a TOTP with spaces, or a recovery code). */
export const MAX_CODE_CHARS = 64;

/** What a refusal's code means here, in the desk's words (else the server's own). */
const SAID: Record<string, string> = {
  'auth.wrong_password': 'The password is not right.',
  'two_factor.wrong_code': 'That code is not right, or was already used. Type the code your app shows now (check that the phone’s clock is right).',
  'two_factor.not_set_up': 'The set-up was not found (it may have been started again in another window). Start again.',
  'two_factor.enabled': 'Two-factor sign-in is already on.',
  'two_factor.not_enabled': 'Two-factor sign-in is already off.',
  'two_factor.required': 'Your desk requires two-factor sign-in, so it stays on. Lost your phone? Sign in with a recovery code, or ask an admin to reset it.',
};
/** A refusal, with the provider to sign in again with for `auth.reauthenticate`. */
type Said = RefusalInfo & { reauth?: { id: number; label: string } };
const said = (err: unknown): Said => {
  const r = refusalOf(err);
  if (r.code === 'auth.reauthenticate') {
    const p = err instanceof ApiError ? (err.body.provider as { id?: unknown; label?: unknown } | undefined) : undefined;
    const label = typeof p?.label === 'string' ? p.label : 'your organisation’s account';
    return { code: r.code, detail: `You have no Parley password, so a recent sign-in confirms this: sign in again with ${label}, then try again.`, ...(typeof p?.id === 'number' ? { reauth: { id: p.id, label } } : {}) };
  }
  return { code: r.code, detail: SAID[r.code] ?? r.detail };
};

/** A refusal, and for `auth.reauthenticate` the link that signs in again with the provider, back to this page. */
function Refused({ refusal, lead }: { refusal: Said | null; lead: string }) {
  const reauth = refusal?.reauth;
  return (
    <>
      <Refusal refusal={refusal} lead={lead} />
      {reauth && (
        <a className="btn btn-small" href={`/api/auth/sso/${reauth.id}/start?next=${encodeURIComponent(window.location.pathname + window.location.search)}`}>
          Sign in again with {reauth.label}
        </a>
      )}
    </>
  );
}

/** Without a password (made by single sign-on), what stands for it: the recent sign-in. */
function NoPasswordNote({ stepFocus }: { stepFocus?: boolean }) {
  return <p className="muted small" {...(stepFocus ? { 'data-step-focus': true, tabIndex: -1 } : {})}>You sign in with your organisation’s account and have no Parley password: a sign-in with it in the last 10 minutes confirms this.</p>;
}
/** Which field a refusal is about: it is marked invalid and gets focus, its text selected. */
const fieldOf = (r: RefusalInfo | null): 'password' | 'code' | null => (r?.code === 'auth.wrong_password' ? 'password' : r?.code === 'two_factor.wrong_code' ? 'code' : null);


/** A base32 key in groups of four, as authenticator apps show and ask for it. */
export const groupedKey = (secret: string) => secret.replace(/(.{4})(?=.)/gu, '$1 ');

/**
 * The field for a code from the authenticator app or, with `recovery`, a recovery code
 * (`abcde-12345`): a numeric keyboard on phones, which a button turns into a full one for a
 * recovery code; nothing typed is refused here, the server decides.
 */
export function AuthCodeField({
  value,
  onChange,
  inputRef,
  recovery,
  invalid,
  errorId,
  autoFocus,
  label = 'Authentication code',
}: {
  value: string;
  onChange: (v: string) => void;
  inputRef?: RefObject<HTMLInputElement | null>;
  recovery: boolean;
  invalid?: boolean;
  /** The id of the error that tells what is wrong with it. */
  errorId?: string;
  autoFocus?: boolean;
  label?: string;
}) {
  const hintId = useId();
  const [letters, setLetters] = useState(false);
  const ownRef = useRef<HTMLInputElement>(null);
  const ref = inputRef ?? ownRef;
  return (
    <div className="field">
      <label htmlFor={`${hintId}-input`}>
        <span className="field-label">{label}</span>
      </label>
      <input
        id={`${hintId}-input`}
        ref={ref}
        type="text"
        name="code"
        inputMode={letters ? 'text' : 'numeric'}
        autoComplete="one-time-code"
        autoCapitalize="off"
        autoCorrect="off"
        spellCheck={false}
        required
        maxLength={MAX_CODE_CHARS}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={invalid ? true : undefined}
        aria-describedby={invalid && errorId ? `${hintId} ${errorId}` : hintId}
        {...(autoFocus ? { 'data-autofocus': true } : {})}
      />
      <span id={hintId} className="muted small">
        {recovery
          ? 'The 6-digit code your authenticator app shows now. Lost your phone? Type one of your recovery codes (like abcde-12345) instead.'
          : 'The 6-digit code your authenticator app shows now.'}
      </span>
      {recovery && (
        <button
          type="button"
          className="link-button small"
          style={{ alignSelf: 'flex-start' }}
          onClick={() => {
            setLetters((l) => !l);
            ref.current?.focus();
          }}
        >
          {letters ? 'Use the keypad for an app code' : 'Use the full keyboard for a recovery code'}
        </button>
      )}
    </div>
  );
}

type Step = { kind: 'status' } | { kind: 'codes'; codes: string[] } | { kind: 'disable' } | { kind: 'renew' };

export function TwoFactorDialog({ open, onClose, user, required = false }: { open: boolean; onClose: () => void; user: User; required?: boolean }) {
  return (
    <Modal open={open} onClose={onClose} title="Two-factor sign-in" description="A code from an authenticator app on your phone, as well as your password, to sign in.">
      {/* the body is only there while the dialog is open: nothing typed or shown survives closing it */}
      <TwoFactorBody user={user} required={required} onClose={onClose} />
    </Modal>
  );
}

function TwoFactorBody({ user, required, onClose }: { user: User; required: boolean; onClose: () => void }) {
  /** Past the password step of setting it up: the steps go on to the recovery codes, though it is on by then. */
  const [settingUp, setSettingUp] = useState(false);
  /** Opened while it was on: the set-up steps show only once it is turned off here, and take focus then. */
  const [openedOn] = useState(user.twoFactor);
  if (!user.twoFactor || settingUp) {
    return (
      <TwoFactorSetUp
        user={user}
        intro={
          <>
            Two-factor sign-in is <strong>off</strong>: your password alone signs you in. Turn it on with an authenticator app on your phone (such as Google Authenticator, Microsoft
            Authenticator, 1Password or Aegis).
          </>
        }
        onStarted={() => setSettingUp(true)}
        onDone={onClose}
        focusFirst={openedOn}
      />
    );
  }
  return <TwoFactorOn user={user} required={required} onClose={onClose} />;
}

/** Moves focus to the start of each new step (the first one too with `first`; else what shows it focuses it: the dialog, the screen). */
function useStepFocus<S>(step: S, first = false) {
  const body = useRef<HTMLDivElement>(null);
  const shown = useRef<S | null>(first ? null : step);
  useEffect(() => {
    if (shown.current === step) return;
    shown.current = step;
    body.current?.querySelector<HTMLElement>('[data-step-focus]')?.focus();
  }, [step]);
  return body;
}

/** With two-factor sign-in on: new recovery codes, or turning it off (not while the desk requires it). */
function TwoFactorOn({ user, required, onClose }: { user: User; required: boolean; onClose: () => void }) {
  const [step, setStep] = useState<Step>({ kind: 'status' });
  const body = useStepFocus(step);
  return (
    <div ref={body}>
      {step.kind === 'status' && <StatusOn required={required} onRenew={() => setStep({ kind: 'renew' })} onDisable={() => setStep({ kind: 'disable' })} />}
      {step.kind === 'codes' && <RecoveryCodes email={user.email} codes={step.codes} turnedOn={false} onDone={onClose} />}
      {(step.kind === 'disable' || step.kind === 'renew') && (
        <PasswordAndCode
          user={user}
          action={step.kind}
          onDone={(codes) => setStep(codes ? { kind: 'codes', codes } : { kind: 'status' })}
          onCancel={() => setStep({ kind: 'status' })}
        />
      )}
    </div>
  );
}

type SetUpStep = { kind: 'password' } | { kind: 'scan'; secret: string; uri: string } | { kind: 'codes'; codes: string[] };

/**
 * Setting two-factor sign-in up, step by step: the current password, then the authenticator app
 * (QR code or key) and its first code, then the recovery codes, once. The account menu's dialog
 * and the screen of a desk that requires it both run it. `intro` opens the first step;
 * `onStarted` is told when the password is taken (a new key is pending); `onDone` when the
 * recovery codes are saved. `focusFirst`: the first step takes focus as it shows (it replaced
 * what had focus, as when two-factor sign-in was just turned off in the dialog).
 */
export function TwoFactorSetUp({ user, intro, onStarted, onDone, focusFirst }: { user: User; intro: ReactNode; onStarted?: () => void; onDone: () => void; focusFirst?: boolean }) {
  const [step, setStep] = useState<SetUpStep>({ kind: 'password' });
  const body = useStepFocus(step, focusFirst);
  return (
    <div ref={body}>
      {step.kind === 'password' && (
        <SetUp
          email={user.email}
          hasPassword={user.hasPassword !== false}
          intro={intro}
          onSetUp={(secret, uri) => {
            onStarted?.();
            setStep({ kind: 'scan', secret, uri });
          }}
        />
      )}
      {step.kind === 'scan' && <Scan user={user} secret={step.secret} uri={step.uri} onEnabled={(codes) => setStep({ kind: 'codes', codes })} onRestart={() => setStep({ kind: 'password' })} />}
      {step.kind === 'codes' && <RecoveryCodes email={user.email} codes={step.codes} turnedOn onDone={onDone} />}
    </div>
  );
}

/**
 * Instead of the desk, for someone whose brand requires two-factor sign-in and who has not set it
 * up (the server refuses them everything else): why, the set-up steps, and a way out. `onStarted`
 * and `onDone` as for `TwoFactorSetUp`: once it is on and the recovery codes are saved, the desk loads.
 */
export function TwoFactorRequiredScreen({ user, onStarted, onDone, onSignOut, signingOut }: { user: User; onStarted: () => void; onDone: () => void; onSignOut: () => void; signingOut?: boolean }) {
  const titleId = useId();
  const title = useRef<HTMLHeadingElement>(null);
  // the page changed under the person (after signing in, or the desk turned it on meanwhile): say where they are
  useEffect(() => title.current?.focus(), []);
  return (
    <main className="login two-factor-required">
      <section className="login-card two-factor-required-card" aria-labelledby={titleId}>
        <div className="brand-mark" aria-hidden="true">
          P
        </div>
        <h1 id={titleId} ref={title} tabIndex={-1}>
          Set up two-factor sign-in
        </h1>
        <p>
          <strong>Your desk requires two-factor sign-in:</strong> set it up to go on. From now on, signing in asks for a code from an authenticator app on your phone as well as your password, so a
          stolen password alone cannot answer customers as your brand.
        </p>
        <p className="muted small">
          Signed in as <span dir="auto">{user.email}</span>
        </p>
        <section aria-labelledby={`${titleId}-app`}>
          <h2 id={`${titleId}-app`} className="small">
            With an authenticator app
          </h2>
          <TwoFactorSetUp
            user={user}
            intro={`${user.hasPassword !== false ? 'First your current password; then you' : 'You'} add Parley to an authenticator app (such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis).`}
            onStarted={onStarted}
            onDone={onDone}
          />
        </section>
        {passkeysSupported() && <PasskeyInstead user={user} headingId={`${titleId}-passkey`} onSignedIn={onDone} />}
        <div className="two-factor-required-leave">
          <span className="muted small">Not now?</span>
          <button type="button" className="btn btn-ghost btn-small" onClick={onSignOut} disabled={signingOut}>
            Sign out
          </button>
        </div>
      </section>
    </main>
  );
}

/** A public sign-in call (its 401s are refusals to say here, not an ended session). */
async function publicCall<T>(path: string, body?: unknown): Promise<T> {
  const res = await fetch(path, { method: 'POST', headers: { accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }) }, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new ApiError(res.status, typeof json.code === 'string' ? json.code : `http.${res.status}`, typeof json.detail === 'string' ? json.detail : `${res.status} ${res.statusText}`, json);
  return json as T;
}

/** A passkey refusal in the desk's words; on this screen a person has no passkey to remove, and the one to sign in with is the one just added. */
const passkeySaid = (err: unknown) => passkeyRefusal(err, {
  'passkey.too_many': 'You have as many passkeys as a person may.',
  'passkey.unknown': 'That passkey is not registered on this desk. Use the one you just added.',
  'auth.rate_limited': 'Too many sign-in attempts. Wait a minute, then try again.',
});

/**
 * The other way through the policy: a passkey (a sign-in with one is two-factor on its own: the
 * device checks it is you). First it is added (a name, the current password, the device); the
 * session it is added in stays held (the server decides, and it was signed in with a password), so
 * then the person signs in with it, here, and the desk loads (`onSignedIn`).
 */
function PasskeyInstead({ user, headingId, onSignedIn }: { user: User; headingId: string; onSignedIn: () => void }) {
  const qc = useQueryClient();
  const hasPassword = user.hasPassword !== false;
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [added, setAdded] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const nameId = useId();
  const next = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (added) next.current?.focus();
  }, [added]);

  const add = async () => {
    setBusy(true);
    setRefusal(null);
    try {
      const options = await api<CreationOptionsJSON>('POST', '/api/me/passkeys/options', hasPassword ? { currentPassword: password } : {});
      const response = await createPasskey(options);
      const made = await api<{ name: string }>('POST', '/api/me/passkeys', { name: name.trim(), response });
      setPassword('');
      setAdded(made.name);
    } catch (err) {
      setRefusal(passkeySaid(err));
    } finally {
      setBusy(false);
    }
  };
  const signInWithIt = async () => {
    setBusy(true);
    setRefusal(null);
    try {
      const options = await publicCall<RequestOptionsJSON>('/api/auth/passkey/options');
      const response = await getPasskey(options);
      const me = await publicCall<Me>('/api/auth/passkey', { response });
      setCsrfToken(me.csrfToken);
      qc.setQueryData(keys.me, me);
      onSignedIn();
    } catch (err) {
      setBusy(false);
      setRefusal(passkeySaid(err));
    }
  };

  return (
    <section aria-labelledby={headingId} className="two-factor-passkey">
      <h2 id={headingId} className="small">
        Or with a passkey
      </h2>
      {added === null ? (
        <form
          aria-label="Add a passkey"
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <p className="muted small">A passkey signs you in without a password or a code: your device checks it is you (a PIN, a fingerprint or your face). Your desk counts a sign-in with one as two-factor sign-in.</p>
          <label className="field" htmlFor={nameId}>
            <span>Passkey name</span>
            <input id={nameId} type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={60} placeholder="Work laptop" autoComplete="off" />
          </label>
          {hasPassword ? (
            <label className="field">
              <span>Your Parley password</span>
              <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required maxLength={1024} autoComplete="current-password" aria-invalid={refusal?.code === 'auth.wrong_password' ? true : undefined} />
            </label>
          ) : (
            <NoPasswordNote />
          )}
          <Refusal refusal={refusal} lead="Not added." />
          <button type="submit" className="btn" disabled={busy}>
            {busy ? 'Waiting for your device…' : 'Add a passkey'}
          </button>
        </form>
      ) : (
        <div>
          <p role="status">
            The passkey <strong dir="auto">{added}</strong> was added. To go on, sign in with it: this window was signed in with your password, which your desk does not take alone.
          </p>
          <Refusal refusal={refusal} lead="Not signed in." />
          <button type="button" ref={next} className="btn" onClick={() => void signInWithIt()} disabled={busy}>
            {busy ? 'Waiting for your device…' : 'Sign in with your passkey'}
          </button>
        </div>
      )}
    </section>
  );
}

function StatusOn({ required, onRenew, onDisable }: { required: boolean; onRenew: () => void; onDisable: () => void }) {
  return (
    <>
      <p data-step-focus tabIndex={-1}>
        Two-factor sign-in is <strong>on</strong>: signing in asks for a code from your authenticator app, or one of your recovery codes.
      </p>
      {required && <p className="muted small">Your desk requires it, so it stays on. Lost your phone? Sign in with a recovery code, or ask an admin to reset it.</p>}
      <div className="row-gap">
        <button type="button" className="btn" onClick={onRenew} data-autofocus>
          New recovery codes…
        </button>
        {!required && (
          <button type="button" className="btn btn-danger" onClick={onDisable}>
            Turn off…
          </button>
        )}
      </div>
    </>
  );
}

/** Step 1: the current password proves it is you; the server answers with a new key. */
function SetUp({ email, hasPassword, intro, onSetUp }: { email: string; hasPassword: boolean; intro: ReactNode; onSetUp: (secret: string, uri: string) => void }) {
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const [refusal, setRefusal] = useState<Said | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const errorId = useId();
  const setUp = useMutation({ mutationFn: setUpTwoFactor });
  useEffect(() => {
    if (refusal) passwordRef.current?.select();
  }, [refusal]);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setRefusal(null);
        setUp.mutate(password, {
          onSuccess: (r) => onSetUp(r.secret, r.uri),
          onError: (err) => {
            const r = said(err);
            // on in another window meanwhile: this one says so
            if (r.code === 'two_factor.enabled') void qc.invalidateQueries({ queryKey: keys.me });
            setRefusal(r);
          },
        });
      }}
    >
      <p data-step-focus tabIndex={-1}>
        {intro}
      </p>
      {hasPassword ? (
        <CurrentPasswordField email={email} value={password} onChange={setPassword} inputRef={passwordRef} invalid={fieldOf(refusal) === 'password'} describedBy={refusal ? errorId : undefined} first />
      ) : (
        <NoPasswordNote />
      )}
      <div id={errorId}>
        <Refused refusal={refusal} lead="Not set up." />
      </div>
      <div className="row-gap">
        <button type="submit" className="btn btn-primary" disabled={setUp.isPending} {...(hasPassword ? {} : { 'data-autofocus': true })}>
          {setUp.isPending ? 'Setting up…' : 'Set up'}
        </button>
      </div>
    </form>
  );
}

/** Step 2: the app takes the key (QR code or typed), and its first code turns two-factor sign-in on. */
function Scan({ user, secret, uri, onEnabled, onRestart }: { user: User; secret: string; uri: string; onEnabled: (codes: string[]) => void; onRestart: () => void }) {
  const qc = useQueryClient();
  /** The QR code as a data: URL; null while it is drawn, `failed` if it could not be. */
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState('');
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const errorId = useId();
  const enable = useMutation({ mutationFn: enableTwoFactor });
  useEffect(() => {
    let live = true;
    // an SVG in a data: URL: drawn by the browser as an image, never put into the page as
    // markup; the QR code library loads only here, not with every page of the desk
    import('qrcode')
      .then((m) => m.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 }))
      .then(
        (svg) => live && setQr(`data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`),
        () => live && setQr('failed'),
      );
    return () => {
      live = false;
    };
  }, [uri]);
  useEffect(() => {
    if (refusal) codeRef.current?.select();
  }, [refusal]);
  return (
    <form
      onSubmit={(e) => {
        e.preventDefault();
        setRefusal(null);
        enable.mutate(code.trim(), {
          onSuccess: (r) => {
            storeTwoFactor(qc, user.id, true);
            onEnabled(r.recoveryCodes);
          },
          onError: (err) => setRefusal(said(err)),
        });
      }}
    >
      <h3 data-step-focus tabIndex={-1}>
        Add Parley to your authenticator app
      </h3>
      <p>In the app, add an account and scan this QR code.</p>
      {qr === 'failed' ? (
        <p className="muted small">The QR code could not be drawn here: type the key below into the app.</p>
      ) : qr ? (
        <img src={qr} width={200} height={200} alt={`QR code that adds “Parley: ${user.email}” to an authenticator app. If you cannot scan it, type the key below into the app.`} />
      ) : (
        <p className="muted small">Drawing the QR code…</p>
      )}
      <p>Cannot scan it? Type this key into the app (a time-based account):</p>
      <p className="row-gap">
        <code className="two-factor-key" data-testid="two-factor-key">
          {groupedKey(secret)}
        </code>
        <CopyButton text={secret} label="Copy key" what="the key" />
      </p>
      <AuthCodeField value={code} onChange={setCode} inputRef={codeRef} recovery={false} invalid={fieldOf(refusal) === 'code'} errorId={errorId} />
      <div id={errorId}>
        <Refusal refusal={refusal} lead="Not turned on." />
      </div>
      <div className="row-gap">
        <button type="submit" className="btn btn-primary" disabled={enable.isPending}>
          {enable.isPending ? 'Turning on…' : 'Turn on'}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onRestart}>
          {refusal?.code === 'two_factor.not_set_up' ? 'Start again' : 'Back'}
        </button>
      </div>
    </form>
  );
}

/** Step 3 (and new codes): shown once; copied, downloaded, or written down before closing. */
function RecoveryCodes({ email, codes, turnedOn, onDone }: { email: string; codes: string[]; turnedOn: boolean; onDone: () => void }) {
  const titleId = useId();
  const text = recoveryFile(email, codes);
  return (
    <section aria-labelledby={titleId}>
      <h3 id={titleId} data-step-focus tabIndex={-1}>
        Your recovery codes
      </h3>
      {turnedOn ? <p role="status">Two-factor sign-in is on. Your other browsers and devices were signed out.</p> : <p role="status">New recovery codes: the old ones no longer work.</p>}
      <p>
        If you lose your phone, each of these codes signs you in once instead of the app’s code. Keep them somewhere safe, such as a password manager: <strong>they are not shown again</strong>.
      </p>
      <ol className="recovery-codes" aria-label="Recovery codes">
        {codes.map((c) => (
          <li key={c}>
            <code>{c}</code>
          </li>
        ))}
      </ol>
      <div className="row-gap">
        <CopyButton text={codes.join('\n')} what="the codes" small={false} />
        <button type="button" className="btn" onClick={() => download('parley-recovery-codes.txt', text)}>
          Download .txt
        </button>
        <button type="button" className="btn btn-primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </section>
  );
}

/** Turning off, or new recovery codes: the password and a code (from the app, or a recovery code) prove it is you. */
function PasswordAndCode({ user, action, onDone, onCancel }: { user: User; action: 'disable' | 'renew'; onDone: (codes: string[] | null) => void; onCancel: () => void }) {
  const qc = useQueryClient();
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [refusal, setRefusal] = useState<Said | null>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  const codeRef = useRef<HTMLInputElement>(null);
  const errorId = useId();
  const titleId = useId();
  const run = useMutation({
    mutationFn: (v: { password: string; code: string }) =>
      action === 'disable' ? disableTwoFactor(v.password, v.code).then(() => null) : newRecoveryCodes(v.password, v.code).then((r) => r.recoveryCodes),
  });
  const field = fieldOf(refusal);
  useEffect(() => {
    if (field === 'password') passwordRef.current?.select();
    if (field === 'code') codeRef.current?.select();
  }, [refusal]); // eslint-disable-line react-hooks/exhaustive-deps
  const lead = action === 'disable' ? 'Still on.' : 'No new codes.';
  return (
    <form
      aria-labelledby={titleId}
      onSubmit={(e) => {
        e.preventDefault();
        setRefusal(null);
        run.mutate(
          { password, code: code.trim() },
          {
            onSuccess: (codes) => {
              // back to the status, which says it is off
              if (action === 'disable') storeTwoFactor(qc, user.id, false);
              onDone(codes);
            },
            onError: (err) => {
              const r = said(err);
              if (r.code === 'two_factor.not_enabled') storeTwoFactor(qc, user.id, false);
              setRefusal(r);
            },
          },
        );
      }}
    >
      <h3 id={titleId}>{action === 'disable' ? 'Turn two-factor sign-in off' : 'New recovery codes'}</h3>
      <p className="muted small">{action === 'disable' ? 'Your password alone will sign you in again.' : 'The recovery codes you have now stop working.'}</p>
      {user.hasPassword !== false ? (
        <CurrentPasswordField email={user.email} value={password} onChange={setPassword} inputRef={passwordRef} invalid={field === 'password'} describedBy={field === 'password' ? errorId : undefined} />
      ) : (
        <NoPasswordNote stepFocus />
      )}
      <AuthCodeField value={code} onChange={setCode} inputRef={codeRef} recovery invalid={field === 'code'} errorId={errorId} />
      <div id={errorId}>
        <Refused refusal={refusal} lead={lead} />
      </div>
      <div className="row-gap">
        <button type="submit" className={action === 'disable' ? 'btn btn-danger' : 'btn btn-primary'} disabled={run.isPending}>
          {action === 'disable' ? 'Turn off' : 'Make new codes'}
        </button>
        <button type="button" className="btn btn-ghost" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/** The text file of recovery codes: whose they are, and how they work. */
/**
 * The current password, with whose it is for password managers. `first`: the field a dialog
 * focuses when it opens (`data-autofocus`); otherwise the one its step focuses (`data-step-focus`).
 */
function CurrentPasswordField({ email, value, onChange, inputRef, invalid, describedBy, first }: {
  email: string; value: string; onChange: (v: string) => void; inputRef: RefObject<HTMLInputElement | null>; invalid: boolean; describedBy?: string; first?: boolean;
}) {
  return (
    <>
      <input type="text" name="username" autoComplete="username" value={email} readOnly hidden />
      <label className="field">
        <span>Current password</span>
        <input
          ref={inputRef}
          type="password"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          required
          maxLength={1024}
          autoComplete="current-password"
          {...(first ? { 'data-autofocus': true } : { 'data-step-focus': true })}
          aria-invalid={invalid ? true : undefined}
          aria-describedby={describedBy}
        />
      </label>
    </>
  );
}

export function recoveryFile(email: string, codes: string[]): string {
  return [`Parley recovery codes for ${email}`, 'Each code signs you in once, instead of the code from your authenticator app.', '', ...codes, ''].join('\n');
}


function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
