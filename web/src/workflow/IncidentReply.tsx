/**
 * The suggested personal reply in a conversation linked to an incident with a posted statement
 * (GET /api/conversations/:id/incident-reply): greets the customer, acknowledges their case,
 * carries the statement's key facts and fits the network. "Use in reply" puts it in the reply
 * draft the same way an expert's answer goes there (`insertIntoReply`): the agent edits it in
 * their own words; it is never sent by itself. Nothing is shown when there is no suggestion.
 * On a narrow conversation (a phone) the card sits behind "Customer & activity", in place of
 * the thread and composer: "Use in reply" goes back to them, so the draft is seen, focused.
 */
import { useRef } from 'react';
import { useQuery } from '@tanstack/react-query';
import { api } from '../api/client.js';
import { insertIntoReply } from '../conversation/Composer.js';
import { SafeText } from '../lib/SafeText.js';
import { useToast } from '../ui/Toasts.js';

export interface IncidentReplySuggestion {
  incidentId: number;
  incidentTitle: string;
  statementMessageId: number;
  suggestion: { text: string; language: string; facts: string[]; factsDropped: number; length: number; limit: number };
}

export const useIncidentReply = (conversationId: number, incidentId: number | null | undefined) =>
  useQuery({
    queryKey: ['incident-reply', conversationId, incidentId ?? null],
    queryFn: async () => (await api<{ suggestion: IncidentReplySuggestion | null }>('GET', `/api/conversations/${conversationId}/incident-reply`)).suggestion,
    enabled: incidentId != null,
    staleTime: 30_000,
  });

/** The card in the conversation's side column; `incidentId` is the conversation's (nothing when null). */
export function IncidentReplyCard({ conversationId, incidentId }: { conversationId: number; incidentId: number | null | undefined }) {
  const q = useIncidentReply(conversationId, incidentId);
  const toast = useToast();
  const card = useRef<HTMLElement>(null);
  const s = incidentId != null ? q.data : null;
  if (!s) return null;
  const use = () => {
    // the pane's own toggle, when the side column is shown instead of the thread (narrow): back to the composer
    const backToThread = card.current?.closest('.conversation')?.querySelector<HTMLButtonElement>('.aside-toggle[aria-expanded="true"]');
    if (insertIntoReply(conversationId, s.suggestion.text)) {
      backToThread?.click();
      toast('The suggestion is in your reply: make it personal before you send');
    } else toast('Open the reply box to use the suggestion', 'error');
  };
  return (
    <section ref={card} className="card incident-reply-card" aria-labelledby={`incident-reply-${conversationId}`} data-incident-reply={s.incidentId}>
      <div className="card-head">
        <h2 id={`incident-reply-${conversationId}`}>Suggested reply</h2>
      </div>
      <p className="muted small" style={{ overflowWrap: 'anywhere' }}>
        From the statement on <SafeText text={s.incidentTitle} linkify={false} fold={false} /> — answer them personally; it is not sent by itself.
      </p>
      <blockquote className="incident-reply-text" dir="auto" style={{ margin: '4px 0 6px', paddingLeft: 8, borderLeft: '3px solid var(--border)', whiteSpace: 'pre-wrap', overflowWrap: 'anywhere' }}>
        <SafeText text={s.suggestion.text} fold={false} />
      </blockquote>
      <p className="muted small">
        {s.suggestion.length} / {s.suggestion.limit}
        {s.suggestion.factsDropped > 0 ? ` · ${s.suggestion.factsDropped} more ${s.suggestion.factsDropped === 1 ? 'fact' : 'facts'} of the statement did not fit` : ''}
      </p>
      <button type="button" className="btn btn-small" onClick={use} title="Adds the suggestion to your reply draft, to edit in your own words; nothing is sent">
        Use in reply
      </button>
    </section>
  );
}
