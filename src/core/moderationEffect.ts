/**
 * What moderation leaves in force: the actions done (not failed, unknown or pending), folded in
 * the order they were done, so the latest of hide/unhide, block/unblock, restrict/unrestrict and
 * mute/unmute wins and a delete is for good. Pure: the caller reads the rows (ordered by id) for the messages and
 * authors it cares about.
 */
export interface ModerationEffect {
  /** By message id: hidden (true) or unhidden (false) last; absent: never either. */
  hidden: Map<number, boolean>;
  deleted: Set<number>;
  /** By author identity id: blocked (true) or unblocked (false) last. */
  blocked: Map<number, boolean>;
  /** By author identity id: muted (true) or unmuted (false) last. */
  muted: Map<number, boolean>;
  /** By author identity id: restricted (true) or unrestricted (false) last (Instagram's restriction, recorded as done in the app). */
  restricted: Map<number, boolean>;
}

/** Actions on an author (not on one post), each with the one that undoes it: what a fold over an author's moderation reads. */
export const AUTHOR_ACTIONS = ['block', 'unblock', 'restrict', 'unrestrict', 'mute', 'unmute'] as const;

export function moderationEffect(done: Iterable<{ action: string; message_id: number | null; identity_id: number | null }>): ModerationEffect {
  const e: ModerationEffect = { hidden: new Map(), deleted: new Set(), blocked: new Map(), muted: new Map(), restricted: new Map() };
  for (const a of done) {
    if (a.action === 'block' || a.action === 'unblock') {
      if (a.identity_id != null) e.blocked.set(a.identity_id, a.action === 'block');
    } else if (a.action === 'mute' || a.action === 'unmute') {
      if (a.identity_id != null) e.muted.set(a.identity_id, a.action === 'mute');
    } else if (a.action === 'restrict' || a.action === 'unrestrict') {
      if (a.identity_id != null) e.restricted.set(a.identity_id, a.action === 'restrict');
    } else if (a.message_id != null) {
      if (a.action === 'delete') e.deleted.add(a.message_id);
      else if (a.action === 'hide' || a.action === 'unhide') e.hidden.set(a.message_id, a.action === 'hide');
    }
  }
  return e;
}
