/**
 * Web chat visitor sessions: the server issues every visitor token.
 *
 * A session (`POST /webchat/:accountId/sessions`) creates a visitor record on one web chat
 * account: a random visitor id (what their messages carry, what agents see) and the SHA-256
 * of a fresh 256-bit token, which goes to the browser and nowhere else. Every other visitor
 * request presents the token; only one that hashes to a record of this account names a
 * visitor. A token a client made up (or one from before tokens were recorded) names no one:
 * it can neither post nor read, and creates nothing. The visitor id is not derived from the
 * token, so knowing it (agents see it) gives nothing to present.
 *
 * A plain SHA-256 is enough for the stored hash: the token is 256 random bits, not a
 * password, so there is nothing to brute-force from the hash.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Store } from '../../store/db.js';

/** An issued token: 32 random bytes, base64url (43 characters). */
const TOKEN_RE = /^[A-Za-z0-9_-]{43}$/;

/** Whether a string has the shape of a token this server issues (says nothing of whether it did). */
export const isTokenShaped = (token: unknown): token is string => typeof token === 'string' && TOKEN_RE.test(token);

/** What is stored for a token: its SHA-256, hex. */
export const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

/** A fresh visitor id: `v` + 128 random bits, hex (safe in network ids and LIKE patterns). */
export const newVisitorId = () => `v${randomBytes(16).toString('hex')}`;

export interface IssuedVisitor {
  /** Given to the browser once; only its hash is kept. */
  token: string;
  visitorId: string;
}

/** Starts a visitor session on this account: a new visitor record and the token that names it. */
export async function startVisitor(store: Store, account: { id: number; brand_id: number }, now: number): Promise<IssuedVisitor> {
  const token = randomBytes(32).toString('base64url');
  const visitorId = newVisitorId();
  await store.db.insertInto('webchat_visitor').values({ brand_id: account.brand_id, channel_account_id: account.id, visitor_id: visitorId, token_hash: tokenHash(token), created_at: now }).execute();
  return { token, visitorId };
}

/** The visitor this token was issued to on this account, or null (malformed, made up, or another account's). */
export async function visitorOfToken(store: Store, account: { id: number }, token: string): Promise<string | null> {
  if (!isTokenShaped(token)) return null;
  const row = await store.db
    .selectFrom('webchat_visitor')
    .select('visitor_id')
    .where('token_hash', '=', tokenHash(token))
    .where('channel_account_id', '=', account.id)
    .executeTakeFirst();
  return row?.visitor_id ?? null;
}
