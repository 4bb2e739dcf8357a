/**
 * Resolved history counts as its team's resolutions (commit d807e91, docs/metrics.md "Resolved
 * history is a resolution"): ingest writes one `resolution` fact for each conversation it stores
 * as history (`historyResolutions` in src/pipeline/ingest.ts). History stored before that has
 * none, so an upgraded install's resolution counts missed all its imported history. This writes
 * that fact, and counts it into the rollups, for each such conversation, as ingest would have.
 *
 * Resolved history, as stored rows show it (what `markHistory`/`asHistory` leave):
 * - opened by history: its first message (lowest id) has a history source, `import` (an import,
 *   the demo's past weeks) or `backfill` (a channel's backfill) — ingest's `PAST_SOURCES`;
 * - with a customer in it (`last_inbound_at` set: the brand's own post resolves nothing);
 * - and no `resolution` fact at all (one written since, or a person's, is left as it is);
 * - resolved at its last message and unassigned (`isStoredHistory`: `asHistory` resolves it
 *   there; history is never routed). Its fact is at the last message, measured from its cycle's
 *   start — history another import continued (`resumeHistory`) is stored resolved at its new
 *   last message, where ingest moves the fact, so it has one fact there too.
 * - Or history continued live afterwards: ingest leaves the history's fact where it was (only a
 *   batch of history withdraws it) —
 *   - still resolved, not reopened (a closing "thanks", the brand's reply): `resolved_at` is
 *     still the history's last message; the fact is there, measured from the cycle's start;
 *   - reopened (`reopened_count` > 0; nothing but a resolution fact resolves a live conversation,
 *     so with none the resolution reopened was the history's): the history is the messages
 *     stored before the one the first `reopen` fact names; the fact is at their last, measured
 *     from the history's cycle start (its first message, or a customer's first answer to the
 *     brand's post it began with: `applyMessage`), with the team, priority, category and
 *     visibility the history's facts have (the live cycle changed the conversation's).
 *   A history conversation continued live and then resolved by a person has a resolution fact
 *   and is left alone (its history's resolution is not recovered).
 *
 * Dimensions as `historyResolutions` writes them: the last history message's id, account and
 * network, its triage (needs-response, sentiment) when a customer wrote it; no agent; the
 * conversation's visibility, priority and category; the team as the conversation's facts have it
 * (none for an import; the demo attributes its history's facts to the Care team); the brand's
 * time zone; business seconds on the last message's account calendar. Reused: `factRow`, the
 * calendar as `WorkflowSettingsStore.calendarOf` reads it, `businessMsBetween` (what
 * `Workflow.businessSeconds` computes, repeated in one line: the workflow instance needs the
 * running app), `deltasOf` and `applyRollupsQuery` (`applyRollups`/`writeFacts` through the
 * query builder: `insertRows` writes SQLite rows through the store's driver handle, which a
 * migration is not given).
 *
 * Bounded: a brand's conversations are read 500 at a time (keyset on id) with their messages and
 * those messages' facts (through the `message_id` index: `reporting_fact` has no index on
 * `conversation_id`), and each page's facts are written in statements of 200 rows (SQLite: in a
 * transaction per page; PostgreSQL runs the migrations in one). Which conversations have a
 * resolution fact is read once per brand through the (brand, kind, time) index. Safe to run
 * again: a conversation written here has its resolution fact, and is skipped.
 */
import type { Kysely } from 'kysely';
import { businessMsBetween } from '../../core/businessHours.js';
import { WorkflowSettingsStore } from '../../workflow/settings.js';
import { factRow } from '../facts.js';
import type { MigrationContext } from '../migrate.js';
import { applyRollupsQuery, deltasOf, HISTORY_RESOLUTION_DATA, type Fact } from '../rollup.js';
import type { Store } from '../db.js';
import { inLists, type Tx } from '../util.js';

/** The `message.source`s of history (ingest's `PAST_SOURCES`; the demo's history is imported). */
const HISTORY_SOURCES = new Set(['import', 'backfill']);
const PAGE = 500;
const FACT_PAGE = 10_000;
const WRITE_ROWS = 200;

type Conv = {
  id: number; status: string; resolved_at: number | null; last_message_at: number; last_inbound_at: number | null; cycle_started_at: number;
  reopened_count: number; assignee_id: number | null; team_id: number | null; priority: number; category: string | null; visibility: string;
};
type Msg = { id: number; conversation_id: number; created_at: number; direction: string; channel_account_id: number; network: string; triage_action: string | null; sentiment: string | null; source: string };
type StoredFact = { id: number; message_id: number | null; kind: string; occurred_at: number; team_id: number | null; priority: number | null; category: string | null; visibility: string | null };

export async function up(db: Kysely<any>, ctx: MigrationContext): Promise<void> {
  const tx = db as Tx;
  // the workflow's calendars, read as it reads them (its store is not used for that)
  const calendars = new WorkflowSettingsStore({ db: tx, dialect: ctx.dialect } as unknown as Store);
  const brands = await tx.selectFrom('brand').select(['id', 'timezone']).orderBy('id').execute();
  for (const brand of brands) {
    const resolved = await resolvedConversations(tx, brand.id);
    let after = 0;
    for (;;) {
      const page = (await tx.selectFrom('conversation')
        .select(['id', 'status', 'resolved_at', 'last_message_at', 'last_inbound_at', 'cycle_started_at', 'reopened_count', 'assignee_id', 'team_id', 'priority', 'category', 'visibility'])
        .where('brand_id', '=', brand.id).where('id', '>', after).orderBy('id').limit(PAGE).execute()) as Conv[];
      if (!page.length) break;
      after = Number(page[page.length - 1]!.id);
      const candidates = page.filter((c) => !resolved.has(Number(c.id)) && c.last_inbound_at != null && (c.status === 'resolved' || Number(c.reopened_count) > 0));
      if (!candidates.length) continue;
      const write = async (trx: Tx) => {
        const facts = await pageFacts(trx, brand, candidates, calendars);
        if (!facts.length) return;
        for (let i = 0; i < facts.length; i += WRITE_ROWS) await trx.insertInto('reporting_fact').values(facts.slice(i, i + WRITE_ROWS)).execute();
        await applyRollupsQuery(trx, ctx.dialect, deltasOf(facts));
      };
      if (tx.isTransaction) await write(tx);
      else await tx.transaction().execute(write);
    }
  }
}

/** The brand's conversations with a resolution fact (any: a person's, or history's written since). */
async function resolvedConversations(db: Tx, brandId: number): Promise<Set<number>> {
  const out = new Set<number>();
  let at = -Infinity;
  let lastId = 0;
  for (;;) {
    let q = db.selectFrom('reporting_fact').select(['id', 'conversation_id', 'occurred_at']).where('brand_id', '=', brandId).where('kind', '=', 'resolution');
    if (at !== -Infinity) q = q.where((eb) => eb.or([eb('occurred_at', '>', at), eb.and([eb('occurred_at', '=', at), eb('id', '>', lastId)])]));
    const rows = await q.orderBy('occurred_at').orderBy('id').limit(FACT_PAGE).execute();
    for (const r of rows) if (r.conversation_id != null) out.add(Number(r.conversation_id));
    if (rows.length < FACT_PAGE) return out;
    const last = rows[rows.length - 1]!;
    at = Number(last.occurred_at);
    lastId = Number(last.id);
  }
}

/** The history resolution facts of a page of candidate conversations (none for those that are not resolved history). */
async function pageFacts(db: Tx, brand: { id: number; timezone: string }, convs: Conv[], calendars: WorkflowSettingsStore): Promise<Fact[]> {
  const msgsOf = new Map<number, Msg[]>();
  for (const part of inLists(convs.map((c) => Number(c.id)))) {
    const rows = (await db.selectFrom('message').select(['id', 'conversation_id', 'created_at', 'direction', 'channel_account_id', 'network', 'triage_action', 'sentiment', 'source'])
      .where('conversation_id', 'in', part).execute()) as Msg[];
    for (const r of rows) {
      const l = msgsOf.get(Number(r.conversation_id));
      if (l) l.push(r);
      else msgsOf.set(Number(r.conversation_id), [r]);
    }
  }
  // by time, then as stored (ingest keeps the later of two messages at the same instant)
  for (const l of msgsOf.values()) l.sort((a, b) => Number(a.created_at) - Number(b.created_at) || Number(a.id) - Number(b.id));
  const opened = convs.filter((c) => {
    const l = msgsOf.get(Number(c.id));
    if (!l?.length) return false;
    const first = l.reduce((a, b) => (Number(b.id) < Number(a.id) ? b : a));
    return HISTORY_SOURCES.has(first.source);
  });
  if (!opened.length) return [];
  // the facts of their messages (through the message_id index), by message
  const factsOf = new Map<number, StoredFact[]>();
  const messageIds = opened.flatMap((c) => msgsOf.get(Number(c.id))!.map((m) => Number(m.id)));
  for (const part of inLists(messageIds)) {
    const rows = (await db.selectFrom('reporting_fact').select(['id', 'message_id', 'kind', 'occurred_at', 'team_id', 'priority', 'category', 'visibility'])
      .where('message_id', 'in', part).where('brand_id', '=', brand.id).execute()) as StoredFact[];
    for (const r of rows) {
      const l = factsOf.get(Number(r.message_id));
      if (l) l.push(r);
      else factsOf.set(Number(r.message_id), [r]);
    }
  }
  const accounts = new Map<number, ((from: number, to: number) => number) | null>();
  const businessOf = async (accountId: number) => {
    if (!accounts.has(accountId)) {
      const a = await db.selectFrom('channel_account').select(['id', 'calendar']).where('id', '=', accountId).executeTakeFirst();
      const cal = a ? calendars.calendarOf(a) : null;
      // Workflow.businessSeconds: on the account's calendar, wall clock when it has none
      accounts.set(accountId, (from, to) => (cal ? businessMsBetween(cal, from, to) / 1000 : Math.max(0, (to - from) / 1000)));
    }
    return accounts.get(accountId)!;
  };
  const out: Fact[] = [];
  for (const c of opened) {
    const found = historyEnd(c, msgsOf.get(Number(c.id))!, factsOf);
    if (!found) continue;
    const { last, at, from, history } = found;
    // the history's own facts say how it was counted (the team the demo attributed it to; a live cycle changed the conversation's)
    const own = history.flatMap((m) => factsOf.get(Number(m.id)) ?? []).filter((f) => Number(f.occurred_at) <= at).reduce<StoredFact | null>((a, b) => (!a || Number(b.id) > Number(a.id) ? b : a), null);
    const reopened = Number(c.reopened_count) > 0;
    const customer = last.direction === 'inbound';
    out.push(factRow({
      brandId: brand.id, timezone: brand.timezone, conversationId: Number(c.id), messageId: Number(last.id), agentId: null,
      teamId: own ? own.team_id : c.team_id,
      channelAccountId: Number(last.channel_account_id), network: last.network,
      visibility: reopened && own?.visibility != null ? own.visibility : c.visibility,
      priority: reopened && own?.priority != null ? Number(own.priority) : Number(c.priority),
      category: reopened && own ? own.category : c.category,
      needsResponse: customer && last.triage_action != null ? last.triage_action === 'respond' : null,
      sentiment: customer ? last.sentiment : null,
    }, 'resolution', at, Math.min(from, at), at, await businessOf(Number(last.channel_account_id)), JSON.parse(HISTORY_RESOLUTION_DATA) as Record<string, unknown>));
  }
  return out;
}

/**
 * Where a candidate's history ended (`at`), its last message, the cycle start its resolution is
 * measured from, and the history's messages; null when it is not resolved history.
 */
function historyEnd(c: Conv, msgs: Msg[], factsOf: Map<number, StoredFact[]>): { last: Msg; at: number; from: number; history: Msg[] } | null {
  const resolvedAt = c.resolved_at == null ? null : Number(c.resolved_at);
  if (Number(c.reopened_count) === 0) {
    if (c.status !== 'resolved' || resolvedAt == null) return null;
    // stored history (`isStoredHistory`), unassigned as history is; or continued live without reopening
    if (resolvedAt === Number(c.last_message_at) && c.assignee_id != null) return null;
    if (resolvedAt > Number(c.last_message_at)) return null;
    const history = msgs.filter((m) => Number(m.created_at) <= resolvedAt);
    const last = history[history.length - 1];
    return last ? { last, at: resolvedAt, from: Number(c.cycle_started_at), history } : null;
  }
  // reopened live: the history is what was stored before the message of the first reopening
  let first: { at: number; messageId: number } | null = null;
  for (const m of msgs) {
    for (const f of factsOf.get(Number(m.id)) ?? []) {
      if (f.kind !== 'reopen') continue;
      if (!first || Number(f.occurred_at) < first.at) first = { at: Number(f.occurred_at), messageId: Number(m.id) };
    }
  }
  if (!first) return null;
  const history = msgs.filter((m) => Number(m.id) < first.messageId);
  const last = history[history.length - 1];
  if (!last) return null;
  // its cycle began at its first message, or at a customer's first answer to the brand's post it began with
  const firstInbound = history.find((m) => m.direction === 'inbound');
  if (!firstInbound) return null;
  const from = history[0]!.direction === 'inbound' ? Number(history[0]!.created_at) : Number(firstInbound.created_at);
  return { last, at: Number(last.created_at), from, history };
}
