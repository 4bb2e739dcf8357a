/**
 * The inbox URL: `/inbox/<view>?c=<open conversation>&q=<search>&channel=...` — every
 * filter lives in the URL so a view can be bookmarked, shared and restored on reload.
 */
import type { ListParams } from '../api/queries.js';
import { SORTS, VIEWS, type Sort, type View } from '../api/types.js';

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
  /** SLA due within this many minutes. */
  due?: number;
  sort?: Sort;
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
  for (const k of ['team', 'channel', 'priorityMin', 'due'] as const) {
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
  if (s.due != null) p.dueWithinMin = s.due;
  if (s.q && s.mode === 'conversations') p.q = s.q;
  return p;
}

/** How many filters (beyond the view) are on. */
export function activeFilterCount(s: InboxSearch): number {
  return (['status', 'assignee', 'team', 'channel', 'network', 'priorityMin', 'label', 'sentiment', 'category', 'due'] as const).filter((k) => s[k] !== undefined).length;
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
