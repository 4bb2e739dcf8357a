/**
 * Settings → Single sign-on (admins): the desk's OpenID Connect providers, with whom each signs
 * in (verified emails of some domains; new people created with a role, or only people who
 * already have an account), whether people other than admins must sign in with it (admins keep
 * their password, to get in when the provider is down), and whether its sign-ins count as
 * two-factor ones, and whether signing out of Parley signs out at the provider too (OpenID Connect
 * RP-Initiated Logout, when its discovery names an end-session endpoint). The callback URL, the
 * post-logout redirect URI and the back-channel logout URI are shown to register at the provider; the client secret is
 * write-only. Saving, and Check, read the issuer's discovery document first.
 *
 * A provider may be SAML 2.0 instead (chosen when adding it): the IdP's entity id, SSO URL and
 * signing certificates (or its metadata XML, pasted), which attributes hold the email and name;
 * the SP entity id and ACS URL are shown to give the IdP. IdP-initiated sign-in (the IdP's app
 * tile) is each SAML provider's own opt-in, saved at once, with its trade-off said.
 *
 * Provisioning (SCIM): the SCIM base URL to give the provider, its tokens (one shown once when
 * made; listed by label, role of the people it creates, last use), revoked here.
 */
import { useEffect, useId, useRef, useState } from 'react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { api, ApiError } from '../api/client.js';
import type { SsoProvider, SsoProviderInput, SsoProvisionRole } from '../api/types.js';
import { fullTime } from '../lib/format.js';
import { Spinner } from '../ui/bits.js';
import { ConfirmDialog } from '../ui/Modal.js';
import { refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';
import { useAdminWrite } from '../api/workflow.js';
import { DisclosureButton, Problem, Section, TableScroll } from './fields.js';
import { CopyField } from '../ui/Copy.js';
import { DialogButtons } from '../ui/DialogButtons.js';

/** Both lists: the admins' and the sign-in page's (a change here shows there). */
const ALL = ['sso-providers'] as const;
const KEY = ['sso-providers', 'admin'] as const;

interface ProviderList {
  providers: SsoProvider[];
  /** The redirect URI to register at the provider. */
  callbackUrl: string;
  /** The post-logout redirect URI to register at the provider (the desk's sign-in page), for signing out there too. */
  postLogoutRedirectUri: string;
  /** The back-channel logout URI to register at the provider: its sign-outs end the Parley sessions they name. */
  backchannelLogoutUri: string;
  /** SAML: the SP entity id (the Audience) to give the IdP; also where the SP metadata XML is. */
  samlEntityId: string;
  /** SAML: the Assertion Consumer Service URL (HTTP-POST) to give the IdP. */
  samlAcsUrl: string;
  samlMetadataUrl: string;
}

const ROLE_TEXT: Record<SsoProvisionRole, string> = { agent: 'agents', expert: 'experts', approver: 'approvers (team leads)' };

/** Email domains typed with commas or spaces, lower-case, without a leading `@`, each once. */
export const domainsOf = (s: string): string[] => [...new Set(s.split(/[\s,;]+/).map((d) => d.trim().replace(/^@/, '').toLowerCase()).filter(Boolean))];

export function SingleSignOnAdmin({ admin }: { admin: boolean }) {
  const toast = useToast();
  const q = useQuery({ queryKey: KEY, queryFn: () => api<ProviderList>('GET', '/api/sso/providers'), enabled: admin });
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  const [deleting, setDeleting] = useState<SsoProvider | null>(null);
  /** A deleted provider's row is gone: focus goes to its neighbour's Edit (none left: the list's heading) once the list no longer shows it. */
  const [deleted, setDeleted] = useState<{ id: number; next: number | null } | null>(null);
  useEffect(() => {
    if (!deleted || q.data?.providers.some((p) => p.id === deleted.id)) return;
    const el = deleted.next != null ? document.querySelector<HTMLElement>(`tr[data-sso-id="${deleted.next}"] button[aria-expanded]`) : null;
    (el ?? document.getElementById('sso-title'))?.focus();
    setDeleted(null);
  }, [deleted, q.data]);
  const remove = useAdminWrite((p: SsoProvider) => api<null>('DELETE', `/api/sso/providers/${p.id}`), [ALL]);
  if (!admin) return <p className="muted">Single sign-on is for admins.</p>;
  const list = q.data?.providers ?? [];
  return (
    <>
      <Section
        title="Single sign-on"
        id="sso-title"
        description="People sign in with their organisation’s account (OpenID Connect or SAML 2.0: Okta, Microsoft Entra ID, Google Workspace, Keycloak…). On a desk of one brand each enabled provider gets a “Sign in with …” button on the sign-in page; on a desk of several, people find theirs with their work email (give the provider your domains). Parley matches the person by the verified email address the provider gives."
      >
        {q.isPending ? (
          <Spinner label="Loading single sign-on providers" />
        ) : q.isError ? (
          <Problem error={q.error} />
        ) : (
          <>
            <CopyField label="Callback URL (register it at the provider as the redirect URI)" value={q.data.callbackUrl} what="the callback URL" />
            <CopyField label="Post-logout redirect URI (register it at the provider too, so that signing out of Parley signs out there)" value={q.data.postLogoutRedirectUri} what="the post-logout redirect URI" />
            <CopyField label="Back-channel logout URI (optional: register it at the provider, so that signing out there signs out of Parley)" value={q.data.backchannelLogoutUri} what="the back-channel logout URI" />
            <CopyField label="SAML: SP entity ID (Audience URI; also the SP metadata URL)" value={q.data.samlEntityId} what="the SP entity ID" />
            <CopyField label="SAML: ACS URL (single sign-on URL / reply URL, HTTP-POST)" value={q.data.samlAcsUrl} what="the ACS URL" />
            {list.length === 0 ? (
              <p className="muted">No providers yet: everyone signs in with their password.</p>
            ) : (
              <TableScroll label="Single sign-on providers">
                <table className="data-table sso-table">
                  <caption className="visually-hidden">Single sign-on providers</caption>
                  <thead>
                    <tr>
                      <th scope="col">Provider</th>
                      <th scope="col">Issuer</th>
                      <th scope="col">State</th>
                      <th scope="col">Password sign-in</th>
                      <th scope="col">People linked</th>
                      <th scope="col">
                        <span className="visually-hidden">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((p) => (
                      <ProviderRow
                        key={p.id}
                        p={p}
                        editing={editing === p.id}
                        onEdit={() => setEditing(editing === p.id ? null : p.id)}
                        onDelete={() => setDeleting(p)}
                      />
                    ))}
                  </tbody>
                </table>
              </TableScroll>
            )}
          </>
        )}
      </Section>
      <Section
        title="Add a provider"
        id="sso-add-title"
        actions={
          <DisclosureButton open={adding} onClick={() => setAdding((x) => !x)} controls="sso-add-form">
            {adding ? 'Close' : 'Add…'}
          </DisclosureButton>
        }
      >
        <div id="sso-add-form">{adding && <ProviderForm onDone={() => setAdding(false)} />}</div>
      </Section>
      <ScimProvisioning />
      <ConfirmDialog
        open={!!deleting}
        onClose={() => setDeleting(null)}
        onConfirm={() =>
          deleting &&
          remove.mutate(deleting, {
            onSuccess: () => {
              toast(`“${deleting.label}” deleted`);
              const at = list.findIndex((x) => x.id === deleting.id);
              setDeleted({ id: deleting.id, next: (list[at + 1] ?? (at > 0 ? list[at - 1] : undefined))?.id ?? null });
              if (editing === deleting.id) setEditing(null);
              setDeleting(null);
            },
            onError: (err) => {
              setDeleting(null);
              toast(`Not deleted: ${(err as Error).message}`, 'error');
            },
          })
        }
        title={`Delete “${deleting?.label ?? ''}”?`}
        description={`Its button leaves the sign-in page and nobody can sign in with it any more${deleting?.linkedPeople ? `; ${deleting.linkedPeople === 1 ? 'the person linked to it signs' : `the ${deleting.linkedPeople} people linked to it sign`} in with a password (an admin can send them a reset link in People)` : ''}. Signed-in sessions stay until they end. To stop it for a while, turn it off instead.`}
        confirmLabel="Delete provider"
        busy={remove.isPending}
        danger
      />
    </>
  );
}

function ProviderRow({ p, editing, onEdit, onDelete }: { p: SsoProvider; editing: boolean; onEdit: () => void; onDelete: () => void }) {
  const [checked, setChecked] = useState<{ ok: true; endpoint: string; endSession: string | null } | { ok: false; refusal: RefusalInfo } | null>(null);
  const check = useMutation({
    mutationFn: () => api<{ ok: true; authorizationEndpoint: string; endSessionEndpoint: string | null }>('POST', `/api/sso/providers/${p.id}/check`, {}),
    onMutate: () => setChecked(null),
    onSuccess: (r) => setChecked({ ok: true, endpoint: r.authorizationEndpoint, endSession: r.endSessionEndpoint }),
    onError: (err) => setChecked({ ok: false, refusal: refusalOf(err) }),
  });
  return (
    <>
      <tr data-sso-id={p.id} className={p.enabled ? undefined : 'muted'}>
        <td>
          <strong>{p.label}</strong>
          <div className="muted small">
            {p.autoProvisionRole ? `Creates new people as ${ROLE_TEXT[p.autoProvisionRole]}` : 'Only people with a Parley account'}
            {p.allowedDomains.length > 0 && `; emails at ${p.allowedDomains.join(', ')}`}
          </div>
        </td>
        <td className="small">
          <code>{p.issuer}</code>
          <div className="muted">{p.protocol === 'saml' ? `SAML 2.0 · ${p.samlCertificates.length} signing certificate${p.samlCertificates.length === 1 ? '' : 's'}` : `client ${p.clientId}`}</div>
        </td>
        <td className="small">
          {p.enabled ? <span className="badge">enabled</span> : <span className="muted">off</span>}
          {p.trustsMfa && <div className="muted">counts as two-factor</div>}
          {p.protocol === 'oidc' && p.signOutAtProvider && <div className="muted">signs out there too</div>}
          <div className="muted">changed {fullTime(new Date(p.updatedAt).toISOString())}</div>
        </td>
        <td className="small">{p.passwordSignIn === 'admins' ? 'Admins only; everyone else uses this provider' : 'Everyone may use a password'}</td>
        <td>{p.linkedPeople}</td>
        <td>
          <div className="row-gap">
            {/* the visible word begins the name (a name that does not hold it fails speech input) */}
            <DisclosureButton open={editing} onClick={onEdit}>
              {editing ? 'Close' : 'Edit'}
              <span className="visually-hidden">{editing ? ` editing ${p.label}` : ` ${p.label}`}</span>
            </DisclosureButton>
            <button type="button" className="btn btn-small" disabled={check.isPending} onClick={() => check.mutate()}>
              {check.isPending ? 'Checking…' : 'Check'}
              <span className="visually-hidden"> {p.label}</span>
            </button>
            <button type="button" className="btn btn-small btn-ghost" onClick={onDelete}>
              Delete<span className="visually-hidden"> {p.label}</span>
            </button>
          </div>
          {/* always there (a live region says what changes in it) */}
          <div role="status" className="small" data-sso-check={checked ? (checked.ok ? 'ok' : checked.refusal.code) : undefined}>
            {checked?.ok && (
              <>
                <span className="muted">Reachable: signs in at {checked.endpoint}</span>
                {p.protocol === 'oidc' && <div className="muted">{checked.endSession ? `Signs out at ${checked.endSession}` : 'It names no end-session endpoint: signing out of Parley does not sign out there.'}</div>}
              </>
            )}
            {checked && !checked.ok && (
              <span className="form-error">
                <strong>Not reachable:</strong> {checked.refusal.detail}
              </span>
            )}
          </div>
        </td>
      </tr>
      {editing && (
        <tr className="edit-row">
          <td colSpan={6}>
            <ProviderForm p={p} onDone={onEdit} />
          </td>
        </tr>
      )}
    </>
  );
}

/** A SAML provider's IdP-initiated sign-in setting (`/api/sso/providers/:id/saml/idp-initiated`). */
interface IdpInitiated {
  providerId: number;
  allowed: boolean;
  acsUrl: string;
  maxAgeSeconds: number;
}

/**
 * Whether the provider's app tile (an IdP-initiated, unsolicited Response) signs people in: off by
 * default; saved as soon as it is changed (its own setting, not the form's), with the trade-off said.
 */
function IdpInitiatedSetting({ providerId, label }: { providerId: number; label: string }) {
  const hintId = useId();
  const key = ['sso-providers', 'idp-initiated', providerId] as const;
  const q = useQuery({ queryKey: key, queryFn: () => api<IdpInitiated>('GET', `/api/sso/providers/${providerId}/saml/idp-initiated`) });
  const toast = useToast();
  const change = useAdminWrite((allowed: boolean) => api<IdpInitiated>('PUT', `/api/sso/providers/${providerId}/saml/idp-initiated`, { allowed }), [key]);
  const allowed = change.isPending ? change.variables === true : q.data?.allowed ?? false;
  return (
    <>
      <label className="checkbox">
        <input
          type="checkbox"
          checked={allowed}
          disabled={!q.data || change.isPending}
          onChange={(e) => change.mutate(e.target.checked, { onSuccess: (v) => toast(v.allowed ? `IdP-initiated sign-in is on for ${label}` : `IdP-initiated sign-in is off for ${label}`) })}
          aria-describedby={hintId}
        />{' '}
        Allow IdP-initiated sign-in (app tiles) <span className="muted small">(saved at once)</span>
      </label>
      <div id={hintId} className="muted small">
        <p>
          People can then start from the identity provider’s dashboard (an Okta or Microsoft Entra app tile) instead of Parley’s sign-in page. The trade-off: such a sign-in
          answers no request of Parley’s, so it cannot be tied to the browser that brings it — someone holding a fresh assertion of their own could sign another person’s browser
          in as themselves. Parley takes one only when signed by this provider, for this desk (audience, recipient, destination), in its validity, issued in the last{' '}
          {Math.round((q.data?.maxAgeSeconds ?? 300) / 60)} minutes, and never twice; it goes only to a page of this desk (else the inbox), and each one is in the audit log.
          Leave it off unless your people need the tile.
        </p>
        {q.data ? <p>The identity provider sends them to the ACS URL: {q.data.acsUrl}</p> : null}
      </div>
      {q.isError ? <Problem error={q.error} /> : null}
      <Problem error={change.error} />
    </>
  );
}

/** Adds a provider, or (with `p`) edits it: every field sent, the secret only when typed. */
function ProviderForm({ p, onDone }: { p?: SsoProvider; onDone: () => void }) {
  const toast = useToast();
  const id = useId();
  const [label, setLabel] = useState(p?.label ?? '');
  const [issuer, setIssuer] = useState(p?.issuer ?? '');
  const [clientId, setClientId] = useState(p?.clientId ?? '');
  const [secret, setSecret] = useState('');
  const [domains, setDomains] = useState((p?.allowedDomains ?? []).join(', '));
  const [role, setRole] = useState<SsoProvisionRole | ''>(p?.autoProvisionRole ?? '');
  const [adminsOnly, setAdminsOnly] = useState(p?.passwordSignIn === 'admins');
  const [trustsMfa, setTrustsMfa] = useState(p?.trustsMfa ?? false);
  const [enabled, setEnabled] = useState(p?.enabled ?? true);
  const [signOutThere, setSignOutThere] = useState(p?.signOutAtProvider ?? true);
  const [protocol, setProtocol] = useState<'oidc' | 'saml'>(p?.protocol ?? 'oidc');
  const [ssoUrl, setSsoUrl] = useState(p?.samlSsoUrl ?? '');
  const [sloUrl, setSloUrl] = useState(p?.samlSloUrl ?? '');
  const [certs, setCerts] = useState('');
  const [metadataXml, setMetadataXml] = useState('');
  const [emailAttribute, setEmailAttribute] = useState(p?.samlEmailAttribute ?? '');
  const [nameAttribute, setNameAttribute] = useState(p?.samlNameAttribute ?? '');
  const [signRequests, setSignRequests] = useState(p?.signAuthnRequests ?? false);
  const [wantEncrypted, setWantEncrypted] = useState(p?.wantEncryptedAssertions ?? false);
  const saml = protocol === 'saml';
  const issuerRef = useRef<HTMLInputElement>(null);
  const samlBody = (): Partial<SsoProviderInput> => ({
    ...(p ? {} : { protocol: 'saml' as const }),
    ...(issuer.trim() ? { issuer: issuer.trim() } : {}),
    ...(ssoUrl.trim() ? { samlSsoUrl: ssoUrl.trim() } : {}),
    // sent only when changed: left empty on a new provider, pasted metadata's SingleLogoutService is kept
    ...(sloUrl.trim() !== (p?.samlSloUrl ?? '') ? { samlSloUrl: sloUrl.trim() || null } : {}),
    // certificates left empty on an edit: the ones kept stay
    ...(certs.trim() ? { samlCertificates: [certs] } : {}),
    ...(metadataXml.trim() ? { samlMetadataXml: metadataXml } : {}),
    samlEmailAttribute: emailAttribute.trim() || null,
    samlNameAttribute: nameAttribute.trim() || null,
    signAuthnRequests: signRequests,
    wantEncryptedAssertions: wantEncrypted,
  });
  const body = (): SsoProviderInput => ({
    label: label.trim(),
    ...(saml
      ? samlBody()
      : {
          issuer: issuer.trim(),
          clientId: clientId.trim(),
          // a new provider's empty secret: a public client; an edited one's: kept
          ...(secret !== '' || !p ? { clientSecret: secret } : {}),
          signOutAtProvider: signOutThere,
        }),
    allowedDomains: domainsOf(domains),
    autoProvisionRole: role || null,
    passwordSignIn: adminsOnly ? 'admins' : 'everyone',
    trustsMfa,
    enabled,
  });
  const save = useAdminWrite(() => (p ? api<SsoProvider>('PATCH', `/api/sso/providers/${p.id}`, body()) : api<SsoProvider>('POST', '/api/sso/providers', body())), [ALL]);
  // the issuer's discovery failed: said on the issuer, where focus goes to fix it
  const discovery = save.error instanceof ApiError && (save.error.code === 'sso.discovery_failed' || save.error.code === 'sso.invalid_saml');
  useEffect(() => {
    if (discovery) issuerRef.current?.select();
  }, [discovery, save.error]);
  const hint = (k: string) => `${id}-${k}`;
  // a value, not a component: a component made in render would remount (and lose focus) at each keystroke
  const samlFields = (
    <>
      <div className="form-row">
        <label className="field">
          <span>IdP metadata XML (optional: paste it instead of the three fields below)</span>
          <textarea value={metadataXml} onChange={(e) => setMetadataXml(e.target.value)} rows={4} maxLength={200_000} spellCheck={false} aria-describedby={hint('metadata')} />
          <span id={hint('metadata')} className="muted small">
            The identity provider’s metadata (an EntityDescriptor): Parley takes its entity ID, its HTTP-Redirect single sign-on URL and its signing certificates. Fields you fill win.
          </span>
        </label>
      </div>
      <div className="form-row">
        <label className="field">
          <span>IdP entity ID (Issuer)</span>
          <input ref={issuerRef} value={issuer} onChange={(e) => setIssuer(e.target.value)} maxLength={500} placeholder="http://www.okta.com/exk…" autoComplete="off" aria-invalid={discovery ? true : undefined} aria-describedby={discovery ? hint('discovery') : undefined} />
        </label>
        <label className="field">
          <span>IdP single sign-on URL</span>
          <input type="url" value={ssoUrl} onChange={(e) => setSsoUrl(e.target.value)} maxLength={2000} placeholder="https://acme.okta.com/app/…/sso/saml" />
        </label>
        <label className="field">
          <span>IdP single logout URL (optional)</span>
          <input type="url" value={sloUrl} onChange={(e) => setSloUrl(e.target.value)} maxLength={2000} placeholder="https://acme.okta.com/app/…/slo/saml" aria-describedby="saml-slo-hint" />
          <small id="saml-slo-hint">Signing out of Parley signs out at the IdP too, and the IdP's sign-out ends Parley sessions. Empty: no single logout.</small>
        </label>
      </div>
      <label className="field">
        <span>IdP signing certificate{p?.samlCertificates.length ? ' (leave empty to keep the one kept)' : ''}</span>
        <textarea value={certs} onChange={(e) => setCerts(e.target.value)} rows={4} maxLength={20_000} spellCheck={false} placeholder="-----BEGIN CERTIFICATE-----" aria-describedby={hint('certs')} />
        <span id={hint('certs')} className="muted small">
          PEM; several may be pasted one after another (during a certificate rollover).
          {p?.samlCertificates.map((c) => ` Kept: ${c.subject || 'a certificate'}, valid to ${c.validTo}.`).join('')}
        </span>
      </label>
      <div className="form-row">
        <label className="field">
          <span>Email attribute (optional)</span>
          <input value={emailAttribute} onChange={(e) => setEmailAttribute(e.target.value)} maxLength={500} autoComplete="off" placeholder="email" aria-describedby={hint('email-attr')} />
          <span id={hint('email-attr')} className="muted small">
            Empty: the NameID when it is an email address, else the attribute “email” or http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress.
          </span>
        </label>
        <label className="field">
          <span>Display name attribute (optional)</span>
          <input value={nameAttribute} onChange={(e) => setNameAttribute(e.target.value)} maxLength={500} autoComplete="off" placeholder="displayName" />
        </label>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={signRequests} onChange={(e) => setSignRequests(e.target.checked)} aria-describedby={hint('sign-requests')} /> Sign authentication requests
      </label>
      <p id={hint('sign-requests')} className="muted small">
        Parley signs each AuthnRequest (RSA-SHA256) with this provider’s own key. Turn it on when the identity provider requires signed requests, after giving it the SP metadata below (its signing certificate).
      </p>
      <label className="checkbox">
        <input type="checkbox" checked={wantEncrypted} onChange={(e) => setWantEncrypted(e.target.checked)} aria-describedby={hint('want-encrypted')} /> Require encrypted assertions
      </label>
      <p id={hint('want-encrypted')} className="muted small">
        An assertion that is not encrypted to this provider’s certificate is refused. Give the identity provider the SP metadata below (its encryption certificate) and turn encryption on there first.
      </p>
      {p ? <IdpInitiatedSetting providerId={p.id} label={p.label} /> : <p className="muted small">Once added, IdP-initiated sign-in (app tiles) can be allowed for this provider.</p>}
      {p?.samlSpMetadataPath ? (
        <CopyField label="This provider’s SP metadata URL (with its signing and encryption certificate; give it to the identity provider)" value={`${window.location.origin}${p.samlSpMetadataPath}`} what="the SP metadata URL" />
      ) : (
        <p className="muted small">Once added, this provider gets its own SP metadata URL, with the certificate to give the identity provider.</p>
      )}
    </>
  );
  return (
    <form
      className="subform form-grid"
      aria-label={p ? `Edit ${p.label}` : 'Add a single sign-on provider'}
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(undefined, {
          onSuccess: (r) => {
            toast(p ? `“${r.label}” saved` : `“${r.label}” added${r.enabled ? ': its button is on the sign-in page' : ''}`);
            onDone();
          },
        });
      }}
    >
      <div className="form-row">
        <label className="field">
          <span>Name on the sign-in button</span>
          <input value={label} onChange={(e) => setLabel(e.target.value)} required maxLength={100} placeholder="Okta" aria-describedby={hint('label')} />
          <span id={hint('label')} className="muted small">
            The button reads “Sign in with {label.trim() || '…'}”.
          </span>
        </label>
        {!p && (
          <fieldset className="field">
            <legend>Protocol</legend>
            <label className="checkbox">
              <input type="radio" name={hint('protocol')} value="oidc" checked={!saml} onChange={() => setProtocol('oidc')} /> OpenID Connect
            </label>
            <label className="checkbox">
              <input type="radio" name={hint('protocol')} value="saml" checked={saml} onChange={() => setProtocol('saml')} /> SAML 2.0
            </label>
          </fieldset>
        )}
      </div>
      {saml ? samlFields : (
      <>
      <div className="form-row">
        <label className="field">
          <span>Issuer URL</span>
          <input
            ref={issuerRef}
            type="url"
            value={issuer}
            onChange={(e) => setIssuer(e.target.value)}
            required
            maxLength={500}
            placeholder="https://acme.okta.com"
            aria-invalid={discovery ? true : undefined}
            aria-describedby={discovery ? `${hint('issuer')} ${hint('discovery')}` : hint('issuer')}
          />
          <span id={hint('issuer')} className="muted small">
            Parley reads the provider’s settings from its /.well-known/openid-configuration.
          </span>
        </label>
      </div>
      <div className="form-row">
        <label className="field">
          <span>Client ID</span>
          <input value={clientId} onChange={(e) => setClientId(e.target.value)} required maxLength={500} autoComplete="off" />
        </label>
        <label className="field">
          <span>Client secret</span>
          <input
            type="password"
            value={secret}
            onChange={(e) => setSecret(e.target.value)}
            maxLength={2000}
            autoComplete="new-password"
            placeholder={p?.hasClientSecret ? 'kept' : undefined}
            aria-describedby={hint('secret')}
          />
          <span id={hint('secret')} className="muted small">
            {p?.hasClientSecret ? 'Kept encrypted and never shown; leave it empty to keep it, or type a new one to replace it.' : 'Kept encrypted and never shown again.'}
          </span>
        </label>
      </div>
      </>
      )}
      <div className="form-row">
        <label className="field">
          <span>Allowed email domains</span>
          <input value={domains} onChange={(e) => setDomains(e.target.value)} placeholder="acme.com, acme.co.uk" autoComplete="off" aria-describedby={hint('domains')} />
          <span id={hint('domains')} className="muted small">
            Separated by commas or spaces. Empty: any verified email address of someone who has a Parley account.
          </span>
        </label>
        <label className="field">
          <span>New people who sign in with it</span>
          <select value={role} onChange={(e) => setRole(e.target.value as SsoProvisionRole | '')} aria-describedby={hint('role')}>
            <option value="">Are refused (only people with a Parley account)</option>
            <option value="agent">Get an account as agents</option>
            <option value="expert">Get an account as experts</option>
            <option value="approver">Get an account as approvers</option>
          </select>
          <span id={hint('role')} className="muted small">
            Nobody is made an admin this way; change roles in People.
          </span>
        </label>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={adminsOnly} onChange={(e) => setAdminsOnly(e.target.checked)} aria-describedby={hint('admins')} /> People other than admins must use this provider
      </label>
      <p id={hint('admins')} className="muted small">
        Their password no longer signs them in here. Admins keep theirs, to get in when the provider is down.
      </p>
      <label className="checkbox">
        <input type="checkbox" checked={trustsMfa} onChange={(e) => setTrustsMfa(e.target.checked)} aria-describedby={hint('mfa')} /> The provider enforces multi-factor sign-in
      </label>
      <p id={hint('mfa')} className="muted small">
        Check this only if the provider asks everyone for a second factor. Sign-ins with it then satisfy the desk’s two-factor requirement (Settings → Workflow) without Parley’s own authenticator code. Unchecked, the requirement applies to them as to password sign-ins.
      </p>
      {!saml && (
        <>
          <label className="checkbox">
            <input type="checkbox" checked={signOutThere} onChange={(e) => setSignOutThere(e.target.checked)} aria-describedby={hint('sign-out')} /> Sign out of {label.trim() || 'the provider'} too
          </label>
          <p id={hint('sign-out')} className="muted small">
            When someone who signed in with it signs out of Parley, they are taken to the provider to sign out there as well, and back to the sign-in page. Only when the provider supports it (OpenID Connect RP-Initiated Logout: Check says so); register the post-logout redirect URI above with it.
          </p>
        </>
      )}
      <label className="checkbox">
        <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} /> Enabled (its button shows on the sign-in page)
      </label>
      {discovery ? (
        <div id={hint('discovery')} className="form-error" role="alert" data-code={(save.error as ApiError).code}>
          <strong>Not saved:</strong> {saml ? '' : 'the issuer’s OpenID configuration could not be read. '}
          {(save.error as Error).message}
        </div>
      ) : (
        <Problem error={save.error} />
      )}
      <DialogButtons small disabled={save.isPending} onCancel={onDone}>
        {save.isPending ? (saml ? 'Saving…' : 'Checking the issuer…') : p ? `Save ${p.label}` : 'Add provider'}
      </DialogButtons>
    </form>
  );
}

/** A SCIM token as listed (never its secret). */
interface ScimToken {
  id: number;
  label: string;
  prefix: string;
  role: SsoProvisionRole;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
const SCIM_KEY = ['scim-tokens'] as const;

/** Settings → Single sign-on → Provisioning (SCIM): the base URL, a new token shown once, the tokens, revoking one. */
function ScimProvisioning() {
  const toast = useToast();
  const id = useId();
  const q = useQuery({ queryKey: SCIM_KEY, queryFn: () => api<{ baseUrl: string; items: ScimToken[] }>('GET', '/api/scim-tokens') });
  const [label, setLabel] = useState('');
  const [role, setRole] = useState<SsoProvisionRole>('agent');
  const [made, setMade] = useState<{ label: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<ScimToken | null>(null);
  const create = useAdminWrite(() => api<ScimToken & { token: string }>('POST', '/api/scim-tokens', { label: label.trim(), role }), [SCIM_KEY]);
  const revoke = useAdminWrite((t: ScimToken) => api<unknown>('DELETE', `/api/scim-tokens/${t.id}`), [SCIM_KEY]);
  const live = (q.data?.items ?? []).filter((t) => !t.revokedAt);
  return (
    <Section
      title="Provisioning (SCIM)"
      id="scim-title"
      description="Your identity provider (Okta, Microsoft Entra ID…) creates people here, keeps their names and addresses up to date, and deactivates them when they leave, over SCIM 2.0. Deactivated people are signed out and their open conversations go back to the queue. SCIM never makes anyone an admin, never changes roles, and never changes or deactivates an admin."
    >
      {q.isPending ? (
        <Spinner label="Loading SCIM tokens" />
      ) : q.isError ? (
        <Problem error={q.error} />
      ) : (
        <>
          <CopyField label="SCIM base URL (the provider’s “SCIM connector base URL” or “Tenant URL”)" value={q.data.baseUrl} what="the SCIM base URL" />
          {made && (
            <div className="token-shown" role="status" data-scim-token-made>
              <CopyField label={`Token for “${made.label}”: copy it now, it is not shown again`} value={made.token} what="the SCIM token" />
              <button type="button" className="btn btn-ghost btn-small" onClick={() => setMade(null)}>
                Done
              </button>
            </div>
          )}
          {live.length === 0 ? (
            <p className="muted">No SCIM tokens: nothing provisions people yet.</p>
          ) : (
            <TableScroll label="SCIM tokens">
              <table className="data-table">
                <caption className="visually-hidden">SCIM tokens</caption>
                <thead>
                  <tr>
                    <th scope="col">Token</th>
                    <th scope="col">New people are</th>
                    <th scope="col">Created</th>
                    <th scope="col">Last used</th>
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  </tr>
                </thead>
                <tbody>
                  {live.map((t) => (
                    <tr key={t.id} data-scim-token-id={t.id}>
                      <td>
                        <strong>{t.label}</strong>
                        <div className="muted small">
                          <code>{t.prefix}…</code>
                        </div>
                      </td>
                      <td>{ROLE_TEXT[t.role]}</td>
                      <td className="small">{fullTime(t.createdAt)}</td>
                      <td className="small">{t.lastUsedAt ? fullTime(t.lastUsedAt) : <span className="muted">never</span>}</td>
                      <td>
                        <button type="button" className="btn btn-small btn-ghost" onClick={() => setRevoking(t)}>
                          Revoke<span className="visually-hidden"> {t.label}</span>
                        </button>
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </TableScroll>
          )}
          <form
            className="subform form-grid"
            aria-label="Create a SCIM token"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate(undefined, {
                onSuccess: (r) => {
                  setMade({ label: r.label, token: r.token });
                  setLabel('');
                },
              });
            }}
          >
            <div className="form-row">
              <label className="field">
                <span>Name (the audit trail shows changes as “scim:name”)</span>
                <input value={label} onChange={(e) => setLabel(e.target.value)} required maxLength={100} placeholder="Okta" />
              </label>
              <label className="field">
                <span>People it creates are</span>
                <select value={role} onChange={(e) => setRole(e.target.value as SsoProvisionRole)} aria-describedby={`${id}-role`}>
                  <option value="agent">Agents</option>
                  <option value="expert">Experts</option>
                  <option value="approver">Approvers</option>
                </select>
                <span id={`${id}-role`} className="muted small">
                  Never admins; change roles in People.
                </span>
              </label>
            </div>
            <Problem error={create.error} />
            <div className="row-gap">
              <button type="submit" className="btn btn-primary btn-small" disabled={create.isPending}>
                {create.isPending ? 'Creating…' : 'Create SCIM token'}
              </button>
            </div>
          </form>
        </>
      )}
      <ConfirmDialog
        open={!!revoking}
        onClose={() => setRevoking(null)}
        onConfirm={() =>
          revoking &&
          revoke.mutate(revoking, {
            onSuccess: () => {
              toast(`“${revoking.label}” revoked`);
              setRevoking(null);
              document.getElementById('scim-title')?.focus();
            },
            onError: (err) => {
              setRevoking(null);
              toast(`Not revoked: ${(err as Error).message}`, 'error');
            },
          })
        }
        title={`Revoke “${revoking?.label ?? ''}”?`}
        description="The provider can no longer create, change or deactivate people here until you give it a new token. People it made keep their accounts."
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        danger
      />
    </Section>
  );
}
