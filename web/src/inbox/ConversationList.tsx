/**
 * The inbox list: virtualized (only the visible rows are in the DOM, so 100,000 open
 * conversations scroll like 100), loading the next keyset page as the end comes near.
 */
import { forwardRef, memo, useEffect, useImperativeHandle, useLayoutEffect, useRef, type MouseEvent } from 'react';
import { focusRowLink } from '../lib/keyboard.js';
import { Link } from '@tanstack/react-router';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { ChannelAccount, Conversation, User, View } from '../api/types.js';
import { clip, fullTime, priorityLabel, shortAgo, useNow } from '../lib/format.js';
import { SlaBadge } from '../workflow/Sla.js';
import { usePresence } from '../live/presence.js';
import { Avatar, EyeIcon, NetworkBadge, StatusBadge, VerifiedIcon } from '../ui/bits.js';
import { ACTION_LABEL } from '../conversation/triage.js';
import { customerName, handleText, ownName } from '../conversation/customerName.js';
import type { InboxSearch } from './search.js';

export const ROW_HEIGHT = 78;

/** Rows triage says need no response carry a marker (respond, the usual case, carries none). */
const TRIAGE_MARKER_TITLE = {
  monitor: 'Triage says: monitor (watch it, no answer needed: thanks, chatter, abuse)',
  ignore: 'Triage says: ignore (nothing to do: spam)',
} as const;

/** The row's marker for a conversation keyword listening found: the person did not address the brand. */
const LISTENING_TITLE = 'Found by keyword listening: the post does not tag or address the brand';

export interface ListHandle {
  focusRow(index: number): void;
}

interface Props {
  view: View;
  search: InboxSearch;
  items: Conversation[];
  hasNextPage: boolean;
  isFetchingNextPage: boolean;
  fetchNextPage: () => void;
  cursor: number;
  onCursor: (i: number) => void;
  selected: ReadonlySet<number>;
  onToggle: (id: number, index: number, range: boolean) => void;
  users: Map<number, User>;
  channels: Map<number, ChannelAccount>;
  meId: number;
  label: string;
}

export const ConversationList = forwardRef<ListHandle, Props>(function ConversationList(props, ref) {
  const { items, hasNextPage, isFetchingNextPage, fetchNextPage, cursor } = props;
  const scrollRef = useRef<HTMLDivElement>(null);
  const now = useNow();
  const virtualizer = useVirtualizer({
    count: items.length + (hasNextPage ? 1 : 0),
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 8,
    getItemKey: (i) => items[i]?.id ?? `more-${i}`,
  });
  const virtualItems = virtualizer.getVirtualItems();
  const lastIndex = virtualItems.length ? virtualItems[virtualItems.length - 1]!.index : -1;

  useEffect(() => {
    if (hasNextPage && !isFetchingNextPage && lastIndex >= items.length - 30) fetchNextPage();
  }, [lastIndex, items.length, hasNextPage, isFetchingNextPage, fetchNextPage]);

  // Scroll anchoring: when rows arrive or leave above what the agent is reading, keep the
  // rows they are looking at still (at the very top, new arrivals simply appear).
  const anchor = useRef<{ id: number; index: number } | null>(null);
  const recordAnchor = () => {
    const el = scrollRef.current;
    if (!el) return;
    const first = Math.floor(el.scrollTop / ROW_HEIGHT);
    const c = items[first];
    anchor.current = el.scrollTop > 0 && c ? { id: c.id, index: first } : null;
  };
  useLayoutEffect(() => {
    const el = scrollRef.current;
    const a = anchor.current;
    if (el && a && items[a.index]?.id !== a.id) {
      const lo = Math.max(0, a.index - 500);
      let found = -1;
      for (let i = lo; i < Math.min(items.length, a.index + 500); i++) {
        if (items[i]!.id === a.id) {
          found = i;
          break;
        }
      }
      if (found >= 0) el.scrollTop += (found - a.index) * ROW_HEIGHT;
    }
    recordAnchor();
  }, [items]); // eslint-disable-line react-hooks/exhaustive-deps

  const latestFocus = useRef(0);
  useImperativeHandle(ref, () => ({
    focusRow(index: number) {
      virtualizer.scrollToIndex(index, { align: 'auto' });
      focusRowLink(latestFocus, scrollRef.current, index);
    },
  }), [virtualizer]);

  return (
    <div ref={scrollRef} className="list-scroll" tabIndex={-1} onScroll={recordAnchor}>
      <ul className="conv-list" aria-label={props.label} style={{ height: virtualizer.getTotalSize() }}>
        {virtualItems.map((vi) => {
          const c = items[vi.index];
          if (!c) {
            return (
              <li key={vi.key} className="conv-row loading-row" data-index={vi.index} style={{ transform: `translateY(${vi.start}px)` }}>
                {isFetchingNextPage ? 'Loading more…' : ''}
              </li>
            );
          }
          return (
            <Row
              key={vi.key}
              c={c}
              index={vi.index}
              start={vi.start}
              setSize={hasNextPage ? -1 : items.length}
              cursor={cursor === vi.index}
              open={props.search.c === c.id}
              checked={props.selected.has(c.id)}
              onToggle={props.onToggle}
              onCursor={props.onCursor}
              view={props.view}
              search={props.search}
              assignee={c.assigneeId != null ? props.users.get(c.assigneeId) : undefined}
              channel={props.channels.get(c.channelAccountId)}
              meId={props.meId}
              now={now}
            />
          );
        })}
      </ul>
    </div>
  );
});

interface RowProps {
  c: Conversation;
  index: number;
  start: number;
  setSize: number;
  cursor: boolean;
  open: boolean;
  checked: boolean;
  onToggle: (id: number, index: number, range: boolean) => void;
  onCursor: (i: number) => void;
  view: View;
  search: InboxSearch;
  assignee: User | undefined;
  channel: ChannelAccount | undefined;
  meId: number;
  now: number;
}

const Row = memo(function Row({ c, index, start, setSize, cursor, open, checked, onToggle, onCursor, view, search, assignee, channel, meId, now }: RowProps) {
  const presence = usePresence(c.id).filter((p) => p.userId !== meId);
  // named as the conversation's header names them: display name, else @handle (an email address as it is)
  // an incident statement is the brand's own post: named so, with the account it went out from (no customer)
  const name = c.statement ? 'Brand statement' : customerName(c.network, c.contact, 120);
  // beside their own display name (without one, the name is the handle)
  const handle = c.statement ? (channel ? handleText(c.network, clip(channel.handle, 80)) : null) : c.contact?.handle && ownName(c.contact) ? handleText(c.network, clip(c.contact.handle, 80)) : null;
  const subject = clip(c.subject, 240);
  return (
    <li
      className={`conv-row${cursor ? ' cursor' : ''}${open ? ' open' : ''}${checked ? ' checked' : ''}${c.status === 'new' ? ' unread' : ''}`}
      data-index={index}
      data-statement={c.statement ? 'true' : undefined}
      data-conversation-id={c.id}
      aria-posinset={index + 1}
      aria-setsize={setSize}
      style={{ transform: `translateY(${start}px)` }}
    >
      <input
        type="checkbox"
        className="row-check"
        checked={checked}
        aria-label={`Select conversation with ${name}`}
        onClick={(e: MouseEvent<HTMLInputElement>) => onToggle(c.id, index, e.shiftKey)}
        onChange={() => {}}
      />
      <Link
        to="/inbox/$view"
        params={{ view }}
        search={{ ...search, c: c.id }}
        className="row-link"
        aria-current={open ? 'true' : undefined}
        onFocus={() => onCursor(index)}
      >
        <Avatar name={name} seed={c.contact?.handle ?? String(c.id)} />
        <span className="row-main">
          <span className="row-top">
            <span className="row-name" dir="auto">
              {name}
            </span>
            {c.contact?.verified && <VerifiedIcon />}
            {handle && (
              <span className="row-handle" dir="auto">
                {handle}
              </span>
            )}
            {presence.length > 0 && (
              <span className="presence-chip" title={presence.map((p) => `${p.name} is ${p.state}`).join(', ')}>
                <EyeIcon /> {presence[0]!.name.split(' ')[0]}
                {presence.length > 1 ? ` +${presence.length - 1}` : ''}
              </span>
            )}
            <span className="row-time" title={fullTime(c.lastMessageAt)}>
              {shortAgo(c.lastMessageAt, now)}
            </span>
          </span>
          <span className="row-subject" dir="auto">
            {subject || <span className="muted">(no text)</span>}
          </span>
          <span className="row-meta">
            <StatusBadge status={c.status} />
            <NetworkBadge network={c.network} />
            {c.visibility === 'private' && <span className="badge vis-private">Private</span>}
            {c.origin === 'listening' && (
              <span className="badge origin-listening" data-origin="listening" title={LISTENING_TITLE}>
                Listening<span className="visually-hidden"> (not addressed to the brand)</span>
              </span>
            )}
            {c.priority > 0 && <span className={`badge prio prio-${priorityLabel(c.priority).toLowerCase()}`}>{priorityLabel(c.priority)}</span>}
            {(c.triageAction === 'monitor' || c.triageAction === 'ignore') && (
              <span className={`badge triage-action act-${c.triageAction}`} data-triage={c.triageAction} title={TRIAGE_MARKER_TITLE[c.triageAction]}>
                <span className="visually-hidden">Triage: </span>
                {ACTION_LABEL[c.triageAction]}
              </span>
            )}
            <SlaBadge conversation={c} now={now} />
            {c.sentiment === 'negative' && <span className="badge sent-neg">Negative</span>}
            {assignee ? <span className="small assignee">→ {assignee.id === meId ? 'me' : assignee.name}</span> : <span className="small muted">Unassigned</span>}
            {c.labels.slice(0, 3).map((l) => (
              <span key={l} className="badge label">
                {l}
              </span>
            ))}
            {channel && !c.statement && <span className="muted small">@{channel.handle}</span>}
          </span>
        </span>
        {/* focus is on this link, not the checkbox: its name says whether the row is selected */}
        {checked && <span className="visually-hidden">, selected</span>}
      </Link>
    </li>
  );
});
