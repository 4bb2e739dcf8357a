/** Snooze: set the conversation to "waiting on customer" until a time (it reopens then). */
import { useId, useState } from 'react';
import { Modal } from '../ui/Modal.js';

function at(hour: number, addDays: number): Date {
  const d = new Date();
  d.setDate(d.getDate() + addDays);
  d.setHours(hour, 0, 0, 0);
  return d;
}

function nextMonday(): Date {
  const d = at(9, 1);
  while (d.getDay() !== 1) d.setDate(d.getDate() + 1);
  return d;
}

/** `YYYY-MM-DDTHH:mm` in local time, for <input type="datetime-local">. */
function localInput(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

export function SnoozeDialog({ open, onClose, onSnooze }: { open: boolean; onClose: () => void; onSnooze: (until: Date) => void }) {
  const presets: [string, () => Date][] = [
    ['In 1 hour', () => new Date(Date.now() + 3600_000)],
    ['In 4 hours', () => new Date(Date.now() + 4 * 3600_000)],
    ['Tomorrow 09:00', () => at(9, 1)],
    ['Next Monday 09:00', nextMonday],
  ];
  const [custom, setCustom] = useState(() => localInput(at(9, 1)));
  const [error, setError] = useState<string | null>(null);
  const errorId = useId();
  return (
    <Modal open={open} onClose={onClose} title="Snooze until…" description="The conversation waits on the customer and comes back at this time (or when they write).">
      <div className="snooze-presets">
        {presets.map(([label, fn], i) => (
          <button key={label} type="button" className="btn" data-autofocus={i === 0 ? true : undefined} onClick={() => onSnooze(fn())}>
            {label}
          </button>
        ))}
      </div>
      <form
        className="snooze-custom"
        onSubmit={(e) => {
          e.preventDefault();
          const d = new Date(custom);
          if (Number.isNaN(d.getTime()) || d.getTime() <= Date.now()) {
            setError('Pick a time in the future.');
            return;
          }
          onSnooze(d);
        }}
      >
        <label className="field">
          <span>Custom time</span>
          <input type="datetime-local" value={custom} min={localInput(new Date())} onChange={(e) => (setCustom(e.target.value), setError(null))} required aria-invalid={error ? true : undefined} aria-describedby={error ? errorId : undefined} />
        </label>
        {error && (
          <p id={errorId} className="form-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="btn btn-primary">
          Snooze
        </button>
      </form>
    </Modal>
  );
}
