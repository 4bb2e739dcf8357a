/**
 * Copy to the clipboard, saying beside the button whether it copied (a toast would be behind a
 * modal dialog); where the browser refuses (no clipboard outside a secure context: plain http on
 * another host than localhost), saying to select and copy by hand, with the field selected when
 * there is one.
 */
import { useEffect, useId, useRef, useState } from 'react';

export function CopyButton({ text, label = 'Copy', what, fieldId, small = true }: {
  text: string;
  /** The button's visible text. */
  label?: string;
  /** What is copied ("the link"): the failure note names it, and so does the button for a screen reader. */
  what: string;
  /** The field holding the text, selected when copying is refused. */
  fieldId?: string;
  small?: boolean;
}) {
  const [note, setNote] = useState('');
  return (
    <>
      <button
        type="button"
        className={small ? 'btn btn-small' : 'btn'}
        onClick={() => {
          setNote('');
          (navigator.clipboard?.writeText(text) ?? Promise.reject(new Error('no clipboard'))).then(
            () => setNote('Copied.'),
            () => {
              setNote(`Could not copy here: select ${what} and copy it.`);
              if (fieldId) (document.getElementById(fieldId) as HTMLInputElement | null)?.select();
            },
          );
        }}
      >
        {label}
        {label === 'Copy' && <span className="visually-hidden"> {what}</span>}
      </button>
      {/* always there (a live region says what changes in it), out of the row's flow while empty */}
      <span role="status" className={note ? 'muted small' : 'visually-hidden'}>
        {note}
      </span>
    </>
  );
}

/** A value to copy: read-only (selected on focus), with its CopyButton. */
export function CopyField({ label, value, what, labelClass = 'field-label' }: { label: string; value: string; what: string; labelClass?: string }) {
  const id = useId();
  return (
    <div className="field">
      <label htmlFor={id} className={labelClass}>
        {label}
      </label>
      <div className="copy-field">
        <input id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <CopyButton text={value} what={what} fieldId={id} />
      </div>
    </div>
  );
}

/**
 * A secret shown this once (a new API token, a webhook's signing secret): what it is, the secret
 * selected in a read-only field that takes the focus, and Done. `children` says what it is.
 */
export function SecretShownOnce({ secret, label, onDone, children }: { secret: string; label: string; onDone: () => void; children: React.ReactNode }) {
  const ref = useRef<HTMLInputElement>(null);
  useEffect(() => ref.current?.focus(), [secret]);
  return (
    <div className="token-shown" role="status">
      <p>{children}: copy it now, it is not shown again.</p>
      <input ref={ref} readOnly value={secret} aria-label={label} onFocus={(e) => e.currentTarget.select()} className="token-secret" />
      <div>
        <button type="button" className="btn" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}
