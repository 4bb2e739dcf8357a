/**
 * The demo's live replay wraps its conversations up as the brand's team did: one whose recorded
 * thread is over, answered by the brand's recorded reply and untouched by the desk's people, goes
 * to waiting-on-customer and then resolved, through the desk's status command as the demo actor
 * `system:demo-replay` (audit, facts), never as a person — so over passes through the excerpt the
 * open backlog stays that of the conversations in flight instead of growing by every pass.
 * Conversations the desk's people touched (a note, an assignment by hand) are theirs and left
 * alone. Its default pace is a big brand's (5–13k care items a day), with new conversations in
 * the first minute. Real SQLite (and PostgreSQL), a short slice of the excerpt, a fast replay.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createParley, type Parley } from '../src/app.js';
import type { Actor } from '../src/commands/context.js';
import { loadConfig } from '../src/config.js';
import { conversationRoots } from '../src/demo/history.js';
import { DemoReplay } from '../src/demo/replay.js';
import { seedDemoIfEmpty } from '../src/demo/seed.js';
import type { TwcsTweet } from '../src/import/twcs.js';
import { systemClock } from '../src/lib/clock.js';
import { createTestDatabase, DIALECTS, type TestDatabase } from './db.js';
import { excerpt } from './helpers/twcsExcerpt.js';

const SECRET = 'demo-replay-wrapup-test-secret-0123456789';
/** Conversations in the slice the replay runs through. */
const SLICE_ROOTS = 40;
const PASSES = 3;

let dir: string;
let slice: string;
let sliceTweets: TwcsTweet[];


/** The replay's recorded timeline, as README says it plays: recorded order (time, then id), silences over 30 s shortened to 30 s. */
function timeline(tweets: TwcsTweet[]): { tweets: TwcsTweet[]; offsets: number[] } {
  const sorted = [...tweets].sort((a, b) => a.createdAt - b.createdAt || (BigInt(a.id) < BigInt(b.id) ? -1 : 1));
  const offsets = sorted.map((t, i) => (i ? Math.min(30_000, Math.max(0, t.createdAt - sorted[i - 1]!.createdAt)) : 0));
  for (let i = 1; i < offsets.length; i++) offsets[i]! += offsets[i - 1]!;
  return { tweets: sorted, offsets };
}

const csv = (v: string) => `"${v.replace(/"/g, '""')}"`;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'parley-demo-wrapup-'));
  // the excerpt's first SLICE_ROOTS whole conversations (every row of each)
  const tweets = await excerpt();
  const roots = [...new Set(tweets.map((t) => t.row.conversation_root))].slice(0, SLICE_ROOTS);
  const keep = new Set(roots);
  const columns = Object.keys(tweets[0]!.row);
  const rows = tweets.filter((t) => keep.has(t.row.conversation_root)).map((t) => columns.map((c) => csv(String((t.row as Record<string, string>)[c] ?? ''))).join(','));
  slice = join(dir, 'slice.csv');
  writeFileSync(slice, [columns.join(','), ...rows].join('\n') + '\n');
  sliceTweets = await excerpt(slice);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the demo replay\'s default pace', () => {
  it('is a big brand\'s (a few hundred customer items an hour, 5–13k a day), with new conversations within the first minute', async () => {
    const speed = loadConfig({}).demoSpeed;
    const { tweets, offsets } = timeline(await excerpt());
    const passHours = offsets[offsets.length - 1]! / speed / 3_600_000;
    const inboundPerHour = tweets.filter((t) => t.inbound).length / passHours;
    expect(inboundPerHour * 24).toBeGreaterThanOrEqual(5_000);
    expect(inboundPerHour * 24).toBeLessThanOrEqual(13_000);
    // alive at once: messages every few seconds, several new conversations in the first real minute
    const firstMinute = tweets.filter((_, i) => offsets[i]! <= 60_000 * speed);
    expect(firstMinute.length).toBeGreaterThanOrEqual(5);
    const roots = conversationRoots(tweets);
    const started = new Set<string>();
    tweets.forEach((t, i) => {
      if (offsets[i]! <= 60_000 * speed) started.add(roots.get(t.id)!);
    });
    expect(started.size).toBeGreaterThanOrEqual(3);
  });
});

for (const dialect of DIALECTS) {
  describe(`the demo replay over passes [${dialect}]`, () => {
    let t: TestDatabase;
    let parley: Parley;
    beforeAll(async () => {
      t = await createTestDatabase(dialect);
      const config = loadConfig({}, { port: 0, host: '127.0.0.1', demo: false, secret: SECRET, logLevel: 'warn', dataDir: mkdtempSync(join(dir, 'desk-')), databaseUrl: t.databaseUrl });
      parley = await createParley({ config, store: t.store, workers: false });
    });
    afterAll(async () => {
      await parley?.stop();
      await t?.drop();
    });

    it('wraps up the conversations it answered as the demo actor, leaves the desk\'s own alone, and keeps the open backlog bounded', async () => {
      const { store, queue, commands } = parley.services;
      const seed = await seedDemoIfEmpty(store, Date.now());
      expect(seed).not.toBeNull();
      const brandId = seed!.brandId;
      const ana = await store.db.selectFrom('app_user').select('id').where('email', '=', 'ana@demo.parley.local').executeTakeFirstOrThrow();
      const anaActor: Actor = { brandId, userId: ana.id, role: 'agent', name: `user:${ana.id}` };
      const notResolved = async () => Number((await store.db.selectFrom('conversation').select((eb) => eb.fn.countAll<number>().as('n')).where('brand_id', '=', brandId).where('status', '!=', 'resolved').executeTakeFirstOrThrow()).n);
      const sliceConversations = new Set(conversationRoots(sliceTweets).values()).size;
      // a replay fast enough that a pass takes a moment (recorded half-minutes become milliseconds)
      const speed = 20_000;

      // the first tweets arrive; two conversations still in flight are taken up by a person at the desk
      let first: DemoReplay | null = null;
      let batches = 0;
      first = new DemoReplay({ store, queue, clock: systemClock, brandId, speed: speed / 10, file: slice, commands, onBatch: () => {
        if (++batches === 3) void first!.stop();
      } });
      await first.start();
      expect((await store.db.selectFrom('kv').select('value').where('key', '=', 'demo.replay').executeTakeFirstOrThrow()).value).toMatch(/"pass":0/);
      const inFlight = await store.db.selectFrom('conversation').select('id').where('brand_id', '=', brandId).where('status', '!=', 'resolved').orderBy('id').execute();
      expect(inFlight.length).toBeGreaterThanOrEqual(2);
      const noted = Number(inFlight[0]!.id);
      const taken = Number(inFlight[1]!.id);
      await commands.addNote(anaActor, noted, 'I will look into this one myself');
      await commands.assign(anaActor, taken, { assigneeId: ana.id });
      const theirs = new Map<number, string>();
      for (const id of [noted, taken]) theirs.set(id, (await store.db.selectFrom('conversation').select('status').where('id', '=', id).executeTakeFirstOrThrow()).status);

      // then the rest of the first pass and two more; at each pass's end, what is still open, and of that what earlier passes left
      const passOf = (nid: string | null) => Number(/~(\d+)$/.exec(nid ?? '')?.[1] ?? 0);
      const openAtPassEnd: { pass: number; open: number; earlier: number }[] = [];
      const measure = async (pass: number) => {
        const open = await store.db.selectFrom('conversation').select('id').where('brand_id', '=', brandId).where('status', '!=', 'resolved').execute();
        let earlier = 0;
        for (const c of open) {
          if (theirs.has(Number(c.id))) continue;
          const m = await store.db.selectFrom('message').select('network_message_id').where('conversation_id', '=', c.id).limit(1).executeTakeFirst();
          if (passOf(m?.network_message_id ?? null) < pass) earlier++;
        }
        openAtPassEnd.push({ pass, open: open.length, earlier });
      };
      const ends: Promise<void>[] = [];
      let replay: DemoReplay | null = null;
      replay = new DemoReplay({ store, queue, clock: systemClock, brandId, speed, file: slice, commands, passes: PASSES, onBatch: (_n, pos) => {
        if (pos.index === sliceTweets.length) ends.push(measure(pos.pass));
        if (pos.pass >= PASSES) void replay!.stop();
      } });
      await replay.start();
      await Promise.all(ends);
      // the last threads are quiet a moment later: the demo team's wrap-up, run again (as a restart does), closes them
      await new Promise((r) => setTimeout(r, 100));
      let restart: DemoReplay | null = null;
      restart = new DemoReplay({ store, queue, clock: systemClock, brandId, speed, file: slice, commands, passes: PASSES, onBatch: () => void restart!.stop() });
      await restart.start();

      if (process.env.DEBUG_WRAPUP) {
        for (const c of await store.db.selectFrom('conversation').select(['id', 'status', 'cycle_started_at', 'last_outbound_at']).where('brand_id', '=', brandId).where('status', '!=', 'resolved').execute()) {
          const ms = await store.db.selectFrom('message').select(['network_message_id', 'direction', 'is_auto', 'source', 'created_at']).where('conversation_id', '=', c.id).orderBy('created_at').orderBy('id').execute();
          console.log(c, ms.map((m) => `${m.direction[0]}${m.is_auto ? 'A' : ''}:${m.network_message_id}:${m.source}`).join(' '));
        }
      }
      const total = Number((await store.db.selectFrom('conversation').select((eb) => eb.fn.countAll<number>().as('n')).where('brand_id', '=', brandId).executeTakeFirstOrThrow()).n);
      const open = await notResolved();
      // measured: (printed for the report)
      console.log(`[${dialect}] ${PASSES} passes of ${sliceConversations} recorded conversations: ${total} conversations; at each pass end ${openAtPassEnd.map((p) => `${p.open} not resolved (${p.earlier} from earlier passes)`).join(', ')}; after ${open}`);
      expect(total).toBeGreaterThanOrEqual(PASSES * sliceConversations * 0.9);
      expect(openAtPassEnd.map((p) => p.pass)).toEqual([0, 1, 2]);
      // bounded: what is open at a pass's end is that pass's conversations in flight, nothing an earlier pass left
      for (const p of openAtPassEnd) {
        expect(p.earlier).toBe(0);
        expect(p.open).toBeLessThan(sliceConversations);
      }
      // once quiet: only the desk's own (and any the brand never answered) are left
      expect(open).toBeLessThanOrEqual(theirs.size + sliceConversations * 0.1);

      // the desk's own: its thread went on (the brand's recorded replies arrive), but the wrap-up left it open
      for (const id of theirs.keys()) {
        const c = await store.db.selectFrom('conversation').select('status').where('id', '=', id).executeTakeFirstOrThrow();
        expect(['new', 'open']).toContain(c.status);
        const demoChanges = await store.db.selectFrom('audit_event').select('id').where('conversation_id', '=', id).where('actor', '=', 'system:demo-replay').execute();
        expect(demoChanges).toHaveLength(0);
      }

      // every resolved one: by the demo actor (no person), with its audit entry and resolution fact
      const resolved = await store.db.selectFrom('conversation').select('id').where('brand_id', '=', brandId).where('status', '=', 'resolved').execute();
      expect(resolved.length).toBeGreaterThan(total / 2);
      const audits = await store.db.selectFrom('audit_event').select(['conversation_id', 'actor', 'actor_user_id', 'data']).where('brand_id', '=', brandId).where('action', '=', 'conversation.status').execute();
      const byDemo = audits.filter((a) => a.actor === 'system:demo-replay');
      expect(byDemo.every((a) => a.actor_user_id == null)).toBe(true);
      const resolvedByDemo = new Set(byDemo.filter((a) => JSON.parse(String(a.data)).to === 'resolved').map((a) => Number(a.conversation_id)));
      for (const c of resolved) expect(resolvedByDemo.has(Number(c.id))).toBe(true);
      // waiting on the customer first, where the brand had the last word
      expect(byDemo.some((a) => JSON.parse(String(a.data)).to === 'waiting')).toBe(true);
      const facts = await store.db.selectFrom('reporting_fact').select((eb) => eb.fn.count<number>('conversation_id').distinct().as('n')).where('brand_id', '=', brandId).where('kind', '=', 'resolution').executeTakeFirstOrThrow();
      expect(Number(facts.n)).toBe(resolved.length);
    }, 120_000);
  });
}
