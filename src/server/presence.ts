/**
 * Who is looking at or typing in a conversation right now. In memory, with a
 * short TTL refreshed by the clients' heartbeats; changes go out as live events.
 * A person whose session ends leaves every conversation at once (`leaveAll`, from the live
 * streams' session check: routes/events.ts).
 */
import type { EventBus } from '../events/bus.js';

export type PresenceState = 'viewing' | 'typing';

interface Entry {
  userId: number;
  name: string;
  state: PresenceState;
  until: number;
}

export class Presence {
  private readonly byConversation = new Map<string, Map<number, Entry>>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly bus: EventBus, private readonly now: () => number, private readonly ttlMs = 20_000) {}

  start(): void {
    this.timer = setInterval(() => this.expire(), 5_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  set(brandId: number, conversationId: number, user: { id: number; name: string }, state: PresenceState | 'left'): void {
    const key = `${brandId}:${conversationId}`;
    let m = this.byConversation.get(key);
    if (!m) this.byConversation.set(key, (m = new Map()));
    const prev = m.get(user.id);
    if (state === 'left') m.delete(user.id);
    else m.set(user.id, { userId: user.id, name: user.name, state, until: this.now() + this.ttlMs });
    if (!prev || state === 'left' || prev.state !== state) this.publish(brandId, conversationId);
  }

  /**
   * This person is no longer in any conversation of the brand (their session ended: signed out,
   * disabled, ...): gone now for their colleagues, not when their heartbeats would have timed out.
   */
  leaveAll(brandId: number, userId: number): void {
    const prefix = `${brandId}:`;
    for (const [key, m] of this.byConversation) {
      if (!key.startsWith(prefix) || !m.delete(userId)) continue;
      if (!m.size) this.byConversation.delete(key);
      this.publish(brandId, Number(key.slice(prefix.length)));
    }
  }

  list(brandId: number, conversationId: number) {
    const m = this.byConversation.get(`${brandId}:${conversationId}`);
    const now = this.now();
    return m ? [...m.values()].filter((e) => e.until > now).map(({ userId, name, state }) => ({ userId, name, state })) : [];
  }

  private publish(brandId: number, conversationId: number) {
    this.bus.publish(brandId, 'presence', { conversationId, users: this.list(brandId, conversationId) });
  }

  private expire() {
    const now = this.now();
    for (const [key, m] of this.byConversation) {
      let changed = false;
      for (const [uid, e] of m) if (e.until <= now) (m.delete(uid), (changed = true));
      const [brandId, conversationId] = key.split(':').map(Number) as [number, number];
      if (changed) this.publish(brandId, conversationId);
      if (!m.size) this.byConversation.delete(key);
    }
  }
}
