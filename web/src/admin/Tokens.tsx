/**
 * Settings → API tokens: every token of the brand (whose, when last used, when it expires),
 * creating one (its secret is shown once) and revoking one, which stops it at once. A token
 * acts as the admin who made it; changing that admin's password revokes it.
 */
import { useQuery, useQueryClient, useMutation } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { api } from '../api/client.js';
import { fullTime } from '../lib/format.js';
import { Spinner } from '../ui/bits.js';
import { SecretShownOnce } from '../ui/Copy.js';
import { ConfirmDialog } from '../ui/Modal.js';
import { useToast } from '../ui/Toasts.js';
import { Problem, Section, TableScroll } from './fields.js';

export interface ApiTokenItem {
  id: number;
  name: string;
  prefix: string;
  userId: number;
  userName: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

const KEY = ['api-tokens'] as const;

const isLive = (t: ApiTokenItem, now: number) => !t.revokedAt && !(t.expiresAt && Date.parse(t.expiresAt) <= now);

function stateOf(t: ApiTokenItem, now: number): string {
  if (t.revokedAt) return `revoked ${fullTime(t.revokedAt)}`;
  if (t.expiresAt && Date.parse(t.expiresAt) <= now) return `expired ${fullTime(t.expiresAt)}`;
  return t.expiresAt ? `active until ${fullTime(t.expiresAt)}` : 'active until revoked';
}

export function TokensAdmin({ admin }: { admin: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const q = useQuery({ queryKey: KEY, queryFn: () => api<{ items: ApiTokenItem[] }>('GET', '/api/tokens').then((r) => r.items), enabled: admin });
  const [name, setName] = useState('');
  const [days, setDays] = useState('90');
  const [shown, setShown] = useState<{ name: string; token: string } | null>(null);
  const [revoking, setRevoking] = useState<ApiTokenItem | null>(null);
  /** A revoked token loses its Revoke button: focus goes to its neighbour's (none left: the list's heading) once the list shows it revoked. */
  const [revoked, setRevoked] = useState<{ id: number; next: number | null } | null>(null);
  useEffect(() => {
    if (!revoked || q.data?.some((t) => t.id === revoked.id && isLive(t, Date.now()))) return;
    const el = revoked.next != null ? document.querySelector<HTMLElement>(`button[data-token-id="${revoked.next}"]`) : null;
    (el ?? document.getElementById('tokens-title'))?.focus();
    setRevoked(null);
  }, [revoked, q.data]);
  // the form and the shown secret take each other's place: focus follows (the secret is selected, ready to copy)
  const nameRef = useRef<HTMLInputElement>(null);
  const wasShown = useRef(false);
  useEffect(() => {
    if (!shown && wasShown.current) nameRef.current?.focus();
    wasShown.current = !!shown;
  }, [shown]);
  const create = useMutation({
    mutationFn: () => api<{ token: string; name: string }>('POST', '/api/tokens', { name: name.trim(), ...(days ? { expiresInDays: Number(days) } : {}) }),
    onSuccess: (r) => {
      setShown({ name: r.name, token: r.token });
      setName('');
      void qc.invalidateQueries({ queryKey: KEY });
    },
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api<{ item: ApiTokenItem }>('DELETE', `/api/tokens/${id}`),
    onSuccess: (r) => {
      toast(`Token “${r.item.name}” revoked`);
      const live = (q.data ?? []).filter((t) => isLive(t, Date.now()));
      const at = live.findIndex((t) => t.id === r.item.id);
      setRevoked({ id: r.item.id, next: (live[at + 1] ?? (at > 0 ? live[at - 1] : undefined))?.id ?? null });
      setRevoking(null);
      void qc.invalidateQueries({ queryKey: KEY });
    },
  });
  if (!admin) return <p className="muted">API tokens are for admins.</p>;
  const now = Date.now();
  return (
    <>
      <Section title="API tokens" id="tokens-title" description="Integrations call the API with Authorization: Bearer <token>. A token acts as the admin who made it; changing that admin's password revokes it.">
        {q.isPending ? (
          <Spinner label="Loading tokens" />
        ) : (q.data ?? []).length === 0 ? (
          <p className="muted">No tokens yet.</p>
        ) : (
          <TableScroll label="API tokens">
            <table className="data-table tokens-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Starts with</th>
                  <th scope="col">Made by</th>
                  <th scope="col">Last used</th>
                  <th scope="col">State</th>
                  <th scope="col"><span className="visually-hidden">Actions</span></th>
                </tr>
              </thead>
              <tbody>
                {(q.data ?? []).map((t) => {
                  const live = isLive(t, now);
                  return (
                    <tr key={t.id} className={live ? undefined : 'muted'}>
                      <td>{t.name}</td>
                      <td><code>{t.prefix}…</code></td>
                      <td>{t.userName}</td>
                      <td>{t.lastUsedAt ? fullTime(t.lastUsedAt) : 'never'}</td>
                      <td>{stateOf(t, now)}</td>
                      <td>
                        {live && (
                          <button type="button" className="btn btn-small btn-danger" data-token-id={t.id} aria-label={`Revoke “${t.name}”`} onClick={() => setRevoking(t)}>
                            Revoke
                          </button>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </TableScroll>
        )}
      </Section>
      <Section title="Create a token" id="create-token-title">
        {shown ? (
          <SecretShownOnce secret={shown.token} label="New API token" onDone={() => setShown(null)}>
            Token “{shown.name}”
          </SecretShownOnce>
        ) : (
          <form
            className="form-grid"
            onSubmit={(e) => {
              e.preventDefault();
              create.mutate();
            }}
          >
            <div className="form-row">
              <label className="field">
                <span>Name</span>
                <input ref={nameRef} value={name} onChange={(e) => setName(e.target.value)} required maxLength={100} placeholder="CRM sync" />
              </label>
              <label className="field">
                <span>Expires</span>
                <select value={days} onChange={(e) => setDays(e.target.value)}>
                  <option value="30">in 30 days</option>
                  <option value="90">in 90 days</option>
                  <option value="365">in a year</option>
                  <option value="">never (until revoked)</option>
                </select>
              </label>
            </div>
            <Problem error={create.error} />
            <div>
              <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>
                Create token
              </button>
            </div>
          </form>
        )}
      </Section>
      <ConfirmDialog
        open={!!revoking}
        onClose={() => setRevoking(null)}
        onConfirm={() => revoking && revoke.mutate(revoking.id)}
        title={`Revoke “${revoking?.name ?? ''}”?`}
        description="Whatever uses this token stops working at once. This cannot be undone: make a new token instead."
        confirmLabel="Revoke token"
        busy={revoke.isPending}
        danger
      />
    </>
  );
}
