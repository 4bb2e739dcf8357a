/**
 * Actions on a multi-selection: assign, status, snooze, priority, labels.
 *
 * A selection holds loaded rows only: the bulk API takes conversation ids (up to 500 a
 * request, so bigger selections go in several), not a filter, so "Select all" selects the
 * rows loaded so far and the bar says so, next to how many the filters match.
 */
import { useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import { keys, useBulk } from '../api/queries.js';
import type { BulkAction } from '../api/types.js';
import { PRIORITY_PRESETS } from '../lib/format.js';
import { SelectField } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { AssignDialog } from './AssignDialog.js';
import { SnoozeDialog } from './SnoozeDialog.js';
import { selectionText, type Matching } from './search.js';

/** The most ids one bulk request may carry (POST /api/conversations/bulk). */
export const BULK_MAX_IDS = 500;

export function BulkBar({ ids, loaded, allLoadedSelected, moreToLoad, matching, onClear, onSelectAll }: {
  ids: number[];
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
  const run = async (action: BulkAction, what: string) => {
    setBusy(true);
    const done: number[] = [];
    const failed: { id: number; code: string; detail: string }[] = [];
    try {
      for (let i = 0; i < ids.length; i += BULK_MAX_IDS) {
        const r = await bulk.mutateAsync({ ids: ids.slice(i, i + BULK_MAX_IDS), action });
        done.push(...r.done);
        failed.push(...r.failed);
      }
    } catch (err) {
      toast(`${(err as Error).message}${done.length ? ` (${done.length} done before it)` : ''}`, 'error');
      return;
    } finally {
      setBusy(false);
      // what the filters match has changed (the view counts are refreshed by useBulk)
      if (done.length) void qc.invalidateQueries({ queryKey: keys.listTotals });
    }
    toast(failed.length ? `${what}: ${done.length} done, ${failed.length} failed (${failed[0]!.detail})` : `${what}: ${done.length} conversation${done.length === 1 ? '' : 's'}`, failed.length ? 'error' : 'info');
    if (!failed.length) onClear();
  };
  const scope = selectionText(ids.length, loaded, allLoadedSelected, moreToLoad, matching);
  return (
    <div className="bulkbar" role="region" aria-label="Bulk actions">
      <strong className="bulk-scope">{scope.title}</strong>
      {scope.note && <span className="muted small bulk-note">{scope.note}</span>}
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
