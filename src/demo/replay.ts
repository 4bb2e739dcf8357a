/**
 * Replays the bundled TWCS excerpt as live traffic: customers' tweets and the
 * brands' own replies arrive in recorded order, time-compressed (`speed`× with
 * long silences capped), stamped with the current time. Progress is saved after
 * every stored batch, so a restart resumes where it stopped; items are
 * deduplicated on their network id, so a batch replayed twice is stored once.
 * When the excerpt runs out it starts over as a new "pass" (ids get a suffix),
 * so a demo desk never goes quiet — unless `once` is set.
 */
import type { IngestItem } from '../pipeline/ingest.js';
import type { IngestQueue } from '../pipeline/queue.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/db.js';
import { readTwcs, tweetToMessage, TwcsAttribution, type TwcsTweet } from '../import/twcs.js';
import { DEMO_FILE } from './seed.js';

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
  file?: string;
  log?: { info(o: unknown, m?: string): void; warn(o: unknown, m?: string): void };
  onBatch?: (stored: number, position: { pass: number; index: number }) => void;
}

const CURSOR_KEY = 'demo.replay';

export class DemoReplay {
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private done: Promise<void> | null = null;

  constructor(private readonly opts: ReplayOptions) {}

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
    const maxGap = this.opts.maxGapMs ?? 30_000;
    const tweets: TwcsTweet[] = [];
    const attribution = new TwcsAttribution();
    for await (const item of readTwcs(this.opts.file ?? DEMO_FILE)) {
      if (item.kind !== 'tweet') continue;
      tweets.push(item.tweet);
      attribution.add(item.tweet);
    }
    // stopped while the excerpt was read (a desk stopped in its first moments): nothing started, nothing to say
    if (this.stopped) return;
    tweets.sort((a, b) => a.createdAt - b.createdAt || Number(BigInt(a.id) - BigInt(b.id)));
    // recorded timeline with long silences shortened
    const offsets: number[] = [];
    let acc = 0;
    tweets.forEach((t, i) => {
      if (i > 0) acc += Math.min(maxGap, Math.max(0, t.createdAt - tweets[i - 1]!.createdAt));
      offsets.push(acc);
    });
    const accounts = new Map<string, number>();
    for (const r of await store.db.selectFrom('channel_account').select(['id', 'external_id']).where('brand_id', '=', brandId).where('network', '=', 'x').execute()) accounts.set(r.external_id, r.id);

    let { pass, index } = await this.loadCursor();
    this.opts.log?.info({ pass, index, total: tweets.length, speed: this.opts.speed }, 'demo replay started');
    while (!this.stopped) {
      if (index >= tweets.length) {
        if (this.opts.once) break;
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
        this.opts.onBatch?.(stored, { pass, index });
      }
    }
    this.opts.log?.info({ pass, index }, 'demo replay finished');
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
