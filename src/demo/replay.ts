/**
 * Replays the bundled TWCS excerpt as live traffic: customers' tweets and the
 * brands' own replies arrive in recorded order, time-compressed (`speed`× with
 * long silences capped), stamped with the current time. Progress is saved after
 * every stored batch, so a restart resumes where it stopped; items are
 * deduplicated on their network id, so a batch replayed twice is stored once.
 * When the excerpt runs out it starts over as a new "pass" (ids get a suffix),
 * so a demo desk never goes quiet — unless `once` is set.
 *
 * The brand's team wraps up as the recorded one did (`wrapUp`): a replayed conversation whose
 * recorded thread has ended, that the brand answered (its recorded replies are its answers) and
 * that nobody at the desk touched, is put to waiting-on-customer at once when the brand had the
 * last word, and resolved once it has been quiet for RESOLVE_AFTER_RECORDED_MS of recorded time.
 * Both go through the desk's own status command, as the demo actor `system:demo-replay`
 * (DEMO_REPLAY_ACTOR), so audit, live events, SLA clocks, routing and reports see what they see
 * for a person's change. Conversations the desk's people touched (assigned by hand, a note, a
 * reply or draft for sign-off, any command of theirs in the audit trail) are theirs and left
 * alone; one somebody has open right now waits until they leave. So the open backlog stays
 * that of the conversations in flight (measured in test/demo-replay-wrapup.test.ts), instead of
 * growing by every pass's ~470 conversations.
 */
import type { IngestItem } from '../pipeline/ingest.js';
import type { IngestQueue } from '../pipeline/queue.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/db.js';
import { ConversationCommands } from '../commands/conversations.js';
import { systemActor, type Actor } from '../commands/context.js';
import { EventBus } from '../events/bus.js';
import { readTwcs, tweetToMessage, TwcsAttribution, type TwcsTweet } from '../import/twcs.js';
import { conversationRoots } from './history.js';
import { DEMO_FILE } from './seed.js';

/** The audit actor of the demo team's wrap-up (never a real person): `system:demo-replay`. */
export const DEMO_REPLAY_ACTOR = 'demo-replay';
/**
 * How long (recorded time, so `speed`× shorter in real time) a replayed conversation whose
 * thread ended stays quiet before the demo team resolves it: 20 recorded minutes, ~5.7 real
 * minutes at the default speed (3.5), a moment in a fast test.
 */
export const RESOLVE_AFTER_RECORDED_MS = 20 * 60_000;
/** Someone with the conversation open (a heartbeat this recent) may be writing: the wrap-up waits. */
const VIEWING_RECENT_MS = 90_000;
/** Real time between two wrap-up sweeps while the replay waits for the next tweet. */
const SWEEP_EVERY_MS = 1_000;

/** Longest recorded silence the replay keeps (ms): a longer one is shortened to it. */
export const REPLAY_MAX_GAP_MS = 30_000;

/** The order the replay sends the excerpt's tweets in: recorded time, then id. */
export function replayOrder(a: TwcsTweet, b: TwcsTweet): number {
  return a.createdAt - b.createdAt || Number(BigInt(a.id) - BigInt(b.id));
}

/** Each tweet's place on the replay's recorded timeline (ms from the first; `tweets` in replayOrder), silences over `maxGap` shortened to it. */
export function replayTimeline(tweets: TwcsTweet[], maxGap = REPLAY_MAX_GAP_MS): number[] {
  const offsets: number[] = [];
  let acc = 0;
  tweets.forEach((t, i) => {
    if (i > 0) acc += Math.min(maxGap, Math.max(0, t.createdAt - tweets[i - 1]!.createdAt));
    offsets.push(acc);
  });
  return offsets;
}

export interface ReplayOptions {
  store: Store;
  queue: IngestQueue;
  clock: Clock;
  brandId: number;
  /** Recorded seconds per real second. */
  speed: number;
  /** Longest recorded silence kept, in ms (longer gaps are shortened to this). */
  maxGapMs?: number;
  once?: boolean;
  /** Stop after this many passes through the excerpt (tests; unset: never). */
  passes?: number;
  file?: string;
  /**
   * The desk's conversation commands (with its workflow hooks and event bus), which the wrap-up
   * changes statuses through. Without them the replay uses commands of its own on the same store
   * (audit and facts alike; no live events or workflow hooks in this process).
   */
  commands?: ConversationCommands;
  log?: { info(o: unknown, m?: string): void; warn(o: unknown, m?: string): void };
  onBatch?: (stored: number, position: { pass: number; index: number }) => void;
}

const CURSOR_KEY = 'demo.replay';

export class DemoReplay {
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;
  /** Each excerpt tweet (by id): its place in the replay's order, whether it is the customer's, and the id of its recorded thread's last tweet. */
  private tweetInfo = new Map<string, { pos: number; inbound: boolean; end: string }>();
  /** Conversations the desk's people touched (theirs: a touch is for good), and ones the replay never wrote to: never wrapped up. */
  private theirs = new Set<number>();
  private lastSweep = 0;
  private commands: ConversationCommands;
  private actor: Actor;

  constructor(private readonly opts: ReplayOptions) {
    this.commands = opts.commands ?? new ConversationCommands({ store: opts.store, bus: new EventBus(), clock: opts.clock });
    this.actor = systemActor(opts.brandId, DEMO_REPLAY_ACTOR);
  }

  start(): Promise<void> {
    this.done ??= this.run().catch((err) => this.opts.log?.warn({ err }, 'demo replay stopped after an error'));
    return this.done;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.wake?.();
    await this.done;
  }

  private async sleep(ms: number) {
    if (ms <= 0 || this.stopped) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      this.timer = setTimeout(resolve, ms);
    });
    this.wake = null;
  }

  private async run(): Promise<void> {
    const { store, queue, clock, brandId } = this.opts;
    const maxGap = this.opts.maxGapMs ?? REPLAY_MAX_GAP_MS;
    const tweets: TwcsTweet[] = [];
    const attribution = new TwcsAttribution();
    for await (const item of readTwcs(this.opts.file ?? DEMO_FILE)) {
      if (item.kind !== 'tweet') continue;
      tweets.push(item.tweet);
      attribution.add(item.tweet);
    }
    // stopped while the excerpt was read (a desk stopped in its first moments): nothing started, nothing to say
    if (this.stopped) return;
    tweets.sort(replayOrder);
    // each recorded thread's last tweet: once it is stored, the thread is over
    const roots = conversationRoots(tweets);
    const last = new Map<string, string>();
    for (const t of tweets) last.set(roots.get(t.id)!, t.id);
    this.tweetInfo = new Map(tweets.map((t, pos) => [t.id, { pos, inbound: t.inbound, end: last.get(roots.get(t.id)!)! }]));
    const offsets = replayTimeline(tweets, maxGap);
    const accounts = new Map<string, number>();
    for (const r of await store.db.selectFrom('channel_account').select(['id', 'external_id']).where('brand_id', '=', brandId).where('network', '=', 'x').execute()) accounts.set(r.external_id, r.id);

    let { pass, index } = await this.loadCursor();
    this.opts.log?.info({ pass, index, total: tweets.length, speed: this.opts.speed }, 'demo replay started');
    // conversations left waiting by an earlier run (a restart) are wrapped up as before
    await this.wrapUp(true);
    while (!this.stopped) {
      if (index >= tweets.length) {
        if (this.opts.once || (this.opts.passes != null && pass + 1 >= this.opts.passes)) break;
        pass++;
        index = 0;
      }
      const startReal = clock.now();
      const startOffset = offsets[index]!;
      while (!this.stopped && index < tweets.length) {
        const virtual = startOffset + (clock.now() - startReal) * this.opts.speed;
        let end = index;
        while (end < tweets.length && offsets[end]! <= virtual && end - index < 500) end++;
        if (end === index) {
          await this.wrapUp(false);
          await this.sleep(Math.min(1000, Math.max(5, (offsets[index]! - virtual) / this.opts.speed)));
          continue;
        }
        const suffix = pass === 0 ? '' : `~${pass}`;
        const now = clock.now();
        const items: IngestItem[] = [];
        for (let i = index; i < end; i++) {
          const t = tweets[i]!;
          const handle = attribution.brandOf(t.id);
          const account = handle ? accounts.get(handle.toLowerCase()) : undefined;
          if (!account) continue;
          items.push({ channelAccountId: account, message: tweetToMessage(t, { idSuffix: suffix, createdAt: now }), source: 'demo', origin: 'demo' });
        }
        let stored = 0;
        for (;;) {
          try {
            const outcomes = await queue.submit(brandId, items);
            stored = outcomes.filter((o) => o.status === 'stored').length;
            break;
          } catch (err) {
            // back-pressure or a passing database error: wait and try the same batch again
            this.opts.log?.warn({ err: (err as Error).message }, 'demo replay batch deferred');
            await this.sleep(1000);
            if (this.stopped) return;
          }
        }
        index = end;
        await this.saveCursor(pass, index);
        await this.wrapUp(true);
        this.opts.onBatch?.(stored, { pass, index });
      }
    }
    this.opts.log?.info({ pass, index }, 'demo replay finished');
  }

  /**
   * The demo team's wrap-up (see the module comment): every replayed conversation still open whose
   * recorded thread is over, answered by the brand and untouched by the desk's people, to
   * waiting-on-customer (the brand had the last word) and then, quiet for the recorded delay,
   * resolved — through the desk's status command as `system:demo-replay`. `force`: now, else at
   * most every SWEEP_EVERY_MS. A failure is logged and tried again at the next sweep: the replay
   * goes on.
   */
  private async wrapUp(force: boolean): Promise<void> {
    const { store, clock, brandId } = this.opts;
    const now = clock.now();
    if (!force && now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    const resolveAfter = RESOLVE_AFTER_RECORDED_MS / this.opts.speed;
    try {
      const open = await store.db.selectFrom('conversation').select(['id', 'status', 'last_message_at', 'cycle_started_at'])
        .where('brand_id', '=', brandId).where('status', '!=', 'resolved').orderBy('id').execute();
      for (const c of open) {
        if (this.stopped) return;
        const id = Number(c.id);
        if (this.theirs.has(id)) continue;
        // waiting already and not quiet long enough to resolve: nothing to do yet, and nothing to read
        const quiet = now - Number(c.last_message_at) >= resolveAfter;
        if (c.status === 'waiting' && !quiet) continue;
        // only the replay's own conversations, once every recorded thread in them is over
        const state = await this.threadState(id);
        if (state === 'foreign') this.theirs.add(id);
        if (state === null || state === 'foreign') continue;
        if (await this.touched(id)) {
          this.theirs.add(id);
          continue;
        }
        // someone has it open right now (perhaps writing): not under their eyes; the next sweep looks again
        const viewing = await store.db.selectFrom('viewing_span').select('id').where('conversation_id', '=', id).where('last_seen_at', '>=', now - VIEWING_RECENT_MS).limit(1).executeTakeFirst();
        if (viewing) continue;
        // the brand answered in this cycle (its recorded reply; an acknowledgement is no answer): else it is the desk's to answer
        const answered = await store.db.selectFrom('message').select('id').where('conversation_id', '=', id).where('direction', '=', 'outbound').where('is_auto', '=', 0)
          .where('created_at', '>=', Number(c.cycle_started_at)).where('status', 'not in', ['rejected', 'failed']).limit(1).executeTakeFirst();
        if (!answered) continue;
        // waiting on the customer first where the brand had the last word (also when the sweep comes late and it is quiet already), then resolved once quiet
        if (c.status !== 'waiting' && state.brandHadLastWord) await this.commands.setStatus(this.actor, id, 'waiting');
        if (quiet) await this.commands.setStatus(this.actor, id, 'resolved');
      }
    } catch (err) {
      this.opts.log?.warn({ err: (err as Error).message }, 'demo replay wrap-up deferred');
    }
  }

  /**
   * A replayed conversation's recorded threads: 'foreign' when it holds none of the replay's
   * messages (a conversation of the brand's other channels); null while one of its threads (a
   * conversation may gather several of a customer's) is still being replayed — its last tweet, of
   * the same pass, not stored yet; else whether the brand had the last word (the recorded order's
   * last tweet among its messages is the brand's).
   */
  private async threadState(conversationId: number): Promise<{ brandHadLastWord: boolean } | 'foreign' | null> {
    const { store, brandId } = this.opts;
    const messages = await store.db.selectFrom('message').select(['network_message_id', 'source']).where('conversation_id', '=', conversationId).execute();
    const have = new Set(messages.map((m) => m.network_message_id));
    const ends = new Set<string>();
    let last: { pos: number; inbound: boolean } | null = null;
    for (const m of messages) {
      const match = m.source === 'demo' ? /^(\d+)(~\d+)?$/.exec(m.network_message_id ?? '') : null;
      const info = match ? this.tweetInfo.get(match[1]!) : undefined;
      if (!info) continue;
      const end = info.end + (match![2] ?? '');
      if (!have.has(end)) ends.add(end);
      if (!last || info.pos > last.pos) last = info;
    }
    if (!last) return 'foreign';
    if (ends.size) {
      const stored = await store.db.selectFrom('message').select('network_message_id').where('brand_id', '=', brandId).where('network', '=', 'x').where('network_message_id', 'in', [...ends]).execute();
      if (stored.length < ends.size) return null;
    }
    return { brandHadLastWord: !last.inbound };
  }

  /** Whether one of the desk's people (or an API token) worked on the conversation: any command of theirs in the audit trail, a note, a reply or draft of theirs, a question to an expert. */
  private async touched(conversationId: number): Promise<boolean> {
    const db = this.opts.store.db;
    const audited = await db.selectFrom('audit_event').select('id').where('conversation_id', '=', conversationId)
      .where((eb) => eb.or([eb('actor_user_id', 'is not', null), eb('actor', 'not like', 'system%')])).limit(1).executeTakeFirst();
    if (audited) return true;
    if (await db.selectFrom('note').select('id').where('conversation_id', '=', conversationId).limit(1).executeTakeFirst()) return true;
    if (await db.selectFrom('message').select('id').where('conversation_id', '=', conversationId).where('author_user_id', 'is not', null).limit(1).executeTakeFirst()) return true;
    return !!(await db.selectFrom('expert_request').select('id').where('conversation_id', '=', conversationId).limit(1).executeTakeFirst());
  }

  private async loadCursor(): Promise<{ pass: number; index: number }> {
    const row = await this.opts.store.db.selectFrom('kv').select('value').where('key', '=', CURSOR_KEY).executeTakeFirst();
    if (!row) return { pass: 0, index: 0 };
    try {
      const v = JSON.parse(row.value);
      return { pass: Number(v.pass) || 0, index: Number(v.index) || 0 };
    } catch {
      return { pass: 0, index: 0 };
    }
  }

  private async saveCursor(pass: number, index: number) {
    const value = JSON.stringify({ pass, index });
    const now = this.opts.clock.now();
    await this.opts.store.db
      .insertInto('kv')
      .values({ key: CURSOR_KEY, value, updated_at: now })
      .onConflict((oc) => oc.column('key').doUpdateSet({ value, updated_at: now }))
      .execute();
  }
}
