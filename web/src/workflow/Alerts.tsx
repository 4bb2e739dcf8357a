/**
 * Live alerts in a strip under the top bar (never covering what the agent works on):
 * SLA breaches and warnings, sign-off outcomes and statements to sign off, questions for
 * experts and those left unanswered past their target. Breaches and
 * rejections stay until dismissed; the rest fade after a while. Each can open its
 * conversation. The newest three show; older ones wait behind a count.
 */
import { useEffect } from 'react';
import { dismissAlert, useAlerts, type LiveAlert } from './live.js';
import { announce } from '../ui/Announcer.js';
import { clip } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';

export function LiveAlerts({ onOpenConversation }: { onOpenConversation: (id: number) => void }) {
  const alerts = useAlerts();
  if (!alerts.length) return null;
  const shown = alerts.slice(-3).reverse();
  const hidden = alerts.length - shown.length;
  return (
    <div className="live-alerts" aria-label="Alerts" role="region">
      {shown.map((a) => (
        <AlertItem key={a.id} a={a} onOpen={onOpenConversation} />
      ))}
      {hidden > 0 && <p className="live-alerts-more small">and {hidden} older alert{hidden > 1 ? 's' : ''}</p>}
    </div>
  );
}

function AlertItem({ a, onOpen }: { a: LiveAlert; onOpen: (id: number) => void }) {
  // A breach or a refusal interrupts (role alert); the rest, SLA warnings included, are said
  // politely through the app's live region (a status region inserted with its text is often
  // not read at all), and none of them takes focus.
  const urgent = a.tone === 'danger';
  useEffect(() => {
    if (!urgent) announce(`${clip(a.title, 200)}${a.body ? ` — ${clip(a.body, 240)}` : ''}`);
  }, [a.id]); // eslint-disable-line react-hooks/exhaustive-deps
  return (
    <div className={`live-alert alert-${a.tone}`} role={urgent ? 'alert' : undefined} data-kind={a.kind}>
      <div className="live-alert-text">
        <strong>{clip(a.title, 200)}</strong>
        {a.body && (
          <span className="small live-alert-body">
            {' — '}
            <SafeText text={clip(a.body, 240)} linkify={false} />
          </span>
        )}
      </div>
      <div className="live-alert-actions">
        {a.conversationId != null && (
          <button
            type="button"
            className="btn btn-small"
            onClick={() => {
              onOpen(a.conversationId!);
              dismissAlert(a.id);
            }}
          >
            Open
          </button>
        )}
        <button type="button" className="icon-button" aria-label={`Dismiss: ${clip(a.title, 80)}`} onClick={() => dismissAlert(a.id)}>
          ×
        </button>
      </div>
    </div>
  );
}
