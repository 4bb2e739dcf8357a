/**
 * Settings → People and Teams: who works the desk, their role, capacity (how many
 * open conversations routing gives them), skills (languages, networks, intents for
 * skills-based routing), flags (e.g. `in_training`: their replies are signed off), and
 * disabling (their open conversations go back to their team's queue, as when they become
 * an expert; disabled people are listed on request), and a new password; a one-time link
 * for someone who forgot theirs to choose a new one; whether each has two-factor sign-in on, and resetting it (they lost their
 * phone); your own password; teams with their routing strategy and
 * members, and — as expert groups — their own answer target (else the brand's, in
 * Settings → Workflow).
 */
import { Fragment, useEffect, useId, useMemo, useRef, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.js';
import { issuePasswordReset, keys, resetTwoFactor, storeTwoFactor, useMe, useTeams } from '../api/queries.js';
import type { PasswordResetLink, Team, UserAdmin } from '../api/types.js';
import { changeMyPassword, useAdminUsers, useAdminWrite, useUserFlags, wkeys } from '../api/workflow.js';
import { fullTime, ROLE_LABEL, useNow } from '../lib/format.js';
import { MIN_PASSWORD_CHARS, passwordProblem } from '../lib/password.js';
import { agoText } from '../workflow/Sla.js';
import { Spinner } from '../ui/bits.js';
import { ConfirmDialog, Modal } from '../ui/Modal.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';
import { DisclosureButton, ListInput, Problem, ReadOnlyNote, Section, TableScroll } from './fields.js';
import { CopyButton } from '../ui/Copy.js';
import { DialogButtons } from '../ui/DialogButtons.js';

const ROLES = ['agent', 'expert', 'approver', 'admin'];
const KNOWN_FLAGS = [{ flag: 'in_training', label: 'In training (replies need sign-off)' }];

export function PeopleAdmin({ admin }: { admin: boolean }) {
  const q = useAdminUsers();
  const flags = useUserFlags();
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  const now = useNow();
  const me = useMe().data;
  const list = q.data ?? [];
  // disabled people (former staff: the demo's history has about 180) are listed only on request, and while being edited
  const [showDisabled, setShowDisabled] = useState(false);
  const disabledCount = list.filter((u) => u.disabled).length;
  const shown = list.filter((u) => !u.disabled || showDisabled || u.id === editing);
  return (
    <>
      {!admin && <ReadOnlyNote what="people and their settings" />}
      {admin && (
        <Section
          title="Add a person"
          id="add-user-title"
          actions={
            <DisclosureButton open={adding} onClick={() => setAdding((x) => !x)}>
              {adding ? 'Close' : 'Add…'}
            </DisclosureButton>
          }
        >
          {adding && <AddUser onDone={() => setAdding(false)} />}
        </Section>
      )}
      <Section
        title={`People (${list.length - disabledCount})`}
        id="people-title"
        actions={
          disabledCount > 0 && (
            <DisclosureButton open={showDisabled} controls="people-table" onClick={() => setShowDisabled((x) => !x)}>
              {showDisabled ? 'Hide' : 'Show'} disabled people ({disabledCount})
            </DisclosureButton>
          )
        }
      >
        {q.isPending ? (
          <Spinner label="Loading people" />
        ) : q.isError ? (
          <Problem error={q.error} />
        ) : (
          <TableScroll label="People">
            <table id="people-table" className="data-table people-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Status</th>
                  <th scope="col">Capacity</th>
                  <th scope="col">Skills</th>
                  <th scope="col">Flags</th>
                  <th scope="col">
                    <abbr title="Two-factor sign-in">2FA</abbr>
                  </th>
                  {admin && <th scope="col"><span className="visually-hidden">Actions</span></th>}
                </tr>
              </thead>
              <tbody>
                {shown.map((u) => (
                  <PersonRow key={u.id} u={u} flags={flags.data?.get(u.id) ?? []} admin={admin} isMe={u.id === me?.user.id} editing={editing === u.id} onEdit={() => setEditing(editing === u.id ? null : u.id)} now={now} />
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Section>
      <Section title="Your password" id="my-password-title" description="Your other signed-in browsers are signed out when you change it.">
        <MyPassword />
      </Section>
    </>
  );
}

function MyPassword() {
  const toast = useToast();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const invalidId = useId();
  const change = useAdminWrite(() => changeMyPassword(current, next), []);
  return (
    <form
      className="form-grid"
      aria-label="Change your password"
      onSubmit={(e) => {
        e.preventDefault();
        const problem = passwordProblem(next);
        setInvalid(problem);
        if (problem) return;
        change.mutate(undefined, {
          onSuccess: () => {
            toast('Your password was changed');
            setCurrent('');
            setNext('');
          },
        });
      }}
    >
      <div className="form-row">
        <label className="field">
          <span>Current password</span>
          <input type="password" value={current} onChange={(e) => setCurrent(e.target.value)} required maxLength={1024} autoComplete="current-password" />
        </label>
        <label className="field">
          <span>New password (at least {MIN_PASSWORD_CHARS} characters other than spaces)</span>
          <input type="password" value={next} onChange={(e) => setNext(e.target.value)} required maxLength={1024} autoComplete="new-password" aria-invalid={invalid ? true : undefined} aria-describedby={invalid ? invalidId : undefined} />
        </label>
      </div>
      {invalid && (
        <p id={invalidId} className="form-error" role="alert">
          {invalid}
        </p>
      )}
      <Problem error={change.error} />
      <div>
        <button type="submit" className="btn btn-primary btn-small" disabled={change.isPending}>
          Change password
        </button>
      </div>
    </form>
  );
}

const skillText = (u: UserAdmin) =>
  [u.skills.languages?.length ? `speaks ${u.skills.languages.join(', ')}` : '', u.skills.networks?.length ? `on ${u.skills.networks.join(', ')}` : '', u.skills.intents?.length ? `for ${u.skills.intents.join(', ')}` : ''].filter(Boolean).join('; ') || '—';

function PersonRow({ u, flags, admin, isMe, editing, onEdit, now }: { u: UserAdmin; flags: string[]; admin: boolean; isMe: boolean; editing: boolean; onEdit: () => void; now: number }) {
  const qc = useQueryClient();
  const toast = useToast();
  const [confirmReset, setConfirmReset] = useState(false);
  const [resetDone, setResetDone] = useState(false);
  const [passwordReset, setPasswordReset] = useState(false);
  const rowRef = useRef<HTMLTableRowElement>(null);
  const reset = useMutation({ mutationFn: () => resetTwoFactor(u.id) });
  // the Reset button is gone once it is off: focus goes to the row's Edit button, not the page
  useEffect(() => {
    if (!resetDone) return;
    setResetDone(false);
    rowRef.current?.querySelector<HTMLElement>('button[aria-expanded]')?.focus();
  }, [resetDone]);
  const resetOff = () => {
    storeTwoFactor(qc, u.id, false);
    setConfirmReset(false);
    setResetDone(true);
  };
  return (
    <>
      <tr ref={rowRef} data-user-id={u.id} className={u.disabled ? 'row-disabled' : undefined}>
        <td>
          <strong>{u.name}</strong>
          {isMe && <span className="muted small"> (you)</span>}
          <div className="muted small">{u.email}</div>
        </td>
        <td>{ROLE_LABEL[u.role] ?? u.role}</td>
        <td className="small">
          {u.disabled ? <span className="badge badge-danger">disabled</span> : <span className={`avail-${u.availability}`}>● {u.availability}</span>}
          {u.lastSeenAt && <div className="muted">seen {agoText(u.lastSeenAt, now)}</div>}
        </td>
        <td>{u.capacity}</td>
        <td className="small">{skillText(u)}</td>
        <td className="small">{flags.length ? flags.map((f) => <span key={f} className="badge badge-warn">{f.replace(/_/g, ' ')}</span>) : '—'}</td>
        <td className="small" data-two-factor={u.twoFactor ? 'on' : 'off'}>
          {u.twoFactor ? <span className="badge">on</span> : <span className="muted">off</span>}
        </td>
        {admin && (
          <td>
            {/* the visible word begins the name (a name that does not hold it fails speech input) */}
            <DisclosureButton open={editing} onClick={onEdit}>
              {editing ? 'Close' : 'Edit'}
              <span className="visually-hidden">{editing ? ` editing ${u.name}` : ` ${u.name}`}</span>
            </DisclosureButton>
            {/* your own you change knowing it (the account menu); a disabled person cannot sign in anyway */}
            {!isMe && !u.disabled && (
              <>
                {' '}
                <button type="button" className="btn btn-small btn-ghost" onClick={() => setPasswordReset(true)}>
                  Reset password…<span className="visually-hidden"> of {u.name}</span>
                </button>
                <PasswordResetDialog u={u} open={passwordReset} onClose={() => setPasswordReset(false)} />
              </>
            )}
            {/* your own is turned off with your password and a code (the account menu), not here */}
            {u.twoFactor && !isMe && (
              <>
                {' '}
                <button type="button" className="btn btn-small btn-ghost" onClick={() => setConfirmReset(true)}>
                  Reset two-factor<span className="visually-hidden"> of {u.name}</span>
                </button>
                <ConfirmDialog
                  open={confirmReset}
                  onClose={() => setConfirmReset(false)}
                  title={`Reset two-factor sign-in of ${u.name}?`}
                  description={`For when ${u.name} lost their authenticator app and recovery codes: two-factor sign-in is turned off, their password alone signs them in until they set it up again, and they are signed out everywhere.`}
                  confirmLabel="Reset two-factor"
                  danger
                  busy={reset.isPending}
                  onConfirm={() =>
                    reset.mutate(undefined, {
                      onSuccess: () => {
                        toast(`Two-factor sign-in of ${u.name} is off; they were signed out everywhere`);
                        resetOff();
                        void qc.invalidateQueries({ queryKey: keys.users });
                      },
                      onError: (err) => {
                        const code = (err as { code?: string }).code;
                        // already off (reset by someone else meanwhile): the list says so
                        if (code === 'two_factor.not_enabled') {
                          toast(`Two-factor sign-in of ${u.name} was already off`);
                          resetOff();
                        } else {
                          setConfirmReset(false);
                          toast(`Not reset: ${(err as Error).message}`, 'error');
                        }
                      },
                    })
                  }
                />
              </>
            )}
          </td>
        )}
      </tr>
      {editing && (
        <tr className="edit-row">
          <td colSpan={admin ? 8 : 7}>
            <EditUser u={u} flags={flags} isMe={isMe} onDone={onEdit} />
          </td>
        </tr>
      )}
    </>
  );
}

/**
 * A one-time link for someone who forgot their password: asked first (what it does), then
 * shown once with Copy, when it stops working, and that it goes to the person privately.
 * Their password and sessions stay until they use it; a new link voids the one before.
 */
function PasswordResetDialog({ u, open, onClose }: { u: UserAdmin; open: boolean; onClose: () => void }) {
  const [link, setLink] = useState<PasswordResetLink | null>(null);
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const issue = useMutation({ mutationFn: () => issuePasswordReset(u.id) });
  const linkRef = useRef<HTMLInputElement>(null);
  const linkId = useId();
  const noteId = useId();
  // nothing of it is kept once closed: the link is shown only now
  useEffect(() => {
    if (open) return;
    setLink(null);
    setRefusal(null);
  }, [open]);
  // the question gives way to the link: focus on it, selected, ready to copy
  useEffect(() => {
    if (link) linkRef.current?.select();
  }, [link]);
  return (
    <Modal
      open={open}
      onClose={onClose}
      title={link ? `Reset link for ${u.name}` : `Reset the password of ${u.name}?`}
      description={
        link
          ? undefined
          : `Parley makes a one-time link for ${u.name} to choose a new password, valid for 24 hours. Their password and sessions stay as they are until they use it; then they are signed out everywhere.${u.twoFactor ? ' Their two-factor sign-in stays on.' : ''} A link made for them before stops working.`
      }
    >
      {link ? (
        <div data-reset-link>
          <label htmlFor={linkId} className="field-label">
            Reset link for {u.name}
          </label>
          <div className="copy-field">
            <input id={linkId} ref={linkRef} readOnly value={link.url} aria-describedby={noteId} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={link.url} what="the link" />
          </div>
          <div id={noteId}>
            <p>
              It works once, until <strong>{fullTime(new Date(link.expiresAt).toISOString())}</strong>.
            </p>
            <p>
              Send it to {u.name} privately (a direct message, or in person), not in a shared channel: whoever has the link can set their password. It is not shown again; a new link voids this one.
            </p>
          </div>
          <div className="row-gap">
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Done
            </button>
          </div>
        </div>
      ) : (
        <>
          <Refusal refusal={refusal} lead="No link made." />
          <div className="row-gap">
            <button
              type="button"
              className="btn btn-primary"
              disabled={issue.isPending}
              onClick={() => {
                setRefusal(null);
                issue.mutate(undefined, { onSuccess: setLink, onError: (err) => setRefusal(refusalOf(err)) });
              }}
            >
              {issue.isPending ? 'Making the link…' : 'Make reset link'}
            </button>
            <button type="button" className="btn btn-ghost" data-autofocus onClick={onClose}>
              Cancel
            </button>
          </div>
        </>
      )}
    </Modal>
  );
}


function EditUser({ u, flags, isMe, onDone }: { u: UserAdmin; flags: string[]; isMe: boolean; onDone: () => void }) {
  const toast = useToast();
  const [role, setRole] = useState(u.role);
  const [capacity, setCapacity] = useState(String(u.capacity));
  const [languages, setLanguages] = useState<string[]>(u.skills.languages ?? []);
  const [networks, setNetworks] = useState<string[]>(u.skills.networks ?? []);
  const [intents, setIntents] = useState<string[]>(u.skills.intents ?? []);
  const [userFlags, setUserFlags] = useState<string[]>(flags);
  const [disabled, setDisabled] = useState(u.disabled);
  const [password, setPassword] = useState('');
  const [invalid, setInvalid] = useState<string | null>(null);
  const invalidId = useId();
  const save = useAdminWrite(
    () =>
      api<UserAdmin>('PATCH', `/api/users/${u.id}`, {
        role: role !== u.role ? role : undefined, capacity: Number(capacity), skills: { languages, networks, intents }, flags: userFlags, disabled: disabled !== u.disabled ? disabled : undefined,
        password: password !== '' ? password : undefined,
      }),
    [keys.users, wkeys.userFlags, wkeys.queues],
  );
  // who stops taking conversations hands back their open ones
  const handsBack = (disabled && !u.disabled) || (role === 'expert' && u.role !== 'expert');
  const other = userFlags.filter((f) => !KNOWN_FLAGS.some((k) => k.flag === f));
  return (
    <form
      className="subform form-grid"
      aria-label={`Edit ${u.name}`}
      onSubmit={(e) => {
        e.preventDefault();
        const problem = password !== '' ? passwordProblem(password) : null;
        setInvalid(problem);
        if (problem) return;
        save.mutate(undefined, {
          onSuccess: () => {
            toast(password !== '' ? `${u.name} saved, with a new password` : `${u.name} saved`);
            onDone();
          },
        });
      }}
    >
      <div className="form-row">
        <label className="field">
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value)} disabled={isMe}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r] ?? r}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>Capacity (open conversations)</span>
          <input type="number" min={0} max={1000} value={capacity} onChange={(e) => setCapacity(e.target.value)} required />
        </label>
      </div>
      <div className="form-row">
        <ListInput label="Languages" value={languages} onChange={setLanguages} placeholder="en, de" />
        <ListInput label="Networks" value={networks} onChange={setNetworks} placeholder="x, instagram" />
        <ListInput label="Intents" value={intents} onChange={setIntents} placeholder="billing, refund" />
      </div>
      <fieldset className="field">
        <legend>Flags</legend>
        {KNOWN_FLAGS.map((k) => (
          <label key={k.flag} className="checkbox">
            <input type="checkbox" checked={userFlags.includes(k.flag)} onChange={(e) => setUserFlags(e.target.checked ? [...userFlags, k.flag] : userFlags.filter((f) => f !== k.flag))} /> {k.label}
          </label>
        ))}
        <ListInput label="Other flags" value={other} onChange={(v) => setUserFlags([...userFlags.filter((f) => KNOWN_FLAGS.some((k) => k.flag === f)), ...v])} placeholder="e.g. vip_desk" />
      </fieldset>
      <label className="checkbox">
        <input type="checkbox" checked={disabled} onChange={(e) => setDisabled(e.target.checked)} disabled={isMe} /> Disabled (cannot sign in, gets no work)
      </label>
      {handsBack && <p className="muted small">Their open conversations go back to their team's queue and are assigned again.</p>}
      <label className="field">
        <span>New password (leave empty to keep theirs; at least {MIN_PASSWORD_CHARS} characters other than spaces; signs them out everywhere)</span>
        <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} maxLength={1024} autoComplete="new-password" aria-invalid={invalid ? true : undefined} aria-describedby={invalid ? invalidId : undefined} />
      </label>
      {invalid && (
        <p id={invalidId} className="form-error" role="alert">
          {invalid}
        </p>
      )}
      <Problem error={save.error} />
      <DialogButtons small disabled={save.isPending} onCancel={onDone}>
        Save {u.name}
      </DialogButtons>
    </form>
  );
}

function AddUser({ onDone }: { onDone: () => void }) {
  const toast = useToast();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState('agent');
  const [password, setPassword] = useState('');
  const [capacity, setCapacity] = useState('8');
  const add = useAdminWrite(
    () => api<UserAdmin>('POST', '/api/users', { email: email.trim(), name: name.trim(), role, password, capacity: Number(capacity) }),
    [keys.users, wkeys.userFlags],
  );
  const [invalid, setInvalid] = useState<string | null>(null);
  const invalidId = useId();
  return (
    <form
      className="form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        const problem = passwordProblem(password);
        setInvalid(problem);
        if (problem) return;
        add.mutate(undefined, {
          onSuccess: (u) => {
            toast(`${u.name} added`);
            onDone();
          },
        });
      }}
    >
      <div className="form-row">
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={200} autoComplete="off" />
        </label>
        <label className="field">
          <span>Email</span>
          <input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required maxLength={320} autoComplete="off" />
        </label>
        <label className="field">
          <span>Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value)}>
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {ROLE_LABEL[r] ?? r}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="form-row">
        <label className="field">
          <span>Password they first sign in with (at least {MIN_PASSWORD_CHARS} characters other than spaces)</span>
          <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required minLength={MIN_PASSWORD_CHARS} maxLength={1024} autoComplete="new-password" aria-invalid={invalid ? true : undefined} aria-describedby={invalid ? invalidId : undefined} />
        </label>
        <label className="field">
          <span>Capacity</span>
          <input type="number" min={0} max={1000} value={capacity} onChange={(e) => setCapacity(e.target.value)} />
        </label>
      </div>
      {invalid && (
        <p id={invalidId} className="form-error" role="alert">
          {invalid}
        </p>
      )}
      <Problem error={add.error} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={add.isPending}>
          Add person
        </button>
      </div>
    </form>
  );
}

const STRATEGIES: Record<string, string> = { round_robin: 'Round robin', least_loaded: 'Least loaded', skills: 'By skills', manual: 'Manual (leads assign)' };

/** Which SCIM token provisions each team (admins only: the tokens are theirs to see); the same query as Settings → Single sign-on. */
function useProvisionedBy(admin: boolean): Map<number, string> {
  const q = useQuery({ queryKey: ['scim-tokens'], enabled: admin, queryFn: () => api<{ items: { label: string; teamIds?: number[] }[] }>('GET', '/api/scim-tokens') });
  return useMemo(() => new Map((q.data?.items ?? []).flatMap((t) => (t.teamIds ?? []).map((id) => [id, t.label] as const))), [q.data]);
}

export function TeamsAdmin({ admin }: { admin: boolean }) {
  const teams = useTeams();
  const users = useAdminUsers();
  const byId = useMemo(() => new Map((users.data ?? []).map((u) => [u.id, u])), [users.data]);
  const provisionedBy = useProvisionedBy(admin);
  const [adding, setAdding] = useState(false);
  const [editing, setEditing] = useState<number | null>(null);
  return (
    <>
      {!admin && <ReadOnlyNote what="teams" />}
      {admin && (
        <Section
          title="Create a team"
          id="add-team-title"
          actions={
            <DisclosureButton open={adding} onClick={() => setAdding((x) => !x)}>
              {adding ? 'Close' : 'Create…'}
            </DisclosureButton>
          }
        >
          {adding && <TeamForm users={users.data ?? []} onDone={() => setAdding(false)} />}
        </Section>
      )}
      <Section title={`Teams (${teams.data?.length ?? 0})`} id="teams-title" description="Teams are the queues routing fills; each has a way of choosing the agent.">
        {teams.isPending ? (
          <Spinner label="Loading teams" />
        ) : (
          <TableScroll label="Teams">
            <table className="data-table">
              <thead>
                <tr>
                  <th scope="col">Team</th>
                  <th scope="col">Assignment</th>
                  <th scope="col">Experts answer within</th>
                  <th scope="col">Members</th>
                  {admin && (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {(teams.data ?? []).map((t) => (
                  <Fragment key={t.id}>
                    <tr>
                      <td>
                        <strong>{t.name}</strong>
                        {provisionedBy.has(t.id) && (
                          <>
                            {' '}
                            <span className="badge" data-provisioned-by title="Its name and members come from the identity provider, which may change them again">
                              Provisioned by {provisionedBy.get(t.id)}
                            </span>
                          </>
                        )}
                      </td>
                      <td>{STRATEGIES[t.routingStrategy] ?? t.routingStrategy}</td>
                      <td className="small">{t.expertTargetMin != null ? `${t.expertTargetMin} min` : <span className="muted">brand default</span>}</td>
                      <td className="small">
                        {t.members.length
                          ? t.members.map((m) => (
                              <span key={m.userId} className="member">
                                {byId.get(m.userId)?.name ?? `#${m.userId}`}
                                {m.isLead ? ' (lead)' : ''}
                              </span>
                            ))
                          : '—'}
                      </td>
                      {admin && (
                        <td>
                          <DisclosureButton open={editing === t.id} onClick={() => setEditing(editing === t.id ? null : t.id)}>
                            Edit<span className="visually-hidden"> team {t.name}</span>
                          </DisclosureButton>
                        </td>
                      )}
                    </tr>
                    {editing === t.id && (
                      <tr>
                        <td colSpan={5}>
                          <TeamForm users={users.data ?? []} team={t} onDone={() => setEditing(null)} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Section>
    </>
  );
}

/** Create a team, or (given `team`) change its name, assignment and members. */
function TeamForm({ users, team, onDone }: { users: UserAdmin[]; team?: Team; onDone: () => void }) {
  const toast = useToast();
  const [name, setName] = useState(team?.name ?? '');
  const [strategy, setStrategy] = useState(team?.routingStrategy ?? 'round_robin');
  const [members, setMembers] = useState<Map<number, boolean>>(new Map((team?.members ?? []).map((m) => [m.userId, m.isLead])));
  const [expertTarget, setExpertTarget] = useState<string>(team?.expertTargetMin != null ? String(team.expertTargetMin) : '');
  const [languageMatch, setLanguageMatch] = useState(team?.requireLanguageMatch === true);
  const body = () => ({ name: name.trim(), routingStrategy: strategy, expertTargetMin: expertTarget.trim() === '' ? null : Number(expertTarget), requireLanguageMatch: languageMatch, members: [...members].map(([userId, isLead]) => ({ userId, isLead })) });
  const save = useAdminWrite(() => (team ? api<{ id: number }>('PATCH', `/api/teams/${team.id}`, body()) : api<{ id: number }>('POST', '/api/teams', body())), [keys.teams, ['queues']]);
  return (
    <form
      className="form-grid"
      onSubmit={(e) => {
        e.preventDefault();
        save.mutate(undefined, {
          onSuccess: () => {
            toast(team ? `Team ${name} saved` : `Team ${name} created`);
            onDone();
          },
        });
      }}
    >
      <div className="form-row">
        <label className="field">
          <span>Name</span>
          <input value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} />
        </label>
        <label className="field">
          <span>Assignment</span>
          <select value={strategy} onChange={(e) => setStrategy(e.target.value)}>
            {Object.entries(STRATEGIES).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span>As an expert group, answer within (minutes)</span>
          <input type="number" min={1} max={20160} step={1} value={expertTarget} placeholder="brand default" onChange={(e) => setExpertTarget(e.target.value)} />
          <span className="muted small">Empty: the brand’s target. Past it, the group and the asking agent are notified once.</span>
        </label>
      </div>
      <label className="checkbox">
        <input type="checkbox" checked={languageMatch} onChange={(e) => setLanguageMatch(e.target.checked)} /> Only to agents who speak the customer’s language
        <span className="muted small"> (their skills list it; a conversation in another language waits for one)</span>
      </label>
      <fieldset className="field">
        <legend>Members</legend>
        <div className="member-grid">
          {users
            .filter((u) => !u.disabled)
            .map((u) => (
              <span key={u.id} className="member-pick">
                <label className="checkbox">
                  <input
                    type="checkbox"
                    checked={members.has(u.id)}
                    onChange={(e) => {
                      const next = new Map(members);
                      if (e.target.checked) next.set(u.id, false);
                      else next.delete(u.id);
                      setMembers(next);
                    }}
                  />{' '}
                  {u.name}
                </label>
                {members.has(u.id) && (
                  <label className="checkbox small">
                    <input type="checkbox" checked={members.get(u.id) === true} onChange={(e) => setMembers(new Map(members).set(u.id, e.target.checked))} /> lead
                    <span className="visually-hidden"> ({u.name})</span>
                  </label>
                )}
              </span>
            ))}
        </div>
      </fieldset>
      <Problem error={save.error} />
      <div>
        <button type="submit" className="btn btn-primary" disabled={save.isPending || !name.trim()}>
          {team ? 'Save team' : 'Create team'}
        </button>
        {team && (
          <button type="button" className="btn" onClick={onDone}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
