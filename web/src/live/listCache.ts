/**
 * Keeping loaded inbox lists current from live events without refetching them.
 *
 * A list may hold thousands of loaded rows (infinite scroll over 100,000 open
 * conversations), so a change is applied in place: the row is patched, dropped when it
 * no longer belongs to the list (assigned away, resolved...), or inserted at its sorted
 * position when it now belongs and sorts inside the loaded range. Rows that sort after
 * the loaded range are left to the next page (the keyset cursor finds them there).
 * Membership and order mirror the server's (src/store/queries.ts).
 */
import type { QueryClient } from '@tanstack/react-query';
import type { ContactSummary, Conversation, ConversationDetail, ConversationPage, Sort } from '../api/types.js';
import type { ListData, ListParams } from '../api/queries.js';

export interface Viewer {
  userId: number;
  teamIds: number[];
}

let viewer: Viewer = { userId: -1, teamIds: [] };
/** Who is looking (for the "mine" and "my team" views). */
export function setViewer(v: Viewer): void {
  viewer = v;
}

/** Contacts seen on live message events, for new conversations whose event has none. */
const contactByConversation = new Map<number, ContactSummary>();
export function rememberContact(conversationId: number, c: ContactSummary): void {
  if (contactByConversation.size > 20_000) contactByConversation.clear();
  contactByConversation.set(conversationId, c);
}

const FAR = 8.64e15;
const t = (s: string | null): number => (s ? Date.parse(s) : Number.NaN);
const orFar = (s: string | null): number => (s ? Date.parse(s) : FAR);

/** Negative when `a` is listed before `b` (same order as the server's keyset). */
export function compareConversations(sort: Sort, a: Conversation, b: Conversation): number {
  switch (sort) {
    case 'recent':
      return t(b.lastMessageAt) - t(a.lastMessageAt) || b.id - a.id;
    case 'priority':
      return b.priority - a.priority || t(b.lastMessageAt) - t(a.lastMessageAt) || b.id - a.id;
    case 'due':
      return orFar(a.slaDueAt) - orFar(b.slaDueAt) || a.id - b.id;
    case 'oldest':
      return orFar(a.waitingSince) - orFar(b.waitingSince) || a.id - b.id;
  }
}

/** Whether a conversation belongs to a list (everything but the full-text `q`, which only the server knows). */
export function matchesList(c: Conversation, p: ListParams, v: Viewer = viewer, now = Date.now()): boolean {
  switch (p.view) {
    case 'new':
      if (c.status !== 'new') return false;
      break;
    case 'open':
      if (c.status !== 'new' && c.status !== 'open') return false;
      break;
    case 'mine':
      if (c.assigneeId !== v.userId || c.status === 'resolved') return false;
      break;
    case 'team':
      if (c.teamId == null || !v.teamIds.includes(c.teamId) || c.status === 'resolved') return false;
      break;
    case 'waiting':
      if (c.status !== 'waiting') return false;
      break;
    case 'resolved':
      if (c.status !== 'resolved') return false;
      break;
    case 'all':
      break;
  }
  if (p.status && !p.status.split(',').includes(c.status)) return false;
  if (p.assignee === 'none' && c.assigneeId != null) return false;
  if (p.assignee === 'me' && c.assigneeId !== v.userId) return false;
  if (p.assignee && /^\d+$/.test(p.assignee) && c.assigneeId !== Number(p.assignee)) return false;
  if (p.team != null && c.teamId !== p.team) return false;
  if (p.channel != null && c.channelAccountId !== p.channel) return false;
  if (p.network && c.network !== p.network) return false;
  if (p.priorityMin != null && c.priority < p.priorityMin) return false;
  if (p.sentiment && c.sentiment !== p.sentiment) return false;
  if (p.category && c.category !== p.category) return false;
  if (p.label && !c.labels.includes(p.label.toLowerCase())) return false;
  if (p.incident != null && c.incidentId !== p.incident) return false;
  if (p.origin && (c.origin === 'listening') !== (p.origin === 'listening')) return false;
  if (p.dueWithinMin != null) {
    const due = t(c.slaDueAt);
    if (Number.isNaN(due) || due > now + p.dueWithinMin * 60_000 || c.status === 'resolved') return false;
  }
  return true;
}

/**
 * Merge a presented conversation from an event into what we have. Events carry the
 * conversation's contact summary (the list API's), which wins, so a contact that changed
 * (a merge) shows; an event without one keeps what the row knew. Events carry an empty
 * label list unless labels changed, so labels are kept unless the source is
 * authoritative (an action's own response).
 */
export function mergeConversation(prev: Conversation | undefined, next: Conversation, authoritativeLabels: boolean): Conversation {
  const contact = next.contact ?? prev?.contact ?? contactByConversation.get(next.id) ?? null;
  const labels = authoritativeLabels || next.labels.length > 0 || !prev ? next.labels : prev.labels;
  if (prev && prev.version > next.version) return prev; // an older event arriving late
  return { ...next, contact, labels };
}

/** Apply changed conversations to one loaded list; returns the same object when nothing changed. */
export function applyToList(data: ListData, p: ListParams, changed: Conversation[], authoritativeLabels: boolean, now = Date.now()): ListData {
  let pages: ConversationPage[] | null = null;
  const mutable = () => (pages ??= data.pages.map((pg) => ({ ...pg, items: pg.items })));
  const copied = new Set<number>();
  const pageItems = (i: number) => {
    const ps = mutable();
    if (!copied.has(i)) {
      ps[i] = { ...ps[i]!, items: [...ps[i]!.items] };
      copied.add(i);
    }
    return ps[i]!.items;
  };
  for (const incoming of changed) {
    const cur = pages ?? data.pages;
    let prev: Conversation | undefined;
    let at: [number, number] | null = null;
    for (let pi = 0; pi < cur.length && !at; pi++) {
      const idx = cur[pi]!.items.findIndex((x) => x.id === incoming.id);
      if (idx >= 0) {
        at = [pi, idx];
        prev = cur[pi]!.items[idx];
      }
    }
    const merged = mergeConversation(prev, incoming, authoritativeLabels);
    if (prev === merged) continue;
    // Full-text filtered lists cannot judge new members; they only patch or drop.
    const belongs = matchesList(merged, p, viewer, now) && (!p.q || prev !== undefined);
    if (at && belongs && samePlace(p.sort, prev!, merged)) {
      pageItems(at[0])[at[1]] = merged;
      continue;
    }
    if (at) pageItems(at[0]).splice(at[1], 1);
    if (!belongs) continue;
    const ps = pages ?? data.pages;
    let placed = false;
    for (let pi = 0; pi < ps.length && !placed; pi++) {
      const items = ps[pi]!.items;
      const last = items[items.length - 1];
      if (last && compareConversations(p.sort, merged, last) > 0 && pi < ps.length - 1) continue;
      const idx = items.findIndex((x) => compareConversations(p.sort, merged, x) < 0);
      if (idx >= 0) {
        pageItems(pi).splice(idx, 0, merged);
        placed = true;
      } else if (pi === ps.length - 1 && !ps[pi]!.nextCursor) {
        pageItems(pi).push(merged);
        placed = true;
      }
    }
  }
  return pages ? { ...data, pages } : data;
}

function samePlace(sort: Sort, a: Conversation, b: Conversation): boolean {
  switch (sort) {
    case 'recent':
      return a.lastMessageAt === b.lastMessageAt;
    case 'priority':
      return a.priority === b.priority && a.lastMessageAt === b.lastMessageAt;
    case 'due':
      return a.slaDueAt === b.slaDueAt;
    case 'oldest':
      return a.waitingSince === b.waitingSince;
  }
}

/** Apply changed conversations to every loaded list and to the open conversation. */
export function patchConversationEverywhere(qc: QueryClient, changed: Conversation[], opts: { authoritativeLabels?: boolean } = {}): void {
  if (!changed.length) return;
  const authoritative = opts.authoritativeLabels === true;
  const now = Date.now();
  // Events carry the contact summary; one that has none (an older server, a background job)
  // may still be placed with the customer an open or cached conversation already knows.
  for (const c of changed) {
    if (c.contact || contactByConversation.has(c.id)) continue;
    const known = qc.getQueryData<ConversationDetail>(['conversation', c.id])?.conversation.contact;
    if (known) rememberContact(c.id, known);
  }
  for (const q of qc.getQueryCache().findAll({ queryKey: ['conversations', 'list'] })) {
    const data = q.state.data as ListData | undefined;
    if (!data) continue;
    const p = q.queryKey[2] as ListParams;
    const next = applyToList(data, p, changed, authoritative, now);
    if (next !== data) qc.setQueryData(q.queryKey, next);
  }
  for (const c of changed) {
    qc.setQueryData<ConversationDetail>(['conversation', c.id], (d) => (d ? { ...d, conversation: mergeConversation(d.conversation, c, authoritative) } : d));
  }
}
