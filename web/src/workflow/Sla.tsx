/**
 * SLA in the inbox: a badge with a live countdown (list rows and the conversation
 * header), and the conversation's clocks (first response, next response, resolution).
 *
 * The server's `slaState` is the authority (it knows business hours and pauses); the
 * countdown comes from `slaDueAt`. A clock past due shows as breached even before the
 * server's sweep says so, and a server warning shows even when the local clock disagrees.
 */
import { useEffect, useState } from 'react';
import type { Conversation, SlaClockView } from '../api/types.js';
import { useSlaClocks } from '../api/workflow.js';
import { duration, fullTime, shortAgo } from '../lib/format.js';
import { clockRowView } from './slaClockView.js';

export type SlaTone = 'breached' | 'warning' | 'soon' | 'ok' | 'paused' | 'met';

export interface SlaView {
  tone: SlaTone;
  /** Short text for dense rows. */
  short: string;
  /** Full sentence for the header and screen readers. */
  long: string;
  dueInMs: number | null;
}

const SOON_MS = 15 * 60_000;

/** What to show for a conversation's SLA at `now` (null: nothing to show). */
export function slaView(c: Pick<Conversation, 'slaDueAt' | 'slaState' | 'status'>, now: number): SlaView | null {
  if (c.status === 'resolved') return null;
  const due = c.slaDueAt ? Date.parse(c.slaDueAt) - now : null;
  const state = c.slaState;
  if (due == null) {
    if (state === 'breached') return { tone: 'breached', short: 'SLA breached', long: 'SLA breached', dueInMs: null };
    if (state === 'paused') return { tone: 'paused', short: 'SLA paused', long: 'SLA paused while waiting on the customer', dueInMs: null };
    return null;
  }
  if (state === 'breached' || due < 0) {
    const over = due < 0 ? ` ${duration(due)}` : '';
    return { tone: 'breached', short: due < 0 ? `Overdue${over}` : 'SLA breached', long: due < 0 ? `SLA breached: overdue by${over}` : 'SLA breached', dueInMs: due };
  }
  if (state === 'warning') return { tone: 'warning', short: `Due ${duration(due)}`, long: `SLA warning: due in ${duration(due)}`, dueInMs: due };
  if (state === 'paused') return { tone: 'paused', short: 'SLA paused', long: 'SLA paused while waiting on the customer', dueInMs: due };
  if (due < SOON_MS) return { tone: 'soon', short: `Due ${duration(due)}`, long: `SLA due in ${duration(due)}`, dueInMs: due };
  return { tone: 'ok', short: `Due ${duration(due)}`, long: `SLA due in ${duration(due)}`, dueInMs: due };
}

/** What a screen reader hears before the badge's short text (which says only "Due 7m"). */
const TONE_WORDS: Record<SlaTone, string> = { breached: 'SLA breached: ', warning: 'SLA warning: ', soon: 'SLA: ', ok: 'SLA: ', paused: '', met: 'SLA met: ' };

const TONE_CLASS: Record<SlaTone, string> = { breached: 'sla-over', warning: 'sla-warn', soon: 'sla-soon', ok: 'sla-ok', paused: 'sla-paused', met: 'sla-ok' };

/** The badge in a list row (re-rendered by the list's shared 30-second clock). */
export function SlaBadge({ conversation, now }: { conversation: Pick<Conversation, 'slaDueAt' | 'slaState' | 'status'>; now: number }) {
  const v = slaView(conversation, now);
  if (!v) return null;
  return (
    <span className={`badge sla ${TONE_CLASS[v.tone]}`} data-sla={v.tone} title={`${v.long}${conversation.slaDueAt ? ` (due ${fullTime(conversation.slaDueAt)})` : ''}`}>
      {v.tone === 'breached' && <span aria-hidden="true">⚠ </span>}
      {/* a warning is not told by its colour alone: a mark to see, words to hear */}
      {v.tone === 'warning' && <span aria-hidden="true">⏰ </span>}
      {!v.short.startsWith('SLA') && <span className="visually-hidden">{TONE_WORDS[v.tone]}</span>}
      {v.short}
    </span>
  );
}

/** A clock that ticks every `ms` while mounted. */
export function useTick(ms: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

/** "just now", "5m ago", "3h ago". */
export function agoText(iso: string | null | undefined, now: number): string {
  const s = shortAgo(iso, now);
  return !s ? '' : s === 'now' ? 'just now' : /\d[mhd]$/.test(s) ? `${s} ago` : `on ${s}`;
}

/** "4:05" under an hour, else "1h 5m". */
function countdown(ms: number): string {
  const a = Math.abs(ms);
  if (a >= 3600_000) return duration(ms);
  const s = Math.floor(a / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** The header badge: a countdown to the second. */
export function SlaCountdown({ conversation }: { conversation: Pick<Conversation, 'slaDueAt' | 'slaState' | 'status'> }) {
  const now = useTick(1000);
  const v = slaView(conversation, now);
  if (!v) return null;
  const text =
    v.dueInMs == null
      ? v.long
      : v.tone === 'breached'
        ? v.dueInMs < 0
          ? `SLA breached · ${countdown(v.dueInMs)} over`
          : 'SLA breached'
        : `${v.tone === 'warning' ? 'SLA warning · ' : 'SLA '}due in ${countdown(v.dueInMs)}`;
  return (
    <span className={`badge sla sla-head ${TONE_CLASS[v.tone]}`} data-sla={v.tone} title={conversation.slaDueAt ? `Due ${fullTime(conversation.slaDueAt)}` : undefined}>
      {(v.tone === 'breached' || v.tone === 'warning') && <span aria-hidden="true">⚠ </span>}
      <span aria-hidden="true">{text}</span>
      {/* screen readers get the state, not a number that changes every second */}
      <span className="visually-hidden">{v.long}</span>
    </span>
  );
}

const METRIC: Record<string, string> = { first_response: 'First response', next_response: 'Next response', resolution: 'Resolution' };
const STATE: Record<string, string> = { active: 'Running', warning: 'Warning', breached: 'Breached', met: 'Met', paused: 'Paused' };

/** The conversation's SLA clocks, for the side panel. */
export function SlaClocks({ conversationId }: { conversationId: number }) {
  const q = useSlaClocks(conversationId);
  const now = useTick(15_000);
  const clocks = q.data ?? [];
  return (
    <section className="card sla-card" aria-labelledby="sla-title">
      <h2 id="sla-title">Service level</h2>
      {q.isError ? (
        <p className="muted small">SLA clocks are not available: {(q.error as Error).message}</p>
      ) : clocks.length === 0 ? (
        <p className="muted small">{q.isPending ? 'Loading…' : 'No clock is running for this conversation.'}</p>
      ) : (
        <ul className="plain-list sla-clocks">
          {clocks.map((k) => (
            <ClockRow key={`${k.metric}:${k.cycle}`} k={k} now={now} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ClockRow({ k, now }: { k: SlaClockView; now: number }) {
  const { state, when } = clockRowView(k, now);
  const tone = state === 'breached' ? 'sla-over' : state === 'warning' ? 'sla-warn' : state === 'met' ? 'sla-ok' : state === 'paused' ? 'sla-paused' : 'sla-ok';
  return (
    <li className="sla-clock">
      <span className="sla-clock-name">
        {METRIC[k.metric] ?? k.metric}
        {k.cycle > 1 ? ` (cycle ${k.cycle})` : ''}
      </span>
      <span className={`badge ${tone}`}>{STATE[state] ?? state}</span>
      <span className="muted small sla-clock-when">
        {when}
        {' · target '}
        {duration(k.targetMs)}
        {k.businessHours ? ' (business hours)' : ''}
      </span>
    </li>
  );
}
