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
 * its network allows (counted as the network counts, `textLength.ts`, before any variable is
 * filled in — so never a false alarm), or using a variable Parley never fills.
 */

import { renderSnippet, snippetVariables } from './playbooks.js';
import { LENGTH_RULES, measure } from './textLength.js';
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
 * allows for a public reply, counted as that network counts and before any variable is filled in
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
  if (network && network !== ANY) {
    const rule = (LENGTH_RULES as Record<string, (typeof LENGTH_RULES)[Network] | undefined>)[network];
    if (rule) {
      const m = measure(rule, fixedText(body));
      if (m.over) {
        const bytes = m.maxBytes != null && m.bytes != null && m.bytes > m.maxBytes ? ` (${m.bytes} bytes of ${m.maxBytes})` : '';
        issues.push({ code: 'snippet.too_long', message: `${m.length} of ${m.limit} characters${bytes} as ${network} counts them, before any variable is filled in: too long for a public reply there`, length: m.length, limit: m.limit });
      }
    }
  }
  return issues;
}

/** `network/language` for messages and audit entries (`x/es`, `any/any`). */
export function variantLabel(v: SnippetVariantKey): string {
  return `${v.network}/${v.language}`;
}
