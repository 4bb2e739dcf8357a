/**
 * The suggested personal reply to a customer whose conversation is linked to an incident
 * that has a public statement. The mission: post one statement, and still answer people one
 * by one — so the suggestion is not the statement pasted back: it greets the customer (by
 * first name, as the reply checks greet: `greetingFirstName`), acknowledges that the problem
 * hit them, carries the statement's key facts (its sentences minus apologies, thanks and
 * hashtags), says when the next update comes when the incident has one, and invites them to
 * come back if it still fails for them. It fits the network's length rule for the reply's
 * visibility (`lengthRuleFor`, as the composer and the reply checks count), dropping the
 * least important parts first. Never sent by itself: the agent puts it in their draft.
 *
 * Pure: plain data in and out; `now` is passed in (it decides whether the next update reads as
 * a time today or a day and time).
 */
import { greetingFirstName } from './replyChecks.js';
import { lengthRuleFor, measure, type LengthRule } from './textLength.js';
import type { Network } from './types.js';
import { stripControls, wellFormed } from './wf_text.js';
import { zoneAbbreviation, zoneOffsetMs, DAY_MS } from './wf_time.js';

export interface IncidentReplyInput {
  /** The incident's latest statement (its text as written). */
  statement: string;
  /** Its language (ISO 639-1) when known; else `customerLanguage` decides the wording. */
  statementLanguage?: string | null;
  customerLanguage?: string | null;
  /** The customer's display name; greeted by first name only when `greetingFirstName` finds one. */
  customerName?: string | null;
  /** The incident's title ("Checkout is down"): what the reply acknowledges. */
  incidentTitle: string;
  network: Network;
  visibility: 'public' | 'private';
  /** A channel's own rule, in place of the network's. */
  lengthRule?: LengthRule | null;
  /** When the next update is due (ms), if the incident has one; shown in `timeZone` (the brand's). */
  nextUpdateAt?: number | null;
  timeZone?: string | null;
  now: number;
}

export interface IncidentReply {
  text: string;
  /** The language of the wording used (one of `INCIDENT_REPLY_LANGUAGES`). */
  language: string;
  /** The statement's sentences carried over, in order. */
  facts: string[];
  /** Key facts left out to fit the network (0 when all fit). */
  factsDropped: number;
  length: number;
  limit: number;
}

interface Wording {
  hi: (name: string) => string;
  /** Acknowledges that the incident hit this customer. */
  ack: (title: string) => string;
  ackShort: string;
  next: (when: string) => string;
  close: string;
  /** Sentences that carry no fact: apologies, thanks, "we'll keep you posted". */
  filler: RegExp;
}

const WORDING: Record<string, Wording> = {
  en: {
    hi: (n) => `Hi ${n},`,
    ack: (t) => `sorry you've been hit by this (${t}), and thanks for letting us know.`,
    ackShort: 'sorry you have been affected.',
    next: (w) => `Our next update is due ${w}.`,
    close: "If it still doesn't work for you afterwards, reply here and we'll look at your case.",
    filler: /^(?:we(?:'re| are)? (?:(?:very|so|truly|really) )?sorry|we apologi[sz]e|apologies|thank(?:s| you)|we(?:'ll| will) keep you (?:posted|updated)|stay tuned)\b/i,
  },
  de: {
    hi: (n) => `Hallo ${n},`,
    ack: (t) => `es tut uns leid, dass Sie davon betroffen sind (${t}), und danke für Ihre Nachricht.`,
    ackShort: 'es tut uns leid, dass Sie betroffen sind.',
    next: (w) => `Das nächste Update folgt ${w}.`,
    close: 'Falls es danach bei Ihnen noch nicht klappt, antworten Sie hier und wir sehen uns Ihren Fall an.',
    filler: /^(?:(?:es )?tut uns (?:sehr )?leid|wir entschuldigen|entschuldig|danke|vielen dank|wir halten (?:euch|sie) auf dem laufenden)/i,
  },
  fr: {
    hi: (n) => `Bonjour ${n},`,
    ack: (t) => `désolés que cela vous touche (${t}), et merci de nous l'avoir signalé.`,
    ackShort: 'désolés pour la gêne.',
    next: (w) => `Prochaine mise à jour prévue ${w}.`,
    close: 'Si cela ne fonctionne toujours pas ensuite, répondez-nous ici et nous regarderons votre cas.',
    filler: /^(?:nous (?:sommes|nous excusons)|(?:toutes )?nos excuses|désolés?|merci|nous vous tiendrons informés)/i,
  },
  es: {
    hi: (n) => `Hola ${n}:`,
    ack: (t) => `sentimos que te haya afectado (${t}) y gracias por avisarnos.`,
    ackShort: 'sentimos las molestias.',
    next: (w) => `La próxima actualización será ${w}.`,
    close: 'Si después sigue sin funcionarte, respóndenos aquí y revisaremos tu caso.',
    filler: /^(?:lo sentimos|sentimos|disculp|pedimos disculpas|gracias|te mantendremos informad)/i,
  },
  nl: {
    hi: (n) => `Hoi ${n},`,
    ack: (t) => `sorry dat je hier last van hebt (${t}), en bedankt voor je bericht.`,
    ackShort: 'sorry voor het ongemak.',
    next: (w) => `De volgende update volgt ${w}.`,
    close: 'Werkt het daarna nog steeds niet, reageer dan hier en we bekijken je situatie.',
    filler: /^(?:sorry|excuses|onze excuses|het spijt ons|bedankt|dank je|we houden je op de hoogte)/i,
  },
};

/** Languages the suggestion is worded in; any other falls back to English. */
export const INCIDENT_REPLY_LANGUAGES = Object.keys(WORDING);

/** Why-free text: no control characters, lone surrogates, bidi overrides or zero-width characters (a statement pasted from a document may carry them). */
function clean(text: string): string {
  return stripControls(wellFormed(String(text ?? '')))
    .replace(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069\uFEFF]/g, '')
    .replace(/[ \t\u00A0]+/g, ' ');
}

/**
 * The statement's key facts: its sentences without the ones that carry none (apologies, thanks,
 * "we'll keep you posted"), without hashtags and @handles (a personal reply is not a broadcast).
 */
export function statementFacts(statement: string, language: string): string[] {
  const w = WORDING[language] ?? WORDING.en!;
  const text = clean(statement).replace(/(^|\s)[#＃][\p{L}\p{N}_]+/gu, '$1').replace(/(^|\s)[@＠][\w.@-]+/gu, '$1');
  const seg = new Intl.Segmenter(language, { granularity: 'sentence' });
  const out: string[] = [];
  for (const part of text.split(/\n+/)) {
    for (const { segment } of seg.segment(part)) {
      const s = segment.replace(/\s+/g, ' ').trim();
      if (!/[\p{L}\p{N}]/u.test(s)) continue;
      if (w.filler.test(s) || WORDING.en!.filler.test(s)) continue;
      out.push(/[.!?…。！？]$/u.test(s) ? s : `${s}.`);
    }
  }
  return out;
}

/** "15:00 GMT" when `at` is today (local), else "Tuesday 15:00 GMT" (weekday in the reply's language). */
export function nextUpdateText(at: number, now: number, timeZone: string | null | undefined, language: string): string {
  const zone = timeZone || 'UTC';
  const off = zoneOffsetMs(zone, at);
  const local = new Date(at + off);
  const hm = `${String(local.getUTCHours()).padStart(2, '0')}:${String(local.getUTCMinutes()).padStart(2, '0')} ${zoneAbbreviation(zone, at)}`;
  const sameDay = Math.floor((at + off) / DAY_MS) === Math.floor((now + zoneOffsetMs(zone, now)) / DAY_MS);
  const AT: Record<string, [string, string]> = { en: ['at', 'on'], de: ['um', 'am'], fr: ['à', ''], es: ['a las', 'el'], nl: ['om', 'op'] };
  const [atWord, onWord] = AT[language] ?? AT.en!;
  if (sameDay) return `${atWord} ${hm}`;
  const weekday = new Intl.DateTimeFormat(language, { weekday: 'long', timeZone: 'UTC' }).format(local);
  return `${onWord ? `${onWord} ` : ''}${weekday} ${atWord} ${hm}`;
}

/** The language the reply is worded in: the statement's when known and supported, else the customer's, else English. */
export function replyLanguage(statementLanguage?: string | null, customerLanguage?: string | null): string {
  const norm = (l?: string | null) => (l ?? '').toLowerCase().split(/[-_]/)[0]!;
  const s = norm(statementLanguage);
  if (s) return WORDING[s] ? s : 'en';
  const c = norm(customerLanguage);
  return WORDING[c] ? c : 'en';
}

/** Cut `text` to fit `fits`, at a word boundary, ending with "…"; whole graphemes only. */
function cutToFit(text: string, fits: (t: string) => boolean): string {
  const g = [...new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(text)].map((s) => s.segment);
  let lo = 0;
  let hi = g.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (fits(`${g.slice(0, mid).join('').trimEnd()}…`)) lo = mid;
    else hi = mid - 1;
  }
  let head = g.slice(0, lo).join('');
  const space = head.lastIndexOf(' ');
  if (space > head.length / 2) head = head.slice(0, space);
  return `${head.replace(/[\s,;:.]+$/u, '')}…`;
}

/**
 * The suggested reply, or null when the statement has no fact to pass on (it is only an apology
 * or a hashtag). Parts are dropped in this order until it fits: the closing invitation, key
 * facts from the last, the long acknowledgement (for the short one); the first fact is cut at a
 * word as a last resort.
 */
export function incidentReply(input: IncidentReplyInput): IncidentReply | null {
  const language = replyLanguage(input.statementLanguage, input.customerLanguage);
  const w = WORDING[language]!;
  const facts = statementFacts(input.statement, language);
  if (!facts.length) return null;
  const rule = lengthRuleFor(input.lengthRule ?? input.network, input.visibility);
  const limit = measure(rule, '').limit;
  const fits = (t: string) => !measure(rule, t).over;
  const name = greetingFirstName(input.customerName);
  const title = clean(input.incidentTitle).replace(/\s+/g, ' ').trim().replace(/[.!?]+$/u, '');
  const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
  const open = (short: boolean) => {
    const ack = short || !title ? w.ackShort : w.ack(title.length > 60 ? `${[...title].slice(0, 59).join('')}…` : title);
    return name ? `${w.hi(name)} ${ack}` : cap(ack);
  };
  const next = input.nextUpdateAt != null && Number.isFinite(input.nextUpdateAt) ? w.next(nextUpdateText(input.nextUpdateAt, input.now, input.timeZone, language)) : null;
  const build = (short: boolean, n: number, close: boolean) => [open(short), ...facts.slice(0, n), ...(next ? [next] : []), ...(close ? [w.close] : [])].join(' ');
  const done = (text: string, n: number): IncidentReply => ({ text, language, facts: facts.slice(0, n), factsDropped: facts.length - n, length: measure(rule, text).length, limit });
  for (const short of [false, true]) {
    if (fits(build(short, facts.length, true))) return done(build(short, facts.length, true), facts.length);
    for (let n = facts.length; n >= 1; n--) if (fits(build(short, n, false))) return done(build(short, n, false), n);
  }
  // even the short opening and the first fact do not fit: cut the fact
  const head = [open(true)];
  const tail = next ? [next] : [];
  const room = (f: string) => fits([...head, f, ...tail].join(' '));
  const first = cutToFit(facts[0]!, room);
  const text = [...head, first, ...tail].join(' ');
  return fits(text) ? { ...done(text, 1), facts: [first] } : { ...done(cutToFit(text, fits), 1), facts: [first] };
}
