/**
 * The end of a dialog's form: what went wrong, read out at once (`FormError`), and its buttons
 * (`DialogButtons`): the action, which submits the form, and Cancel, which closes it having done
 * nothing.
 */
import type { ReactNode } from 'react';

export function FormError({ error }: { error: string | null | undefined }) {
  if (!error) return null;
  return (
    <p className="form-error" role="alert">
      {error}
    </p>
  );
}

/** `small`: the compact buttons of a form inside a page (a settings row), not a dialog's. */
export function DialogButtons({ children, disabled, tone = 'primary', small, onCancel }: { children: ReactNode; disabled?: boolean; tone?: 'primary' | 'danger'; small?: boolean; onCancel: () => void }) {
  const size = small ? ' btn-small' : '';
  return (
    <div className="row-gap">
      <button type="submit" className={`btn btn-${tone}${size}`} disabled={disabled}>
        {children}
      </button>
      <button type="button" className={`btn btn-ghost${size}`} onClick={onCancel}>
        Cancel
      </button>
    </div>
  );
}
