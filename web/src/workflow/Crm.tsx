/**
 * Linking a social profile to a CRM customer, only with the customer's consent:
 * the agent records how it was given (their own message, a verified form, or on a
 * call) and can remove the link at any time with a reason. History stays in the audit.
 * "Their own message" is their answer to our question: the agent asks from here (a reply
 * through the normal reply path, the brand's wording, editable), and the link dialog offers
 * only their replies after the latest question that went out, agreements first.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useEffect, useRef, useState } from 'react';
import { useCrmConsent } from '../api/audit.js';
import { api } from '../api/client.js';
import { keys } from '../api/queries.js';
import type { ConsentMethod, ContactDetail, Message } from '../api/types.js';
import { useCrmLink, useCrmUnlink } from '../api/workflow.js';
import { clip, fullTime } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';
import { Modal } from '../ui/Modal.js';
import { useToast } from '../ui/Toasts.js';
import { DialogButtons, FormError } from '../ui/DialogButtons.js';

const METHOD_LABEL: Record<ConsentMethod, string> = {
  customer_message: 'They agreed in a message here',
  verified_form: 'They agreed on a verified form',
  verbal: 'They agreed on a call',
};

/** A customer's reply after our consent question, as the server read it. */
export interface ConsentCandidate {
  messageId: number;
  text: string;
  createdAt: string;
  verdict: 'agree' | 'decline' | 'unclear';
  reason: string;
}

interface ConsentCandidates {
  askText: string;
  asks: { messageId: number; askedAt: string; askedBy: { id: number; name: string | null }; status: string; sentAt: string | null; visibility: string }[];
  candidates: ConsentCandidate[];
}

const candidatesKey = (conversationId: number) => ['crm-consent', 'candidates', conversationId] as const;

/** The consent questions asked in a conversation and the customer's replies after the latest one sent. */
export function useConsentCandidates(conversationId: number, enabled = true) {
  return useQuery({
    enabled,
    queryKey: candidatesKey(conversationId),
    queryFn: ({ signal }) => api<ConsentCandidates>('GET', `/api/conversations/${conversationId}/crm-consent-candidates`, undefined, { signal }),
    staleTime: 0,
  });
}

/** Ask the customer for consent: a reply (outbox, sign-off when required), recorded as the question. */
export function useAskConsent() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { conversationId: number; text: string | null }) =>
      api<{ message: Message; duplicate: boolean; approval: { reasons: { code: string; message: string }[] } | null; ask: { messageId: number; visibility: string; askedAt: string } }>(
        'POST', `/api/conversations/${v.conversationId}/crm-consent-ask`, { text: v.text },
      ),
    onSuccess: (_r, v) => {
      void qc.invalidateQueries({ queryKey: keys.detail(v.conversationId) });
      void qc.invalidateQueries({ queryKey: candidatesKey(v.conversationId) });
    },
  });
}

const VERDICT_LABEL: Record<ConsentCandidate['verdict'], string> = { agree: 'agrees', decline: 'says no', unclear: 'unclear' };

/** How a customer consented, as a form holds it until it is sent (a CRM link, a merge that extends one). */
export function useConsent() {
  const [method, setMethod] = useState<ConsentMethod>('customer_message');
  const [messageId, setMessageId] = useState<number | ''>('');
  const [note, setNote] = useState('');
  return {
    method, setMethod, messageId, setMessageId, note, setNote,
    /** What the API records: their message, or the note that says how. */
    value: () => ({ method, messageId: method === 'customer_message' && messageId !== '' ? messageId : null, note: method === 'customer_message' ? null : note.trim() || null }),
  };
}

/** The consent's fields: how they agreed, then the message they agreed in (one of `messages`) or a note of the form or call. */
export function ConsentFields({ consent, legend, name, messages, candidates }: { consent: ReturnType<typeof useConsent>; legend: string; name: string; messages: Message[]; candidates?: ConsentCandidate[] | undefined }) {
  const { method, setMethod, messageId, setMessageId, note, setNote } = consent;
  // with candidates (their replies to a question of ours that went out), only those are offered, agreements first
  const options = candidates
    ? candidates.map((c) => ({ id: c.messageId, label: `${VERDICT_LABEL[c.verdict]}: ${clip(c.text, 80)}`, disabled: c.verdict !== 'agree', title: c.reason }))
    : messages.map((m) => ({ id: m.id, label: clip(m.text, 90), disabled: false, title: undefined as string | undefined }));
  return (
    <>
      <fieldset className="field">
        <legend>{legend}</legend>
        {(Object.keys(METHOD_LABEL) as ConsentMethod[]).map((m) => (
          <label key={m} className="checkbox">
            <input type="radio" name={name} value={m} checked={method === m} onChange={() => setMethod(m)} /> {METHOD_LABEL[m]}
          </label>
        ))}
      </fieldset>
      {method === 'customer_message' ? (
        <label className="field">
          <span>Their message saying so</span>
          <select value={messageId} onChange={(e) => setMessageId(e.target.value ? Number(e.target.value) : '')} required>
            <option value="">{options.length ? 'Choose the message…' : candidates ? 'No reply to the consent question yet' : 'Choose the message…'}</option>
            {options.map((o) => (
              <option key={o.id} value={o.id} disabled={o.disabled} title={o.title}>
                {o.label}
              </option>
            ))}
          </select>
          {candidates && <span className="muted small">Their replies to a consent question sent here: every reply that agrees, however long ago, then their latest other replies. Only a reply that agrees counts as consent.</span>}
        </label>
      ) : (
        <label className="field">
          <span>{method === 'verbal' ? 'Call date and who took it' : 'Form reference'}</span>
          <textarea rows={2} maxLength={2000} value={note} onChange={(e) => setNote(e.target.value)} required />
        </label>
      )}
    </>
  );
}

/** The first agreement among `candidates` is chosen for the agent (they can pick another, or another method). */
export function useFirstAgreement(consent: ReturnType<typeof useConsent>, candidates: ConsentCandidate[] | undefined) {
  const firstAgreement = candidates?.find((c) => c.verdict === 'agree')?.messageId;
  const { messageId, setMessageId } = consent;
  useEffect(() => {
    if (firstAgreement != null && messageId === '') setMessageId(firstAgreement);
  }, [firstAgreement, messageId, setMessageId]);
}

/** Where the consent question of a conversation stands, under the choice of their reply (link and merge dialogs). */
export function ConsentAskState({ candidates }: { candidates: ReturnType<typeof useConsentCandidates> }) {
  const lastAsk = candidates.data?.asks[0];
  return (
    <p className="muted small" data-testid="crm-consent-ask-state">
      {candidates.isPending
        ? 'Loading their replies…'
        : candidates.isError
          ? `Their replies could not be loaded: ${(candidates.error as Error).message}`
          : !lastAsk
            ? 'Nobody has asked them for consent in this conversation yet: ask first (Ask for consent…), then choose their reply.'
            : lastAsk.sentAt == null
              ? `The latest consent question (${fullTime(lastAsk.askedAt)}) has not gone out yet (${lastAsk.status.replace(/_/g, ' ')}).`
              : `Asked by ${lastAsk.askedBy.name ?? `person #${lastAsk.askedBy.id}`}, sent ${fullTime(lastAsk.sentAt)}.`}
    </p>
  );
}

/** How the recorded consent was given, as the card states it. */
const METHOD_SHOWN: Record<string, string> = {
  customer_message: 'in their own message',
  verified_form: 'on a verified form',
  verbal: 'on a call',
};

export function CrmSection({ contact, conversationId, messages }: { contact: ContactDetail; conversationId: number; messages: Message[] }) {
  const [linkOpen, setLinkOpen] = useState(false);
  const [unlinkOpen, setUnlinkOpen] = useState(false);
  const [askOpen, setAskOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  // The dialogs mount only while open (they sit inside the author card); focus returns to the card's button.
  const closed = () => requestAnimationFrame(() => box.current?.querySelector<HTMLButtonElement>('button')?.focus());
  return (
    <div className="crm" ref={box}>
      <h3>CRM</h3>
      {contact.crmCustomerId ? (
        <>
          <p className="small">
            Linked to customer <code className="crm-id">{clip(contact.crmCustomerId, 80)}</code>
            {contact.crmConsentAt && <span className="muted"> · consent recorded {fullTime(contact.crmConsentAt)}</span>}
          </p>
          <ConsentRecord contact={contact} conversationId={conversationId} />
          <button type="button" className="btn btn-small" onClick={() => setUnlinkOpen(true)}>
            Remove link…
          </button>{' '}
          {/* linked: their consent is still asked for before a merge extends the link to another profile of theirs */}
          <button type="button" className="btn btn-small" onClick={() => setAskOpen(true)}>
            Ask for consent…
          </button>
        </>
      ) : (
        <>
          <p className="muted small">Not linked. Link only when the customer has agreed.</p>
          <button type="button" className="btn btn-small" onClick={() => setLinkOpen(true)}>
            Link to CRM customer…
          </button>{' '}
          <button type="button" className="btn btn-small" onClick={() => setAskOpen(true)}>
            Ask for consent…
          </button>
        </>
      )}
      {askOpen && <AskDialog open onClose={() => (setAskOpen(false), closed())} conversationId={conversationId} />}
      {linkOpen && <LinkDialog open onClose={() => (setLinkOpen(false), closed())} contact={contact} conversationId={conversationId} messages={messages} />}
      {unlinkOpen && <UnlinkDialog open onClose={() => (setUnlinkOpen(false), closed())} contact={contact} conversationId={conversationId} />}
    </div>
  );
}

/**
 * The consent behind the link, as it was recorded: how it was given, the customer's own
 * message or the note (both hostile text, shown as text), and who recorded it.
 */
function ConsentRecord({ contact, conversationId }: { contact: ContactDetail; conversationId: number }) {
  const q = useCrmConsent(contact.id, contact.crmConsentAt);
  if (q.isPending) return <p className="muted small">Loading the recorded consent…</p>;
  if (q.isError) return <p className="muted small">The recorded consent could not be loaded: {(q.error as Error).message}</p>;
  const c = q.data.consent;
  if (!c) return <p className="muted small">No consent is on record for this link.</p>;
  const m = c.evidenceMessage;
  return (
    <div className="crm-consent small" data-testid="crm-consent">
      <p>
        Consent given <strong>{METHOD_SHOWN[c.method] ?? c.method.replace(/_/g, ' ')}</strong>, recorded by {c.recordedBy.name ?? `person #${c.recordedBy.id}`} on {fullTime(c.grantedAt)}
      </p>
      {m && (
        <blockquote className="crm-evidence">
          <span className="muted">Their message, {fullTime(m.createdAt)}: </span>
          <SafeText text={m.text} />
          {m.conversationId !== conversationId && (
            <>
              {' '}
              <Link to="/inbox/$view" params={{ view: 'all' }} search={{ c: m.conversationId }}>
                (in another conversation)
              </Link>
            </>
          )}
        </blockquote>
      )}
      {c.note && (
        <p className="crm-note">
          <span className="muted">{c.method === 'verbal' ? 'Call: ' : c.method === 'verified_form' ? 'Form: ' : 'Note: '}</span>
          <SafeText text={c.note} linkify={false} />
        </p>
      )}
    </div>
  );
}

function LinkDialog({ open, onClose, contact, conversationId, messages }: { open: boolean; onClose: () => void; contact: ContactDetail; conversationId: number; messages: Message[] }) {
  const link = useCrmLink();
  const toast = useToast();
  const [crmId, setCrmId] = useState('');
  const consent = useConsent();
  const [error, setError] = useState<string | null>(null);
  const theirs = messages.filter((m) => m.direction === 'inbound' && m.author?.contactId === contact.id);
  const candidates = useConsentCandidates(conversationId);
  useFirstAgreement(consent, candidates.data?.candidates);

  const submit = () => {
    setError(null);
    link.mutate(
      { contactId: contact.id, conversationId, crmCustomerId: crmId.trim(), consent: consent.value() },
      {
        onSuccess: () => {
          toast('Linked to the CRM customer, with consent recorded');
          onClose();
        },
        onError: (err) => setError((err as Error).message),
      },
    );
  };

  return (
    <Modal open={open} onClose={onClose} title="Link to a CRM customer" description="Only with the customer's consent. Record how they gave it; they can withdraw it at any time.">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label className="field">
          <span>CRM customer ID</span>
          <input value={crmId} onChange={(e) => setCrmId(e.target.value)} maxLength={200} required data-autofocus autoComplete="off" />
        </label>
        <ConsentFields consent={consent} legend="How did they consent?" name="consent-method" messages={theirs} candidates={candidates.data?.candidates ?? []} />
        {consent.method === 'customer_message' && <ConsentAskState candidates={candidates} />}
        <FormError error={error} />
        <DialogButtons disabled={link.isPending || !crmId.trim()} onCancel={onClose}>
          Link with consent
        </DialogButtons>
      </form>
    </Modal>
  );
}

/** Ask the customer for consent: the brand's question, which the agent may edit, sent as a reply (privately where the channel can). */
function AskDialog({ open, onClose, conversationId }: { open: boolean; onClose: () => void; conversationId: number }) {
  const ask = useAskConsent();
  const toast = useToast();
  const q = useConsentCandidates(conversationId);
  const [text, setText] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const value = text ?? q.data?.askText ?? '';
  return (
    <Modal open={open} onClose={onClose} title="Ask for consent" description="Sent to the customer as a reply (privately when the channel allows it). Only their reply after it, agreeing, can be recorded as consent.">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          ask.mutate(
            { conversationId, text: value.trim() },
            {
              onSuccess: (r) => {
                toast(r.approval ? 'Consent question written: it waits for sign-off' : `Consent question sent ${r.ask.visibility === 'private' ? 'privately' : 'publicly'}`);
                onClose();
              },
              onError: (err) => setError((err as Error).message),
            },
          );
        }}
      >
        <label className="field">
          <span>Question</span>
          <textarea rows={4} minLength={10} maxLength={2000} value={value} onChange={(e) => setText(e.target.value)} required data-autofocus disabled={q.isPending} />
        </label>
        <FormError error={error ?? (q.isError ? (q.error as Error).message : null)} />
        <DialogButtons disabled={ask.isPending || value.trim().length < 10} onCancel={onClose}>
          Send question
        </DialogButtons>
      </form>
    </Modal>
  );
}

function UnlinkDialog({ open, onClose, contact, conversationId }: { open: boolean; onClose: () => void; contact: ContactDetail; conversationId: number }) {
  const unlink = useCrmUnlink();
  const toast = useToast();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal open={open} onClose={onClose} title="Remove the CRM link" description="The customer record is no longer linked to this profile. The history of the link is kept.">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          unlink.mutate(
            { contactId: contact.id, conversationId, reason: reason.trim() },
            {
              onSuccess: () => {
                toast('CRM link removed');
                setReason('');
                onClose();
              },
              onError: (err) => setError((err as Error).message),
            },
          );
        }}
      >
        <label className="field">
          <span>Reason</span>
          <input value={reason} onChange={(e) => setReason(e.target.value)} minLength={3} maxLength={1000} required data-autofocus placeholder="e.g. the customer withdrew consent" />
        </label>
        <FormError error={error} />
        <DialogButtons tone="danger" disabled={unlink.isPending || reason.trim().length < 3} onCancel={onClose}>
          Remove link
        </DialogButtons>
      </form>
    </Modal>
  );
}
