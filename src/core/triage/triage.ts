/**
 * Triage: for one inbound message, what it is (category, complaint, sentiment,
 * accolade, chaser, intent, language) and what it needs (action, priority), each
 * with a confidence and a short reason an agent can read.
 *
 * Two stages, so a stronger model can replace the first without touching the second:
 *  - `computeSignals(input, model)`: the built-in linear heads + lexicon rules;
 *  - `decide(input, signals, now, settings)`: action and an explainable priority
 *    (every point listed as a factor; author reach capped).
 * Pure: no I/O, no clock (now is passed in), the model is plain data.
 */
import type { PriorityFactor, Scored, Sentiment, TriageAction, TriageCategory, TriageResult } from '../types.js';
import { analyze, type Analysis, type FeatureVector } from './features.js';
import { fnv1a, mix32, namespaceSeed } from './hash.js';
import { BANKING77_TO_CARE, CARE_INTENT_LABELS } from './intents.js';
import { detectLanguage } from './language.js';
import { NO_MATCHES } from './lexicons.js';
import { argmax, predictProba, softmaxInPlace, type LinearHead } from './linear.js';
import { lookupRows, narrowLogits, narrowProba, narrowProbaOf, packedModel, wideLogits, type PackedModel } from './packed.js';
import type { TriageModel, TriageSettings } from './model.js';
import type { TriageInput, TriageOutcome, TriageSignals } from './types.js';

/** Decision settings; a model may override some of them (see `effectiveSettings`). */
export const DEFAULT_SETTINGS: TriageSettings = {
  spamThreshold: 0.5,
  abuseThreshold: 0.6,
  complaintThreshold: 0.5,
  // logit = bias + Σ weight × signal; signals: logits of model probabilities, cue counts (≤3), 0/1 flags
  complaintWeights: {
    bias: -0.3,
    problem_model: 0.45,
    negative_model: 0.4,
    positive_model: -0.3,
    care_model: 0.15,
    complaint_cues: 0.9,
    problem_cues: 0.75,
    addressed: 0.8,
  },
  responseWeights: {
    bias: 0.3,
    starts_thread: 1.1,
    depth: -0.12,
    reply_to_us: 0.2,
    self_thread: -0.6,
    reply_to_other: -0.8,
    complaint: 0.3,
    question: 0.3,
    chaser: 1.0,
    closing_only: -1.2,
    to_others: -0.8,
    agent_signature: -2.0,
    not_addressed: -1.2,
    private: 1.0,
  },
  priority: {
    complaint: 25,
    negativeSentiment: 15,
    chaser: 20,
    waitingMax: 20,
    waitingFullMinutes: 24 * 60,
    public: 10,
    urgency: 10,
    reachCap: 10,
  },
};

const SENTIMENTS: Sentiment[] = ['negative', 'neutral', 'positive'];

const settingsCache = new WeakMap<TriageModel, TriageSettings>();
/** DEFAULT_SETTINGS with the model's overrides applied (memoized per model). */
export function effectiveSettings(model: TriageModel): TriageSettings {
  let s = settingsCache.get(model);
  if (!s) {
    const o = model.settings ?? {};
    s = {
      ...DEFAULT_SETTINGS,
      ...o,
      complaintWeights: { ...DEFAULT_SETTINGS.complaintWeights, ...(o.complaintWeights ?? {}) },
      responseWeights: { ...DEFAULT_SETTINGS.responseWeights, ...(o.responseWeights ?? {}) },
      priority: { ...DEFAULT_SETTINGS.priority, ...(o.priority ?? {}) },
    };
    settingsCache.set(model, s);
  }
  return s;
}

/** Internal per-message state shared by the signal rules. */
interface Ctx {
  input: TriageInput;
  a: Analysis;
  model: TriageModel;
  settings: TriageSettings;
  p: { neg: number; neu: number; pos: number; off: number; spam: number; care: number; problem: number };
  packed: PackedModel;
  /** Packed-table row of each feature (reused by the wide intent head). */
  rows: Int32Array;
  /** Precomputed on another thread, when present (see Preanalysis). */
  intentProba?: Float64Array | null;
  language?: Scored<string>;
  /** The words with a letter or digit, other than the @user and URL placeholders. */
  content: string[];
  addressed: boolean;
  addressedReason: string;
  toOthers: boolean;
  question: boolean;
  closingOnly: boolean;
  agentSignature: boolean;
}

/**
 * The part of triage that depends on the text alone (text → features → head logits):
 * most of its cost, and computable ahead of time or on another thread
 * (src/triage/preanalysis.ts) while the context (thread, waiting time) is worked out.
 */
export interface Preanalysis {
  a: Analysis;
  /** Packed-table row of each feature. */
  rows: Int32Array;
  /** Logits of every narrow head (packed layout). */
  logits: Float64Array;
  /** The intent head's probabilities (null: the model has none); absent: computed when needed. Read-only. */
  intentProba?: Float64Array | null;
  /** The language; absent: computed when needed. */
  language?: Scored<string>;
}

export function preanalyze(text: unknown, model: TriageModel): Preanalysis {
  const a = analyze(text, model.lexicon);
  const packed = packedModel(model);
  const rows = lookupRows(packed, a.fv);
  return { a, rows, logits: narrowLogits(packed, a.fv, rows) };
}

/**
 * The rest of the text-only work, for a preanalysis made on another thread: the
 * intent head (a wide table, cache-hungry) and the language, used by every message
 * that turns out to be a service matter.
 */
export function completePreanalysis(pre: Preanalysis, model: TriageModel): Preanalysis {
  const z = model.heads.intent ? wideLogits(packedModel(model), 'intent', pre.a.fv, pre.rows) : null;
  pre.intentProba = z ? softmaxInPlace(z) : null;
  pre.language = detectLanguage(pre.a.clean.text, pre.a.tokens.words);
  return pre;
}

/** Model outputs + message facts every rule reads. */
function buildCtx(input: TriageInput, model: TriageModel, pre?: Preanalysis): { ctx: Ctx; sent: Float64Array } {
  const { a, rows, logits } = pre ?? preanalyze(input?.text, model);
  const settings = effectiveSettings(model);
  const packed = packedModel(model);
  const sent = narrowProba(packed, 'sentiment', logits) ?? Float64Array.of(0.2, 0.6, 0.2);
  const p = {
    neg: sent[0]!, neu: sent[1]!, pos: sent[2]!,
    off: narrowProbaOf(packed, 'offensive', logits, 1, 0),
    spam: narrowProbaOf(packed, 'spam', logits, 1, 0),
    care: narrowProbaOf(packed, 'care', logits, 1, 0.5),
    problem: narrowProbaOf(packed, 'problem', logits, 1, 0.3),
  };
  const addr = addressing(input, a);
  const question = a.tokens.questions > 0 || a.cues.question.length > 0;
  const content = contentWords(a.tokens.words);
  const ctx: Ctx = {
    input, a, model, settings, p, packed, rows, intentProba: pre?.intentProba, language: pre?.language,
    content, addressed: addr.addressed, addressedReason: addr.reason, toOthers: addr.toOthers,
    question,
    closingOnly: isClosingOnly(a, question, content),
    agentSignature: AGENT_SIGNATURE.test(a.clean.text.trim()),
  };
  return { ctx, sent };
}

/** The rule layer on top of the base heads (before learned heads refine it). */
function ruleSignals(ctx: Ctx, sent: Float64Array) {
  const sentiment = sentimentSignal(ctx, sent);
  const complaint = complaintSignal(ctx);
  const chaser = chaserSignal(ctx);
  const accolade = accoladeSignal(ctx, complaint.value);
  const category = categorySignal(ctx, complaint, chaser, accolade);
  const needsResponse = needsResponseSignal(ctx, category.value, complaint.value, chaser.value);
  return { sentiment, complaint, chaser, accolade, category, needsResponse };
}

/** Run the built-in linear classifier and rules. */
export function computeSignals(input: TriageInput, model: TriageModel, pre?: Preanalysis): TriageSignals & { analysis: Analysis; fineIntent: Scored<string> | null; truncated: boolean } {
  const { ctx, sent } = buildCtx(input, model, pre);
  const { a, p } = ctx;
  const H = model.heads;
  const words = a.tokens.words;
  const rules = ruleSignals(ctx, sent);
  const { sentiment, chaser, accolade } = rules;
  let { complaint, category, needsResponse } = rules;

  // Heads learned from labelled examples (team corrections, restricted sets) refine the rules.
  if (H.complaint || H.category || H.needs_response || H.action) {
    const stacked = stackedFeatures(a.fv, metaSignals(ctx, complaint, chaser, accolade, category, needsResponse));
    if (H.complaint) {
      const pc = predictProba(H.complaint, stacked)[1]!;
      complaint = { value: pc >= 0.5, confidence: round3(pc >= 0.5 ? pc : 1 - pc), reason: `${complaint.reason}; learned complaint model ${pc.toFixed(2)}` };
      category = categorySignal(ctx, complaint, chaser, accolade);
    }
    if (H.category) {
      const pr = predictProba(H.category, stacked);
      const k = argmax(pr);
      const label = H.category.labels[k] as TriageCategory;
      if (label !== category.value) category = { value: label, confidence: round3(pr[k]!), reason: `learned from team examples (${pr[k]!.toFixed(2)}); rules said ${category.value}` };
    }
    const nrHead = H.needs_response ?? H.action;
    if (nrHead) {
      const pr = predictProba(nrHead, stacked);
      const respondIdx = nrHead.labels.indexOf(nrHead === H.action ? 'respond' : '1');
      const pResp = respondIdx >= 0 ? pr[respondIdx]! : 0.5;
      needsResponse = { value: pResp >= 0.5, confidence: round3(pResp >= 0.5 ? pResp : 1 - pResp), reason: `${needsResponse.reason}; learned model ${pResp.toFixed(2)}` };
    }
  }

  if (category.value === 'abuse' && complaint.value && !H.complaint) {
    complaint = { value: false, confidence: 0.7, reason: 'insults without a service issue: not a complaint' };
  }
  const cs = category.value === 'customer_service' || complaint.value || chaser.value;
  const intents = cs ? intentSignal(ctx) : { intent: null, fine: null };
  const language = ctx.language ?? detectLanguage(a.clean.text, words);
  const scores: Record<string, number> = {
    negative: round3(p.neg), neutral: round3(p.neu), positive: round3(p.pos), offensive: round3(p.off),
    spam: round3(p.spam), care: round3(p.care), problem: round3(p.problem), urgency: a.cues.urgency.length,
  };
  return {
    category, complaint, sentiment, accolade, chaser, intent: intents.intent, language, needsResponse,
    scores, model: model.version, analysis: a, fineIntent: intents.fine, truncated: a.clean.truncated,
  };
}

/**
 * Action and priority from signals. Spam is ignored, abuse monitored (never
 * answered); everything else is answered when it needs a response.
 */
export function decide(input: TriageInput, signals: TriageSignals, now: number, settings: TriageSettings = DEFAULT_SETTINGS): { action: Scored<TriageAction>; priority: { value: number; factors: PriorityFactor[] } } {
  const cat = signals.category;
  let action: Scored<TriageAction>;
  if (cat.value === 'spam') action = { value: 'ignore', confidence: cat.confidence, reason: `spam: ${cat.reason}` };
  else if (cat.value === 'abuse') action = { value: 'monitor', confidence: cat.confidence, reason: `abuse/trolling: watch, don't answer (${cat.reason})` };
  else if (signals.needsResponse.value) action = { value: 'respond', confidence: signals.needsResponse.confidence, reason: signals.needsResponse.reason };
  else action = { value: 'monitor', confidence: signals.needsResponse.confidence, reason: signals.needsResponse.reason };
  return { action, priority: priorityOf(input, signals, action.value, now, settings) };
}

/** Full triage of one message with the built-in model (`pre`: its text's preanalysis, when already computed). */
export function triage(input: TriageInput, now: number, model: TriageModel, pre?: Preanalysis): TriageOutcome {
  const s = computeSignals(input, model, pre);
  return assemble(input, s, now, effectiveSettings(model), model.version, s.truncated, s.fineIntent);
}

/** Triage many messages (same `now`). */
export function triageBatch(inputs: readonly TriageInput[], now: number, model: TriageModel): TriageOutcome[] {
  return inputs.map((i) => triage(i, now, model));
}

/** Combine signals + decision into the stored shape. */
export function assemble(input: TriageInput, s: TriageSignals, now: number, settings: TriageSettings, model: string, truncated = false, fineIntent: Scored<string> | null = null): TriageOutcome {
  const { action, priority } = decide(input, s, now, settings);
  const out: TriageOutcome = {
    action,
    category: s.category,
    complaint: s.complaint,
    sentiment: s.sentiment,
    accolade: s.accolade,
    chaser: s.chaser,
    intent: s.intent,
    language: s.language,
    priority,
    model: s.model ?? model,
    needsResponse: s.needsResponse,
    scores: s.scores ?? {},
    truncated,
  };
  if (fineIntent) out.scores = { ...out.scores, [`intent:${fineIntent.value}`]: fineIntent.confidence };
  return out;
}

// ---------------------------------------------------------------------------
// addressing: is the message written to the brand?

const CARE_HANDLE = /(help|helps|support|care|cares|service|services|cs|assist|desk|team|official|hq|uk|us)$/i;
const AGENT_SIGNATURE = /(?:^|\s)(?:\^[A-Z]{1,4}|\*[A-Z][A-Za-z]{1,14}|[-–~][A-Z][a-z]{1,14})$/;

function addressing(input: TriageInput, a: Analysis): { addressed: boolean; toOthers: boolean; reason: string } {
  const ctx = input?.context ?? {};
  const kind = input?.kind;
  if (input?.visibility === 'private' || kind === 'dm' || kind === 'email' || kind === 'chat') return { addressed: true, toOthers: false, reason: 'private message to us' };
  if (ctx.replyTo?.fromBrand) return { addressed: true, toOthers: false, reason: 'replies to our post' };
  const handles = a.tokens.handles;
  const brand = (ctx.brandHandles ?? []).map((h) => h.replace(/^@/, '').toLowerCase());
  if (brand.length > 0) {
    const mentioned = handles.some((h) => brand.includes(h));
    if (mentioned) return { addressed: true, toOthers: false, reason: 'mentions our handle' };
    if (ctx.replyTo && !ctx.replyTo.fromBrand && !ctx.replyTo.sameAuthor) return { addressed: false, toOthers: true, reason: 'a reply to someone else that does not mention us' };
    if (kind === 'mention' || kind === 'comment') return { addressed: true, toOthers: false, reason: `a ${kind} on our account` };
    return { addressed: false, toOthers: false, reason: 'does not mention our handles' };
  }
  if (kind === 'mention' || kind === 'comment' || kind === 'reply') return { addressed: true, toOthers: false, reason: `a ${kind} on our account` };
  if (handles.some((h) => CARE_HANDLE.test(h))) return { addressed: true, toOthers: false, reason: 'mentions a care/support handle' };
  return { addressed: false, toOthers: false, reason: kind === 'listening' ? 'found by listening, not addressed to us' : 'not addressed to us' };
}

const RESOLVED = new Set(['sorted', 'all sorted', 'solved', 'resolved', 'fixed', 'it worked', 'that worked', 'works now', 'working now', 'all good', 'figured it out', 'figured out', 'nvm', 'never mind', 'nevermind', 'bye', 'good night', 'goodnight', 'you too', 'same to you', 'have a good', 'have a great', 'have a nice', 'no worries', 'much appreciated', 'appreciate it']);

/**
 * A message that only closes the conversation: thanks, "sorted now", goodbyes. Bare
 * "yes"/"ok" are not closings — they usually answer our question and need a follow-up.
 */
function isClosingOnly(a: Analysis, question: boolean, content: readonly string[]): boolean {
  if (question) return false;
  if (a.cues.problem.length > 0 || a.cues.complaint.length > 0 || a.cues.urgency.length > 0 || a.cues.chaser.length > 0) return false;
  if (content.length === 0 || content.length > 10) return false;
  let closers = a.cues.thanks.length;
  for (const c of a.cues.closing) if (RESOLVED.has(c)) closers++;
  return closers > 0 && content.length <= 4 + 2 * closers;
}

const LETTER_OR_DIGIT = /[\p{L}\p{N}]/u;
/** Words with a letter or digit, other than the @user and URL placeholders (`#` has neither). */
function contentWords(words: readonly string[]): string[] {
  const out: string[] = [];
  for (const w of words) if (w !== '@user' && w !== 'httpurl' && LETTER_OR_DIGIT.test(w)) out.push(w);
  return out;
}

// ---------------------------------------------------------------------------
// signals

function sentimentSignal(c: Ctx, sent: Float64Array): Scored<Sentiment> {
  const k = argmax(sent);
  const value = SENTIMENTS[k]!;
  const why = topWords(c, 'sentiment', k); // at most 3, distinct
  if (k === 0) {
    const lex = c.a.cues.complaint;
    for (let i = 0; i < lex.length && i < 2 && why.length < 3; i++) if (!why.includes(lex[i]!)) why.push(lex[i]!);
  }
  return { value, confidence: round3(sent[k]!), reason: `${value} ${sent[k]!.toFixed(2)}${why.length ? ` (${quoted(why)})` : ''}` };
}

const logit = (p: number) => {
  const q = Math.min(Math.max(p, 1e-4), 1 - 1e-4);
  return Math.log(q / (1 - q));
};

/** Built-in complaint score: a readable logistic combination of model outputs and cues. */
function complaintLogit(c: Ctx): number {
  const w = c.settings.complaintWeights;
  const g = (k: string) => w[k] ?? 0;
  return g('bias')
    + g('problem_model') * logit(c.p.problem)
    + g('negative_model') * logit(c.p.neg)
    + g('positive_model') * logit(c.p.pos)
    + g('care_model') * logit(c.p.care)
    + g('complaint_cues') * Math.min(c.a.cues.complaint.length, 3)
    + g('problem_cues') * Math.min(c.a.cues.problem.length, 3)
    + g('addressed') * (c.addressed ? 1 : 0);
}

function complaintSignal(c: Ctx): Scored<boolean> {
  const z = complaintLogit(c);
  const pc = 1 / (1 + Math.exp(-z));
  const value = pc >= c.settings.complaintThreshold;
  const cues = firstDistinct(c.a.cues.problem, c.a.cues.complaint, 3);
  const head = cues.length ? `cues ${quoted(cues)}` : 'no complaint cues';
  const problem = c.p.problem >= 0.5 ? `; problem report ${c.p.problem.toFixed(2)}` : '';
  return { value, confidence: round3(value ? pc : 1 - pc), reason: `${value ? 'complaint' : 'not a complaint'}: ${head}; negative ${c.p.neg.toFixed(2)}${problem}` };
}

const WEAK_CHASER = new Set(['??', 'hello ?', 'hello ??', 'hi ??', 'hello ?!', 'ping', 'bump', 'hellooo', 'helloo']);
/** Weak cues that could as well open a conversation: only a chase when something is unanswered. */
const NEEDS_CONTEXT = new Set(['hello ?', 'ping', 'bump']);

function chaserSignal(c: Ctx): Scored<boolean> {
  const ctx = c.input?.context ?? {};
  const given = ctx.previousInbound;
  const prev = given && given.length ? given.filter((t): t is string => typeof t === 'string' && t.length > 0) : NO_MATCHES;
  const hasContext = prev.length > 0 || typeof ctx.unansweredSince === 'number';
  const found = c.a.cues.chaser;
  const strong = found.length ? found.filter((f) => !WEAK_CHASER.has(f)) : NO_MATCHES;
  const weak = found.length ? found.filter((f) => WEAK_CHASER.has(f)) : NO_MATCHES;
  const content = c.content;
  const short = content.length <= 4;
  if (strong.length > 0) return { value: true, confidence: hasContext ? 0.95 : 0.85, reason: `chasing: '${strong[0]}'${hasContext ? ' with an unanswered earlier message' : ''}` };
  if (prev.length > 0) {
    let best = 0;
    const cur = contentSet(c.content, true);
    for (const t of prev.slice(-5)) best = Math.max(best, jaccard(cur, earlierContent(t)));
    if (best >= 0.5 && cur.size >= 3) return { value: true, confidence: round3(0.6 + 0.35 * best), reason: `repeats an unanswered earlier message (overlap ${best.toFixed(2)})` };
  }
  const weakAlone = weak.length ? weak.filter((f) => !NEEDS_CONTEXT.has(f)) : NO_MATCHES;
  if ((weak.length > 0 && hasContext) || (weakAlone.length > 0 && short)) return { value: true, confidence: hasContext ? 0.85 : 0.6, reason: `chasing: '${weak[0]}'${hasContext ? ' after an unanswered message' : ''}` };
  if (hasContext && short && c.question && !c.closingOnly) {
    const greet = content.some((w) => /^(h+e+l+o+|hi+|hey+|anyone|anybody|helo|yo|ping)$/.test(w));
    if (greet || content.length <= 2) return { value: true, confidence: 0.7, reason: 'short nudge while an earlier message is unanswered' };
  }
  return { value: false, confidence: hasContext ? 0.8 : 0.9, reason: hasContext ? 'new content, not a chase' : 'no chasing phrases' };
}

function accoladeSignal(c: Ctx, isComplaint: boolean): Scored<boolean> {
  const acc = c.a.cues.accolade;
  const thanks = c.a.cues.thanks;
  if ((acc.length === 0 && thanks.length === 0) || isComplaint || c.p.neg >= 0.5) {
    const why = acc.length || thanks.length ? 'praise words, but the message is negative' : 'no thanks or praise';
    return { value: false, confidence: round3(0.7 + 0.25 * (1 - c.p.pos)), reason: why };
  }
  const strength = acc.length > 0 ? 0.6 + 0.35 * c.p.pos : 0.5 + 0.4 * c.p.pos;
  const cue = acc[0] ?? thanks[0]!;
  return { value: true, confidence: round3(Math.min(0.97, strength)), reason: `${acc.length ? 'praise' : 'thanks'}: '${cue}'; positive ${c.p.pos.toFixed(2)}` };
}

function categorySignal(c: Ctx, complaint: Scored<boolean>, chaser: Scored<boolean>, accolade: Scored<boolean>): Scored<TriageCategory> {
  const { p, a, settings } = c;
  // public replies/mentions addressed to us are rarely spam: demand more evidence, and
  // let a complaint or a chase win over a borderline spam score
  const inThread = c.addressed && c.input?.visibility === 'public' && (c.input?.kind === 'reply' || c.input?.kind === 'mention') && (c.input?.context?.brandHandles?.length ?? 0) > 0;
  const spamThreshold = inThread ? Math.max(settings.spamThreshold, 0.85) : settings.spamThreshold;
  const strongCare = inThread && (complaint.value || chaser.value) && p.spam < 0.97;
  if (p.spam >= spamThreshold && !strongCare) return { value: 'spam', confidence: round3(p.spam), reason: `spam model ${p.spam.toFixed(2)}${a.cues.spam.length ? `; cues ${a.cues.spam.slice(0, 3).map((x) => `'${x}'`).join(', ')}` : ''}` };
  const insults = a.cues.insult.length;
  // the offensive model alone over-fires on banter aimed at brands: ask for abusive words too
  const harsh = insults + a.cues.profanity.length;
  const abusive = (p.off >= settings.abuseThreshold && harsh > 0) || p.off >= 0.9 || (insults > 0 && p.off >= 0.35);
  const careReasons: string[] = [];
  if (complaint.value) careReasons.push('complaint');
  if (chaser.value) careReasons.push('chasing an answer');
  if (c.question && c.addressed) careReasons.push('question to us');
  if (a.cues.problem.length > 0 && c.addressed) careReasons.push(`problem '${a.cues.problem[0]}'`);
  if (p.care >= 0.5) careReasons.push(`support topic ${p.care.toFixed(2)}`);
  if (c.input?.context?.replyTo?.fromBrand && !c.closingOnly) careReasons.push('continues a conversation with us');
  // a concrete service issue keeps an angry customer in the queue; insults alone do not
  const issue = a.cues.problem.length > 0 || a.cues.complaint.length > 0 || chaser.value || (c.question && c.addressed);
  if (abusive && !issue) {
    const why = harsh ? `abusive words ${[...a.cues.insult, ...a.cues.profanity].slice(0, 2).map((x) => `'${x}'`).join(', ')}; ` : '';
    return { value: 'abuse', confidence: round3(Math.max(p.off, insults ? 0.7 : 0)), reason: `${why}offensive model ${p.off.toFixed(2)}, no service issue` };
  }
  if (careReasons.length > 0) {
    const conf = Math.max(complaint.value ? complaint.confidence : 0, chaser.value ? chaser.confidence : 0, p.care, 0.6);
    return { value: 'customer_service', confidence: round3(conf), reason: careReasons.slice(0, 3).join('; ') + (abusive ? ' (abusive language, but a real issue)' : '') };
  }
  if (accolade.value || a.cues.marketing.length > 0) {
    const why = accolade.value ? accolade.reason : `marketing topic '${a.cues.marketing[0]}'`;
    return { value: 'brand', confidence: round3(accolade.value ? accolade.confidence * 0.9 : 0.6), reason: why };
  }
  return { value: 'other', confidence: 0.55, reason: 'no service issue, praise, spam or abuse found' };
}

/** The reason triage gives a message that only closes the conversation. */
const CLOSING_ONLY = 'closes the conversation (thanks/ok), nothing to answer';

function needsResponseSignal(c: Ctx, category: TriageCategory, isComplaint: boolean, isChaser: boolean): Scored<boolean> {
  const w = c.settings.responseWeights;
  const g = (k: string) => w[k] ?? 0;
  const depth = Math.max(0, Math.min(20, Number(c.input?.context?.threadDepth ?? 0) || 0));
  const priv = c.input?.visibility === 'private' || c.input?.kind === 'dm' || c.input?.kind === 'email' || c.input?.kind === 'chat';
  const reply = c.input?.context?.replyTo ?? null;
  // the terms in a fixed order (the sum's order, and the tie order of the reasons)
  const values = [
    // where it sits in the thread: first messages get answered, long threads move to DM,
    // a customer threading onto their own unanswered tweet is usually still typing
    depth === 0 && !reply ? g('starts_thread') : 0,
    Math.max(-1.5, g('depth') * Math.min(depth, 12)),
    reply?.fromBrand ? g('reply_to_us') : 0,
    reply && !reply.fromBrand && reply.sameAuthor ? g('self_thread') : 0,
    reply && !reply.fromBrand && !reply.sameAuthor ? g('reply_to_other') : 0,
    isComplaint ? g('complaint') : 0,
    c.question ? g('question') : 0,
    isChaser ? g('chaser') : 0,
    c.closingOnly ? g('closing_only') : 0,
    c.toOthers ? g('to_others') : 0,
    c.agentSignature ? g('agent_signature') : 0,
    !c.addressed && !c.toOthers ? g('not_addressed') : 0,
    priv ? g('private') : 0,
  ];
  let sum = 0;
  for (const v of values) sum += v;
  const z = g('bias') + sum;
  const pr = 1 / (1 + Math.exp(-z));
  const value = pr >= 0.5 && category !== 'spam' && category !== 'abuse';
  let why: string;
  if (c.closingOnly) why = CLOSING_ONLY;
  else if (c.toOthers) why = 'part of a conversation between other people';
  else if (c.agentSignature) why = 'looks written by an agent (signature)';
  else {
    const top: number[] = [];
    for (let i = 0; i < values.length; i++) if (values[i] !== 0) top.push(i);
    top.sort((x, y) => Math.abs(values[y]!) - Math.abs(values[x]!)); // stable: ties keep the terms' order
    why = top.slice(0, 3).map((i) => `${values[i]! > 0 ? '+' : '−'}${RESPONSE_TERMS[i]}`).join(', ') || 'default';
  }
  return { value, confidence: round3(value ? pr : 1 - pr), reason: `${value ? 'needs a response' : 'no response needed'}: ${why}; ${c.addressedReason}` };
}

const RESPONSE_TERMS = ['starts a thread', 'long thread', 'replies to us', 'continues own message', 'replies to someone else', 'complaint', 'question', 'chaser', 'closing', 'to others', 'agent signature', 'not addressed', 'private'];

const careIndexCache = new WeakMap<LinearHead, { names: string[]; index: Int32Array }>();
/** Fine label index → care intent index, computed once per head. */
function careIndex(head: LinearHead, map: Record<string, string>): { names: string[]; index: Int32Array } {
  let ci = careIndexCache.get(head);
  if (!ci) {
    const names: string[] = [];
    const index = new Int32Array(head.labels.length);
    head.labels.forEach((l, i) => {
      const care = map[l] ?? l;
      let k = names.indexOf(care);
      if (k < 0) { k = names.length; names.push(care); }
      index[i] = k;
    });
    ci = { names, index };
    careIndexCache.set(head, ci);
  }
  return ci;
}

function intentSignal(c: Ctx): { intent: Scored<string> | null; fine: Scored<string> | null } {
  const head = c.model.heads.intent;
  const map = c.model.intentMap && Object.keys(c.model.intentMap).length ? c.model.intentMap : BANKING77_TO_CARE;
  const cues = c.a.cues;
  let fine: Scored<string> | null = null;
  let pr = c.intentProba;
  if (pr === undefined) {
    const z = head ? wideLogits(c.packed, 'intent', c.a.fv, c.rows) : null;
    pr = z ? softmaxInPlace(z) : null;
  }
  let best = '';
  let bestP = 0;
  if (head && pr) {
    const k = argmax(pr);
    fine = { value: head.labels[k]!, confidence: round3(pr[k]!), reason: 'banking77-trained intent model' };
    const { names, index } = careIndex(head, map);
    const sums = new Float64Array(names.length);
    for (let i = 0; i < pr.length; i++) sums[index[i]!] += pr[i]!;
    const b = argmax(sums);
    best = names[b]!;
    bestP = sums[b]!;
  }
  // a care-intent head learned from the team's examples wins when it is sure
  const team = c.model.heads.intent_care;
  if (team) {
    const pr = predictProba(team, c.a.fv);
    const k = argmax(pr);
    if (pr[k]! >= 0.6) return { intent: { value: team.labels[k]!, confidence: round3(pr[k]!), reason: `learned from team examples (${pr[k]!.toFixed(2)})` }, fine };
  }
  // cue overrides for intents banking77 can't express
  if (cues.outage.length > 0 && (cues.problem.length > 0 || cues.outage.some((o) => /down|outage|offline/.test(o)))) {
    return { intent: { value: 'outage', confidence: 0.7, reason: `service down cues: ${cues.outage.slice(0, 2).map((x) => `'${x}'`).join(', ')}` }, fine };
  }
  if (cues.delivery.length > 0 && bestP < 0.6 && best !== 'refund') {
    return { intent: { value: 'delivery', confidence: 0.6, reason: `delivery cues: ${cues.delivery.slice(0, 2).map((x) => `'${x}'`).join(', ')}` }, fine };
  }
  if (!best) return { intent: null, fine };
  const label = CARE_INTENT_LABELS[best as keyof typeof CARE_INTENT_LABELS] ?? best;
  return { intent: { value: best, confidence: round3(bestP), reason: `${label} (closest trained intent: ${fine?.value} ${fine?.confidence.toFixed(2)})` }, fine };
}

// ---------------------------------------------------------------------------
// priority

function priorityOf(input: TriageInput, s: TriageSignals, action: TriageAction, now: number, settings: TriageSettings): { value: number; factors: PriorityFactor[] } {
  const P = settings.priority ?? DEFAULT_SETTINGS.priority;
  const f: PriorityFactor[] = [];
  if (s.complaint.value) f.push({ code: 'complaint', label: 'complaint', points: P.complaint });
  if (s.sentiment.value === 'negative') f.push({ code: 'negative_sentiment', label: `negative sentiment (${s.sentiment.confidence.toFixed(2)})`, points: Math.round(P.negativeSentiment * Math.min(1, s.sentiment.confidence)) });
  if (s.chaser.value) f.push({ code: 'chaser', label: 'customer is chasing an answer', points: P.chaser });

  const since = numberOr(input?.context?.unansweredSince, numberOr(input?.createdAt, now));
  const minutes = Math.max(0, (now - since) / 60_000);
  if (minutes >= 1 && Number.isFinite(minutes)) {
    const pts = Math.round(P.waitingMax * Math.min(1, Math.log1p(minutes) / Math.log1p(P.waitingFullMinutes)));
    if (pts > 0) f.push({ code: 'waiting_time', label: `waiting ${formatMinutes(minutes)}`, points: pts });
  }
  if (input?.visibility === 'public') f.push({ code: 'public', label: 'public: others can see it', points: P.public });
  const urgency = urgencyCues(s);
  if (urgency) f.push({ code: 'urgency', label: urgency, points: P.urgency });

  // reach: followers on a log scale + verified, together never more than the cap
  const followers = Math.max(0, Number(input?.author?.followers ?? 0) || 0);
  const fromFollowers = followers >= 1000 ? Math.round(2 * (Math.log10(followers) - 2)) : 0;
  const fromVerified = input?.author?.verified ? 2 : 0;
  const reach = Math.min(P.reachCap, fromFollowers + fromVerified);
  if (reach > 0) f.push({ code: 'reach', label: `author reach (${followers.toLocaleString('en-US')} followers${fromVerified ? ', verified' : ''}; capped at ${P.reachCap})`, points: reach });

  return settle(f, action);
}

/** The action's ceiling factor codes (monitor ≤ 10, ignore 0): recomputed whenever the factors change. */
const CEILING_CODES = new Set(['ignored', 'monitor_only']);

/** The priority of `f` (modified: the action's ceiling is added as a factor when it applies), within 0–100. */
function settle(f: PriorityFactor[], action: TriageAction): { value: number; factors: PriorityFactor[] } {
  let sum = 0;
  for (const x of f) sum += x.points;
  const ceiling = action === 'respond' ? 100 : action === 'monitor' ? 10 : 0;
  if (sum > ceiling) {
    f.push({ code: action === 'ignore' ? 'ignored' : 'monitor_only', label: action === 'ignore' ? 'ignored (spam): no priority' : 'monitor only: not queued for a reply', points: ceiling - sum });
    sum = ceiling;
  }
  return { value: Math.max(0, Math.min(100, Math.round(sum))), factors: f };
}

/**
 * The triage without its waiting-time factor (the ceiling settled again), for a message whose
 * wait means nothing now: imported history, where "waiting 3321 days" measures the import,
 * not a customer. `t` itself when it has no such factor.
 */
export function withoutWaitingTime<T extends TriageResult>(t: T): T {
  const factors = t.priority.factors;
  if (!factors.some((x) => x.code === 'waiting_time')) return t;
  const kept = factors.filter((x) => x.code !== 'waiting_time' && !CEILING_CODES.has(x.code));
  return { ...t, priority: settle(kept, t.action.value) };
}

/**
 * Whether triage marks a message as closing the conversation with nothing to answer:
 * thanks, "ok", "all sorted", praise — monitored, not abuse. On a resolved conversation such
 * a message is recorded without reopening it (src/core/conversationState.ts).
 */
export function closesConversation(t: Pick<TriageResult, 'action' | 'category' | 'accolade'> | null | undefined): boolean {
  if (!t || t.action.value !== 'monitor' || t.category.value === 'abuse' || t.category.value === 'spam') return false;
  return t.accolade.value || t.action.reason.includes(CLOSING_ONLY);
}

/**
 * Whether triage found a message only closes the conversation — thanks, "all sorted", goodbyes;
 * no question, problem, complaint or chase — whatever its action (a first "thanks!" that tags us
 * may still deserve a person's reply, but there is nothing in it to answer).
 */
export function nothingToAnswer(t: Pick<TriageResult, 'action' | 'category'> | null | undefined): boolean {
  if (!t || t.category.value === 'abuse' || t.category.value === 'spam') return false;
  return t.action.reason.includes(CLOSING_ONLY);
}

/**
 * The points a chaser ("hello??", "still waiting") adds on top of its conversation's standing
 * priority: its own chaser points, when triage says it needs an answer; 0 otherwise.
 */
export function chaserPoints(t: TriageResult | null | undefined): number {
  if (!t || !t.chaser.value || t.action.value !== 'respond') return 0;
  for (const x of t.priority.factors) if (x.code === 'chaser') return x.points;
  return 0;
}

/**
 * A chaser's priority when it raised its conversation's: the priority the conversation stood
 * at plus the chaser's points, within 0–100, every point listed (the standing priority is
 * explained by the message that set it).
 */
export function chasedPriority(standing: number, points: number): { value: number; factors: PriorityFactor[] } {
  const f: PriorityFactor[] = [
    { code: 'standing', label: `the conversation's priority before it was chased`, points: standing },
    { code: 'chased', label: 'chased: customer asked again', points },
  ];
  if (standing + points > 100) f.push({ code: 'scale_max', label: 'kept within 0–100', points: 100 - standing - points });
  return { value: Math.max(0, Math.min(100, standing + points)), factors: f };
}

// urgency is recomputed from the category/intent reasons the signals carry
const URGENT_INTENTS = new Set(['fraud_security', 'outage']);
function urgencyCues(s: TriageSignals): string | null {
  if (s.intent && URGENT_INTENTS.has(s.intent.value) && s.intent.confidence >= 0.5) return `urgent topic: ${s.intent.value.replace('_', ' ')}`;
  const u = s.scores?.urgency ?? 0;
  return u > 0 ? `urgent wording (${u} cue${u > 1 ? 's' : ''})` : null;
}

// ---------------------------------------------------------------------------
// stacking: features for heads learned from labelled examples

const SEED_META = namespaceSeed('m');
/** Meta feature ids (exported for training). */
export function metaId(name: string): number {
  return mix32(fnv1a(name, SEED_META));
}

function metaSignals(c: Ctx, complaint: Scored<boolean>, chaser: Scored<boolean>, accolade: Scored<boolean>, category: Scored<TriageCategory>, nr: Scored<boolean>): [string, number][] {
  const depth = Math.max(0, Math.min(20, Number(c.input?.context?.threadDepth ?? 0) || 0));
  return [
    ['complaint_logit', complaintLogit(c) / 4],
    ['negative', c.p.neg], ['positive', c.p.pos], ['offensive', c.p.off], ['spam', c.p.spam], ['care', c.p.care], ['problem', c.p.problem],
    ['addressed', c.addressed ? 1 : 0], ['to_others', c.toOthers ? 1 : 0], ['question', c.question ? 1 : 0],
    ['closing_only', c.closingOnly ? 1 : 0], ['agent_signature', c.agentSignature ? 1 : 0],
    ['reply_to_brand', c.input?.context?.replyTo?.fromBrand ? 1 : 0], ['depth', Math.min(depth, 8) / 8], ['root', depth === 0 ? 1 : 0],
    ['chaser', chaser.value ? 1 : 0], ['accolade', accolade.value ? 1 : 0], ['complaint_rule', complaint.value ? 1 : 0],
    [`rule_category=${category.value}`, 1], ['rule_respond', nr.value ? 1 : 0],
    [`kind=${c.input?.kind ?? 'unknown'}`, 1], [`visibility=${c.input?.visibility ?? 'unknown'}`, 1],
  ];
}

/** Base features + meta features (rule outputs) for the learned heads. */
export function stackedFeatures(fv: FeatureVector, meta: [string, number][]): FeatureVector {
  const n = fv.n + meta.length;
  const ids = new Int32Array(n);
  const vals = new Float32Array(n);
  ids.set(fv.ids.subarray(0, fv.n));
  vals.set(fv.vals.subarray(0, fv.n));
  let k = fv.n;
  for (const [name, v] of meta) { ids[k] = metaId(name); vals[k++] = v; }
  return { ids, vals, n, wordEnd: fv.wordEnd, charEnd: fv.charEnd };
}

/** Stacked features of an input as the learned heads see them (for training). */
export function stackedFeaturesOf(input: TriageInput, model: TriageModel): FeatureVector {
  const { ctx, sent } = buildCtx(input, model);
  const r = ruleSignals(ctx, sent);
  return stackedFeatures(ctx.a.fv, metaSignals(ctx, r.complaint, r.chaser, r.accolade, r.category, r.needsResponse));
}

// ---------------------------------------------------------------------------
// helpers

/** The words that pushed a head's class most (word unigrams only: readable). */
function topWords(c: Ctx, headName: string, cls: number): string[] {
  const ph = c.packed.narrow[headName];
  if (!ph) return [];
  const words = c.a.tokens.words;
  const { weights, width } = c.packed;
  const col = ph.head.cols === 1 ? ph.offset : ph.offset + cls;
  const sign = ph.head.cols === 1 && cls === 0 ? -1 : 1;
  const scored: [string, number][] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if (w === '@user' || w === 'httpurl' || w === '#' || w.length < 2 || EXPLAIN_STOP.has(w)) continue;
    const row = c.rows[2 * i]!; // features are laid out unigram, bigram, unigram, bigram, ...
    if (row < 0) continue;
    const wt = sign * weights[row * width + col]!;
    if (wt > 0.15 && !scored.some(([x]) => x === w)) scored.push([w, wt]);
  }
  return scored.sort((x, y) => y[1] - x[1]).slice(0, 3).map(([w]) => w);
}

const EXPLAIN_STOP = new Set(['is', 'are', 'was', 'were', 'be', 'been', 'am', 'the', 'a', 'an', 'and', 'or', 'of', 'to', 'in', 'on', 'at', 'for', 'with', 'my', 'me', 'i', 'you', 'your', 'it', 'this', 'that', 'we', 'they', 'he', 'she', 'his', 'her', 'our', 'us', 'so', 'as', 'by', 'from', 'there', 'here', 'have', 'has', 'had', 'do', 'does', 'did', 'will', 'would', 'can', 'just', 'much', 'very', 'ha']);

/** `'a', 'b'`: cues and words as reasons show them. */
function quoted(xs: readonly string[]): string {
  let s = '';
  for (let i = 0; i < xs.length; i++) s += (i ? ", '" : "'") + xs[i] + "'";
  return s;
}

/** The first `n` distinct strings of `a` then `b`. */
function firstDistinct(a: readonly string[], b: readonly string[], n: number): string[] {
  const out: string[] = [];
  for (const x of a) { if (out.length >= n) return out; if (!out.includes(x)) out.push(x); }
  for (const x of b) { if (out.length >= n) return out; if (!out.includes(x)) out.push(x); }
  return out;
}

/** `filtered`: the words are content words already (`contentWords`). */
function contentSet(words: readonly string[], filtered = false): Set<string> {
  const s = new Set<string>();
  for (const w of words) if (w.length > 2 && (filtered || (w !== '@user' && w !== 'httpurl' && LETTER_OR_DIGIT.test(w))) && !STOP.has(w)) s.add(w);
  return s;
}
const STOP = new Set(['the', 'and', 'you', 'your', 'for', 'this', 'that', 'with', 'have', 'has', 'was', 'are', 'but', 'not', 'can', 'just', 'get', 'got', 'from', 'please', 'any']);

/**
 * The content words of an earlier message, remembered by its text: a waiting conversation's
 * earlier texts are compared again with every message that arrives in it (a pure cache,
 * bounded; the sets are never modified). Two generations: when the young one is full it
 * becomes the old one, and a text found in the old one moves back to the young; so the texts
 * of conversations still waiting stay, where clearing the whole cache when full dropped them
 * all at once (the waiting texts of a busy desk outnumber one generation).
 */
const EARLIER_GENERATION = 4096;
let earlierYoung = new Map<string, Set<string>>();
let earlierOld = new Map<string, Set<string>>();
function earlierContent(text: string): Set<string> {
  const key = String(text).slice(0, CHEAP_CHARS); // all analyzeWordsCheap reads
  let set = earlierYoung.get(key);
  if (set !== undefined) return set;
  set = earlierOld.get(key) ?? contentSet(analyzeWordsCheap(key));
  if (earlierYoung.size >= EARLIER_GENERATION) {
    earlierOld = earlierYoung;
    earlierYoung = new Map();
  }
  earlierYoung.set(key, set);
  return set;
}

const CHEAP_CHARS = 2000;
function analyzeWordsCheap(text: string): string[] {
  return String(text).slice(0, CHEAP_CHARS).toLowerCase().split(/[^\p{L}\p{N}']+/u).filter(Boolean);
}

function jaccard(a: Set<string>, b: Set<string>): number {
  if (a.size === 0 || b.size === 0) return 0;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

function numberOr(x: unknown, fallback: number): number {
  return typeof x === 'number' && Number.isFinite(x) ? x : fallback;
}

function formatMinutes(m: number): string {
  if (m < 60) return `${Math.round(m)} min`;
  if (m < 48 * 60) return `${(m / 60).toFixed(1)} h`;
  return `${Math.round(m / 1440)} days`;
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
