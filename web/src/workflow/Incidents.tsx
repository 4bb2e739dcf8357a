/**
 * Incidents (outages, recalls): a banner on every page while one is open, declaring
 * and closing them (approvers and admins), and the public statement posted from a
 * chosen brand account — people are still answered one by one. A statement follows
 * the approval policy: by default it waits for a second person's sign-off (in
 * Approvals), and the banner and the incidents page show where it is; the incidents
 * page keeps every statement an incident had. Closing an incident withdraws its
 * statement not yet posted (the close buttons say so). The burst detector closes only an
 * incident it opened that nobody worked on; otherwise the leads get an `incident.calm`
 * notification (an alert, see live.ts) saying the volume is back to normal and it may be closed.
 * Both say how many customers' conversations are linked to an incident and how many still
 * wait, linking to them in the inbox (`/inbox/all?incident=<id>`).
 * A statement may say when the next update is due ("Next update", a time in the brand's zone:
 * the suggested personal replies tell each customer that time in that zone); a time already
 * passed is refused in the dialog.
 */
import { useId, useRef, useState } from 'react';
import { Link } from '@tanstack/react-router';
import { newIdempotencyKey } from '../api/client.js';
import { useChannels, useUsers } from '../api/queries.js';
import type { Incident, IncidentStatement, Me, User } from '../api/types.js';
import { useChannelAvailability, useCloseIncident, useDeclareIncident, useIncidents, usePostStatement } from '../api/workflow.js';
import { clip, fullTime, networkLabel, useNow } from '../lib/format.js';
import { agoText } from './Sla.js';
import { handleText } from '../conversation/customerName.js';
import { measureReply } from '../lib/length.js';
import { SafeText } from '../lib/SafeText.js';
import { ConfirmDialog, Modal } from '../ui/Modal.js';
import { useToast } from '../ui/Toasts.js';
import { WarningIcon } from '../ui/bits.js';
import { DialogButtons, FormError } from '../ui/DialogButtons.js';
import { IncidentReportView } from './IncidentReport.js';

const canLead = (me: Me) => me.user.role === 'approver' || me.user.role === 'admin';

/** Whether closing the incident withdraws its latest statement (waiting for sign-off, or approved and not yet posted). */
const closeWithdraws = (i: Incident) => i.statement?.status === 'pending_approval' || i.statement?.status === 'queued';
const WITHDRAW_NOTE = 'Closing withdraws the statement not yet posted';
const closedToast = (title: string, r: { withdrawnStatementIds?: number[] }) =>
  r.withdrawnStatementIds?.length ? `Incident closed: ${title}. Its statement was withdrawn and will not be posted.` : `Incident closed: ${title}`;

/**
 * Once `gone` has left the page (its row or banner redrawn without it), focus `target()`,
 * unless focus was put somewhere else meanwhile on purpose.
 */
function focusWhenGone(gone: HTMLElement | null, target: () => HTMLElement | null | undefined): void {
  const until = Date.now() + 10_000;
  const tick = () => {
    if (gone?.isConnected && Date.now() < until) return void setTimeout(tick, 50);
    const active = document.activeElement;
    if (active && active !== document.body && active.isConnected) return;
    target()?.focus();
  };
  tick();
}

/**
 * Closing an incident ends its banner and withdraws its statement not yet posted: it is
 * asked for once more, with what it will do, before it happens.
 */
function CloseIncidentButton({ incident: i, label, noteId }: { incident: Incident; label: string; noteId: string }) {
  const close = useCloseIncident();
  const toast = useToast();
  const [asking, setAsking] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const withdraws = closeWithdraws(i);
  return (
    <>
      <button ref={button} type="button" className="btn btn-small" disabled={close.isPending} aria-describedby={withdraws ? noteId : undefined} onClick={() => setAsking(true)}>
        {label}
      </button>
      <ConfirmDialog
        open={asking}
        onClose={() => setAsking(false)}
        title={`Close the incident “${clip(i.title, 60)}”?`}
        description={`Its banner goes away for everyone, and a sign-off rule for replies during an incident stops applying once no incident is open.${withdraws ? ' Its statement not yet posted is withdrawn and will not be posted.' : ''}`}
        confirmLabel="Close incident"
        busy={close.isPending}
        onConfirm={() =>
          close.mutate(i.id, {
            onSuccess: (r) => {
              setAsking(false);
              toast(closedToast(i.title, r));
              // the button goes with the open incident: focus goes to its row (the incidents page), else to the page
              focusWhenGone(button.current, () => document.querySelector<HTMLElement>(`[data-incident-title="${i.id}"]`) ?? document.getElementById('page-main') ?? document.querySelector<HTMLElement>('main'));
            },
            onError: (e) => {
              setAsking(false);
              toast((e as Error).message, 'error');
            },
          })
        }
      />
    </>
  );
}

/**
 * How many customers' conversations are linked to the incident and how many still wait (not
 * resolved), linking to them in the inbox to answer one by one.
 */
function AffectedLink({ incident: i }: { incident: Incident }) {
  const a = i.affected;
  if (!a?.total) return null;
  return (
    <Link to="/inbox/$view" params={{ view: 'all' }} search={{ incident: i.id }} className="small incident-affected" data-incident-affected={i.id}>
      {a.total} {a.total === 1 ? 'customer' : 'customers'} affected · {a.open} waiting
    </Link>
  );
}

export function IncidentBanner({ me }: { me: Me }) {
  const open = (useIncidents().data ?? []).filter((i) => i.status === 'open');
  const [statementFor, setStatementFor] = useState<Incident | null>(null);
  const now = useNow();
  if (!open.length) return null;
  const lead = canLead(me);
  return (
    <div className="incident-banner" role="region" aria-label="Open incident">
      {open.map((i) => (
        <div key={i.id} className="incident-line">
          <WarningIcon />
          <span className="incident-text">
            <strong>
              Incident: <SafeText text={i.title} linkify={false} fold={false} />
            </strong>{' '}
            <span className="incident-reason">— <SafeText text={i.reason} linkify={false} /></span>{' '}
            <span className="small">· opened {agoText(i.openedAt, now)} · public replies may need sign-off</span>
          </span>
          {i.statement && <StatementState s={i.statement} compact />}
          <AffectedLink incident={i} />
          {lead && (
            <>
              {/* one statement waits for sign-off per account: another network's may be written meanwhile */}
              <button type="button" className="btn btn-small" onClick={() => setStatementFor(i)}>
                {i.statementMessageId ? 'Post another statement…' : 'Post statement…'}
              </button>
              <CloseIncidentButton incident={i} label="Close incident" noteId={`close-note-${i.id}`} />
              {closeWithdraws(i) && (
                <span id={`close-note-${i.id}`} className="small">
                  {WITHDRAW_NOTE}
                </span>
              )}
            </>
          )}
          <Link to="/incidents" className="small incident-link">
            Details
          </Link>
        </div>
      ))}
      <StatementDialog incident={statementFor} onClose={() => setStatementFor(null)} />
    </div>
  );
}

/** The offset of `timeZone` from UTC at instant `t`, in ms. */
function zoneOffsetMs(timeZone: string, t: number): number {
  const p = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' }).formatToParts(t);
  const g = (k: string) => Number(p.find((x) => x.type === k)?.value ?? 0);
  return Date.UTC(g('year'), g('month') - 1, g('day'), g('hour'), g('minute'), g('second')) - Math.floor(t / 1000) * 1000;
}

/**
 * The instant of a `datetime-local` value ("2026-11-17T11:30") read as a wall time in
 * `timeZone` (the brand's), not the browser's; null when it is no such value. A zone the
 * browser does not know: the browser's own.
 */
export function zonedInstant(value: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d, h, mi] = m.slice(1).map(Number) as [number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  try {
    const t = wall - zoneOffsetMs(timeZone, wall);
    // across a change of summer time the offset at the guess may differ from the one at the wall time
    return wall - zoneOffsetMs(timeZone, t);
  } catch (err) {
    if (err instanceof RangeError) return new Date(y, mo - 1, d, h, mi).getTime();
    throw err;
  }
}

export function StatementDialog({ incident, onClose }: { incident: Incident | null; onClose: () => void }) {
  const channels = (useChannels().data ?? []).filter((c) => c.status === 'active' && !c.listenOnly);
  const post = usePostStatement();
  const toast = useToast();
  const [accountId, setAccountId] = useState<number | ''>('');
  const [text, setText] = useState('');
  const [error, setError] = useState<string | null>(null);
  // the next update, a wall time in the brand's zone (optional)
  const [nextUpdate, setNextUpdate] = useState('');
  const [nextError, setNextError] = useState<string | null>(null);
  const nextRef = useRef<HTMLInputElement>(null);
  const nextId = useId();
  // one key per statement being written: a retried or double-clicked post is the same statement
  const key = useRef(newIdempotencyKey());
  const account = channels.find((c) => c.id === accountId);
  const m = account ? measureReply(account.network, 'public', text) : null;
  // the brand's zone comes with an account's availability; until an account is chosen, the browser's
  const brandZone = (useChannelAvailability(accountId === '' ? 0 : accountId, accountId !== '').data as { brandTimeZone?: string } | undefined)?.brandTimeZone;
  const zone = brandZone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  const nextAt = nextUpdate ? zonedInstant(nextUpdate, zone) : null;
  return (
    <Modal open={!!incident} onClose={onClose} title="Post the public statement" description="A top-level post from a brand account, like a press statement. It follows the approval policy: usually a second person signs it off before it goes out. Keep answering people one by one as well.">
      {incident && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (accountId === '') return;
            setError(null);
            // a promised time already passed tells customers nothing: said here, under the field
            const bad = nextUpdate && nextAt == null ? 'Give the next update as a date and a time.' : nextAt != null && nextAt <= Date.now() ? 'That time has already passed. Give a time still to come for the next update, or leave it empty.' : null;
            setNextError(bad);
            if (bad) return void nextRef.current?.focus();
            post.mutate(
              { incidentId: incident.id, channelAccountId: accountId, text: text.trim(), idempotencyKey: key.current, nextUpdateAt: nextAt != null ? new Date(nextAt).toISOString() : null },
              {
                onSuccess: (r) => {
                  toast(r.approval ? 'Statement waits for sign-off by another approver or admin' : 'Statement queued for posting');
                  key.current = newIdempotencyKey();
                  setText('');
                  setNextUpdate('');
                  onClose();
                },
                onError: (err) => setError((err as Error).message),
              },
            );
          }}
        >
          <p className="small">
            Incident:{' '}
            <strong>
              <SafeText text={incident.title} linkify={false} fold={false} />
            </strong>
          </p>
          <label className="field">
            <span>Post from</span>
            <select value={accountId} onChange={(e) => setAccountId(e.target.value ? Number(e.target.value) : '')} required data-autofocus>
              <option value="">Choose an account…</option>
              {channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {networkLabel(c.network)} {handleText(c.network, c.handle)}
                  {c.purpose === 'brand' ? ' (brand)' : ''}
                </option>
              ))}
            </select>
          </label>
          <label className="field">
            <span>Statement</span>
            <textarea rows={5} value={text} onChange={(e) => setText(e.target.value)} minLength={10} maxLength={10_000} required />
          </label>
          {m && (
            <p className={`counter${m.over ? ' over' : ''}`}>
              {m.length} / {m.limit}
              {m.over ? ` — too long for ${networkLabel(account!.network)}` : ''}
            </p>
          )}
          {/* the error under the field, outside the label (inside, it would be read as part of the field's name) */}
          <div className="field">
            <label htmlFor={`${nextId}-field`}>
              <span className="field-label">Next update (optional)</span>
            </label>
            <input
              id={`${nextId}-field`}
              ref={nextRef}
              type="datetime-local"
              value={nextUpdate}
              onChange={(e) => (setNextUpdate(e.target.value), setNextError(null))}
              style={{ maxWidth: '100%' }}
              aria-invalid={nextError ? true : undefined}
              aria-describedby={`${nextId}-hint${nextError ? ` ${nextId}-error` : ''}`}
            />
            <p id={`${nextId}-hint`} className="muted small" style={{ overflowWrap: 'anywhere' }} data-next-update-hint>
              {nextAt != null ? `Customers are told: ${fullTime(new Date(nextAt).toISOString(), zone)}.` : `When you will say more, in ${brandZone ? 'the brand’s' : 'your'} time (${zone}). The suggested replies tell each customer.`}
            </p>
            {nextError && (
              <p id={`${nextId}-error`} className="field-error" role="alert">
                {nextError}
              </p>
            )}
          </div>
          <FormError error={error} />
          <DialogButtons disabled={post.isPending || accountId === '' || text.trim().length < 10 || !!m?.over} onCancel={onClose}>
            Post statement
          </DialogButtons>
        </form>
      )}
    </Modal>
  );
}

/** The incidents page: declare, close, post statements; history. */
export function IncidentsPanel({ me }: { me: Me }) {
  const q = useIncidents();
  const declare = useDeclareIncident();
  const toast = useToast();
  const [title, setTitle] = useState('');
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  // our own checks, shown under the field (the browser's bubble vanishes and is not announced)
  const [fieldErrors, setFieldErrors] = useState<{ title?: string; reason?: string }>({});
  const titleRef = useRef<HTMLInputElement>(null);
  const reasonRef = useRef<HTMLTextAreaElement>(null);
  const [statementFor, setStatementFor] = useState<Incident | null>(null);
  // the report of one incident, shown in place of the list ("Report" on its row)
  const [reportOf, setReportOf] = useState<number | null>(null);
  const lead = canLead(me);
  const list = q.data ?? [];
  const users = useUsers().data ?? [];
  /** Actors are recorded as `user:<id>`; show the person's name. */
  const who = (actor: string) => {
    if (actor === 'detector') return 'the burst detector';
    const m = /^user:(\d+)$/.exec(actor);
    return m ? users.find((u) => u.id === Number(m[1]))?.name ?? actor : actor;
  };
  if (reportOf != null) {
    const back = () => {
      const id = reportOf;
      setReportOf(null);
      setTimeout(() => document.querySelector<HTMLElement>(`[data-incident-report-button="${id}"]`)?.focus(), 0);
    };
    return (
      <div className="page-sections">
        <IncidentReportView incidentId={reportOf} onBack={back} />
      </div>
    );
  }
  return (
    <div className="page-sections">
      {lead && (
        <section className="panel" aria-labelledby="declare-title">
          <h2 id="declare-title">Declare an incident</h2>
          <p className="muted small">For a mass problem (an outage, a recall): everyone sees the banner, and public replies follow the approval policy for incidents.</p>
          <form
            className="form-grid"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              setError(null);
              const errs = {
                title: title.trim().length < 3 ? 'Give the incident a title of at least 3 characters.' : undefined,
                reason: reason.trim().length < 3 ? 'Say what is happening in at least 3 characters.' : undefined,
              };
              setFieldErrors(errs);
              if (errs.title || errs.reason) {
                (errs.title ? titleRef.current : reasonRef.current)?.focus();
                return;
              }
              declare.mutate(
                { title: title.trim(), reason: reason.trim() },
                {
                  onSuccess: () => {
                    toast('Incident declared');
                    setTitle('');
                    setReason('');
                  },
                  onError: (err) => setError((err as Error).message),
                },
              );
            }}
          >
            {/* each error under its field, outside the label (inside, it would be read as part of the field's name), tied to it */}
            <div className="field">
              <label htmlFor="declare-title-field">
                <span className="field-label">Title</span>
              </label>
              <input id="declare-title-field" ref={titleRef} value={title} onChange={(e) => setTitle(e.target.value)} minLength={3} maxLength={200} required placeholder="e.g. Checkout is down" aria-invalid={fieldErrors.title ? true : undefined} aria-describedby={fieldErrors.title ? 'declare-title-error' : undefined} />
              {fieldErrors.title && (
                <p id="declare-title-error" className="field-error">
                  {fieldErrors.title}
                </p>
              )}
            </div>
            <div className="field">
              <label htmlFor="declare-reason-field">
                <span className="field-label">What is happening</span>
              </label>
              <textarea id="declare-reason-field" ref={reasonRef} rows={2} value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} maxLength={2000} required aria-invalid={fieldErrors.reason ? true : undefined} aria-describedby={fieldErrors.reason ? 'declare-reason-error' : undefined} />
              {fieldErrors.reason && (
                <p id="declare-reason-error" className="field-error">
                  {fieldErrors.reason}
                </p>
              )}
            </div>
            <FormError error={error} />
            <div>
              <button type="submit" className="btn btn-danger" disabled={declare.isPending}>
                Declare incident
              </button>
            </div>
          </form>
        </section>
      )}
      <section className="panel" aria-labelledby="incidents-title">
        <h2 id="incidents-title">Incidents</h2>
        {list.length === 0 ? (
          <p className="muted">{q.isPending ? 'Loading…' : 'No incidents so far.'}</p>
        ) : (
          <table className="data-table incidents-table">
            <thead>
              <tr>
                <th scope="col">Incident</th>
                <th scope="col">Status</th>
                <th scope="col">Opened</th>
                <th scope="col">Closed</th>
                <th scope="col">Statement</th>
                {lead && <th scope="col">Actions</th>}
              </tr>
            </thead>
            <tbody>
              {list.map((i) => (
                <tr key={i.id}>
                  <td>
                    <strong tabIndex={-1} data-incident-title={i.id}>
                      <SafeText text={i.title} linkify={false} fold={false} />
                    </strong>
                    <div className="muted small">
                      <SafeText text={i.reason} linkify={false} />
                    </div>
                    <AffectedLink incident={i} />
                    <div>
                      <button type="button" className="link-button small" data-incident-report-button={i.id} onClick={() => setReportOf(i.id)} aria-label={`Report: ${i.title}`}>
                        Report
                      </button>
                    </div>
                  </td>
                  <td data-label="Status">
                    <span className={`badge ${i.status === 'open' ? 'badge-danger' : ''}`}>{i.status}</span>
                  </td>
                  <td className="small" data-label="Opened">
                    <time dateTime={i.openedAt}>{fullTime(i.openedAt)}</time>
                    <div className="muted">by {who(i.openedBy)}</div>
                  </td>
                  <td className="small" data-label="Closed">{i.closedAt ? fullTime(i.closedAt) : '—'}</td>
                  <td className="small" data-label="Statement">
                    {i.statement ? <StatementState s={i.statement} users={users} /> : i.statementMessageId ? 'Posted' : '—'}
                    {(i.statements?.length ?? 0) > 1 && <StatementHistory statements={i.statements!} />}
                  </td>
                  {/* a closed incident has no actions: its cell stays (the columns line up) but unlabelled, so a phone's card shows no empty "Actions" */}
                  {lead && (
                    <td data-label={i.status === 'open' ? 'Actions' : undefined}>
                      {i.status === 'open' && (
                        <div className="row-gap">
                          <button type="button" className="btn btn-small" onClick={() => setStatementFor(i)}>
                            Post statement…
                          </button>
                          <CloseIncidentButton incident={i} label="Close" noteId={`close-row-note-${i.id}`} />
                          {closeWithdraws(i) && (
                            <span id={`close-row-note-${i.id}`} className="small muted">
                              {WITHDRAW_NOTE}
                            </span>
                          )}
                        </div>
                      )}
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <StatementDialog incident={statementFor} onClose={() => setStatementFor(null)} />
    </div>
  );
}

const STATEMENT_STATE: Record<string, { label: string; badge: string }> = {
  pending_approval: { label: 'Waiting for sign-off', badge: 'badge-warn' },
  queued: { label: 'Approved, queued', badge: '' },
  sending: { label: 'Sending', badge: '' },
  sent: { label: 'Posted', badge: 'sla-ok' },
  failed: { label: 'Failed', badge: 'badge-danger' },
  rejected: { label: 'Not approved', badge: 'badge-danger' },
  withdrawn: { label: 'Withdrawn (incident closed)', badge: '' },
};

/** Every statement the incident had, newest first: one posted earlier stays in view when a newer one follows. */
function StatementHistory({ statements }: { statements: IncidentStatement[] }) {
  return (
    <details className="statement-history">
      <summary>All statements ({statements.length})</summary>
      <ol className="plain-list">
        {statements.map((s) => (
          <li key={s.messageId} data-statement-status={s.status}>
            <span className={`badge ${(STATEMENT_STATE[s.status] ?? { badge: '' }).badge}`}>{(STATEMENT_STATE[s.status] ?? { label: s.status }).label}</span> <span className="muted">{fullTime(s.sentAt ?? s.createdAt)}</span>
            {s.status === 'sent' && s.url && (
              <>
                {' '}
                <a href={s.url} target="_blank" rel="noreferrer noopener">
                  View post
                </a>
              </>
            )}
            <div dir="auto">
              <SafeText text={clip(s.text, 200)} linkify={false} />
            </div>
          </li>
        ))}
      </ol>
    </details>
  );
}

/** Where the latest statement is: waiting for sign-off (with a link to review it), posted, or not approved and why. */
export function StatementState({ s, users, compact }: { s: IncidentStatement; users?: User[]; compact?: boolean }) {
  const st = STATEMENT_STATE[s.status] ?? { label: s.status, badge: '' };
  const reviewer = s.reviewedBy != null ? users?.find((u) => u.id === s.reviewedBy)?.name : undefined;
  return (
    <span className="statement-state" data-statement-status={s.status}>
      <span className={`badge ${st.badge}`}>Statement: {st.label}</span>
      {s.status === 'pending_approval' && (
        <>
          {' '}
          <Link to="/approvals" search={{ m: s.messageId }} className="small">
            Review
          </Link>
        </>
      )}
      {!compact && s.status === 'sent' && s.url && (
        <>
          {' '}
          <a href={s.url} target="_blank" rel="noreferrer noopener" className="small">
            View post
          </a>
        </>
      )}
      {!compact && reviewer && s.status !== 'pending_approval' && <span className="muted"> · {s.status === 'rejected' ? 'rejected' : 'signed off'} by {reviewer}</span>}
      {!compact && s.status === 'rejected' && s.reviewNote && (
        <span className="muted">
          {' '}
          — <SafeText text={s.reviewNote} linkify={false} />
        </span>
      )}
      {!compact && s.status === 'failed' && s.error && <span className="muted" title={s.errorDetail ?? undefined}> — {s.error}</span>}
    </span>
  );
}
