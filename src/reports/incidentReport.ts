/**
 * The incident report: what a lead shares after a mass problem. For one incident: its timeline
 * (detected or declared, each statement posted — the first "posted", later ones "updated" —,
 * resolved, and the next update promised with a statement, at the time it was promised for), the customers' volume per 15-minute bucket, how many people wrote (distinct
 * authors), how many got a personal answer and how fast (first-response time, median and p90,
 * with the same percentile definition as the response-time reports), the sentiment and
 * complaint share of what they wrote, and who is still unanswered.
 *
 * Read from stored facts and messages on SQLite and PostgreSQL along the index paths: the
 * linked conversations by `conversation_incident` (incident_id), their messages by
 * `message_conversation`, and their `first_response` facts by `reporting_fact_message`
 * (message_id) — never a scan of the brand's facts. A conversation's personal answer is its
 * earliest `first_response` fact (auto-acknowledgements never write one).
 */
import { csvCell } from '../store/auditQueries.js';
import type { Store } from '../store/db.js';
import { chunks } from '../store/util.js';
import { durationStats } from './reports.js';

export const BUCKET_MS = 15 * 60_000;
/** At most this many volume buckets (a month of 15-minute buckets); a longer incident shows its first month. */
export const MAX_BUCKETS = 2976;
const CHUNK = 500;

export interface IncidentTimelineEntry {
  at: number;
  /** `next_update_promised`: the next update the brand said is due (`incident.next_update_at`), at that time. */
  kind: 'detected' | 'declared' | 'statement_posted' | 'statement_updated' | 'next_update_promised' | 'resolved';
  /** The statement's message, for statement entries. */
  messageId?: number;
}

export interface IncidentReport {
  incident: { id: number; title: string; status: string; reason: string; openedBy: string; openedAt: number; closedAt: number | null };
  timeline: IncidentTimelineEntry[];
  /** Customers' messages in the linked conversations per 15-minute bucket, from the first bucket with one to the last (zeros between). */
  volume: { start: number; messages: number }[];
  conversations: number;
  /** Distinct authors of the customers' messages. */
  people: number;
  /** Linked conversations with a personal answer (a first response from a person). */
  answered: number;
  firstResponse: { n: number; medianMin: number | null; p90Min: number | null };
  /** Customers' messages by triage sentiment; `unknown` when not triaged. */
  sentiment: { negative: number; neutral: number; positive: number; unknown: number };
  /** Share of the triaged customers' messages that are complaints (null when none is triaged). */
  complaintShare: number | null;
  /** Linked conversations with no personal answer yet, oldest first. */
  unanswered: { conversationId: number; status: string; since: number; contactId: number | null }[];
}

/** The report of one incident of the brand, or null when the brand has no such incident. */
export async function incidentReport(store: Store, brandId: number, incidentId: number): Promise<IncidentReport | null> {
  const { db } = store;
  const inc = await db.selectFrom('incident').selectAll().where('id', '=', incidentId).where('brand_id', '=', brandId).executeTakeFirst();
  if (!inc) return null;
  const convs = await db.selectFrom('conversation').select(['id', 'contact_id', 'status', 'created_at']).where('incident_id', '=', incidentId).where('brand_id', '=', brandId).execute();
  const customers = convs.filter((c) => c.contact_id != null);
  const statementConvs = convs.filter((c) => c.contact_id == null).map((c) => c.id);

  // statements posted: the sent ones, at the time the outbox posted them
  const statements = statementConvs.length
    ? await db.selectFrom('message').leftJoin('outbox', 'outbox.message_id', 'message.id').select(['message.id as id', 'message.created_at as created_at', 'outbox.sent_at as sent_at']).where('message.conversation_id', 'in', statementConvs).where('message.kind', '=', 'post').where('message.status', '=', 'sent').execute()
    : [];
  const timeline: IncidentTimelineEntry[] = [{ at: Number(inc.opened_at), kind: inc.opened_by === 'detector' ? 'detected' : 'declared' }];
  const posted = statements.map((s) => ({ at: Number(s.sent_at ?? s.created_at), id: Number(s.id) })).sort((a, b) => a.at - b.at || a.id - b.id);
  posted.forEach((s, i) => timeline.push({ at: s.at, kind: i === 0 ? 'statement_posted' : 'statement_updated', messageId: s.id }));
  if (inc.next_update_at != null) timeline.push({ at: Number(inc.next_update_at), kind: 'next_update_promised' });
  if (inc.closed_at != null) timeline.push({ at: Number(inc.closed_at), kind: 'resolved' });
  timeline.sort((a, b) => a.at - b.at);

  // the customers' messages (inbound, not the desk's), through message_conversation
  const inbound: { id: number; conversation_id: number; created_at: number; author_identity_id: number | null; sentiment: string | null; complaint: number | null }[] = [];
  const replies: number[] = [];
  for (const ids of chunks(customers.map((c) => c.id), CHUNK)) {
    const rows = await db.selectFrom('message').select(['id', 'conversation_id', 'created_at', 'author_identity_id', 'sentiment', 'complaint', 'direction', 'is_auto']).where('conversation_id', 'in', ids).execute();
    for (const r of rows) {
      if (r.direction === 'inbound') inbound.push({ id: Number(r.id), conversation_id: Number(r.conversation_id), created_at: Number(r.created_at), author_identity_id: r.author_identity_id == null ? null : Number(r.author_identity_id), sentiment: r.sentiment, complaint: r.complaint == null ? null : Number(r.complaint) });
      else replies.push(Number(r.id));
    }
  }

  // first responses, through reporting_fact_message: the earliest per conversation
  const first = new Map<number, { at: number; s: number }>();
  const customerIds = new Set(customers.map((c) => c.id));
  for (const ids of chunks([...inbound.map((m) => m.id), ...replies], CHUNK)) {
    const facts = await db.selectFrom('reporting_fact').select(['conversation_id', 'occurred_at', 'value_s']).where('message_id', 'in', ids).where('kind', '=', 'first_response').where('brand_id', '=', brandId).execute();
    for (const f of facts) {
      const conv = Number(f.conversation_id);
      if (!customerIds.has(conv) || f.value_s == null) continue;
      const had = first.get(conv);
      if (!had || Number(f.occurred_at) < had.at) first.set(conv, { at: Number(f.occurred_at), s: Number(f.value_s) });
    }
  }
  const stats = durationStats([...first.values()].map((f) => f.s / 60));

  const buckets = new Map<number, number>();
  for (const m of inbound) {
    const b = Math.floor(m.created_at / BUCKET_MS) * BUCKET_MS;
    buckets.set(b, (buckets.get(b) ?? 0) + 1);
  }
  const volume: IncidentReport['volume'] = [];
  if (buckets.size) {
    const lo = Math.min(...buckets.keys());
    const hi = Math.min(Math.max(...buckets.keys()), lo + (MAX_BUCKETS - 1) * BUCKET_MS);
    for (let b = lo; b <= hi; b += BUCKET_MS) volume.push({ start: b, messages: buckets.get(b) ?? 0 });
  }

  const sentiment = { negative: 0, neutral: 0, positive: 0, unknown: 0 };
  let triaged = 0;
  let complaints = 0;
  for (const m of inbound) {
    const k = m.sentiment === 'negative' || m.sentiment === 'neutral' || m.sentiment === 'positive' ? m.sentiment : 'unknown';
    sentiment[k]++;
    if (m.complaint != null) {
      triaged++;
      complaints += m.complaint ? 1 : 0;
    }
  }
  const firstInbound = new Map<number, number>();
  for (const m of inbound) firstInbound.set(m.conversation_id, Math.min(firstInbound.get(m.conversation_id) ?? Infinity, m.created_at));
  const unanswered = customers
    .filter((c) => !first.has(c.id))
    .map((c) => ({ conversationId: c.id, status: c.status, since: firstInbound.get(c.id) ?? Number(c.created_at), contactId: c.contact_id }))
    .sort((a, b) => a.since - b.since || a.conversationId - b.conversationId);

  return {
    incident: { id: inc.id, title: inc.title, status: inc.status, reason: inc.reason, openedBy: inc.opened_by, openedAt: Number(inc.opened_at), closedAt: inc.closed_at == null ? null : Number(inc.closed_at) },
    timeline,
    volume,
    conversations: customers.length,
    people: new Set(inbound.map((m) => m.author_identity_id).filter((x) => x != null)).size,
    answered: first.size,
    firstResponse: { n: stats.n, medianMin: stats.median_min, p90Min: stats.p90_min },
    sentiment,
    complaintShare: triaged ? complaints / triaged : null,
    unanswered,
  };
}

/** The report as CSV (RFC 4180; formula-looking cells neutralised): one `section,key,value` row per figure, timeline entry, bucket and unanswered conversation. */
export function incidentReportCsv(r: IncidentReport): string {
  const iso = (ms: number | null) => (ms == null ? '' : new Date(ms).toISOString());
  const rows: [string, string, unknown][] = [
    ['incident', 'id', r.incident.id], ['incident', 'title', r.incident.title], ['incident', 'status', r.incident.status], ['incident', 'opened_at', iso(r.incident.openedAt)], ['incident', 'closed_at', iso(r.incident.closedAt)],
    ['summary', 'conversations', r.conversations], ['summary', 'people', r.people], ['summary', 'answered', r.answered], ['summary', 'unanswered', r.unanswered.length],
    ['summary', 'first_response_median_min', r.firstResponse.medianMin], ['summary', 'first_response_p90_min', r.firstResponse.p90Min],
    ['summary', 'sentiment_negative', r.sentiment.negative], ['summary', 'sentiment_neutral', r.sentiment.neutral], ['summary', 'sentiment_positive', r.sentiment.positive], ['summary', 'sentiment_unknown', r.sentiment.unknown], ['summary', 'complaint_share', r.complaintShare],
    ...r.timeline.map((t): [string, string, unknown] => ['timeline', t.kind, iso(t.at)]),
    ...r.volume.map((v): [string, string, unknown] => ['volume_15min', iso(v.start), v.messages]),
    ...r.unanswered.map((u): [string, string, unknown] => ['unanswered', String(u.conversationId), `${u.status} since ${iso(u.since)}`]),
  ];
  return ['section,key,value', ...rows.map((row) => row.map(csvCell).join(','))].join('\r\n') + '\r\n';
}
