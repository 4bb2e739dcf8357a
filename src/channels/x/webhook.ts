/**
 * X Account Activity API webhooks (docs: "Securing webhooks", AAA data objects):
 *  - CRC: X sends `GET ?crc_token=…`; we answer
 *    `{"response_token": "sha256=" + base64(HMAC-SHA256(consumer_secret, crc_token))}`;
 *  - each POST carries `x-twitter-webhooks-signature: sha256=<base64 HMAC-SHA256 of the
 *    raw body with the consumer secret>`, checked in constant time over the exact bytes.
 * One webhook serves every subscribed user of an app; `for_user_id` says whose events
 * a delivery holds, and this account keeps only its own.
 */
import { isUtf8 } from 'node:buffer';
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { NormalizedMessage } from '../../core/types.js';
import { jsonArrayItemBytes, RawJson } from '../../lib/json.js';
import { exactId, isPlainObject, jsonKind, normalizeItem, parseJsonExactly, type RejectedItem } from '../errorPolicy.js';
import { ChannelError, type WebhookRequest, type WebhookResult } from '../types.js';
import { normalizeV1DmEvent, normalizeV1Tweet, type XAccountRef } from './normalize.js';

export const SIGNATURE_HEADER = 'x-twitter-webhooks-signature';

/**
 * The shape of the crc_token X sends (a UUID or base64/base64url text). Anything else is
 * refused: the CRC answer is the HMAC of the token under the same secret that signs
 * deliveries, so answering for a token that could be a JSON body would sign that body for
 * whoever asked (a forged delivery). No JSON object or array fits this alphabet.
 */
const CRC_TOKEN = /^[A-Za-z0-9._~+/=-]{1,256}$/;

export function crcResponseToken(consumerSecret: string, crcToken: string): string {
  return `sha256=${createHmac('sha256', consumerSecret).update(crcToken).digest('base64')}`;
}

export function signXWebhook(consumerSecret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', consumerSecret).update(body).digest('base64')}`;
}

function header(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name] ?? req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

export function verifyXSignature(consumerSecret: string, rawBody: Buffer, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(signXWebhook(consumerSecret, rawBody));
  const actual = Buffer.from(given.trim());
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/**
 * The exact bytes of the `n` items of the body's array `key`, or null (none, not found
 * as parsed, or a body that is not valid UTF-8, whose decoded text differs from its bytes).
 * The items are views into the body, which they keep alive until their batch is stored: a
 * body that is itself a view into a much larger buffer is copied first, so a queued message
 * never holds more than its delivery.
 */
function exactItems(body: Buffer, key: string, n: number): Buffer[] | null {
  if (n === 0 || !isUtf8(body)) return null;
  const own = body.buffer.byteLength > 2 * body.byteLength + 8192 ? Buffer.from(body) : body;
  const items = jsonArrayItemBytes(own, key);
  return items?.length === n ? items : null;
}

/** Answer a CRC or verify and parse an event delivery for the account `me`. */
export function handleXWebhook(req: WebhookRequest, consumerSecret: string | null, me: XAccountRef, now: number): WebhookResult {
  if (!consumerSecret) throw new ChannelError('AUTH_REVOKED', 'the X account has no API key secret (consumer secret) to check webhooks with; reconnect it with apiSecret');
  if (req.method.toUpperCase() === 'GET') {
    const token: unknown = req.query.crc_token;
    if (!token) throw new ChannelError('INVALID_REQUEST', 'a GET on the X webhook must carry crc_token');
    if (typeof token !== 'string' || !CRC_TOKEN.test(token)) {
      throw new ChannelError('INVALID_REQUEST', 'crc_token must be one token of at most 256 letters, digits and ._~+/=- (as X sends it)');
    }
    return { response: { status: 200, body: { response_token: crcResponseToken(consumerSecret, token) }, headers: { 'content-type': 'application/json' } }, messages: [] };
  }
  if (!verifyXSignature(consumerSecret, req.rawBody, header(req, SIGNATURE_HEADER))) {
    throw new ChannelError('AUTH_REVOKED', `the X webhook signature (${SIGNATURE_HEADER}) is missing or does not match the body`);
  }
  let body: any;
  const text = req.rawBody.toString('utf8');
  try {
    body = JSON.parse(text);
  } catch {
    throw new ChannelError('INVALID_REQUEST', 'the X webhook body is not JSON');
  }
  const read = readDelivery(body, req.rawBody, me, now);
  // X sends each id as a string beside the number (id_str): only a delivery that had to rely on
  // a number beyond 2^53 is read again with such numbers exact (a slower second pass, rarely needed)
  const lost = (typeof body?.for_user_id === 'number' && !Number.isSafeInteger(body.for_user_id)) || read.rejected?.some((r) => r.reason.includes('lost precision'));
  return lost ? readDelivery(parseJsonExactly(text), req.rawBody, me, now) : read;
}

/** The messages (and rejected items) of a parsed, verified delivery for the account `me`. */
function readDelivery(body: any, rawBody: Buffer, me: XAccountRef, now: number): WebhookResult {
  const messages: NormalizedMessage[] = [];
  const rejected: RejectedItem[] = [];
  const deletions: { networkMessageId: string }[] = [];
  const done = () => ({ response: { status: 200 }, messages, ...(rejected.length ? { rejected } : {}), ...(deletions.length ? { deletions } : {}) });
  if (!isPlainObject(body)) {
    rejected.push({ reason: `the delivery is ${jsonKind(body)}, not an Account Activity event object`, raw: body });
    return done();
  }
  // deliveries for other users subscribed to the same app webhook are not ours (compared as exact text)
  if (body.for_user_id !== undefined) {
    let forUser: string;
    try {
      forUser = exactId(body.for_user_id, 'for_user_id');
    } catch {
      forUser = '';
    }
    if (forUser !== me.userId) return done();
  }
  for (const key of ['tweet_create_events', 'direct_message_events', 'tweet_delete_events'] as const) {
    if (body[key] !== undefined && !Array.isArray(body[key])) rejected.push({ reason: `${key} is ${jsonKind(body[key])}, not an array of events`, raw: body[key] });
  }
  // each event's raw payload is its exact text in the body (not the parsed copy serialized again)
  const tweets: unknown[] = Array.isArray(body.tweet_create_events) ? body.tweet_create_events : [];
  const tweetTexts = exactItems(rawBody, 'tweet_create_events', tweets.length);
  tweets.forEach((t, i) => {
    if (!isPlainObject(t)) return void rejected.push({ reason: `tweet_create_events[${i}] is not a Tweet object`, raw: t });
    // one item that cannot be read is quarantined with the reason; the rest are stored
    const bytes = tweetTexts?.[i];
    const m = normalizeItem(rejected, bytes ? new RawJson(bytes) : t, `tweet_create_events[${i}]`, () => normalizeV1Tweet(t, me, { now, rawBytes: bytes }));
    if (m) messages.push(m);
  });
  const dms: unknown[] = Array.isArray(body.direct_message_events) ? body.direct_message_events : [];
  const dmTexts = exactItems(rawBody, 'direct_message_events', dms.length);
  dms.forEach((ev, i) => {
    if (!isPlainObject(ev)) return void rejected.push({ reason: `direct_message_events[${i}] is not a message event object`, raw: ev });
    const bytes = dmTexts?.[i];
    const m = normalizeItem(rejected, bytes ? new RawJson(bytes) : ev, `direct_message_events[${i}]`, () => normalizeV1DmEvent(ev, body.users, me, { now, rawBytes: bytes }));
    if (m) messages.push(m);
  });
  // a Post deleted by its author: `{"status": {"id", "user_id"}, "timestamp_ms"}` (AAA data objects); honoured, per X's terms
  const deletes: unknown[] = Array.isArray(body.tweet_delete_events) ? body.tweet_delete_events : [];
  deletes.forEach((ev, i) => {
    const where = `tweet_delete_events[${i}]`;
    if (!isPlainObject(ev) || !isPlainObject(ev.status)) return void rejected.push({ reason: `${where} is not a delete event ({"status": {"id": …}})`, raw: ev });
    try {
      const id = exactId(ev.status.id, 'status.id');
      if (!id) return void rejected.push({ reason: `${where} has no status.id`, raw: ev });
      deletions.push({ networkMessageId: id });
    } catch (err) {
      rejected.push({ reason: `${where}: ${err instanceof Error ? err.message : String(err)}`, raw: ev });
    }
  });
  // likes, follows, typing, read receipts, revokes: not messages (a revoke shows up as
  // AUTH_REVOKED on the next poll, which marks the account unhealthy)
  return done();
}
