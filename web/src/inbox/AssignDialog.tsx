/**
 * "Assign to…": type to filter people and teams, arrows to move, Enter to pick
 * (a combobox with a listbox, so it works the same with a screen reader).
 */
import { useId, useMemo, useState } from 'react';
import { useMe, useTeams, useUsers } from '../api/queries.js';
import type { Me, User } from '../api/types.js';
import { byName } from '../lib/collate.js';
import { Modal } from '../ui/Modal.js';

export interface AssignChoice {
  assigneeId?: number | null;
  teamId?: number | null;
  label: string;
  /** What picking it did, in words (a toast): "Assigned to Ben Agent", "Unassigned". */
  done: string;
}

interface Option extends AssignChoice {
  key: string;
  hint?: string;
}

/**
 * The dialog is only for someone signed in: when the session ends while it is open (signed out
 * in another tab, expired), it closes with its page, picking nothing and asking the server for
 * no one's people and teams (each would be a 401 in the console).
 */
export function AssignDialog({ open, onClose, onPick, title = 'Assign conversation', currentAssigneeId, currentTeamId }: { open: boolean; onClose: () => void; onPick: (c: AssignChoice) => void; title?: string; currentAssigneeId?: number | null; currentTeamId?: number | null }) {
  const me = useMe().data ?? null;
  return (
    <Modal open={open && me != null} onClose={onClose} title={title} className="assign-dialog">
      {me && <AssignPicker me={me} onPick={onPick} currentAssigneeId={currentAssigneeId} currentTeamId={currentTeamId} />}
    </Modal>
  );
}

function AssignPicker({ me, onPick, currentAssigneeId, currentTeamId }: { me: Me; onPick: (c: AssignChoice) => void; currentAssigneeId?: number | null; currentTeamId?: number | null }) {
  const users = useUsers().data ?? [];
  const teams = useTeams().data ?? [];
  const [filter, setFilter] = useState('');
  const [active, setActive] = useState(0);
  const id = useId();
  const options = useMemo<Option[]>(() => {
    // People who can take it now first, then teams and the ways out, then everyone offline
    // (a desk can have hundreds): each group by name, "Agent 9" before "Agent 10".
    const person = (u: User): Option => ({ key: `u${u.id}`, assigneeId: u.id, label: u.name, done: `Assigned to ${u.name}`, hint: `${u.availability}${u.id === currentAssigneeId ? ' · current' : ''}` });
    const people = users.filter((u) => !u.disabled && u.role !== 'expert' && u.id !== me.user.id).sort((a, b) => byName.compare(a.name, b.name));
    const all: Option[] = [{ key: 'me', assigneeId: me.user.id, label: 'Assign to me', done: 'Assigned to you', hint: me.user.name }];
    all.push(...people.filter((u) => u.availability !== 'offline').map(person));
    for (const t of [...teams].sort((a, b) => byName.compare(a.name, b.name))) all.push({ key: `t${t.id}`, teamId: t.id, label: `Team: ${t.name}`, done: `Assigned to the team ${t.name}`, hint: `${t.members.length} people${t.id === currentTeamId ? ' · current' : ''}` });
    if (currentAssigneeId != null) all.push({ key: 'unassign', assigneeId: null, label: 'Unassign', done: 'Unassigned' });
    if (currentTeamId != null) all.push({ key: 'noteam', teamId: null, label: 'Remove from team', done: 'Removed from the team' });
    all.push(...people.filter((u) => u.availability === 'offline').map(person));
    const f = filter.trim().toLowerCase();
    return f ? all.filter((o) => o.label.toLowerCase().includes(f) || (o.hint ?? '').toLowerCase().includes(f)) : all;
  }, [users, teams, me, filter, currentAssigneeId, currentTeamId]);
  const clamped = Math.min(active, Math.max(0, options.length - 1));
  const pick = (o: Option | undefined) => {
    if (!o) return;
    const { key: _k, hint: _h, ...choice } = o;
    onPick(choice);
  };
  return (
    <div className="picker">
      <label htmlFor={`${id}-input`} className="visually-hidden">
        Filter people and teams
      </label>
      <input
        id={`${id}-input`}
        autoFocus
        data-autofocus
        role="combobox"
        aria-expanded="true"
        aria-controls={`${id}-list`}
        aria-autocomplete="list"
        aria-activedescendant={options[clamped] ? `${id}-${options[clamped]!.key}` : undefined}
        placeholder="Type a name or team…"
        value={filter}
        onChange={(e) => {
          setFilter(e.target.value);
          setActive(0);
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown') {
            e.preventDefault();
            setActive((a) => Math.min(a + 1, options.length - 1));
          } else if (e.key === 'ArrowUp') {
            e.preventDefault();
            setActive((a) => Math.max(a - 1, 0));
          } else if (e.key === 'Enter') {
            e.preventDefault();
            pick(options[clamped]);
          }
        }}
      />
      <ul id={`${id}-list`} role="listbox" aria-label="People and teams" className="picker-list">
        {options.map((o, i) => (
          <li
            key={o.key}
            id={`${id}-${o.key}`}
            role="option"
            aria-selected={i === clamped}
            className={i === clamped ? 'active' : undefined}
            onMouseEnter={() => setActive(i)}
            onMouseDown={(e) => e.preventDefault()}
            onClick={() => pick(o)}
          >
            <span>{o.label}</span>
            {o.hint && <span className="muted small">{o.hint}</span>}
          </li>
        ))}
        {options.length === 0 && (
          <li role="option" aria-selected="false" aria-disabled="true" className="muted">
            No one matches.
          </li>
        )}
      </ul>
    </div>
  );
}
