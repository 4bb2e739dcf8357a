/**
 * One polite live region for the whole app: short spoken notes that have no visible place
 * of their own, or whose visible place appears together with its text (a region inserted
 * with its content is often not read). Screen readers read it when idle; focus never moves.
 * Saying the same words twice is read twice (a no-break space alternates at the end).
 */
import { useSyncExternalStore } from 'react';

let message = '';
let flip = false;
const listeners = new Set<() => void>();

/** Say `text` politely (replaces what was waiting to be said). */
export function announce(text: string): void {
  flip = !flip;
  message = text + (flip ? '\u00a0' : '');
  for (const l of listeners) l();
}

function subscribe(l: () => void) {
  listeners.add(l);
  return () => {
    listeners.delete(l);
  };
}

/** Mount once, at the root. */
export function Announcer() {
  const text = useSyncExternalStore(subscribe, () => message);
  return (
    <div className="visually-hidden" role="status" aria-live="polite" aria-atomic="true" data-announcer="">
      {text}
    </div>
  );
}
