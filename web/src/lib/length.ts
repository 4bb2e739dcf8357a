/**
 * The composer's length rules. Public replies follow each network's post rules from the
 * shared core module (X weighted like twitter-text v3, Bluesky graphemes, ...); private
 * messages have their own, longer limits on most networks.
 */
import { LENGTH_RULES, lengthRuleFor, mastodonLength, measure, splitIntoThread, withMastodonMentions, type LengthRule, type Measurement } from '../../../src/core/textLength.js';
import type { Network } from '../../../src/core/types.js';

export type { Measurement };

const FALLBACK: LengthRule = { counter: 'code_points', limit: 10_000 };

/** The rule a reply of this visibility on this network is held to (the server's reply checks use the same). */
export function ruleFor(network: string, visibility: 'public' | 'private'): LengthRule {
  const known = (LENGTH_RULES as Record<string, LengthRule | undefined>)[network];
  if (!known) return FALLBACK;
  const rule = lengthRuleFor(network as Network, visibility);
  return typeof rule === 'string' ? known : rule;
}

/**
 * Length of a reply against its network's rule. Never throws. `customerHandle`: on Mastodon the
 * connector puts the customer's @acct in front of a reply that does not mention them, and that
 * counts (the server's reply check measures the same).
 */
export function measureReply(network: string, visibility: 'public' | 'private', text: string, customerHandle?: string | null): Measurement {
  const rule = ruleFor(network, visibility);
  const handle = customerHandle?.replace(/^@/, '');
  return measure(rule, handle && rule.counter === 'mastodon' ? withMastodonMentions(text, [handle]) : text);
}

/** Parts of a thread for a too-long reply (empty when it cannot be split); on Mastodon each leaves room for the @acct put in front. */
export function splitReply(network: string, visibility: 'public' | 'private', text: string, numbering: boolean, customerHandle?: string | null): string[] {
  const rule = ruleFor(network, visibility);
  const handle = customerHandle?.replace(/^@/, '');
  const room = handle && rule.counter === 'mastodon' ? mastodonLength(`@${handle} `) : 0;
  try {
    return splitIntoThread(rule, text, { numbering, ...(room && rule.limit - room >= 50 ? { limit: rule.limit - room } : {}) });
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
