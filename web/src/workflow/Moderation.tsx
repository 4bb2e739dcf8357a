/**
 * Moderating a customer's post by the rules: hide, delete, block or mute only citing a
 * published community guideline that allows the action, with evidence of how the post
 * breaks it. Negative feedback is not a violation — the dialog says so, and the
 * server's refusals are shown as they are. Undoing (unhide, unblock, unrestrict, unmute) needs no
 * rule, only — when given — the reason, which is recorded with the undo.
 * Where the network's connector cannot block (Instagram), a block or a restriction the
 * moderator did in the network's own app is recorded here, under the same rules, with "Done in
 * the network's app" (`doneOnNetwork`): nothing is sent, the action is logged as done.
 * Reporting the post or its author's account to the network's own moderators (Mastodon, Bluesky)
 * is offered with the same rule and evidence, under the guideline's report reason or one picked
 * here; where the network has no report API (X, Facebook, Instagram) it is shown disabled with why.
 * Where the network lists rules of its own (a Mastodon server's rules), they are offered as
 * checkboxes: a ticked rule files the report as a breach of it. A report Parley sent and never
 * heard back about is shown, and another is sent only once the agent confirms, having checked on
 * the network, that the first is not there (`confirmNotFiled`).
 */
import { useEffect, useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client.js';
import type { ChannelAccount, Message, ModerationAction, User } from '../api/types.js';
import { DONE_ON_NETWORK_ACTIONS, UNDO_ACTIONS } from '../api/types.js';
import { keys, useChannels } from '../api/queries.js';
import { useGuidelines, useModerate } from '../api/workflow.js';
import { onLiveEvent } from '../live/events.js';
import { clip, fullTime, networkLabel } from '../lib/format.js';
import { handleText } from '../conversation/customerName.js';
import { SafeText } from '../lib/SafeText.js';
import { Modal } from '../ui/Modal.js';
import { Refusal, refusalOf, type RefusalInfo } from '../ui/Refusal.js';
import { useToast } from '../ui/Toasts.js';
import { DialogButtons } from '../ui/DialogButtons.js';

type ReportAction = 'report_post' | 'report_account';
const REPORT_ACTIONS: readonly ReportAction[] = ['report_post', 'report_account'];
const isReport = (a: string): a is ReportAction => (REPORT_ACTIONS as readonly string[]).includes(a);
/** Parley's report reasons (NETWORK_REPORT_REASONS on the server), as people read them. */
const REPORT_REASONS: Record<string, string> = {
  spam: 'Spam or scam',
  abuse: 'Abuse or harassment',
  impersonation: 'Impersonation or misleading identity',
  sexual: 'Unwanted sexual content',
  violation: 'Breaks the network\'s rules',
  legal: 'Illegal content',
  other: 'Something else',
};

/** What GET /api/messages/:id/network-report answers. */
interface ReportAvailability {
  available: boolean;
  reason: string | null;
  /** The network's own rules a report may cite; null where it has none (or could not list them: `rulesError`). */
  rules: { id: string; text: string; hint: string }[] | null;
  rulesError: string | null;
  /** Reports sent that the network never confirmed or refused. */
  unsettled: { subject: 'post' | 'account'; at: string; error: string | null }[];
}

/** Whether the message's network takes a report from Parley (and why not), the rules it may cite, and reports never answered. */
function useReportAvailability(messageId: number | null) {
  return useQuery({
    queryKey: ['network-report', messageId],
    queryFn: () => api<ReportAvailability>('GET', `/api/messages/${messageId}/network-report`),
    enabled: messageId != null,
  });
}

/** File the report (at most once: a repeat is answered `unchanged`). */
function useNetworkReport() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { messageId: number; conversationId: number; subject: 'post' | 'account'; guidelineId: number; evidence: string; reason: string; ruleIds: string[]; confirmNotFiled: boolean }) =>
      api<{ status: 'done' | 'unchanged'; networkReportId: string | null; category: string | null; guideline: string }>('POST', `/api/messages/${v.messageId}/network-report`, {
        subject: v.subject, guidelineId: v.guidelineId, evidence: v.evidence, reason: v.reason,
        ...(v.ruleIds.length ? { ruleIds: v.ruleIds } : {}), ...(v.confirmNotFiled ? { confirmNotFiled: true } : {}),
      }),
    onSettled: (_r, _e, v) => {
      void qc.invalidateQueries({ queryKey: keys.detail(v.conversationId) });
      // an answer that never came shows as unsettled in the dialog
      void qc.invalidateQueries({ queryKey: ['network-report', v.messageId] });
    },
  });
}

const ACTION_LABEL: Record<ModerationAction, string> = {
  hide: 'Hide the post',
  unhide: 'Unhide the post',
  delete: 'Delete the post',
  block: 'Block the author',
  unblock: 'Unblock the author',
  restrict: 'Restrict the author',
  unrestrict: 'Unrestrict the author',
  mute: 'Mute the author',
  unmute: 'Unmute the author',
};

export function ModerationDialog({ message, onClose }: { message: Message | null; onClose: () => void }) {
  const guidelines = useGuidelines();
  const moderate = useModerate();
  const report = useNetworkReport();
  const reportable = useReportAvailability(message?.id ?? null);
  const toast = useToast();
  const [guidelineId, setGuidelineId] = useState<number | null>(null);
  const [action, setAction] = useState<ModerationAction | ReportAction | ''>('');
  const [reportReason, setReportReason] = useState('');
  const [ruleIds, setRuleIds] = useState<string[]>([]);
  const [confirmNotFiled, setConfirmNotFiled] = useState(false);
  const [evidence, setEvidence] = useState('');
  const [doneOnNetwork, setDoneOnNetwork] = useState(false);
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);

  useEffect(() => {
    setGuidelineId(null);
    setAction('');
    setReportReason('');
    setRuleIds([]);
    setConfirmNotFiled(false);
    setEvidence('');
    setDoneOnNetwork(false);
    setRefusal(null);
  }, [message?.id]);

  const list = guidelines.data ?? [];
  const g = list.find((x) => x.id === guidelineId) ?? null;
  const who = message?.author ? handleText(message.network, clip(message.author.handle, 80)) : 'the author';
  // what the network itself can do: an action it lacks is shown, disabled, with the reason
  const channels = useChannels();
  const channel = channels.data?.find((c) => c.id === message?.channelAccountId);
  const lacks = (a: ModerationAction) => networkLacks(channel, a);
  // where the network hides only replies (X), a post that answers nothing cannot be hidden: shown
  // disabled with the network's reason, as the server refuses it
  const notForThisPost = (a: ModerationAction) => (message ? postLacks(channel, message, a) : null);
  const network = networkLabel(channel?.network ?? message?.network ?? 'the network');
  // a block or restriction Parley cannot do there is recorded as done in the network's app
  const recordable = (a: ModerationAction) => !!lacks(a) && DONE_ON_NETWORK_ACTIONS.includes(a);
  // undoing is never a sanction a guideline allows: it has its own action on the message; a rule
  // that allows block allows restrict (the milder), offered only where it is recorded (Instagram)
  const granted = ((g?.allowedActions ?? []) as ModerationAction[]).filter((a) => !UNDO_ACTIONS.includes(a));
  const allowed = granted.flatMap((a) => (a === 'block' && recordable('restrict') && !granted.includes('restrict') ? ['block', 'restrict'] as ModerationAction[] : [a])).filter((a) => a !== 'restrict' || recordable(a));
  const recording = !!action && !isReport(action) && recordable(action);
  // the box vouches for one action done in the app: choosing another asks for it again
  const choose = (a: ModerationAction | ReportAction | '') => {
    setAction(a);
    setDoneOnNetwork(false);
    setConfirmNotFiled(false);
    // a report is filed under the guideline's reason unless another is picked
    if (a && isReport(a)) setReportReason(g?.reportReason ?? '');
  };
  const noReport = reportable.data && !reportable.data.available ? reportable.data.reason : null;
  const reporting = !!action && isReport(action);
  const subject = action === 'report_account' ? 'account' : 'post';
  const networkRules = reportable.data?.rules ?? [];
  // the earlier report of this post (or account) the network never answered: another needs the agent's check
  const unsettled = reporting ? reportable.data?.unsettled.find((u) => u.subject === subject) ?? null : null;
  const busy = moderate.isPending || report.isPending;

  const submit = () => {
    if (!message || !action) return;
    setRefusal(null);
    if (isReport(action)) {
      if (!guidelineId || !reportReason) return;
      if (unsettled && !confirmNotFiled) return;
      report.mutate(
        { messageId: message.id, conversationId: message.conversationId, subject, guidelineId, evidence, reason: reportReason, ruleIds: ruleIds.filter((id) => networkRules.some((r) => r.id === id)), confirmNotFiled: !!unsettled && confirmNotFiled },
        {
          onSuccess: (r) => {
            toast(r.status === 'unchanged' ? `Already reported to ${network} — nothing sent again` : `Reported to ${network}${r.networkReportId ? ` (report ${r.networkReportId})` : ''}, citing “${g?.title || r.guideline}”`);
            onClose();
          },
          onError: (err) => setRefusal(refusalOf(err)),
        },
      );
      return;
    }
    moderate.mutate(
      { messageId: message.id, conversationId: message.conversationId, action, guidelineId, evidence, doneOnNetwork: recording && doneOnNetwork },
      {
        onSuccess: (r) => {
          // a repeat of what was already done sends nothing to the network (and is not audited again)
          // the rule as people read it (its title), not its code
          const cited = g?.title || r.guideline || g?.code;
          toast(
            r.status === 'unchanged' ? `${ACTION_LABEL[action]}: already done — nothing sent again`
              : r.doneOnNetwork ? `${ACTION_LABEL[action]}: recorded as done in the ${network} app, citing “${cited}”`
              : `${ACTION_LABEL[action]}: done, citing “${cited}”`,
          );
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
                    if (action && isReport(action)) setReportReason(x.reportReason ?? '');
                    else if (action && !x.allowedActions.includes(action) && !(action === 'restrict' && x.allowedActions.includes('block'))) choose('');
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
            <select value={action} onChange={(e) => choose(e.target.value as ModerationAction | ReportAction | '')} disabled={!g} required>
              <option value="">{g ? 'Choose what the guideline allows…' : 'Choose a guideline first'}</option>
              {allowed.map((a) => {
                const why = lacks(a);
                const notHere = why ? null : notForThisPost(a);
                return (
                  <option key={a} value={a} disabled={(!!why && !recordable(a)) || !!notHere}>
                    {ACTION_LABEL[a] ?? a}
                    {why ? (recordable(a) ? ` — done in the ${network} app, recorded here` : ` — not on this network: ${why}`) : notHere ? ` — not for this post: ${notHere}` : ''}
                  </option>
                );
              })}
              {g &&
                REPORT_ACTIONS.map((a) => (
                  <option key={a} value={a} disabled={!!noReport}>
                    {a === 'report_post' ? `Report the post to ${network}` : `Report the account to ${network}`}
                    {noReport ? ` — not on this network: ${noReport}` : ''}
                  </option>
                ))}
            </select>
          </label>
          {g && noReport && (
            <p className="muted small" data-testid="report-unavailable">
              Reporting to {network}: {noReport}
            </p>
          )}
          {reporting && (
            <label className="field">
              <span>Report reason (what {network}'s moderators are told)</span>
              <select value={reportReason} onChange={(e) => setReportReason(e.target.value)} required>
                <option value="">Choose the reason…</option>
                {Object.entries(REPORT_REASONS).map(([k, label]) => (
                  <option key={k} value={k}>
                    {label}
                    {g?.reportReason === k ? ' (this guideline\'s)' : ''}
                  </option>
                ))}
              </select>
            </label>
          )}
          {reporting && networkRules.length > 0 && (
            <fieldset className="field guideline-choices" data-testid="network-rules">
              <legend>{network} server rules it breaks (optional)</legend>
              <p className="muted small">
                Tick a rule of the {network} server only if the post breaks it. Ticking one files the report as a rule violation, whatever reason is chosen above; with none ticked it goes under that reason.
              </p>
              {networkRules.map((r) => (
                <label key={r.id} className="guideline-choice">
                  <input type="checkbox" value={r.id} checked={ruleIds.includes(r.id)} onChange={(e) => setRuleIds((ids) => (e.target.checked ? [...ids, r.id] : ids.filter((x) => x !== r.id)))} />
                  <span>
                    <strong>
                      <SafeText text={clip(r.text, 300)} linkify={false} />
                    </strong>
                    {r.hint && (
                      <span className="guideline-desc small">
                        <SafeText text={clip(r.hint, 600)} linkify={false} />
                      </span>
                    )}
                  </span>
                </label>
              ))}
            </fieldset>
          )}
          {reporting && reportable.data?.rulesError && (
            <p className="muted small" data-testid="network-rules-error">
              {reportable.data.rulesError}
            </p>
          )}
          {unsettled && (
            <div className="report-note report-note-warn" role="note" data-testid="report-unsettled">
              <p>
                <strong>A report of this {subject} may already be with {network}.</strong> Parley sent one on {fullTime(unsettled.at)}, but {network} never said whether it received it. Look for it on {network} before sending another.
              </p>
              <label className="checkbox">
                <input type="checkbox" checked={confirmNotFiled} onChange={(e) => setConfirmNotFiled(e.target.checked)} required />
                <span>I checked on {network}: that report is not there. Send it again (this is recorded with your name).</span>
              </label>
            </div>
          )}
          {recording && (
            <label className="checkbox">
              <input type="checkbox" checked={doneOnNetwork} onChange={(e) => setDoneOnNetwork(e.target.checked)} required />
              <span>
                Done in the network's app: I have already {action === 'restrict' ? 'restricted' : 'blocked'} {who} in the {network} app. Parley cannot do it there ({lacks(action)}); this records it, citing the guideline, and sends nothing.
              </span>
            </label>
          )}
          <label className="field">
            <span>Evidence: how does this post break the rule?</span>
            <textarea rows={3} maxLength={2000} value={evidence} onChange={(e) => setEvidence(e.target.value)} placeholder="e.g. it posts another customer's home address" required />
          </label>
          <Refusal refusal={refusal} lead="Not done." />
          <div className="row-gap">
            <button type="submit" className="btn btn-danger" disabled={!g || !action || (recording && !doneOnNetwork) || (reporting && !reportReason) || (!!unsettled && !confirmNotFiled) || busy}>
              {busy ? 'Working…' : !action ? 'Moderate' : isReport(action) ? (action === 'report_post' ? `Report the post to ${network}` : `Report the account to ${network}`) : recording ? `Record: ${ACTION_LABEL[action]}` : ACTION_LABEL[action]}
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
export type UndoAction = 'unhide' | 'unblock' | 'unrestrict' | 'unmute';

/** The capability of the network an action needs: undoing needs what it undoes; a restriction counts as a block. */
const CAPABILITY: Record<ModerationAction, 'hide' | 'delete' | 'block' | 'mute'> = { hide: 'hide', unhide: 'hide', delete: 'delete', block: 'block', unblock: 'block', restrict: 'block', unrestrict: 'block', mute: 'mute', unmute: 'mute' };

/**
 * Why the account's network cannot do `action`, or null when it can (or when its
 * capabilities are not known: the server then decides, and its refusal is shown).
 */
export function networkLacks(channel: ChannelAccount | undefined | null, action: ModerationAction): string | null {
  const c = channel?.capabilities?.[CAPABILITY[action]];
  return c === undefined || c === true ? null : c;
}

/**
 * Why `action` cannot be done to this post although the network can do it, or null: a network
 * that hides only replies (X) cannot hide a post that answers nothing (a standalone mention).
 */
export function postLacks(channel: ChannelAccount | undefined | null, message: Pick<Message, 'inReplyToNetworkId'>, action: ModerationAction): string | null {
  return action === 'hide' && channel?.hidesOnlyReplies && !message.inReplyToNetworkId ? channel.hidesOnlyReplies : null;
}

/** What an undo is, in words: its title, what it does, and what is said when it is done. */
const UNDO_TEXT: Record<UndoAction, { title: string; does: (who: string, network: string) => string; done: string }> = {
  unhide: { title: 'Unhide the post', does: (who, network) => `The post by ${who} shows on ${network} again, to everyone.`, done: 'The post is no longer hidden' },
  unblock: { title: 'Unblock the author', does: (who, network) => `${who} can follow, mention and message the brand's ${network} account again.`, done: 'The author is no longer blocked' },
  unrestrict: { title: 'Unrestrict the author', does: (who, network) => `New comments by ${who} show on the brand's ${network} posts again without approval.`, done: 'The author is no longer restricted' },
  unmute: { title: 'Unmute the author', does: (who, network) => `What ${who} posts to the brand's ${network} account is shown again.`, done: 'The author is no longer muted' },
};

/** What is undone: the post (or its author) and since when, by whom. */
export interface UndoTarget {
  message: Message;
  action: UndoAction;
  since?: { at: string; byUserId: number } | null;
}

/**
 * Undo what moderation did: unhide a post, unblock, unrestrict or unmute its author. No guideline
 * is cited; the reason is optional but asked for, recorded and shown in the activity. Where the
 * network's connector cannot unblock (Instagram), the moderator records it as done in the app.
 */
export function UndoModerationDialog({ target, channel, users, onClose }: { target: UndoTarget | null; channel: ChannelAccount | undefined; users: Map<number, User>; onClose: () => void }) {
  const moderate = useModerate();
  const toast = useToast();
  const [reason, setReason] = useState('');
  const [doneOnNetwork, setDoneOnNetwork] = useState(false);
  const [refusal, setRefusal] = useState<RefusalInfo | null>(null);
  const key = target ? `${target.message.id}:${target.action}` : '';
  useEffect(() => {
    setReason('');
    setDoneOnNetwork(false);
    setRefusal(null);
  }, [key]);

  const action = target?.action ?? 'unhide';
  const text = UNDO_TEXT[action];
  const m = target?.message;
  const who = m?.author ? handleText(m.network, clip(m.author.handle, 80)) : 'the author';
  const network = networkLabel(channel?.network ?? m?.network ?? 'the network');
  const lacks = target ? networkLacks(channel, action) : null;
  // an unblock or unrestrict Parley cannot do there is recorded as done in the network's app
  const recording = !!lacks && DONE_ON_NETWORK_ACTIONS.includes(action);
  const since = target?.since;
  const by = since ? users.get(since.byUserId)?.name ?? 'a colleague' : null;

  const submit = () => {
    if (!m || (lacks && !(recording && doneOnNetwork))) return;
    setRefusal(null);
    moderate.mutate(
      { messageId: m.id, conversationId: m.conversationId, action, guidelineId: null, evidence: reason.trim(), doneOnNetwork: recording && doneOnNetwork },
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
                  ({action === 'unhide' ? 'Hidden' : action === 'unblock' ? 'Blocked' : action === 'unrestrict' ? 'Restricted' : 'Muted'} by {clip(by, 120)} · {fullTime(since.at)}.)
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
          {recording && (
            <label className="checkbox">
              <input type="checkbox" checked={doneOnNetwork} onChange={(e) => setDoneOnNetwork(e.target.checked)} required />
              <span>
                Done in the network's app: I have already {action === 'unrestrict' ? 'unrestricted' : 'unblocked'} {who} in the {network} app. Parley cannot do it there ({lacks}); this records it and sends nothing.
              </span>
            </label>
          )}
          {lacks && !recording ? (
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
          <DialogButtons disabled={(!!lacks && !(recording && doneOnNetwork)) || moderate.isPending} onCancel={onClose}>
            {moderate.isPending ? 'Working…' : text.title}
          </DialogButtons>
        </form>
      )}
    </Modal>
  );
}

const AUTHOR_ACTIONS = new Set(['block', 'unblock', 'restrict', 'unrestrict', 'mute', 'unmute']);

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
