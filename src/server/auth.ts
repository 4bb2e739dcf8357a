/**
 * Authentication: session cookies for people (scrypt passwords, httpOnly,
 * SameSite=Lax, CSRF token required on cookie-authenticated writes), bearer API
 * tokens for integrations. Tokens and session ids are stored only as SHA-256.
 * Sign-in attempts are rate-limited per address and per account, in the database (every process
 * shares the counts).
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sql } from 'kysely';
import type { Actor } from '../commands/context.js';
import { ssoSatisfiesTwoFactor, twoFactorEnabled, twoFactorRequired } from '../commands/twoFactorPolicy.js';
import type { Role } from '../core/types.js';
import { AppError } from '../errors.js';
import type { Store } from '../store/db.js';
import type { User } from '../store/schema.js';
import type { Tx } from '../store/util.js';

export const SESSION_COOKIE = 'parley_session';
export const SESSION_TTL_MS = 14 * 24 * 3600_000;
/** However active, a session ends this long after sign-in (a stolen cookie does not live for ever). */
export const SESSION_MAX_AGE_MS = 30 * 24 * 3600_000;

/** Whether a session has run out: idle past its expiry, or older than SESSION_MAX_AGE_MS however active. */
export const sessionRunOut = (s: { expires_at: number | string; created_at: number | string }, now: number): boolean =>
  Number(s.expires_at) < now || now - Number(s.created_at) >= SESSION_MAX_AGE_MS;

export interface AuthContext {
  user: User;
  actor: Actor;
  via: 'session' | 'token';
  sessionId?: string;
  /** The API token's stored SHA-256 (a token's call). */
  tokenHash?: string;
  csrfToken?: string;
  /**
   * The session was signed in with a single sign-on provider that the brand's admin states
   * enforces MFA (and is still enabled), or with a user-verified passkey (routes/passkeys.ts):
   * it satisfies the brand's two-factor policy.
   */
  mfaBySso?: boolean;
}

declare module 'fastify' {
  interface FastifyRequest {
    auth?: AuthContext;
  }
  interface FastifyContextConfig {
    /** Anyone may call the route: no session or token is looked for (webhooks check a signature instead). */
    public?: boolean;
    /**
     * Open to a session its brand's two-factor policy stops everywhere else: what someone needs
     * to set two-factor sign-in up, or to leave (see `requireSecondFactorByPolicy`).
     */
    allowWithoutSecondFactor?: boolean;
  }
}

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const token = (bytes = 32) => randomBytes(bytes).toString('base64url');

export async function createSession(store: Store, user: User, now: number, meta: { ip?: string; userAgent?: string; ssoProviderId?: number; passkeyId?: number }) {
  const raw = token();
  const csrf = token(24);
  await store.db
    .insertInto('session')
    .values({ id: sha256(raw), user_id: user.id, csrf_token: csrf, created_at: now, expires_at: now + SESSION_TTL_MS, last_seen_at: now, ip: meta.ip ?? null, user_agent: meta.userAgent?.slice(0, 300) ?? null, sso_provider_id: meta.ssoProviderId ?? null, passkey_id: meta.passkeyId ?? null })
    .execute();
  return { cookie: raw, csrfToken: csrf };
}

export async function destroySession(store: Store, sessionId: string) {
  await store.db.deleteFrom('session').where('id', '=', sessionId).execute();
}

export async function createApiToken(store: Store, user: User, name: string, now: number, expiresAt: number | null = null): Promise<{ raw: string; id: number }> {
  const raw = `prl_${token(30)}`;
  const row = await store.db.insertInto('api_token').values({ brand_id: user.brand_id, user_id: user.id, name, token_hash: sha256(raw), prefix: raw.slice(0, 8), created_at: now, expires_at: expiresAt }).returning('id').executeTakeFirstOrThrow();
  return { raw, id: row.id };
}

/** Revoke every live token of a person (their password changed: whoever held a token made with a stolen session loses it). */
export async function revokeTokensOf(db: Tx, userId: number, now: number): Promise<number> {
  const r = await db.updateTable('api_token').set({ revoked_at: now }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst();
  return Number(r.numUpdatedRows);
}

/** Sign a person out of every session (but `keep`, the one making the change); how many ended. */
export async function endSessionsOf(db: Tx, userId: number, keep?: string | null): Promise<number> {
  let q = db.deleteFrom('session').where('user_id', '=', userId);
  if (keep) q = q.where('id', '!=', keep);
  return Number((await q.executeTakeFirst()).numDeletedRows);
}

function actorFor(user: User, via: 'session' | 'token', tokenId?: number): Actor {
  return { brandId: user.brand_id, userId: user.id, role: user.role as Role, name: via === 'token' && tokenId != null ? `token:${tokenId}` : `user:${user.id}` };
}

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Resolve who is calling; throws 401 when nobody is. */
export async function authenticate(store: Store, req: FastifyRequest, now: number): Promise<AuthContext> {
  const authz = req.headers.authorization;
  if (authz?.startsWith('Bearer ')) {
    const tokenHash = sha256(authz.slice(7).trim());
    const row = await store.db
      .selectFrom('api_token')
      .innerJoin('app_user', 'app_user.id', 'api_token.user_id')
      .selectAll('app_user')
      .select(['api_token.id as token_id', 'api_token.revoked_at as token_revoked', 'api_token.last_used_at as token_used', 'api_token.expires_at as token_expires'])
      .where('api_token.token_hash', '=', tokenHash)
      .executeTakeFirst();
    if (!row || row.token_revoked || row.disabled_at) throw new AppError(401, 'auth.invalid_token', 'the API token is unknown or revoked');
    if (row.token_expires != null && Number(row.token_expires) <= now) throw new AppError(401, 'auth.token_expired', 'the API token has expired; an admin creates a new one');
    if (!row.token_used || now - row.token_used > 60_000) await store.db.updateTable('api_token').set({ last_used_at: now }).where('id', '=', row.token_id).execute();
    const { token_id, token_revoked: _r, token_used: _u, token_expires: _x, ...user } = row;
    return { user, actor: actorFor(user, 'token', token_id), via: 'token', tokenHash };
  }
  const cookie = req.cookies?.[SESSION_COOKIE];
  if (!cookie) throw new AppError(401, 'auth.required', 'sign in first');
  const sid = sha256(cookie);
  const row = await store.db
    .selectFrom('session')
    .innerJoin('app_user', 'app_user.id', 'session.user_id')
    .selectAll('app_user')
    .leftJoin('sso_provider', 'sso_provider.id', 'session.sso_provider_id')
    .select(['session.csrf_token', 'session.expires_at', 'session.last_seen_at as session_seen', 'session.created_at as session_created', 'session.passkey_id as session_passkey', 'sso_provider.trusts_mfa as sso_trusts_mfa', 'sso_provider.enabled as sso_enabled'])
    .where('session.id', '=', sid)
    .executeTakeFirst();
  if (!row || sessionRunOut({ expires_at: row.expires_at, created_at: row.session_created }, now) || row.disabled_at) throw new AppError(401, 'auth.session_expired', 'your session has ended; sign in again');
  const { csrf_token, expires_at: _e, session_seen, session_created: _c, session_passkey, sso_trusts_mfa, sso_enabled, ...user } = row;
  if (UNSAFE.has(req.method)) {
    const sent = req.headers['x-csrf-token'];
    const ok = typeof sent === 'string' && sent.length === csrf_token.length && timingSafeEqual(Buffer.from(sent), Buffer.from(csrf_token));
    if (!ok) throw new AppError(403, 'auth.csrf', 'missing or wrong X-CSRF-Token header');
  }
  if (now - session_seen > 60_000) {
    await store.db.updateTable('session').set({ last_seen_at: now, expires_at: Math.min(now + SESSION_TTL_MS, Number(row.session_created) + SESSION_MAX_AGE_MS) }).where('id', '=', sid).execute();
    await store.db.updateTable('app_user').set({ last_seen_at: now }).where('id', '=', user.id).execute();
  }
  return { user, actor: actorFor(user, 'session'), via: 'session', sessionId: sid, csrfToken: csrf_token, mfaBySso: ssoSatisfiesTwoFactor({ trusts_mfa: sso_trusts_mfa, enabled: sso_enabled }) || session_passkey != null };
}

/**
 * A brand that requires two-factor sign-in (../commands/twoFactorPolicy.ts): a session of
 * someone of it without two-factor sign-in on is refused with 403 `two_factor.required`, so
 * the only way on is to set it up; a session signed in with a single sign-on provider trusted to
 * enforce MFA passes (`mfaBySso`). API tokens pass: they are machine access, made and revoked
 * by admins. `brandRequires` is asked only for a session without it, and may cache.
 */
export async function requireSecondFactorByPolicy(auth: AuthContext, brandRequires: (brandId: number) => Promise<boolean>): Promise<void> {
  if (auth.via !== 'session' || twoFactorEnabled(auth.user) || auth.mfaBySso) return;
  if (await brandRequires(auth.user.brand_id)) throw twoFactorRequired();
}

export function requireRole(req: FastifyRequest, ...roles: Role[]): AuthContext {
  const a = req.auth;
  if (!a) throw new AppError(401, 'auth.required', 'sign in first');
  if (roles.length && !roles.includes(a.user.role as Role)) throw new AppError(403, 'forbidden', `this needs the ${roles.join(' or ')} role`);
  return a;
}

/** Sliding-window limiter in memory, per process (webchat's and the admins' own bounds; sign-in's are `LoginGuard`'s, in the database). */
export class LoginLimiter {
  private readonly hits = new Map<string, number[]>();
  constructor(private readonly max: number, private readonly windowMs: number) {}

  /** Seconds to wait, or 0 when allowed. */
  check(key: string, now: number): number {
    const list = (this.hits.get(key) ?? []).filter((t) => t > now - this.windowMs);
    this.hits.set(key, list);
    if (list.length < this.max) return 0;
    return Math.ceil((list[0]! + this.windowMs - now) / 1000);
  }

  record(key: string, now: number): void {
    const list = this.hits.get(key) ?? [];
    list.push(now);
    this.hits.set(key, list);
    if (this.hits.size > 50_000) this.hits.delete(this.hits.keys().next().value!);
  }

  /** Take back one hit recorded at `at` (an attempt that turned out fine). */
  unrecord(key: string, at: number): void {
    const list = this.hits.get(key);
    const i = list?.lastIndexOf(at) ?? -1;
    if (i >= 0) list!.splice(i, 1);
  }

  reset(key: string): void {
    this.hits.delete(key);
  }
}

/** One sliding-window bound: at most `max` attempts in `windowMs`, under its own `name`. */
export interface SignInLimit {
  name: string;
  max: number;
  windowMs: number;
}

/** However many distinct addresses flood the sign-in page, the attempts' table keeps at most this many rows (the oldest go first). */
export const SIGN_IN_ROWS_MAX = 300_000;
/** How long an address an account signed in from stays its own (as long as the longest session). */
export const KNOWN_ADDRESS_TTL_MS = SESSION_MAX_AGE_MS;
/** The advisory locks' scope of the sign-in counters on PostgreSQL (../store/util.ts's `lockBrand` has 1–7). */
const SIGN_IN_LOCK = 872_008;
const PRUNE_BATCH = 500;

/**
 * Sliding-window counters of sign-in attempts in the database, so that every process on it shares
 * them and a restart keeps them. A counter's key is a keyed hash (HMAC-SHA256 under a key derived
 * from the instance secret, truncated to 128 bits) of its name and what it counts: no email or
 * address is stored in clear, and the same in every process that shares the secret. An attempt is
 * checked and counted in one transaction; on PostgreSQL it holds an advisory lock on each key it
 * counts, so attempts sent at once to several processes are bounded like attempts sent one by one
 * (SQLite's write lock does the same). One row per counted attempt; expired rows are pruned on
 * write, and beyond SIGN_IN_ROWS_MAX rows the oldest go, so a flood of distinct addresses cannot
 * grow the table without bound (at worst, it makes the oldest counts forgotten early, as the
 * in-memory counters did). The per-check cost: one transaction of a lock, one indexed count and
 * one insert, then two indexed deletes.
 */
export class SignInLimits {
  private readonly key: Buffer;
  constructor(private readonly store: Store, deriveKey: (purpose: string) => Buffer, private readonly maxRows = SIGN_IN_ROWS_MAX) {
    this.key = deriveKey('sign-in-limits');
  }

  /** The stored key of `name`'s counter of `subject`. */
  keyOf(name: string, subject: string): string {
    return createHmac('sha256', this.key).update(`${name}\u0000${subject}`).digest().subarray(0, 16).toString('base64url');
  }

  /**
   * Count one attempt on each of `counts` at `now`, unless one whose `check` is not false is
   * already at its bound: then nothing is counted and the answer is the seconds to wait (else 0).
   */
  async attempt(counts: { limit: SignInLimit; subject: string; check?: boolean }[], now: number): Promise<number> {
    const rows = counts.map((c) => ({ ...c, key: this.keyOf(c.limit.name, c.subject) }));
    const keys = rows.map((r) => r.key);
    const admitted = await this.store.db.transaction().execute(async (trx) => {
      if (this.store.dialect === 'postgres') {
        // in one order, so that two attempts that share keys never wait on each other crosswise
        const locks = [...new Set(keys.map((k) => Buffer.from(k, 'base64url').readInt32BE(0)))].sort((a, b) => a - b);
        await sql`select pg_advisory_xact_lock(${SIGN_IN_LOCK}, k) from unnest(${sql.val(locks)}::int[]) as k`.execute(trx);
      }
      const live = await trx.selectFrom('sign_in_attempt')
        .select(['key', (e) => e.fn.countAll<number | string>().as('n'), (e) => e.fn.min('expires_at').as('first')])
        .where('key', 'in', keys).where('expires_at', '>', now).groupBy('key').execute();
      let wait = 0;
      for (const r of rows) {
        const l = live.find((x) => x.key === r.key);
        if (r.check !== false && l && Number(l.n) >= r.limit.max) wait = Math.max(wait, Math.max(1, Math.ceil((Number(l.first) - now) / 1000)));
      }
      if (wait > 0) return { wait, lastId: 0 };
      const ids = await trx.insertInto('sign_in_attempt').values(rows.map((r) => ({ key: r.key, at: now, expires_at: now + r.limit.windowMs }))).returning('id').execute();
      return { wait: 0, lastId: Math.max(...ids.map((i) => Number(i.id))) };
    });
    if (admitted.wait === 0) await this.prune(now, admitted.lastId);
    return admitted.wait;
  }

  /** Take back one attempt counted at `at` on each of these counters. */
  async takeBack(counts: { limit: SignInLimit; subject: string }[], at: number): Promise<void> {
    const keys = counts.map((c) => this.keyOf(c.limit.name, c.subject));
    const db = this.store.db;
    await db.deleteFrom('sign_in_attempt')
      .where('id', 'in', db.selectFrom('sign_in_attempt').select((e) => e.fn.min('id').as('id')).where('key', 'in', keys).where('at', '=', at).groupBy('key'))
      .execute();
  }

  /** Forget every attempt on a counter. */
  async clear(limit: SignInLimit, subject: string): Promise<void> {
    await this.store.db.deleteFrom('sign_in_attempt').where('key', '=', this.keyOf(limit.name, subject)).execute();
  }

  /** Whether `subject` (an account at an address) signed in within KNOWN_ADDRESS_TTL_MS. */
  async isKnown(subject: string, now: number): Promise<boolean> {
    return !!(await this.store.db.selectFrom('sign_in_known').select('key').where('key', '=', this.keyOf('known', subject)).where('at', '>', now - KNOWN_ADDRESS_TTL_MS).executeTakeFirst());
  }

  /** Remember that `subject` (an account at an address) signed in at `now`. */
  async remember(subject: string, now: number): Promise<void> {
    const db = this.store.db;
    await db.insertInto('sign_in_known').values({ key: this.keyOf('known', subject), at: now }).onConflict((c) => c.column('key').doUpdateSet({ at: now })).execute();
    await db.deleteFrom('sign_in_known').where('key', 'in', db.selectFrom('sign_in_known').select('key').where('at', '<=', now - KNOWN_ADDRESS_TTL_MS).limit(PRUNE_BATCH)).execute();
  }

  /** Expired attempts go (a batch at a time), and any beyond the newest `maxRows`. */
  private async prune(now: number, lastId: number): Promise<void> {
    const db = this.store.db;
    await db.deleteFrom('sign_in_attempt').where('id', 'in', db.selectFrom('sign_in_attempt').select('id').where('expires_at', '<=', now).limit(PRUNE_BATCH)).execute();
    if (lastId > this.maxRows) await db.deleteFrom('sign_in_attempt').where('id', '<=', lastId - this.maxRows).execute();
  }
}

/** A bound per address alone (the public password-reset routes', single sign-on's starts and callbacks). */
export interface AddressLimit {
  /** Seconds to wait, or 0 when this try may go ahead, in which case it is counted now. */
  attempt(ip: string, now: number): Promise<number>;
  /** Take back the try counted at `at` (one that turned out fine). */
  takeBack(ip: string, at: number): Promise<void>;
}

const PER_ADDRESS: SignInLimit = { name: 'address', max: 30, windowMs: 10 * 60_000 };
const PER_ACCOUNT_ADDRESS: SignInLimit = { name: 'account-address', max: 10, windowMs: 15 * 60_000 };
const PER_ACCOUNT: SignInLimit = { name: 'account', max: 50, windowMs: 15 * 60_000 };

/**
 * Who may try to sign in now. Attempts are counted per address, per account from one address,
 * and per account from anywhere with a much higher bound: someone guessing from one address is
 * stopped after a few tries, and a whole office behind one address is not locked out by one
 * person's typos. An attempt is counted when it starts, before the password is checked, so
 * attempts sent at once are bounded like attempts sent one by one; a successful one is taken
 * back. The bound per account from anywhere does not apply at an address where that person has
 * signed in before (a live session from it, or a success in the last 30 days), so failures under
 * someone's name elsewhere cannot lock them out of their own desk. The counts are in the database
 * (`SignInLimits`): every process on it shares them, and a restart keeps them. Behind a proxy, the
 * address is the client's only with PARLEY_TRUST_PROXY set; otherwise every sign-in shares the proxy's.
 */
export class LoginGuard {
  readonly limits: SignInLimits;
  constructor(store: Store, deriveKey: (purpose: string) => Buffer) {
    this.limits = new SignInLimits(store, deriveKey);
  }

  private static accountAt = (email: string, ip: string) => `${email}\u0000${ip}`;

  /** Whether this address has seen a successful sign-in of this account (in the last 30 days). */
  isKnown(email: string, ip: string, now: number): Promise<boolean> {
    return this.limits.isKnown(LoginGuard.accountAt(email, ip), now);
  }

  /**
   * Seconds to wait, or 0 when this attempt may go ahead, in which case it is counted now
   * (atomically, in every process: no other attempt can slip in between the check and the count).
   */
  async attempt(email: string, ip: string, now: number, knownAddress = false): Promise<number> {
    const known = knownAddress || (await this.isKnown(email, ip, now));
    return this.limits.attempt([
      { limit: PER_ADDRESS, subject: ip },
      { limit: PER_ACCOUNT_ADDRESS, subject: LoginGuard.accountAt(email, ip) },
      { limit: PER_ACCOUNT, subject: email, check: !known },
    ], now);
  }

  /**
   * The attempt counted at `at` neither failed nor succeeded (the right password, the second
   * factor still to come): take it back, and nothing more. Unlike `succeeded`, the tries counted
   * before it stay, and the address is not remembered as the person's: someone who has the
   * password but not the phone gets no fresh tries at the code by sending the password alone.
   */
  excused(email: string, ip: string, at: number): Promise<void> {
    return this.limits.takeBack([{ limit: PER_ADDRESS, subject: ip }, { limit: PER_ACCOUNT_ADDRESS, subject: LoginGuard.accountAt(email, ip) }, { limit: PER_ACCOUNT, subject: email }], at);
  }

  /** The attempt counted at `at` succeeded: take it back, and remember the address. */
  async succeeded(email: string, ip: string, at: number): Promise<void> {
    await this.limits.takeBack([{ limit: PER_ADDRESS, subject: ip }, { limit: PER_ACCOUNT, subject: email }], at);
    await this.limits.clear(PER_ACCOUNT_ADDRESS, LoginGuard.accountAt(email, ip));
    await this.limits.remember(LoginGuard.accountAt(email, ip), at);
  }

  /** A bound per address alone, shared by every process as the sign-in bounds are (`name` keeps its count apart). */
  perAddress(name: string, max = PER_ADDRESS.max, windowMs = PER_ADDRESS.windowMs): AddressLimit {
    const limit: SignInLimit = { name: `address:${name}`, max, windowMs };
    return {
      attempt: (ip, now) => this.limits.attempt([{ limit, subject: ip }], now),
      takeBack: (ip, at) => this.limits.takeBack([{ limit, subject: ip }], at),
    };
  }
}

export function setSessionCookie(reply: FastifyReply, value: string, secure: boolean) {
  reply.setCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: SESSION_TTL_MS / 1000 });
}

export function clearSessionCookie(reply: FastifyReply) {
  reply.clearCookie(SESSION_COOKIE, { path: '/' });
}
