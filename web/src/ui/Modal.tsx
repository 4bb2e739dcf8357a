/**
 * A modal dialog on the native <dialog> element: focus moves in and is trapped, Esc
 * closes, the rest of the page is inert, and focus returns where it was on close.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';

export function Modal({ open, onClose, title, children, className, description }: { open: boolean; onClose: () => void; title: string; children: ReactNode; className?: string; description?: string }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const returnTo = useRef<Element | null>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      returnTo.current = document.activeElement;
      d.showModal();
      // React does not render `autoFocus` as an attribute, so the dialog would focus its
      // close button; move focus to the control marked data-autofocus instead.
      d.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    } else if (!open && d.open) {
      d.close();
    }
  }, [open]);
  useEffect(() => {
    if (open) return;
    const el = returnTo.current;
    returnTo.current = null;
    if (el instanceof HTMLElement && el.isConnected) el.focus();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className={className ? `modal ${className}` : 'modal'}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      onClose={() => open && onClose()}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
      onMouseDown={(e) => {
        if (e.target === ref.current) onClose();
      }}
    >
      <div className="modal-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {description && (
        <p id={descId} className="muted modal-desc">
          {description}
        </p>
      )}
      {open && <div className="modal-body">{children}</div>}
    </dialog>
  );
}

/**
 * A yes/no question before an action that is hard to undo (closing an incident, disabling a
 * channel): the consequence in the description, the action's own name on the button that
 * does it, focus on Cancel so Enter does not confirm by accident.
 */
export function ConfirmDialog({ open, onClose, onConfirm, title, description, confirmLabel, busy, danger }: {
  open: boolean;
  onClose: () => void;
  onConfirm: () => void;
  title: string;
  description: string;
  confirmLabel: string;
  busy?: boolean;
  danger?: boolean;
}) {
  return (
    <Modal open={open} onClose={onClose} title={title} description={description} className="confirm-dialog">
      <div className="row-gap">
        <button type="button" className={danger ? 'btn btn-danger' : 'btn btn-primary'} disabled={busy} onClick={onConfirm}>
          {confirmLabel}
        </button>
        <button type="button" className="btn btn-ghost" data-autofocus onClick={onClose}>
          Cancel
        </button>
      </div>
    </Modal>
  );
}
