/**
 * "What if we had two more agents on Monday mornings?": replay the period's real
 * arrivals against the roster as it is and as adjusted (same seed, so the same
 * customers), and compare service level, waits, occupancy and abandonment.
 */
import { useId, useState, type FormEvent } from 'react';
import { useSimulation, type SimResult, type StaffingParams, type StaffingPlan } from '../api/reports.js';
import { fmtCount, fmtPct, fmtSec } from './format.js';
import { HourRange, hoursOf, type HourSpan } from './HourRange.js';
import type { PlannerInputs } from './StaffingSection.js';
import { Note, Stats } from './ui.js';

type Which = 'span' | 'short';

export function WhatIf({ params, roster, plan, inputs }: { params: StaffingParams; roster: number[]; plan: StaffingPlan; inputs: PlannerInputs }) {
  const id = useId();
  const sim = useSimulation();
  const [which, setWhich] = useState<Which>('span');
  const [span, setSpan] = useState<HourSpan>({ days: '0', from: 9, to: 12 });
  const [delta, setDelta] = useState('2');
  const [error, setError] = useState<string | null>(null);
  // hours short of the plan, with the roster as edited
  const short = plan.plan.filter((h) => (roster[h.hourOfWeek] ?? 0) < h.scheduled).map((h) => h.hourOfWeek);
  const empty = roster.every((r) => r === 0);

  const run = (e: FormEvent) => {
    e.preventDefault();
    const d = Number(delta);
    if (!Number.isInteger(d) || d === 0 || Math.abs(d) > 1000) return setError('The change must be a whole number of heads, not 0 (e.g. 2 or −1).');
    const hours = which === 'short' ? short : hoursOf(span);
    if (!hours.length) return setError(which === 'short' ? 'No hour is short of the plan.' : 'Pick at least one hour.');
    setError(null);
    sim.mutate({ base: { ...params, roster }, adjust: [{ hours, delta: d }] });
  };

  return (
    <div className="what-if">
      {empty && <Note tone="warn">The roster is empty: with nobody on shift every contact goes unanswered. Fill the roster above first.</Note>}
      <form className="what-if-form" onSubmit={run} aria-describedby={error ? `${id}-err` : undefined}>
        <fieldset className="radio-row">
          <legend>Hours to change</legend>
          <label>
            <input type="radio" name={`${id}-which`} checked={which === 'span'} onChange={() => setWhich('span')} /> These hours
          </label>
          <label>
            <input type="radio" name={`${id}-which`} checked={which === 'short'} onChange={() => setWhich('short')} disabled={short.length === 0} /> The hours short of the plan ({short.length})
          </label>
        </fieldset>
        {which === 'span' && <HourRange value={span} onChange={setSpan} legend="Hours to change" />}
        <span className="inline-field">
          <label htmlFor={`${id}-delta`}>Change in heads</label>
          <input id={`${id}-delta`} type="number" min={-1000} max={1000} step={1} value={delta} onChange={(e) => setDelta(e.target.value)} className="narrow" />
        </span>
        <button type="submit" className="btn btn-primary btn-small" disabled={sim.isPending}>
          {sim.isPending ? 'Simulating…' : 'Run simulation'}
        </button>
        {error && (
          <span id={`${id}-err`} className="form-error" role="alert">
            {error}
          </span>
        )}
      </form>
      {sim.isError && (
        <p className="report-state report-error" role="alert">
          Could not simulate: {(sim.error as Error).message}
        </p>
      )}
      <div aria-live="polite">
        {sim.data && <Comparison base={sim.data.baseline.result} alt={sim.data.whatIf.result} arrivals={sim.data.baseline.arrivals} change={describeChange(sim.variables!.adjust[0]!)} inputs={inputs} />}
      </div>
    </div>
  );
}

function describeChange(a: { hours: number[]; delta: number }): string {
  const n = Math.abs(a.delta);
  return `${a.delta > 0 ? `${n} more` : `${n} fewer`} head${n === 1 ? '' : 's'} in ${a.hours.length} hour${a.hours.length === 1 ? '' : 's'} of the week`;
}

const points = (a: number, b: number) => {
  const p = (b - a) * 100;
  if (Math.abs(p) < 0.05) return 'no change';
  return `${p > 0 ? '+' : '−'}${Math.abs(p).toFixed(1)} points`;
};

function Comparison({ base, alt, arrivals, change, inputs }: { base: SimResult; alt: SimResult; arrivals: number; change: string; inputs: PlannerInputs }) {
  const better = alt.serviceLevel > base.serviceLevel;
  const rows: { label: string; a: string; b: string; diff: string; testId?: string }[] = [
    { label: `Service level (answered within ${inputs.within} min)`, a: fmtPct(base.serviceLevel), b: fmtPct(alt.serviceLevel), diff: points(base.serviceLevel, alt.serviceLevel), testId: 'sl' },
    { label: 'Mean wait (answered)', a: fmtSec(base.wait.meanS), b: fmtSec(alt.wait.meanS), diff: '' },
    { label: 'Median wait', a: fmtSec(base.wait.p50S), b: fmtSec(alt.wait.p50S), diff: '' },
    { label: '90th percentile wait', a: fmtSec(base.wait.p90S), b: fmtSec(alt.wait.p90S), diff: '' },
    { label: 'Occupancy', a: fmtPct(base.occupancy), b: fmtPct(alt.occupancy), diff: points(base.occupancy, alt.occupancy) },
    ...(inputs.patience ? [{ label: 'Abandoned', a: fmtPct(base.abandonRate), b: fmtPct(alt.abandonRate), diff: points(base.abandonRate, alt.abandonRate) }] : []),
    { label: 'Answered / offered', a: `${fmtCount(base.answered)} / ${fmtCount(base.offered)}`, b: `${fmtCount(alt.answered)} / ${fmtCount(alt.offered)}`, diff: '' },
  ];
  return (
    <div className="comparison" data-testid="what-if-result">
      <Stats
        label="Simulated service level"
        items={[
          { label: 'Service level now', value: fmtPct(base.serviceLevel), testId: 'sl-baseline' },
          { label: 'With the change', value: fmtPct(alt.serviceLevel), sub: points(base.serviceLevel, alt.serviceLevel), tone: better ? 'good' : alt.serviceLevel < base.serviceLevel ? 'bad' : undefined, testId: 'sl-what-if' },
        ]}
      />
      <div className="table-wrap">
        <table className="report-table compare-table">
          <caption>
            {arrivals.toLocaleString()} real arrivals replayed: the roster as it is vs {change}.
          </caption>
          <thead>
            <tr>
              <th scope="col">Measure</th>
              <th scope="col" className="num">
                Roster
              </th>
              <th scope="col" className="num">
                What if
              </th>
              <th scope="col" className="num">
                Change
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.label} data-testid={r.testId}>
                <th scope="row">{r.label}</th>
                <td className="num">{r.a}</td>
                <td className="num">{r.b}</td>
                <td className="num">{r.diff}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
