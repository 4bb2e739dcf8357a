/**
 * Settings → Integrations: the brand's outbound webhook endpoints (docs/webhooks.md). Register
 * one (URL, description, the events it takes); its signing secret is shown once, like an API
 * token's, and can be rotated; turn it off and on; send a test event; see its deliveries (status,
 * attempts, last error) and retry one now. Whether it also takes imported history (history
 * imports, the demo's past weeks: sent with `"history": true`) is chosen when it is added and
 * changed in its row; off by default, as a chat alert would be flooded by an import.
 * Everything the desk or a receiver wrote is shown as text.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api } from '../api/client.js';
import { fullTime } from '../lib/format.js';
import { Spinner } from '../ui/bits.js';
import { SecretShownOnce } from '../ui/Copy.js';
import { ConfirmDialog } from '../ui/Modal.js';
import { useToast } from '../ui/Toasts.js';
import { Problem, Section, TableScroll } from './fields.js';

export interface WebhookEndpointItem {
  id: number;
  url: string;
  description: string;
  events: string[];
  /** Also takes the events of imported history, marked `"history": true`. */
  includeHistory: boolean;
  enabled: boolean;
  disabledReason: string | null;
  failingSince: string | null;
  createdAt: string;
  updatedAt: string;
}

interface DeliveryItem {
  id: number;
  webhookId: string;
  eventType: string;
  status: string;
  attempts: number;
  nextAttemptAt: string | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

const KEY = ['webhooks'] as const;

/** What each event type is, in plain words (docs/webhooks.md has their payloads). */
export const EVENT_DESCRIPTIONS: Record<string, string> = {
  'conversation.created': 'A customer starts a new conversation.',
  'message.received': 'A customer\'s message arrives, with its text and triage.',
  'conversation.assigned': 'A conversation is assigned, moved to a team or unassigned.',
  'conversation.resolved': 'A conversation is resolved.',
  'reply.sent': 'A reply went out on the network.',
  'incident.opened': 'An incident is opened, by a lead or by burst detection.',
  'incident.closed': 'An incident is closed.',
  'sla.breached': 'A conversation missed an SLA target (first response, next response or resolution).',
  'conversation.note_added': 'Someone adds an internal note; the note\'s text is sent to this endpoint.',
  'conversation.labels_changed': 'Labels are added to or removed from a conversation.',
  'conversation.priority_changed': 'Someone changes a conversation\'s priority.',
};

/** What "Include history imports" does, in plain words (docs/webhooks.md, "History imports"). */
export const HISTORY_HELP = 'Also send history, marked "history": true: messages and conversations imported (imports, the demo\'s past weeks) and the older posts a channel fetches when it is connected (its backfill). For a CRM or a data warehouse; leave it off for chat alerts, which an import or a backfill would flood.';

function Deliveries({ endpoint }: { endpoint: WebhookEndpointItem }) {
  const qc = useQueryClient();
  const key = ['webhook-deliveries', endpoint.id];
  const q = useQuery({ queryKey: key, queryFn: () => api<{ items: DeliveryItem[] }>('GET', `/api/integrations/webhooks/${endpoint.id}/deliveries`).then((r) => r.items), refetchInterval: 3000 });
  const retry = useMutation({
    mutationFn: (id: number) => api('POST', `/api/integrations/webhooks/${endpoint.id}/deliveries/${id}/retry`),
    onSuccess: () => void qc.invalidateQueries({ queryKey: key }),
  });
  if (q.isPending) return <Spinner label="Loading deliveries" />;
  const items = q.data ?? [];
  if (!items.length) return <p className="muted">No deliveries in the last 7 days.</p>;
  return (
    <TableScroll label={`Deliveries to ${endpoint.url}`}>
      <table className="data-table webhook-deliveries">
        <caption className="visually-hidden">Deliveries to {endpoint.url}</caption>
        <thead>
          <tr>
            <th scope="col">Event</th>
            <th scope="col">Queued</th>
            <th scope="col">Status</th>
            <th scope="col">Attempts</th>
            <th scope="col">Last answer</th>
            <th scope="col"><span className="visually-hidden">Actions</span></th>
          </tr>
        </thead>
        <tbody>
          {items.map((d) => (
            <tr key={d.id} data-delivery-status={d.status}>
              <td><code>{d.eventType}</code></td>
              <td>{fullTime(d.createdAt)}</td>
              <td>{d.status === 'pending' && d.nextAttemptAt ? `pending, next try ${fullTime(d.nextAttemptAt)}` : d.status}</td>
              <td>{d.attempts}</td>
              <td className="webhook-error">{d.lastError ?? (d.lastStatus != null ? `HTTP ${d.lastStatus}` : '—')}</td>
              <td>
                {d.status !== 'delivered' && d.status !== 'delivering' && (
                  <button type="button" className="btn btn-small" onClick={() => retry.mutate(d.id)} disabled={retry.isPending} aria-label={`Retry ${d.eventType} now`}>
                    Retry now
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

export function IntegrationsAdmin({ admin }: { admin: boolean }) {
  const qc = useQueryClient();
  const toast = useToast();
  const q = useQuery({ queryKey: KEY, queryFn: () => api<{ items: WebhookEndpointItem[]; eventTypes: string[] }>('GET', '/api/integrations/webhooks'), enabled: admin });
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState<string[]>(['message.received']);
  const [includeHistory, setIncludeHistory] = useState(false);
  const [shown, setShown] = useState<{ url: string; secret: string } | null>(null);
  const [removing, setRemoving] = useState<WebhookEndpointItem | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const refresh = () => void qc.invalidateQueries({ queryKey: KEY });
  const create = useMutation({
    mutationFn: () => api<{ item: WebhookEndpointItem; secret: string }>('POST', '/api/integrations/webhooks', { url: url.trim(), description, events, includeHistory }),
    onSuccess: (r) => {
      setShown({ url: r.item.url, secret: r.secret });
      setUrl('');
      setDescription('');
      setIncludeHistory(false);
      setOpen(r.item.id);
      refresh();
    },
  });
  const toggle = useMutation({
    mutationFn: (e: WebhookEndpointItem) => api('PATCH', `/api/integrations/webhooks/${e.id}`, { enabled: !e.enabled }),
    onSuccess: refresh,
  });
  /** The value asked for in an endpoint's history box, set in the click's own handler: a controlled box
   * whose value waited for the mutation's state (told a tick later) sprang back in between. */
  const [historyAsked, setHistoryAsked] = useState<{ id: number; includeHistory: boolean } | null>(null);
  const history = useMutation({
    mutationFn: (v: { e: WebhookEndpointItem; includeHistory: boolean }) => api('PATCH', `/api/integrations/webhooks/${v.e.id}`, { includeHistory: v.includeHistory }),
    // shown as asked until the list is read again; on an error the server's value comes back with the error
    onSettled: async () => {
      await qc.invalidateQueries({ queryKey: KEY });
      setHistoryAsked(null);
    },
  });
  const historyShown = (e: WebhookEndpointItem) => (historyAsked?.id === e.id ? historyAsked.includeHistory : e.includeHistory);
  const askHistory = (e: WebhookEndpointItem, includeHistory: boolean) => {
    setHistoryAsked({ id: e.id, includeHistory });
    history.mutate({ e, includeHistory });
  };
  const rotate = useMutation({
    mutationFn: (e: WebhookEndpointItem) => api<{ secret: string }>('POST', `/api/integrations/webhooks/${e.id}/rotate-secret`).then((r) => ({ url: e.url, secret: r.secret })),
    onSuccess: (r) => setShown(r),
  });
  const test = useMutation({
    mutationFn: (e: WebhookEndpointItem) => api('POST', `/api/integrations/webhooks/${e.id}/test`).then(() => e),
    onSuccess: (e) => {
      toast('Test event queued');
      setOpen(e.id);
      void qc.invalidateQueries({ queryKey: ['webhook-deliveries', e.id] });
    },
  });
  const remove = useMutation({
    mutationFn: (id: number) => api('DELETE', `/api/integrations/webhooks/${id}`),
    onSuccess: () => {
      setRemoving(null);
      toast('Endpoint removed');
      document.getElementById('webhooks-title')?.focus();
      refresh();
    },
  });
  if (!admin) return <p className="muted">Integrations are for admins.</p>;
  const types = q.data?.eventTypes ?? [];
  return (
    <>
      <Section title="Webhook endpoints" id="webhooks-title" description="The desk POSTs signed JSON (Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature) to these URLs when the events they take happen; a failed delivery is retried for about a day.">
        <Problem error={toggle.error ?? history.error ?? rotate.error ?? test.error} />
        {q.isPending ? (
          <Spinner label="Loading endpoints" />
        ) : (q.data?.items ?? []).length === 0 ? (
          <p className="muted">No endpoints yet.</p>
        ) : (
          <ul className="webhook-list">
            {q.data!.items.map((e) => (
              <li key={e.id} data-endpoint-id={e.id}>
                <h3 className="webhook-url"><code>{e.url}</code></h3>
                {e.description && <p className="webhook-description">{e.description}</p>}
                <p className="muted">
                  {e.enabled ? 'On' : `Off${e.disabledReason ? `: ${e.disabledReason}` : ''}`} · {e.events.join(', ')}
                  {e.includeHistory ? ' · includes history imports' : ''}
                  {e.failingSince && ` · failing since ${fullTime(e.failingSince)}`}
                </p>
                <label className="checkbox">
                  <input type="checkbox" checked={historyShown(e)} disabled={historyAsked !== null} onChange={(ev) => askHistory(e, ev.target.checked)} aria-label={`Include history imports: ${e.url}`} title={HISTORY_HELP} />
                  Include history imports
                </label>
                <div className="row-gap">
                  <button type="button" className="btn btn-small" onClick={() => test.mutate(e)} disabled={!e.enabled || test.isPending}>Send test event</button>
                  <button type="button" className="btn btn-small" onClick={() => setOpen(open === e.id ? null : e.id)} aria-expanded={open === e.id}>Deliveries</button>
                  <button type="button" className="btn btn-small" onClick={() => toggle.mutate(e)}>{e.enabled ? 'Turn off' : 'Turn on'}</button>
                  <button type="button" className="btn btn-small" onClick={() => rotate.mutate(e)}>Rotate secret</button>
                  <button type="button" className="btn btn-small btn-danger" onClick={() => setRemoving(e)}>Remove</button>
                </div>
                {open === e.id && <Deliveries endpoint={e} />}
              </li>
            ))}
          </ul>
        )}
      </Section>
      <Section title="Add an endpoint" id="add-webhook-title">
        {shown ? (
          <SecretShownOnce secret={shown.secret} label="Signing secret" onDone={() => setShown(null)}>
            Signing secret for {shown.url}
          </SecretShownOnce>
        ) : (
          <form
            className="form-grid"
            onSubmit={(ev) => {
              ev.preventDefault();
              create.mutate();
            }}
          >
            <label className="field">
              <span>URL</span>
              <input type="url" value={url} onChange={(ev) => setUrl(ev.target.value)} required maxLength={2000} placeholder="https://hooks.example.com/parley" />
            </label>
            <label className="field">
              <span>Description</span>
              <input value={description} onChange={(ev) => setDescription(ev.target.value)} maxLength={500} placeholder="Slack bridge" />
            </label>
            <fieldset className="field">
              <legend>Events</legend>
              {types.map((t) => {
                const help = EVENT_DESCRIPTIONS[t];
                const helpId = `event-${t.replace(/[^a-z_]/g, '-')}-help`;
                return (
                  <div key={t} className="webhook-event">
                    <label className="checkbox">
                      <input type="checkbox" checked={events.includes(t)} onChange={(ev) => setEvents(ev.target.checked ? [...events, t] : events.filter((x) => x !== t))} aria-describedby={help ? helpId : undefined} />
                      <code>{t}</code>
                    </label>
                    {help && <p className="muted webhook-event-help" id={helpId}>{help}</p>}
                  </div>
                );
              })}
            </fieldset>
            <div className="field">
              <label className="checkbox">
                <input type="checkbox" checked={includeHistory} onChange={(ev) => setIncludeHistory(ev.target.checked)} aria-describedby="include-history-help" />
                Include history imports
              </label>
              <p className="muted webhook-event-help" id="include-history-help">{HISTORY_HELP}</p>
            </div>
            <Problem error={create.error} />
            <div>
              <button type="submit" className="btn btn-primary" disabled={create.isPending || !url.trim() || !events.length}>Add endpoint</button>
            </div>
          </form>
        )}
      </Section>
      <ConfirmDialog
        open={!!removing}
        onClose={() => setRemoving(null)}
        onConfirm={() => removing && remove.mutate(removing.id)}
        title={`Remove ${removing?.url ?? ''}?`}
        description="It gets no more events, and its delivery history goes with it."
        confirmLabel="Remove endpoint"
        busy={remove.isPending}
        danger
      />
    </>
  );
}
