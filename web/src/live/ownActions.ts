/**
 * Conversations this tab has just changed (an action's request is on its way): the live
 * events those changes cause are the agent's own doing, not news to tell them about.
 */
const OWN_MS = 15_000;
const recent = new Map<number, number>();

/** Remember that this tab is changing these conversations now. */
export function markOwnChange(ids: readonly number[], now = Date.now()): void {
  if (recent.size > 5_000) for (const [id, at] of recent) if (now - at > OWN_MS) recent.delete(id);
  for (const id of ids) recent.set(id, now);
}

/** Whether this tab changed the conversation within the last few seconds. */
export function isOwnChange(id: number, now = Date.now()): boolean {
  const at = recent.get(id);
  return at != null && now - at <= OWN_MS;
}
