/**
 * What of a message's raw network payload survives raw payload retention
 * (`retention.rawPayloadDays`, src/jobs/housekeeping.ts), by network. Each network says in its
 * own folder which keys its connector reads when it answers or acts on an old message (ids
 * only: never text, names or profile data); a network not listed here keeps nothing.
 *
 * Email keeps nothing on purpose: replying reads the answered mail again from the mailbox when
 * its payload is gone (src/channels/email/index.ts `lookupParent`), and what it would need
 * otherwise (addresses, subject, quoted text) is personal.
 */
import type { Network } from '../core/types.js';
import { retainBlueskyRaw } from './bluesky/retain.js';
import { retainFacebookRaw } from './facebook/retain.js';
import { retainInstagramRaw } from './instagram/retain.js';

/** A network's payload → the subset its connector still needs later, or null for nothing. Pure. */
export type RetainRaw = (raw: unknown) => Record<string, unknown> | null;

const RETAINERS: Partial<Record<Network, RetainRaw>> = {
  instagram: retainInstagramRaw,
  facebook: retainFacebookRaw,
  bluesky: retainBlueskyRaw,
};

/**
 * The key that opens every payload retention kept (`{"parley:retained":<ms>,...}`): the sweep
 * tells a row it already trimmed from one still holding the network's payload by it, and the
 * connectors ignore it.
 */
export const RETAINED_MARK = 'parley:retained';

/**
 * The stored text that replaces `raw` (a parsed payload) once it expires, or null to clear it.
 * The kept object is stored with RETAINED_MARK first.
 */
export function retainedRaw(network: string, raw: unknown, now: number): string | null {
  const retain = RETAINERS[network as Network];
  if (!retain) return null;
  const kept = retain(raw);
  return kept ? JSON.stringify({ [RETAINED_MARK]: now, ...kept }) : null;
}
