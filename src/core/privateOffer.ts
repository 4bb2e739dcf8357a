/**
 * "Take it private": start in public, move sensitive matters to a private channel.
 *
 * Two halves:
 * - `detectSensitive` finds personal data in a text (e-mail addresses, phone numbers, order
 *   and account numbers, card numbers that pass the Luhn check, IBANs, postal addresses). It
 *   is shared with the composer checks (`reply.personal_data`) and is deliberately
 *   conservative about bare numbers: a number is only an order/account number next to a
 *   word that says so, and only a phone number when it looks dialled.
 * - `privateOffer` writes the short public reply that invites a private message, in each
 *   network's own words ("send us a DM", "send us a chat message"...), varied per
 *   conversation so a timeline of offers does not read as a robot.
 *
 * The network wording is data (`PRIVATE_MESSAGE_PHRASES`), not branches on network names.
 */

import type { Network } from './types.js';
import { measure, type LengthRule } from './textLength.js';
import { seededIndex, stripControls, wellFormed } from './wf_text.js';

export const SENSITIVE_KINDS = [
  'email',
  'phone',
  'card_number',
  'iban',
  'order_number',
  'account_number',
  'postal_address',
] as const;
export type SensitiveKind = (typeof SENSITIVE_KINDS)[number];

export interface SensitiveMatch {
  kind: SensitiveKind;
  /** UTF-16 offsets into the text. */
  start: number;
  end: number;
  text: string;
}

const SENSITIVE_LABELS: Record<SensitiveKind, string> = {
  email: 'e-mail address',
  phone: 'phone number',
  card_number: 'card number',
  iban: 'bank account number',
  order_number: 'order number',
  account_number: 'account number',
  postal_address: 'postal address',
};

/** A human label for a kind, e.g. `phone` → "phone number". */
export function sensitiveLabel(kind: SensitiveKind): string {
  return SENSITIVE_LABELS[kind];
}

// The order is the priority when matches overlap (a card number is also "a long number").
const PRIORITY: SensitiveKind[] = ['iban', 'card_number', 'email', 'account_number', 'order_number', 'phone', 'postal_address'];

const EMAIL =
  /(?<![\p{L}\p{N}._%+\-@])[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?){0,8}\.[A-Za-z]{2,24}(?![\p{L}\p{N}_\-@])/gu;
// Digits grouped by spaces (also no-break and thin ones, as pasted from a document or a CRM) or dashes.
const CARD = /(?<![\p{N}\-])\d(?:(?:[ \u00A0\u2007\u2009\u202F]?-?[ \u00A0\u2007\u2009\u202F]?)\d){12,18}(?![\p{N}])/gu;
const IBAN = /(?<![\p{L}\p{N}])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?(?![\p{L}\p{N}])/gu;
const PHONE = /(?<![\p{L}\p{N}+$€£¥.,:])(?:\+|00)?\(?\d[\d \t\u00A0\u2007\u2009\u202F().\-]{5,22}\d(?![\p{L}\p{N}]|[.,:]\d)/gu;
const ORDER_WORDS = 'order|booking|reservation|confirmation|ticket|case|invoice|tracking|reference|ref|parcel|shipment|transaction';
const ACCOUNT_WORDS = 'account|acct|customer|member|membership|policy|contract|subscriber|subscription|loyalty';
const KEYED_NUMBER = new RegExp(
  `(?<![\\p{L}\\p{N}])(?:(${ORDER_WORDS})|(${ACCOUNT_WORDS}))[ \\t]*(?:number|numbers|no\\.?|num\\.?|nr\\.?|id|code|#)?[ \\t]*(?:is|was|:|#|-)?[ \\t]*#?([A-Z0-9][A-Z0-9\\-]{3,30})(?![\\p{L}\\p{N}])`,
  'giu',
);
const HASH_NUMBER = /(?<![\p{L}\p{N}&])#(\d{5,20})(?![\p{L}\p{N}])/gu;
// A calendar date where an id would start: year-month-day, or day and month (either order)
// then the year, separated alike by - / or . (optionally with an ISO time). "ref 2024-12-05"
// names a day, not an order; a date running on into more of an id ("2024-12-05-0042") is an id.
const DATE_AT =
  /(?:(\d{4})([-/.])(\d{1,2})\2(\d{1,2})|(\d{1,2})([-/.])(\d{1,2})\6(\d{4}|\d{2}))(?:T\d{1,2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?(?![\p{L}\p{N}_]|[-/.:]\d)/uy;

/** Length of the calendar date starting at `at`, or 0 when none starts there. */
function dateLengthAt(s: string, at: number): number {
  DATE_AT.lastIndex = at;
  const m = DATE_AT.exec(s);
  if (!m) return 0;
  const n = (x: string | undefined) => Number(x);
  if (m[1] !== undefined) {
    const [month, day] = [n(m[3]), n(m[4])];
    return month >= 1 && month <= 12 && day >= 1 && day <= 31 ? m[0].length : 0;
  }
  // 05/12/2024 or 12/05/2024: day and month in either order, one of them at most 12
  const [a, b] = [n(m[5]), n(m[7])];
  return a >= 1 && b >= 1 && a <= 31 && b <= 31 && (a <= 12 || b <= 12) ? m[0].length : 0;
}
const STREET_TYPES =
  'Street|St|Road|Rd|Avenue|Ave|Lane|Ln|Drive|Dr|Boulevard|Blvd|Way|Court|Ct|Place|Pl|Terrace|Close|Crescent|Square|Sq|Parkway|Pkwy|Highway|Hwy|Row|Mews|Gardens|Grove|Hill|Walk';
const STREET = new RegExp(
  `(?<![\\p{L}\\p{N}])\\d{1,5}[A-Za-z]?,?[ \\t]+(?:\\p{Lu}[\\p{L}'\\-]*\\.?[ \\t]+){1,4}(?:${STREET_TYPES})(?![\\p{L}\\p{N}])\\.?`,
  'gu',
);
const CONTINENTAL_STREET =
  /(?<![\p{L}\p{N}])[\p{L}\-]{2,40}(?:straße|strasse|str\.|weg|gasse|platz|allee|straat|laan|gracht|plein|vej|gatan|gata|veien)[ \t]+\d{1,4}[a-z]?(?![\p{L}\p{N}])/giu;
const LATIN_STREET =
  /(?<![\p{L}\p{N}])\d{1,4},?[ \t]+(?:rue|avenue|av\.|boulevard|bd|chemin|impasse|calle|avenida|rua|viale|piazza)[ \t]+(?:[\p{L}'\-]+[ \t]?){1,5}/giu;
const UK_POSTCODE = /(?<![\p{L}\p{N}])(?:GIR ?0AA|[A-PR-UWYZ](?:\d[\dA-HJKPSTUW]?|[A-HK-Y]\d[\dABEHMNPRV-Y]?) ?\d[ABD-HJLNP-UW-Z]{2})(?![\p{L}\p{N}])/gu;
const US_STATES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY';
const US_ZIP = new RegExp(`(?<![\\p{L}\\p{N}])(?:${US_STATES}),?[ \\t]+\\d{5}(?:-\\d{4})?(?![\\p{L}\\p{N}])`, 'gu');
const PO_BOX = /(?<![\p{L}\p{N}])P\.?[ \t]?O\.?[ \t]?Box[ \t]+\d{1,6}(?![\p{L}\p{N}])/giu;

/** Luhn checksum over digits (card numbers). */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  let double = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return false;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return digits.length > 0 && sum % 10 === 0;
}

function ibanValid(raw: string): boolean {
  const iban = raw.replace(/ /g, '');
  if (iban.length < 15 || iban.length > 34) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const code = ch.charCodeAt(0);
    const value = code >= 65 ? String(code - 55) : ch;
    for (const digit of value) rem = (rem * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

const DATE_LIKE = /^(?:\d{4}[-.]\d{1,2}[-.]\d{1,2}|\d{1,2}[-.]\d{1,2}[-.]\d{2,4})$/;
const THOUSANDS = /^\d{1,3}(?:[.,]\d{3})+$|^\d{1,3}(?:[ \u00A0\u2009\u202F]000)+$/;
// Opening hours, "10.00-18.00" or "9.30 - 17.30": times, not a phone number.
const TIME_RANGE = /^\d{1,2}[.:]\d{2}[ \t\u00A0\u202F]?-[ \t\u00A0\u202F]?\d{1,2}[.:]\d{2}$/;

function phoneLike(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15) return false;
  const trimmed = candidate.trim();
  if (DATE_LIKE.test(trimmed) || THOUSANDS.test(trimmed) || TIME_RANGE.test(trimmed)) return false;
  if (/[ \t\u00A0\u2007\u2009\u202F.\-]{2,}/.test(trimmed)) return false;
  const international = trimmed.startsWith('+') || trimmed.startsWith('00');
  const separated = /[ \t\u00A0\u2007\u2009\u202F().\-]/.test(trimmed);
  // Bare 7–9 digit runs are too often order numbers or amounts to call them phones.
  return international || (separated && digits.length >= 7) || digits.length >= 10;
}

/**
 * Personal data in a text, sorted by position, without overlaps. Never throws; runs in
 * linear time on hostile input.
 */
export function detectSensitive(text: string): SensitiveMatch[] {
  const s = typeof text === 'string' ? text : String(text ?? '');
  const found: SensitiveMatch[] = [];
  const add = (kind: SensitiveKind, start: number, matched: string) => {
    const trimmedEnd = matched.replace(/[ \t\u00A0\u2007\u2009\u202F.,]+$/, '');
    found.push({ kind, start, end: start + trimmedEnd.length, text: trimmedEnd });
  };
  const scan = (re: RegExp, fn: (m: RegExpExecArray) => void) => {
    re.lastIndex = 0;
    for (let m = re.exec(s); m; m = re.exec(s)) {
      fn(m);
      if (m[0].length === 0) re.lastIndex++;
    }
  };
  const hasDigit = /\d/.test(s);
  if (s.includes('@')) scan(EMAIL, (m) => add('email', m.index, m[0]));
  if (hasDigit) {
    scan(CARD, (m) => {
      const digits = m[0].replace(/\D/g, '');
      if (digits.length >= 13 && digits.length <= 19 && luhnValid(digits)) add('card_number', m.index, m[0]);
    });
    scan(IBAN, (m) => {
      if (ibanValid(m[0])) add('iban', m.index, m[0]);
    });
    scan(KEYED_NUMBER, (m) => {
      const id = m[3]!;
      if ((id.match(/\d/g)?.length ?? 0) < 3) return;
      const idStart = m.index + m[0].length - id.length;
      // "ref 2024-12-05", "ref 2024/12/05" (the id stops at the slash): a date, not a number
      if (dateLengthAt(s, idStart) >= id.length) return;
      add(m[2] ? 'account_number' : 'order_number', idStart, id);
    });
    scan(HASH_NUMBER, (m) => add('order_number', m.index, m[0]));
    scan(PHONE, (m) => {
      // "1 234 567 €" is an amount, not a phone number.
      const after = s.slice(m.index + m[0].length, m.index + m[0].length + 5);
      if (phoneLike(m[0]) && !/^\s?(?:[€$£¥]|EUR|USD|GBP)/i.test(after)) add('phone', m.index, m[0]);
    });
    scan(STREET, (m) => add('postal_address', m.index, m[0]));
    scan(CONTINENTAL_STREET, (m) => add('postal_address', m.index, m[0]));
    scan(LATIN_STREET, (m) => add('postal_address', m.index, m[0]));
    scan(UK_POSTCODE, (m) => add('postal_address', m.index, m[0]));
    scan(US_ZIP, (m) => add('postal_address', m.index, m[0]));
    scan(PO_BOX, (m) => add('postal_address', m.index, m[0]));
  }
  // Keep the highest-priority match where matches overlap; `kept` stays sorted by start and
  // non-overlapping, so a binary search finds the neighbours to test.
  const kept: SensitiveMatch[] = [];
  for (const kind of PRIORITY) {
    for (const f of found) {
      if (f.kind !== kind || f.end <= f.start) continue;
      let lo = 0;
      let hi = kept.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (kept[mid]!.start < f.start) lo = mid + 1;
        else hi = mid;
      }
      const next = kept[lo];
      const prev = kept[lo - 1];
      if ((next && next.start < f.end) || (prev && prev.end > f.start)) continue;
      kept.splice(lo, 0, f);
    }
  }
  return kept;
}

/** The text with each sensitive match replaced by `[phone number]`-style placeholders. */
export function redactSensitive(text: string, matches: readonly SensitiveMatch[] = detectSensitive(text)): string {
  let out = '';
  let pos = 0;
  for (const m of [...matches].sort((a, b) => a.start - b.start)) {
    if (m.start < pos) continue;
    out += text.slice(pos, m.start) + `[${SENSITIVE_LABELS[m.kind]}]`;
    pos = m.end;
  }
  return out + text.slice(pos);
}

/**
 * How to ask for a private message on each network, in its own words; `null` where the
 * conversation is already private (e-mail, web chat).
 */
export const PRIVATE_MESSAGE_PHRASES: Readonly<Record<Network, string | null>> = {
  x: 'send us a DM',
  facebook: 'send us a message',
  instagram: 'DM us',
  mastodon: 'send us a private mention',
  bluesky: 'send us a chat message',
  email: null,
  webchat: null,
  demo: 'send us a private message',
};

/** Why the conversation should move: shapes the "so that..." part of the offer. */
export type PrivateOfferReason = 'personal_data' | 'account' | 'complex';

export interface PrivateOfferInput {
  network: Network;
  /** Seeds the variant so the same conversation always gets the same wording. */
  conversationId: string;
  /** Display name or handle; omitted when unknown or unusable. */
  customerName?: string | null;
  reason?: PrivateOfferReason | null;
  /** Sign-off such as "^JS" or "– Sam", appended after a space. */
  signature?: string | null;
  /** Override the phrase (e.g. a channel with its own wording) or the length rule. */
  phrase?: string | null;
  lengthRule?: LengthRule | null;
}

export interface PrivateOffer {
  text: string;
  /** Index of the wording used, for analytics and tests. */
  variant: number;
}

const WHY: Record<PrivateOfferReason, string> = {
  personal_data: 'so your details stay private',
  account: 'so we can look at your account safely',
  complex: 'so we can look into this properly',
};

type Template = (c: { name: string | null; invite: string; why: string }) => string;

const cap = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

const OFFER_TEMPLATES: Template[] = [
  ({ name, invite, why }) => `${name ? `Hi ${name}, we` : 'We'}'d like to help with this. Could you ${invite} ${why}? We'll pick it up there.`,
  ({ name, invite, why }) => `${name ? `Thanks, ${name}. ` : 'Thanks for flagging this. '}${cap(invite)} ${why} and we'll take it from there.`,
  ({ name, invite, why }) => `${name ? `${name}, sorry` : 'Sorry'} to hear this! Please ${invite} ${why} – we're ready to help.`,
  ({ name, invite, why }) => `We're on it${name ? `, ${name}` : ''}. ${cap(invite)} ${why}; please don't share any details here.`,
];

/** Strips what should never be echoed back into a public reply (controls, URLs, @). */
export function usableName(name: string | null | undefined): string | null {
  if (!name) return null;
  const cleaned = stripControls(wellFormed(String(name)))
    .replace(/https?:\/\/\S+/gi, '')
    .replace(/[\u200B-\u200F\u202A-\u202E\u2066-\u2069]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
  if (!cleaned || !/[\p{L}\p{N}]/u.test(cleaned)) return null;
  return [...cleaned].slice(0, 40).join('');
}

/**
 * The public "take it private" reply for a network, or `null` where the conversation is
 * already private. The variant is chosen from the conversation id; when the chosen wording
 * (with the name) does not fit the network, it falls back to the next shortest that does.
 */
export function privateOffer(input: PrivateOfferInput): PrivateOffer | null {
  const invite = input.phrase ?? PRIVATE_MESSAGE_PHRASES[input.network];
  if (!invite) return null;
  const why = WHY[input.reason ?? 'complex'];
  const name = usableName(input.customerName);
  const signature = input.signature ? usableName(input.signature) : null;
  const rule = input.lengthRule ?? input.network;
  const start = seededIndex(input.conversationId, OFFER_TEMPLATES.length);
  const sign = (t: string) => (signature ? `${t} ${signature}` : t);
  const candidates: PrivateOffer[] = [];
  for (let k = 0; k < OFFER_TEMPLATES.length; k++) {
    const variant = (start + k) % OFFER_TEMPLATES.length;
    candidates.push({ text: sign(OFFER_TEMPLATES[variant]!({ name, invite, why })), variant });
  }
  for (let k = 0; k < OFFER_TEMPLATES.length; k++) {
    const variant = (start + k) % OFFER_TEMPLATES.length;
    candidates.push({ text: sign(OFFER_TEMPLATES[variant]!({ name: null, invite, why })), variant });
  }
  return candidates.find((c) => !measure(rule, c.text).over) ?? candidates.reduce((a, b) => (a.text.length <= b.text.length ? a : b));
}
