/**
 * The roster: heads on shift for each of the 168 hours of the week (7 × 24 grid, Monday
 * first), with fill helpers (a span of days and hours, the plan's heads, clear) and save
 * (PUT /api/staffing/roster; approvers and admins). Cells below the plan are marked.
 */
import { useId, useState } from 'react';
import { useSaveRoster, type StaffingPlan } from '../api/reports.js';
import { useToast } from '../ui/Toasts.js';
import { DAY_NAMES, DAY_SHORT, fmtCount } from './format.js';
import { describeSpan, HourRange, hoursOf, type HourSpan } from './HourRange.js';

/**
 * Where the roster being edited stands: edited since it was saved, saved, or there is none
 * (nothing saved and nothing edited: there is nothing to save, so not "not saved yet").
 */
function rosterState(dirty: boolean, saved: number[] | null): string {
  if (dirty) return ' · unsaved changes';
  return saved ? ' · saved' : ' · no roster yet';
}

const HOURS = Array.from({ length: 24 }, (_, h) => h);
const pad = (h: number) => String(h).padStart(2, '0');

export function RosterEditor({ roster, saved, plan, canSave, dirty, onChange, onSaved, onRevert }: {
  roster: number[];
  saved: number[] | null;
  plan: StaffingPlan;
  canSave: boolean;
  dirty: boolean;
  onChange: (r: number[]) => void;
  onSaved: () => void;
  onRevert: () => void;
}) {
  const id = useId();
  const toast = useToast();
  const save = useSaveRoster();
  const [span, setSpan] = useState<HourSpan>({ days: 'weekdays', from: 9, to: 17 });
  const [heads, setHeads] = useState('2');
  const needed = plan.plan.map((h) => h.scheduled);
  const short = roster.reduce((n, r, h) => n + (r < needed[h]! ? 1 : 0), 0);
  const total = roster.reduce((a, b) => a + b, 0);

  const set = (h: number, v: number) => {
    const next = [...roster];
    next[h] = v;
    onChange(next);
  };
  const fill = () => {
    const n = Number(heads);
    if (!Number.isInteger(n) || n < 0 || n > 10_000) return toast('Heads must be a whole number from 0 to 10,000.', 'error');
    const next = [...roster];
    for (const h of hoursOf(span)) next[h] = n;
    onChange(next);
  };
  const doSave = (r: number[] | null) =>
    save.mutate(r, {
      onSuccess: () => {
        onSaved();
        toast(r ? 'Roster saved' : 'Roster removed');
      },
      onError: (err) => toast(`Could not save the roster: ${(err as Error).message}`, 'error'),
    });

  return (
    <div className="roster">
      <div className="roster-tools" role="group" aria-label="Fill the roster">
        <HourRange value={span} onChange={setSpan} legend="Hours to fill" />
        <span className="inline-field">
          <label htmlFor={`${id}-heads`}>Heads</label>
          <input id={`${id}-heads`} type="number" min={0} max={10000} step={1} value={heads} onChange={(e) => setHeads(e.target.value)} className="narrow" />
        </span>
        <button type="button" className="btn btn-small" onClick={fill} title={`Set ${describeSpan(span)} to ${heads} heads`}>
          Fill
        </button>
        <span className="tools-sep" aria-hidden="true" />
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange([...needed])}>
          Copy the plan
        </button>
        <button type="button" className="btn btn-small btn-ghost" onClick={() => onChange(new Array<number>(168).fill(0))}>
          Clear
        </button>
      </div>
      <div className="table-wrap roster-wrap">
        <table className="roster-grid">
          <caption className="visually-hidden">Heads on shift per day and hour; the plan's heads needed are in each cell's description</caption>
          <thead>
            <tr>
              <th scope="col">Day</th>
              {HOURS.map((h) => (
                <th key={h} scope="col">
                  {pad(h)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {DAY_NAMES.map((day, d) => (
              <tr key={day}>
                <th scope="row">
                  <abbr title={day}>{DAY_SHORT[d]}</abbr>
                </th>
                {HOURS.map((h) => {
                  const i = d * 24 + h;
                  const v = roster[i] ?? 0;
                  const need = needed[i] ?? 0;
                  const cls = v < need ? 'short' : v > need ? 'over' : 'even';
                  return (
                    <td key={h} className={cls}>
                      <input
                        type="number"
                        min={0}
                        max={10000}
                        step={1}
                        value={v}
                        aria-label={`${day} ${pad(h)}:00, heads on shift (plan needs ${need})`}
                        title={`${day} ${pad(h)}:00 — plan needs ${need}`}
                        onChange={(e) => {
                          const n = Math.max(0, Math.min(10_000, Math.floor(Number(e.target.value) || 0)));
                          set(i, n);
                        }}
                        onFocus={(e) => e.target.select()}
                      />
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <div className="roster-foot">
        <span className="legend-item">
          <span className="swatch swatch-short" aria-hidden="true" /> below the plan
        </span>
        <span className="legend-item">
          <span className="swatch swatch-over" aria-hidden="true" /> above the plan
        </span>
        <span className="muted" aria-live="polite">
          {fmtCount(total)} head-hours a week; {fmtCount(short)} hour{short === 1 ? '' : 's'} below the plan{rosterState(dirty, saved)}
        </span>
        <span className="spacer" />
        {dirty && (
          <button type="button" className="btn btn-small btn-ghost" onClick={onRevert}>
            Revert
          </button>
        )}
        {canSave && saved && (
          <button type="button" className="btn btn-small btn-ghost" disabled={save.isPending} onClick={() => doSave(null)}>
            Remove saved roster
          </button>
        )}
        {canSave ? (
          <button type="button" className="btn btn-small btn-primary" disabled={save.isPending || (!dirty && !!saved)} onClick={() => doSave(roster)}>
            {save.isPending ? 'Saving…' : 'Save roster'}
          </button>
        ) : (
          <span className="muted small">Only approvers and admins can save the roster; your edits apply to the what-if below.</span>
        )}
      </div>
    </div>
  );
}
