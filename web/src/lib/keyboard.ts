/**
 * Single-key shortcuts (j/k, r, n, a, e, /, ?): active unless the agent is typing in a
 * field, a modifier key is held, or a modal dialog is open (it owns the keyboard then).
 */
import { useEffect, useRef } from 'react';

export interface Shortcut {
  keys: string;
  label: string;
}

/** The shortcut sheet shown by "?" (and the source of truth for the help text). */
export const SHORTCUTS: Shortcut[] = [
  { keys: 'j / k', label: 'Next / previous conversation in the list' },
  { keys: 'Enter', label: 'Open the highlighted conversation' },
  { keys: 'x', label: 'Select / unselect the highlighted conversation (bulk actions)' },
  { keys: 'r', label: 'Reply (publicly, or privately in a private conversation)' },
  { keys: 'p', label: 'Reply privately' },
  { keys: 'n', label: 'Add an internal note' },
  { keys: 'a', label: 'Assign…' },
  { keys: 'e', label: 'Resolve the open conversation' },
  { keys: 's', label: 'Snooze…' },
  { keys: '/', label: 'Search messages' },
  { keys: 'g then i / m / t / w / a', label: 'Go to Open / Mine / My team / Waiting / All' },
  { keys: 'Ctrl + Enter', label: 'Send (in the composer)' },
  { keys: 'Esc', label: 'Leave a field, close a dialog, go back to the thread (on a phone), clear the selection (then the search)' },
  { keys: '?', label: 'Show these shortcuts' },
];

export function isTypingTarget(t: EventTarget | null): boolean {
  if (!(t instanceof HTMLElement)) return false;
  if (t.isContentEditable) return true;
  const tag = t.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag === 'INPUT') {
    const type = (t as HTMLInputElement).type;
    return !['checkbox', 'radio', 'button', 'submit', 'reset'].includes(type);
  }
  return false;
}

/** Bind single keys (matched on `event.key`). Handlers get the event; return false to let it through. */
export function useHotkeys(map: Record<string, (e: KeyboardEvent) => boolean | void>): void {
  const ref = useRef(map);
  ref.current = map;
  useEffect(() => {
    let pendingG = 0;
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
      if (isTypingTarget(e.target)) {
        // "Esc: leave a field" (outside dialogs, where Esc closes the dialog): the keys work again
        if (e.key === 'Escape' && e.target instanceof HTMLElement && !e.target.closest('dialog')) e.target.blur();
        return;
      }
      if (document.querySelector('dialog[open]')) return;
      let key = e.key;
      if (pendingG && Date.now() - pendingG < 1500 && key.length === 1) key = `g ${key}`;
      pendingG = 0;
      if (key === 'g') {
        pendingG = Date.now();
        return;
      }
      const fn = ref.current[key];
      if (!fn) return;
      if (fn(e) === false) return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/**
 * Focus a list row's link once it is rendered (a virtual list renders it on a coming frame;
 * a few frames are tried). `latest` belongs to the list: a newer call makes an older one
 * still waiting give way, so j then k within a frame never lands on the first row, whose
 * focus would move the cursor back. It also gives way when focus has meanwhile been put
 * somewhere else on purpose (j then Enter within a frame focuses the conversation's heading,
 * which the row must not take back); focus that merely fell to the page does not count.
 */
export function focusRowLink(latest: { current: number }, container: HTMLElement | null, index: number): void {
  const generation = ++latest.current;
  const before = document.activeElement;
  const focus = (tries: number) => {
    if (generation !== latest.current) return;
    const now = document.activeElement;
    if (now !== before && now != null && now !== document.body && !(now instanceof HTMLElement && now.matches('a.row-link, .hit-row a'))) return;
    const a = container?.querySelector<HTMLAnchorElement>(`[data-index="${index}"] a.row-link`);
    if (a) a.focus({ preventScroll: true });
    else if (tries > 0) requestAnimationFrame(() => focus(tries - 1));
  };
  requestAnimationFrame(() => focus(5));
}
