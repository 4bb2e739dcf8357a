/**
 * Passkeys, for everyone (from the header's account menu): a passkey signs the person in
 * without a password or a code (the device checks it is them, with a PIN, a fingerprint or a
 * face), and cannot be used on another site. They are listed with when each was added and last
 * used; adding one asks the current password, then the browser makes it and it is named;
 * renaming one asks nothing more (1 to 60 characters; a name is a label, not a way in);
 * removing one asks the password again. Someone without a password (made by single sign-on) is
 * asked none: a recent sign-in confirms instead (the server's `auth.reauthenticate` otherwise).
 * The server's refusals are said in words, by their code.
 */
import { useEffect, useId, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.js';
import { useMe } from '../api/queries.js';
import { fullTime } from '../lib/format.js';
import { createPasskey, passkeysSupported, type CreationOptionsJSON } from '../lib/webauthn.js';
import { DialogButtons } from '../ui/DialogButtons.js';
import { Modal } from '../ui/Modal.js';
import { Refusal, type RefusalInfo } from '../ui/Refusal.js';
import { passkeyRefusal } from './passkeyRefusal.js';
import { useToast } from '../ui/Toasts.js';

export interface Passkey {
  id: number;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
  transports: string[];
}

const PASSKEYS_KEY = ['me', 'passkeys'] as const;

const said = (err: unknown) => passkeyRefusal(err);

/** When a passkey was added or last used, with its zone (lib/format.ts `fullTime`, as every absolute time of the desk). */
const when = (ms: number) => {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? '' : fullTime(d.toISOString());
};

export function PasskeysDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const qc = useQueryClient();
  const toast = useToast();
  const hasPassword = useMe().data?.user.hasPassword !== false;
  const supported = passkeysSupported();
  const list = useQuery({ queryKey: PASSKEYS_KEY, queryFn: () => api<{ items: Passkey[] }>('GET', '/api/me/passkeys'), enabled: open });
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  /** The passkey whose removal is being confirmed. */
  const [removing, setRemoving] = useState<Passkey | null>(null);
  /** The passkey being renamed, and its new name as typed. */
  const [renaming, setRenaming] = useState<Passkey | null>(null);
  const [newName, setNewName] = useState('');
  const newNameId = useId();
  const nameId = useId();
  const listTitleId = useId();

  useEffect(() => {
    if (open) return;
    setName('');
    setPassword('');
    setRefusal(null);
    setRemoving(null);
    setRenaming(null);
  }, [open]);

  const add = useMutation({
    mutationFn: async (v: { name: string; password: string }) => {
      const options = await api<CreationOptionsJSON>('POST', '/api/me/passkeys/options', hasPassword ? { currentPassword: v.password } : {});
      const response = await createPasskey(options);
      return api<Passkey>('POST', '/api/me/passkeys', { name: v.name, response });
    },
  });
  const rename = useMutation({ mutationFn: (v: { id: number; name: string }) => api<Passkey>('PATCH', `/api/me/passkeys/${v.id}`, { name: v.name }) });
  const remove = useMutation({ mutationFn: (v: { id: number; password: string }) => api<void>('POST', `/api/me/passkeys/${v.id}/remove`, hasPassword ? { currentPassword: v.password } : {}) });

  const items = list.data?.items ?? [];
  return (
    <Modal open={open} onClose={onClose} title="Passkeys" description="A passkey signs you in without a password or a code: your device checks it is you (a PIN, a fingerprint or your face), and it works only on this desk, so it cannot be phished.">
      <section aria-labelledby={listTitleId}>
        <h3 id={listTitleId} className="small">Your passkeys</h3>
        {list.isLoading ? (
          <p className="muted small">Loading…</p>
        ) : items.length === 0 ? (
          <p className="muted small" data-testid="passkeys-none">You have no passkeys yet.</p>
        ) : (
          <ul className="plain-list" data-testid="passkeys-list">
            {items.map((k) => (
              <li key={k.id} className="row-gap" data-testid="passkey-row">
                <span>
                  <strong dir="auto">{k.name}</strong>
                  <br />
                  <span className="muted small">
                    Added {when(k.createdAt)} · {k.lastUsedAt == null ? 'never used' : `last used ${when(k.lastUsedAt)}`}
                  </span>
                </span>
                <span className="row-gap">
                  <button
                    type="button"
                    className="btn btn-ghost btn-small"
                    aria-label={`Rename ${k.name}`}
                    onClick={() => {
                      setRefusal(null);
                      setRemoving(null);
                      setNewName(k.name);
                      setRenaming(k);
                    }}
                  >
                    Rename
                  </button>
                  <button
                    type="button"
                    className="btn btn-ghost btn-small"
                    aria-label={`Remove ${k.name}`}
                    onClick={() => {
                      setRefusal(null);
                      setPassword('');
                      setRenaming(null);
                      setRemoving(k);
                    }}
                  >
                    Remove
                  </button>
                </span>
              </li>
            ))}
          </ul>
        )}
      </section>
      {renaming ? (
        <form
          aria-label={`Rename ${renaming.name}`}
          onSubmit={(e) => {
            e.preventDefault();
            setRefusal(null);
            rename.mutate(
              { id: renaming.id, name: newName.trim() },
              {
                onSuccess: (k) => {
                  toast(`The passkey is now called “${k.name}”.`);
                  setRenaming(null);
                  void qc.invalidateQueries({ queryKey: PASSKEYS_KEY });
                },
                onError: (err) => setRefusal(said(err)),
              },
            );
          }}
        >
          <label className="field" htmlFor={newNameId}>
            <span>New name</span>
            <input id={newNameId} type="text" value={newName} onChange={(e) => setNewName(e.target.value)} required maxLength={60} autoComplete="off" autoFocus aria-invalid={refusal?.code === 'passkey.invalid_name' ? true : undefined} />
          </label>
          <Refusal refusal={refusal} lead="Not renamed." />
          <DialogButtons disabled={rename.isPending} onCancel={() => setRenaming(null)}>
            {rename.isPending ? 'Saving…' : 'Save name'}
          </DialogButtons>
        </form>
      ) : removing ? (
        <form
          aria-label={`Remove ${removing.name}`}
          onSubmit={(e) => {
            e.preventDefault();
            setRefusal(null);
            remove.mutate(
              { id: removing.id, password },
              {
                onSuccess: () => {
                  toast(`The passkey “${removing.name}” was removed: it signs you in no more.`);
                  setRemoving(null);
                  setPassword('');
                  void qc.invalidateQueries({ queryKey: PASSKEYS_KEY });
                },
                onError: (err) => setRefusal(said(err)),
              },
            );
          }}
        >
          <p>
            Remove <strong dir="auto">{removing.name}</strong>? It will sign you in no more, and browsers signed in with it are signed out.
          </p>
          {hasPassword && (
            <label className="field">
              <span>Current password</span>
              <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required maxLength={1024} autoComplete="current-password" autoFocus aria-invalid={refusal?.code === 'auth.wrong_password' ? true : undefined} />
            </label>
          )}
          <Refusal refusal={refusal} lead="Not removed." />
          <DialogButtons tone="danger" disabled={remove.isPending} onCancel={() => setRemoving(null)}>
            {remove.isPending ? 'Removing…' : 'Remove passkey'}
          </DialogButtons>
        </form>
      ) : !supported ? (
        <p className="muted small" role="note">This browser cannot make passkeys here (it needs WebAuthn, on the desk’s https address).</p>
      ) : (
        <form
          aria-label="Add a passkey"
          onSubmit={(e) => {
            e.preventDefault();
            setRefusal(null);
            add.mutate(
              { name: name.trim(), password },
              {
                onSuccess: (k) => {
                  toast(`The passkey “${k.name}” was added: next time, sign in with “Use a passkey”.`);
                  setName('');
                  setPassword('');
                  void qc.invalidateQueries({ queryKey: PASSKEYS_KEY });
                },
                onError: (err) => setRefusal(said(err)),
              },
            );
          }}
        >
          <h3 className="small">Add a passkey</h3>
          <label className="field" htmlFor={nameId}>
            <span>Name</span>
            <input id={nameId} type="text" value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} placeholder="Work laptop" autoComplete="off" data-autofocus />
          </label>
          {hasPassword && (
            <label className="field">
              <span>Current password</span>
              <input type="password" value={password} onChange={(e) => setPassword(e.target.value)} required maxLength={1024} autoComplete="current-password" aria-invalid={refusal?.code === 'auth.wrong_password' ? true : undefined} />
            </label>
          )}
          <Refusal refusal={refusal} lead="Not added." />
          <DialogButtons disabled={add.isPending} onCancel={onClose}>
            {add.isPending ? 'Waiting for your device…' : 'Add passkey'}
          </DialogButtons>
        </form>
      )}
    </Modal>
  );
}
