/**
 * Live events, scoped to a brand. The server's SSE endpoint subscribes here;
 * commands and the ingest pipeline publish after their transaction commits.
 * A bounded ring buffer per brand lets a reconnecting client resume from its
 * Last-Event-ID. With several processes on PostgreSQL, a bridge relays events
 * between processes (see ./pgBridge.ts) through `publishRemote`.
 */

export interface LiveEvent {
  /** Monotonic per process; SSE `id:`. */
  id: number;
  brandId: number;
  type: string;
  data: unknown;
  at: number;
  /** Only these users receive it (e.g. notifications); undefined = the whole brand. */
  userIds?: number[];
}

type Listener = (e: LiveEvent) => void;

/** The event erasure publishes last, once a person's traces are gone from the database. */
const isErasure = (e: Omit<LiveEvent, 'id'>) => e.type === 'contact.updated' && (e.data as { erased?: unknown } | null)?.erased === true;

export interface PublishOptions {
  userIds?: number[];
}

export class EventBus {
  /** Starts from the wall clock so ids keep growing across restarts; an id from before a restart is then "too old". */
  private readonly firstId = Date.now() * 1000;
  private seq = this.firstId;
  private readonly trimmedUpTo = new Map<number, number>();
  private readonly listeners = new Map<number, Set<Listener>>();
  private readonly recentByBrand = new Map<number, LiveEvent[]>();
  /** Called for locally published events, so a bridge can forward them. */
  onLocalPublish: ((e: Omit<LiveEvent, 'id'>) => void) | null = null;
  private readonly reactions = new Map<string, Set<Listener>>();

  constructor(private readonly keep = 2000) {}

  publish(brandId: number, type: string, data: unknown, opts: PublishOptions = {}): LiveEvent {
    const e = this.deliver({ brandId, type, data, at: Date.now(), userIds: opts.userIds });
    this.onLocalPublish?.({ brandId, type, data, at: e.at, userIds: opts.userIds });
    const rs = this.reactions.get(type);
    if (rs) for (const r of rs) {
      try {
        r(e);
      } catch {
        /* a reaction's failure is its own (it logs); the publisher has committed */
      }
    }
    return e;
  }

  /**
   * React, in this process, to every event of a type published here (not to those relayed
   * from another process: they were reacted to where they were published). This is how work
   * that follows a command's commit reaches another part of the desk without the command
   * knowing it: a triage correction re-evaluates the conversation's SLA clocks.
   */
  onPublished(type: string, reaction: Listener): () => void {
    let rs = this.reactions.get(type);
    if (!rs) this.reactions.set(type, (rs = new Set()));
    rs.add(reaction);
    return () => {
      rs!.delete(reaction);
    };
  }

  /** An event that another process published (via the bridge): deliver, do not forward again. */
  publishRemote(e: Omit<LiveEvent, 'id'>): LiveEvent {
    return this.deliver(e);
  }

  /**
   * Tell every client of this process to refetch what it shows (a `reset` event per brand with
   * subscribers): events from other processes may have been missed (the bridge lost its
   * connection), and the client cannot tell which. Delivered here only, never forwarded.
   */
  resetAll(): void {
    for (const [brandId, ls] of this.listeners) if (ls.size) this.deliver({ brandId, type: 'reset', data: {}, at: Date.now() });
  }

  private deliver(e: Omit<LiveEvent, 'id'>): LiveEvent {
    // a person erased (src/commands/erase.ts, published after its commit, relayed to every
    // process): the brand's events kept for resumption still carry what was erased, so they go,
    // and a client resuming from before this point refetches instead (`since` answers null)
    if (isErasure(e)) {
      this.recentByBrand.set(e.brandId, []);
      this.trimmedUpTo.set(e.brandId, this.seq);
    }
    const ev: LiveEvent = { ...e, id: ++this.seq };
    let recent = this.recentByBrand.get(ev.brandId);
    if (!recent) this.recentByBrand.set(ev.brandId, (recent = []));
    recent.push(ev);
    if (recent.length > this.keep * 1.5) {
      const dropped = recent.splice(0, recent.length - this.keep);
      this.trimmedUpTo.set(ev.brandId, dropped[dropped.length - 1]!.id);
    }
    const ls = this.listeners.get(ev.brandId);
    if (ls) for (const l of ls) {
      try {
        l(ev);
      } catch {
        /* one broken listener must not stop the others */
      }
    }
    return ev;
  }

  subscribe(brandId: number, listener: Listener): () => void {
    let ls = this.listeners.get(brandId);
    if (!ls) this.listeners.set(brandId, (ls = new Set()));
    ls.add(listener);
    return () => {
      ls!.delete(listener);
    };
  }

  /**
   * Events after `lastId` still in the buffer; null when the client missed more
   * than the buffer holds (or the id predates this process, or an erasure since): it must refetch.
   */
  since(brandId: number, lastId: number): LiveEvent[] | null {
    // an id this process never gave (another process's, after a reconnect through the load
    // balancer; or one from before a restart): what was missed is unknown, so the client resets
    if (lastId < this.firstId || lastId > this.seq || lastId < (this.trimmedUpTo.get(brandId) ?? 0)) return null;
    return (this.recentByBrand.get(brandId) ?? []).filter((e) => e.id > lastId);
  }

  /** The id of the last event delivered in this process (a subscriber joining now gets only later ones). */
  lastId(): number {
    return this.seq;
  }

  listenerCount(): number {
    let n = 0;
    for (const s of this.listeners.values()) n += s.size;
    return n;
  }
}
