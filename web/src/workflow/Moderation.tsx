/**
 * Moderating a customer's post by the rules: hide, delete, block or mute only citing a
 * published community guideline that allows the action, with evidence of how the post
 * breaks it. Negative feedback is not a violation — the dialog says so, and the
 * server's refusals are shown as they are. Undoing (unhide, unblock, unmute) needs no
 * rule, only — when given — the reason, which is recorded with the undo.
 */
import { useEffect, useState } from 'react';
import { useQueryClient } from '@tanstack/react-query';
import type { ChannelAccount, Message, ModerationAction, User } from '../api/types.js';
import { UNDO_ACTIONS } from '../api/types.js';
import { keys, useChannels } from '../api/queries.js';
import { useGuidelines, useModerate } from '../api/workflow.js';
import { onLiveEvent } from '../live/events.js';
import { clip, fullTime, networkLabel } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';
import { Modal } from '../ui/Modal.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';
import { DialogButtons } from '../ui/DialogButtons.js';

const ACTION_LABEL: Record<ModerationAction, string> = {
  hide: 'Hide the post',
  unhide: 'Unhide the post',
  delete: 'Delete the post',
  block: 'Block the author',
  unblock: 'Unblock the author',
  mute: 'Mute the author',
  unmute: 'Unmute the author',
};

export function ModerationDialog({ message, onClose }: { message: Message | null; onClose: () => void }) {
  const guidelines = useGuidelines();
  const moderate = useModerate();
  const toast = useToast();
  const [guidelineId, setGuidelineId] = useState<number | null>(null);
  const [action, setAction] = useState<ModerationAction | ''>('');
  const [evidence, setEvidence] = useState('');
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);

  useEffect(() => {
    setGuidelineId(null);
    setAction('');
    setEvidence('');
    setRefusal(null);
  }, [message?.id]);

  const list = guidelines.data ?? [];
  const g = list.find((x) => x.id === guidelineId) ?? null;
  // undoing is never a sanction a guideline allows: it has its own action on the message
  const allowed = ((g?.allowedActions ?? []) as ModerationAction[]).filter((a) => !UNDO_ACTIONS.includes(a));
  const who = message?.author ? `@${clip(message.author.handle, 80)}` : 'the author';
  // what the network itself can do: an action it lacks is shown, disabled, with the reason
  const channels = useChannels();
  const channel = channels.data?.find((c) => c.id === message?.channelAccountId);
  const lacks = (a: ModerationAction) => networkLacks(channel, a);

  const submit = () => {
    if (!message || !action) return;
    setRefusal(null);
    moderate.mutate(
      { messageId: message.id, conversationId: message.conversationId, action, guidelineId, evidence },
      {
        onSuccess: (r) => {
          // a repeat of what was already done sends nothing to the network (and is not audited again)
          toast(r.status === 'unchanged' ? `${ACTION_LABEL[action]}: already done — nothing sent again` : `${ACTION_LABEL[action]}: done, citing “${r.guideline ?? g?.code}”`);
          onClose();
        },
        onError: (err) => setRefusal(refusalOf(err)),
      },
    );
  };

  return (
    <Modal open={!!message} onClose={onClose} title="Moderate by the community guidelines" className="modal-wide">
      {message && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <div className="moderation-rule" role="note">
            <strong>Only for a broken rule.</strong> Negative feedback, criticism and complaints are not violations — answer them instead. Hiding or deleting them makes things worse.
            Cite the guideline this post breaks and say how it breaks it; the action is recorded with your name.
          </div>
          <blockquote className="moderation-quote">
            <span className="muted small">Post by {who}:</span>
            <br />
            <SafeText text={clip(message.text, 1200)} linkify={false} />
          </blockquote>
          <fieldset className="field guideline-choices">
            <legend>Which guideline does it break?</legend>
            {guidelines.isPending && <p className="muted">Loading guidelines…</p>}
            {!guidelines.isPending && list.length === 0 && <p className="muted">No community guidelines are published. An admin publishes them in Settings → Guidelines; without one, nothing can be moderated.</p>}
            {list.map((x) => (
              <label key={x.id} className="guideline-choice">
                <input
                  type="radio"
                  name="guideline"
                  value={x.id}
                  checked={guidelineId === x.id}
                  onChange={() => {
                    setGuidelineId(x.id);
                    if (action && !x.allowedActions.includes(action)) setAction('');
                  }}
                />
                <span>
                  <strong>{x.title}</strong> <code className="muted small">{x.code}</code>
                  <span className="guideline-desc small">
                    <SafeText text={x.description} linkify={false} />
                  </span>
                  <span className="muted small">Allows: {x.allowedActions.join(', ')}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <label className="field">
            <span>Action</span>
            <select value={action} onChange={(e) => setAction(e.target.value as ModerationAction)} disabled={!g} required>
              <option value="">{g ? 'Choose what the guideline allows…' : 'Choose a guideline first'}</option>
              {allowed.map((a) => {
                const why = lacks(a);
                return (
                  <option key={a} value={a} disabled={!!why}>
                    {ACTION_LABEL[a] ?? a}
                    {why ? ` — not on this network: ${why}` : ''}
                  </option>
                );
              })}
            </select>
          </label>
          <label className="field">
            <span>Evidence: how does this post break the rule?</span>
            <textarea rows={3} maxLength={2000} value={evidence} onChange={(e) => setEvidence(e.target.value)} placeholder="e.g. it posts another customer's home address" required />
          </label>
          <Refusal refusal={refusal} lead="Not done." />
          <div className="row-gap">
            <button type="submit" className="btn btn-danger" disabled={!g || !action || moderate.isPending}>
              {moderate.isPending ? 'Working…' : action ? ACTION_LABEL[action] : 'Moderate'}
            </button>
            <button type="button" className="btn btn-ghost" onClick={onClose}>
              Cancel — I will answer instead
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

/** Undoing a moderation action. */
export type UndoAction = 'unhide' | 'unblock' | 'unmute';

/** The capability of the network an action needs: undoing needs what it undoes. */
const CAPABILITY: Record<ModerationAction, 'hide' | 'delete' | 'block' | 'mute'> = { hide: 'hide', unhide: 'hide', delete: 'delete', block: 'block', unblock: 'block', mute: 'mute', unmute: 'mute' };

/**
 * Why the account's network cannot do `action`, or null when it can (or when its
 * capabilities are not known: the server then decides, and its refusal is shown).
 */
export function networkLacks(channel: ChannelAccount | undefined | null, action: ModerationAction): string | null {
  const c = channel?.capabilities?.[CAPABILITY[action]];
  return c === undefined || c === true ? null : c;
}

/** What an undo is, in words: its title, what it does, and what is said when it is done. */
const UNDO_TEXT: Record<UndoAction, { title: string; does: (who: string, network: string) => string; done: string }> = {
  unhide: { title: 'Unhide the post', does: (who, network) => `The post by ${who} shows on ${network} again, to everyone.`, done: 'The post is no longer hidden' },
  unblock: { title: 'Unblock the author', does: (who, network) => `${who} can follow, mention and message the brand's ${network} account again.`, done: 'The author is no longer blocked' },
  unmute: { title: 'Unmute the author', does: (who, network) => `What ${who} posts to the brand's ${network} account is shown again.`, done: 'The author is no longer muted' },
};

/** What is undone: the post (or its author) and since when, by whom. */
export interface UndoTarget {
  message: Message;
  action: UndoAction;
  since?: { at: string; byUserId: number } | null;
}

/**
 * Undo what moderation did: unhide a post, unblock or unmute its author. No guideline is
 * cited; the reason is optional but asked for, recorded and shown in the activity.
 */
export function UndoModerationDialog({ target, channel, users, onClose }: { target: UndoTarget | null; channel: ChannelAccount | undefined; users: Map<number, User>; onClose: () => void }) {
  const moderate = useModerate();
  const toast = useToast();
  const [reason, setReason] = useState('');
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const key = target ? `${target.message.id}:${target.action}` : '';
  useEffect(() => {
    setReason('');
    setRefusal(null);
  }, [key]);

  const action = target?.action ?? 'unhide';
  const text = UNDO_TEXT[action];
  const m = target?.message;
  const who = m?.author ? `@${clip(m.author.handle, 80)}` : 'the author';
  const network = networkLabel(channel?.network ?? m?.network ?? 'the network');
  const lacks = target ? networkLacks(channel, action) : null;
  const since = target?.since;
  const by = since ? users.get(since.byUserId)?.name ?? 'a colleague' : null;

  const submit = () => {
    if (!m || lacks) return;
    setRefusal(null);
    moderate.mutate(
      { messageId: m.id, conversationId: m.conversationId, action, guidelineId: null, evidence: reason.trim() },
      {
        onSuccess: (r) => {
          toast(r.status === 'unchanged' ? 'Already undone — nothing sent again' : `${text.done}${reason.trim() ? ' — your reason is in the activity' : ''}`);
          onClose();
        },
        onError: (err) => setRefusal(refusalOf(err)),
      },
    );
  };

  return (
    <Modal open={!!target} onClose={onClose} title={text.title} className="undo-moderation">
      {m && (
        <form
          onSubmit={(e) => {
            e.preventDefault();
            submit();
          }}
        >
          <p>
            {text.does(who, network)}
            {since && by && (
              <>
                {' '}
                <span className="muted">
                  ({action === 'unhide' ? 'Hidden' : action === 'unblock' ? 'Blocked' : 'Muted'} by {clip(by, 120)} · {fullTime(since.at)}.)
                </span>
              </>
            )}
          </p>
          {action === 'unhide' && (
            <blockquote className="moderation-quote">
              <span className="muted small">Post by {who}:</span>
              <br />
              <SafeText text={clip(m.text, 600)} linkify={false} />
            </blockquote>
          )}
          {lacks ? (
            <p className="form-error" role="alert" data-code="moderation.unsupported">
              <strong>Not on this network:</strong> {lacks}
            </p>
          ) : (
            <label className="field">
              <span>Why undo it? (optional, recorded in the activity)</span>
              <textarea rows={3} maxLength={2000} value={reason} onChange={(e) => setReason(e.target.value)} placeholder="e.g. the customer explained it was a quote" data-autofocus />
            </label>
          )}
          <Refusal refusal={refusal} lead="Not done." />
          <DialogButtons disabled={!!lacks || moderate.isPending} onCancel={onClose}>
            {moderate.isPending ? 'Working…' : text.title}
          </DialogButtons>
        </form>
      )}
    </Modal>
  );
}

const AUTHOR_ACTIONS = new Set(['block', 'unblock', 'mute', 'unmute']);

/**
 * Other people's moderation, live: the `moderation` event refreshes the conversation it
 * happened in; blocking or muting someone changes every conversation of theirs, so then
 * every conversation on screen is refreshed (and cached ones when next shown).
 */
export function useModerationLive(): void {
  const qc = useQueryClient();
  useEffect(
    () =>
      onLiveEvent((e) => {
        if (e.type !== 'moderation') return;
        const d = (e.data ?? {}) as { conversationId?: unknown; action?: unknown };
        if (AUTHOR_ACTIONS.has(String(d.action))) void qc.invalidateQueries({ queryKey: keys.details });
        else if (typeof d.conversationId === 'number') void qc.invalidateQueries({ queryKey: keys.detail(d.conversationId) });
      }),
    [qc],
  );
}
