/** Beside the thread: the author card (identities across networks, past conversations) and the audit trail. */
import { useState } from 'react';
import { useContactMerges, useContactSearch, useMergeContact, useSplitIdentity, type ContactSearchItem } from '../api/contacts.js';
import { useUsers } from '../api/queries.js';
import type { AuditEvent, Author, ContactDetail, Conversation, Message, Team, User } from '../api/types.js';
import { clip, compactNumber, fullTime, networkLabel, priorityLabel, shortAgo, STATUS_LABEL, useNow } from '../lib/format.js';
import { ExternalLink, safeHref } from '../lib/SafeText.js';
import { Avatar, NetworkBadge, StatusBadge, VerifiedIcon } from '../ui/bits.js';
import { Modal } from '../ui/Modal.js';
import { useToast } from '../ui/Toasts.js';
import { ConsentAskState, ConsentFields, CrmSection, useConsent, useConsentCandidates, useFirstAgreement } from '../workflow/Crm.js';
import { DialogButtons, FormError } from '../ui/DialogButtons.js';
import { handleText } from './customerName.js';

export function AuthorCard({ conversation, contact, messages, onOpenConversation, readOnly }: { conversation: Conversation; contact: ContactDetail | null; messages: Message[]; onOpenConversation: (id: number) => void; readOnly?: boolean }) {
  const now = useNow();
  const first = messages.find((m) => m.direction === 'inbound' && m.author)?.author ?? null;
  const primary = contact?.identities.find((i) => i.identityId === first?.identityId) ?? first ?? contact?.identities[0] ?? null;
  const name = conversation.statement ? 'Brand statement' : clip(contact?.displayName || primary?.displayName || (primary ? handleText(primary.network, primary.handle) : conversation.contact?.handle ? handleText(conversation.network, conversation.contact.handle) : 'Unknown customer'), 200);
  const others = (contact?.identities ?? []).filter((i) => i.identityId !== primary?.identityId);
  const profile = safeHref(primary?.profileUrl);
  const [merging, setMerging] = useState(false);
  const [splitting, setSplitting] = useState<Author | null>(null);
  // the card of every conversation of the customer reads their merges (read-only cards, an expert's, do not)
  const merges = useContactMerges(contact?.id ?? 0, `${contact?.identities.map((i) => i.identityId).join(',')}:${contact?.crmCustomerId ?? ''}`, Boolean(contact) && !readOnly);
  const linkFromMerge = merges.data?.crmLinkFromMerge ?? null;
  return (
    <section className="card author-card" aria-labelledby="author-title">
      <div className="author-top">
        <Avatar name={name} seed={primary?.handle ?? name} size="lg" />
        <div className="author-names">
          <h2 id="author-title" dir="auto">
            {name} {primary?.verified && <VerifiedIcon />}
          </h2>
          {primary && (
            <div className="muted" dir="auto">
              {handleText(primary.network, clip(primary.handle, 100))} · {networkLabel(primary.network)}
            </div>
          )}
        </div>
      </div>
      <dl className="facts">
        <div>
          <dt>Followers</dt>
          <dd>{compactNumber(primary?.followers)}</dd>
        </div>
        <div>
          <dt>Verified</dt>
          <dd>{primary?.verified ? 'Yes' : 'No'}</dd>
        </div>
        <div>
          <dt>Conversations</dt>
          <dd>{(contact?.pastConversations.length ?? 0) + 1}</dd>
        </div>
      </dl>
      {profile && (
        <p className="small">
          Profile: <ExternalLink href={profile} />
        </p>
      )}
      {others.length > 0 && (
        <>
          <h3>Also known as</h3>
          <ul className="plain-list identities">
            {others.map((i) => {
              const href = safeHref(i.profileUrl);
              return (
                <li key={i.identityId}>
                  <NetworkBadge network={i.network} /> <span dir="auto">{handleText(i.network, clip(i.handle, 100))}</span>
                  {i.verified && <VerifiedIcon />}
                  {i.displayName && (
                    <span className="muted" dir="auto">
                      {' '}
                      {clip(i.displayName, 120)}
                    </span>
                  )}
                  <span className="muted"> · {compactNumber(i.followers)} followers</span>
                  {contact && !readOnly && (
                    <>
                      {' '}
                      <button type="button" className="btn btn-small btn-ghost" onClick={() => setSplitting(i)} aria-label={`Split ${handleText(i.network, clip(i.handle, 100))} into a customer of their own`}>
                        Split
                      </button>
                    </>
                  )}
                  {href && (
                    <div className="small">
                      <ExternalLink href={href} />
                    </div>
                  )}
                </li>
              );
            })}
          </ul>
        </>
      )}
      {contact && !readOnly && (
        <p>
          <button type="button" className="btn btn-small" onClick={() => setMerging(true)}>
            Same person as…
          </button>
        </p>
      )}
      {contact && merging && <MergeDialog contact={contact} name={name} conversationId={conversation.id} messages={messages} onClose={() => setMerging(false)} />}
      {contact && splitting && <SplitDialog contact={contact} identity={splitting} linkFromMerge={linkFromMerge?.identityIds.includes(splitting.identityId) ? linkFromMerge.crmCustomerId : null} onClose={() => setSplitting(null)} />}
      {contact && !readOnly && (merges.data?.items.length ?? 0) > 0 && <MergeHistory items={merges.data!.items} />}
      {contact && !readOnly && <CrmSection contact={contact} conversationId={conversation.id} messages={messages} />}
      {!readOnly && (
        <>
      <h3>Past conversations</h3>
      {contact?.pastConversations.length ? (
        <ul className="plain-list past">
          {contact.pastConversations.map((p) => (
            <li key={p.id}>
              <button type="button" className="past-link" onClick={() => onOpenConversation(p.id)}>
                <span className="past-top">
                  <StatusBadge status={p.status} /> <NetworkBadge network={p.network} />
                  <span className="muted small">{shortAgo(p.lastMessageAt, now)}</span>
                </span>
                <span className="past-subject" dir="auto">
                  {clip(p.subject, 120) || '(no text)'}
                </span>
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="muted small">None — this is their first conversation.</p>
      )}
        </>
      )}
    </section>
  );
}

/** How one of a customer's profiles reads in a list: network, handle, name (all text). */
function profileLine(i: { network: string; handle: string; displayName: string | null }) {
  return `${handleText(i.network, clip(i.handle, 100))} (${networkLabel(i.network)})${i.displayName ? ` ${clip(i.displayName, 80)}` : ''}`;
}

/**
 * "Same person as…": find another customer of the brand by handle, name or email address, say
 * why they are one person (and, optionally, which message shows it), confirm. Their profiles and
 * conversations then show under this customer. A CRM link on exactly one of the two covers the
 * other profile only with the customer's consent, recorded here as a link records it.
 */
function MergeDialog({ contact, name, conversationId, messages, onClose }: { contact: ContactDetail; name: string; conversationId: number; messages: Message[]; onClose: () => void }) {
  const [q, setQ] = useState('');
  const [picked, setPicked] = useState<ContactSearchItem | null>(null);
  const [reason, setReason] = useState('');
  const [evidence, setEvidence] = useState<number | ''>('');
  const consent = useConsent();
  const [error, setError] = useState<string | null>(null);
  const search = useContactSearch(q);
  const merge = useMergeContact();
  const toast = useToast();
  const inbound = messages.filter((m) => m.direction === 'inbound' && m.author);
  const results = (search.data?.items ?? []).filter((c) => c.id !== contact.id);
  const needsConsent = picked != null && Boolean(contact.crmCustomerId) !== picked.crmLinked;
  // consent "in their own message" is their reply here after our consent question, as in the link dialog
  const candidates = useConsentCandidates(conversationId, needsConsent);
  useFirstAgreement(consent, candidates.data?.candidates);
  const submit = () => {
    if (!picked) return;
    setError(null);
    merge.mutate(
      {
        contactId: contact.id, otherContactId: picked.id, reason: reason.trim(), evidenceMessageId: evidence === '' ? null : evidence,
        crmConsent: needsConsent ? consent.value() : null,
      },
      {
        onSuccess: () => {
          toast('Merged: their profiles and conversations are this customer\'s now');
          onClose();
        },
        onError: (err) => setError((err as Error).message),
      },
    );
  };
  return (
    <Modal open onClose={onClose} title="Same person as…" description={`Another profile of ${name}: its conversations and history move to this customer. A wrong merge can be split again.`}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <label className="field">
          <span>Find the other profile (handle, name or email address)</span>
          <input type="search" value={q} onChange={(e) => (setQ(e.target.value), setPicked(null))} maxLength={200} data-autofocus autoComplete="off" />
        </label>
        {search.isFetching && <p className="muted small">Searching…</p>}
        {q.trim().replace(/^@/, '').length >= 2 && search.isSuccess && results.length === 0 && <p className="muted small">No other customer matches.</p>}
        {results.length > 0 && (
          <fieldset className="field merge-candidates">
            <legend>Customers</legend>
            {results.map((c) => (
              <label key={c.id} className="checkbox">
                <input type="radio" name="merge-candidate" value={c.id} checked={picked?.id === c.id} onChange={() => setPicked(c)} />{' '}
                <span dir="auto">{clip(c.displayName || (c.identities[0] ? handleText(c.identities[0].network, c.identities[0].handle) : `Customer ${c.id}`), 120)}</span>
                <span className="muted small" dir="auto">
                  {' '}
                  {c.identities.map(profileLine).join(' · ')}
                  {c.crmLinked ? ' · linked to the CRM' : ''}
                </span>
              </label>
            ))}
          </fieldset>
        )}
        <label className="field">
          <span>Why are they the same person?</span>
          <textarea rows={2} maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. said in a DM that @handle is them" required />
        </label>
        <label className="field">
          <span>The message that shows it (optional)</span>
          <select value={evidence} onChange={(e) => setEvidence(e.target.value ? Number(e.target.value) : '')}>
            <option value="">None</option>
            {inbound.map((m) => (
              <option key={m.id} value={m.id}>
                {clip(m.text, 90)}
              </option>
            ))}
          </select>
        </label>
        {needsConsent && (
          <>
            <ConsentFields consent={consent} legend="One of them is linked to a CRM customer: the link covers the other profile only if they agreed. How?" name="merge-consent-method" messages={inbound} candidates={candidates.data?.candidates ?? []} />
            {consent.method === 'customer_message' && <ConsentAskState candidates={candidates} />}
          </>
        )}
        {picked && (
          <p className="small" data-testid="merge-confirm">
            Merge <span dir="auto">{picked.identities.map(profileLine).join(', ') || `customer ${picked.id}`}</span> into <span dir="auto">{name}</span>?
          </p>
        )}
        <FormError error={error} />
        <DialogButtons disabled={!picked || reason.trim().length < 3 || merge.isPending} onCancel={onClose}>
          Merge
        </DialogButtons>
      </form>
    </Modal>
  );
}

/**
 * A customer's merges and splits, on every one of their conversations (each was recorded on the
 * latest conversations of the customers at the time only): who, what, when, why.
 */
function MergeHistory({ items }: { items: AuditEvent[] }) {
  const users = useUsers();
  const byId = new Map<number, User>((users.data ?? []).map((u) => [u.id, u]));
  return (
    <>
      <h3>Merges and splits</h3>
      <ol className="plain-list small merge-history">
        {items.map((e) => (
          <li key={e.id} dir="auto">
            <strong>{actorName(e, byId)}</strong> {describeAudit(e, byId, new Map())}{' '}
            <time className="muted" dateTime={e.createdAt ?? undefined}>
              {fullTime(e.createdAt)}
            </time>
          </li>
        ))}
      </ol>
    </>
  );
}

/**
 * Undo a wrong merge for one profile: it becomes a customer of its own, with the conversations
 * only it wrote in. When the CRM link came with the merge being undone (`linkFromMerge`: the
 * CRM id), the same step may remove it, with a reason, as "Remove link…" would.
 */
function SplitDialog({ contact, identity, linkFromMerge, onClose }: { contact: ContactDetail; identity: Author; linkFromMerge: string | null; onClose: () => void }) {
  const split = useSplitIdentity();
  const toast = useToast();
  const [reason, setReason] = useState('');
  const [unlink, setUnlink] = useState(false);
  const [unlinkReason, setUnlinkReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const removing = linkFromMerge != null && unlink;
  const description = linkFromMerge != null
    ? 'It becomes a customer of its own, with the conversations only it wrote in. The CRM link came with the merge of this profile: you can remove it in the same step.'
    : contact.crmCustomerId
      // not offered (src/commands/contactMerge.ts linkFromMerge): the link was the customer's before this
      // profile's merge, was recorded again since, also covers profiles of that merge that stay, or the
      // audit trail of an older merge does not show which consent it recorded
      ? 'It becomes a customer of its own, with the conversations only it wrote in. The CRM link stays: this split cannot take it along (the customer had it before this profile\'s merge, it was recorded again since, or it also covers profiles that stay). If it should go, remove it on its own, with a reason.'
      : 'It becomes a customer of its own, with the conversations only it wrote in.';
  return (
    <Modal open onClose={onClose} title="Split this profile off" description={description}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setError(null);
          split.mutate(
            { contactId: contact.id, identityId: identity.identityId, reason: reason.trim() || null, removeCrmLink: removing ? { reason: unlinkReason.trim() } : null },
            {
              onSuccess: (r) => {
                toast(r.crmLinkRemoved ? 'Split off into a customer of their own; the CRM link is removed' : 'Split off into a customer of their own');
                onClose();
              },
              onError: (err) => setError((err as Error).message),
            },
          );
        }}
      >
        <p dir="auto">{profileLine(identity)}</p>
        <label className="field">
          <span>Why (optional)</span>
          <textarea rows={2} maxLength={1000} value={reason} onChange={(e) => setReason(e.target.value)} data-autofocus />
        </label>
        {linkFromMerge != null && (
          <>
            <label className="checkbox">
              <input type="checkbox" checked={unlink} onChange={(e) => setUnlink(e.target.checked)} /> Also remove the CRM link to <code className="crm-id">{clip(linkFromMerge, 80)}</code> that came with the merge
            </label>
            {unlink && (
              <label className="field">
                <span>Why the link is removed</span>
                <input value={unlinkReason} onChange={(e) => setUnlinkReason(e.target.value)} minLength={3} maxLength={1000} required placeholder="e.g. the link came with the wrong merge" />
              </label>
            )}
          </>
        )}
        <FormError error={error} />
        <DialogButtons tone={removing ? 'danger' : undefined} disabled={split.isPending || (removing && unlinkReason.trim().length < 3)} onCancel={onClose}>
          {removing ? 'Split and remove the link' : 'Split'}
        </DialogButtons>
      </form>
    </Modal>
  );
}

function actorName(e: AuditEvent, users: Map<number, User>): string {
  if (e.actorUserId != null) return users.get(e.actorUserId)?.name ?? `User ${e.actorUserId}`;
  if (e.actor === 'system') return 'Parley';
  if (e.actor.startsWith('system:')) return `Parley (${e.actor.slice(7)})`;
  if (e.actor.startsWith('token:')) return 'An API token';
  return e.actor;
}

/** One audit event in words. */
export function describeAudit(e: AuditEvent, users: Map<number, User>, teams: Map<number, Team>): string {
  const d = e.data as Record<string, any>;
  const who = (id: unknown) => (id == null ? 'nobody' : users.get(Number(id))?.name ?? `user ${String(id)}`);
  switch (e.action) {
    case 'conversation.assigned': {
      const parts: string[] = [];
      if (d.to?.assigneeId !== d.from?.assigneeId) parts.push(d.to?.assigneeId == null ? 'unassigned it' : `assigned it to ${who(d.to.assigneeId)}`);
      if (d.to?.teamId !== d.from?.teamId) parts.push(d.to?.teamId == null ? 'removed the team' : `moved it to team ${teams.get(Number(d.to.teamId))?.name ?? d.to.teamId}`);
      return parts.join(' and ') || 'assigned it';
    }
    case 'conversation.status':
      return `changed status ${STATUS_LABEL[d.from] ?? d.from ?? ''} → ${STATUS_LABEL[d.to] ?? d.to ?? ''}${d.snoozeUntil ? ` (snoozed until ${fullTime(new Date(Number(d.snoozeUntil)).toISOString())})` : ''}`;
    case 'conversation.priority':
      return `set priority ${d.from ?? 0} → ${d.to} (${priorityLabel(Number(d.to))})`;
    case 'conversation.labels': {
      const add = (d.add as string[] | undefined) ?? [];
      const rem = (d.remove as string[] | undefined) ?? [];
      return [add.length ? `added label${add.length > 1 ? 's' : ''} ${add.join(', ')}` : '', rem.length ? `removed ${rem.join(', ')}` : ''].filter(Boolean).join('; ') || 'changed labels';
    }
    case 'note.added':
      return 'added an internal note';
    case 'reply.queued':
      return `sent a ${d.visibility === 'private' ? 'private' : 'public'} reply`;
    case 'reply.pending_approval':
      return 'wrote a reply that needs approval';
    case 'reply.approved':
      return 'approved a reply';
    case 'reply.edited_and_approved':
      return 'edited and approved a reply';
    case 'reply.rewritten_for_sign_off':
      return 'rewrote a reply at sign-off and sent it back for sign-off';
    case 'reply.rejected':
      return `did not approve a reply${d.note ? `: “${String(d.note).slice(0, 200)}”` : ''}`;
    case 'expert.asked':
      return 'asked an expert';
    case 'expert.answered':
      return 'answered a question to experts';
    case 'expert.cancelled':
      return `cancelled a question to an expert: ${String(d.reason ?? 'the expert can no longer answer')}`;
    case 'sla.warning':
      return `warned: SLA ${String(d.clock ?? '').replace(/_/g, ' ')} due soon`;
    case 'sla.breached':
      return `recorded an SLA breach (${String(d.clock ?? '').replace(/_/g, ' ')})`;
    case 'contact.crm_linked':
      return 'linked the customer to the CRM, with consent';
    case 'contact.crm_consent_asked':
      return `asked the customer for consent to a CRM link (${d.visibility === 'private' ? 'privately' : 'publicly'})`;
    case 'contact.crm_unlinked':
      return 'removed the CRM link';
    case 'contact.merged': {
      const ids = Array.isArray(d.identities) ? (d.identities as { handle?: unknown; network?: unknown }[]) : [];
      const profiles = ids.map((i) => `${handleText(String(i.network ?? ''), String(i.handle ?? ''))} (${networkLabel(String(i.network ?? ''))})`).join(', ');
      return `merged ${profiles || 'another profile'} into this customer${d.reason ? `: “${String(d.reason).slice(0, 200)}”` : ''}`;
    }
    case 'contact.split':
      return `split ${handleText(String(d.identity?.network ?? ''), String(d.identity?.handle ?? ''))} (${networkLabel(String(d.identity?.network ?? ''))}) off into a customer of their own${d.reason ? `: “${String(d.reason).slice(0, 200)}”` : ''}`;
    case 'triage.corrected': {
      const before = (d.before ?? {}) as Record<string, unknown>;
      const after = (d.after ?? {}) as Record<string, unknown>;
      const show = (v: unknown) => (v == null ? '—' : typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v).replace(/_/g, ' '));
      const parts = Object.keys(after).map((k) => `${k} ${show(before[k])} → ${show(after[k])}`);
      return `corrected triage${parts.length ? `: ${parts.join(', ')}` : ''}`;
    }
    default:
      if (e.action.startsWith('moderation.')) {
        const failed = d.status === 'failed' ? ' — the network refused' : d.status === 'unknown' ? ' — the network never answered: check there whether it was done' : '';
        if (e.action === 'moderation.report_not_filed') {
          return `checked on the network that an earlier report of the ${d.subject === 'account' ? 'account' : 'post'}, never answered, was not filed, and reported it again`;
        }
        if (e.action === 'moderation.report_post' || e.action === 'moderation.report_account') {
          return `reported the ${e.action.endsWith('post') ? 'post' : 'account'} to the network (${String(d.reason ?? '')}${d.networkReportId ? `, report ${String(d.networkReportId)}` : ''}), citing “${String(d.guideline?.title ?? d.guideline?.code ?? '')}”${failed}`;
        }
        // an undo cites no rule: its reason, when one was given, is what it says
        if (!d.guideline) return `moderation: ${e.action.slice(11)}${d.evidence ? ` — “${String(d.evidence)}”` : ''}${failed}`;
        return `moderation: ${e.action.slice(11)}, citing “${String(d.guideline.title ?? d.guideline.code)}”${failed}`;
      }
      return e.action.replace(/[._]/g, ' ');
  }
}

export function AuditTrail({ audit, users, teams }: { audit: AuditEvent[]; users: Map<number, User>; teams: Map<number, Team> }) {
  const now = useNow();
  return (
    <section className="card audit" aria-labelledby="audit-title">
      <h2 id="audit-title">Activity</h2>
      {audit.length === 0 ? (
        <p className="muted small">No actions yet.</p>
      ) : (
        <ol className="plain-list audit-list">
          {audit.map((e) => (
            <li key={e.id}>
              <strong>{actorName(e, users)}</strong> {describeAudit(e, users, teams)}{' '}
              <time className="muted small" dateTime={e.createdAt ?? undefined} title={fullTime(e.createdAt)}>
                {shortAgo(e.createdAt, now)}
              </time>
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
