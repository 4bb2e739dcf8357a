/**
 * A post the network keeps but shows to no one (the API's `networkHidden`, set by the deletion
 * check: src/pipeline/deletions.ts `applyNetworkVisibility`), in plain words for the thread's
 * badge and the composer's warning. A reason this UI does not know yet is shown as text, clipped.
 */
import type { Message } from '../api/types.js';
import { clip, networkLabel } from '../lib/format.js';

export interface NetworkHidden {
  since: string;
  reason: string;
}

/** Why, per reason: what happened, and whether a private message still reaches the author. */
const REASONS: Record<string, { words: string; privateReaches: boolean }> = {
  author_suspended: { words: 'the author\'s account is suspended by the brand\'s server', privateReaches: false },
  server_defederated: { words: 'the brand\'s server has cut off the author\'s whole server (defederated)', privateReaches: false },
  repo_takedown: { words: 'the author\'s account was taken down by moderation', privateReaches: false },
  account_suspended: { words: 'the author\'s account is suspended by its host', privateReaches: false },
  account_deactivated: { words: 'the author has deactivated their account', privateReaches: false },
  hidden_comment: { words: 'the comment is hidden (by the brand or by the network\'s filters); only its author still sees it', privateReaches: true },
  parent_removed: { words: 'the post it was written on has been deleted', privateReaches: false },
  withheld: { words: 'the post is withheld in some countries (a legal demand or a copyright claim); elsewhere it is still shown', privateReaches: true },
  account_protected: { words: 'the author made their account protected: only the followers they approve see the post', privateReaches: false },
  author_limited: { words: 'the author\'s account is limited by the brand\'s server: hidden from its public timelines and from people who do not follow them', privateReaches: true },
  server_limited: { words: 'the brand\'s server limits the author\'s whole server: hidden from its public timelines and from people who do not follow them', privateReaches: true },
  post_taken_down: { words: 'the post was taken down by moderation (the account itself is still active)', privateReaches: true },
  author_blocked: { words: 'the brand blocked the author, which removed the comment from the account\'s posts', privateReaches: false },
  author_restricted: { words: 'the brand restricted the author: the comment is held until approved and only its author sees it', privateReaches: false },
};

/** The message's hidden state, or null while shown (the field is absent on older servers). */
export function networkHiddenOf(m: Message): NetworkHidden | null {
  const h = m.networkHidden;
  return h && typeof h.reason === 'string' ? h : null;
}

/** "Hidden on Mastodon: the author's account is suspended by the brand's server". */
export function hiddenWords(network: string, h: NetworkHidden): string {
  const known = Object.hasOwn(REASONS, h.reason) ? REASONS[h.reason]!.words : `the network gave the reason "${clip(h.reason, 80)}"`;
  return `Hidden on ${networkLabel(network)}: ${known}`;
}

/** Whether a private message still reaches the author of a post hidden for this reason. */
export function privateReaches(h: NetworkHidden): boolean {
  return Object.hasOwn(REASONS, h.reason) && REASONS[h.reason]!.privateReaches;
}

/** The brand's own reply removed or hidden on the network (the API's `networkRemoved`), or null. */
export function networkRemovedOf(m: Message): NetworkHidden | null {
  const h = m.networkRemoved;
  return h && typeof h.reason === 'string' ? h : null;
}

/** Why the brand's reply is gone, per reason the deletion check records for outbound messages. */
const REMOVED: Record<string, string> = {
  deleted_on_network: 'was deleted on the network outside Parley (by the brand\'s account in the network\'s own app, or by the network)',
  account_taken_down: 'went with the brand\'s account, taken down by moderation',
  parent_removed: 'went with the post it answered, which was deleted',
};

/** "Your reply was removed by Mastodon's moderators: the customer no longer sees it". */
export function removedWords(network: string, h: NetworkHidden): string {
  const net = networkLabel(network);
  if (h.reason === 'post_taken_down') return `Your reply was removed by ${net}'s moderators: the customer no longer sees it`;
  const why = Object.hasOwn(REMOVED, h.reason) ? REMOVED[h.reason]! : Object.hasOwn(REASONS, h.reason) ? `is hidden on ${net} (${REASONS[h.reason]!.words})` : `is hidden on ${net} (the network gave the reason "${clip(h.reason, 80)}")`;
  return `Your reply ${why}: the customer no longer sees it`;
}
