/**
 * What of a message's raw network payload survives raw payload retention
 * (`retention.rawPayloadDays`, src/jobs/housekeeping.ts), by network. Each network says in its
 * own folder which keys its connector reads when it answers or acts on an old message (ids
 * only: never text, names or profile data); a network not listed here keeps nothing.
 *
 * Email keeps no text, subject or address: replying reads the answered mail again from the
 * mailbox when its payload is gone (src/channels/email/index.ts `lookupParent`). It keeps keyed
 * hashes of the addresses it was from, to and cc'd (src/channels/email/threading.ts), so a
 * colleague the customer copied in may still answer by reference; without the instance key
 * (`deriveKey` not given) it keeps nothing.
 */
import type { Network } from '../core/types.js';
import { retainBlueskyRaw } from './bluesky/retain.js';
import { EMAIL_PARTICIPANT_PURPOSE, retainEmailRaw } from './email/threading.js';
import { retainFacebookRaw } from './facebook/retain.js';
import { retainInstagramRaw } from './instagram/retain.js';

/** Keys derived from the instance secret, by purpose (`SecretBox.deriveKey`). */
export type DeriveKey = (purpose: string) => Buffer;

/** A network's payload → the subset its connector still needs later, or null for nothing. Pure. */
export type RetainRaw = (raw: unknown, deriveKey: DeriveKey | null) => Record<string, unknown> | null;

const RETAINERS: Partial<Record<Network, RetainRaw>> = {
  instagram: retainInstagramRaw,
  facebook: retainFacebookRaw,
  bluesky: retainBlueskyRaw,
  email: (raw, deriveKey) => retainEmailRaw(raw, deriveKey?.(EMAIL_PARTICIPANT_PURPOSE) ?? null),
};

/**
 * The key that opens every payload retention kept (`{"parley:retained":<ms>,...}`): the sweep
 * tells a row it already trimmed from one still holding the network's payload by it, and the
 * connectors ignore it.
 */
export const RETAINED_MARK = 'parley:retained';

/**
 * The stored text that replaces `raw` (a parsed payload) once it expires, or null to clear it.
 * The kept object is stored with RETAINED_MARK first. `deriveKey` (the instance secret's) is
 * needed for what is kept keyed (email's participant hashes).
 */
export function retainedRaw(network: string, raw: unknown, now: number, deriveKey: DeriveKey | null = null): string | null {
  const retain = RETAINERS[network as Network];
  if (!retain) return null;
  const kept = retain(raw, deriveKey);
  return kept ? JSON.stringify({ [RETAINED_MARK]: now, ...kept }) : null;
}
