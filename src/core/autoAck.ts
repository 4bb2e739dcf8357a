/**
 * Out-of-hours auto-acknowledgements and the profile availability line.
 *
 * Practice: tell customers when you are available (in the bio, and when they write while
 * nobody is in), and never sound like a robot. So the acknowledgement:
 * - is sent at most once per conversation per closed period (`shouldAutoAck`);
 * - says when someone will be back in the customer's terms — "tomorrow at 9:00",
 *   "on Monday at 9:00" — in the account's zone with its abbreviation (GMT/BST, EST/EDT);
 * - greets by name, comes in several wordings chosen deterministically per conversation,
 *   and always fits the network;
 * - goes only to people who wrote to us and need an answer (`autoAckEligibility`): never to
 *   spam, abuse, what triage would only monitor or ignore, a bare thanks or "all sorted", listening
 *   results that do not tag us, moderated messages, authors we blocked or muted, or the brand's
 *   own accounts;
 * - never interrupts a person: not while an agent is answering the conversation
 *   (`RECENT_AGENT_REPLY_MS`) or its assignee is online.
 *
 * Auto-acknowledgements never count as a response for SLAs (see sla.ts).
 */

import type { MessageKind, Network, TriageAction, TriageCategory, Visibility } from './types.js';
import {
  calendarTimeZone,
  isOpen,
  nextOpening,
  weeklyMinutes,
  type BusinessCalendar,
  type WeeklyMinutes,
} from './businessHours.js';
import { measure, type LengthRule } from './textLength.js';
import { usableName } from './privateOffer.js';
import { civilDayOf, genericZoneLabel, toWallMs, weekdayOfDay, zoneAbbreviation, DAY_MS, MINUTE_MS } from './wf_time.js';
import { seededIndex } from './wf_text.js';

export type AutoAckSkipReason = 'no_calendar' | 'open' | 'already_acknowledged' | 'opens_soon' | 'agent_present';

/**
 * How recently a person's reply in the conversation means someone is on it: "we're away"
 * after an agent has just written is untrue. An hour covers the pauses of a live exchange
 * (the customer looking up an order number, the agent asking a colleague) and, after it, a
 * customer writing again is no longer in that exchange and is told when we are back.
 */
export const RECENT_AGENT_REPLY_MS = 60 * 60_000;

export interface AutoAckDecision {
  send: boolean;
  /** Why not, when `send` is false. */
  reason: AutoAckSkipReason | null;
  /** When the desk opens next (null if never, or open now). */
  nextOpeningAt: number | null;
}

export interface AutoAckOptions {
  /** Don't acknowledge when the desk opens within this many ms anyway. Default 0. */
  skipIfOpensWithinMs?: number;
  /** When a person last replied in the conversation (not an automatic message), if ever. */
  lastAgentReplyAt?: number | null;
  /** Whether the conversation's assignee is available right now. */
  assigneeAvailable?: boolean;
}

/**
 * Whether to send an out-of-hours acknowledgement now: only while closed, and at most once
 * per conversation per closed period (`previousAcks` are the conversation's earlier
 * acknowledgement instants). A `null` calendar (24/7) never acknowledges.
 */
export function shouldAutoAck(
  calendar: BusinessCalendar | null,
  now: number,
  previousAcks: readonly number[],
  options: AutoAckOptions = {},
): AutoAckDecision {
  if (calendar === null) return { send: false, reason: 'no_calendar', nextOpeningAt: null };
  if (isOpen(calendar, now)) return { send: false, reason: 'open', nextOpeningAt: null };
  const opening = nextOpening(calendar, now);
  const skip = options.skipIfOpensWithinMs ?? 0;
  if (opening !== null && skip > 0 && opening - now <= skip) return { send: false, reason: 'opens_soon', nextOpeningAt: opening };
  // someone is here after all: the customer is in a conversation with a person
  const replied = options.lastAgentReplyAt;
  if (options.assigneeAvailable === true || (replied != null && replied <= now && now - replied < RECENT_AGENT_REPLY_MS)) {
    return { send: false, reason: 'agent_present', nextOpeningAt: opening };
  }
  let lastAck: number | null = null;
  for (const at of previousAcks) if (Number.isFinite(at) && at <= now && (lastAck === null || at > lastAck)) lastAck = at;
  if (lastAck !== null) {
    // Same closed period when the desk has not opened between that acknowledgement and now.
    const reopened = nextOpening(calendar, lastAck);
    if (reopened === null || reopened > now) return { send: false, reason: 'already_acknowledged', nextOpeningAt: opening };
  }
  return { send: true, reason: null, nextOpeningAt: opening };
}

/** Why a message is never acknowledged, whatever the hours. */
export type AutoAckIneligibleReason = 'spam_or_abuse' | 'moderated' | 'author_blocked' | 'own_account' | 'not_addressed' | 'no_response_needed';

/** A customer message as the acknowledgement sees it. */
export interface AutoAckMessage {
  kind: MessageKind | string;
  visibility: Visibility | string;
  text: string;
  /** Triage's decision (null: not triaged). */
  triageAction: TriageAction | string | null;
  triageCategory: TriageCategory | string | null;
  /** The brand hid or deleted it. */
  moderated: boolean;
  /** The brand blocked or muted its author. */
  authorBlocked: boolean;
  /** Written by one of the brand's own accounts (a sister account tagging this one). */
  fromBrand?: boolean;
  /** Triage found it only closes the conversation (thanks, "all sorted"): nothing to answer (`nothingToAnswer` in triage.ts). */
  closingOnly?: boolean;
}

/** Hostile or moderated: the reasons that also veto acknowledging an earlier message of the same batch. */
export const HOSTILE_REASONS: ReadonlySet<AutoAckIneligibleReason> = new Set(['spam_or_abuse', 'moderated', 'author_blocked']);

const MENTION = /[@＠]([\p{L}\p{N}_]+(?:[.\-@][\p{L}\p{N}_]+)*)/gu;

/** Whether the text tags one of the handles (`@acme`, `@acme.bsky.social`, `@acme@mastodon.social`). */
export function mentionsHandle(text: string, handles: readonly string[]): boolean {
  const own = handles.map((h) => h.replace(/^[@＠]/, '').toLowerCase()).filter(Boolean);
  if (!own.length) return false;
  for (const m of text.matchAll(MENTION)) {
    const tag = m[1]!.toLowerCase();
    for (const h of own) {
      if (tag === h) return true;
      // Mastodon: `@acme` and `@acme@instance` name the same account when one side has no instance
      if ((!tag.includes('@') || !h.includes('@')) && tag.split('@')[0] === h.split('@')[0]) return true;
    }
  }
  return false;
}

/**
 * Whether a message is one to acknowledge at all (null) or why not. Only what was written to
 * us — a listening result counts only when it tags one of our `handles` — and needs an answer:
 * triage said respond (an untriaged message addressed to us is given the benefit of the doubt).
 * Never spam or abuse whatever triage's action, nor what the brand moderated or whose author
 * it blocked or muted: "we've got your message" to a troll invites more. Never the brand's own
 * accounts, and never a message that only closes the conversation — thanks, "all sorted" — ("we'll
 * get straight onto it" answers nothing there; a person thanks them back in hours).
 */
export function autoAckEligibility(message: AutoAckMessage, handles: readonly string[]): AutoAckIneligibleReason | null {
  if (message.triageCategory === 'spam' || message.triageCategory === 'abuse') return 'spam_or_abuse';
  if (message.moderated) return 'moderated';
  if (message.authorBlocked) return 'author_blocked';
  if (message.fromBrand) return 'own_account';
  if (message.kind === 'listening' && message.visibility !== 'private' && !mentionsHandle(message.text, handles)) return 'not_addressed';
  if (message.triageAction != null && message.triageAction !== 'respond') return 'no_response_needed';
  if (message.closingOnly) return 'no_response_needed';
  return null;
}

const WEEKDAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const WEEKDAY_SHORT = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

function clock(minutes: number, hour12: boolean): string {
  const m = ((minutes % 1440) + 1440) % 1440;
  const h = Math.floor(m / 60);
  const min = m % 60;
  if (!hour12) return `${h}:${String(min).padStart(2, '0')}`;
  const suffix = h < 12 ? 'am' : 'pm';
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return min === 0 ? `${h12}${suffix}` : `${h12}:${String(min).padStart(2, '0')}${suffix}`;
}

export interface WhenOptions {
  /** "9am" instead of "9:00". Default false. */
  hour12?: boolean;
}

/**
 * When the desk opens, from the customer's point of view at `now`, in the calendar's zone:
 * "today at 13:00", "tomorrow at 9:00", "tonight at midnight" (opening at the next midnight),
 * "on Monday at 9:00", or "on Monday 5 January at 9:00" a week or more ahead.
 */
export function describeNextOpening(calendar: BusinessCalendar, now: number, opening: number, options: WhenOptions = {}): string {
  const zone = calendarTimeZone(calendar);
  const today = civilDayOf(zone, now);
  const wall = toWallMs(zone, opening);
  const day = Math.floor(wall / DAY_MS);
  const minute = Math.floor((wall - day * DAY_MS) / MINUTE_MS);
  const time = clock(minute, options.hour12 === true);
  const diff = day - today;
  if (diff <= 0) return `today at ${time}`;
  // "tomorrow at 0:00" reads as the end of tomorrow to many: the desk opens in a few hours
  if (diff === 1 && minute === 0) return 'tonight at midnight';
  if (diff === 1) return `tomorrow at ${time}`;
  const weekday = WEEKDAY_NAMES[weekdayOfDay(day)]!;
  if (diff < 7) return `on ${weekday} at ${time}`;
  const date = new Date(day * DAY_MS);
  return `on ${weekday} ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} at ${time}`;
}

export interface AutoAckInput {
  calendar: BusinessCalendar;
  now: number;
  /** Seeds the wording so one conversation always reads the same. */
  conversationId: string;
  network: Network | LengthRule;
  customer?: { name?: string | null; handle?: string | null } | null;
  /** Appended after a space, e.g. "– The Acme team". */
  signature?: string | null;
  hour12?: boolean;
  /**
   * The public statement of an open incident, sent on this network: the acknowledgement points
   * to it for whoever writes about that problem (a mass problem out of hours: people still get
   * their own answer when the team is back, and the update now). Dropped when it does not fit.
   */
  statement?: { url: string | null } | null;
}

export interface AutoAck {
  text: string;
  variant: number;
  nextOpeningAt: number | null;
  /** The "tomorrow at 9:00 GMT" part, or null when the desk never opens. */
  when: string | null;
}

interface AckContext {
  name: string | null;
  when: string;
}
type AckTemplate = (c: AckContext) => string;

const hi = (name: string | null, greeting: string) => (name ? `${greeting} ${name}` : greeting);

const ACK_TEMPLATES: AckTemplate[] = [
  ({ name, when }) => `${hi(name, 'Hi')}, thanks for your message! Our team is offline right now and back ${when}. We'll reply as soon as we're in.`,
  ({ name, when }) => `Thanks for getting in touch${name ? `, ${name}` : ''}. We're away at the moment; someone will pick this up ${when}.`,
  ({ name, when }) => `${hi(name, 'Hello')}! We've got your message. The team is back ${when} and will get straight onto it.`,
  ({ name, when }) => `${name ? `${name}, thanks` : 'Thanks'} for reaching out. We're closed right now, but we'll reply ${when}.`,
];

const NEVER_OPEN_TEMPLATES: AckTemplate[] = [
  ({ name }) => `${hi(name, 'Hi')}, thanks for your message! Nobody is in right now; we'll get back to you as soon as we can.`,
  ({ name }) => `Thanks for getting in touch${name ? `, ${name}` : ''}. We're away at the moment and will reply as soon as we can.`,
];

function customerName(customer: AutoAckInput['customer']): string | null {
  const name = usableName(customer?.name);
  if (name) return name.split(' ')[0]!;
  const handle = usableName(customer?.handle?.replace(/^[@＠]/, '').split('@')[0]);
  return handle;
}

/** The pointer to an open incident's statement: worded for whoever writes about it, as not everyone does. */
function statementLine(url: string | null): string {
  return url ? `If it's about the problem many are reporting, our latest update is here: ${url}` : "If it's about the problem many are reporting, our latest post has the update.";
}

/**
 * The out-of-hours acknowledgement text. Variants rotate by conversation; when the chosen
 * one does not fit the network, the next one that fits is used (first with the name, then
 * without), falling back to the shortest.
 */
export function autoAckText(input: AutoAckInput): AutoAck {
  const zone = calendarTimeZone(input.calendar);
  const opening = nextOpening(input.calendar, input.now);
  const name = customerName(input.customer);
  const signature = input.signature ? usableName(input.signature) : null;
  const when =
    opening === null
      ? null
      : `${describeNextOpening(input.calendar, input.now, opening, { hour12: input.hour12 })} ${zoneAbbreviation(zone, opening)}`;
  const templates = when === null ? NEVER_OPEN_TEMPLATES : ACK_TEMPLATES;
  const start = seededIndex(input.conversationId, templates.length);
  const update = input.statement ? statementLine(input.statement.url) : null;
  const candidates: Array<{ text: string; variant: number }> = [];
  for (const withUpdate of update ? [update, null] : [null]) {
    for (const withName of [name, null]) {
      for (let k = 0; k < templates.length; k++) {
        const variant = (start + k) % templates.length;
        const body = templates[variant]!({ name: withName, when: when ?? '' });
        const text = withUpdate ? `${body} ${withUpdate}` : body;
        candidates.push({ text: signature ? `${text} ${signature}` : text, variant });
      }
      if (name === null) break;
    }
  }
  const chosen = candidates.find((c) => !measure(input.network, c.text).over) ?? candidates.reduce((a, b) => (a.text.length <= b.text.length ? a : b));
  return { ...chosen, nextOpeningAt: opening, when };
}

export interface AvailabilityOptions {
  /** Instant whose zone abbreviation to use (GMT vs BST); a year-round label otherwise. */
  at?: number;
  /** Promised response time during opening hours. Default 30. */
  responseTimeMinutes?: number | null;
  /** Default true ("9am–5pm"); false gives "09:00–17:00". */
  hour12?: boolean;
}

function intervalsLabel(day: WeeklyMinutes[], hour12: boolean): string {
  const fmt = (m: number) => (hour12 ? clock(m, true) : `${String(Math.floor((m % 1440) / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`);
  return day
    .map((iv) => {
      if (iv.start === 0 && iv.end === 1440) return hour12 ? 'all day' : '00:00–24:00';
      const end = iv.end === 1440 && !hour12 ? '24:00' : fmt(iv.end);
      return `${fmt(iv.start)}–${end}`;
    })
    .join(' & ');
}

function responseLabel(minutes: number): string {
  if (minutes < 60) return `${Math.round(minutes)} min`;
  const hours = Math.round((minutes / 60) * 10) / 10;
  return `${hours} ${hours === 1 ? 'hour' : 'hours'}`;
}

/**
 * A short line for the profile bio: "We're here Mon–Fri 9am–5pm GMT; we reply within 30 min
 * during those hours." Consecutive days with the same hours are grouped; holidays are left
 * out (announce those separately).
 */
export function availabilityLine(calendar: BusinessCalendar | null, options: AvailabilityOptions = {}): string {
  const response = options.responseTimeMinutes ?? 30;
  const promise = response > 0 ? `we reply within ${responseLabel(response)}` : null;
  if (calendar === null) return promise ? `We're here 24/7; ${promise}.` : "We're here 24/7.";
  const zone = calendarTimeZone(calendar);
  const week = weeklyMinutes(calendar);
  const hour12 = options.hour12 !== false;
  if (week.every((d) => d.length === 1 && d[0]!.start === 0 && d[0]!.end >= 1440)) {
    return promise ? `We're here 24/7; ${promise}.` : "We're here 24/7.";
  }
  if (week.every((d) => d.length === 0)) return "Send us a message any time; we'll get back to you as soon as we can.";
  const order = [1, 2, 3, 4, 5, 6, 0];
  const labels = order.map((d) => intervalsLabel(week[d]!, hour12));
  const groups: string[] = [];
  for (let i = 0; i < order.length; ) {
    if (labels[i] === '') {
      i++;
      continue;
    }
    let j = i;
    while (j + 1 < order.length && labels[j + 1] === labels[i]) j++;
    const first = WEEKDAY_SHORT[order[i]!]!;
    const last = WEEKDAY_SHORT[order[j]!]!;
    const days = i === j ? first : j === i + 1 ? `${first} & ${last}` : `${first}–${last}`;
    groups.push(`${days} ${labels[i]}`);
    i = j + 1;
  }
  const label = options.at !== undefined ? zoneAbbreviation(zone, options.at) : genericZoneLabel(zone);
  const hours = `We're here ${groups.join(', ')} ${label}`;
  return promise ? `${hours}; ${promise} during those hours.` : `${hours}.`;
}
