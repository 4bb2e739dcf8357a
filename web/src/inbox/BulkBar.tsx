/**
 * Actions on a multi-selection: assign, status, snooze, priority, labels.
 *
 * A selection holds loaded rows only: the bulk API takes conversation ids (up to 500 a
 * request, so bigger selections go in several), not a filter, so "Select all" selects the
 * rows loaded so far and the bar says so, next to how many the filters match.
 *
 * `ids` are the selected conversations the list shows (inbox/InboxPage.tsx keeps the selection to
 * those): one that left the list since it was selected is not acted on, and the bar says how many
 * left. Setting a status (resolving, snoozing) can be undone from its toast for a few seconds:
 * each conversation goes back to the status (and snooze) it had, grouped into bulk requests.
 * The same goes for a selection of search results: a hit is a message, which does not carry its
 * conversation's snooze (nor, once cached, its status now), so what to put back is read from the
 * server just before the action.
 */
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.js';
import { keys, useBulk } from '../api/queries.js';
import type { BulkAction, ConversationDetail, ConversationStatus } from '../api/types.js';
import { PRIORITY_PRESETS } from '../lib/format.js';
import { SelectField } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { AssignDialog } from './AssignDialog.js';
import { SnoozeDialog } from './SnoozeDialog.js';
import { selectionText, type Matching } from './search.js';

/** Every message search's results (the prefix of `keys.search`): they show their conversation's status. */
const SEARCHES = ['search'] as const;

/** The most ids one bulk request may carry (POST /api/conversations/bulk). */
export const BULK_MAX_IDS = 500;

/** A conversation's status before a bulk action, to put back on Undo. */
export interface StatusBefore {
  status: ConversationStatus;
  snoozedUntil: string | null;
}

/** How many conversations are read at once for their status (a selection of search results). */
const READ_AT_ONCE = 4;

/**
 * The status (and snooze) of conversations now, as the server has them; one that cannot be read
 * (gone, not allowed) is left out: the action still reaches it, only Undo does not put it back.
 */
async function statusesNow(ids: number[]): Promise<Map<number, StatusBefore>> {
  const out = new Map<number, StatusBefore>();
  let next = 0;
  const worker = async () => {
    while (next < ids.length) {
      const id = ids[next++]!;
      try {
        const { conversation: c } = await api<ConversationDetail>('GET', `/api/conversations/${id}`);
        out.set(id, { status: c.status, snoozedUntil: c.snoozedUntil });
      } catch {
        // left out: not put back by Undo (the action's own request says what it could not do)
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_AT_ONCE, ids.length) }, worker));
  return out;
}

export function BulkBar({ ids, leftList, statusOf, onRunning, loaded, allLoadedSelected, moreToLoad, matching, onClear, onSelectAll }: {
  /** The selected conversations the list shows: what an action acts on. */
  ids: number[];
  /** How many selected conversations left the list since (they were unselected), while the selection lasts. */
  leftList: number;
  /** A listed conversation's status now (for Undo); undefined when the list does not say (search results): then the server is asked. */
  statusOf: (id: number) => StatusBefore | undefined;
  /** Told when an action starts and ends (its own changes take rows out of the list). */
  onRunning: (running: boolean) => void;
  /** Rows loaded in the list (what "Select all" selects). */
  loaded: number;
  /** Whether every loaded row is selected. */
  allLoadedSelected: boolean;
  /** Whether the list has rows not loaded yet. */
  moreToLoad: boolean;
  /** How many the view and its filters match, when known. */
  matching: Matching | null;
  onClear: () => void;
  onSelectAll: () => void;
}) {
  const bulk = useBulk();
  const qc = useQueryClient();
  const toast = useToast();
  const [assignOpen, setAssignOpen] = useState(false);
  const [snoozeOpen, setSnoozeOpen] = useState(false);
  const [label, setLabel] = useState('');
  const [busy, setBusy] = useState(false);
  const pending = busy || bulk.isPending;
  /** Send `action` for `targets` in requests of at most BULK_MAX_IDS; what was done and what failed. */
  const send = async (targets: number[], action: BulkAction, done: number[] = [], failed: { id: number; code: string; detail: string }[] = []) => {
    for (let i = 0; i < targets.length; i += BULK_MAX_IDS) {
      const r = await bulk.mutateAsync({ ids: targets.slice(i, i + BULK_MAX_IDS), action });
      done.push(...r.done);
      failed.push(...r.failed);
    }
    return { done, failed };
  };
  /** Put back each conversation's status from before (a snooze only while it is still ahead): one request per distinct status. */
  const undo = async (before: Map<number, StatusBefore>) => {
    const groups = new Map<string, { action: BulkAction; ids: number[] }>();
    for (const [id, b] of before) {
      const snoozeUntil = b.status === 'waiting' && b.snoozedUntil && Date.parse(b.snoozedUntil) > Date.now() ? b.snoozedUntil : null;
      const key = `${b.status}|${snoozeUntil ?? ''}`;
      let g = groups.get(key);
      if (!g) groups.set(key, (g = { action: { type: 'status', status: b.status, ...(snoozeUntil ? { snoozeUntil } : {}) }, ids: [] }));
      g.ids.push(id);
    }
    let back = 0;
    const failed: string[] = [];
    try {
      for (const g of groups.values()) {
        const r = await send(g.ids, g.action);
        back += r.done.length;
        failed.push(...r.failed.map((f) => f.detail));
      }
    } catch (err) {
      toast(`Could not undo: ${(err as Error).message}${back ? ` (${back} put back before it)` : ''}`, 'error');
      return;
    } finally {
      void qc.invalidateQueries({ queryKey: keys.listTotals });
      void qc.invalidateQueries({ queryKey: SEARCHES });
    }
    toast(failed.length ? `Undone for ${back}; ${failed.length} could not be put back (${failed[0]})` : `Undone: ${back} conversation${back === 1 ? '' : 's'} back as ${back === 1 ? 'it was' : 'they were'}`, failed.length ? 'error' : 'info');
  };
  const run = async (action: BulkAction, what: string) => {
    // what the list shows and is selected as the action starts (a row leaving meanwhile is not reached)
    const targets = [...ids];
    const before = new Map<number, StatusBefore>();
    const unknown: number[] = [];
    if (action.type === 'status') for (const id of targets) {
      const b = statusOf(id);
      if (b) before.set(id, b);
      else unknown.push(id);
    }
    setBusy(true);
    onRunning(true);
    const done: number[] = [];
    const failed: { id: number; code: string; detail: string }[] = [];
    try {
      // what the rows do not say (search results) is read first, so Undo puts back what was there
      if (unknown.length) for (const [id, b] of await statusesNow(unknown)) before.set(id, b);
      await send(targets, action, done, failed);
    } catch (err) {
      toast(`${(err as Error).message}${done.length ? ` (${done.length} done before it)` : ''}`, 'error');
      return;
    } finally {
      setBusy(false);
      onRunning(false);
      // what the filters match has changed (the view counts are refreshed by useBulk), and the
      // statuses search results show
      void qc.invalidateQueries({ queryKey: keys.listTotals });
      void qc.invalidateQueries({ queryKey: SEARCHES });
    }
    // only what changed goes back (a conversation already in that status, not snoozed now, stays as it is)
    const doneSet = new Set(done);
    const undoable = action.type === 'status' ? new Map([...before].filter(([id, b]) => doneSet.has(id) && (b.status !== action.status || !!action.snoozeUntil))) : new Map<number, StatusBefore>();
    const text = failed.length ? `${what}: ${done.length} done, ${failed.length} failed (${failed[0]!.detail})` : `${what}: ${done.length} conversation${done.length === 1 ? '' : 's'}`;
    toast(text, failed.length ? 'error' : 'info', undoable.size ? { action: { label: 'Undo', name: `Undo: ${what.toLowerCase()}`, run: () => void undo(undoable) } } : undefined);
    if (!failed.length) onClear();
  };
  const scope = selectionText(ids.length, loaded, allLoadedSelected, moreToLoad, matching);
  return (
    <div className="bulkbar" role="region" aria-label="Bulk actions">
      <strong className="bulk-scope">{scope.title}</strong>
      {scope.note && <span className="muted small bulk-note">{scope.note}</span>}
      {leftList > 0 && (
        // (said aloud by the list as it happens: inbox/InboxPage.tsx)
        <span className="muted small bulk-dropped">
          {leftList === 1 ? '1 selected conversation left the list' : `${leftList} selected conversations left the list`} (resolved, reassigned or no longer matching): unselected, no action goes to {leftList === 1 ? 'it' : 'them'}.
        </span>
      )}
      {!allLoadedSelected && (
        <button type="button" className="btn btn-small btn-ghost" onClick={onSelectAll}>
          {moreToLoad ? `Select all ${loaded.toLocaleString()} loaded` : `Select all ${loaded.toLocaleString()}`}
        </button>
      )}
      <button type="button" className="btn btn-small" onClick={() => setAssignOpen(true)} disabled={pending}>
        Assign…
      </button>
      <SelectField label="Set status of selected" hideLabel
          value=""
          disabled={pending}
          onChange={(e) => e.target.value && void run({ type: 'status', status: e.target.value as 'open' }, `Status set to ${e.target.value}`)}
        >
          <option value="">Status…</option>
          <option value="open">Open</option>
          <option value="waiting">Waiting</option>
          <option value="resolved">Resolved</option>
        </SelectField>
      <button type="button" className="btn btn-small" onClick={() => setSnoozeOpen(true)} disabled={pending}>
        Snooze…
      </button>
      <SelectField
          label="Set priority of selected"
          hideLabel
          value=""
          disabled={pending}
          onChange={(e) => {
            const p = PRIORITY_PRESETS.find((x) => String(x.value) === e.target.value);
            if (p) void run({ type: 'priority', priority: p.value }, `Priority set to ${p.label}${p.value ? ` (${p.value})` : ''}`);
          }}
        >
          <option value="">Priority…</option>
          {PRIORITY_PRESETS.map((p) => (
            <option key={p.value} value={p.value}>
              {p.label}
              {p.value ? ` (${p.value})` : ''}
            </option>
          ))}
        </SelectField>
      <form
        className="inline-field"
        onSubmit={(e) => {
          e.preventDefault();
          const l = label.trim();
          if (!l) return;
          void run({ type: 'labels', add: [l] }, `Label “${l}” added`);
          setLabel('');
        }}
      >
        <label htmlFor="bulk-label" className="visually-hidden">
          Add a label to selected
        </label>
        <input id="bulk-label" placeholder="+ label" value={label} maxLength={64} onChange={(e) => setLabel(e.target.value)} />
      </form>
      <button type="button" className="btn btn-small btn-ghost" onClick={onClear}>
        Clear
      </button>
      <SnoozeDialog
        open={snoozeOpen}
        onClose={() => setSnoozeOpen(false)}
        onSnooze={(until) => {
          setSnoozeOpen(false);
          void run({ type: 'status', status: 'waiting', snoozeUntil: until.toISOString() }, `Snoozed until ${until.toLocaleString()}`);
        }}
      />
      <AssignDialog
        open={assignOpen}
        title={`Assign ${ids.length} conversation${ids.length === 1 ? '' : 's'}`}
        onClose={() => setAssignOpen(false)}
        onPick={(c) => {
          setAssignOpen(false);
          void run({ type: 'assign', assigneeId: c.assigneeId, teamId: c.teamId }, c.done);
        }}
      />
    </div>
  );
}
