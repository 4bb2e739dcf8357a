/**
 * The staffing planner: inputs (handling time, target, shrinkage, occupancy cap,
 * concurrency, optional patience for Erlang A), agents needed per hour of week against
 * the roster and the gap, the roster editor (saved with PUT /api/staffing/roster) and the
 * what-if simulator (POST /api/staffing/simulate, baseline vs adjusted, same customers).
 */
import { useEffect, useId, useMemo, useState, type FormEvent } from 'react';
import { useStaffingPlan, type StaffingAht, type StaffingParams, type StaffingPlan } from '../api/reports.js';
import type { Me } from '../api/types.js';
import { Chart, COLORS, type ChartOption } from './Chart.js';
import { DAY_SHORT, daysBetween, fmtCount, fmtHourOfWeek, fmtPct, fmtSec } from './format.js';
import { HELP } from './help.js';
import { rangeLabel, staffingPeriod, type ResolvedPeriod } from './period.js';
import { RosterEditor } from './RosterEditor.js';
import type { ReportsSearch } from './search.js';
import { Spinner } from '../ui/bits.js';
import { ChartNumbers, DataTable, Note, QueryState, ReportCard, Stats } from './ui.js';
import { WhatIf } from './WhatIf.js';
import { peakShort, planSummary } from './staffingSummary.js';

export { planSummary } from './staffingSummary.js';

/** Planner inputs in human units (minutes, percent), with the API's defaults. */
export interface PlannerInputs {
  /** Handling time set by hand (an override); absent: the measured one. */
  aht?: number;
  sl: number;
  within: number;
  shrink: number;
  occ: number;
  conc: number;
  patience?: number;
}

export function plannerInputs(s: ReportsSearch): PlannerInputs {
  return { aht: s.aht, sl: s.sl ?? 80, within: s.within ?? 30, shrink: s.shrink ?? 30, occ: s.occ ?? 85, conc: s.conc ?? 3, patience: s.patience };
}

export function toParams(i: PlannerInputs, period: { from: string; to: string }, channel?: number): StaffingParams {
  const p: StaffingParams = {
    from: period.from, to: period.to, serviceLevel: i.sl / 100, answerWithinS: Math.round(i.within * 60),
    shrinkage: i.shrink / 100, maxOccupancy: i.occ / 100, concurrency: i.conc,
  };
  // no handling time: the server uses the measured one (or 5 min when too few replies were measured)
  if (i.aht != null) p.ahtS = Math.round(i.aht * 60);
  if (channel) p.channel = channel;
  if (i.patience) p.patienceS = Math.round(i.patience * 60);
  return p;
}

export function StaffingSection({ me, search, period, tz, onChange }: { me: Me; search: ReportsSearch; period: ResolvedPeriod; tz: string; onChange: (patch: Partial<ReportsSearch>) => void }) {
  const inputs = plannerInputs(search);
  const sp = staffingPeriod(period, tz);
  const params = useMemo(() => (sp ? toParams(inputs, sp, search.channel) : null), [sp?.from, sp?.to, search.channel, inputs.aht, inputs.sl, inputs.within, inputs.shrink, inputs.occ, inputs.conc, inputs.patience]); // eslint-disable-line react-hooks/exhaustive-deps
  const plan = useStaffingPlan(params);
  const canSave = me.user.role === 'admin' || me.user.role === 'approver';

  // The roster being edited: starts from the saved one, follows it until edited.
  const saved = plan.data?.roster ?? null;
  const [roster, setRoster] = useState<number[] | null>(null);
  const [dirty, setDirty] = useState(false);
  useEffect(() => {
    if (!dirty && plan.data && !plan.isPlaceholderData) setRoster(saved ? [...saved] : new Array<number>(168).fill(0));
  }, [saved?.join(','), plan.data, plan.isPlaceholderData]); // eslint-disable-line react-hooks/exhaustive-deps

  return (
    <div className="report-grid">
      <ReportCard title="Planner inputs" help={HELP.staffing} wide testId="staffing-inputs">
        {sp?.derived && <Note>All time is not a plannable period: planning over the last four weeks with data ({rangeLabel(sp.fromDate, sp.toDate)}).</Note>}
        <PlannerForm inputs={inputs} aht={plan.data?.aht} onApply={(i) => onChange({ aht: i.aht, sl: i.sl, within: i.within, shrink: i.shrink, occ: i.occ, conc: i.conc, patience: i.patience })} />
        {plan.data?.aht && <HandlingTimeSource aht={plan.data.aht} onUseMeasured={() => onChange({ aht: undefined })} />}
      </ReportCard>
      <ReportCard title="Agents needed per hour of week" help={`${HELP.gap} ${HELP.serviceLevel}`} wide testId="staffing-plan">
        {!sp ? (
          // no bounded period and no data to derive one from (a brand with no mentions yet): nothing to ask the planner
          period.ready && (period.kind !== 'all' || period.dataKnown) ? (
            <div className="report-state report-empty" data-testid="staffing-empty">
              <p>{period.kind === 'all' ? 'No inbound mentions yet: there is no volume to plan staffing from. The plan appears once mentions arrive (or pick a period with traffic).' : 'Pick a period to plan from.'}</p>
            </div>
          ) : (
            <div className="report-state">
              <Spinner label="Loading the staffing plan" />
            </div>
          )
        ) : (
          <QueryState q={plan} what="the staffing plan" empty={(d) => (d.totals.volume_per_week === 0 ? `No inbound mentions that need a response in ${rangeLabel(sp.fromDate, sp.toDate)}${search.channel ? ' on this channel' : ''}: nothing to plan for. Pick a period with traffic.` : null)}>
            {(d) => <Plan plan={d} inputs={inputs} days={daysBetween(sp.fromDate, sp.toDate)} />}
          </QueryState>
        )}
      </ReportCard>
      {plan.data && roster && (
        <ReportCard title="Roster" help="Heads on shift per hour of week (brand time zone, Monday first). The plan's gap uses the saved roster; the what-if below uses the roster as edited here." wide testId="roster">
          <RosterEditor
            roster={roster}
            saved={saved}
            plan={plan.data}
            canSave={canSave}
            dirty={dirty}
            onChange={(r) => {
              setRoster(r);
              setDirty(true);
            }}
            onSaved={() => setDirty(false)}
            onRevert={() => {
              setRoster(saved ? [...saved] : new Array<number>(168).fill(0));
              setDirty(false);
            }}
          />
        </ReportCard>
      )}
      {plan.data && roster && params && (
        <ReportCard title="What if…" help={HELP.simulate} wide testId="what-if">
          <WhatIf params={params} roster={roster} plan={plan.data} inputs={inputs} />
        </ReportCard>
      )}
    </div>
  );
}

/**
 * The planner's inputs. Concurrency is greyed out, saying why, while the handling time field is
 * empty and enough replies were measured: measured time is focused time per reply, so the plan
 * counts one conversation at a time and a concurrency typed there would change nothing.
 */
function PlannerForm({ inputs, aht, onApply }: { inputs: PlannerInputs; aht?: StaffingAht; onApply: (i: PlannerInputs) => void }) {
  const id = useId();
  const [draft, setDraft] = useState(() => toDraft(inputs));
  const key = JSON.stringify(inputs);
  useEffect(() => setDraft(toDraft(inputs)), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  // one message per field, shown under that field (and linked to it), not one for the form
  const [errors, setErrors] = useState<Partial<Record<keyof typeof draft, string>>>({});
  const fields: { k: keyof typeof draft; label: string; unit: string; min: number; max: number; step: number; help: string; optional?: boolean; placeholder?: string }[] = [
    { k: 'aht', label: 'Handling time', unit: 'min', min: 0.1, max: 1440, step: 0.1, help: HELP.aht, optional: true, placeholder: 'auto' },
    { k: 'sl', label: 'Service-level target', unit: '%', min: 1, max: 99.9, step: 0.1, help: HELP.serviceLevel },
    { k: 'within', label: 'Answer within', unit: 'min', min: 0.1, max: 1440, step: 0.1, help: 'The target time of the service level.' },
    { k: 'shrink', label: 'Shrinkage', unit: '%', min: 0, max: 95, step: 1, help: HELP.shrinkage },
    { k: 'occ', label: 'Max occupancy', unit: '%', min: 10, max: 100, step: 1, help: HELP.maxOccupancy },
    { k: 'conc', label: 'Concurrency', unit: 'at once', min: 1, max: 20, step: 1, help: HELP.concurrency },
    { k: 'patience', label: 'Patience (Erlang A)', unit: 'min', min: 0.1, max: 1440, step: 0.1, help: HELP.patience, optional: true },
  ];
  // greyed out showing the 1 the plan uses; the chosen value comes back with a typed handling time
  const measuredAht = !!aht && draft.aht.trim() === '' && aht.measured.mean_s != null && aht.measured.n >= aht.min_samples;
  const unused = (k: keyof typeof draft) => k === 'conc' && measuredAht;
  const unitText = (f: (typeof fields)[number]) => (f.unit === '%' ? ' %' : f.unit === 'at once' ? '' : ` ${f.unit}`);
  const submit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    const out: Partial<PlannerInputs> = {};
    const bad: Partial<Record<keyof typeof draft, string>> = {};
    for (const f of fields) {
      const raw = draft[f.k].trim();
      if (raw === '' && f.optional) continue;
      const n = Number(raw);
      if (raw === '') bad[f.k] = `Enter a ${f.label.toLowerCase()}${f.optional ? ', or leave it empty' : ''}.`;
      else if (!Number.isFinite(n) || n < f.min || n > f.max) bad[f.k] = `${f.label} must be between ${f.min}${unitText(f)} and ${f.max}${unitText(f)}.`;
      else if (f.k === 'conc' && !Number.isInteger(n)) bad[f.k] = 'Concurrency must be a whole number.';
      else out[f.k] = n;
    }
    setErrors(bad);
    const first = fields.find((f) => bad[f.k]);
    if (first) {
      (e.currentTarget.querySelector(`#${CSS.escape(`${id}-${first.k}`)}`) as HTMLInputElement | null)?.focus();
      return;
    }
    onApply(out as PlannerInputs);
  };
  // the browser's own validation bubbles are not used: they vanish, and say nothing to the page (noValidate)
  return (
    <form className="planner-form" onSubmit={submit} noValidate>
      <div className="planner-fields">
        {fields.map((f) => {
          const err = errors[f.k];
          return (
            <div key={f.k} className="planner-field">
              <label htmlFor={`${id}-${f.k}`}>{f.label}</label>
              <span className="with-unit">
                <input
                  id={`${id}-${f.k}`}
                  type="number"
                  inputMode="decimal"
                  min={f.min}
                  max={f.max}
                  step={f.step}
                  value={unused(f.k) ? '1' : draft[f.k]}
                  disabled={unused(f.k)}
                  placeholder={f.optional ? f.placeholder ?? 'none' : undefined}
                  aria-invalid={err ? true : undefined}
                  aria-describedby={err ? `${id}-${f.k}-err ${id}-${f.k}-help` : `${id}-${f.k}-help`}
                  onChange={(e) => {
                    setDraft((d) => ({ ...d, [f.k]: e.target.value }));
                    if (err) setErrors((x) => ({ ...x, [f.k]: undefined }));
                  }}
                />
                <span className="unit" aria-hidden="true">
                  {f.unit}
                </span>
              </span>
              {err && (
                <span id={`${id}-${f.k}-err`} className="form-error field-error" role="alert">
                  {err}
                </span>
              )}
              <span id={`${id}-${f.k}-help`} className="field-help">
                {unused(f.k) ? HELP.concurrencyUnused : f.help}
              </span>
            </div>
          );
        })}
      </div>
      <div className="planner-actions">
        <button type="submit" className="btn btn-primary btn-small">
          Update plan
        </button>
        <span className="muted small">{inputs.patience ? 'Erlang A (customers give up)' : 'Erlang C (nobody gives up)'}</span>
      </div>
    </form>
  );
}

function toDraft(i: PlannerInputs): Record<'aht' | 'sl' | 'within' | 'shrink' | 'occ' | 'conc' | 'patience', string> {
  return { aht: i.aht != null ? String(i.aht) : '', sl: String(i.sl), within: String(i.within), shrink: String(i.shrink), occ: String(i.occ), conc: String(i.conc), patience: i.patience ? String(i.patience) : '' };
}

/**
 * Which handling time the plan uses and why, in the server's words ("AHT 4.2 min, measured
 * from 312 replies" / "AHT 5 min, set by hand: only 12 replies measured"), with the
 * measurement's spread, and a way back from an override to the measurement.
 */
function HandlingTimeSource({ aht, onUseMeasured }: { aht: StaffingAht; onUseMeasured: () => void }) {
  const m = aht.measured;
  const spread = m.n ? `median ${fmtSec(m.median_s)}, p90 ${fmtSec(m.p90_s)}` : null;
  const unmeasured = m.unmeasured ? `${fmtCount(m.unmeasured)} ${m.unmeasured === 1 ? 'reply' : 'replies'} could not be measured (written without the conversation open, or by an integration)` : null;
  return (
    <div className={`report-note report-note-${aht.reason === 'too_few_samples' ? 'warn' : 'info'}`} data-testid="aht-source" data-source={aht.source} role="status">
      <p style={{ margin: 0 }}>
        <strong>{aht.summary}.</strong>{' '}
        {aht.reason === 'measured' && (
          <>
            Each reply counts the time its author had the conversation open{spread ? ` (${spread})` : ''}. That is focused time per reply, so the plan uses a concurrency of 1.
          </>
        )}
        {aht.reason === 'too_few_samples' && <>The measured time is used once {fmtCount(aht.min_samples)} replies in the period are measured (each reply counts the time its author had the conversation open); until then the plan uses this value. Type a handling time above to set your own.</>}
        {aht.reason === 'override' && (
          <>
            {m.n >= aht.min_samples && (
              <button type="button" className="btn btn-small btn-ghost" onClick={onUseMeasured}>
                Use the measured {fmtSec(m.mean_s)}
              </button>
            )}
          </>
        )}
      </p>
      {unmeasured && <p className="muted small" style={{ margin: '4px 0 0' }}>{unmeasured}{m.capped ? `; ${fmtCount(m.capped)} counted at the 30-minute cap` : ''}.</p>}
    </div>
  );
}

const HOUR_LABELS = Array.from({ length: 168 }, (_, h) => `${DAY_SHORT[Math.floor(h / 24)]} ${String(h % 24).padStart(2, '0')}:00`);
const dayStart = (i: number) => i % 24 === 0;

/** Tooltip values with their unit. */
const heads = (v: unknown) => `${fmtCount(Number(v))} head${Math.abs(Number(v)) === 1 ? '' : 's'}`;
const num1 = (n: number) => n.toLocaleString(undefined, { maximumFractionDigits: 1 });

/** What the plan assumed, in words: the answer to "why this many heads?". */
export function planAssumptions(plan: StaffingPlan, inputs: PlannerInputs): string {
  const conc = plan.aht.concurrency;
  const giveUp = plan.model === 'erlang-a' && inputs.patience ? `customers give up after ${num1(inputs.patience)} min of waiting on average (Erlang A)` : 'nobody gives up while waiting (Erlang C)';
  return (
    `Assumptions: ${num1(inputs.sl)} % of contacts answered within ${num1(inputs.within)} min; handling time ${fmtSec(plan.aht.aht_s)} per contact (${plan.aht.source === 'measured' ? 'measured' : 'set by hand'}); ` +
    `${conc} conversation${conc === 1 ? '' : 's'} at once per agent; agents at most ${num1(inputs.occ)} % busy; ${giveUp}. ` +
    `Agents needed per hour come from the contacts arriving in that hour; heads = agents ÷ (1 − ${num1(inputs.shrink)} % shrinkage), rounded up.`
  );
}

function planOption(plan: StaffingPlan): ChartOption {
  const gap = plan.gap;
  const xCommon = { type: 'category' as const, data: HOUR_LABELS, axisTick: { interval: dayStart }, splitLine: { show: true, interval: dayStart, lineStyle: { color: COLORS.border } } };
  const dayLabels = { interval: dayStart, formatter: (v: string) => v.slice(0, 3) };
  return {
    legend: { top: 0, right: 0, itemWidth: 14, itemHeight: 10 },
    tooltip: { trigger: 'axis' },
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    grid: gap ? [{ left: 44, right: 16, top: 44, height: '48%' }, { left: 44, right: 16, top: '72%', bottom: 24 }] : [{ left: 44, right: 16, top: 44, bottom: 24 }],
    xAxis: gap ? [{ ...xCommon, gridIndex: 0, axisLabel: { show: false } }, { ...xCommon, gridIndex: 1, axisLabel: dayLabels }] : [{ ...xCommon, axisLabel: dayLabels }],
    yAxis: gap
      ? [{ type: 'value', gridIndex: 0, minInterval: 1, name: 'Heads', nameTextStyle: { align: 'left' } }, { type: 'value', gridIndex: 1, minInterval: 1, name: 'Gap', nameTextStyle: { align: 'left' } }]
      : [{ type: 'value', minInterval: 1, name: 'Heads', nameTextStyle: { align: 'left' } }],
    series: [
      ...(gap ? [{ type: 'bar' as const, name: 'Rostered heads', data: gap.hours.map((h) => h.rostered), itemStyle: { color: '#b9c7da' }, barCategoryGap: '15%', tooltip: { valueFormatter: heads } }] : []),
      { type: 'line', name: 'Heads needed', step: 'middle', symbol: 'none', data: plan.plan.map((h) => h.scheduled), lineStyle: { width: 2, color: COLORS.accent }, itemStyle: { color: COLORS.accent }, tooltip: { valueFormatter: heads } },
      ...(gap
        ? [{
            type: 'bar' as const, name: 'Gap (rostered − needed)', xAxisIndex: 1, yAxisIndex: 1, barCategoryGap: '15%', itemStyle: { color: COLORS.danger }, tooltip: { valueFormatter: (v: unknown) => `${Number(v) > 0 ? '+' : ''}${heads(v)}` },
            data: gap.hours.map((h) => ({ value: h.gap, itemStyle: { color: h.gap < 0 ? COLORS.danger : '#9fd3ae' } })),
          }]
        : []),
    ],
  };
}

function Plan({ plan, inputs, days }: { plan: StaffingPlan; inputs: PlannerInputs; days: number }) {
  const option = useMemo(() => planOption(plan), [plan]);
  const summary = planSummary(plan);
  const g = plan.gap;
  const rows = plan.plan.map((h, i) => ({ h, r: g?.hours[i] }));
  return (
    <>
      <Stats
        label="Staffing figures"
        items={[
          { label: 'Contacts per week', value: fmtCount(Math.round(plan.totals.volume_per_week * 10) / 10), sub: `averaged over ${(days / 7).toLocaleString(undefined, { maximumFractionDigits: 1 })} weeks` },
          {
            label: 'Handling time', value: fmtSec(plan.aht.aht_s), testId: 'aht-used', title: plan.aht.summary,
            sub: plan.aht.source === 'measured' ? `measured from ${fmtCount(plan.aht.measured.n)} replies` : plan.aht.reason === 'override' ? 'set by hand' : `set by hand: ${fmtCount(plan.aht.measured.n)} of ${fmtCount(plan.aht.min_samples)} replies measured`,
          },
          { label: 'Head-hours needed', value: fmtCount(plan.totals.scheduled_head_hours), sub: peakShort(plan) },
          ...(g
            ? [
                { label: 'Short hours', value: `${g.shortHours.length} of 168`, sub: `${fmtCount(g.shortHeadHours)} head-hours missing`, tone: g.shortHours.length ? ('bad' as const) : ('good' as const), testId: 'short-hours' },
                { label: 'Contacts in hours meeting target', value: fmtPct(g.volumeShareMeetingTarget), sub: `target ${inputs.sl} % within ${inputs.within} min`, testId: 'meeting-target' },
              ]
            : []),
        ]}
      />
      <Chart option={option} className={g ? 'chart-plan' : 'chart-plan-small'} label={`Chart of heads needed per hour of week${g ? ' against the saved roster, with the gap below' : ''}. ${summary}`} testId="staffing-chart" />
      <p className="chart-caption" data-testid="staffing-summary">
        {summary} Model: {plan.model === 'erlang-a' ? 'Erlang A' : 'Erlang C'}; {plan.aht.summary}{plan.aht.concurrency !== inputs.conc ? ` (concurrency ${plan.aht.concurrency})` : ''}; times in {plan.timezone}.
      </p>
      <p className="chart-caption" data-testid="staffing-assumptions">
        {planAssumptions(plan, inputs)}
      </p>
      {!g && <Note>No roster is saved yet. Build one below (for example from the plan) and save it to see the gap.</Note>}
      <ChartNumbers label="Show the plan hour by hour">
        <DataTable
          caption="Plan per hour of week"
          captionHidden
          columns={[
            { key: 'hour', label: 'Hour', render: (x) => fmtHourOfWeek(x.h.hourOfWeek, true) },
            { key: 'vol', label: 'Contacts', numeric: true, render: (x) => fmtCount(Math.round(x.h.volume * 10) / 10) },
            { key: 'agents', label: 'Agents needed', numeric: true, render: (x) => fmtCount(x.h.agents) },
            { key: 'heads', label: 'Heads needed', numeric: true, render: (x) => fmtCount(x.h.scheduled) },
            { key: 'asa', label: 'Mean wait (plan)', numeric: true, render: (x) => (x.h.volume ? fmtSec(x.h.asaS) : '—') },
            ...(g
              ? [
                  { key: 'rostered', label: 'Rostered', numeric: true, render: (x: (typeof rows)[number]) => fmtCount(x.r!.rostered) },
                  { key: 'gap', label: 'Gap', numeric: true, render: (x: (typeof rows)[number]) => (x.r!.gap > 0 ? `+${x.r!.gap}` : String(x.r!.gap)) },
                  { key: 'sl', label: 'Service level (roster)', numeric: true, render: (x: (typeof rows)[number]) => (x.h.volume ? fmtPct(x.r!.serviceLevel) : '—') },
                ]
              : []),
          ]}
          rows={rows}
          rowKey={(x) => x.h.hourOfWeek}
        />
      </ChartNumbers>
    </>
  );
}
