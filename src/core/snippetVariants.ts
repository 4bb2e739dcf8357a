/**
 * Saved-reply (snippet) variants: one saved reply worded per network and per language — 280
 * weighted characters on X, at length by e-mail, in English and in Spanish. A variant is keyed
 * by a network (or `any`) and a BCP-47 primary language subtag (or `any`); the `any`/`any`
 * variant is the default every saved reply has.
 *
 * `selectVariant` picks the best variant for a conversation: the exact network and language,
 * then the language on any network, then the network in any language, then the default. The
 * picking is data-driven (keys compared as strings), never a branch on a network's name.
 *
 * `checkVariant` is what the admin editor and the server both say about a variant: longer than
 * its network allows where it can be sent (counted as the network counts, `textLength.ts`, before
 * any variable is filled in — so never a false alarm), or using a variable Parley never fills.
 */

import { renderSnippet, snippetVariables } from './playbooks.js';
import { LENGTH_RULES, lengthRuleFor, measure, type LengthRule } from './textLength.js';
import { NETWORKS, type Network } from './types.js';

/** The key matching every network or every language. */
export const ANY = 'any';

/** Networks a variant can be keyed by (besides `any`). */
export const VARIANT_NETWORKS: readonly Network[] = NETWORKS;

/** The variables Parley fills for a conversation (WorkflowCommands.renderSnippetFor). */
export const SNIPPET_VARIABLES = ['customer.name', 'customer.handle', 'agent.name', 'brand.name', 'account.handle', 'hours'] as const;

export interface SnippetVariantKey {
  /** A network name, or `any`. */
  network: string;
  /** A BCP-47 primary language subtag (`es`), or `any`. */
  language: string;
}

export interface SnippetVariantLike extends SnippetVariantKey {
  body: string;
}

/** Which rule picked the variant: both keys matched, the language only, the network only, or neither (the default). */
export type VariantMatch = 'exact' | 'language' | 'network' | 'default';

export interface VariantChoice<V extends SnippetVariantKey> {
  variant: V;
  match: VariantMatch;
}

/**
 * The primary subtag of a BCP-47 language tag, lower-cased (`es-MX` → `es`, `EN` → `en`), `any`
 * for `any`/`*`/empty, or null when it is not a language tag at all.
 */
export function normalizeLanguage(tag: string | null | undefined): string | null {
  const t = String(tag ?? '').trim().toLowerCase();
  if (t === '' || t === ANY || t === '*') return ANY;
  const m = /^([a-z]{2,3})(?:[-_][a-z0-9]{1,8})*$/.exec(t);
  return m ? m[1]! : null;
}

/** The network key of a variant (`any` for `any`/`*`/empty), or null when it is no network Parley knows. */
export function normalizeNetwork(network: string | null | undefined): string | null {
  const n = String(network ?? '').trim().toLowerCase();
  if (n === '' || n === ANY || n === '*') return ANY;
  return (VARIANT_NETWORKS as readonly string[]).includes(n) ? n : null;
}

/** A conversation's language as a variant key: its primary subtag, or null when unknown (`und`, none). */
function conversationLanguage(language: string | null | undefined): string | null {
  const l = normalizeLanguage(language);
  return l === null || l === ANY || l === 'und' ? null : l;
}

/**
 * The best variant for a conversation on `network` in `language` (null when the language is
 * unknown): exact network + language, then language (any network), then network (any
 * language), then the default (`any`/`any`). With no default among `variants` the first one is
 * returned as `default`; null only for an empty list.
 */
export function selectVariant<V extends SnippetVariantKey>(variants: readonly V[], conversation: { network: string | null | undefined; language: string | null | undefined }): VariantChoice<V> | null {
  if (variants.length === 0) return null;
  const network = String(conversation.network ?? '').toLowerCase();
  const language = conversationLanguage(conversation.language);
  const key = (v: V) => ({ n: normalizeNetwork(v.network) ?? v.network, l: normalizeLanguage(v.language) ?? v.language });
  const find = (n: string, l: string) => variants.find((v) => key(v).n === n && key(v).l === l);
  const tiers: [VariantMatch, V | undefined][] = [
    ['exact', network && language ? find(network, language) : undefined],
    ['language', language ? find(ANY, language) : undefined],
    ['network', network ? find(network, ANY) : undefined],
    ['default', find(ANY, ANY)],
  ];
  for (const [match, v] of tiers) if (v) return { variant: v, match };
  return { variant: variants[0]!, match: 'default' };
}

export type VariantIssueCode = 'snippet.too_long' | 'snippet.unknown_variable' | 'snippet.syntax';

export interface VariantIssue {
  code: VariantIssueCode;
  message: string;
  /** The unknown variable, for `snippet.unknown_variable`. */
  variable?: string;
  /** For `snippet.too_long`: the length (before variables are filled in) and the network's limit, in its unit. */
  length?: number;
  limit?: number;
  /** For `snippet.too_long`: where it is too long to be sent (`VariantLimit.use`). */
  use?: VariantUse;
}

/** Where a saved reply is sent, as its length limits tell them apart: a public reply, a private message, or any reply when one limit holds both. */
export type VariantUse = 'public' | 'private' | 'any';

/** The words for each `VariantUse`, in messages and in the editor alike. */
export const VARIANT_USE_LABEL: Readonly<Record<VariantUse, string>> = {
  public: 'a public reply',
  private: 'a private message (DM)',
  any: 'any reply',
};

export interface VariantLimit {
  use: VariantUse;
  rule: LengthRule;
}

/**
 * The limits a variant keyed by `network` is held to: a saved reply is used in public replies and
 * in private ones alike, so both, where the network's private messages have their own
 * (`PRIVATE_LENGTH_RULES` in textLength.ts): X DMs 10,000 characters (`dm_text_character_limit`
 * of X's help/configuration, https://docs.rs/egg-mode/0.14.0/egg_mode/service/struct.Configuration.html);
 * Messenger 2,000 and Instagram messages 1,000 (https://developers.chatwoot.com/self-hosted/supported-features,
 * the Send API's limits); Bluesky chat 1,000 graphemes (lexicon chat.bsky.convo.defs#messageInput,
 * text maxLength 10000). One limit for both elsewhere: a Mastodon direct message is a status with direct
 * visibility (the status limit), e-mail and web chat have no public replies. None for `any` (the
 * default is for every network; no one network's limit holds it) or an unknown network.
 */
export function variantLimits(network: string): VariantLimit[] {
  const n = normalizeNetwork(network);
  if (!n || n === ANY) return [];
  const pub = (LENGTH_RULES as Record<string, LengthRule | undefined>)[n];
  if (!pub) return [];
  const priv = lengthRuleFor(n as Network, 'private');
  if (typeof priv === 'string') return [{ use: 'any', rule: pub }];
  return [{ use: 'public', rule: pub }, { use: 'private', rule: priv }];
}

/** The text of a template with every variable left out (fallbacks too): what any filling of it is at least. */
function fixedText(body: string): string {
  const vars: Record<string, string> = {};
  // a non-blank stand-in per variable (flat dotted keys), removed afterwards
  for (const v of snippetVariables(body)) vars[v] = '\u0000';
  return renderSnippet(body, vars).text.replaceAll('\u0000', '');
}

/**
 * What is wrong with a variant, as warnings (the variant still saves): longer than its network
 * allows for a public reply or for a private message (`variantLimits`; each limit over is its own
 * warning, naming which), counted as that network counts and before any variable is filled in
 * (`any` network: no limit to hold it to); variables Parley never fills; malformed placeholders.
 */
export function checkVariant(v: SnippetVariantLike): VariantIssue[] {
  const issues: VariantIssue[] = [];
  const body = String(v.body ?? '');
  const syntax = renderSnippet(body, {});
  if (!syntax.ok) for (const e of syntax.errors) if (e.code === 'snippet.syntax') issues.push({ code: 'snippet.syntax', message: e.message });
  const known = new Set<string>(SNIPPET_VARIABLES);
  for (const name of snippetVariables(body)) {
    if (!known.has(name)) issues.push({ code: 'snippet.unknown_variable', message: `{{${name}}} is not a variable Parley fills in (${SNIPPET_VARIABLES.map((k) => `{{${k}}}`).join(', ')}); the agent will have to replace it by hand`, variable: name });
  }
  const network = normalizeNetwork(v.network);
  const limits = variantLimits(v.network);
  const fixed = limits.length ? fixedText(body) : '';
  for (const { use, rule } of limits) {
    const m = measure(rule, fixed);
    if (!m.over) continue;
    const bytes = m.maxBytes != null && m.bytes != null && m.bytes > m.maxBytes ? ` (${m.bytes.toLocaleString('en-US')} bytes of ${m.maxBytes.toLocaleString('en-US')})` : '';
    issues.push({ code: 'snippet.too_long', message: `${m.length.toLocaleString('en-US')} of ${m.limit.toLocaleString('en-US')} characters${bytes} as ${network} counts them, before any variable is filled in: too long for ${VARIANT_USE_LABEL[use]} there`, length: m.length, limit: m.limit, use });
  }
  return issues;
}

/** `network/language` for messages and audit entries (`x/es`, `any/any`). */
export function variantLabel(v: SnippetVariantKey): string {
  return `${v.network}/${v.language}`;
}
