/**
 * Short confirmations and errors, announced to screen readers (aria-live). A toast may echo
 * a server's message that quotes outside text (a title, a handle): it is shown as text, with
 * direction overrides and control codes visible instead of applied.
 *
 * A toast may carry one action ("Undo"): a real button, reached with Tab (the toasts are the
 * page's last stop), named in what is announced, and the toast stays while it has focus or the
 * pointer (its time does not run out under someone about to press it). Pressed, the toast goes
 * and focus returns to where it was when the toast came (else it would fall to the page).
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { SafeText } from '../lib/SafeText.js';
import { clip } from '../lib/format.js';

type Kind = 'info' | 'error';

/** What a toast's button does (one a toast). */
export interface ToastAction {
  /** The button's words ("Undo"). */
  label: string;
  /** The button's accessible name when the label alone says too little ("Undo resolving"). */
  name?: string;
  run: () => void;
}

export interface ToastOptions {
  action?: ToastAction;
  /** How long it shows (ms); by default 4 s, 8 s for an error, 10 s with an action. */
  ms?: number;
}

interface Toast {
  id: number;
  text: string;
  kind: Kind;
  action?: ToastAction;
  /** What had focus when the toast came: focus goes back there after its action. */
  from: Element | null;
}

type Push = (text: string, kind?: Kind, opts?: ToastOptions) => void;
const Ctx = createContext<Push>(() => {});

export function useToast() {
  return useContext(Ctx);
}

/** With an action: long enough to read it and reach the button. */
export const ACTION_TOAST_MS = 10_000;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const seq = useRef(0);
  const region = useRef<HTMLDivElement>(null);
  const timers = useRef(new Map<number, ReturnType<typeof setTimeout>>());
  /** Stop a toast's timer. */
  const forget = useCallback((id: number) => {
    const t = timers.current.get(id);
    if (t) clearTimeout(t);
    timers.current.delete(id);
  }, []);
  const drop = useCallback(
    (id: number) => {
      forget(id);
      setToasts((ts) => ts.filter((x) => x.id !== id));
    },
    [forget],
  );
  /** End the toast after `ms`, unless it holds focus or the pointer then (it is looked at again a moment later). */
  const expireIn = useCallback(
    (id: number, ms: number) => {
      timers.current.set(
        id,
        setTimeout(() => {
          const el = region.current?.querySelector(`[data-toast-id="${id}"]`);
          if (el && (el.contains(document.activeElement) || el.matches(':hover'))) expireIn(id, 1_500);
          else drop(id);
        }, ms),
      );
    },
    [drop],
  );
  const push = useCallback<Push>(
    (text, kind = 'info', opts = {}) => {
      const id = ++seq.current;
      const toast: Toast = { id, text, kind, action: opts.action, from: typeof document !== 'undefined' ? document.activeElement : null };
      setToasts((ts) => {
        // (only the last few stay; the ones pushed out lose their timers too)
        const kept = ts.slice(-3);
        for (const gone of ts.slice(0, -3)) forget(gone.id);
        return [...kept, toast];
      });
      expireIn(id, opts.ms ?? (opts.action ? ACTION_TOAST_MS : kind === 'error' ? 8000 : 4000));
    },
    [expireIn, forget],
  );
  useEffect(() => {
    const all = timers.current;
    return () => {
      for (const t of all.values()) clearTimeout(t);
      all.clear();
    };
  }, []);
  const value = useMemo(() => push, [push]);
  return (
    <Ctx.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite" ref={region}>
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}${t.action ? ' toast-with-action' : ''}`} data-toast-id={t.id}>
            <SafeText text={clip(t.text, 600)} linkify={false} fold={false} />
            {t.action && (
              <button
                type="button"
                className="toast-action"
                aria-label={t.action.name}
                onClick={() => {
                  const action = t.action!;
                  const hadFocus = region.current?.contains(document.activeElement) ?? false;
                  drop(t.id);
                  if (hadFocus && t.from instanceof HTMLElement && t.from.isConnected && t.from !== document.body) t.from.focus({ preventScroll: true });
                  action.run();
                }}
              >
                {t.action.label}
              </button>
            )}
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}
