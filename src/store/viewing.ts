/**
 * Viewing spans: when each agent had which conversation open, recorded from the
 * presence heartbeats (every 10 s from an open, visible conversation) so that
 * handling time can be measured (src/core/staffing/handlingTime.ts). Presence
 * itself stays in memory; this writes cheaply: one insert when a visit starts,
 * then its end moved forward at most every 30 s, and once more on leaving.
 *
 * Each process keeps its own open visits; if heartbeats of one visit reach two
 * processes, each records a span and the measurement takes their union. A visit
 * whose client vanished without saying so ends at its last written heartbeat
 * (at most 30 s early; the reply itself proves presence, see HandlingRules.gapMs).
 */
import { DEFAULT_HANDLING_RULES, handlingTimeOfReply, type HandlingRules, type HandlingTime, type ViewingSpan } from '../core/staffing/handlingTime.js';
import type { Store } from './db.js';
import type { Tx } from './util.js';

/** Move a visit's end forward in the database at most this often. */
export const WRITE_EVERY_MS = 30_000;
/** A heartbeat this soon after the previous one continues the visit (heartbeats come every 10 s). */
export const CONTINUE_WITHIN_MS = 25_000;

interface OpenVisit {
  id: Promise<number>;
  lastBeat: number;
  written: number;
}

export class ViewingLog {
  private readonly open = new Map<string, OpenVisit>();

  constructor(private readonly store: Store) {}

  /** A presence heartbeat (or `left`) of `userId` in a conversation, at `now`. */
  async beat(brandId: number, conversationId: number, userId: number, state: 'viewing' | 'typing' | 'left', now: number): Promise<void> {
    const key = `${userId}:${conversationId}`;
    const v = this.open.get(key);
    const live = v && now >= v.lastBeat && now - v.lastBeat <= CONTINUE_WITHIN_MS;
    if (state === 'left') {
      if (!v) return;
      this.open.delete(key);
      await this.moveEnd(v, live ? now : v.lastBeat);
      return;
    }
    if (v && live) {
      v.lastBeat = now;
      if (now - v.written >= WRITE_EVERY_MS) await this.moveEnd(v, now);
      return;
    }
    // a new visit (the previous one, if any, ended at its last heartbeat)
    const id = this.store.db
      .insertInto('viewing_span')
      .values({ brand_id: brandId, conversation_id: conversationId, user_id: userId, started_at: now, last_seen_at: now })
      .returning('id')
      .executeTakeFirstOrThrow()
      .then((r) => Number(r.id));
    this.open.set(key, { id, lastBeat: now, written: now });
    try {
      await id;
    } catch (err) {
      if (this.open.get(key)?.id === id) this.open.delete(key);
      throw err;
    }
    if (v) await this.moveEnd(v, v.lastBeat);
    if (this.open.size > 5_000) await this.prune(now);
  }

  /** Close visits whose heartbeats stopped (writing their last heartbeat). */
  async prune(now: number): Promise<void> {
    for (const [key, v] of this.open) {
      if (now - v.lastBeat <= CONTINUE_WITHIN_MS) continue;
      this.open.delete(key);
      await this.moveEnd(v, v.lastBeat);
    }
  }

  private async moveEnd(v: OpenVisit, to: number): Promise<void> {
    if (to <= v.written) return;
    v.written = to;
    const id = await v.id;
    await this.store.db.updateTable('viewing_span').set({ last_seen_at: to }).where('id', '=', id).where('last_seen_at', '<', to).execute();
  }
}

/** Visits are kept this long: a reply's handling time looks back at most 30 minutes, the rest is for audit. */
export const VIEWING_RETENTION_MS = 7 * 86_400_000;

/** Delete visits that ended before the retention period (run hourly); returns how many. */
export async function pruneViewingSpans(store: Store, now: number, keepMs = VIEWING_RETENTION_MS): Promise<number> {
  const r = await store.db.deleteFrom('viewing_span').where('last_seen_at', '<', now - keepMs).executeTakeFirst();
  return Number(r.numDeletedRows);
}

/**
 * Measure the handling time of a reply `userId` is writing now in `conversationId`
 * (call before inserting it): their visits around it, their previous reply there,
 * and the conversation's waiting clock.
 */
export async function measureReplyHandling(
  db: Tx,
  p: { userId: number; conversationId: number; at: number; waitingSince: number | null },
  rules: HandlingRules = DEFAULT_HANDLING_RULES,
): Promise<HandlingTime> {
  const prev = await db
    .selectFrom('message')
    .select('created_at')
    .where('conversation_id', '=', p.conversationId)
    .where('direction', '=', 'outbound')
    .where('author_user_id', '=', p.userId)
    .where('created_at', '<=', p.at)
    .where('created_at', '>', p.at - rules.capMs)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  const earliest = p.at - rules.capMs - rules.gapMs;
  const rows = await db
    .selectFrom('viewing_span')
    .select(['conversation_id', 'started_at', 'last_seen_at'])
    .where('user_id', '=', p.userId)
    .where('last_seen_at', '>=', earliest)
    .where('started_at', '<=', p.at)
    .execute();
  const spans: ViewingSpan[] = rows.map((r) => ({ conversationId: Number(r.conversation_id), startedAt: Number(r.started_at), lastSeenAt: Number(r.last_seen_at) }));
  return handlingTimeOfReply({ conversationId: p.conversationId, at: p.at, previousReplyAt: prev ? Number(prev.created_at) : null, waitingSince: p.waitingSince }, spans, rules);
}
