/**
 * The inbox: header, views, the (virtualized) list or search hits, bulk actions, and
 * the open conversation beside it. List-level keyboard shortcuts live here; the
 * conversation's own (r, n, a, e, s) live in the conversation pane.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useChannels, useConversationList, useCounts, useListTotal, useMe, useTeams, useUsers } from '../api/queries.js';
import type { ChannelAccount, Conversation, Me, User, View } from '../api/types.js';
import { useHotkeys } from '../lib/keyboard.js';
import { networkLabel } from '../lib/format.js';
import { Header } from '../shell/Header.js';
import { Sidebar } from '../shell/Sidebar.js';
import { ShortcutsDialog } from '../shell/ShortcutsDialog.js';
import { SelectField, Spinner } from '../ui/bits.js';
import { announce } from '../ui/Announcer.js';
import { useNewMessageAnnouncements } from './announce.js';
import { BulkBar } from './BulkBar.js';
import { ConversationList, type ListHandle } from './ConversationList.js';
import { FilterBar } from './FilterBar.js';
import { SearchResults } from './SearchResults.js';
import { activeFilterCount, describeFilters, NO_FILTERS, parseInboxSearch, titleCountText, toListParams, VIEW_LABEL, type InboxSearch, type Matching } from './search.js';

const ConversationPane = lazy(() => import('../conversation/ConversationPane.js'));

export function InboxPage() {
  const me = useMe().data;
  return me ? <Inbox me={me} /> : null;
}

function Inbox({ me }: { me: Me }) {
  const view = useParams({ from: '/inbox/$view' }).view as View;
  // the router hands on the address's own parameters beside the validated ones: parsed again, a
  // stale or mistyped link (?sort=old, ?status=bogus, ?c=abc) is ignored, not sent on and refused
  const rawSearch = useSearch({ from: '/inbox/$view' });
  const search = useMemo(() => parseInboxSearch(rawSearch), [rawSearch]);
  const navigate = useNavigate({ from: '/inbox/$view' });
  const usersQ = useUsers();
  const channelsQ = useChannels();
  const counts = useCounts().data;
  const users = useMemo(() => new Map<number, User>((usersQ.data ?? []).map((u) => [u.id, u])), [usersQ.data]);
  const channels = useMemo(() => new Map<number, ChannelAccount>((channelsQ.data ?? []).map((c) => [c.id, c])), [channelsQ.data]);

  const searching = !!search.q && search.mode !== 'conversations';
  const params = useMemo(() => toListParams(view, search), [view, search]);
  const list = useConversationList(params, !searching);
  const items = useMemo(() => {
    const out: Conversation[] = [];
    const seen = new Set<number>();
    for (const p of list.data?.pages ?? []) for (const c of p.items) if (!seen.has(c.id)) (seen.add(c.id), out.push(c));
    return out;
  }, [list.data]);
  const knownLabels = useMemo(() => [...new Set(items.slice(0, 2000).flatMap((c) => c.labels))].sort(), [items]);

  const [hitConversationIds, setHitConversationIds] = useState<number[]>([]);
  const rowIds = useMemo(() => (searching ? hitConversationIds : items.map((c) => c.id)), [searching, hitConversationIds, items]);

  // The cursor follows a conversation, not a position: new arrivals on top do not move it.
  const [cursorAt, setCursorAt] = useState<{ index: number; id: number | null }>({ index: 0, id: null });
  const [selected, setSelected] = useState<Set<number>>(() => new Set());
  /** The row last ticked or unticked (by id: rows arriving above it move its index), the anchor of a Shift-click range. */
  const lastToggled = useRef<number | null>(null);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const listRef = useRef<ListHandle>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  const listKey = JSON.stringify(params) + (searching ? `|s:${search.q}` : '');
  useEffect(() => {
    setCursorAt({ index: 0, id: null });
    setSelected(new Set());
    setLeftList(0);
  }, [listKey]);

  // The selection only ever holds conversations the list shows: one that leaves it (resolved or
  // assigned away by a colleague, no longer matching the filters) leaves the selection too, and
  // the bulk bar says so (a bulk action must not reach what the agent no longer sees). Until the
  // list (or the search) has loaded there is nothing to compare with.
  const [leftList, setLeftList] = useState(0);
  /** While a bulk action runs its own changes take rows out of the list: not worth a note. */
  const bulkRunning = useRef(false);
  const listed = useMemo(() => new Set(rowIds), [rowIds]);
  const listKnown = searching || !!list.data;
  useEffect(() => {
    if (!listKnown || !selected.size) return;
    let gone = 0;
    for (const id of selected) if (!listed.has(id)) gone++;
    if (!gone) return;
    setSelected((prev) => new Set([...prev].filter((id) => listed.has(id))));
    if (bulkRunning.current) return;
    setLeftList((n) => n + gone);
    const left = selected.size - gone;
    announce(`${gone === 1 ? '1 selected conversation' : `${gone} selected conversations`} left the list and ${gone === 1 ? 'was' : 'were'} unselected. ${left === 0 ? 'No conversation' : left === 1 ? '1 conversation' : `${left} conversations`} selected.`);
  }, [listed, listKnown, selected]);
  // the note goes with the selection
  useEffect(() => {
    if (!selected.size) setLeftList(0);
  }, [selected.size]);
  /** What a bulk action acts on: the selected conversations the list shows now (once each: two search hits may share one). */
  const selectedListed = useMemo(() => [...new Set(rowIds.filter((id) => selected.has(id)))], [rowIds, selected]);
  const listedCount = useMemo(() => new Set(rowIds).size, [rowIds]);
  const statusById = useMemo(() => new Map(items.map((c) => [c.id, { status: c.status, snoozedUntil: c.snoozedUntil }])), [items]);

  const update = useCallback(
    (patch: Partial<InboxSearch>) => navigate({ search: (s: InboxSearch) => ({ ...parseInboxSearch(s as Record<string, unknown>), ...patch }) }),
    [navigate],
  );
  const openConversation = useCallback((id: number | undefined) => update({ c: id }), [update]);
  /** Close the open conversation and put focus back on its row (else it would fall to the page's start). */
  const closeConversation = () => {
    const at = search.c != null ? rowIds.indexOf(search.c) : -1;
    openConversation(undefined);
    const i = at >= 0 ? at : cursor;
    if (rowIds.length) {
      setCursor(i);
      listRef.current?.focusRow(i);
    }
  };
  const goView = (v: View) => {
    void navigate({ to: '/inbox/$view', params: { view: v }, search: (s: InboxSearch) => ({ ...parseInboxSearch(s as Record<string, unknown>), c: undefined, q: undefined, mode: undefined }) });
  };

  const onToggle = useCallback((id: number, index: number, range: boolean) => {
    // Read the anchor now: the updater below runs later, after the anchor has moved to this row.
    const ids = rowIdsRef.current;
    const anchorId = lastToggled.current;
    const anchor = range && anchorId != null && anchorId !== id ? ids.indexOf(anchorId) : -1;
    lastToggled.current = id;
    setSelected((prev) => {
      const next = new Set(prev);
      // the clicked row flips; a Shift-click gives every row from the anchor to it the same state
      const on = !prev.has(id);
      const [a, b] = anchor >= 0 ? [Math.min(anchor, index), Math.max(anchor, index)] : [index, index];
      for (let i = a; i <= b; i++) {
        const rowId = i === index ? id : ids[i];
        if (rowId == null) continue;
        if (on) next.add(rowId);
        else next.delete(rowId);
      }
      return next;
    });
  }, []);
  const rowIdsRef = useRef(rowIds);
  rowIdsRef.current = rowIds;
  const cursor = useMemo(() => {
    if (!searching && cursorAt.id != null) {
      const i = rowIds.indexOf(cursorAt.id);
      if (i >= 0) return i;
    }
    return Math.max(0, Math.min(cursorAt.index, rowIds.length - 1));
  }, [rowIds, cursorAt, searching]);
  const setCursor = useCallback((index: number) => setCursorAt({ index, id: rowIdsRef.current[index] ?? null }), []);

  const move = (delta: number) => {
    const n = rowIds.length;
    if (!n) return;
    const next = Math.max(0, Math.min(n - 1, cursor + delta));
    setCursor(next);
    listRef.current?.focusRow(next);
  };

  useHotkeys({
    j: () => move(1),
    k: () => move(-1),
    ArrowDown: (e) => (e.target instanceof HTMLElement && e.target.closest('.list-scroll') ? move(1) : false),
    ArrowUp: (e) => (e.target instanceof HTMLElement && e.target.closest('.list-scroll') ? move(-1) : false),
    Enter: (e) => {
      // a focused link or button handles Enter itself, except a row's own link: Enter opens the
      // highlighted row, whose link may not have focus yet (it is focused on the next frame)
      if (e.target instanceof HTMLElement && e.target.closest('a,button,summary') && !e.target.closest('a.row-link')) return false;
      const id = rowIds[cursor];
      if (id == null) return false;
      // already open: Enter goes to it (as opening it does)
      if (id === search.c) document.querySelector<HTMLElement>('.conversation .conv-title h2')?.focus({ preventScroll: true });
      else openConversation(id);
    },
    x: () => {
      const id = rowIds[cursor];
      if (id == null) return;
      // the row's link has focus, not its checkbox: say what changed
      const on = !selected.has(id);
      const n = selected.size + (on ? 1 : -1);
      const who = items.find((c) => c.id === id)?.contact;
      const name = who?.displayName || who?.handle || 'conversation';
      onToggle(id, cursor, false);
      announce(`${on ? 'Selected' : 'Unselected'} ${name}. ${n === 0 ? 'No conversation' : n === 1 ? '1 conversation' : `${n} conversations`} selected.`);
    },
    '/': () => {
      searchRef.current?.focus();
      searchRef.current?.select();
    },
    '?': () => setShortcutsOpen(true),
    Escape: () => {
      if (selected.size) {
        setSelected(new Set());
        announce('Selection cleared.');
      } else if (search.c) closeConversation();
      else if (search.q) update({ q: undefined, mode: undefined });
      else return false;
    },
    'g i': () => goView('open'),
    'g m': () => goView('mine'),
    'g t': () => goView('team'),
    'g w': () => goView('waiting'),
    'g a': () => goView('all'),
  });

  useNewMessageAnnouncements(search.c ?? null, me.user.id, rowIds);

  const listLabel = `${VIEW_LABEL[view]} conversations`;
  // How many the list holds: the view's count when unfiltered; with filters, the list's own
  // length once it is all loaded, else the server's (capped) count of what they match.
  const filtered = activeFilterCount(search) > 0 || !!params.q;
  const moreToLoad = !!list.hasNextPage;
  const totalQ = useListTotal(params, !searching && filtered && list.isSuccess && moreToLoad);
  const matching = useMemo((): Matching | null => {
    if (searching) return null;
    if (!filtered) return counts ? { n: counts[view], kind: 'exact' } : null;
    if (!list.isSuccess) return null;
    if (!moreToLoad) return { n: items.length, kind: 'exact' };
    const t = totalQ.data;
    if (t && t.count != null) return { n: Math.max(t.count, items.length), kind: t.capped ? 'atLeast' : 'exact' };
    if (t || totalQ.isError) return { n: items.length, kind: 'shown' };
    return null;
  }, [searching, filtered, counts, view, list.isSuccess, moreToLoad, items.length, totalQ.data, totalQ.isError]);
  const titleCount = titleCountText(matching, filtered, moreToLoad);
  const clearFilters = () => update(NO_FILTERS);
  const allLoadedSelected = listedCount > 0 && selectedListed.length === listedCount;

  return (
    <div className={`app${search.c ? ' has-conversation' : ''}`}>
      <a href="#main-list" className="skip-link">
        Skip to conversations
      </a>
      <Header ref={searchRef} me={me} query={search.q ?? ''} onQuery={(q) => update({ q: q || undefined, mode: q ? search.mode : undefined })} onOpenConversation={(id) => openConversation(id)} onShowShortcuts={() => setShortcutsOpen(true)} />
      <div className="workspace">
        <Sidebar view={view} search={search} />
        {/* the page's one main landmark: the list and the open conversation (the views are navigation) */}
        <main className="inbox-main">
          <section className="list-pane" id="main-list" aria-labelledby="list-title" tabIndex={-1}>
            <div className="list-head">
              <h1 id="list-title">
                {searching ? 'Search' : VIEW_LABEL[view]}
                {!searching && titleCount != null && (
                  <span className="muted title-count" title={filtered && counts ? `${counts[view].toLocaleString()} in ${VIEW_LABEL[view]} without filters` : undefined}>
                    {' '}
                    {titleCount}
                  </span>
                )}
              </h1>
              <span className="view-select">
                <SelectField label="View" hideLabel value={view} onChange={(e) => goView(e.target.value as View)}>
                  {(Object.keys(VIEW_LABEL) as View[]).map((v) => (
                    <option key={v} value={v}>
                      {VIEW_LABEL[v]}
                      {/* with filters on, only the current view's count is known (the others' would be filtered too) */}
                      {!filtered ? (counts ? ` (${counts[v].toLocaleString()})` : '') : v === view && !searching && titleCount ? ` (${titleCount})` : ''}
                    </option>
                  ))}
                </SelectField>
              </span>
              {search.q && (
                <div className="segmented" role="group" aria-label="Show search results as">
                  <button type="button" aria-pressed={searching} onClick={() => update({ mode: undefined })}>
                    Messages
                  </button>
                  <button type="button" aria-pressed={!searching} onClick={() => update({ mode: 'conversations' })}>
                    Conversations
                  </button>
                </div>
              )}
            </div>
            {!searching && <FilterBar search={search} onChange={update} knownLabels={knownLabels} />}
            {selectedListed.length > 0 && (
              <BulkBar
                ids={selectedListed}
                leftList={leftList}
                statusOf={(id) => statusById.get(id)}
                onRunning={(on) => (bulkRunning.current = on)}
                loaded={listedCount}
                allLoadedSelected={allLoadedSelected}
                moreToLoad={!searching && moreToLoad}
                matching={matching}
                onClear={() => {
                  // the bar (and the button that had focus) goes away: focus back on the list, not lost
                  const active = document.activeElement;
                  const lost = active === document.body || (active instanceof HTMLElement && !!active.closest('.bulkbar'));
                  setSelected(new Set());
                  announce('Selection cleared.');
                  if (lost && rowIds.length) listRef.current?.focusRow(cursor);
                }}
                onSelectAll={() => setSelected(new Set(rowIds))}
              />
            )}
            {searching ? (
              <SearchResults ref={listRef} q={search.q!} view={view} search={search} cursor={cursor} onCursor={setCursor} onItems={setHitConversationIds} users={users} selected={selected} onToggle={onToggle} />
            ) : list.isPending ? (
              <div className="list-empty">
                <Spinner label="Loading conversations" />
              </div>
            ) : list.isError ? (
              <div className="list-empty" role="alert">
                Could not load conversations: {(list.error as Error).message}{' '}
                <button type="button" className="btn btn-small" onClick={() => list.refetch()}>
                  Retry
                </button>
              </div>
            ) : items.length === 0 ? (
              <EmptyList view={view} search={search} me={me} users={users} channels={channels} onClearFilters={clearFilters} />
            ) : (
              <ConversationList
                ref={listRef}
                view={view}
                search={search}
                items={items}
                hasNextPage={!!list.hasNextPage}
                isFetchingNextPage={list.isFetchingNextPage}
                fetchNextPage={list.fetchNextPage}
                cursor={cursor}
                onCursor={setCursor}
                selected={selected}
                onToggle={onToggle}
                users={users}
                channels={channels}
                meId={me.user.id}
                label={listLabel}
              />
            )}
          </section>
          <section className="conversation-pane" aria-label="Conversation">
            {search.c ? (
              <Suspense
                fallback={
                  <div className="pane-empty">
                    <Spinner label="Loading conversation" />
                  </div>
                }
              >
                <ConversationPane key={search.c} id={search.c} onClose={closeConversation} onOpenConversation={openConversation} />
              </Suspense>
            ) : (
              <div className="pane-empty">
                <p>Pick a conversation, or press <kbd className="kbd">j</kbd> / <kbd className="kbd">k</kbd> and <kbd className="kbd">Enter</kbd>.</p>
                <p className="muted">
                  <kbd className="kbd">?</kbd> shows every shortcut.
                </p>
              </div>
            )}
          </section>
        </main>
      </div>
      <ShortcutsDialog open={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
    </div>
  );
}

/** What an empty view means, in the view's own words (Waiting never fills with new mentions). */
const EMPTY_VIEW: Record<View, string> = {
  open: 'Nothing open. New mentions and messages appear here as they arrive.',
  new: 'Nothing new. Mentions and messages nobody has worked on yet appear here as they arrive.',
  mine: 'Nothing assigned to you. Conversations you take or are given appear here.',
  team: 'Nothing for your team. Conversations routed to your team appear here.',
  waiting: "Nobody to wait for. Snoozed conversations, and those waiting on a customer's answer, appear here until the customer writes or the snooze ends.",
  resolved: 'Nothing resolved yet. Conversations appear here once they are resolved.',
  all: 'No conversations yet. Mentions and messages appear here as they arrive.',
};

/** An empty list: with filters on, which ones hide everything, and a way to clear them. */
function EmptyList({ view, search, me, users, channels, onClearFilters }: { view: View; search: InboxSearch; me: Me; users: Map<number, User>; channels: Map<number, ChannelAccount>; onClearFilters: () => void }) {
  if (activeFilterCount(search) === 0) {
    return (
      <div className="list-empty">
        <p>{search.q ? `No conversation in ${VIEW_LABEL[view]} matches the search.` : EMPTY_VIEW[view]}</p>
      </div>
    );
  }
  return <FilteredEmpty view={view} search={search} me={me} users={users} channels={channels} onClearFilters={onClearFilters} />;
}

function FilteredEmpty({ view, search, me, users, channels, onClearFilters }: { view: View; search: InboxSearch; me: Me; users: Map<number, User>; channels: Map<number, ChannelAccount>; onClearFilters: () => void }) {
  const teams = useTeams().data;
  const filters = describeFilters(search, {
    meId: me.user.id,
    userName: (id) => users.get(id)?.name,
    teamName: (id) => teams?.find((t) => t.id === id)?.name,
    channelName: (id) => {
      const c = channels.get(id);
      return c ? `${networkLabel(c.network)} @${c.handle}` : undefined;
    },
  });
  return (
    <div className="list-empty" role="status">
      <p>
        No conversation in {VIEW_LABEL[view]} matches {search.q ? 'the search and ' : ''}
        {filters.length === 1 ? 'this filter' : `these ${filters.length} filters`}:
      </p>
      <ul className="filter-summary" aria-label="Active filters" style={{ listStyle: 'none', padding: 0, display: 'flex', flexWrap: 'wrap', justifyContent: 'center', gap: 6 }}>
        {filters.map((f) => (
          <li key={f.key}>
            <span className="badge">{f.text}</span>
          </li>
        ))}
      </ul>
      <button type="button" className="btn btn-small" onClick={onClearFilters}>
        Clear filters
      </button>
    </div>
  );
}
