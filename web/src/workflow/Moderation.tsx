/**
 * Moderating a customer's post by the rules: hide, delete, block or mute only citing a
 * published community guideline that allows the action, with evidence of how the post
 * breaks it. Negative feedback is not a violation — the dialog says so, and the
 * server's refusals are shown as they are.
 */
import { useEffect, useState } from 'react';
import type { Message, ModerationAction } from '../api/types.js';
import { useChannels } from '../api/queries.js';
import { useGuidelines, useModerate } from '../api/workflow.js';
import { clip } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';
import { Modal } from '../ui/Modal.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';

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
  const allowed = (g?.allowedActions ?? []) as ModerationAction[];
  const who = message?.author ? `@${clip(message.author.handle, 80)}` : 'the author';
  // what the network itself can do: an action it lacks is shown, disabled, with the reason
  const channels = useChannels();
  const caps = channels.data?.find((c) => c.id === message?.channelAccountId)?.capabilities ?? null;
  const lacks = (a: ModerationAction): string | null => {
    const c = caps?.[a === 'unhide' ? 'hide' : a === 'unblock' ? 'block' : a === 'unmute' ? 'mute' : a];
    return c === undefined || c === true ? null : c;
  };

  const submit = () => {
    if (!message || !action) return;
    setRefusal(null);
    moderate.mutate(
      { messageId: message.id, conversationId: message.conversationId, action, guidelineId, evidence },
      {
        onSuccess: (r) => {
          toast(`${ACTION_LABEL[action]}: done, citing “${r.guideline ?? g?.code}”`);
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
