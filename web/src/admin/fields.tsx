/** Form pieces the settings pages share: list inputs, key/value rows, server problems. */
import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client.js';
import { focusAfterRemoving } from '../ui/focus.js';

/** A comma-separated list edited as text, reported as trimmed, non-empty items. */
export function ListInput({ label, value, onChange, placeholder, disabled, hint }: { label: string; value: string[] | null | undefined; onChange: (v: string[]) => void; placeholder?: string; disabled?: boolean; hint?: string }) {
  const id = useId();
  const joined = (value ?? []).join(', ');
  const [text, setText] = useState(joined);
  useEffect(() => {
    // follow outside changes, but do not fight the cursor while typing
    if (split(text).join(', ') !== joined) setText(joined);
  }, [joined]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className="field">
      <label htmlFor={id}>
        <span className="field-label">{label}</span>
      </label>
      <input id={id} value={text} placeholder={placeholder} disabled={disabled} aria-describedby={hint ? `${id}-hint` : undefined} onChange={(e) => (setText(e.target.value), onChange(split(e.target.value)))} />
      {hint && (
        <span id={`${id}-hint`} className="muted small">
          {hint}
        </span>
      )}
    </div>
  );
}

export const split = (s: string) =>
  s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);

export interface KV {
  key: string;
  value: string;
}

/**
 * Rows of key and value (credentials, settings); values may be secret (password inputs).
 * `errorOf` gives a row's problem from the server, shown under it and tied to its inputs.
 */
export function KeyValueRows({ legend, rows, onChange, secret, disabled, keyPlaceholder, valuePlaceholder, errorOf, hint }: { legend: string; rows: KV[]; onChange: (rows: KV[]) => void; secret?: boolean; disabled?: boolean; keyPlaceholder?: string; valuePlaceholder?: string; errorOf?: (row: KV) => string | undefined; hint?: ReactNode }) {
  const set = (i: number, patch: Partial<KV>) => onChange(rows.map((r, j) => (j === i ? { ...r, ...patch } : r)));
  const group = `kv-${useId()}`;
  return (
    <fieldset className="field kv" disabled={disabled}>
      <legend>{legend}</legend>
      {hint && <p className="muted small">{hint}</p>}
      {rows.map((r, i) => {
        const error = errorOf?.(r);
        return (
          <div key={i} className="kv-row">
            <label className="visually-hidden" htmlFor={`${legend}-k-${i}`}>
              {legend} {i + 1}: name
            </label>
            <input id={`${legend}-k-${i}`} value={r.key} placeholder={keyPlaceholder ?? 'name'} onChange={(e) => set(i, { key: e.target.value })} autoComplete="off" aria-invalid={error ? true : undefined} aria-describedby={error ? `${legend}-e-${i}` : undefined} />
            <label className="visually-hidden" htmlFor={`${legend}-v-${i}`}>
              {legend} {i + 1}: value
            </label>
            <input id={`${legend}-v-${i}`} type={secret ? 'password' : 'text'} value={r.value} placeholder={valuePlaceholder ?? 'value'} onChange={(e) => set(i, { value: e.target.value })} autoComplete={secret ? 'new-password' : 'off'} aria-invalid={error ? true : undefined} aria-describedby={error ? `${legend}-e-${i}` : undefined} />
            <button
              type="button"
              className="btn btn-small btn-ghost"
              data-removes={group}
              onClick={() => {
                onChange(rows.filter((_, j) => j !== i));
                focusAfterRemoving(group, i);
              }}
              aria-label={`Remove ${legend} row ${i + 1}`}
            >
              Remove
            </button>
            {error && (
              <span id={`${legend}-e-${i}`} className="field-error">
                {error}
              </span>
            )}
          </div>
        );
      })}
      <button type="button" className="btn btn-small" data-adds={group} onClick={() => onChange([...rows, { key: '', value: '' }])}>
        Add a row
      </button>
    </fieldset>
  );
}

/** Key/value rows as an object; values that look like JSON (numbers, booleans) are parsed. */
export function kvToObject(rows: KV[], parse = false): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of rows) {
    const k = r.key.trim();
    if (!k) continue;
    if (parse && /^(true|false|-?\d+(\.\d+)?)$/.test(r.value.trim())) out[k] = JSON.parse(r.value.trim());
    else out[k] = r.value;
  }
  return out;
}

/** One listed validation error as text: `{ path, message }` from request validation, or a plain string. */
export function problemText(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e) {
    const path = String((e as { path?: unknown }).path ?? '').replace(/^body\/?/, '');
    return path ? `${path.replace(/\//g, '.')}: ${String((e as { message: unknown }).message)}` : String((e as { message: unknown }).message);
  }
  return String(e);
}

/** Validation errors by field, the `body/` prefix dropped (`settings/keywords` → its message), for showing them inline. */
export function fieldErrors(error: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!(error instanceof ApiError) || !Array.isArray(error.body.errors)) return out;
  for (const e of error.body.errors as unknown[]) {
    if (!e || typeof e !== 'object' || !('path' in e)) continue;
    const path = String((e as { path: unknown }).path).replace(/^body\/?/, '');
    const message = String((e as { message?: unknown }).message ?? '');
    out.set(path, out.has(path) ? `${out.get(path)}; ${message}` : message);
  }
  return out;
}

/** A server problem, with every listed validation error. */
export function Problem({ error }: { error: unknown }) {
  if (!error) return null;
  const errors = error instanceof ApiError && Array.isArray(error.body.errors) ? (error.body.errors as unknown[]).map(problemText) : null;
  return (
    <div className="form-error" role="alert">
      {errors && errors.length > 1 ? (
        <>
          <strong>Not saved:</strong>
          <ul>
            {errors.map((e, i) => (
              <li key={i}>{e}</li>
            ))}
          </ul>
        </>
      ) : (
        <>
          <strong>Not saved:</strong> {errors?.length === 1 ? errors[0] : (error as Error).message}
        </>
      )}
    </div>
  );
}

export function Section({ title, id, children, actions, description }: { title: string; id: string; children: ReactNode; actions?: ReactNode; description?: ReactNode }) {
  return (
    <section className="panel" aria-labelledby={id}>
      <div className="panel-head">
        {/* focusable from code: where focus goes when what had it is gone */}
        <h2 id={id} tabIndex={-1}>
          {title}
        </h2>
        {actions}
      </div>
      {description && <p className="muted small">{description}</p>}
      {children}
    </section>
  );
}

export function ReadOnlyNote({ what }: { what: string }) {
  return <p className="readonly-note small">You can see {what}; only admins change them.</p>;
}

/**
 * A button that opens a form in place (Add…, Edit): when the form closes, saved or
 * cancelled, and focus went with it, focus comes back to the button rather than the page.
 */
export function DisclosureButton({ open, onClick, children, controls, disabled }: { open: boolean; onClick: () => void; children: ReactNode; controls?: string; disabled?: boolean }) {
  const ref = useRef<HTMLButtonElement>(null);
  const was = useRef(open);
  useEffect(() => {
    if (was.current && !open) {
      const active = document.activeElement;
      if (!active || active === document.body) ref.current?.focus();
    }
    was.current = open;
  }, [open]);
  return (
    <button ref={ref} type="button" className="btn btn-small" aria-expanded={open} aria-controls={controls} disabled={disabled} onClick={onClick}>
      {children}
    </button>
  );
}

/**
 * An editor that opens away from the button that opened it (below the list): focus goes
 * to its heading (a Section's, by id) when it opens, and back to that button when it closes
 * and took focus with it. `editing`: what is being edited (null or undefined: closed).
 */
export function useEditorFocus(editing: unknown, headingId: string): void {
  const opener = useRef<HTMLElement | null>(null);
  useEffect(() => {
    if (editing) {
      const active = document.activeElement;
      if (active instanceof HTMLElement && active !== document.body && !document.getElementById(headingId)?.closest('section')?.contains(active)) opener.current = active;
      document.getElementById(headingId)?.focus();
    } else if (opener.current) {
      const active = document.activeElement;
      if ((!active || active === document.body) && opener.current.isConnected) opener.current.focus();
      opener.current = null;
    }
  }, [editing, headingId]);
}

/**
 * A settings table that may be wider than the screen (a phone): it scrolls sideways in its own
 * box, so neither the page nor the panel around it does. While it does scroll, the box is a
 * region named `label` in the tab order, so a keyboard user can focus it and scroll it with the
 * arrow keys (a box that fits is a plain box: no extra tab stop, no extra landmark).
 */
export function TableScroll({ label, children }: { label: string; children: ReactNode }) {
  const ref = useRef<HTMLDivElement>(null);
  const [scrolls, setScrolls] = useState(false);
  // re-measured after every render (rows come and go) and whenever the box or the table resizes
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    const check = () => setScrolls(el.scrollWidth > el.clientWidth + 1);
    check();
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(check);
    ro.observe(el);
    for (const child of el.children) ro.observe(child);
    return () => ro.disconnect();
  });
  return (
    <div ref={ref} className="table-scroll" {...(scrolls ? { role: 'region', 'aria-label': label, tabIndex: 0 } : {})}>
      {children}
    </div>
  );
}
