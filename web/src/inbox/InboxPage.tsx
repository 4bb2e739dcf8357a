/**
 * The inbox: header, views, the (virtualized) list or search hits, bulk actions, and
 * the open conversation beside it. List-level keyboard shortcuts live here; the
 * conversation's own (r, n, a, e, s) live in the conversation pane.
 */
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useNavigate, useParams, useSearch } from '@tanstack/react-router';
import { useChannels, useConversationList, useCounts, useMe, useUsers } from '../api/queries.js';
import type { ChannelAccount, Conversation, Me, User, View } from '../api/types.js';
import { useHotkeys } from '../lib/keyboard.js';
import { Header } from '../shell/Header.js';
import { Sidebar } from '../shell/Sidebar.js';
import { ShortcutsDialog } from '../shell/ShortcutsDialog.js';
import { SelectField, Spinner } from '../ui/bits.js';
import { BulkBar } from './BulkBar.js';
import { ConversationList, type ListHandle } from './ConversationList.js';
import { FilterBar } from './FilterBar.js';
import { SearchResults } from './SearchResults.js';
import { toListParams, VIEW_LABEL, type InboxSearch } from './search.js';

const ConversationPane = lazy(() => import('../conversation/ConversationPane.js'));

export function InboxPage() {
  const me = useMe().data;
  return me ? <Inbox me={me} /> : null;
}

function Inbox({ me }: { me: Me }) {
  const view = useParams({ from: '/inbox/$view' }).view as View;
  const search = useSearch({ from: '/inbox/$view' });
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
  const lastToggled = useRef<number | null>(null);
  const [shortcutsOpen, setShortcutsOpen] = useState(false);
  const listRef = useRef<ListHandle>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  const listKey = JSON.stringify(params) + (searching ? `|s:${search.q}` : '');
  useEffect(() => {
    setCursorAt({ index: 0, id: null });
    setSelected(new Set());
  }, [listKey]);

  const update = useCallback(
    (patch: Partial<InboxSearch>) => navigate({ search: (s: InboxSearch) => ({ ...s, ...patch }) }),
    [navigate],
  );
  const openConversation = useCallback((id: number | undefined) => update({ c: id }), [update]);
  const goView = (v: View) => {
    void navigate({ to: '/inbox/$view', params: { view: v }, search: (s: InboxSearch) => ({ ...s, c: undefined, q: undefined, mode: undefined }) });
  };

  const onToggle = useCallback((id: number, index: number, range: boolean) => {
    setSelected((prev) => {
      const next = new Set(prev);
      const ids = rowIdsRef.current;
      if (range && lastToggled.current != null) {
        const a = Math.min(lastToggled.current, index);
        const b = Math.max(lastToggled.current, index);
        for (let i = a; i <= b; i++) if (ids[i] != null) next.add(ids[i]!);
      } else if (next.has(id)) next.delete(id);
      else next.add(id);
      return next;
    });
    lastToggled.current = index;
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
      openConversation(id);
    },
    x: () => {
      const id = rowIds[cursor];
      if (id != null) onToggle(id, cursor, false);
    },
    '/': () => {
      searchRef.current?.focus();
      searchRef.current?.select();
    },
    '?': () => setShortcutsOpen(true),
    Escape: () => {
      if (selected.size) setSelected(new Set());
      else if (search.c) openConversation(undefined);
      else return false;
    },
    'g i': () => goView('open'),
    'g m': () => goView('mine'),
    'g t': () => goView('team'),
    'g w': () => goView('waiting'),
    'g a': () => goView('all'),
  });

  const listLabel = `${VIEW_LABEL[view]} conversations`;
  const total = counts?.[view];

  return (
    <div className={`app${search.c ? ' has-conversation' : ''}`}>
      <a href="#main-list" className="skip-link">
        Skip to conversations
      </a>
      <Header ref={searchRef} me={me} query={search.q ?? ''} onQuery={(q) => update({ q: q || undefined, mode: q ? search.mode : undefined })} onOpenConversation={(id) => openConversation(id)} onShowShortcuts={() => setShortcutsOpen(true)} />
      <div className="workspace">
        <Sidebar view={view} search={search} />
        <section className="list-pane" id="main-list" aria-labelledby="list-title" tabIndex={-1}>
          <div className="list-head">
            <h1 id="list-title">
              {searching ? 'Search' : VIEW_LABEL[view]}
              {!searching && total != null && <span className="muted title-count"> {total.toLocaleString()}</span>}
            </h1>
            <span className="view-select">
              <SelectField label="View" hideLabel value={view} onChange={(e) => goView(e.target.value as View)}>
                {(Object.keys(VIEW_LABEL) as View[]).map((v) => (
                  <option key={v} value={v}>
                    {VIEW_LABEL[v]}
                    {counts ? ` (${counts[v].toLocaleString()})` : ''}
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
          {selected.size > 0 && (
            <BulkBar ids={[...selected]} allSelected={selected.size >= rowIds.length} onClear={() => setSelected(new Set())} onSelectAll={() => setSelected(new Set(rowIds))} />
          )}
          {searching ? (
            <SearchResults ref={listRef} q={search.q!} view={view} search={search} cursor={cursor} onCursor={setCursor} onItems={setHitConversationIds} users={users} />
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
            <div className="list-empty">
              <p>Nothing here. {search.q ? 'No conversation matches the search.' : 'New mentions appear here as they arrive.'}</p>
            </div>
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
              <ConversationPane key={search.c} id={search.c} onClose={() => openConversation(undefined)} onOpenConversation={openConversation} />
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
      </div>
      <ShortcutsDialog open={shortcutsOpen} onClose={() => setShortcutsOpen(false)} />
    </div>
  );
}
