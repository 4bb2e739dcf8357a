/**
 * Approval policies: which replies need sign-off before they are sent.
 *
 * Practice says replies from several people and knowledge experts should go through a
 * process that flags and signs them off; this module decides *whether* a given draft needs
 * it, and says why in stable codes the UI can show and reports can count:
 *
 * - by agent: named agents, or agents carrying a flag such as `in_training`;
 * - by audience: authors above a follower count, verified authors, public replies to a
 *   negative complaint (where the whole room is watching);
 * - by content: legal terms and other keywords, refund language, money amounts above a
 *   limit (amounts are parsed from the text: "$1,200", "49,99 €", "GBP 300", "2k dollars");
 * - during an open incident;
 * - an incident's public statement: it speaks for the whole brand, so it can require a
 *   second person's sign-off whoever writes it (exempt roles do not apply to that rule).
 *
 * And who may sign a draft off (`signOffRefusal`), and what an edit at sign-off makes of it
 * (`rewriteAtSignOff`): the reviewer who changes the text is its author, so the new text waits
 * for someone else's sign-off.
 *
 * Pure: the caller passes the agent, the draft, the author and the triage outcome.
 */

import type { Role, Sentiment, Visibility } from './types.js';
import { phraseMatcher } from './wf_text.js';

export interface ApprovalPolicy {
  id?: string;
  /** Agents with any of these roles never need approval (e.g. `approver`, `admin`). */
  exemptRoles?: Role[] | null;
  agents?: {
    /** These agents always need approval. */
    agentIds?: string[] | null;
    /** Agents carrying any of these flags need approval (e.g. `in_training`). */
    flags?: string[] | null;
  } | null;
  audience?: {
    /** Authors with at least this many followers. */
    followersAtLeast?: number | null;
    verifiedAuthors?: boolean | null;
    /** Public replies on a complaint with negative sentiment. */
    publicNegativeComplaint?: boolean | null;
  } | null;
  content?: {
    /** Whole-word, case-insensitive phrases (see `DEFAULT_LEGAL_TERMS`). */
    keywords?: string[] | null;
    /** Replies mentioning refunds or compensation; `true` uses `DEFAULT_REFUND_TERMS`. */
    refundTerms?: boolean | string[] | null;
    /**
     * Largest amount an agent may write without sign-off, per ISO currency code; `*` applies
     * to every other currency and to amounts whose currency is ambiguous.
     */
    amountLimits?: Record<string, number> | null;
  } | null;
  incident?: {
    requireDuringIncident?: boolean | null;
    /** Only public replies during an incident. */
    publicOnly?: boolean | null;
    /**
     * An incident's public statement is signed off by someone other than its author, even
     * when the author has an exempt role (statements are posted by approvers and admins).
     */
    statementSignOff?: boolean | null;
  } | null;
}

export interface ApprovalInput {
  agent: { id: string; roles?: readonly Role[] | null; flags?: readonly string[] | null };
  /**
   * `statement`: an incident's public statement, a top-level post for the brand rather than
   * an answer to someone (default `reply`). Audience rules have no author to look at, and the
   * statement rule takes the place of the during-an-incident rule.
   */
  reply: { text: string; visibility: Visibility; kind?: 'reply' | 'statement' | null };
  author?: { followers?: number | null; verified?: boolean | null } | null;
  triage?: { sentiment?: Sentiment | null; complaint?: boolean | null } | null;
  /** Whether the brand currently has an open incident. */
  incidentOpen?: boolean | null;
}

export type ApprovalReasonCode =
  | 'approval.agent_listed'
  | 'approval.agent_flagged'
  | 'approval.high_reach'
  | 'approval.verified_author'
  | 'approval.public_negative_complaint'
  | 'approval.keyword'
  | 'approval.refund'
  | 'approval.amount_over_limit'
  | 'approval.incident'
  | 'approval.incident_statement'
  | 'approval.rewritten_at_sign_off';

export interface ApprovalReason {
  code: ApprovalReasonCode;
  message: string;
  /** What triggered it: matched keywords, amounts, the flag... */
  data?: Record<string, unknown>;
}

export interface ApprovalDecision {
  required: boolean;
  reasons: ApprovalReason[];
}

export const DEFAULT_LEGAL_TERMS: readonly string[] = [
  'lawsuit',
  'lawyer',
  'attorney',
  'solicitor',
  'legal action',
  'legal advice',
  'sue',
  'suing',
  'court',
  'liable',
  'liability',
  'negligence',
  'settlement',
  'ombudsman',
  'regulator',
  'data breach',
  'GDPR',
  'discrimination',
  'injury',
];

export const DEFAULT_REFUND_TERMS: readonly string[] = [
  'refund',
  'refunds',
  'refunded',
  'reimburse',
  'reimbursed',
  'reimbursement',
  'compensate',
  'compensation',
  'chargeback',
  'goodwill gesture',
  'voucher',
  'credit your account',
];

export interface MoneyAmount {
  amount: number;
  /** ISO 4217 code, or null when the sign is ambiguous (e.g. `kr`). */
  currency: string | null;
  text: string;
  start: number;
  end: number;
}

const SYMBOLS: Array<[string, string | null]> = [
  ['US$', 'USD'],
  ['CA$', 'CAD'],
  ['AU$', 'AUD'],
  ['NZ$', 'NZD'],
  ['HK$', 'HKD'],
  ['R$', 'BRL'],
  ['C$', 'CAD'],
  ['A$', 'AUD'],
  ['$', 'USD'],
  ['€', 'EUR'],
  ['£', 'GBP'],
  ['¥', 'JPY'],
  ['₹', 'INR'],
  ['₩', 'KRW'],
  ['₺', 'TRY'],
  ['zł', 'PLN'],
  ['kr', null],
];
const CODES = ['USD', 'EUR', 'GBP', 'CAD', 'AUD', 'NZD', 'JPY', 'CHF', 'INR', 'SEK', 'NOK', 'DKK', 'BRL', 'MXN', 'PLN', 'ZAR', 'HKD', 'SGD', 'CNY', 'KRW', 'TRY'];
const WORDS: Array<[string, string]> = [
  ['dollars', 'USD'],
  ['dollar', 'USD'],
  ['bucks', 'USD'],
  ['euros', 'EUR'],
  ['euro', 'EUR'],
  ['pounds', 'GBP'],
  ['pound', 'GBP'],
  ['quid', 'GBP'],
];

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const SYMBOL_ALT = SYMBOLS.map(([s]) => escape(s)).join('|');
const CODE_ALT = CODES.join('|');
const WORD_ALT = WORDS.map(([w]) => w).join('|');
// 1,234.56 / 1.234,56 / 1 234,56 / 1'234.56 / 1234 / 12.5 — plus an optional k/m multiplier.
const NUMBER = `\\d{1,3}(?:[,.'\\u00A0\\u202F ]\\d{3})+(?:[.,]\\d{1,2})?|\\d+(?:[.,]\\d{1,2})?`;
const MULT = `(?:\\s?(?:k|K|m|M|million|thousand|bn)(?![\\p{L}]))?`;
const MONEY = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:(${SYMBOL_ALT}|${CODE_ALT})\\s?(${NUMBER})(${MULT})|(${NUMBER})(${MULT})\\s?(${SYMBOL_ALT}|${CODE_ALT}|${WORD_ALT})(?![\\p{L}]))`,
  'gu',
);

function parseNumber(raw: string): number {
  const s = raw.replace(/[\u00A0\u202F ']/g, '');
  const lastComma = s.lastIndexOf(',');
  const lastDot = s.lastIndexOf('.');
  let decimalSep: string | null = null;
  if (lastComma >= 0 && lastDot >= 0) decimalSep = lastComma > lastDot ? ',' : '.';
  else if (lastComma >= 0 || lastDot >= 0) {
    const sep = lastComma >= 0 ? ',' : '.';
    const occurrences = s.split(sep).length - 1;
    const tail = s.length - s.lastIndexOf(sep) - 1;
    // "12,50" and "12.5" are decimals; "1,500" and "1.500" are thousands.
    decimalSep = occurrences === 1 && tail <= 2 ? sep : null;
  }
  let normalized = s;
  if (decimalSep) {
    const other = decimalSep === ',' ? '.' : ',';
    normalized = s.split(other).join('');
    normalized = normalized.replace(decimalSep, '.');
  } else {
    normalized = s.replace(/[.,]/g, '');
  }
  return Number(normalized);
}

function multiplier(raw: string): number {
  const m = raw.trim().toLowerCase();
  if (m === 'k' || m === 'thousand') return 1_000;
  if (m === 'm' || m === 'million') return 1_000_000;
  if (m === 'bn') return 1_000_000_000;
  return 1;
}

function currencyOf(token: string): string | null {
  const upper = token.toUpperCase();
  if (CODES.includes(upper)) return upper;
  const sym = SYMBOLS.find(([s]) => s === token);
  if (sym) return sym[1];
  const word = WORDS.find(([w]) => w === token.toLowerCase());
  return word ? word[1] : null;
}

/** Money amounts written in a text, with their currency. Never throws. */
export function parseAmounts(text: string): MoneyAmount[] {
  const s = typeof text === 'string' ? text : '';
  if (!/\d/.test(s)) return [];
  const out: MoneyAmount[] = [];
  MONEY.lastIndex = 0;
  for (let m = MONEY.exec(s); m; m = MONEY.exec(s)) {
    const before = m[1] !== undefined;
    const token = before ? m[1]! : m[6]!;
    const number = before ? m[2]! : m[4]!;
    const mult = before ? m[3]! : m[5]!;
    const amount = parseNumber(number) * multiplier(mult);
    if (!Number.isFinite(amount)) continue;
    out.push({ amount, currency: currencyOf(token), text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return out;
}

const matcherCache = new WeakMap<readonly string[], RegExp | null>();
function cachedMatcher(phrases: readonly string[]): RegExp | null {
  if (!matcherCache.has(phrases)) matcherCache.set(phrases, phraseMatcher(phrases));
  return matcherCache.get(phrases)!;
}

function matches(phrases: readonly string[], text: string): string[] {
  const re = cachedMatcher(phrases);
  if (!re) return [];
  re.lastIndex = 0;
  const found = new Set<string>();
  for (let m = re.exec(text); m; m = re.exec(text)) found.add(m[0].toLowerCase().replace(/\s+/g, ' '));
  return [...found];
}

// Characters that render as nothing (soft hyphen, zero-width space/joiners, word joiner, BOM…).
const INVISIBLE_IN_WORDS = /[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0]/g;

/**
 * The text as the content rules read it: as the customer sees it. Characters that render as
 * nothing are dropped and compatibility forms folded (NFKC: full-width ｒｅｆｕｎｄ, ＄500), so
 * "re\u00ADfund" pasted from a document, or "$5\u200B00", is still a refund of $500 to sign off.
 */
function ruleText(text: string): string {
  return text.replace(INVISIBLE_IN_WORDS, '').normalize('NFKC');
}

const formatAmount = (a: MoneyAmount) => `${a.currency ?? ''} ${a.amount}`.trim();

/**
 * Decides whether a draft reply (or an incident statement) needs sign-off under a policy,
 * and why. Every matching rule adds a reason; an agent with an exempt role needs approval
 * only for a statement under `incident.statementSignOff`.
 */
export function requiresApproval(policy: ApprovalPolicy, input: ApprovalInput): ApprovalDecision {
  const roles = input.agent.roles ?? [];
  const statement = input.reply.kind === 'statement';
  const reasons: ApprovalReason[] = [];
  if (statement && policy.incident?.statementSignOff) {
    reasons.push({ code: 'approval.incident_statement', message: 'An incident statement speaks for the brand: a second person signs it off' });
  }
  if ((policy.exemptRoles ?? []).some((r) => roles.includes(r))) return { required: reasons.length > 0, reasons };
  const text = ruleText(typeof input.reply.text === 'string' ? input.reply.text : '');
  const isPublic = input.reply.visibility === 'public';

  const agents = policy.agents ?? {};
  if ((agents.agentIds ?? []).includes(input.agent.id)) {
    reasons.push({ code: 'approval.agent_listed', message: 'Replies from this agent are signed off before sending', data: { agentId: input.agent.id } });
  }
  const flags = (agents.flags ?? []).filter((f) => (input.agent.flags ?? []).includes(f));
  if (flags.length > 0) {
    reasons.push({ code: 'approval.agent_flagged', message: `Replies from agents flagged ${flags.map((f) => `“${f}”`).join(', ')} are signed off`, data: { flags } });
  }

  const audience = policy.audience ?? {};
  const followers = statement ? null : input.author?.followers ?? null;
  if (audience.followersAtLeast !== null && audience.followersAtLeast !== undefined && followers !== null && followers >= audience.followersAtLeast) {
    reasons.push({
      code: 'approval.high_reach',
      message: `The author has ${followers.toLocaleString('en-US')} followers (sign-off from ${audience.followersAtLeast.toLocaleString('en-US')})`,
      data: { followers, threshold: audience.followersAtLeast },
    });
  }
  if (audience.verifiedAuthors && !statement && input.author?.verified) {
    reasons.push({ code: 'approval.verified_author', message: 'Replies to verified accounts are signed off' });
  }
  if (audience.publicNegativeComplaint && !statement && isPublic && input.triage?.complaint === true && input.triage.sentiment === 'negative') {
    reasons.push({ code: 'approval.public_negative_complaint', message: 'Public reply to a negative complaint: everyone is watching' });
  }

  const content = policy.content ?? {};
  const keywords = content.keywords ? matches(content.keywords, text) : [];
  if (keywords.length > 0) {
    reasons.push({ code: 'approval.keyword', message: `Mentions ${keywords.map((k) => `“${k}”`).join(', ')}`, data: { keywords } });
  }
  const refundList = content.refundTerms === true ? DEFAULT_REFUND_TERMS : Array.isArray(content.refundTerms) ? content.refundTerms : null;
  const refunds = refundList ? matches(refundList, text) : [];
  if (refunds.length > 0) {
    reasons.push({ code: 'approval.refund', message: 'Mentions a refund or compensation', data: { terms: refunds } });
  }
  const limits = content.amountLimits ?? null;
  if (limits && Object.keys(limits).length > 0) {
    const over = parseAmounts(text).filter((a) => {
      const limit = (a.currency !== null ? limits[a.currency] : undefined) ?? limits['*'];
      return limit !== undefined && a.amount > limit;
    });
    if (over.length > 0) {
      reasons.push({
        code: 'approval.amount_over_limit',
        message: `Amount above the limit: ${over.map(formatAmount).join(', ')}`,
        data: { amounts: over.map((a) => ({ amount: a.amount, currency: a.currency, text: a.text })) },
      });
    }
  }

  const incident = policy.incident ?? {};
  if (incident.requireDuringIncident && !statement && input.incidentOpen && (!incident.publicOnly || isPublic)) {
    reasons.push({ code: 'approval.incident', message: 'An incident is open: replies are signed off until it is closed' });
  }
  return { required: reasons.length > 0, reasons };
}

/** Roles that sign drafts off. */
export const SIGN_OFF_ROLES: readonly Role[] = ['approver', 'admin'];

export interface SignOffRefusal {
  code: 'approval.not_reviewer' | 'approval.own_draft';
  message: string;
}

/**
 * Why this person may not sign this draft off, or null when they may: approvers and
 * admins sign off, and never a draft they wrote themselves (sign-off is a second pair of eyes).
 */
export function signOffRefusal(draft: { authorUserId: number | null }, reviewer: { userId: number | null; role: string }): SignOffRefusal | null {
  if (!(SIGN_OFF_ROLES as readonly string[]).includes(reviewer.role)) return { code: 'approval.not_reviewer', message: 'only approvers and admins sign drafts off' };
  if (draft.authorUserId != null && draft.authorUserId === reviewer.userId) return { code: 'approval.own_draft', message: 'a draft is signed off by someone other than its author' };
  return null;
}

/** A reason as stored with a draft (`code`, `message`, maybe `data`). */
export type StoredApprovalReason = Pick<ApprovalReason, 'code' | 'message'> & { data?: Record<string, unknown> };

/**
 * A reviewer approving with a text of their own has written a new draft: they are its
 * author, it is not sent, and it waits for sign-off by someone other than them (the person
 * who wrote the previous text may sign it off now: they did not write these words). The
 * reasons keep what made the draft need sign-off, with the rewrite first — once, naming who
 * rewrote whose text.
 */
export function rewriteAtSignOff(
  draft: { authorUserId: number | null; authorName?: string | null; reasons: readonly StoredApprovalReason[] },
  editor: { userId: number; name: string },
): { authorUserId: number; reasons: StoredApprovalReason[] } {
  const previous = draft.authorName?.trim() || 'its author';
  const rewrite: StoredApprovalReason = {
    code: 'approval.rewritten_at_sign_off',
    message: `${editor.name} rewrote ${previous}’s draft at sign-off: someone other than ${editor.name} signs the new text off`,
    data: { editedBy: editor.userId, editedByName: editor.name, previousAuthorUserId: draft.authorUserId, previousAuthorName: draft.authorName ?? null },
  };
  return { authorUserId: editor.userId, reasons: [rewrite, ...draft.reasons.filter((r) => r.code !== 'approval.rewritten_at_sign_off')] };
}
