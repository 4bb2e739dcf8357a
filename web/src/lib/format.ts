/** Small formatting helpers: times, counts, names, initials. Pure; safe on hostile text. */
import { useSyncExternalStore } from 'react';

const MIN = 60_000;
const HOUR = 60 * MIN;
const DAY = 24 * HOUR;

/** "now", "5m", "3h", "2d", then a date — for dense lists. */
export function shortAgo(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = Math.max(0, now - t);
  if (d < MIN) return 'now';
  if (d < HOUR) return `${Math.floor(d / MIN)}m`;
  if (d < DAY) return `${Math.floor(d / HOUR)}h`;
  if (d < 7 * DAY) return `${Math.floor(d / DAY)}d`;
  return new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/**
 * How long ago, in words that follow "Since": "just now", "5 min ago", "3 hours ago",
 * "2 days ago", then the date ("5 Mar"). `shortAgo`'s "now" and dates cannot take "ago".
 */
export function sinceText(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = Math.max(0, now - t);
  const ago = (n: number, unit: string) => `${n} ${unit}${n === 1 || unit === 'min' ? '' : 's'} ago`;
  if (d < MIN) return 'just now';
  if (d < HOUR) return ago(Math.floor(d / MIN), 'min');
  if (d < DAY) return ago(Math.floor(d / HOUR), 'hour');
  if (d < 7 * DAY) return ago(Math.floor(d / DAY), 'day');
  return new Date(t).toLocaleDateString(undefined, { month: 'short', day: 'numeric' });
}

/** A duration in words, for SLA badges: "12m", "1h 5m", "2d 3h". */
export function duration(ms: number): string {
  const a = Math.abs(ms);
  if (a < HOUR) return `${Math.max(1, Math.round(a / MIN))}m`;
  if (a < DAY) return `${Math.floor(a / HOUR)}h ${Math.floor((a % HOUR) / MIN)}m`;
  return `${Math.floor(a / DAY)}d ${Math.floor((a % DAY) / HOUR)}h`;
}

const OFFSET_STYLE = /^(GMT|UTC)[+-]/;
const zoneFormats = new Map<string, Intl.DateTimeFormat>();
function zonePart(locale: string, t: number, timeZone: string | undefined): string {
  const key = `${locale}|${timeZone ?? ''}`;
  let f = zoneFormats.get(key);
  if (!f) zoneFormats.set(key, (f = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'short' })));
  return f.formatToParts(t).find((p) => p.type === 'timeZoneName')?.value ?? '';
}

/**
 * The abbreviation of the zone a time is shown in, at that instant ("EST", "BST", "UTC";
 * "GMT+5:30" where the zone has none): the browser's zone, or `timeZone`. US English names
 * the American zones, British English the European ones (as the server's texts do).
 */
export function zoneLabel(t: number, timeZone?: string): string {
  const us = zonePart('en-US', t, timeZone);
  if (!OFFSET_STYLE.test(us)) return us;
  const gb = zonePart('en-GB', t, timeZone);
  return OFFSET_STYLE.test(gb) ? us : gb;
}

/**
 * A date and time with its zone: "7 Dec 2026, 05:47:42 EST". Every absolute time the desk
 * shows goes through here, so none is read in another zone than the one it is in (the
 * server's texts name the brand's zone; reports say theirs). `timeZone`: show it in that
 * zone instead of the browser's.
 */
export function fullTime(iso: string | null | undefined, timeZone?: string): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  let when: string;
  let zone: string;
  try {
    when = new Date(t).toLocaleString(undefined, { timeZone, year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    zone = zoneLabel(t, timeZone);
  } catch (err) {
    // a zone the browser does not know: the browser's own, still labelled
    if (err instanceof RangeError && timeZone) return fullTime(iso);
    throw err;
  }
  return zone ? `${when} ${zone}` : when;
}

/** Time of day for today's messages, else date and time. */
export function messageTime(iso: string | null | undefined, now: number): string {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return '';
  const d = new Date(t);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  return sameDay ? d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' }) : d.toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export function compactNumber(n: number | null | undefined): string {
  if (n == null) return '—';
  return new Intl.NumberFormat(undefined, { notation: n >= 10_000 ? 'compact' : 'standard', maximumFractionDigits: 1 }).format(n);
}

let segmenter: Intl.Segmenter | undefined;
/** Up to two initials from a name or handle, skipping marks, symbols and control characters. */
export function initials(name: string | null | undefined): string {
  const s = (name ?? '').replace(/^@/, '').trim();
  segmenter ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' });
  const out: string[] = [];
  for (const word of s.split(/[\s._-]+/u).slice(0, 6)) {
    for (const { segment } of segmenter.segment(word.slice(0, 16))) {
      if (/^[\p{L}\p{N}]/u.test(segment)) {
        out.push(segment.toLocaleUpperCase());
        break;
      }
    }
    if (out.length === 2) break;
  }
  return out.join('') || '?';
}

/** A stable hue class (0–7) for an avatar, from a string. */
export function hueOf(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h >>> 0) % 8;
}

/** Names of the invisible characters that change text direction or are control codes. */
export const CONTROL_NAMES: Record<string, string> = {
  '\u202A': 'LRE', '\u202B': 'RLE', '\u202C': 'PDF', '\u202D': 'LRO', '\u202E': 'RLO',
  '\u2066': 'LRI', '\u2067': 'RLI', '\u2068': 'FSI', '\u2069': 'PDI',
};
/** Bidi embedding/override/isolate controls and C0 controls other than tab and line breaks. */
export const CONTROL_CLASS = '[\\u202A-\\u202E\\u2066-\\u2069\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F\\u007F]';
/** Whether a text has any such character (not global: no lastIndex state). */
export const HAS_CONTROL = new RegExp(CONTROL_CLASS);

/** A control character's visible stand-in: [RLO] for direction controls, ␀-style pictures for C0. */
export function controlLabel(ch: string): string {
  const named = CONTROL_NAMES[ch];
  if (named) return named;
  const code = ch.charCodeAt(0);
  return code === 0x7f ? '\u2421' : String.fromCharCode(0x2400 + code);
}

/**
 * Text for one-line display (names, subjects): direction overrides cannot spoof
 * ("gnp.exe" shown as "exe.png") and control codes cannot hide: both become visible.
 */
export function plain(s: string | null | undefined): string {
  if (!s) return '';
  if (!HAS_CONTROL.test(s)) return s;
  return s.replace(new RegExp(CONTROL_CLASS, 'g'), (ch) => (CONTROL_NAMES[ch] ? `[${CONTROL_NAMES[ch]}]` : controlLabel(ch)));
}

/** Cut very long text for one-line display (whole strings of 100 KB in a list are wasteful). */
export function clip(s: string | null | undefined, max = 280): string {
  if (!s) return '';
  if (s.length <= max) return plain(s);
  let cut = s.slice(0, max);
  // never end on half a surrogate pair
  if (/[\uD800-\uDBFF]$/.test(cut)) cut = cut.slice(0, -1);
  return `${plain(cut)}…`;
}

export const NETWORK_LABEL: Record<string, string> = {
  x: 'X', facebook: 'Facebook', instagram: 'Instagram', mastodon: 'Mastodon', bluesky: 'Bluesky', email: 'Email', webchat: 'Web chat', demo: 'Demo',
};
export const networkLabel = (n: string) => NETWORK_LABEL[n] ?? n;

export const STATUS_LABEL: Record<string, string> = { new: 'New', open: 'Open', waiting: 'Waiting on customer', resolved: 'Resolved' };

export const ROLE_LABEL: Record<string, string> = { agent: 'Agent', expert: 'Expert', approver: 'Approver', admin: 'Admin' };

/**
 * The priority scale of the whole UI, lowest first: a conversation's priority (an integer,
 * 0–100) is labelled with the highest level whose minimum it reaches, 0 is "None". The
 * labels, the inbox's "… and up" filter and the priority presets (bulk and conversation
 * header) all come from here, so "Medium and up" shows exactly what is labelled Medium or
 * higher, and a preset shows as its own label. Not the SLA policy's priority bands: those
 * are configured per brand and only choose SLA targets.
 */
export const PRIORITY_LEVELS = [
  { label: 'Low', min: 1 },
  { label: 'Medium', min: 40 },
  { label: 'High', min: 70 },
  { label: 'Urgent', min: 90 },
] as const;
export type PriorityLevel = (typeof PRIORITY_LEVELS)[number]['label'];

export function priorityLabel(p: number): PriorityLevel | 'None' {
  for (let i = PRIORITY_LEVELS.length - 1; i >= 0; i--) if (p >= PRIORITY_LEVELS[i]!.min) return PRIORITY_LEVELS[i]!.label;
  // below the lowest minimum but above 0 (never for integer priorities): still some priority
  return p > 0 ? 'Low' : 'None';
}

/** What the priority presets set: None, then each level's minimum ("Priority: Medium (40)"). */
export const PRIORITY_PRESETS: readonly { label: PriorityLevel | 'None'; value: number }[] = [{ label: 'None', value: 0 }, ...PRIORITY_LEVELS.map((l) => ({ label: l.label, value: l.min }))];

// A shared clock for relative times: one timer for the whole UI.
let nowValue = Date.now();
const nowListeners = new Set<() => void>();
let nowTimer: ReturnType<typeof setInterval> | null = null;
function subscribeNow(l: () => void) {
  nowListeners.add(l);
  nowTimer ??= setInterval(() => {
    nowValue = Date.now();
    for (const x of nowListeners) x();
  }, 30_000);
  return () => {
    nowListeners.delete(l);
    if (!nowListeners.size && nowTimer) {
      clearInterval(nowTimer);
      nowTimer = null;
    }
  };
}
/** The current time, updated every 30 s. */
export function useNow(): number {
  return useSyncExternalStore(subscribeNow, () => nowValue);
}
