/**
 * Settings → Workflow: routing rules (which team gets what), SLA targets, the approval
 * policy (which replies need sign-off), reply-check severities, and the expert answer
 * target, and sign-in security (two-factor sign-in required of everyone). Each part saves on
 * its own; the server validates and lists every problem.
 * Approvers see the settings read-only. Unsaved changes are not lost by leaving: moving to
 * another page asks first (in the app, and the browser's own prompt for a reload or close).
 */
import { useCallback, useEffect, useId, useMemo, useRef, useState, type ReactNode, type Ref } from 'react';
import { useBlocker } from '@tanstack/react-router';
import { api } from '../api/client.js';
import { useChannels, useMe, useTeams } from '../api/queries.js';
import type { ApprovalPolicy, RoutingRule, SlaPolicy, SlaTargetRule, WorkflowSettings } from '../api/types.js';
import { REPLY_CHECK_CODES } from '../api/types.js';
import { useAdminWrite, useWorkflowSettings, wkeys } from '../api/workflow.js';
import { networkLabel } from '../lib/format.js';
import { Spinner } from '../ui/bits.js';
import { ConfirmDialog } from '../ui/Modal.js';
import { useToast } from '../ui/Toasts.js';
import { focusAfterRemoving } from '../ui/focus.js';
import { ListInput, Problem, ReadOnlyNote, Section, TableScroll } from './fields.js';


/** Who may take moderation actions (server: src/workflow/settings.ts `moderation`). */
type ModerationPolicy = { allowedRoles: string[] };
/** A team the saved routing sends conversations to with nobody to take them (saved all the same). */
type RoutingWarning = { teamId: string; team: string; message: string };
/** Minutes an assignee may be unreachable before a customer waiting on them goes to a colleague; 0 = never (server: src/core/followUpHandover.ts). */
type HandoverSettings = { handoverAfterMin?: number };
type Settings = WorkflowSettings & { moderation?: ModerationPolicy } & HandoverSettings;

const save = (patch: Partial<Settings>) => api<Settings & { warnings?: RoutingWarning[] }>('PATCH', '/api/settings/workflow', patch);

const PART_LABEL: Record<string, string> = { moderation: 'moderation', routing: 'routing', handover: 'hand-over of follow-ups', sla: 'SLA targets', approval: 'approval policy', checks: 'reply checks', other: 'experts and incidents', security: 'sign-in security' };

type ReportDirty = (part: string, dirty: boolean) => void;

export function WorkflowAdmin({ admin }: { admin: boolean }) {
  const q = useWorkflowSettings();
  // which parts have changes not saved yet
  const [unsaved, setUnsaved] = useState<Record<string, boolean>>({});
  const report = useCallback<ReportDirty>((part, dirty) => setUnsaved((u) => (!!u[part] === dirty ? u : { ...u, [part]: dirty })), []);
  const parts = Object.keys(unsaved).filter((k) => unsaved[k]);
  const dirty = parts.length > 0;
  const shouldBlockFn = useCallback(
    // leaving the page (not a change of its search), never the way to sign-in (the session ended)
    ({ current, next }: { current: { pathname: string }; next: { pathname: string } }) => next.pathname !== current.pathname && next.pathname !== '/login',
    [],
  );
  const blocker = useBlocker({ shouldBlockFn, enableBeforeUnload: dirty, disabled: !dirty, withResolver: true });
  if (q.isPending) return <Spinner label="Loading workflow settings" />;
  if (q.isError) return <Problem error={q.error} />;
  return (
    <>
      {!admin && <ReadOnlyNote what="the workflow settings" />}
      <RoutingSettings s={q.data} admin={admin} report={report} />
      <HandoverSettingsForm s={q.data} admin={admin} report={report} />
      <SlaSettings s={q.data} admin={admin} report={report} />
      <ApprovalSettings s={q.data} admin={admin} report={report} />
      <ReplyCheckSettings s={q.data} admin={admin} report={report} />
      <OtherSettings s={q.data} admin={admin} report={report} />
      <SecuritySettings s={q.data} admin={admin} report={report} />
      <ModerationSettings s={q.data} admin={admin} report={report} />
      <ConfirmDialog
        open={blocker.status === 'blocked'}
        onClose={() => blocker.reset?.()}
        onConfirm={() => blocker.proceed?.()}
        title="Leave without saving?"
        description={`Your changes to the ${parts.map((p) => PART_LABEL[p] ?? p).join(', ')} are not saved yet. Leaving this page discards them.`}
        confirmLabel="Leave and discard changes"
        danger
      />
    </>
  );
}

function SaveBar({ pending, error, dirty, admin, label }: { pending: boolean; error: unknown; dirty: boolean; admin: boolean; label: string }) {
  if (!admin) return null;
  return (
    <>
      <Problem error={error} />
      <div className="row-gap">
        <button type="submit" className="btn btn-primary btn-small" disabled={pending || !dirty}>
          {pending ? 'Saving…' : `Save ${label}`}
        </button>
        {dirty && <span className="muted small">Unsaved changes</span>}
      </div>
    </>
  );
}

/** A part's edited copy of the saved settings; whether it differs is reported to the page (it asks before leaving). */
function useDraft<T>(value: T, part: string, report: ReportDirty) {
  const [draft, setDraft] = useState<T>(value);
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    setDraft(value);
    setDirty(false);
  }, [value]);
  useEffect(() => report(part, dirty), [part, dirty, report]);
  useEffect(() => () => report(part, false), [part, report]);
  return { draft, dirty, set: (v: T) => (setDraft(v), setDirty(true)) };
}

function SettingsForm({ title, id, description, admin, children, onSubmit }: { title: string; id: string; description?: ReactNode; admin: boolean; children: ReactNode; onSubmit: () => void }) {
  return (
    <Section title={title} id={id} description={description}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onSubmit();
        }}
      >
        <fieldset className="plain-fieldset" disabled={!admin}>
          <legend className="visually-hidden">{title}</legend>
          {children}
        </fieldset>
      </form>
    </Section>
  );
}

// ---------------------------------------------------------------- routing

const CATEGORIES = ['customer_service', 'brand', 'spam', 'abuse', 'other'];

function RoutingSettings({ s, admin, report }: { s: WorkflowSettings; admin: boolean; report: ReportDirty }) {
  const teams = useTeams().data ?? [];
  const channels = useChannels().data ?? [];
  const toast = useToast();
  const initial = useMemo(() => s.routing ?? { rules: [], defaultTeamId: '' }, [s.routing]);
  const { draft, dirty, set } = useDraft(initial, 'routing', report);
  const w = useAdminWrite(() => save({ routing: draft.defaultTeamId ? draft : null }), [wkeys.settings, wkeys.queues]);
  // teams the saved routing sends work to that nobody works: saved, but the admin is told which
  const [warnings, setWarnings] = useState<RoutingWarning[]>([]);
  const setRule = (i: number, r: RoutingRule) => set({ ...draft, rules: draft.rules.map((x, j) => (j === i ? r : x)) });
  const move = (i: number, d: number) => {
    const rules = draft.rules.slice();
    const [r] = rules.splice(i, 1);
    rules.splice(i + d, 0, r!);
    set({ ...draft, rules });
    // focus follows the rule it moved; at the top or the bottom its button is disabled, so the other one
    setTimeout(() => {
      const to = i + d;
      const same = document.querySelector<HTMLButtonElement>(`[data-rule-move="${to}-${d < 0 ? 'up' : 'down'}"]`);
      (same && !same.disabled ? same : document.querySelector<HTMLButtonElement>(`[data-rule-move="${to}-${d < 0 ? 'down' : 'up'}"]`))?.focus();
    }, 0);
  };
  return (
    <SettingsForm title="Routing" id="routing-title" admin={admin} description="Rules are tried in order; the first whose conditions all hold picks the team. Empty conditions always hold." onSubmit={() =>
        w.mutate(undefined, {
          onSuccess: (r) => {
            const ws = r.warnings ?? [];
            setWarnings(ws);
            toast(ws.length ? `Routing saved, but ${ws.map((x) => `"${x.team}"`).join(', ')} ${ws.length === 1 ? 'has' : 'have'} nobody to take conversations` : 'Routing saved');
          },
        })
      }>
      <label className="field">
        <span>Default team (when no rule matches)</span>
        <select value={draft.defaultTeamId} onChange={(e) => set({ ...draft, defaultTeamId: e.target.value })}>
          <option value="">No routing (conversations stay unassigned)</option>
          {teams.map((t) => (
            <option key={t.id} value={String(t.id)}>
              {t.name}
            </option>
          ))}
        </select>
      </label>
      <ol className="rule-list">
        {draft.rules.map((r, i) => (
          <li key={i} className="rule">
            <fieldset className="rule-fields">
              <legend>Rule {i + 1}</legend>
              <div className="form-row">
                <label className="field">
                  <span>Team</span>
                  <select value={r.teamId} onChange={(e) => setRule(i, { ...r, teamId: e.target.value })}>
                    {teams.map((t) => (
                      <option key={t.id} value={String(t.id)}>
                        {t.name}
                      </option>
                    ))}
                  </select>
                </label>
                <label className="field">
                  <span>Channel accounts</span>
                  <select multiple size={3} value={r.when.channelAccountIds ?? []} onChange={(e) => setRule(i, { ...r, when: { ...r.when, channelAccountIds: [...e.target.selectedOptions].map((o) => o.value) } })}>
                    {channels.map((c) => (
                      <option key={c.id} value={String(c.id)}>
                        {networkLabel(c.network)} @{c.handle}
                      </option>
                    ))}
                  </select>
                </label>
                <ListInput label="Networks" value={r.when.networks} onChange={(v) => setRule(i, { ...r, when: { ...r.when, networks: v } })} placeholder="x, instagram" />
              </div>
              <fieldset className="field">
                <legend>Categories</legend>
                <div className="row-gap">
                  {CATEGORIES.map((c) => (
                    <label key={c} className="checkbox">
                      <input
                        type="checkbox"
                        checked={(r.when.categories ?? []).includes(c)}
                        onChange={(e) => setRule(i, { ...r, when: { ...r.when, categories: e.target.checked ? [...(r.when.categories ?? []), c] : (r.when.categories ?? []).filter((x) => x !== c) } })}
                      />{' '}
                      {c.replace(/_/g, ' ')}
                    </label>
                  ))}
                </div>
              </fieldset>
              <div className="form-row">
                <ListInput label="Intents" value={r.when.intents} onChange={(v) => setRule(i, { ...r, when: { ...r.when, intents: v } })} placeholder="billing, refund" />
                <ListInput label="Languages" value={r.when.languages} onChange={(v) => setRule(i, { ...r, when: { ...r.when, languages: v } })} placeholder="de, fr" />
                <NumberField label="Priority at least" value={r.when.minPriority} onChange={(v) => setRule(i, { ...r, when: { ...r.when, minPriority: v } })} />
                <NumberField label="Priority at most" value={r.when.maxPriority} onChange={(v) => setRule(i, { ...r, when: { ...r.when, maxPriority: v } })} />
                <label className="field">
                  <span>Visibility</span>
                  <select value={r.when.visibility ?? ''} onChange={(e) => setRule(i, { ...r, when: { ...r.when, visibility: (e.target.value || null) as 'public' | 'private' | null } })}>
                    <option value="">Public or private</option>
                    <option value="public">Public only</option>
                    <option value="private">Private only</option>
                  </select>
                </label>
              </div>
              <div className="row-gap">
                <button type="button" className="btn btn-small" data-rule-move={`${i}-up`} disabled={i === 0} onClick={() => move(i, -1)}>
                  Move up<span className="visually-hidden"> rule {i + 1}</span>
                </button>
                <button type="button" className="btn btn-small" data-rule-move={`${i}-down`} disabled={i === draft.rules.length - 1} onClick={() => move(i, 1)}>
                  Move down<span className="visually-hidden"> rule {i + 1}</span>
                </button>
                <button
                  type="button"
                  className="btn btn-small btn-ghost"
                  data-removes="routing-rules"
                  onClick={() => {
                    set({ ...draft, rules: draft.rules.filter((_, j) => j !== i) });
                    focusAfterRemoving('routing-rules', i);
                  }}
                >
                  Remove rule {i + 1}
                </button>
              </div>
            </fieldset>
          </li>
        ))}
      </ol>
      {admin && (
        <button type="button" className="btn btn-small" data-adds="routing-rules" disabled={!teams.length} onClick={() => set({ ...draft, rules: [...draft.rules, { teamId: String(teams[0]?.id ?? ''), when: {} }] })}>
          Add a rule
        </button>
      )}
      {warnings.length > 0 && (
        <div className="form-error routing-warnings" role="alert">
          <p className="small">Saved, but conversations routed to {warnings.length === 1 ? 'this team wait' : 'these teams wait'} in a queue nobody works:</p>
          <ul className="small">
            {warnings.map((x) => (
              <li key={x.teamId}>{x.message}. Add members in Settings → Teams.</li>
            ))}
          </ul>
        </div>
      )}
      <SaveBar pending={w.isPending} error={w.error} dirty={dirty} admin={admin} label="routing" />
    </SettingsForm>
  );
}

/**
 * A number input with its label, hint and (our own check's) error: the hint and the error are
 * under the input and tied to it (aria-describedby, aria-invalid), not inside the label, where
 * a screen reader would read them as part of the field's name.
 */
function NumberField({ label, value, onChange, step, hint, error, inputRef }: { label: string; value: number | null | undefined; onChange: (v: number | null) => void; step?: number; hint?: string; error?: string | null; inputRef?: Ref<HTMLInputElement> }) {
  const id = useId();
  const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>
        <span className="field-label">{label}</span>
      </label>
      <input ref={inputRef} id={id} type="number" step={step ?? 1} value={value ?? ''} aria-invalid={error ? true : undefined} aria-describedby={described} onChange={(e) => onChange(e.target.value === '' ? null : Number(e.target.value))} />
      {hint && (
        <span id={`${id}-hint`} className="muted small">
          {hint}
        </span>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** What is wrong with a warning share (0..1, null: the default), as the server checks it (src/core/sla.ts); null when nothing. */
function warningShareError(ratio: number | null | undefined): string | null {
  if (ratio == null || (Number.isFinite(ratio) && ratio > 0 && ratio <= 1)) return null;
  return 'The warning share must be more than 0 % and at most 100 % of the target (empty: the default, 75 %).';
}

// ---------------------------------------------------------------- SLA

const METRICS: Record<string, string> = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' };

function SlaSettings({ s, admin, report }: { s: WorkflowSettings; admin: boolean; report: ReportDirty }) {
  const toast = useToast();
  const { draft, dirty, set } = useDraft<SlaPolicy>(s.sla, 'sla', report);
  const w = useAdminWrite(() => save({ sla: draft }), [wkeys.settings]);
  const setTarget = (i: number, t: SlaTargetRule) => set({ ...draft, targets: draft.targets.map((x, j) => (j === i ? t : x)) });
  const bands = draft.priorityBands ?? [];
  // the warning share is checked here, its error under its field (focused), not in the form's "Not saved"
  const [warnError, setWarnError] = useState<string | null>(null);
  const warnRef = useRef<HTMLInputElement>(null);
  const submit = () => {
    const err = warningShareError(draft.warningRatio);
    setWarnError(err);
    if (err) {
      warnRef.current?.focus();
      return;
    }
    w.mutate(undefined, { onSuccess: () => toast('SLA targets saved') });
  };
  return (
    <SettingsForm title="Service levels (SLA)" id="sla-title" admin={admin} description="How soon customers must hear back. The first target matching the metric, priority band and visibility applies." onSubmit={submit}>
      <div className="form-row">
        <NumberField
          label="Warn at this share of the target (%)"
          value={draft.warningRatio != null ? Math.round(draft.warningRatio * 100) : null}
          onChange={(v) => {
            setWarnError(null);
            set({ ...draft, warningRatio: v == null ? null : v / 100 });
          }}
          error={warnError}
          inputRef={warnRef}
        />
        <label className="checkbox field-check">
          <input type="checkbox" checked={draft.pauseWhileWaitingOnCustomer === true} onChange={(e) => set({ ...draft, pauseWhileWaitingOnCustomer: e.target.checked })} /> Pause while waiting on the customer
        </label>
        <label className="checkbox field-check">
          <input type="checkbox" checked={draft.businessHours === true} onChange={(e) => set({ ...draft, businessHours: e.target.checked })} /> Count business hours only (each account’s hours)
        </label>
      </div>
      <TableScroll label="SLA targets">
        <table className="data-table sla-targets">
          <caption className="visually-hidden">SLA targets</caption>
          <thead>
            <tr>
              <th scope="col">Metric</th>
              <th scope="col">Priority bands</th>
              <th scope="col">Visibility</th>
              <th scope="col">Target (minutes)</th>
              <th scope="col">Hours</th>
              <th scope="col">
                <span className="visually-hidden">Remove</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {draft.targets.map((t, i) => (
              <tr key={i}>
                <td>
                  <label className="visually-hidden" htmlFor={`sla-m-${i}`}>
                    Target {i + 1} metric
                  </label>
                  <select id={`sla-m-${i}`} value={t.metric} onChange={(e) => setTarget(i, { ...t, metric: e.target.value })}>
                    {Object.entries(METRICS).map(([k, v]) => (
                      <option key={k} value={k}>
                        {v}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <label className="visually-hidden" htmlFor={`sla-b-${i}`}>
                    Target {i + 1} bands (comma-separated; empty for all)
                  </label>
                  <input id={`sla-b-${i}`} value={(t.bands ?? []).join(', ')} placeholder="all" onChange={(e) => setTarget(i, { ...t, bands: e.target.value.split(',').map((x) => x.trim()).filter(Boolean) })} />
                </td>
                <td>
                  <label className="visually-hidden" htmlFor={`sla-v-${i}`}>
                    Target {i + 1} visibility
                  </label>
                  <select id={`sla-v-${i}`} value={t.visibility ?? ''} onChange={(e) => setTarget(i, { ...t, visibility: (e.target.value || null) as 'public' | 'private' | null })}>
                    <option value="">Both</option>
                    <option value="public">Public</option>
                    <option value="private">Private</option>
                  </select>
                </td>
                <td>
                  <label className="visually-hidden" htmlFor={`sla-t-${i}`}>
                    Target {i + 1} in minutes
                  </label>
                  <input id={`sla-t-${i}`} type="number" className="num-input" value={Number.isFinite(t.targetMs) ? t.targetMs / 60_000 : ''} onChange={(e) => setTarget(i, { ...t, targetMs: e.target.value === '' ? Number.NaN : Number(e.target.value) * 60_000 })} />
                </td>
                <td>
                  <label className="visually-hidden" htmlFor={`sla-h-${i}`}>
                    Target {i + 1} hours
                  </label>
                  <select id={`sla-h-${i}`} value={t.businessHours == null ? '' : t.businessHours ? 'yes' : 'no'} onChange={(e) => setTarget(i, { ...t, businessHours: e.target.value === '' ? null : e.target.value === 'yes' })}>
                    <option value="">As the policy</option>
                    <option value="yes">Business hours</option>
                    <option value="no">Around the clock</option>
                  </select>
                </td>
                <td>
                  <button
                    type="button"
                    className="btn btn-small btn-ghost"
                    data-removes="sla-targets"
                    onClick={() => {
                      set({ ...draft, targets: draft.targets.filter((_, j) => j !== i) });
                      focusAfterRemoving('sla-targets', i);
                    }}
                  >
                    Remove<span className="visually-hidden"> target {i + 1}</span>
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      {admin && (
        <button type="button" className="btn btn-small" data-adds="sla-targets" onClick={() => set({ ...draft, targets: [...draft.targets, { metric: 'first_response', targetMs: 30 * 60_000 }] })}>
          Add a target
        </button>
      )}
      <fieldset className="field">
        <legend>Priority bands (first whose minimum the priority reaches)</legend>
        {bands.map((b, i) => (
          <div key={i} className="kv-row">
            {/* visible: a bare "urgent" above a bare "80" does not say which is the name and which the threshold */}
            <label className="muted small" htmlFor={`band-n-${i}`}>
              Band {i + 1} name
            </label>
            <input id={`band-n-${i}`} value={b.name} onChange={(e) => set({ ...draft, priorityBands: bands.map((x, j) => (j === i ? { ...x, name: e.target.value } : x)) })} />
            <label className="muted small" htmlFor={`band-p-${i}`}>
              Band {i + 1} minimum priority (empty: everything else)
            </label>
            <input id={`band-p-${i}`} type="number" className="num-input" placeholder="rest" value={b.minPriority ?? ''} onChange={(e) => set({ ...draft, priorityBands: bands.map((x, j) => (j === i ? { ...x, minPriority: e.target.value === '' ? null : Number(e.target.value) } : x)) })} />
          </div>
        ))}
      </fieldset>
      <SaveBar pending={w.isPending} error={w.error} dirty={dirty} admin={admin} label="SLA targets" />
    </SettingsForm>
  );
}

// ---------------------------------------------------------------- approval

function ApprovalSettings({ s, admin, report }: { s: WorkflowSettings; admin: boolean; report: ReportDirty }) {
  const toast = useToast();
  const { draft, dirty, set } = useDraft<ApprovalPolicy>(s.approval, 'approval', report);
  const w = useAdminWrite(() => save({ approval: draft }), [wkeys.settings]);
  const audience = draft.audience ?? {};
  const content = draft.content ?? {};
  const incident = draft.incident ?? {};
  const limits = Object.entries(content.amountLimits ?? {});
  const setLimits = (rows: [string, number][]) => set({ ...draft, content: { ...content, amountLimits: rows.length ? Object.fromEntries(rows) : null } });
  return (
    <SettingsForm title="Approval policy (sign-off)" id="approval-title" admin={admin} description="Replies matching any of these wait for an approver before they are sent." onSubmit={() => w.mutate(undefined, { onSuccess: () => toast('Approval policy saved') })}>
      <div className="form-row">
        <fieldset className="field">
          <legend>Never need approval</legend>
          {['approver', 'admin', 'agent'].map((r) => (
            <label key={r} className="checkbox">
              <input type="checkbox" checked={(draft.exemptRoles ?? []).includes(r)} onChange={(e) => set({ ...draft, exemptRoles: e.target.checked ? [...(draft.exemptRoles ?? []), r] : (draft.exemptRoles ?? []).filter((x) => x !== r) })} /> {r}s
            </label>
          ))}
        </fieldset>
        <ListInput label="Agents with these flags" value={draft.agents?.flags} onChange={(v) => set({ ...draft, agents: { ...(draft.agents ?? {}), flags: v } })} placeholder="in_training" hint="Set flags on people in Settings → People." />
      </div>
      <div className="form-row">
        <NumberField label="Authors with at least this many followers" value={audience.followersAtLeast} onChange={(v) => set({ ...draft, audience: { ...audience, followersAtLeast: v } })} hint="Empty: no follower threshold" />
        <label className="checkbox field-check">
          <input type="checkbox" checked={audience.verifiedAuthors === true} onChange={(e) => set({ ...draft, audience: { ...audience, verifiedAuthors: e.target.checked } })} /> Verified authors
        </label>
        <label className="checkbox field-check">
          <input type="checkbox" checked={audience.publicNegativeComplaint === true} onChange={(e) => set({ ...draft, audience: { ...audience, publicNegativeComplaint: e.target.checked } })} /> Public replies to a negative complaint
        </label>
      </div>
      <div className="form-row">
        <ListInput label="Keywords (whole words)" value={content.keywords} onChange={(v) => set({ ...draft, content: { ...content, keywords: v.length ? v : null } })} placeholder="lawsuit, lawyer, GDPR" />
        <label className="checkbox field-check">
          <input type="checkbox" checked={content.refundTerms === true || (Array.isArray(content.refundTerms) && content.refundTerms.length > 0)} onChange={(e) => set({ ...draft, content: { ...content, refundTerms: e.target.checked } })} /> Refund and compensation language
        </label>
      </div>
      <fieldset className="field">
        <legend>Amounts above a limit (per currency; * for any other)</legend>
        {limits.map(([cur, amt], i) => (
          <div key={i} className="kv-row">
            <label className="visually-hidden" htmlFor={`lim-c-${i}`}>
              Limit {i + 1} currency
            </label>
            <input id={`lim-c-${i}`} className="num-input" value={cur} maxLength={3} onChange={(e) => setLimits(limits.map((x, j) => (j === i ? [e.target.value.toUpperCase(), x[1]] : x)))} />
            <label className="visually-hidden" htmlFor={`lim-a-${i}`}>
              Limit {i + 1} amount
            </label>
            <input id={`lim-a-${i}`} type="number" className="num-input" value={amt} onChange={(e) => setLimits(limits.map((x, j) => (j === i ? [x[0], Number(e.target.value)] : x)))} />
            <button
              type="button"
              className="btn btn-small btn-ghost"
              data-removes="approval-limits"
              onClick={() => {
                setLimits(limits.filter((_, j) => j !== i));
                focusAfterRemoving('approval-limits', i);
              }}
            >
              Remove<span className="visually-hidden"> limit {i + 1}</span>
            </button>
          </div>
        ))}
        {admin && (
          <button type="button" className="btn btn-small" data-adds="approval-limits" onClick={() => setLimits([...limits, [limits.length ? 'EUR' : '*', 100]])}>
            Add a limit
          </button>
        )}
      </fieldset>
      <div className="form-row">
        <label className="checkbox field-check">
          <input type="checkbox" checked={incident.requireDuringIncident === true} onChange={(e) => set({ ...draft, incident: { ...incident, requireDuringIncident: e.target.checked } })} /> During an open incident
        </label>
        <label className="checkbox field-check">
          <input type="checkbox" checked={incident.publicOnly === true} disabled={incident.requireDuringIncident !== true} onChange={(e) => set({ ...draft, incident: { ...incident, publicOnly: e.target.checked } })} /> …only public replies
        </label>
        <label className="checkbox field-check">
          <input type="checkbox" checked={incident.statementSignOff !== false} onChange={(e) => set({ ...draft, incident: { ...incident, statementSignOff: e.target.checked } })} /> Incident statements, by a second person (even from approvers and admins)
        </label>
      </div>
      <SaveBar pending={w.isPending} error={w.error} dirty={dirty} admin={admin} label="approval policy" />
    </SettingsForm>
  );
}

// ---------------------------------------------------------------- reply checks

const CHECKS: Record<string, { label: string; severity: string }> = {
  'reply.empty': { label: 'Empty reply', severity: 'block' },
  'reply.unfilled_placeholder': { label: 'Saved reply with a gap left ({{…}})', severity: 'block' },
  'reply.link_only': { label: 'Only a link (answer first, then link)', severity: 'block' },
  'reply.too_long': { label: 'Too long for the network', severity: 'block' },
  'reply.near_duplicate': { label: 'Nearly the same as a recent reply', severity: 'warn' },
  'reply.personal_data': { label: 'Personal data in a public reply', severity: 'warn' },
  'reply.shouting': { label: 'Mostly capitals', severity: 'hint' },
  'reply.no_greeting': { label: 'No greeting', severity: 'hint' },
  'reply.no_name': { label: 'Customer’s name not used', severity: 'hint' },
  'reply.wrong_person': { label: 'Addressed to someone else (@handle)', severity: 'warn' },
  'reply.stock_phrase': { label: 'Stock corporate phrasing (“We apologize for any inconvenience”)', severity: 'hint' },
};

function ReplyCheckSettings({ s, admin, report }: { s: WorkflowSettings; admin: boolean; report: ReportDirty }) {
  const toast = useToast();
  const { draft, dirty, set } = useDraft(s.replyChecks, 'checks', report);
  const w = useAdminWrite(() => save({ replyChecks: draft }), [wkeys.settings]);
  return (
    <SettingsForm title="Reply checks" id="checks-title" admin={admin} description="Blocks stop sending, warnings ask the agent to look again, hints are quiet." onSubmit={() => w.mutate(undefined, { onSuccess: () => toast('Reply checks saved') })}>
      <TableScroll label="Reply checks">
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Check</th>
              <th scope="col">Severity</th>
            </tr>
          </thead>
          <tbody>
            {REPLY_CHECK_CODES.map((code) => (
              <tr key={code}>
                <th scope="row" className="normal-weight">
                  <label htmlFor={`chk-${code}`}>{CHECKS[code]?.label ?? code}</label>
                </th>
                <td>
                  <select
                    id={`chk-${code}`}
                    value={draft[code] ?? ''}
                    onChange={(e) => {
                      const next = { ...draft };
                      if (e.target.value) next[code] = e.target.value as 'block';
                      else delete next[code];
                      set(next);
                    }}
                  >
                    <option value="">Default ({CHECKS[code]?.severity ?? '?'})</option>
                    <option value="block">Block</option>
                    <option value="warn">Warn</option>
                    <option value="hint">Hint</option>
                    <option value="off">Off</option>
                  </select>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
      <SaveBar pending={w.isPending} error={w.error} dirty={dirty} admin={admin} label="reply checks" />
    </SettingsForm>
  );
}

function OtherSettings({ s, admin, report }: { s: WorkflowSettings; admin: boolean; report: ReportDirty }) {
  const toast = useToast();
  const rawDays = s.retention?.rawPayloadDays ?? null;
  const initial = useMemo(() => ({ expertTargetMin: s.expertTargetMin, autoDetect: s.incidents.autoDetect, rawPayloadDays: rawDays }), [s.expertTargetMin, s.incidents.autoDetect, rawDays]);
  const { draft, dirty, set } = useDraft(initial, 'other', report);
  const w = useAdminWrite(() => save({ expertTargetMin: draft.expertTargetMin, incidents: { autoDetect: draft.autoDetect }, retention: { rawPayloadDays: draft.rawPayloadDays } }), [wkeys.settings]);
  return (
    <SettingsForm title="Experts and incidents" id="other-title" admin={admin} onSubmit={() => w.mutate(undefined, { onSuccess: () => toast('Saved') })}>
      <div className="form-row">
        <NumberField label="Experts answer within (minutes)" value={draft.expertTargetMin} onChange={(v) => set({ ...draft, expertTargetMin: v ?? 0 })} hint="Unless the expert group sets its own (Settings → People). Counted in business hours when the SLA is; past it, the experts and the asking agent are notified once." />
        <label className="checkbox field-check">
          <input type="checkbox" checked={draft.autoDetect} onChange={(e) => set({ ...draft, autoDetect: e.target.checked })} /> Open an incident automatically on unusual volume
        </label>
        <NumberField label="Keep raw network payloads (days)" value={draft.rawPayloadDays} onChange={(v) => set({ ...draft, rawPayloadDays: v })} hint="Empty: kept. Otherwise the networks' original payloads of older messages are cleared; their text, triage and search stay." />
      </div>
      <SaveBar pending={w.isPending} error={w.error} dirty={dirty} admin={admin} label="these settings" />
    </SettingsForm>
  );
}

// ---------------------------------------------------------------- follow-ups whose assignee is away

/** The longest wait that can be set (a week, in minutes), as the server checks it. */
const MAX_HANDOVER_AFTER_MIN = 7 * 24 * 60;

/** What is wrong with a hand-over time, as the server checks it; null when nothing. */
function handoverError(v: number | null): string | null {
  if (v == null) return 'Enter a number of minutes (0 turns it off)';
  if (!Number.isInteger(v)) return 'A whole number of minutes';
  if (v < 0) return 'It cannot be negative; 0 turns it off';
  if (v > MAX_HANDOVER_AFTER_MIN) return `At most ${MAX_HANDOVER_AFTER_MIN} minutes (a week)`;
  return null;
}

/**
 * When a customer writes to (or keeps waiting on) someone who has signed out or gone offline, how
 * long before routing hands them to the next available colleague of the team. Shown with the
 * routing; it only applies when routing is on.
 */
function HandoverSettingsForm({ s, admin, report }: { s: Settings; admin: boolean; report: ReportDirty }) {
  const toast = useToast();
  const saved = s.handoverAfterMin ?? 15;
  const { draft, dirty, set } = useDraft<number | null>(saved, 'handover', report);
  const error = handoverError(draft);
  const w = useAdminWrite(() => save({ handoverAfterMin: draft ?? 0 }), [wkeys.settings]);
  return (
    <SettingsForm
      title="Follow-ups when the assignee is away"
      id="handover-title"
      admin={admin}
      description="A customer stays with the agent who has their conversation. If that agent has signed out or gone offline, their waiting customers are handed to the next available colleague of the same team once this much working time has passed."
      onSubmit={() => {
        if (!error) w.mutate(undefined, { onSuccess: () => toast(draft === 0 ? 'Follow-ups now always wait for their assignee' : 'Hand-over of follow-ups saved') });
      }}
    >
      <NumberField
        label="Hand over after (minutes)"
        value={draft}
        onChange={(v) => set(v)}
        error={dirty ? error : null}
        hint="0 = never. Counted only while the account's business hours are open, so nothing moves overnight. Away (a short break) is not counted; a customer already answered and waiting on their own reply is never moved; the agent is told, and coming back does not take the conversations back."
      />
      {!s.routing && <p className="muted small">Routing is off, so nothing is handed over until a default team is set above.</p>}
      <SaveBar pending={w.isPending} error={w.error} dirty={dirty && !error} admin={admin} label="hand-over" />
    </SettingsForm>
  );
}

// ---------------------------------------------------------------- sign-in security

/**
 * Two-factor sign-in required of everyone of the brand: the server holds anyone without it to
 * setting it up (their next request, or sign-in), the admin who turns it on included.
 */
function SecuritySettings({ s, admin, report }: { s: WorkflowSettings; admin: boolean; report: ReportDirty }) {
  const toast = useToast();
  const me = useMe().data;
  const required = s.security?.twoFactorRequired === true;
  const { draft, dirty, set } = useDraft(required, 'security', report);
  const w = useAdminWrite(() => save({ security: { twoFactorRequired: draft } }), [wkeys.settings]);
  const hintId = useId();
  return (
    <SettingsForm title="Sign-in security" id="security-title" admin={admin} onSubmit={() => w.mutate(undefined, { onSuccess: () => toast(draft ? 'Two-factor sign-in is now required' : 'Two-factor sign-in is each person’s choice again') })}>
      <label className="checkbox">
        <input type="checkbox" checked={draft} aria-describedby={hintId} onChange={(e) => set(e.target.checked)} /> Require two-factor sign-in for everyone
      </label>
      <p id={hintId} className="muted small">
        Whoever has not set it up is asked to before they can use the desk, and nobody can turn theirs off; API tokens are not affected.
        {admin && draft && !required && me && !me.user.twoFactor && ' You have not set it up yourself: you will be asked to as soon as this is saved.'}
      </p>
      <SaveBar pending={w.isPending} error={w.error} dirty={dirty} admin={admin} label="sign-in security" />
    </SettingsForm>
  );
}

// ---------------------------------------------------------------- moderation

const MODERATION_CHOICES: { value: string; roles: string[]; label: string }[] = [
  { value: 'everyone', roles: ['agent', 'approver', 'admin'], label: 'Agents, approvers and admins (front-line agents may hide spam)' },
  { value: 'leads', roles: ['approver', 'admin'], label: 'Approvers and admins only (leads)' },
  { value: 'admins', roles: ['admin'], label: 'Admins only' },
];
const choiceOf = (roles: string[]) => MODERATION_CHOICES.find((c) => c.roles.length === roles.length && c.roles.every((r) => roles.includes(r)))?.value ?? 'everyone';

/** Who may hide, delete, block, restrict or mute (and undo it); others see the actions disabled, with the reason. Every change is audited. */
function ModerationSettings({ s, admin, report }: { s: Settings; admin: boolean; report: ReportDirty }) {
  const toast = useToast();
  const saved = choiceOf(s.moderation?.allowedRoles ?? ['agent', 'approver', 'admin']);
  const { draft, dirty, set } = useDraft(saved, 'moderation', report);
  const w = useAdminWrite(() => save({ moderation: { allowedRoles: MODERATION_CHOICES.find((c) => c.value === draft)!.roles } }), [wkeys.settings, ['moderation', 'policy']]);
  const hintId = useId();
  return (
    <SettingsForm title="Moderation" id="moderation-title" admin={admin} description="Who may hide, delete, block, restrict or mute posts and authors (and undo it), citing the community guidelines." onSubmit={() => w.mutate(undefined, { onSuccess: () => toast('Moderation roles saved') })}>
      <fieldset className="field" aria-describedby={hintId}>
        <legend>Who may take moderation actions</legend>
        {MODERATION_CHOICES.map((c) => (
          <label key={c.value} className="checkbox">
            <input type="radio" name="moderation-roles" value={c.value} checked={draft === c.value} onChange={() => set(c.value)} /> {c.label}
          </label>
        ))}
      </fieldset>
      <p id={hintId} className="muted small">
        Everyone else sees the moderation actions disabled, with the reason. Changes are recorded in the audit trail.
      </p>
      <SaveBar pending={w.isPending} error={w.error} dirty={dirty} admin={admin} label="moderation roles" />
    </SettingsForm>
  );
}
