/**
 * Settings → Channels: connected accounts with their health (and what to do about
 * it), connecting and reconnecting (credentials are write-only: the API never returns
 * them), listen-only, disabling, sync now, the webhook URL to give the network,
 * business hours with the availability line for the profile bio, and the automatic
 * acknowledgement.
 */
import { useEffect, useId, useState } from 'react';
import { api } from '../api/client.js';
import { keys } from '../api/queries.js';
import type { BusinessCalendar, ChannelAccountAdmin, HoursInterval, Weekday } from '../api/types.js';
import { WEEKDAYS } from '../api/types.js';
import { saveCalendar, useAdminChannels, useAdminWrite, useChannelAvailability, wkeys } from '../api/workflow.js';
import { fullTime, networkLabel, NETWORK_LABEL, useNow } from '../lib/format.js';
import { agoText } from '../workflow/Sla.js';
import { SafeText } from '../lib/SafeText.js';
import { NetworkBadge, Spinner, WarningIcon } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { KeyValueRows, kvToObject, Problem, ReadOnlyNote, Section, type KV } from './fields.js';

const NETWORKS = ['x', 'facebook', 'instagram', 'mastodon', 'bluesky', 'email', 'webchat', 'demo'];

/** What each network's connector reads from the credentials (a hint, not a rule). */
const CREDENTIAL_HINT: Record<string, string> = {
  x: 'e.g. bearerToken, accessToken, accessSecret, consumerKey, consumerSecret',
  facebook: 'e.g. pageAccessToken, appSecret',
  instagram: 'e.g. pageAccessToken, appSecret',
  mastodon: 'e.g. accessToken (settings: instanceUrl)',
  bluesky: 'e.g. identifier, appPassword (settings: service)',
  email: 'e.g. imap/smtp user and password (settings: hosts)',
  webchat: 'usually none',
  demo: 'none',
};

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
            <button type="button" className="btn btn-small" aria-expanded={connectOpen} aria-controls="connect-form" onClick={() => setConnectOpen((x) => !x)}>
              {connectOpen ? 'Close' : 'Connect…'}
            </button>
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
          Parley syncs it now. Give the network this webhook URL:
        </p>
        <CopyField label="Webhook URL" value={webhookUrlOf(created)} />
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
      <p className="muted small">Credentials for {networkLabel(network)}: {CREDENTIAL_HINT[network] ?? 'see the connector’s documentation'}. They are encrypted at rest and never shown again.</p>
      <KeyValueRows legend="Settings" rows={settings} onChange={setSettings} />
      <Problem error={connect.error} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={connect.isPending || !handle.trim()}>
          {connect.isPending ? 'Connecting…' : 'Connect account'}
        </button>
      </div>
    </form>
  );
}

export function CopyField({ label, value }: { label: string; value: string }) {
  const [copied, setCopied] = useState(false);
  const id = useId();
  return (
    <div className="copy-field">
      <label htmlFor={id} className="small muted">
        {label}
      </label>
      <input id={id} readOnly value={value} onFocus={(e) => e.target.select()} />
      <button
        type="button"
        className="btn btn-small"
        onClick={() => {
          const done = () => (setCopied(true), setTimeout(() => setCopied(false), 2000));
          if (navigator.clipboard?.writeText) navigator.clipboard.writeText(value).then(done, () => (document.getElementById(id) as HTMLInputElement | null)?.select());
          else (document.getElementById(id) as HTMLInputElement | null)?.select();
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}

function ChannelCard({ a, admin }: { a: ChannelAccountAdmin; admin: boolean }) {
  const toast = useToast();
  const now = useNow();
  const [panel, setPanel] = useState<'none' | 'reconnect' | 'hours'>('none');
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
  const changeAck = (next: Record<string, unknown>, done: string) => change({ settings: { ...(a.settings ?? {}), autoAck: { ...ackCfg, ...next } } }, done);
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
        <span className="muted small">{a.lastSyncAt ? `synced ${agoText(a.lastSyncAt, now)}` : 'never synced'}</span>
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
          </dl>
          <CopyField label="Webhook URL" value={webhookUrlOf(a)} />
          <Availability account={a} />
          {admin && (
            <div className="row-gap channel-actions">
              <button type="button" className="btn btn-small" disabled={sync.isPending} onClick={() => sync.mutate(undefined, { onSuccess: () => toast(`Syncing @${a.handle}`), onError: (e) => toast((e as Error).message, 'error') })}>
                Sync now
              </button>
              <button type="button" className="btn btn-small" aria-expanded={panel === 'reconnect'} onClick={() => setPanel(panel === 'reconnect' ? 'none' : 'reconnect')}>
                Reconnect…
              </button>
              <button type="button" className="btn btn-small" aria-expanded={panel === 'hours'} onClick={() => setPanel(panel === 'hours' ? 'none' : 'hours')}>
                Business hours…
              </button>
              <label className="checkbox">
                <input type="checkbox" checked={a.listenOnly} disabled={patch.isPending} onChange={(e) => change({ listenOnly: e.target.checked }, e.target.checked ? 'Listen only: Parley will not post' : 'Parley may post again')} /> Listen only
              </label>
              <label className="checkbox">
                <input
                  type="checkbox"
                  checked={autoAck}
                  disabled={patch.isPending}
                  onChange={(e) => change({ settings: { ...(a.settings ?? {}), autoAck: { ...((a.settings?.autoAck as object | undefined) ?? {}), enabled: e.target.checked } } }, e.target.checked ? 'Automatic acknowledgement on' : 'Automatic acknowledgement off')}
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
                <button type="button" className="btn btn-small btn-danger-outline" onClick={() => change({ enabled: false }, `@${a.handle} disabled`)}>
                  Disable
                </button>
              )}
            </div>
          )}
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

function Reconnect({ a, onDone }: { a: ChannelAccountAdmin; onDone: () => void }) {
  const toast = useToast();
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
      <p className="small">New credentials replace the stored ones; the account is marked healthy and synced at once. {CREDENTIAL_HINT[a.network] ? `(${CREDENTIAL_HINT[a.network]})` : ''}</p>
      <KeyValueRows legend={`New credentials for @${a.handle}`} rows={creds} onChange={setCreds} secret valuePlaceholder="secret value" />
      <Problem error={save.error} />
      <div className="row-gap">
        <button type="submit" className="btn btn-primary btn-small" disabled={save.isPending || Object.keys(kvToObject(creds)).length === 0}>
          Reconnect
        </button>
        <button type="button" className="btn btn-ghost btn-small" onClick={onDone}>
          Cancel
        </button>
      </div>
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

function CalendarEditor({ a, onDone }: { a: ChannelAccountAdmin; onDone: () => void }) {
  const toast = useToast();
  const initial: BusinessCalendar = a.calendar ?? { timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC', weekly: { mon: [{ start: '09:00', end: '17:00' }], tue: [{ start: '09:00', end: '17:00' }], wed: [{ start: '09:00', end: '17:00' }], thu: [{ start: '09:00', end: '17:00' }], fri: [{ start: '09:00', end: '17:00' }] }, holidays: [] };
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
        <input value={cal.timeZone} onChange={(e) => setCal({ ...cal, timeZone: e.target.value })} list="time-zones" required />
        <datalist id="time-zones">
          {zones.map((z) => (
            <option key={z} value={z} />
          ))}
        </datalist>
      </label>
      <fieldset className="field">
        <legend>Weekly hours</legend>
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
                        <button type="button" className="btn btn-small btn-ghost" onClick={() => setDay(d, ivs.filter((_, j) => j !== i))} aria-label={`Remove ${DAY_LABEL[d]} hours ${iv.start}–${iv.end}`}>
                          ×
                        </button>
                      </span>
                    ))}
                    <button type="button" className="btn btn-small btn-ghost" onClick={() => setDay(d, [...ivs, { start: '09:00', end: '17:00' }])}>
                      + hours<span className="visually-hidden"> on {DAY_LABEL[d]}</span>
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
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
            <button type="button" className="btn btn-small btn-ghost" onClick={() => setCal({ ...cal, holidays: holidays.filter((_, j) => j !== i) })}>
              Remove<span className="visually-hidden"> holiday {i + 1}</span>
            </button>
          </div>
        ))}
        <button type="button" className="btn btn-small" onClick={() => setCal({ ...cal, holidays: [...holidays, { date: '', name: '' }] })}>
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
