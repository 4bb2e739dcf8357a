/**
 * Reading a message's stored triage defensively (older rows lack fields, and it is
 * JSON: nothing is trusted to have its type) and putting it into words.
 */
import type { Triage, TriagePriorityFactor } from '../api/types.js';
import { clip } from '../lib/format.js';

export interface ScoredView<T> {
  value: T;
  /** 0..1, or null when the stored row has none. */
  confidence: number | null;
  reason: string;
}

export interface TriageView {
  action: ScoredView<string> | null;
  category: ScoredView<string> | null;
  complaint: ScoredView<boolean> | null;
  sentiment: ScoredView<string> | null;
  accolade: ScoredView<boolean> | null;
  chaser: ScoredView<boolean> | null;
  intent: ScoredView<string> | null;
  language: ScoredView<string> | null;
  needsResponse: ScoredView<boolean> | null;
  priority: { value: number; factors: TriagePriorityFactor[] } | null;
  model: string | null;
  scores: [string, number][];
  truncated: boolean;
  corrected: { by: number | null; at: string | null } | null;
  /** From a live event: reasons and scores are still being fetched. */
  partial: boolean;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const num = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);
/** Reasons and labels quote the customer's words: clipped, with control characters made visible. */
const str = (x: unknown, max = 500): string => (typeof x === 'string' ? clip(x, max) : '');

function scored<T>(x: unknown, isValue: (v: unknown) => v is T): ScoredView<T> | null {
  if (!isObj(x) || !isValue(x.value)) return null;
  const c = num(x.confidence);
  return { value: x.value, confidence: c == null ? null : Math.max(0, Math.min(1, c)), reason: str(x.reason) };
}
const isText = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';

/** The triage of a message, or null when there is none worth showing. */
export function readTriage(raw: Triage | null | undefined | unknown): TriageView | null {
  if (!isObj(raw)) return null;
  const p = raw.priority;
  const priorityValue = isObj(p) ? num(p.value) : null;
  const factors: TriagePriorityFactor[] = isObj(p) && Array.isArray(p.factors)
    ? p.factors.filter(isObj).map((f) => ({ code: str(f.code, 64), label: str(f.label) || str(f.code, 64), points: num(f.points) ?? 0 }))
    : [];
  const scores = isObj(raw.scores)
    ? Object.entries(raw.scores).filter((e): e is [string, number] => num(e[1]) != null).sort((a, b) => a[0].localeCompare(b[0])).slice(0, 60)
    : [];
  const c = raw.corrected;
  const view: TriageView = {
    action: scored(raw.action, isText),
    category: scored(raw.category, isText),
    complaint: scored(raw.complaint, isBool),
    sentiment: scored(raw.sentiment, isText),
    accolade: scored(raw.accolade, isBool),
    chaser: scored(raw.chaser, isBool),
    intent: scored(raw.intent, isText),
    language: scored(raw.language, isText),
    needsResponse: scored(raw.needsResponse, isBool),
    priority: priorityValue == null ? null : { value: Math.round(priorityValue), factors },
    model: str(raw.model, 200) || null,
    scores,
    truncated: raw.truncated === true,
    corrected: isObj(c) ? { by: num(c.by), at: str(c.at, 64) || null } : null,
    partial: raw.partial === true,
  };
  const any = view.action || view.category || view.complaint || view.sentiment || view.intent || view.language || view.priority;
  return any ? view : null;
}

const words = (s: string) => {
  const t = s.replace(/_/g, ' ');
  return t.charAt(0).toUpperCase() + t.slice(1);
};

export const ACTION_LABEL: Record<string, string> = { respond: 'Respond', monitor: 'Monitor', ignore: 'Ignore' };
export const CATEGORY_LABEL: Record<string, string> = { customer_service: 'Customer service', brand: 'Brand', spam: 'Spam', abuse: 'Abuse', other: 'Other' };
export const SENTIMENT_LABEL: Record<string, string> = { negative: 'Negative', neutral: 'Neutral', positive: 'Positive' };
export const INTENT_LABEL: Record<string, string> = {
  billing: 'Billing',
  payment_issue: 'Payment issue',
  refund: 'Refund',
  delivery: 'Delivery',
  account_access: 'Account access',
  account_change: 'Account change',
  cancellation: 'Cancellation',
  fraud_security: 'Fraud / security',
  technical_issue: 'Technical issue',
  outage: 'Outage',
  product_question: 'Product question',
};

export const actionLabel = (v: string) => ACTION_LABEL[v] ?? words(v);
export const categoryLabel = (v: string) => CATEGORY_LABEL[v] ?? words(v);
export const sentimentLabel = (v: string) => SENTIMENT_LABEL[v] ?? words(v);
export const intentLabel = (v: string) => INTENT_LABEL[v] ?? words(v);
export const yesNo = (v: boolean) => (v ? 'Yes' : 'No');

/** 0.802 → "80%". */
export function percent(c: number | null): string {
  return c == null ? '—' : `${Math.round(c * 100)}%`;
}

/** +10, −12, 0 (a real minus sign). */
export function signedPoints(n: number): string {
  const r = Math.round(n * 10) / 10;
  return r > 0 ? `+${r}` : r < 0 ? `\u2212${Math.abs(r)}` : '0';
}
