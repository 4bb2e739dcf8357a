/**
 * Playbooks: rules of engagement for recurring scenarios — "not verbatim what to type but
 * outlines of how to respond" — matched to a conversation by triage category, intent,
 * sentiment, complaint flag, network and visibility; plus snippets with variables
 * (`{{customer.name}}`, `{{hours}}`) that render with explicit missing-variable errors
 * rather than sending "Hi ," to a customer.
 *
 * Snippet syntax: `{{ path }}` where path is dot-separated identifiers; `{{ path | text }}`
 * uses `text` when the value is missing (quotes around it are optional); `\{{` is a literal
 * `{{`.
 */

import type { Network, Sentiment, TriageCategory, Visibility } from './types.js';

export interface PlaybookMatch {
  categories?: TriageCategory[] | null;
  intents?: string[] | null;
  sentiments?: Sentiment[] | null;
  complaint?: boolean | null;
  networks?: Network[] | null;
  visibility?: Visibility | null;
}

export interface Snippet {
  id: string;
  title: string;
  body: string;
}

export interface Playbook {
  id: string;
  name: string;
  /** Every listed criterion must hold; a playbook with no criteria is a general fallback. */
  match: PlaybookMatch;
  /** How to respond, step by step (guidance, not text to paste). */
  outline: string[];
  dos?: string[];
  donts?: string[];
  /** Suggest moving the conversation private. */
  takePrivate?: boolean;
  /** Team or role of the knowledge experts to involve. */
  escalateTo?: string | null;
  snippets?: Snippet[];
  /** Tie-breaker between equally specific playbooks (higher first). */
  priority?: number;
}

export interface PlaybookContext {
  category?: TriageCategory | null;
  intent?: string | null;
  sentiment?: Sentiment | null;
  complaint?: boolean | null;
  network?: Network | null;
  visibility?: Visibility | null;
}

export interface PlaybookSuggestion {
  playbook: Playbook;
  /** Specificity: intent 8, category 4, complaint 2, sentiment 2, network 1, visibility 1. */
  score: number;
  /** Which criteria matched, e.g. `['intent', 'category']`. */
  matchedOn: string[];
}

const norm = (s: string | null | undefined) => (s ?? '').trim().toLowerCase();

/** Playbooks that apply to a conversation, most specific first. */
export function matchPlaybooks(playbooks: readonly Playbook[], ctx: PlaybookContext): PlaybookSuggestion[] {
  const out: PlaybookSuggestion[] = [];
  for (const playbook of playbooks) {
    const m = playbook.match ?? {};
    let score = 0;
    const matchedOn: string[] = [];
    const check = (name: string, weight: number, active: boolean, test: () => boolean): boolean => {
      if (!active) return true;
      if (!test()) return false;
      score += weight;
      matchedOn.push(name);
      return true;
    };
    const ok =
      check('intent', 8, !!m.intents?.length, () => !!ctx.intent && m.intents!.some((i) => norm(i) === norm(ctx.intent))) &&
      check('category', 4, !!m.categories?.length, () => !!ctx.category && m.categories!.includes(ctx.category)) &&
      check('complaint', 2, m.complaint !== null && m.complaint !== undefined, () => ctx.complaint === m.complaint) &&
      check('sentiment', 2, !!m.sentiments?.length, () => !!ctx.sentiment && m.sentiments!.includes(ctx.sentiment)) &&
      check('network', 1, !!m.networks?.length, () => !!ctx.network && m.networks!.includes(ctx.network)) &&
      check('visibility', 1, !!m.visibility, () => ctx.visibility === m.visibility);
    if (ok) out.push({ playbook, score, matchedOn });
  }
  return out.sort(
    (a, b) =>
      b.score - a.score ||
      (b.playbook.priority ?? 0) - (a.playbook.priority ?? 0) ||
      (a.playbook.id < b.playbook.id ? -1 : a.playbook.id > b.playbook.id ? 1 : 0),
  );
}

/** The most specific playbook for a conversation, or null. */
export function bestPlaybook(playbooks: readonly Playbook[], ctx: PlaybookContext): Playbook | null {
  return matchPlaybooks(playbooks, ctx)[0]?.playbook ?? null;
}

export type SnippetErrorCode = 'snippet.missing_variable' | 'snippet.not_text' | 'snippet.syntax';

export interface SnippetIssue {
  code: SnippetErrorCode;
  message: string;
  /** The variable path, when the issue is about one. */
  variable: string | null;
  /** UTF-16 offset of the placeholder in the template. */
  index: number;
}

export type SnippetRender =
  | { ok: true; text: string; variables: string[] }
  /** `text` keeps the unresolved placeholders so the composer can highlight them. */
  | { ok: false; text: string; variables: string[]; errors: SnippetIssue[] };

/** Values for snippet variables: nested objects (`{ customer: { name } }`) or flat dotted keys. */
export type SnippetVariables = Record<string, unknown>;

export class SnippetError extends Error {
  readonly code: SnippetErrorCode;
  readonly issues: SnippetIssue[];
  constructor(issues: SnippetIssue[]) {
    super(issues.map((i) => i.message).join('; '));
    this.name = 'SnippetError';
    this.code = issues[0]!.code;
    this.issues = issues;
  }
}

const PATH = /^[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*$/;

interface Token {
  kind: 'text' | 'var';
  text: string;
  index: number;
  path?: string;
  fallback?: string | null;
}

function tokenize(template: string): { tokens: Token[]; errors: SnippetIssue[] } {
  const tokens: Token[] = [];
  const errors: SnippetIssue[] = [];
  let text = '';
  let textStart = 0;
  let i = 0;
  // Next "}}" at or after the cursor, cached so a template full of "{{" stays linear.
  let closeAt = -2;
  while (i < template.length) {
    if (template.startsWith('\\{{', i)) {
      text += '{{';
      i += 3;
      continue;
    }
    if (!template.startsWith('{{', i)) {
      text += template[i];
      i++;
      continue;
    }
    if (closeAt !== -1 && closeAt < i + 2) closeAt = template.indexOf('}}', i + 2);
    const close = closeAt;
    const nextOpen = template.indexOf('{{', i + 2);
    if (close < 0 || (nextOpen >= 0 && nextOpen < close)) {
      errors.push({ code: 'snippet.syntax', message: `Unclosed “{{” at position ${i}`, variable: null, index: i });
      text += '{{';
      i += 2;
      continue;
    }
    const inner = template.slice(i + 2, close);
    const bar = inner.indexOf('|');
    const path = (bar >= 0 ? inner.slice(0, bar) : inner).trim();
    let fallback: string | null = null;
    if (bar >= 0) {
      fallback = inner.slice(bar + 1).trim();
      const quoted = /^(["'])(.*)\1$/s.exec(fallback);
      if (quoted) fallback = quoted[2]!;
    }
    if (!PATH.test(path)) {
      errors.push({ code: 'snippet.syntax', message: `“{{${inner}}}” is not a variable name`, variable: null, index: i });
      text += template.slice(i, close + 2);
      i = close + 2;
      continue;
    }
    if (text) tokens.push({ kind: 'text', text, index: textStart });
    text = '';
    tokens.push({ kind: 'var', text: template.slice(i, close + 2), index: i, path, fallback });
    i = close + 2;
    textStart = i;
  }
  if (text) tokens.push({ kind: 'text', text, index: textStart });
  return { tokens, errors };
}

/** The variable paths a snippet uses, in order of first use. */
export function snippetVariables(template: string): string[] {
  const seen = new Set<string>();
  for (const t of tokenize(String(template ?? '')).tokens) if (t.kind === 'var') seen.add(t.path!);
  return [...seen];
}

function lookup(vars: SnippetVariables, path: string): unknown {
  if (Object.prototype.hasOwnProperty.call(vars, path)) return vars[path];
  let cur: unknown = vars;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || !Object.prototype.hasOwnProperty.call(cur, key)) return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/**
 * Renders a snippet. Missing (undefined, null or blank) values without a fallback, values
 * that are not text, and malformed placeholders are reported as errors; nothing throws.
 */
export function renderSnippet(template: string, vars: SnippetVariables = {}): SnippetRender {
  const { tokens, errors } = tokenize(String(template ?? ''));
  let out = '';
  const variables: string[] = [];
  for (const t of tokens) {
    if (t.kind === 'text') {
      out += t.text;
      continue;
    }
    const path = t.path!;
    if (!variables.includes(path)) variables.push(path);
    const value = lookup(vars ?? {}, path);
    if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) {
      if (t.fallback !== null && t.fallback !== undefined) {
        out += t.fallback;
      } else {
        errors.push({ code: 'snippet.missing_variable', message: `Missing value for {{${path}}}`, variable: path, index: t.index });
        out += t.text;
      }
      continue;
    }
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
      out += String(value);
      continue;
    }
    errors.push({ code: 'snippet.not_text', message: `{{${path}}} is not text`, variable: path, index: t.index });
    out += t.text;
  }
  errors.sort((a, b) => a.index - b.index);
  return errors.length > 0 ? { ok: false, text: out, variables, errors } : { ok: true, text: out, variables };
}

/** Like `renderSnippet`, but throws a `SnippetError` listing every issue. */
export function renderSnippetOrThrow(template: string, vars: SnippetVariables = {}): string {
  const r = renderSnippet(template, vars);
  if (!r.ok) throw new SnippetError(r.errors);
  return r.text;
}

/**
 * A starter set of rules of engagement drawn from practice; brands edit or replace them.
 * Intents follow the triage vocabulary (`refund`, `billing`, `order_status`, `outage`...).
 */
export const DEFAULT_PLAYBOOKS: readonly Playbook[] = [
  {
    id: 'public-complaint',
    name: 'Public complaint',
    match: { complaint: true, sentiments: ['negative'], visibility: 'public' },
    outline: [
      'Reply quickly and in public first: acknowledge the problem and apologise for the experience.',
      'Answer what you can answer in public, in your own words.',
      'If account details are needed, invite a private message; never ask for them in public.',
      'Come back to the public thread once it is resolved.',
    ],
    dos: ['Admit mistakes', 'Use their name', 'Sign off so they know who is helping'],
    donts: ['Delete or hide negative comments that follow the community rules', 'Argue in public', 'Paste a canned apology'],
    snippets: [
      {
        id: 'public-complaint-ack',
        title: 'Acknowledge',
        body: "Hi {{customer.name | there}}, I'm sorry about this – that's not the experience we want you to have. {{agent.signature}}",
      },
    ],
  },
  {
    id: 'account-specific',
    name: 'Account-specific question',
    match: { intents: ['refund', 'billing', 'order_status', 'account', 'cancel'] },
    outline: [
      'Start public: confirm you can help and what happens next.',
      'Take it private for order or account numbers, addresses and payment details.',
      'Once private, answer the question fully; anticipate the next question.',
    ],
    takePrivate: true,
    escalateTo: 'billing-experts',
    snippets: [
      {
        id: 'account-private',
        title: 'Take it private',
        body: "Hi {{customer.name | there}}, happy to look into this. Please {{channel.privateMessage}} with your order number and we'll check it straight away. {{agent.signature}}",
      },
    ],
  },
  {
    id: 'how-to-question',
    name: 'How-to question',
    match: { categories: ['customer_service'] },
    outline: [
      'Answer the question directly, in a sentence or two.',
      'Only then add a link for details – a link alone is not an answer.',
      'Anticipate the follow-up question and answer it too.',
    ],
    snippets: [
      {
        id: 'answer-then-link',
        title: 'Answer, then link',
        body: 'Hi {{customer.name | there}}, {{answer}} There is more detail here: {{link}} {{agent.signature}}',
      },
    ],
  },
  {
    id: 'outage',
    name: 'Outage or incident',
    match: { intents: ['outage', 'incident', 'service_down'] },
    outline: [
      'Acknowledge the issue and point to the official statement; keep every reply consistent with it.',
      'Do not promise a time to fix unless the statement gives one.',
      'Follow up with everyone affected when it is fixed.',
    ],
    escalateTo: 'incident-lead',
  },
  {
    id: 'praise',
    name: 'Praise',
    match: { sentiments: ['positive'], complaint: false },
    outline: ['Thank them personally and specifically.', 'Pass the praise on to the team mentioned.'],
    donts: ['Upsell in a thank-you'],
  },
  {
    id: 'trolling',
    name: 'Trolling or spam',
    match: { categories: ['spam', 'abuse'] },
    outline: [
      'Do not engage; monitor the thread.',
      'Hide or delete only what breaks the published community rules; block only repeat offenders.',
    ],
  },
  {
    id: 'out-of-hours',
    name: 'General',
    match: {},
    outline: [
      'Answer the question directly and in your own words.',
      'If you cannot finish now, tell the customer when you are next available (your opening hours).',
    ],
    snippets: [
      {
        id: 'hours',
        title: 'Our hours',
        body: "Hi {{customer.name | there}}, we're here {{hours}}. We'll pick this up as soon as we're in. {{agent.signature}}",
      },
    ],
  },
];
