/**
 * The incident report (GET /api/incidents/:id/report), opened from an incident's row on the
 * incidents page: what a lead shares after the fact — the timeline (detected or declared,
 * statement posted and updated, the next update promised — at the time promised —, resolved), the customers' messages per 15 minutes, people
 * affected, how many got a personal answer and how fast (median, p90), sentiment and
 * complaint share, and who is still unanswered (each a link to the conversation). CSV download
 * beside it. Laid out as wrapping figures, two-column tables and a list, so it reads at phone
 * width too.
 */
import { useQuery } from '@tanstack/react-query';
import { Link } from '@tanstack/react-router';
import { useEffect } from 'react';
import { api } from '../api/client.js';
import { fullTime } from '../lib/format.js';
import { SafeText } from '../lib/SafeText.js';

export interface IncidentReportData {
  incident: { id: number; title: string; status: string; reason: string; openedBy: string; openedAt: number; closedAt: number | null };
  timeline: { at: number; kind: 'detected' | 'declared' | 'statement_posted' | 'statement_updated' | 'next_update_promised' | 'resolved'; messageId?: number }[];
  volume: { start: number; messages: number }[];
  conversations: number;
  people: number;
  answered: number;
  firstResponse: { n: number; medianMin: number | null; p90Min: number | null };
  sentiment: { negative: number; neutral: number; positive: number; unknown: number };
  complaintShare: number | null;
  unanswered: { conversationId: number; status: string; since: number; contactId: number | null }[];
}

export const useIncidentReport = (id: number | null) =>
  useQuery({ queryKey: ['incident-report', id], queryFn: () => api<IncidentReportData>('GET', `/api/incidents/${id}/report`), enabled: id != null, staleTime: 15_000 });

const TIMELINE: Record<IncidentReportData['timeline'][number]['kind'], string> = {
  detected: 'Detected by the burst detector',
  declared: 'Declared',
  statement_posted: 'Statement posted',
  statement_updated: 'Statement updated',
  next_update_promised: 'Next update promised',
  resolved: 'Resolved (closed)',
};

const iso = (ms: number) => new Date(ms).toISOString();
/** Minutes as "12 min" or "1 h 05 min". */
export function minutesText(min: number | null): string {
  if (min == null) return '—';
  const m = Math.round(min);
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, '0')} min`;
}
const pct = (x: number | null) => (x == null ? '—' : `${Math.round(x * 100)} %`);

function Figure({ label, value, id }: { label: string; value: string; id: string }) {
  return (
    <div className="incident-report-figure" data-figure={id} style={{ minWidth: 130, flex: '1 1 130px' }}>
      <div className="muted small">{label}</div>
      <div style={{ fontSize: '1.4em', fontWeight: 600 }}>{value}</div>
    </div>
  );
}

/** The report of one incident, with a way back to the list. */
export function IncidentReportView({ incidentId, onBack }: { incidentId: number; onBack: () => void }) {
  const q = useIncidentReport(incidentId);
  const r = q.data;
  // opened from a row's button: focus moves to the report's heading (the list it replaced is gone)
  useEffect(() => document.getElementById('incident-report-title')?.focus(), [incidentId]);
  const peak = Math.max(1, ...(r?.volume ?? []).map((v) => v.messages));
  const triaged = r ? r.sentiment.negative + r.sentiment.neutral + r.sentiment.positive : 0;
  return (
    <section className="panel incident-report" aria-labelledby="incident-report-title" data-incident-report={incidentId}>
      <div className="row-gap" style={{ flexWrap: 'wrap', alignItems: 'center', justifyContent: 'space-between' }}>
        <h2 id="incident-report-title" tabIndex={-1} style={{ overflowWrap: 'anywhere' }}>
          Incident report{r ? ': ' : ''}
          {r && <SafeText text={r.incident.title} linkify={false} fold={false} />}
        </h2>
        <div className="row-gap" style={{ flexWrap: 'wrap' }}>
          <a className="btn btn-small" href={`/api/incidents/${incidentId}/report?format=csv`} download={`parley-incident-${incidentId}.csv`}>
            Download CSV
          </a>
          <button type="button" className="btn btn-small btn-ghost" onClick={onBack}>
            Back to incidents
          </button>
        </div>
      </div>
      {q.isError ? (
        <p className="field-error" role="alert">
          The report could not be loaded: {(q.error as Error).message}
        </p>
      ) : !r ? (
        <p className="muted">Loading…</p>
      ) : (
        <>
          <p className="muted small" style={{ overflowWrap: 'anywhere' }}>
            <SafeText text={r.incident.reason} linkify={false} /> · {r.incident.status === 'open' ? 'still open' : 'closed'}
          </p>
          <div className="incident-report-figures" style={{ display: 'flex', flexWrap: 'wrap', gap: 12, margin: '12px 0' }}>
            <Figure id="people" label="People affected" value={String(r.people)} />
            <Figure id="conversations" label="Conversations linked" value={String(r.conversations)} />
            <Figure id="answered" label="Answered personally" value={`${r.answered} of ${r.conversations}`} />
            <Figure id="median" label="First response, median" value={minutesText(r.firstResponse.medianMin)} />
            <Figure id="p90" label="First response, 90th percentile" value={minutesText(r.firstResponse.p90Min)} />
            <Figure id="negative" label="Negative messages" value={triaged ? pct(r.sentiment.negative / triaged) : '—'} />
            <Figure id="complaints" label="Complaints" value={pct(r.complaintShare)} />
          </div>

          <h3>Timeline</h3>
          <ol className="plain-list incident-timeline">
            {r.timeline.map((t, i) => (
              <li key={i} data-timeline={t.kind}>
                {t.kind === 'next_update_promised' ? (
                  // a promise, not an event: said as one, with the time it was promised for
                  <>
                    Next update promised for <time dateTime={iso(t.at)}>{fullTime(iso(t.at))}</time>
                  </>
                ) : (
                  <>
                    <time dateTime={iso(t.at)}>{fullTime(iso(t.at))}</time> — {TIMELINE[t.kind] ?? t.kind}
                  </>
                )}
              </li>
            ))}
          </ol>

          <h3>Customers' messages per 15 minutes</h3>
          {r.volume.length === 0 ? (
            <p className="muted">No customer messages linked.</p>
          ) : (
            <table className="data-table incident-volume">
              <thead>
                <tr>
                  <th scope="col">From</th>
                  <th scope="col">Messages</th>
                </tr>
              </thead>
              <tbody>
                {r.volume.map((v) => (
                  <tr key={v.start} data-bucket={iso(v.start)}>
                    <td className="small">
                      <time dateTime={iso(v.start)}>{fullTime(iso(v.start))}</time>
                    </td>
                    <td>
                      <span style={{ display: 'inline-block', minWidth: '2ch' }}>{v.messages}</span>{' '}
                      <span aria-hidden="true" style={{ display: 'inline-block', verticalAlign: 'middle', height: 8, width: `${Math.round((v.messages / peak) * 100)}px`, maxWidth: '40vw', background: 'var(--accent, #36c)', borderRadius: 2 }} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}

          <h3>Sentiment</h3>
          <p className="small" data-sentiment>
            {r.sentiment.negative} negative · {r.sentiment.neutral} neutral · {r.sentiment.positive} positive · {r.sentiment.unknown} not triaged
          </p>

          <h3>Still unanswered ({r.unanswered.length})</h3>
          {r.unanswered.length === 0 ? (
            <p className="muted">Everyone got a personal answer.</p>
          ) : (
            <ul className="plain-list incident-unanswered">
              {r.unanswered.map((u) => (
                <li key={u.conversationId} data-unanswered={u.conversationId}>
                  <Link to="/inbox/$view" params={{ view: 'all' }} search={{ c: u.conversationId }}>
                    Conversation #{u.conversationId}
                  </Link>{' '}
                  <span className="muted small">
                    waiting since <time dateTime={iso(u.since)}>{fullTime(iso(u.since))}</time> · {u.status}
                  </span>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
