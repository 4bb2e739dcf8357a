/**
 * The demo's history: a few weeks of past traffic built from the same bundled TWCS excerpt,
 * stored once when the demo brand is seeded (in the background, a few seconds, while the desk
 * already shows its login and replays live), so a fresh demo desk's reports (volume by hour of
 * week, response times, response rate, agents and teams, staffing's arrivals) have something to
 * measure.
 *
 * Each excerpt conversation is placed on one of HISTORY_DAYS past days (by a hash of its
 * conversation root: the same day on every desk for the same date), keeping the recorded time
 * of day (UTC) and the relative timing of its tweets, so the hour-of-week shape and the
 * response times are the recorded ones. The days run from yesterday back, so the last week's
 * reports have as much history as the weeks before it: the items are flagged `history`, which the
 * pipeline stores as resolved history whatever its age — without routing, SLA clocks or
 * acknowledgement (markHistory in src/pipeline/ingest.ts) — so the history never reaches the
 * live inbox. A conversation that would end today or less than an hour before the history's
 * instant is moved a day further back: none reaches the live replay's day.
 *
 * Network ids (tweets and customer ids) carry HISTORY_SUFFIX, so they never meet the live
 * replay's (no suffix on its first pass, `~<pass>` after).
 *
 * The brand's replies are then attributed to the demo agents (Ana, Ben or Cleo, by a hash of
 * the conversation root): the reply's `author_user_id`, and its facts' `agent_id` (response
 * facts) and `team_id` (every fact of the conversation: the Care team), moving their counts
 * between rollup rows in the same transaction (`rewriteFacts`). The conversations
 * themselves stay unassigned and without a team: history, not anyone's work.
 *
 * Once only: the seed's transaction records that the history is due (`demo.history` in kv);
 * the first desk to start on it (the one that seeded, as a rule) claims the record and stores
 * the history, refreshing the record after every batch; another process takes over only a
 * claim nobody refreshed for HISTORY_STALE_MS (a start that stopped half-way), placing the rest
 * from the same instant. Storing again is safe: messages dedupe on their network ids and
 * attribution rewrites only facts not attributed yet. The record is deleted when done.
 */
import { createHash } from 'node:crypto';
import { readTwcs, tweetToMessage, TwcsAttribution, type TwcsTweet } from '../import/twcs.js';
import type { IngestItem, IngestOutcome } from '../pipeline/ingest.js';
import type { Store } from '../store/db.js';
import { rewriteFacts, type Fact } from '../store/rollup.js';
import { inLists, inValues } from '../store/util.js';
import { DEMO_FILE, DEMO_HISTORY_KEY } from './seed.js';

/** Suffix of the history's network ids (the live replay uses none, then `~1`, `~2`, …). */
export const HISTORY_SUFFIX = '~h';
/** How many past days the history covers. */
export const HISTORY_DAYS = 35;
/** The most recent history day, in days back from today (UTC): yesterday (the items are flagged history, whatever their age). */
export const HISTORY_FIRST_DAY_BACK = 1;
/** A history record nobody refreshed for this long was left by a process that stopped: another may finish it. */
export const HISTORY_STALE_MS = 60_000;
/** The demo people whose replies the history attributes (by email), in the order conversations are dealt to them. */
export const HISTORY_AGENTS = ['ana@demo.parley.local', 'ben@demo.parley.local', 'cleo@demo.parley.local'];

const DAY = 86_400_000;
const BATCH = 500;
/** Margin kept between a history conversation's last message and the instant the history is placed from. */
const MARGIN_MS = 3600_000;
/** Facts of a reply: those attributed to the agent who wrote it. */
const AGENT_KINDS = new Set(['first_response', 'next_response', 'message_response']);

export interface HistoryTweet {
  tweet: TwcsTweet;
  /** The conversation root (smallest tweet id of its reply-linked group). */
  root: string;
  /** When it is placed (ms). */
  at: number;
}

/** A stable 32-bit hash of a string. */
function hash32(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

/** Each tweet's conversation root: the excerpt's `conversation_root` column, else the smallest tweet id of its reply-linked group. */
export function conversationRoots(tweets: TwcsTweet[]): Map<string, string> {
  const parent = new Map<string, string>();
  const find = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    while (x !== r) {
      const next = parent.get(x)!;
      parent.set(x, r);
      x = next;
    }
    return r;
  };
  const less = (a: string, b: string) => (a.length !== b.length ? a.length < b.length : a < b); // numeric ids
  const union = (a: string, b: string) => {
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a), rb = find(b);
    if (ra === rb) return;
    if (less(ra, rb)) parent.set(rb, ra);
    else parent.set(ra, rb);
  };
  for (const t of tweets) {
    union(t.id, t.id);
    if (t.inReplyTo) union(t.id, t.inReplyTo);
    for (const r of t.responseIds) union(t.id, r);
  }
  const out = new Map<string, string>();
  for (const t of tweets) out.set(t.id, t.row.conversation_root || find(t.id));
  return out;
}

/**
 * Where each tweet of the excerpt goes in the history at `now` (pure): each conversation moved by
 * whole days onto the past day its root's hash picks (HISTORY_FIRST_DAY_BACK to
 * HISTORY_FIRST_DAY_BACK + HISTORY_DAYS - 1 days before today, UTC), further back when it would
 * otherwise end today (the live replay's day) or less than a margin (an hour) before `now`. In time order.
 */
export function planHistory(tweets: TwcsTweet[], now: number): HistoryTweet[] {
  const roots = conversationRoots(tweets);
  const byRoot = new Map<string, TwcsTweet[]>();
  for (const t of tweets) {
    const r = roots.get(t.id)!;
    const l = byRoot.get(r);
    if (l) l.push(t);
    else byRoot.set(r, [t]);
  }
  const today = Math.floor(now / DAY) * DAY;
  const latest = Math.min(now - MARGIN_MS, today - 1); // before today: today is the live replay's
  const out: HistoryTweet[] = [];
  for (const [root, group] of byRoot) {
    let first = Infinity;
    let last = -Infinity;
    for (const t of group) {
      if (t.createdAt < first) first = t.createdAt;
      if (t.createdAt > last) last = t.createdAt;
    }
    const back = HISTORY_FIRST_DAY_BACK + (hash32(root) % HISTORY_DAYS);
    let shift = today - back * DAY - Math.floor(first / DAY) * DAY;
    while (last + shift > latest) shift -= DAY;
    for (const t of group) out.push({ tweet: t, root, at: t.createdAt + shift });
  }
  out.sort((a, b) => a.at - b.at || (a.tweet.id.length - b.tweet.id.length) || (a.tweet.id < b.tweet.id ? -1 : a.tweet.id > b.tweet.id ? 1 : 0));
  return out;
}

/** The demo agent a history conversation's replies are attributed to (by its root's hash). */
export function historyAgent(root: string, agents: number[]): number | null {
  return agents.length ? agents[hash32(`agent:${root}`) % agents.length]! : null;
}

export interface HistoryOptions {
  store: Store;
  brandId: number;
  /** The desk's ingest (IngestPipeline.ingest): triage, facts, rollups, search. */
  ingest: (brandId: number, items: IngestItem[]) => Promise<IngestOutcome[]>;
  now: () => number;
  file?: string;
  log?: { info(o: unknown, m?: string): void; warn(o: unknown, m?: string): void };
}

export interface HistorySummary {
  stored: number;
  duplicates: number;
  conversations: number;
  attributed: number;
  /** Of `ms`, attributing the replies to the demo agents. */
  attributeMs: number;
  ms: number;
}

/**
 * Store the demo history if it is due and this process may (see the module comment); null when
 * there is nothing to do here (stored before, no demo, or another process is storing it).
 */
export async function storeDemoHistory(opts: HistoryOptions): Promise<HistorySummary | null> {
  const { store, brandId } = opts;
  const started = Date.now();
  const row = await store.db.selectFrom('kv').select(['value', 'updated_at']).where('key', '=', DEMO_HISTORY_KEY).executeTakeFirst();
  if (!row) return null;
  const seen = Number(row.updated_at);
  let before: { claimed?: boolean; at?: number } = {};
  try {
    before = JSON.parse(row.value) as typeof before;
  } catch { /* unreadable: take it */ }
  if (before.claimed && seen > opts.now() - HISTORY_STALE_MS) return null; // another process is storing it
  // the instant the history is placed from: the first storer's, so a storer finishing it places the rest as it would have
  const anchor = Number.isFinite(before.at) ? before.at! : opts.now();
  // claim it: only one process moves the record on from what it read
  const claimed = await store.db
    .updateTable('kv')
    .set({ value: JSON.stringify({ claimed: true, at: anchor }), updated_at: Math.max(opts.now(), seen + 1) })
    .where('key', '=', DEMO_HISTORY_KEY).where('updated_at', '=', seen).where('value', '=', row.value)
    .executeTakeFirst();
  if (Number(claimed.numUpdatedRows) !== 1) return null;
  const alive = () => store.db.updateTable('kv').set({ updated_at: opts.now() }).where('key', '=', DEMO_HISTORY_KEY).execute();

  const tweets: TwcsTweet[] = [];
  const attribution = new TwcsAttribution();
  for await (const item of readTwcs(opts.file ?? DEMO_FILE)) {
    if (item.kind !== 'tweet') continue;
    tweets.push(item.tweet);
    attribution.add(item.tweet);
  }
  const accounts = new Map<string, number>();
  for (const r of await store.db.selectFrom('channel_account').select(['id', 'external_id']).where('brand_id', '=', brandId).where('network', '=', 'x').execute()) accounts.set(r.external_id, r.id);
  const plan = planHistory(tweets, anchor);
  const summary: HistorySummary = { stored: 0, duplicates: 0, conversations: 0, attributed: 0, attributeMs: 0, ms: 0 };
  const rootOf = new Map<string, string>();
  let items: IngestItem[] = [];
  const flush = async () => {
    if (!items.length) return;
    for (const o of await opts.ingest(brandId, items)) {
      if (o.status === 'stored') summary.stored++;
      else if (o.status === 'duplicate') summary.duplicates++;
    }
    items = [];
    await alive();
  };
  for (const h of plan) {
    const handle = attribution.brandOf(h.tweet.id);
    const account = handle ? accounts.get(handle.toLowerCase()) : undefined;
    if (!account) continue;
    const message = tweetToMessage(h.tweet, { idSuffix: HISTORY_SUFFIX, createdAt: h.at });
    rootOf.set(message.networkMessageId, h.root);
    items.push({ channelAccountId: account, message, source: 'import', history: true, origin: 'demo:history' });
    if (items.length >= BATCH) await flush();
  }
  await flush();

  const ingested = Date.now();
  const attributed = await attributeHistory(store, brandId, rootOf);
  summary.attributeMs = Date.now() - ingested;
  summary.conversations = attributed.conversations;
  summary.attributed = attributed.facts;
  await store.db.deleteFrom('kv').where('key', '=', DEMO_HISTORY_KEY).execute();
  summary.ms = Date.now() - started;
  opts.log?.info({ ...summary }, 'demo history stored');
  return summary;
}

/**
 * The history's replies, written by the demo agents: each conversation's brand messages get its
 * agent as author, its reply facts the agent, all its facts the demo's Care team; rollups moved
 * with them. Only what is not attributed yet is touched (a rerun after a crash finishes the rest).
 */
async function attributeHistory(store: Store, brandId: number, rootOf: Map<string, string>): Promise<{ conversations: number; facts: number }> {
  const people = await store.db.selectFrom('app_user').select(['id', 'email']).where('brand_id', '=', brandId).where('email', 'in', HISTORY_AGENTS).execute();
  const agents = HISTORY_AGENTS.map((e) => people.find((p) => p.email === e)?.id).filter((id): id is number => id != null);
  const team = await store.db.selectFrom('team').select('id').where('brand_id', '=', brandId).orderBy('id').executeTakeFirst();
  if (!agents.length) return { conversations: 0, facts: 0 };
  // each stored history conversation and its agent (from any of its messages' roots)
  const agentOf = new Map<number, number>();
  for (const part of inLists([...rootOf.keys()])) {
    const rows = await store.db.selectFrom('message').select(['conversation_id', 'network_message_id']).where('brand_id', '=', brandId).where('network', '=', 'x').where(inValues(store, 'network_message_id', part, 'text')).execute();
    for (const r of rows) if (!agentOf.has(r.conversation_id)) agentOf.set(r.conversation_id, historyAgent(rootOf.get(r.network_message_id!)!, agents)!);
  }
  let facts = 0;
  for (const part of inLists([...agentOf.keys()], 250)) {
    const ids = [...new Set(part)];
    facts += await store.db.transaction().execute(async (trx) => {
      // the brand's posts still without an author (a person's or a rule's reply keeps its own)
      const byAgent = new Map<number, number[]>();
      for (const id of ids) {
        const a = agentOf.get(id)!;
        const l = byAgent.get(a);
        if (l) l.push(id);
        else byAgent.set(a, [id]);
      }
      for (const [agent, convs] of byAgent) {
        await trx.updateTable('message').set({ author_user_id: agent }).where('conversation_id', 'in', convs).where('direction', '=', 'outbound').where('author_user_id', 'is', null).where('network_message_id', 'like', `%${HISTORY_SUFFIX}`).execute();
      }
      const rows = (await trx.selectFrom('reporting_fact').selectAll().where('brand_id', '=', brandId).where('conversation_id', 'in', ids).execute()) as (Fact & { id: number })[];
      // replies to their agent, every fact of the conversation to the Care team
      return rewriteFacts(trx, store, rows, (f) => ({ agent_id: AGENT_KINDS.has(f.kind) ? agentOf.get(Number(f.conversation_id))! : f.agent_id ?? null, team_id: team?.id ?? f.team_id ?? null }));
    });
  }
  return { conversations: agentOf.size, facts };
}

