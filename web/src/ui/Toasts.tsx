/**
 * Short confirmations and errors, announced to screen readers (aria-live). A toast may echo
 * a server's message that quotes outside text (a title, a handle): it is shown as text, with
 * direction overrides and control codes visible instead of applied.
 */
import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from 'react';
import { SafeText } from '../lib/SafeText.js';
import { clip } from '../lib/format.js';

type Kind = 'info' | 'error';
interface Toast {
  id: number;
  text: string;
  kind: Kind;
}

const Ctx = createContext<(text: string, kind?: Kind) => void>(() => {});

export function useToast() {
  return useContext(Ctx);
}

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const seq = useRef(0);
  const push = useCallback((text: string, kind: Kind = 'info') => {
    const id = ++seq.current;
    setToasts((ts) => [...ts.slice(-3), { id, text, kind }]);
    setTimeout(() => setToasts((ts) => ts.filter((t) => t.id !== id)), kind === 'error' ? 8000 : 4000);
  }, []);
  const value = useMemo(() => push, [push]);
  return (
    <Ctx.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`}>
            <SafeText text={clip(t.text, 600)} linkify={false} fold={false} />
          </div>
        ))}
      </div>
    </Ctx.Provider>
  );
}
