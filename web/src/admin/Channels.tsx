/**
 * Settings → Channels: connected accounts with their health (and what to do about
 * it), connecting, editing a connected account (listening terms, settings, handle,
 * credentials) and reconnecting (credentials are write-only: the API never returns
 * them, only their names), listen-only, disabling, sync now, the webhook URL to give
 * the network, business hours with the availability line for the profile bio, and the
 * automatic acknowledgement.
 */
import { useQuery } from '@tanstack/react-query';
import { useEffect, useId, useState, type ReactNode } from 'react';
import { api } from '../api/client.js';
import { keys } from '../api/queries.js';
import type { BusinessCalendar, ChannelAccountAdmin, ChannelNetworkInfo, HoursInterval, Weekday } from '../api/types.js';
import { WEEKDAYS } from '../api/types.js';
import { saveCalendar, useAdminChannels, useAdminWrite, useChannelAvailability, wkeys } from '../api/workflow.js';
import { fullTime, networkLabel, NETWORK_LABEL, useNow } from '../lib/format.js';
import { agoText } from '../workflow/Sla.js';
import { SafeText } from '../lib/SafeText.js';
import { NetworkBadge, Spinner, WarningIcon } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { ConfirmDialog } from '../ui/Modal.js';
import { focusAfterRemoving } from '../ui/focus.js';
import { DisclosureButton, fieldErrors, KeyValueRows, type KV, kvToObject, Problem, ReadOnlyNote, Section, TableScroll } from './fields.js';
import { CopyField } from '../ui/Copy.js';
import { DialogButtons } from '../ui/DialogButtons.js';

const NETWORKS = ['x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'email', 'webchat', 'demo'];

/** What each network's accounts take: the server's own rules, which connect and edit both check. */
const useChannelNetworks = () => useQuery({ queryKey: ['channel-networks'], queryFn: async () => (await api<{ items: ChannelNetworkInfo[] }>('GET', '/api/channel-networks')).items, staleTime: Infinity });
/** One account as an admin edits it: fresh settings and the names of its stored credentials. */
const useAccountForEdit = (id: number) => useQuery({ queryKey: [...keys.channels, id, 'edit'], queryFn: () => api<ChannelAccountAdmin>('GET', `/api/channel-accounts/${id}`), staleTime: 0, gcTime: 0 });

const credentialHint = (info: ChannelNetworkInfo | undefined) => (!info ? 'see docs/channels.md' : info.credentials.length ? info.credentials.join(', ') : 'none');
const settingsHint = (info: ChannelNetworkInfo | undefined, leaveOut: string[] = []) => (info ? `${networkLabel(info.network)} accounts read: ${info.settings.filter((k) => !leaveOut.includes(k)).join(', ')}.` : null);

/**
 * Whether the network posts this account's events to Parley: the admin API sends a webhook
 * URL only then, and the list says so through the connector's `webhook` capability. Polled
 * or streamed accounts (Mastodon, Bluesky, email…) have none to give.
 */
export function receivesWebhooks(a: ChannelAccountAdmin): boolean {
  return a.webhookUrl != null || a.capabilities?.webhook === true;
}

/** The URL the network posts events to. The server answers a path when it has no public URL configured; the list does not carry it at all. */
export function webhookUrlOf(a: ChannelAccountAdmin): string {
  const u = a.webhookUrl ?? `/api/webhooks/${a.network}/${a.id}`;
  return u.startsWith('/') ? `${location.origin}${u}` : u;
}

export function ChannelsAdmin({ admin }: { admin: boolean }) {
  const q = useAdminChannels();
  const [connectOpen, setConnectOpen] = useState(false);
  const list = [...(q.data ?? [])].sort((a, b) => Number(a.status === 'active') - Number(b.status === 'active') || a.network.localeCompare(b.network) || a.handle.localeCompare(b.handle));
  const bad = list.filter((a) => a.status !== 'active' && a.status !== 'disabled' && a.status !== 'paused').length;
  return (
    <>
      {!admin && <ReadOnlyNote what="the channels and their health" />}
      {admin && (
        <Section
          title="Connect an account"
          id="connect-title"
          actions={
            <DisclosureButton open={connectOpen} controls="connect-form" onClick={() => setConnectOpen((x) => !x)}>
              {connectOpen ? 'Close' : 'Connect…'}
            </DisclosureButton>
          }
        >
          {connectOpen && <ConnectForm onDone={() => setConnectOpen(false)} />}
        </Section>
      )}
      <Section title={`Accounts (${list.length})`} id="accounts-title" description={bad ? `${bad} need${bad === 1 ? 's' : ''} attention: they are listed first.` : 'Every account is healthy.'}>
        {q.isPending ? (
          <Spinner label="Loading channels" />
        ) : q.isError ? (
          <Problem error={q.error} />
        ) : list.length === 0 ? (
          <p className="muted">No accounts yet.</p>
        ) : (
          <ul className="plain-list channel-cards">
            {list.map((a) => (
              <ChannelCard key={a.id} a={a} admin={admin} />
            ))}
          </ul>
        )}
      </Section>
    </>
  );
}

function ConnectForm({ onDone }: { onDone: () => void }) {
  const toast = useToast();
  const [network, setNetwork] = useState('x');
  const [handle, setHandle] = useState('');
  const [displayName, setDisplayName] = useState('');
  const [purpose, setPurpose] = useState<'care' | 'brand'>('care');
  const [listenOnly, setListenOnly] = useState(false);
  const [driver, setDriver] = useState('');
  const [creds, setCreds] = useState<KV[]>([{ key: '', value: '' }]);
  const [settings, setSettings] = useState<KV[]>([]);
  const [created, setCreated] = useState<ChannelAccountAdmin | null>(null);
  const info = useChannelNetworks().data?.find((n) => n.network === network);
  const connect = useAdminWrite(
    () =>
      api<ChannelAccountAdmin>('POST', '/api/channel-accounts', {
        network, handle: handle.trim().replace(/^@/, ''), displayName: displayName.trim() || undefined, purpose, listenOnly, driver: driver.trim() || undefined,
        credentials: Object.keys(kvToObject(creds)).length ? kvToObject(creds) : undefined, settings: Object.keys(kvToObject(settings, true)).length ? kvToObject(settings, true) : undefined,
      }),
    [keys.channels],
  );
  if (created) {
    return (
      <div className="connected" role="status">
        <p>
          <strong>
            Connected {networkLabel(created.network)} @{created.handle}.
          </strong>{' '}
          {receivesWebhooks(created) ? 'Parley syncs it now. Give the network this webhook URL:' : 'Parley syncs it now.'}
        </p>
        {receivesWebhooks(created) && <CopyField label="Webhook URL" value={webhookUrlOf(created)} what="the webhook URL" labelClass="small muted" />}
        <div className="row-gap">
          <button type="button" className="btn btn-small" onClick={() => (setCreated(null), setHandle(''), setDisplayName(''), setCreds([{ key: '', value: '' }]), setSettings([]))}>
            Connect another
          </button>
          <button type="button" className="btn btn-small btn-ghost" onClick={onDone}>
            Done
          </button>
        </div>
      </div>
    );
  }
  return (
    <form
      id="connect-form"
      className="form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        connect.mutate(undefined, {
          onSuccess: (a) => {
            toast(`Connected @${a.handle}`);
            setCreated(a);
          },
        });
      }}
    >
      <div className="form-row">
        <label className="field">
          <span>Network</span>
          <select value={network} onChange={(e) => setNetwork(e.target.value)}>
            {NETWORKS.map((n) => (
              <option key={n} value={n}>
                {NETWORK_LABEL[n] ?? n}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Handle</span>
          <input value={handle} onChange={(e) => setHandle(e.target.value)} required maxLength={200} placeholder="AcmeCare" autoComplete="off" />
        </label>
        <label className="field">
          <span>Display name (optional)</span>
          <input value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={200} />
        </label>
      </div>
      <div className="form-row">
        <label className="field">
          <span>Purpose</span>
          <select value={purpose} onChange={(e) => setPurpose(e.target.value as 'care' | 'brand')}>
            <option value="care">Care (answer customers)</option>
            <option value="brand">Brand (statements, listening)</option>
          </select>
        </label>
        <label className="field">
          <span>Connector (optional)</span>
          <input value={driver} onChange={(e) => setDriver(e.target.value)} maxLength={40} placeholder="the network's default" />
        </label>
        <label className="checkbox field-check">
          <input type="checkbox" checked={listenOnly} onChange={(e) => setListenOnly(e.target.checked)} /> Listen only (never post or moderate)
        </label>
      </div>
      <KeyValueRows legend="Credentials" rows={creds} onChange={setCreds} secret valuePlaceholder="secret value" />
      <p className="muted small">Credentials for {networkLabel(network)}: {credentialHint(info)}. They are encrypted at rest and never shown again.</p>
      <KeyValueRows legend="Settings" rows={settings} onChange={setSettings} hint={settingsHint(info)} errorOf={(r) => fieldErrors(connect.error).get(`settings/${r.key.trim()}`)} />
      <Problem error={connect.error} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={connect.isPending || !handle.trim()}>
          {connect.isPending ? 'Connecting…' : 'Connect account'}
        </button>
      </div>
    </form>
  );
}


/**
 * When the account was last polled. One its connector does not poll (pushed events,
 * the demo's replay) says so with the connector's reason instead of "never synced",
 * which read as a broken channel.
 */
function syncLine(a: ChannelAccountAdmin, now: number): string {
  if (a.lastSyncAt) return `synced ${agoText(a.lastSyncAt, now)}`;
  const poll = a.capabilities?.poll;
  if (typeof poll === 'string') return `not polled: ${poll}`;
  return poll === true ? 'not polled yet' : 'never synced';
}

function ChannelCard({ a, admin }: { a: ChannelAccountAdmin; admin: boolean }) {
  const toast = useToast();
  const now = useNow();
  const [panel, setPanel] = useState<'none' | 'edit' | 'reconnect' | 'hours'>('none');
  const [confirmDisable, setConfirmDisable] = useState(false);
  const [open, setOpen] = useState(a.status !== 'active');
  const patch = useAdminWrite((body: Record<string, unknown>) => api<ChannelAccountAdmin>('PATCH', `/api/channel-accounts/${a.id}`, body), [keys.channels]);
  const sync = useAdminWrite(() => api<{ scheduled: boolean }>('POST', `/api/channel-accounts/${a.id}/sync`), []);
  const bad = a.status !== 'active';
  // an account that turns unhealthy opens to show what to do
  useEffect(() => {
    if (bad) setOpen(true);
  }, [bad]);
  const health = a.health ?? {};
  const ackCfg = (a.settings?.autoAck as { enabled?: boolean; visibility?: 'public' | 'private'; signature?: string } | undefined) ?? {};
  const autoAck = ackCfg.enabled === true;
  const change = (body: Record<string, unknown>, done: string) => patch.mutate(body, { onSuccess: () => toast(done), onError: (e) => toast((e as Error).message, 'error') });
  // settings are a merge patch: only the acknowledgement is sent, so nothing else is overwritten
  const changeAck = (next: Record<string, unknown>, done: string) => change({ settings: { autoAck: { ...ackCfg, ...next } } }, done);
  const [signature, setSignature] = useState(ackCfg.signature ?? '');
  return (
    <li className={`channel-card${bad ? ' channel-bad' : ''}`} data-account-id={a.id} data-status={a.status}>
      <div className="channel-card-head">
        <span className={`health-dot ${bad ? 'bad' : 'ok'}`} aria-hidden="true" />
        <NetworkBadge network={a.network} />
        <strong className="channel-handle">@{a.handle}</strong>
        {a.displayName && a.displayName !== a.handle && <span className="muted small">{a.displayName}</span>}
        <span className={`badge ${bad ? 'badge-danger' : 'sla-ok'}`}>{a.status}</span>
        {a.listenOnly && <span className="badge">listen only</span>}
        {a.purpose === 'brand' && <span className="badge">brand</span>}
        {autoAck && <span className="badge">auto-ack</span>}
        <span className="spacer" />
        <span className="muted small">{syncLine(a, now)}</span>
        <button type="button" className="btn btn-small btn-ghost" aria-expanded={open} onClick={() => setOpen((x) => !x)} aria-label={`${open ? 'Hide' : 'Show'} details of @${a.handle}`}>
          {open ? 'Hide' : 'Details'}
        </button>
      </div>
      {(health.message || health.advice) && (
        <div className={`channel-health${bad ? ' channel-health-bad' : ''}`} role={bad ? 'alert' : undefined}>
          {bad && <WarningIcon />}
          <div>
            {health.message && (
              <p className="health-message">
                {health.code ? <code>{String(health.code)}</code> : null} <SafeText text={String(health.message)} linkify={false} />
              </p>
            )}
            {health.advice && (
              <p className="health-advice">
                <strong>What to do:</strong> <SafeText text={String(health.advice)} linkify={false} />
              </p>
            )}
            {health.since && <p className="muted small">Since {fullTime(String(health.since))}</p>}
          </div>
        </div>
      )}
      {open && (
        <div className="channel-body">
          <dl className="facts channel-facts">
            <div>
              <dt>Last sync</dt>
              <dd>{a.lastSyncAt ? fullTime(a.lastSyncAt) : 'never'}</dd>
            </div>
            <div>
              <dt>Credentials</dt>
              <dd>{a.hasCredentials ? 'stored (encrypted)' : 'none'}</dd>
            </div>
            <div>
              <dt>Connector</dt>
              <dd>{a.driver ?? 'default'}</dd>
            </div>
            {termsText(a.settings?.keywords) && (
              <div>
                <dt>Listening for</dt>
                <dd style={{ overflowWrap: 'anywhere' }}>{termsText(a.settings?.keywords).split('\n').join(', ')}</dd>
              </div>
            )}
            {termsText(a.settings?.excludeKeywords) && (
              <div>
                <dt>Leaving out</dt>
                <dd style={{ overflowWrap: 'anywhere' }} title={`Mentions containing these words are not collected unless they tag @${a.handle}`}>
                  {termsText(a.settings?.excludeKeywords).split('\n').join(', ')}
                </dd>
              </div>
            )}
          </dl>
          {receivesWebhooks(a) && <CopyField label="Webhook URL" value={webhookUrlOf(a)} what="the webhook URL" labelClass="small muted" />}
          <Availability account={a} />
          {admin && (
            <div className="row-gap channel-actions">
              <button type="button" className="btn btn-small" disabled={sync.isPending} onClick={() => sync.mutate(undefined, { onSuccess: () => toast(`Syncing @${a.handle}`), onError: (e) => toast((e as Error).message, 'error') })}>
                Sync now
              </button>
              <DisclosureButton open={panel === 'edit'} onClick={() => setPanel(panel === 'edit' ? 'none' : 'edit')}>
                Edit…
              </DisclosureButton>
              <DisclosureButton open={panel === 'reconnect'} onClick={() => setPanel(panel === 'reconnect' ? 'none' : 'reconnect')}>
                Reconnect…
              </DisclosureButton>
              <DisclosureButton open={panel === 'hours'} onClick={() => setPanel(panel === 'hours' ? 'none' : 'hours')}>
                Business hours…
              </DisclosureButton>
              <label className="checkbox">
                <input type="checkbox" checked={a.listenOnly} disabled={patch.isPending} onChange={(e) => change({ listenOnly: e.target.checked }, e.target.checked ? 'Listen only: Parley will not post' : 'Parley may post again')} /> Listen only
              </label>
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={autoAck}
                  disabled={patch.isPending}
                  onChange={(e) => change({ settings: { autoAck: { ...((a.settings?.autoAck as object | undefined) ?? {}), enabled: e.target.checked } } }, e.target.checked ? 'Automatic acknowledgement on' : 'Automatic acknowledgement off')}
                />{' '}
                Acknowledge automatically outside business hours
              </label>
              {autoAck && (
                <>
                  <label className="field inline-field">
                    <span>Acknowledge as</span>
                    <select
                      value={ackCfg.visibility ?? ''}
                      disabled={patch.isPending}
                      onChange={(e) => changeAck({ visibility: e.target.value || undefined }, e.target.value ? `Acknowledgements go out as ${e.target.value === 'public' ? 'a public reply' : 'a private message'}` : 'Acknowledgements answer the way the customer wrote')}
                    >
                      <option value="">the way the customer wrote</option>
                      <option value="public">a public reply</option>
                      <option value="private">a private message</option>
                    </select>
                  </label>
                  <form
                    className="inline-field"
                    onSubmit={(e) => {
                      e.preventDefault();
                      changeAck({ signature: signature.trim() || undefined }, signature.trim() ? `Acknowledgements signed “${signature.trim()}”` : 'Acknowledgements unsigned');
                    }}
                  >
                    <label className="field">
                      <span>Signature</span>
                      <input value={signature} maxLength={40} placeholder="e.g. ^The Acme team" onChange={(e) => setSignature(e.target.value)} />
                    </label>
                    <button type="submit" className="btn btn-small" disabled={patch.isPending}>
                      Save signature
                    </button>
                  </form>
                </>
              )}
              {a.status === 'disabled' ? (
                <button type="button" className="btn btn-small" onClick={() => change({ enabled: true }, `@${a.handle} enabled`)}>
                  Enable
                </button>
              ) : (
                <>
                  <button type="button" className="btn btn-small btn-danger-outline" onClick={() => setConfirmDisable(true)}>
                    Disable
                  </button>
                  <ConfirmDialog
                    open={confirmDisable}
                    onClose={() => setConfirmDisable(false)}
                    title={`Disable @${a.handle}?`}
                    description={`Until it is enabled again Parley fetches nothing for it${receivesWebhooks(a) ? ' and refuses its webhook deliveries' : ''}, and sends nothing from it: no replies, statements, acknowledgements or moderation. Replies already queued are not sent. Its conversations stay in the inbox.`}
                    confirmLabel="Disable"
                    danger
                    busy={patch.isPending}
                    onConfirm={() => {
                      setConfirmDisable(false);
                      change({ enabled: false }, `@${a.handle} disabled`);
                    }}
                  />
                </>
              )}
            </div>
          )}
          {panel === 'edit' && <EditAccount a={a} onDone={() => setPanel('none')} />}
          {panel === 'reconnect' && <Reconnect a={a} onDone={() => setPanel('none')} />}
          {panel === 'hours' && <CalendarEditor a={a} onDone={() => setPanel('none')} />}
        </div>
      )}
    </li>
  );
}

function Availability({ account }: { account: ChannelAccountAdmin }) {
  const q = useChannelAvailability(account.id);
  if (!q.data) return null;
  return (
    <p className="small availability-line">
      <span className={`badge ${q.data.open ? 'sla-ok' : 'badge-warn'}`}>{q.data.open ? 'Open now' : 'Closed now'}</span>{' '}
      {q.data.availabilityLine ? (
        <>
          Line for the profile bio: “<span className="bio-line">{q.data.availabilityLine}</span>”
        </>
      ) : (
        <span className="muted">Open 24/7 (no business hours set).</span>
      )}
      {!q.data.open && q.data.nextOpening && <span className="muted"> · opens {fullTime(q.data.nextOpening)}</span>}
    </p>
  );
}

/** Settings shown as their own controls, not as rows: the acknowledgement has its switches on the card. */
const OWN_CONTROLS = ['autoAck'];
/** A setting's value as editable text: strings as they are, anything else as JSON. */
const settingText = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));
/** Listening terms as lines. */
const termsText = (v: unknown) => (Array.isArray(v) ? v.map(String).join('\n') : typeof v === 'string' ? v : '');
const LISTENING_LABEL: Record<string, string> = { keywords: 'Listening keywords', hashtags: 'Listening hashtags', excludeKeywords: 'Exclusion keywords' };
/** What a listening setting does, in plain words, under its field. */
function listeningHint(key: string, handle: string): string {
  if (key === 'excludeKeywords') return `Mentions containing these words are not collected unless they tag @${handle} (mentions, replies and DMs to @${handle} always come in). One word or phrase per line, e.g. pie, then apple juice; no "-" or quotes needed.`;
  return 'One per line (or separated by commas). Mentions and messages are read as before; the new terms are searched from the next poll, which starts when you save.';
}

/** Text from a row back to a value: the type the setting had, or for a new one numbers, true/false and JSON lists read as such. */
function settingValue(text: string, original: unknown): unknown {
  if (typeof original === 'string') return text;
  const t = text.trim();
  if (original !== undefined || /^(true|false|null|-?\d+(\.\d+)?)$/.test(t) || /^[[{]/.test(t)) {
    try {
      return JSON.parse(t);
    } catch {
      return text;
    }
  }
  return text;
}

/** Edit a connected account, prefilled from what is stored now; the server's objections show beside the fields they concern. */
function EditAccount({ a, onDone }: { a: ChannelAccountAdmin; onDone: () => void }) {
  const account = useAccountForEdit(a.id);
  const networks = useChannelNetworks();
  if (account.isPending || networks.isPending) return <Spinner label={`Loading @${a.handle}`} />;
  if (account.isError) return <Problem error={account.error} />;
  return <EditAccountForm account={account.data} info={networks.data?.find((n) => n.network === a.network)} onDone={onDone} />;
}

function EditAccountForm({ account, info, onDone }: { account: ChannelAccountAdmin; info: ChannelNetworkInfo | undefined; onDone: () => void }) {
  const toast = useToast();
  const id = useId();
  const stored = account.settings ?? {};
  const listeningKeys = info?.listening ?? [];
  const [initial] = useState(() => ({
    listening: Object.fromEntries(listeningKeys.map((k) => [k, termsText(stored[k])])) as Record<string, string>,
    rows: Object.entries(stored).filter(([k]) => !listeningKeys.includes(k) && !OWN_CONTROLS.includes(k)).map(([key, v]) => ({ key, value: settingText(v) })),
  }));
  const [handle, setHandle] = useState(account.handle);
  const [displayName, setDisplayName] = useState(account.displayName ?? '');
  const [listening, setListening] = useState(initial.listening);
  const [rows, setRows] = useState<KV[]>(initial.rows);
  const [secrets, setSecrets] = useState<Record<string, string>>({});
  const [removed, setRemoved] = useState<string[]>([]);
  const [newCreds, setNewCreds] = useState<KV[]>([]);
  const save = useAdminWrite((body: Record<string, unknown>) => api<ChannelAccountAdmin>('PATCH', `/api/channel-accounts/${account.id}`, body), [keys.channels]);
  const errors = fieldErrors(save.error);
  /** The problem with a field (and anything under it, e.g. one term of a list). */
  const errorAt = (path: string) => [...errors].filter(([p]) => p === path || p.startsWith(`${path}/`)).map(([, m]) => m).join('; ') || undefined;

  /** Only what changed: settings and credentials as merge patches (null removes). */
  const changes = () => {
    const body: Record<string, unknown> = {};
    if (handle.trim().replace(/^@/, '') !== account.handle) body.handle = handle.trim();
    if ((displayName.trim() || null) !== (account.displayName ?? null)) body.displayName = displayName.trim() || null;
    const settings: Record<string, unknown> = {};
    for (const k of listeningKeys) if (listening[k] !== initial.listening[k]) settings[k] = listening[k]!.trim() ? listening[k] : null;
    const edited = new Map(rows.filter((r) => r.key.trim()).map((r) => [r.key.trim(), r.value]));
    for (const r of initial.rows) if (!edited.has(r.key)) settings[r.key] = null;
    for (const [k, text] of edited) if (stored[k] === undefined || settingText(stored[k]) !== text) settings[k] = settingValue(text, stored[k]);
    if (Object.keys(settings).length) body.settings = settings;
    const credentials: Record<string, string | null> = {};
    for (const n of removed) credentials[n] = null;
    for (const [n, v] of Object.entries(secrets)) if (v && !removed.includes(n)) credentials[n] = v;
    for (const r of newCreds) if (r.key.trim() && r.value) credentials[r.key.trim()] = r.value;
    if (Object.keys(credentials).length) body.credentials = credentials;
    return body;
  };

  const field = (key: string, label: string, input: (props: { id: string; 'aria-invalid'?: true; 'aria-describedby'?: string }) => ReactNode, hint?: string) => {
    const error = errorAt(key);
    const fid = `${id}-${key}`;
    const described = [hint ? `${fid}-hint` : '', error ? `${fid}-error` : ''].filter(Boolean).join(' ') || undefined;
    return (
      <div className="field" key={key}>
        <label htmlFor={fid}>
          <span className="field-label">{label}</span>
        </label>
        {input({ id: fid, 'aria-invalid': error ? true : undefined, 'aria-describedby': described })}
        {hint && (
          <span id={`${fid}-hint`} className="muted small">
            {hint}
          </span>
        )}
        {error && (
          <span id={`${fid}-error`} className="field-error">
            {error}
          </span>
        )}
      </div>
    );
  };

  return (
    <form
      className="subform edit-account"
      aria-label={`Edit @${account.handle}`}
      onSubmit={(e) => {
        e.preventDefault();
        const body = changes();
        if (!Object.keys(body).length) {
          toast('Nothing changed');
          onDone();
          return;
        }
        save.mutate(body, {
          onSuccess: (saved) => {
            const heard = body.settings && listeningKeys.some((k) => k !== 'excludeKeywords' && k in (body.settings as object));
            const leftOut = body.settings && 'excludeKeywords' in (body.settings as object);
            toast(heard ? `@${saved.handle} saved: listening for the new terms from the next poll, starting now` : leftOut ? `@${saved.handle} saved: the exclusions apply from the next poll, starting now` : `@${saved.handle} saved`);
            onDone();
          },
        });
      }}
    >
      <div className="form-row">
        {field('handle', 'Handle', (p) => <input {...p} value={handle} onChange={(e) => setHandle(e.target.value)} required maxLength={200} autoComplete="off" />)}
        {field('displayName', 'Display name', (p) => <input {...p} value={displayName} onChange={(e) => setDisplayName(e.target.value)} maxLength={200} />)}
      </div>
      {listeningKeys.map((k) =>
        field(`settings/${k}`, LISTENING_LABEL[k] ?? `Listening: ${k}`, (p) => <textarea {...p} rows={3} value={listening[k] ?? ''} onChange={(e) => setListening({ ...listening, [k]: e.target.value })} />, listeningHint(k, account.handle)),
      )}
      <KeyValueRows
        legend={`Settings of @${account.handle}`}
        rows={rows}
        onChange={setRows}
        hint={[settingsHint(info, [...listeningKeys, ...OWN_CONTROLS]), info?.resetCursorOn.length ? `Changing ${info.resetCursorOn.join(' or ')} restarts sync from a backfill (nothing is stored twice).` : ''].filter(Boolean).join(' ')}
        errorOf={(r) => errorAt(`settings/${r.key.trim()}`)}
      />
      {errors.get('settings') && <p className="field-error">{errors.get('settings')}</p>}
      <fieldset className="field credentials-edit">
        <legend>Credentials</legend>
        <p className="muted small">Stored encrypted and never shown. Leave a field empty to keep it; type to replace it. ({networkLabel(account.network)} reads: {credentialHint(info)})</p>
        {(account.credentialNames ?? []).length === 0 && <p className="muted small">None stored.</p>}
        {(account.credentialNames ?? []).map((n) => {
          const gone = removed.includes(n);
          const error = errorAt(`credentials/${n}`);
          return (
            <div key={n} className="kv-row">
              <label htmlFor={`${id}-cred-${n}`} className="credential-name">
                {n}
              </label>
              <input
                id={`${id}-cred-${n}`}
                type="password"
                autoComplete="new-password"
                placeholder={gone ? 'removed' : 'unchanged'}
                value={secrets[n] ?? ''}
                disabled={gone}
                onChange={(e) => setSecrets({ ...secrets, [n]: e.target.value })}
                aria-invalid={error ? true : undefined}
                aria-describedby={error ? `${id}-cred-${n}-error` : undefined}
              />
              <button type="button" className="btn btn-small btn-ghost" aria-pressed={gone} onClick={() => setRemoved(gone ? removed.filter((x) => x !== n) : [...removed, n])}>
                {gone ? 'Keep' : 'Remove'}
                <span className="visually-hidden"> {n}</span>
              </button>
              {error && (
                <span id={`${id}-cred-${n}-error`} className="field-error">
                  {error}
                </span>
              )}
            </div>
          );
        })}
      </fieldset>
      <KeyValueRows legend={`New credentials of @${account.handle}`} rows={newCreds} onChange={setNewCreds} secret valuePlaceholder="secret value" errorOf={(r) => errorAt(`credentials/${r.key.trim()}`)} />
      <Problem error={save.error} />
      <DialogButtons small disabled={save.isPending} onCancel={onDone}>
        {save.isPending ? 'Saving…' : 'Save changes'}
      </DialogButtons>
    </form>
  );
}

function Reconnect({ a, onDone }: { a: ChannelAccountAdmin; onDone: () => void }) {
  const toast = useToast();
  const info = useChannelNetworks().data?.find((n) => n.network === a.network);
  const [creds, setCreds] = useState<KV[]>([{ key: '', value: '' }]);
  const save = useAdminWrite(() => api<ChannelAccountAdmin>('PATCH', `/api/channel-accounts/${a.id}`, { credentials: kvToObject(creds) }), [keys.channels]);
  return (
    <form
      className="subform"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(undefined, {
          onSuccess: () => {
            toast(`@${a.handle} reconnected; syncing now`);
            onDone();
          },
        });
      }}
    >
      <p className="small">New credentials replace the stored ones of the same name (the others are kept; Edit… removes them); the account is marked healthy and synced at once. ({networkLabel(a.network)} reads: {credentialHint(info)})</p>
      <KeyValueRows legend={`New credentials for @${a.handle}`} rows={creds} onChange={setCreds} secret valuePlaceholder="secret value" errorOf={(r) => fieldErrors(save.error).get(`credentials/${r.key.trim()}`)} />
      <Problem error={save.error} />
      <DialogButtons small disabled={save.isPending || Object.keys(kvToObject(creds)).length === 0} onCancel={onDone}>
        Reconnect
      </DialogButtons>
    </form>
  );
}

const DAY_LABEL: Record<Weekday, string> = { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' };
const zones = (() => {
  try {
    return (Intl as unknown as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
})();

/**
 * New business hours start in the brand's time zone (GET /api/channel-accounts/:id/availability
 * `brandTimeZone`), not the browser's: a lead in New York setting a London account's hours
 * means London hours. The browser's zone only when the server does not say.
 */
function CalendarEditor({ a, onDone }: { a: ChannelAccountAdmin; onDone: () => void }) {
  const q = useChannelAvailability(a.id, a.calendar == null);
  if (a.calendar == null && q.isPending) return <Spinner label="Loading the brand's time zone" />;
  const brandZone = (q.data as { brandTimeZone?: string } | undefined)?.brandTimeZone;
  return <CalendarForm a={a} onDone={onDone} defaultZone={brandZone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'} brandZone={brandZone} />;
}

function CalendarForm({ a, onDone, defaultZone, brandZone }: { a: ChannelAccountAdmin; onDone: () => void; defaultZone: string; brandZone: string | undefined }) {
  const toast = useToast();
  const initial: BusinessCalendar = a.calendar ?? { timeZone: defaultZone, weekly: { mon: [{ start: '09:00', end: '17:00' }], tue: [{ start: '09:00', end: '17:00' }], wed: [{ start: '09:00', end: '17:00' }], thu: [{ start: '09:00', end: '17:00' }], fri: [{ start: '09:00', end: '17:00' }] }, holidays: [] };
  const [cal, setCal] = useState<BusinessCalendar>(initial);
  const [line, setLine] = useState<string | null>(null);
  const save = useAdminWrite((c: BusinessCalendar | null) => saveCalendar(a.id, c), [keys.channels, wkeys.availability(a.id)]);
  const setDay = (d: Weekday, ivs: HoursInterval[]) => setCal({ ...cal, weekly: { ...cal.weekly, [d]: ivs } });
  const holidays = cal.holidays ?? [];
  const submit = (c: BusinessCalendar | null) =>
    save.mutate(c, {
      onSuccess: (r) => {
        setLine(r.availabilityLine);
        toast(c ? 'Business hours saved' : 'Open 24/7 now');
      },
    });
  return (
    <form
      className="subform calendar-editor"
      onSubmit={(e) => {
        e.preventDefault();
        const clean: BusinessCalendar = { timeZone: cal.timeZone.trim(), weekly: Object.fromEntries(Object.entries(cal.weekly).filter(([, v]) => v && v.length)), holidays: holidays.filter((h) => h.date).map((h) => (h.name?.trim() ? { date: h.date, name: h.name.trim() } : { date: h.date })) };
        submit(clean);
      }}
    >
      <label className="field">
        <span>Time zone</span>
        <input value={cal.timeZone} onChange={(e) => setCal({ ...cal, timeZone: e.target.value })} list="time-zones" required aria-describedby={`tz-note-${a.id}`} />
        <span id={`tz-note-${a.id}`} className="muted small calendar-zone-note">
          {brandZone && cal.timeZone.trim() === brandZone ? 'The brand’s time zone.' : brandZone ? `The brand’s time zone is ${brandZone}.` : null}
        </span>
        <datalist id="time-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </label>
      <fieldset className="field">
        <legend>
          Weekly hours <span className="muted small calendar-zone">(in {cal.timeZone.trim() || '—'})</span>
        </legend>
        <TableScroll label="Weekly hours">
          <table className="data-table hours-table">
            <tbody>
              {WEEKDAYS.map((d) => {
                const ivs = cal.weekly[d] ?? [];
                return (
                  <tr key={d}>
                    <th scope="row">{DAY_LABEL[d]}</th>
                    <td>
                      {ivs.length === 0 && <span className="muted small">Closed</span>}
                      {ivs.map((iv, i) => (
                        <span key={i} className="interval">
                          <label className="visually-hidden" htmlFor={`h-${a.id}-${d}-${i}-s`}>
                            {DAY_LABEL[d]} opens
                          </label>
                          <input id={`h-${a.id}-${d}-${i}-s`} type="time" value={iv.start} onChange={(e) => setDay(d, ivs.map((x, j) => (j === i ? { ...x, start: e.target.value } : x)))} required />
                          –
                          <label className="visually-hidden" htmlFor={`h-${a.id}-${d}-${i}-e`}>
                            {DAY_LABEL[d]} closes
                          </label>
                          <input id={`h-${a.id}-${d}-${i}-e`} type="time" value={iv.end} onChange={(e) => setDay(d, ivs.map((x, j) => (j === i ? { ...x, end: e.target.value } : x)))} required />
                          <button
                            type="button"
                            className="btn btn-small btn-ghost"
                            data-removes={`hours-${a.id}-${d}`}
                            onClick={() => {
                              setDay(d, ivs.filter((_, j) => j !== i));
                              focusAfterRemoving(`hours-${a.id}-${d}`, i);
                            }}
                            aria-label={`Remove ${DAY_LABEL[d]} hours ${iv.start}–${iv.end}`}
                          >
                            ×
                          </button>
                        </span>
                      ))}
                      <button type="button" className="btn btn-small btn-ghost" data-adds={`hours-${a.id}-${d}`} onClick={() => setDay(d, [...ivs, { start: '09:00', end: '17:00' }])}>
                        + hours<span className="visually-hidden"> on {DAY_LABEL[d]}</span>
                      </button>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </TableScroll>
      </fieldset>
      <fieldset className="field">
        <legend>Holidays (closed all day)</legend>
        {holidays.map((h, i) => (
          <div key={i} className="kv-row">
            <label className="visually-hidden" htmlFor={`hol-${a.id}-${i}-d`}>
              Holiday {i + 1} date
            </label>
            <input id={`hol-${a.id}-${i}-d`} type="date" value={h.date} onChange={(e) => setCal({ ...cal, holidays: holidays.map((x, j) => (j === i ? { ...x, date: e.target.value } : x)) })} />
            <label className="visually-hidden" htmlFor={`hol-${a.id}-${i}-n`}>
              Holiday {i + 1} name
            </label>
            <input id={`hol-${a.id}-${i}-n`} value={h.name ?? ''} placeholder="name" onChange={(e) => setCal({ ...cal, holidays: holidays.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })} />
            <button
              type="button"
              className="btn btn-small btn-ghost"
              data-removes={`holidays-${a.id}`}
              onClick={() => {
                setCal({ ...cal, holidays: holidays.filter((_, j) => j !== i) });
                focusAfterRemoving(`holidays-${a.id}`, i);
              }}
            >
              Remove<span className="visually-hidden"> holiday {i + 1}</span>
            </button>
          </div>
        ))}
        <button type="button" className="btn btn-small" data-adds={`holidays-${a.id}`} onClick={() => setCal({ ...cal, holidays: [...holidays, { date: '', name: '' }] })}>
          Add a holiday
        </button>
      </fieldset>
      <Problem error={save.error} />
      {line !== null && (
        <p className="small" role="status">
          Saved. Line for the profile bio: “<span className="bio-line">{line || 'Open 24/7'}</span>”
        </p>
      )}
      <div className="row-gap">
        <button type="submit" className="btn btn-primary btn-small" disabled={save.isPending}>
          Save business hours
        </button>
        <button type="button" className="btn btn-small" disabled={save.isPending} onClick={() => submit(null)}>
          Open 24/7 (no hours)
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={onDone}>
          Close
        </button>
      </div>
    </form>
  );
}
