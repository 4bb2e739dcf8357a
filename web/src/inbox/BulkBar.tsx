/** Actions on a multi-selection: assign, status, snooze, priority, labels. */
import { useState } from 'react';
import { useBulk } from '../api/queries.js';
import type { BulkAction } from '../api/types.js';
import { SelectField } from '../ui/bits.js';
import { useToast } from '../ui/Toasts.js';
import { AssignDialog } from './AssignDialog.js';
import { SnoozeDialog } from './SnoozeDialog.js';

export function BulkBar({ ids, onClear, onSelectAll, allSelected }: { ids: number[]; onClear: () => void; onSelectAll: () => void; allSelected: boolean }) {
  const bulk = useBulk();
  const toast = useToast();
  const [assignOpen, setAssignOpen] = useState(false);
  const [snoozeOpen, setSnoozeOpen] = useState(false);
  const [label, setLabel] = useState('');
  const run = (action: BulkAction, what: string) => {
    bulk.mutate(
      { ids, action },
      {
        onSuccess: (r) => {
          toast(r.failed.length ? `${what}: ${r.done.length} done, ${r.failed.length} failed (${r.failed[0]!.detail})` : `${what}: ${r.done.length} conversation${r.done.length === 1 ? '' : 's'}`, r.failed.length ? 'error' : 'info');
          if (!r.failed.length) onClear();
        },
        onError: (err) => toast((err as Error).message, 'error'),
      },
    );
  };
  return (
    <div className="bulkbar" role="region" aria-label="Bulk actions">
      <strong>{ids.length} selected</strong>
      {!allSelected && (
        <button type="button" className="btn btn-small btn-ghost" onClick={onSelectAll}>
          Select all
        </button>
      )}
      <button type="button" className="btn btn-small" onClick={() => setAssignOpen(true)} disabled={bulk.isPending}>
        Assign…
      </button>
      <SelectField label="Set status of selected" hideLabel
          value=""
          disabled={bulk.isPending}
          onChange={(e) => e.target.value && run({ type: 'status', status: e.target.value as 'open' }, `Status set to ${e.target.value}`)}
        >
          <option value="">Status…</option>
          <option value="open">Open</option>
          <option value="waiting">Waiting</option>
          <option value="resolved">Resolved</option>
        </SelectField>
      <button type="button" className="btn btn-small" onClick={() => setSnoozeOpen(true)} disabled={bulk.isPending}>
        Snooze…
      </button>
      <SelectField label="Set priority of selected" hideLabel value="" disabled={bulk.isPending} onChange={(e) => e.target.value && run({ type: 'priority', priority: Number(e.target.value) }, 'Priority set')}>
          <option value="">Priority…</option>
          <option value="0">None</option>
          <option value="25">Low</option>
          <option value="50">Medium</option>
          <option value="75">High</option>
          <option value="95">Urgent</option>
        </SelectField>
      <form
        className="inline-field"
        onSubmit={(e) => {
          e.preventDefault();
          const l = label.trim();
          if (!l) return;
          run({ type: 'labels', add: [l] }, `Label “${l}” added`);
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
          run({ type: 'status', status: 'waiting', snoozeUntil: until.toISOString() }, `Snoozed until ${until.toLocaleString()}`);
        }}
      />
      <AssignDialog
        open={assignOpen}
        title={`Assign ${ids.length} conversation${ids.length === 1 ? '' : 's'}`}
        onClose={() => setAssignOpen(false)}
        onPick={(c) => {
          setAssignOpen(false);
          run({ type: 'assign', assigneeId: c.assigneeId, teamId: c.teamId }, c.label);
        }}
      />
    </div>
  );
}
