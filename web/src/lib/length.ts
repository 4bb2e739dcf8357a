/**
 * The composer's length rules. Public replies follow each network's post rules from the
 * shared core module (X weighted like twitter-text v3, Bluesky graphemes, ...); private
 * messages have their own, longer limits on most networks.
 */
import { LENGTH_RULES, measure, splitIntoThread, type LengthRule, type Measurement } from '../../../src/core/textLength.js';
import type { Network } from '../../../src/core/types.js';

export type { Measurement };

// Direct-message limits: X DMs 10,000 characters; Messenger 2,000; Instagram DMs 1,000;
// Bluesky chat 1,000 graphemes. Mastodon "DMs" are posts with direct visibility.
const PRIVATE_RULES: Partial<Record<string, LengthRule>> = {
  x: { counter: 'code_points', limit: 10_000 },
  facebook: { counter: 'code_points', limit: 2_000 },
  instagram: { counter: 'code_points', limit: 1_000 },
  bluesky: { counter: 'graphemes', limit: 1_000 },
};

const FALLBACK: LengthRule = { counter: 'code_points', limit: 10_000 };

/** The rule a reply of this visibility on this network is held to. */
export function ruleFor(network: string, visibility: 'public' | 'private'): LengthRule {
  if (visibility === 'private') {
    const r = PRIVATE_RULES[network];
    if (r) return r;
  }
  return (LENGTH_RULES as Record<string, LengthRule | undefined>)[network as Network] ?? FALLBACK;
}

/** Length of a reply against its network's rule. Never throws. */
export function measureReply(network: string, visibility: 'public' | 'private', text: string): Measurement {
  return measure(ruleFor(network, visibility), text);
}

/** Parts of a thread for a too-long reply (empty when it cannot be split). */
export function splitReply(network: string, visibility: 'public' | 'private', text: string, numbering: boolean): string[] {
  try {
    return splitIntoThread(ruleFor(network, visibility), text, { numbering });
  } catch {
    return [];
  }
}

/** What the counter counts, in words. */
export function unitLabel(m: Measurement): string {
  switch (m.unit) {
    case 'twitter':
      return 'weighted characters (links count 23, some characters 2)';
    case 'graphemes':
      return 'characters';
    case 'mastodon':
      return 'characters (links count 23)';
    default:
      return 'characters';
  }
}
