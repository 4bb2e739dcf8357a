/**
 * The inbox URL: `/inbox/<view>?c=<open conversation>&q=<search>&channel=...` — every
 * filter lives in the URL so a view can be bookmarked, shared and restored on reload.
 */
import type { ListParams } from '../api/queries.js';
import { SORTS, TRIAGE_ACTIONS, VIEWS, type Sort, type TriageAction, type View } from '../api/types.js';
import { ACTION_LABEL, CATEGORY_LABEL, SENTIMENT_LABEL } from '../conversation/triage.js';
import { networkLabel, PRIORITY_LEVELS, STATUS_LABEL } from '../lib/format.js';

export interface InboxSearch {
  /** The open conversation. */
  c?: number;
  /** Full-text search over message text. */
  q?: string;
  /** Show search hits as conversations (filtered list) instead of messages. */
  mode?: 'conversations';
  status?: string;
  assignee?: string;
  team?: number;
  channel?: number;
  network?: string;
  priorityMin?: number;
  label?: string;
  sentiment?: string;
  category?: string;
  /** What triage says the conversation needs, any of (comma-separated, in TRIAGE_ACTIONS order). */
  triage?: string;
  /** SLA due within this many minutes. */
  due?: number;
  /** Customers' conversations linked to this incident (the incidents page links here). */
  incident?: number;
  /** Found by keyword listening (not addressed to the brand), or addressed to it (a mention, reply, DM...). */
  origin?: 'listening' | 'addressed';
  sort?: Sort;
}

/** The filters of the filter bar (everything in the URL that narrows the view, but the search). */
export const FILTER_KEYS = ['status', 'assignee', 'team', 'channel', 'network', 'priorityMin', 'label', 'sentiment', 'category', 'triage', 'due', 'incident', 'origin'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** Every filter off (a patch for the URL). */
export const NO_FILTERS: Pick<InboxSearch, FilterKey> = Object.fromEntries(FILTER_KEYS.map((k) => [k, undefined]));

/** The triage actions of a `triage` URL value, in canonical order. */
export function triageActionsOf(v: string | undefined): TriageAction[] {
  const set = new Set((v ?? '').split(','));
  return TRIAGE_ACTIONS.filter((a) => set.has(a));
}

const posInt = (v: unknown): number | undefined => {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,12}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};
const word = (v: unknown, max = 64): string | undefined => {
  const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v : undefined;
  return s && s.length <= max ? s : undefined;
};

export function parseInboxSearch(raw: Record<string, unknown>): InboxSearch {
  const out: InboxSearch = {};
  const c = posInt(raw.c);
  if (c) out.c = c;
  const q = word(raw.q, 500);
  if (q && q.trim()) out.q = q;
  if (raw.mode === 'conversations') out.mode = 'conversations';
  const status = word(raw.status);
  if (status && status.split(',').every((s) => ['new', 'open', 'waiting', 'resolved'].includes(s))) out.status = status;
  const assignee = word(raw.assignee);
  if (assignee && /^(me|none|\d{1,12})$/.test(assignee)) out.assignee = assignee;
  for (const k of ['team', 'channel', 'priorityMin', 'due', 'incident'] as const) {
    const n = posInt(raw[k]);
    if (n !== undefined) out[k] = n;
  }
  if (out.priorityMin !== undefined && out.priorityMin > 100) delete out.priorityMin;
  const network = word(raw.network);
  if (network && /^[a-z]+$/.test(network)) out.network = network;
  const label = word(raw.label);
  if (label) out.label = label;
  const sentiment = word(raw.sentiment);
  if (sentiment && ['negative', 'neutral', 'positive'].includes(sentiment)) out.sentiment = sentiment;
  const category = word(raw.category);
  if (category) out.category = category;
  const triage = word(raw.triage);
  if (triage && triage.split(',').every((a) => (TRIAGE_ACTIONS as readonly string[]).includes(a))) {
    const actions = triageActionsOf(triage);
    if (actions.length) out.triage = actions.join(',');
  }
  if (raw.origin === 'listening' || raw.origin === 'addressed') out.origin = raw.origin;
  if (typeof raw.sort === 'string' && (SORTS as readonly string[]).includes(raw.sort)) out.sort = raw.sort as Sort;
  return out;
}

export function isView(v: string): v is View {
  return (VIEWS as readonly string[]).includes(v);
}

export function toListParams(view: View, s: InboxSearch): ListParams {
  const p: ListParams = { view, sort: s.sort ?? 'recent' };
  if (s.status) p.status = s.status;
  if (s.assignee) p.assignee = s.assignee;
  if (s.team != null) p.team = s.team;
  if (s.channel != null) p.channel = s.channel;
  if (s.network) p.network = s.network;
  if (s.priorityMin != null) p.priorityMin = s.priorityMin;
  if (s.label) p.label = s.label;
  if (s.sentiment) p.sentiment = s.sentiment;
  if (s.category) p.category = s.category;
  if (s.triage) p.triageAction = s.triage;
  if (s.due != null) p.dueWithinMin = s.due;
  if (s.incident != null) p.incident = s.incident;
  if (s.origin) p.origin = s.origin;
  if (s.q && s.mode === 'conversations') p.q = s.q;
  return p;
}

/** How many filters (beyond the view) are on. */
export function activeFilterCount(s: InboxSearch): number {
  return FILTER_KEYS.filter((k) => s[k] !== undefined).length;
}

/** Names of what the filters refer to by id, for `describeFilters`. */
export interface FilterNames {
  meId?: number;
  userName?: (id: number) => string | undefined;
  teamName?: (id: number) => string | undefined;
  channelName?: (id: number) => string | undefined;
}

/** The priority filter's words: "Medium and up" for a level's minimum, else the number. */
export function priorityFilterLabel(min: number): string {
  const level = PRIORITY_LEVELS.find((l) => l.min === min);
  if (!level) return `${min} and up`;
  return level === PRIORITY_LEVELS[PRIORITY_LEVELS.length - 1] ? level.label : `${level.label} and up`;
}

/** Each active filter in words ("Category: Spam", "Priority: Urgent"), in the filter bar's order. */
export function describeFilters(s: InboxSearch, names: FilterNames = {}): { key: FilterKey; text: string }[] {
  const out: { key: FilterKey; text: string }[] = [];
  const add = (key: FilterKey, text: string) => out.push({ key, text });
  if (s.channel != null) add('channel', `Channel: ${names.channelName?.(s.channel) ?? `#${s.channel}`}`);
  if (s.network) add('network', `Network: ${networkLabel(s.network)}`);
  if (s.status) add('status', `Status: ${s.status.split(',').map((x) => STATUS_LABEL[x] ?? x).join(' or ')}`);
  if (s.assignee) {
    const a = s.assignee;
    add('assignee', `Assignee: ${a === 'me' ? 'me' : a === 'none' ? 'unassigned' : Number(a) === names.meId ? 'me' : names.userName?.(Number(a)) ?? `#${a}`}`);
  }
  if (s.team != null) add('team', `Team: ${names.teamName?.(s.team) ?? `#${s.team}`}`);
  if (s.priorityMin != null) add('priorityMin', `Priority: ${priorityFilterLabel(s.priorityMin)}`);
  if (s.due != null) add('due', s.due === 0 ? 'SLA: overdue' : `SLA: due within ${s.due < 60 || s.due % 60 ? `${s.due} min` : `${s.due / 60} hour${s.due === 60 ? '' : 's'}`}`);
  if (s.sentiment) add('sentiment', `Sentiment: ${SENTIMENT_LABEL[s.sentiment] ?? s.sentiment}`);
  if (s.category) add('category', `Category: ${CATEGORY_LABEL[s.category] ?? s.category}`);
  if (s.triage) add('triage', `Triage: ${triageActionsOf(s.triage).map((a) => ACTION_LABEL[a]).join(' or ')}`);
  if (s.origin) add('origin', s.origin === 'listening' ? 'Found by listening only' : 'Mentions only (addressed to the brand)');
  if (s.label) add('label', `Label: ${s.label}`);
  if (s.incident != null) add('incident', `Incident #${s.incident}`);
  return out;
}

/**
 * How many conversations a list holds: `exact`, `atLeast` (the server stopped counting), or
 * only how many are `shown` (loaded) where the server does not count.
 */
export interface Matching {
  n: number;
  kind: 'exact' | 'atLeast' | 'shown';
}

/** "2,332", "10,000+", or null when only the shown rows are known. */
export function countText(m: Matching | null): string | null {
  if (!m || m.kind === 'shown') return null;
  return `${m.n.toLocaleString()}${m.kind === 'atLeast' ? '+' : ''}`;
}

/** The list title's count: the view's count unfiltered; with filters, what they match ("3 matching") or what is shown. */
export function titleCountText(m: Matching | null, filtered: boolean, moreToLoad: boolean): string | null {
  if (!m) return null;
  const c = countText(m);
  if (!filtered) return c;
  return c != null ? `${c} matching` : `${m.n.toLocaleString()} shown${moreToLoad ? ', more below' : ''}`;
}

/**
 * What a selection covers, in words for the bulk bar. Bulk actions take the selected (loaded)
 * conversations only, never the whole filter, so a "select all" over a list with rows not
 * loaded yet says so: "100 loaded conversations selected — of 2,332 matching".
 */
export function selectionText(selected: number, loaded: number, allLoadedSelected: boolean, moreToLoad: boolean, matching: Matching | null): { title: string; note: string | null } {
  const s = selected.toLocaleString();
  if (!allLoadedSelected || selected < 2) return { title: `${s} selected`, note: null };
  if (!moreToLoad) return { title: `All ${s} conversations selected`, note: null };
  const of = countText(matching);
  return {
    title: `${s} loaded conversations selected${of ? ` — of ${of} matching` : ''}`,
    note: `Actions apply to these ${s} only; scroll to load more.`,
  };
}

export const VIEW_LABEL: Record<View, string> = {
  open: 'Open',
  new: 'New',
  mine: 'Mine',
  team: 'My team',
  waiting: 'Waiting on customer',
  resolved: 'Resolved',
  all: 'All',
};
