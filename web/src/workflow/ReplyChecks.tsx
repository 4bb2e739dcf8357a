/**
 * Reply checks in the composer: the server's checks run on the draft as the agent
 * types (debounced, the same run as before sending), shown by severity — blocks stop
 * the send button, warnings explain, hints stay quiet. Personal data in a public
 * reply offers "Take it private".
 */
import { useEffect, useRef, useState } from 'react';
import { ApiError } from '../api/client.js';
import type { ReplyCheck } from '../api/types.js';
import { runReplyChecks } from '../api/workflow.js';
import { SafeText } from '../lib/SafeText.js';
import { WarningIcon } from '../ui/bits.js';

export interface ChecksState {
  /** Results for `text` (null before the first run or when the draft is empty). */
  results: ReplyCheck[] | null;
  /** The draft these results are for. */
  forText: string;
  pending: boolean;
  /** Why checks could not run (they run again before sending anyway). */
  error: string | null;
}

const DEBOUNCE_MS = 350;

/** Debounced live checks for a draft; `enabled` false (notes) clears them. */
export function useReplyChecks(conversationId: number, text: string, visibility: 'public' | 'private', enabled: boolean): ChecksState {
  const [state, setState] = useState<ChecksState>({ results: null, forText: '', pending: false, error: null });
  const ctl = useRef<AbortController | null>(null);
  useEffect(() => {
    ctl.current?.abort();
    if (!enabled || text.trim() === '') {
      setState({ results: null, forText: text, pending: false, error: null });
      return;
    }
    setState((s) => ({ ...s, pending: true }));
    const c = new AbortController();
    ctl.current = c;
    const t = setTimeout(() => {
      runReplyChecks(conversationId, text, visibility, c.signal)
        .then((r) => {
          if (!c.signal.aborted) setState({ results: r.results, forText: text, pending: false, error: null });
        })
        .catch((err: unknown) => {
          if (c.signal.aborted || (err as Error).name === 'AbortError') return;
          setState({ results: null, forText: text, pending: false, error: err instanceof ApiError ? err.message : String(err) });
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(t);
      c.abort();
    };
  }, [conversationId, text, visibility, enabled]);
  return state;
}

export const blocking = (results: ReplyCheck[] | null | undefined) => (results ?? []).filter((r) => r.severity === 'block');

const SEVERITY_LABEL: Record<string, string> = { block: 'Blocks sending', warn: 'Check before sending', hint: 'Hint' };

/** The results under the draft: blocks and warnings prominent, hints quiet. */
export function ChecksList({ results, onTakePrivate, takingPrivate, visibility, id }: { results: ReplyCheck[]; onTakePrivate?: () => void; takingPrivate?: boolean; visibility: 'public' | 'private'; id?: string }) {
  if (!results.length) return null;
  const loud = results.filter((r) => r.severity !== 'hint');
  const quiet = results.filter((r) => r.severity === 'hint');
  return (
    <div className="checks" id={id}>
      {loud.length > 0 && (
        <ul className="plain-list checks-loud">
          {loud.map((r) => (
            <li key={r.code} className={`check check-${r.severity === 'block' ? 'block' : 'warn'}`} data-check={r.code}>
              <WarningIcon />
              <div className="check-text">
                <strong>
                  <span className="visually-hidden">{SEVERITY_LABEL[r.severity] ?? r.severity}: </span>
                  {r.message}
                </strong>
                {r.detail && <span className="check-detail"> — <SafeText text={r.detail} linkify={false} /></span>}
                {r.suggestion && r.code !== 'reply.personal_data' && (
                  <div className="check-suggestion">
                    <SafeText text={r.suggestion} linkify={false} />
                  </div>
                )}
                {r.code === 'reply.personal_data' && visibility === 'public' && onTakePrivate && (
                  <div className="check-actions">
                    <button type="button" className="btn btn-small btn-primary" onClick={onTakePrivate} disabled={takingPrivate}>
                      {takingPrivate ? 'Taking it private…' : 'Take it private'}
                    </button>
                    <span className="muted small">
                      Posts a short public reply inviting a private message
                      {typeof r.data?.privateOffer === 'string' ? (
                        <>
                          : “<SafeText text={r.data.privateOffer} linkify={false} />”
                        </>
                      ) : (
                        ''
                      )}{' '}
                      and keeps your draft for the private reply.
                    </span>
                  </div>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
      {quiet.length > 0 && (
        <p className="checks-quiet small">
          <span className="visually-hidden">Hints: </span>
          {quiet.map((r, i) => (
            <span key={r.code} className="check-hint" data-check={r.code} title={r.suggestion}>
              {i > 0 ? ' · ' : ''}
              {r.message}
            </span>
          ))}
        </p>
      )}
    </div>
  );
}
