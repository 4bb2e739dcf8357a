/**
 * Full-text search hits over message text, newest first (virtualized like the inbox). A hit can
 * be ticked like a list row: it selects the hit's conversation for the bulk actions (with their
 * Undo: inbox/BulkBar.tsx); two hits in one conversation tick together.
 */
import { forwardRef, useEffect, useImperativeHandle, useMemo, useRef, type MouseEvent } from 'react';
import { focusRowLink } from '../lib/keyboard.js';
import { Link } from '@tanstack/react-router';
import { useVirtualizer } from '@tanstack/react-virtual';
import { useSearch as useMessageSearch } from '../api/queries.js';
import type { SearchHit, User, View } from '../api/types.js';
import { clip, fullTime, shortAgo, useNow } from '../lib/format.js';
import { Highlighted } from '../lib/SafeText.js';
import { Avatar, NetworkBadge, StatusBadge, VisibilityBadge } from '../ui/bits.js';
import type { ListHandle } from './ConversationList.js';
import type { InboxSearch } from './search.js';

const HIT_HEIGHT = 84;

/** An emoji as the search takes it (src/core/emojiSearch.ts): a pictograph with its tone, selectors and joined parts, or a flag. */
const EMOJI = /\p{Extended_Pictographic}(?:\p{Emoji_Modifier}|\uFE0F|\u20E3|\u200D\p{Extended_Pictographic}\uFE0F?)*|\p{Regional_Indicator}{2}|[#*0-9]\uFE0F?\u20E3/gu;

/**
 * What to mark in a hit: the query's words and its emoji, as the server searched them. An emoji
 * is marked without its variation selector (❤️ marks ❤ too); a bare 👍 marks the 👍 of 👍🏽.
 */
export function searchTerms(q: string): string[] {
  const emoji = (q.match(EMOJI) ?? []).map((e) => e.replace(/\uFE0F/g, '')).slice(0, 8);
  const words = (q.replace(EMOJI, ' ').normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, 8);
  return [...words, ...emoji];
}

interface Props {
  q: string;
  view: View;
  search: InboxSearch;
  cursor: number;
  onCursor: (i: number) => void;
  onItems: (ids: number[]) => void;
  users: Map<number, User>;
  /** The selected conversations (with onToggle: the hits get checkboxes). */
  selected?: ReadonlySet<number>;
  /** Tick or untick a hit's conversation (range: Shift-click, from the last one ticked). */
  onToggle?: (conversationId: number, index: number, range: boolean) => void;
}

export const SearchResults = forwardRef<ListHandle, Props>(function SearchResults({ q, view, search, cursor, onCursor, onItems, users, selected, onToggle }, ref) {
  const res = useMessageSearch(q);
  const hits = useMemo(() => res.data?.pages.flatMap((p) => p.items) ?? [], [res.data]);
  const terms = useMemo(() => searchTerms(q), [q]);
  const scrollRef = useRef<HTMLDivElement>(null);
  const now = useNow();
  const virtualizer = useVirtualizer({ count: hits.length + (res.hasNextPage ? 1 : 0), getScrollElement: () => scrollRef.current, estimateSize: () => HIT_HEIGHT, overscan: 6 });
  const vis = virtualizer.getVirtualItems();
  const last = vis.length ? vis[vis.length - 1]!.index : -1;
  useEffect(() => {
    if (res.hasNextPage && !res.isFetchingNextPage && last >= hits.length - 10) void res.fetchNextPage();
  }, [last, hits.length, res.hasNextPage, res.isFetchingNextPage]); // eslint-disable-line react-hooks/exhaustive-deps
  useEffect(() => onItems(hits.map((h) => h.conversationId)), [hits, onItems]);
  const latestFocus = useRef(0);
  useImperativeHandle(ref, () => ({
    focusRow(index: number) {
      virtualizer.scrollToIndex(index, { align: 'auto' });
      focusRowLink(latestFocus, scrollRef.current, index);
    },
  }), [virtualizer]);

  return (
    <div className="list-scroll" ref={scrollRef} tabIndex={-1}>
      <p className="list-status" role="status">
        {res.isPending ? 'Searching…' : res.isError ? `Search failed: ${(res.error as Error).message}` : `${hits.length}${res.hasNextPage ? '+' : ''} ${hits.length === 1 && !res.hasNextPage ? 'message matches' : 'messages match'}, newest first`}
      </p>
      <ul className="conv-list" aria-label={`Messages matching “${q}”`} style={{ height: virtualizer.getTotalSize() }}>
        {vis.map((vi) => {
          const h = hits[vi.index];
          const checked = !!h && !!selected?.has(h.conversationId);
          return (
            <li key={vi.key} data-index={vi.index} data-conversation-id={h?.conversationId} className={`conv-row hit-row${cursor === vi.index ? ' cursor' : ''}${search.c === h?.conversationId ? ' open' : ''}${checked ? ' checked' : ''}`} style={{ transform: `translateY(${vi.start}px)` }}>
              {h ? <Hit h={h} view={view} search={search} terms={terms} now={now} onFocus={() => onCursor(vi.index)} users={users} checked={checked} onToggle={onToggle && ((range) => onToggle(h.conversationId, vi.index, range))} /> : 'Loading more…'}
            </li>
          );
        })}
      </ul>
    </div>
  );
});

function Hit({ h, view, search, terms, now, onFocus, users, checked, onToggle }: { h: SearchHit; view: View; search: InboxSearch; terms: string[]; now: number; onFocus: () => void; users: Map<number, User>; checked: boolean; onToggle?: (range: boolean) => void }) {
  const who = h.author ? clip(h.author.displayName || `@${h.author.handle}`, 120) : h.authorUserId != null ? users.get(h.authorUserId)?.name ?? 'Agent' : 'Brand';
  return (
    <>
      {onToggle && (
        <input
          type="checkbox"
          className="row-check"
          checked={checked}
          aria-label={`Select conversation “${clip(h.conversationSubject, 60)}” (message from ${who})`}
          onClick={(e: MouseEvent<HTMLInputElement>) => onToggle(e.shiftKey)}
          onChange={() => {}}
        />
      )}
      <Link to="/inbox/$view" params={{ view }} search={{ ...search, c: h.conversationId }} className="row-link" onFocus={onFocus}>
        <Avatar name={who} seed={h.author?.handle ?? who} />
        <span className="row-main">
          <span className="row-top">
            <span className="row-name" dir="auto">
              {who}
            </span>
            <span className="row-handle">{h.direction === 'outbound' ? 'reply' : h.kind}</span>
            <span className="row-time" title={fullTime(h.createdAt)}>
              {shortAgo(h.createdAt, now)}
            </span>
          </span>
          <span className="row-subject" dir="auto">
            <Highlighted text={clip(h.text, 300)} terms={terms} />
          </span>
          <span className="row-meta">
            <StatusBadge status={h.conversationStatus} />
            <NetworkBadge network={h.network} />
            <VisibilityBadge visibility={h.visibility} />
            <span className="small muted" dir="auto">
              in “{clip(h.conversationSubject, 60)}”
            </span>
          </span>
        </span>
        {/* focus is on this link, not the checkbox: its name says whether the conversation is selected */}
        {checked && <span className="visually-hidden">, selected</span>}
      </Link>
    </>
  );
}
