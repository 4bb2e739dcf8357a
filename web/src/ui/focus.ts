/**
 * Where focus goes when a control removes its own row (an hours interval, a key/value row):
 * to the row that took its place, else the one before it, else the group's Add button,
 * never to the page. Remove buttons carry `data-removes="<group>"`, the Add button
 * `data-adds="<group>"`; call this from the Remove button's click, after the state change.
 */
export function focusAfterRemoving(group: string, index: number): void {
  setTimeout(() => {
    const active = document.activeElement;
    // rows keyed by position: the same button now removes the next row, and still has focus
    if (active && active !== document.body && active.isConnected) return;
    const g = CSS.escape(group);
    const rows = [...document.querySelectorAll<HTMLElement>(`[data-removes="${g}"]`)];
    (rows[Math.min(index, rows.length - 1)] ?? document.querySelector<HTMLElement>(`[data-adds="${g}"]`))?.focus();
  }, 0);
}
