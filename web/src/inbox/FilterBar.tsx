/** Filters over the current view; every choice is written to the URL. */
import { useEffect, useState } from 'react';
import { useChannels, useUsers } from '../api/queries.js';
import { TRIAGE_ACTIONS, type TriageAction } from '../api/types.js';
import { ACTION_LABEL } from '../conversation/triage.js';
import { networkLabel, PRIORITY_LEVELS } from '../lib/format.js';
import { SelectField } from '../ui/bits.js';
import { activeFilterCount, NO_FILTERS, priorityFilterLabel, triageActionsOf, type InboxSearch } from './search.js';

/** What each triage action means, for the filter's tooltips. */
const TRIAGE_HINT: Record<TriageAction, string> = {
  respond: 'Triage says someone should answer',
  monitor: 'Triage says watch it, no answer needed (thanks, chatter, abuse)',
  ignore: 'Triage says nothing to do (spam)',
};

export function FilterBar({ search, onChange, knownLabels }: { search: InboxSearch; onChange: (patch: Partial<InboxSearch>) => void; knownLabels: string[] }) {
  const channels = useChannels().data ?? [];
  const users = (useUsers().data ?? []).filter((u) => u.role !== 'expert' && !u.disabled);
  const networks = [...new Set(channels.map((c) => c.network))].sort();
  const [label, setLabel] = useState(search.label ?? '');
  const [open, setOpen] = useState(activeFilterCount(search) > 0);
  useEffect(() => setLabel(search.label ?? ''), [search.label]);
  const n = activeFilterCount(search);
  const num = (v: string) => (v === '' ? undefined : Number(v));
  const triage = triageActionsOf(search.triage);
  const toggleTriage = (a: TriageAction, on: boolean) => {
    const next = TRIAGE_ACTIONS.filter((x) => (x === a ? on : triage.includes(x)));
    onChange({ triage: next.length ? next.join(',') : undefined });
  };
  const customPriority = search.priorityMin != null && !PRIORITY_LEVELS.some((l) => l.min === search.priorityMin);

  return (
    <div className="filterbar">
      <div className="filterbar-row">
        <button type="button" className="btn btn-small btn-ghost" aria-expanded={open} aria-controls="filters" onClick={() => setOpen((x) => !x)}>
          Filters{n > 0 ? ` (${n})` : ''} <span aria-hidden="true">{open ? '▴' : '▾'}</span>
        </button>
        <SelectField label="Sort" value={search.sort ?? 'recent'} onChange={(e) => onChange({ sort: e.target.value === 'recent' ? undefined : (e.target.value as InboxSearch['sort']) })}>
            <option value="recent">Latest activity</option>
            <option value="priority">Priority</option>
            <option value="due">SLA due first</option>
            <option value="oldest">Waiting longest</option>
          </SelectField>
        <button
          type="button"
          className="btn btn-small due-soon"
          aria-pressed={search.due != null && search.due <= 60 && search.sort === 'due'}
          title="SLA due within the hour (or overdue), soonest first"
          onClick={() => (search.due != null && search.sort === 'due' ? onChange({ due: undefined, sort: undefined }) : onChange({ due: 60, sort: 'due' }))}
        >
          Due soon
        </button>
        {n > 0 && (
          <button
            type="button"
            className="btn btn-small btn-ghost"
            onClick={() => onChange(NO_FILTERS)}
          >
            Clear filters
          </button>
        )}
      </div>
      {open && (
        <div id="filters" className="filters" role="group" aria-label="Filters">
          <SelectField label="Channel" value={search.channel ?? ''} onChange={(e) => onChange({ channel: num(e.target.value) })}>
              <option value="">All channels</option>
              {channels.map((c) => (
                <option key={c.id} value={c.id}>
                  {networkLabel(c.network)} @{c.handle}
                  {c.status !== 'active' ? ` (${c.status})` : ''}
                </option>
              ))}
            </SelectField>
          <SelectField label="Network" value={search.network ?? ''} onChange={(e) => onChange({ network: e.target.value || undefined })}>
              <option value="">All networks</option>
              {networks.map((nw) => (
                <option key={nw} value={nw}>
                  {networkLabel(nw)}
                </option>
              ))}
            </SelectField>
          <SelectField label="Status" value={search.status ?? ''} onChange={(e) => onChange({ status: e.target.value || undefined })}>
              <option value="">Any status</option>
              <option value="new">New</option>
              <option value="open">Open</option>
              <option value="new,open">New or open</option>
              <option value="waiting">Waiting on customer</option>
              <option value="resolved">Resolved</option>
            </SelectField>
          <SelectField label="Assignee" value={search.assignee ?? ''} onChange={(e) => onChange({ assignee: e.target.value || undefined })}>
              <option value="">Anyone</option>
              <option value="me">Me</option>
              <option value="none">Unassigned</option>
              {users.map((u) => (
                <option key={u.id} value={String(u.id)}>
                  {u.name}
                </option>
              ))}
            </SelectField>
          <SelectField label="Priority" value={search.priorityMin ?? ''} onChange={(e) => onChange({ priorityMin: num(e.target.value) })}>
              <option value="">Any priority</option>
              {PRIORITY_LEVELS.map((l) => (
                <option key={l.min} value={l.min}>
                  {priorityFilterLabel(l.min)} ({l.min}+)
                </option>
              ))}
              {customPriority && <option value={search.priorityMin}>{priorityFilterLabel(search.priorityMin!)}</option>}
            </SelectField>
          <SelectField label="SLA" value={search.due ?? ''} onChange={(e) => onChange({ due: num(e.target.value) })}>
              <option value="">Any time</option>
              <option value="0">Overdue</option>
              <option value="15">Due within 15 min</option>
              <option value="60">Due within 1 hour</option>
              <option value="240">Due within 4 hours</option>
            </SelectField>
          <SelectField label="Sentiment" value={search.sentiment ?? ''} onChange={(e) => onChange({ sentiment: e.target.value || undefined })}>
              <option value="">Any sentiment</option>
              <option value="negative">Negative</option>
              <option value="neutral">Neutral</option>
              <option value="positive">Positive</option>
            </SelectField>
          <SelectField label="Category" value={search.category ?? ''} onChange={(e) => onChange({ category: e.target.value || undefined })}>
              <option value="">Any category</option>
              <option value="customer_service">Customer service</option>
              <option value="brand">Brand</option>
              <option value="spam">Spam</option>
              <option value="abuse">Abuse</option>
              <option value="other">Other</option>
            </SelectField>
          <SelectField label="Found by" value={search.origin ?? ''} onChange={(e) => onChange({ origin: (e.target.value || undefined) as InboxSearch['origin'] })}>
              <option value="">Mentions and listening</option>
              <option value="listening">Listening only (not addressed to us)</option>
              <option value="addressed">Mentions only (addressed to us)</option>
            </SelectField>
          <span className="inline-field" role="group" aria-labelledby="filter-triage">
            <span id="filter-triage">Triage says</span>
            {TRIAGE_ACTIONS.map((a) => (
              <label key={a} className="checkbox" title={TRIAGE_HINT[a]}>
                <input type="checkbox" checked={triage.includes(a)} onChange={(e) => toggleTriage(a, e.target.checked)} />
                {ACTION_LABEL[a]}
              </label>
            ))}
          </span>
          <form
            className="inline-field"
            onSubmit={(e) => {
              e.preventDefault();
              onChange({ label: label.trim() || undefined });
            }}
          >
            <label htmlFor="filter-label">Label</label>
            <input id="filter-label" list="known-labels" value={label} maxLength={64} placeholder="any" onChange={(e) => setLabel(e.target.value)} onBlur={() => label.trim() !== (search.label ?? '') && onChange({ label: label.trim() || undefined })} />
            <datalist id="known-labels">
              {knownLabels.map((l) => (
                <option key={l} value={l} />
              ))}
            </datalist>
          </form>
        </div>
      )}
    </div>
  );
}
