/**
 * Live events over Server-Sent Events, scoped to the user's brand (and to the
 * user for personal notifications). Reconnecting clients send Last-Event-ID
 * (the header, or `?lastEventId=` from a client that opens a new stream itself)
 * and get what they missed, or a `reset` event telling them to refetch.
 *
 * Liveness: a `ping` event every `sse.pingMs` (its data says the period), so a
 * client can tell a silent stream from a quiet desk and reconnect. Shutdown: when
 * the server closes, every stream is ended at once (Fastify's preClose, before it
 * waits for connections to finish), so the process exits and browsers reconnect
 * to whichever process serves next instead of staying attached to a dying one.
 *
 * At the desk: an open stream means its person has the desk open, so the process holding it
 * marks them seen (`app_user.last_seen_at`) when it opens and every `sse.seenMs` after, for all
 * its streams together; whoever the housekeeping had set offline for absence is online
 * again (src/commands/availability.ts). In the database, not in this process: with several
 * processes the housekeeping runs in one, and the streams are held by any.
 *
 * Signed out: a stream is authenticated when it opens, and its session or API token is checked
 * again every `sse.pingMs` after, in the database (any process may hold the stream, and the
 * session may end in another: signed out in another tab, the person disabled, their password
 * changed or reset, two-factor sign-in turned on, expired; the brand now requiring two-factor
 * sign-in of a session without it; a token revoked or expired), with the rules of
 * `authenticate` (../auth.ts): one query a period for all the streams of the process. A stream
 * whose credential no longer passes gets a last `signed-out` event (its data: the `code` a
 * request would be refused with, and the `reason`) and is ended; the web client then stops
 * reconnecting and asks who is signed in (web/src/live/events.ts).
 *
 * At once, not at the next check: whatever ends sessions (signing out, signing out everywhere, a
 * password changed or reset, single logout from an identity provider, a passkey removed) says so
 * with `announceSessionsEnded` after it commits: a `session.ended` event on the bus (relayed to
 * every process like any other, never sent to a client) naming the people whose sessions ended;
 * a change to a person (`user.updated`: disabled, a password set by an admin, two-factor sign-in
 * turned on or reset, a new role) says it too. Either makes the process check those people's
 * streams now, with the same query and rules, so their ended streams are cut at once (the
 * database decides which: a person signed out of one tab keeps the others' streams). A session
 * running out is checked when it runs out (a timer for the next one due within a period). The
 * person's presence (../presence.ts) goes with the last of their streams here that ends so: their
 * colleagues stop seeing them in a conversation at once, not when their heartbeats time out.
 *
 * Role changed: what a stream receives follows from its person's role when it opened (an expert
 * hears only the conversations they were asked about). The same check reads the role; a stream
 * whose person's role changed gets a last `role-changed` event (its data: the new `role`) and is
 * ended, and the web client asks who it is and opens a new stream from the last event it had.
 *
 * Fan-out: one subscription per brand, not per client. Events published in one
 * turn of the event loop (a committed ingest batch) are framed once, encoded
 * into one buffer, and that same buffer is written to every client of the brand:
 * with 50 agents online the cost of an event is one JSON.stringify, one encode
 * and 50 socket writes, not 50 of each.
 */
import type { ServerResponse } from 'node:http';
import { z } from 'zod';
import { AppError } from '../../errors.js';
import { sql, type SelectQueryBuilder } from 'kysely';
import { requireRole, SESSION_MAX_AGE_MS, sessionRunOut } from '../auth.js';
import { ssoSatisfiesTwoFactor, twoFactorEnabled } from '../../commands/twoFactorPolicy.js';
import { parseObject } from '../../lib/json.js';
import type { Store } from '../../store/db.js';
import type { DB } from '../../store/schema.js';
import { securityOf } from '../../workflow/settings.js';
import type { App } from '../http.js';
import type { EventBus, LiveEvent } from '../../events/bus.js';
import { announceAvailability, markAtDesk } from '../../commands/availability.js';

const MAX_BUFFERED_BYTES = 1024 * 1024;

/**
 * How often an idle stream says it is alive (`pingMs`; clients treat ~2 periods of silence as a
 * dead stream) and its session or token is checked again (`pingMs` too: a stream whose session
 * ended is cut within a period), and how often the people with a stream open are marked seen
 * (`seenMs`: well inside the absence grace, ABSENCE_GRACE_MS). Tests shorten them.
 */
export const sse = { pingMs: 15_000, seenMs: 60_000 };

/** What a stream was opened with: a session (its stored id) or an API token (its stored hash). */
type Credential = { via: 'session'; sessionId: string } | { via: 'token'; tokenHash: string };

interface Client {
  userId: number;
  brandId: number;
  /** The person's role when the stream opened: what it may receive follows from it. */
  role: string;
  credential: Credential;
  res: ServerResponse;
  /** Events up to this id predate the client (or were replayed to it): never sent again. */
  after: number;
  /** End the stream now (server closing). */
  end(): void;
  /**
   * An expert's reach: they read only the conversations they are asked about (as the API lets
   * them), so only those conversations' events, their own notifications and brand-wide notices
   * reach them. Absent for everyone else.
   */
  scope?: Set<number>;
}

/** Said on the bus when sessions ended: the people's streams are checked at once (never sent to a client). */
export const SESSION_ENDED = 'session.ended';

/**
 * Tell every process that these people's sessions (some or all) have ended, after the change
 * committed: their live streams whose session or token no longer passes end at once, with
 * `signed-out`, instead of at the next periodic check. One event per brand, only to those people.
 */
export async function announceSessionsEnded(store: Store, bus: EventBus, userIds: readonly number[]): Promise<void> {
  const ids = [...new Set(userIds)];
  if (!ids.length) return;
  let rows: { id: number; brand_id: number }[];
  try {
    rows = await store.db.selectFrom('app_user').select(['id', 'brand_id']).where('id', 'in', ids).execute();
  } catch {
    // the sessions have ended all the same (committed): the streams' periodic check ends their streams
    return;
  }
  const byBrand = new Map<number, number[]>();
  for (const r of rows) {
    const b = Number(r.brand_id);
    if (!byBrand.has(b)) byBrand.set(b, []);
    byBrand.get(b)!.push(Number(r.id));
  }
  for (const [brandId, people] of byBrand) bus.publish(brandId, SESSION_ENDED, { userIds: people }, { userIds: people });
}

/** The people whose streams an event says to check now: sessions ended, or the person changed. */
function peopleToCheck(e: LiveEvent): number[] {
  if (e.type === SESSION_ENDED) return e.userIds ?? [];
  if (e.type === 'user.updated') {
    const id = (e.data as { id?: unknown } | null)?.id;
    return typeof id === 'number' ? [id] : [];
  }
  return [];
}

/** Brand-wide notices with no customer content, for experts too. */
const BRAND_WIDE = new Set(['incident', 'channel.health']);

/** The conversation an event is about, if any. */
function conversationOf(e: LiveEvent): number | undefined {
  const d = e.data as { conversationId?: unknown; id?: unknown } | null;
  const id = d?.conversationId ?? (e.type.startsWith('conversation.') ? d?.id : undefined);
  return typeof id === 'number' ? id : undefined;
}

/** Whether this client may see this event (personal ones only by their people; an expert only within their scope). */
function mayReceive(c: Client, e: LiveEvent): boolean {
  if (e.type === SESSION_ENDED) return false;
  if (e.userIds && !e.userIds.includes(c.userId)) return false;
  if (!c.scope) return true;
  const conv = conversationOf(e);
  // asked a new question: the conversation is theirs to read from now on
  if (e.userIds && e.type === 'notification' && conv !== undefined && (e.data as { kind?: string }).kind === 'expert.asked') c.scope.add(conv);
  if (e.userIds) return true;
  if (BRAND_WIDE.has(e.type)) return true;
  return conv !== undefined && c.scope.has(conv);
}

/** Why a stream's credential no longer passes: the code a request would be refused with, and the reason. */
export interface SignedOut {
  code: 'auth.session_expired' | 'auth.invalid_token' | 'auth.token_expired' | 'two_factor.required';
  reason: 'signed-out' | 'expired' | 'disabled' | 'two-factor-required' | 'revoked';
}

/** One row of the check: a session, a token, or a brand (for its two-factor policy). */
interface CheckRow {
  kind: string;
  key: string;
  expires_at: number | null;
  created_at: number | null;
  revoked_at: number | null;
  disabled_at: number | null;
  totp_enabled_at: number | null;
  /** The person's role now (sessions and tokens). */
  role: string | null;
  /** The session's single sign-on provider (null: none, or not a session). */
  sso_trusts_mfa: number | null;
  sso_enabled: number | null;
  settings: string | null;
}

const noTime = sql<number | null>`cast(null as bigint)`;
const noText = sql<string | null>`cast(null as text)`;

/**
 * The sessions and tokens of these streams that still exist, and the brands' settings, in one
 * query (nothing is asked for an empty list).
 */
async function credentialRows(store: Store, sessionIds: string[], tokenHashes: string[], brandIds: number[]): Promise<CheckRow[]> {
  const db = store.db;
  const parts: SelectQueryBuilder<DB, any, CheckRow>[] = [];
  if (sessionIds.length) {
    parts.push(db.selectFrom('session').innerJoin('app_user', 'app_user.id', 'session.user_id').leftJoin('sso_provider', 'sso_provider.id', 'session.sso_provider_id').where('session.id', 'in', sessionIds)
      .select([sql<string>`'session'`.as('kind'), 'session.id as key', sql<number | null>`session.expires_at`.as('expires_at'), sql<number | null>`session.created_at`.as('created_at'), noTime.as('revoked_at'), 'app_user.disabled_at', 'app_user.totp_enabled_at', 'app_user.role',
        // a session signed in with a user-verified passkey satisfies the policy as a provider trusted to enforce MFA does (../auth.ts, `mfaBySso`)
        sql<number | null>`case when session.passkey_id is not null then 1 else sso_provider.trusts_mfa end`.as('sso_trusts_mfa'), sql<number | null>`case when session.passkey_id is not null then 1 else sso_provider.enabled end`.as('sso_enabled'), noText.as('settings')]));
    if (brandIds.length) {
      parts.push(db.selectFrom('brand').where('brand.id', 'in', brandIds)
        .select([sql<string>`'brand'`.as('kind'), sql<string>`cast(brand.id as text)`.as('key'), noTime.as('expires_at'), noTime.as('created_at'), noTime.as('revoked_at'), noTime.as('disabled_at'), noTime.as('totp_enabled_at'), noText.as('role'), noTime.as('sso_trusts_mfa'), noTime.as('sso_enabled'), sql<string | null>`brand.settings`.as('settings')]));
    }
  }
  if (tokenHashes.length) {
    parts.push(db.selectFrom('api_token').innerJoin('app_user', 'app_user.id', 'api_token.user_id').where('api_token.token_hash', 'in', tokenHashes)
      .select([sql<string>`'token'`.as('kind'), 'api_token.token_hash as key', sql<number | null>`api_token.expires_at`.as('expires_at'), noTime.as('created_at'), sql<number | null>`api_token.revoked_at`.as('revoked_at'), 'app_user.disabled_at', noTime.as('totp_enabled_at'), 'app_user.role', noTime.as('sso_trusts_mfa'), noTime.as('sso_enabled'), noText.as('settings')]));
  }
  const [first, ...rest] = parts;
  if (!first) return [];
  let q = first;
  for (const p of rest) q = q.unionAll(p);
  return (await q.execute()) as CheckRow[];
}

/**
 * Which of these credentials no longer pass `authenticate` (../auth.ts) or the brand's two-factor
 * policy (`requireSecondFactorByPolicy`: API tokens pass it, and so do sessions with two-factor
 * sign-in on or signed in with a single sign-on provider trusted to enforce MFA), and why.
 */
export function signedOutOf<T extends { brandId: number; credential: Credential }>(streams: Iterable<T>, rows: CheckRow[], now: number): Map<T, SignedOut> {
  const sessions = new Map<string, CheckRow>();
  const tokens = new Map<string, CheckRow>();
  const requires = new Map<number, boolean>();
  for (const r of rows) {
    if (r.kind === 'session') sessions.set(r.key, r);
    else if (r.kind === 'token') tokens.set(r.key, r);
    else requires.set(Number(r.key), securityOf((parseObject(r.settings).workflow as { security?: unknown } | undefined)?.security).twoFactorRequired);
  }
  const out = new Map<T, SignedOut>();
  for (const t of streams) {
    const c = t.credential;
    if (c.via === 'session') {
      const r = sessions.get(c.sessionId);
      if (!r) out.set(t, { code: 'auth.session_expired', reason: 'signed-out' });
      else if (r.disabled_at != null) out.set(t, { code: 'auth.session_expired', reason: 'disabled' });
      else if (sessionRunOut({ expires_at: r.expires_at ?? 0, created_at: r.created_at ?? 0 }, now)) out.set(t, { code: 'auth.session_expired', reason: 'expired' });
      else if (!twoFactorEnabled(r) && !ssoSatisfiesTwoFactor(r.sso_trusts_mfa == null ? null : { trusts_mfa: r.sso_trusts_mfa, enabled: r.sso_enabled }) && requires.get(t.brandId)) out.set(t, { code: 'two_factor.required', reason: 'two-factor-required' });
    } else {
      const r = tokens.get(c.tokenHash);
      if (!r || r.revoked_at != null) out.set(t, { code: 'auth.invalid_token', reason: 'revoked' });
      else if (r.disabled_at != null) out.set(t, { code: 'auth.invalid_token', reason: 'disabled' });
      else if (r.expires_at != null && Number(r.expires_at) <= now) out.set(t, { code: 'auth.token_expired', reason: 'expired' });
    }
  }
  return out;
}

/**
 * Streams whose person's role changed since they opened (of those still signed in): what a
 * stream receives was decided by the role it opened with (an expert hears only the conversations
 * they were asked about), so it is ended and opened again with the new one.
 */
export function roleChangedOf<T extends { role: string; credential: Credential }>(streams: Iterable<T>, rows: CheckRow[], signedOut: Map<T, SignedOut>): Map<T, string> {
  const roles = new Map<string, string | null>();
  for (const r of rows) if (r.kind === 'session' || r.kind === 'token') roles.set(`${r.kind}:${r.key}`, r.role);
  const out = new Map<T, string>();
  for (const t of streams) {
    if (signedOut.has(t)) continue;
    const c = t.credential;
    const role = roles.get(c.via === 'session' ? `session:${c.sessionId}` : `token:${c.tokenHash}`);
    if (role && role !== t.role) out.set(t, role);
  }
  return out;
}

const pingFrame = () => `event: ping\ndata: {"every":${sse.pingMs}}\n\n`;

/** An event's SSE frame. */
function frameOf(e: LiveEvent): string {
  return `id: ${e.id}\nevent: ${e.type}\ndata: ${JSON.stringify(e.data)}\n\n`;
}

function send(c: Client, out: Buffer | string): void {
  if (c.res.destroyed || c.res.writableEnded) return;
  if (c.res.writableLength > MAX_BUFFERED_BYTES) {
    // a client this far behind cannot catch up: drop it now (ending would wait for it to read
    // what is buffered); it reconnects with Last-Event-ID
    c.res.destroy();
    return;
  }
  c.res.write(out);
}

class BrandFanout {
  readonly clients = new Set<Client>();
  private pending: LiveEvent[] = [];
  private scheduled = false;
  private readonly unsubscribe: () => void;

  constructor(bus: EventBus, brandId: number, private readonly check: (userIds: number[]) => void) {
    this.unsubscribe = bus.subscribe(brandId, (e) => {
      const people = peopleToCheck(e);
      if (people.length) this.check(people);
      // (a session ending is news for this process only, never for a client)
      if (e.type === SESSION_ENDED) return;
      this.pending.push(e);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  close(): void {
    this.unsubscribe();
  }

  private flush(): void {
    this.scheduled = false;
    const events = this.pending;
    this.pending = [];
    if (!events.length || !this.clients.size) return;
    const first = events[0]!.id;
    const forEveryone = events.every((e) => !e.userIds);
    let frames: string[] | null = null;
    let shared: Buffer | null = null;
    for (const c of this.clients) {
      frames ??= events.map(frameOf);
      if (forEveryone && c.after < first && !c.scope) {
        send(c, (shared ??= Buffer.from(frames.join(''))));
        continue;
      }
      // a personal notification, or a client that joined mid-turn: its own selection
      let out = '';
      events.forEach((e, i) => {
        if (e.id > c.after && mayReceive(c, e)) out += frames![i];
      });
      if (out) send(c, out);
    }
  }
}

export function eventRoutes(app: App) {
  const s = app.services;
  const fanouts = new Map<number, BrandFanout>();
  let closing = false;
  // who is at the desk: everyone with a stream open here marked at once, while any is
  let seenTimer: ReturnType<typeof setInterval> | null = null;
  let marking = false;
  const atDesk = async (userIds: number[]) => {
    try {
      await announceAvailability(s.bus, app.hooks.afterAvailability, await markAtDesk(s.store, userIds, s.clock.now()));
    } catch (err) {
      app.log.warn({ err }, 'marking who is at the desk failed');
    }
  };
  const markStreams = async () => {
    if (marking) return;
    marking = true;
    const ids = new Set<number>();
    for (const f of fanouts.values()) for (const c of f.clients) ids.add(c.userId);
    await atDesk([...ids]).finally(() => (marking = false));
  };
  // whose session or token has ended since their stream opened: one query for all the streams here
  let checkTimer: ReturnType<typeof setInterval> | null = null;
  /** A check for the session that runs out next, when that is sooner than the next period's. */
  let runOutTimer: ReturnType<typeof setTimeout> | null = null;
  let runOutAt = Infinity;
  let checking = false;
  /** Asked for while a check was under way: everyone (`all`), or these people; checked right after it. */
  let again: { all: boolean; people: Set<number> } | null = null;
  /** Check the streams of these people now (`only`), or every stream here (the period's check). */
  const checkStreams = async (only?: readonly number[]): Promise<void> => {
    if (checking) {
      // this one may read the database from before the change: check once more after it
      again ??= { all: false, people: new Set() };
      if (only) for (const id of only) again.people.add(id);
      else again.all = true;
      return;
    }
    checking = true;
    try {
      const people = only ? new Set(only) : null;
      const streams = [...fanouts.values()].flatMap((f) => [...f.clients]).filter((c) => !people || people.has(c.userId));
      if (!streams.length) return;
      const sessions = new Set<string>();
      const tokens = new Set<string>();
      const brands = new Set<number>();
      for (const c of streams) {
        if (c.credential.via === 'session') {
          sessions.add(c.credential.sessionId);
          brands.add(c.brandId);
        } else tokens.add(c.credential.tokenHash);
      }
      const rows = await credentialRows(s.store, [...sessions], [...tokens], [...brands]);
      const signedOut = signedOutOf(streams, rows, s.clock.now());
      for (const [c, why] of signedOut) {
        // the last word, so the client goes to sign-in (or the two-factor set-up) instead of reconnecting
        send(c, `event: signed-out\ndata: ${JSON.stringify(why)}\n\n`);
        c.end();
      }
      leavePresence(signedOut.keys());
      scheduleRunOut(rows, !only);
      for (const [c, role] of roleChangedOf(streams, rows, signedOut)) {
        // the client asks who it is now and opens a stream with the new role's reach, from where this one stopped
        send(c, `event: role-changed\ndata: ${JSON.stringify({ role })}\n\n`);
        c.end();
      }
    } catch (err) {
      // streams stay open while the database cannot say: a failed check is not a signed-out
      app.log.warn({ err }, 'checking the live streams\' sessions failed');
    } finally {
      checking = false;
      const next = again;
      again = null;
      if (next && !closing) void checkStreams(next.all ? undefined : [...next.people]);
    }
  };
  /**
   * The people of these ended streams leave every conversation's presence, unless a stream of
   * theirs here is still open (another session of theirs, still at the desk).
   */
  const leavePresence = (ended: Iterable<Client>) => {
    const gone = new Map<number, number>();
    for (const c of ended) gone.set(c.userId, c.brandId);
    if (!gone.size) return;
    for (const f of fanouts.values()) for (const c of f.clients) if (!c.res.writableEnded && !c.res.destroyed) gone.delete(c.userId);
    for (const [userId, brandId] of gone) s.presence.leaveAll(brandId, userId);
  };
  /**
   * A check when the next session of these streams runs out, if that is before the next period's
   * check. `all`: these are every stream's sessions (a timer set before is replaced); otherwise some
   * people's only (one set before stays if it is due sooner).
   */
  const scheduleRunOut = (rows: CheckRow[], all: boolean) => {
    const now = s.clock.now();
    let next = Infinity;
    for (const r of rows) {
      if (r.kind !== 'session' || r.expires_at == null) continue;
      // the first moment `sessionRunOut` says so
      next = Math.min(next, Number(r.expires_at) + 1, Number(r.created_at ?? 0) + SESSION_MAX_AGE_MS);
    }
    if (runOutTimer && (all || next < runOutAt)) {
      clearTimeout(runOutTimer);
      runOutTimer = null;
    }
    const wait = next - now;
    if (runOutTimer || !Number.isFinite(wait) || wait >= sse.pingMs || closing) return;
    runOutAt = next;
    runOutTimer = setTimeout(() => {
      runOutTimer = null;
      void checkStreams();
    }, Math.max(0, wait));
    runOutTimer.unref();
  };
  const stopTimers = () => {
    if (runOutTimer) clearTimeout(runOutTimer);
    runOutTimer = null;
    if (seenTimer) clearInterval(seenTimer);
    seenTimer = null;
    if (checkTimer) clearInterval(checkTimer);
    checkTimer = null;
  };
  // before Fastify stops listening and waits for open connections: streams never finish by themselves
  app.addHook('preClose', async () => {
    closing = true;
    stopTimers();
    for (const f of [...fanouts.values()]) for (const c of [...f.clients]) c.end();
  });
  app.get('/api/events', {
    schema: {
      tags: ['events'], summary: 'Live events (text/event-stream): message.created, conversation.updated, presence, notification, ping, ...; Last-Event-ID (header, or lastEventId) replays what was missed',
      querystring: z.object({ lastEventId: z.string().regex(/^\d{1,20}$/).optional() }),
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    if (closing) throw new AppError(503, 'server.closing', 'the server is shutting down; reconnect in a moment');
    const brandId = a.user.brand_id;
    // read before the stream opens, so nothing published once it is open is missed
    const scope = a.user.role === 'expert' ? new Set(await s.workflowCommands.expertConversationIds(a.user.id)) : undefined;
    const res = reply.raw;
    reply.hijack();
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    res.write(`retry: 3000\n: connected\n\n`);
    let ping: ReturnType<typeof setInterval> | undefined;
    const credential: Credential = a.via === 'session' ? { via: 'session', sessionId: a.sessionId! } : { via: 'token', tokenHash: a.tokenHash! };
    const client: Client = {
      userId: a.user.id, brandId, role: a.user.role, credential, res, after: s.bus.lastId(),
      end() {
        clearInterval(ping);
        if (!res.writableEnded) res.end();
        // not kept alive for another request: the server is closing
        res.socket?.end();
      },
    };
    // a write that fails (the client went away) ends this stream, never the process
    res.on('error', () => client.end());
    if (scope) client.scope = scope;
    const lastId = Number(req.headers['last-event-id'] ?? req.query.lastEventId);
    if (Number.isFinite(lastId) && lastId > 0) {
      const missed = s.bus.since(brandId, lastId);
      if (missed === null) res.write(`event: reset\ndata: {}\n\n`);
      else {
        const out = missed.filter((e) => mayReceive(client, e)).map(frameOf).join('');
        if (out) res.write(out);
      }
    }
    let fanout = fanouts.get(brandId);
    if (!fanout) fanouts.set(brandId, (fanout = new BrandFanout(s.bus, brandId, (people) => void checkStreams(people))));
    fanout.clients.add(client);
    s.metrics.sseClients.inc();
    ping = setInterval(() => send(client, pingFrame()), sse.pingMs);
    if (!seenTimer && !closing) {
      seenTimer = setInterval(() => void markStreams(), sse.seenMs);
      seenTimer.unref();
    }
    if (!checkTimer && !closing) {
      checkTimer = setInterval(() => void checkStreams(), sse.pingMs);
      checkTimer.unref();
    }
    res.on('close', () => {
      clearInterval(ping);
      s.metrics.sseClients.dec();
      fanout.clients.delete(client);
      if (!fanout.clients.size && fanouts.get(brandId) === fanout) {
        fanout.close();
        fanouts.delete(brandId);
        if (!fanouts.size) stopTimers();
      }
    });
    // seen now; back at the desk if they were away from it (after the stream is in the fan-out,
    // so their own desk hears that too)
    await atDesk([a.user.id]);
  });
}
