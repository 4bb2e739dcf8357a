/**
 * A small Meta Graph API client shared by the Facebook Pages and Instagram connectors:
 * versioned requests over `deps.fetch` with the Page access token and `appsecret_proof`,
 * per-request timeouts, Graph error → ChannelError mapping, and the webhook plumbing
 * both products share (verification handshake, `X-Hub-Signature-256`).
 *
 * Error mapping (developers.facebook.com "Handling errors", "Rate limits"):
 *  - 190 (token expired/revoked/invalid, any subcode), 102, an invalid appsecret_proof → AUTH_REVOKED
 *  - 4, 17, 32, 613, 341 and the Business Use Case codes 80001–80014 → RATE_LIMITED, with
 *    `retryAt` from `x-business-use-case-usage` `estimated_time_to_regain_access` (minutes)
 *    or `Retry-After`
 *  - 10, 3, 200–299 (permissions), 368 (policy block) → PERMISSION_DENIED, except the
 *    per-conversation messaging refusals (outside the 24-hour window 10/2018278, person
 *    unavailable 551, private reply already sent 10900) → INVALID_REQUEST: they concern one
 *    reply, not the account
 *  - 100 (invalid parameter) → INVALID_REQUEST, or NOT_FOUND for subcode 33 (no such object)
 *  - 1, 2 or `is_transient`, 5xx → TEMPORARY for reads; TIMEOUT for writes (may have been
 *    applied: the outbox checks with findSent before sending again)
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { isPlainObject, jsonKind, parseJsonExact, type RejectedItem } from '../errorPolicy.js';
import { ChannelError, type ChannelErrorCode, type WebhookRequest, type WebhookResult } from '../types.js';

export const GRAPH_DEFAULT_BASE = 'https://graph.facebook.com';
export const GRAPH_DEFAULT_VERSION = 'v21.0';

export type GraphOperation = 'read' | 'write';

export interface GraphError {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  is_transient?: boolean;
  error_user_msg?: string;
  fbtrace_id?: string;
}

export interface GraphClientOptions {
  baseUrl?: string;
  version?: string;
  accessToken: string | null;
  appSecret?: string | null;
  fetch: typeof fetch;
  now: () => number;
  timeoutMs?: number;
}

const RATE_LIMIT_CODES = new Set([4, 17, 32, 613, 341]);
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH']);

/** When a throttled caller may come back: BUC usage header (minutes), else Retry-After (seconds). */
export function usageRetryAt(headers: Headers, now: number): number | undefined {
  let minutes: number | undefined;
  const buc = headers.get('x-business-use-case-usage');
  if (buc) {
    try {
      const parsed = JSON.parse(buc) as Record<string, { estimated_time_to_regain_access?: number }[]>;
      for (const list of Object.values(parsed)) {
        for (const u of Array.isArray(list) ? list : []) {
          const m = Number(u?.estimated_time_to_regain_access);
          if (Number.isFinite(m) && m >= 0) minutes = Math.max(minutes ?? 0, m);
        }
      }
    } catch {
      /* unparseable header: fall through */
    }
  }
  // regaining access "in 0 minutes" still means: not this instant
  if (minutes !== undefined) return now + Math.max(1, minutes) * 60_000;
  const ra = Number(headers.get('retry-after'));
  if (Number.isFinite(ra) && ra > 0) return now + ra * 1000;
  return undefined;
}

export function mapGraphError(status: number, e: GraphError | undefined, headers: Headers, op: GraphOperation, what: string, now: number): ChannelError {
  const code = typeof e?.code === 'number' ? e.code : undefined;
  const sub = typeof e?.error_subcode === 'number' ? e.error_subcode : undefined;
  const text = `${what}: Meta answered ${status}${code !== undefined ? ` (#${code}${sub !== undefined ? `/${sub}` : ''})` : ''} ${e?.message ?? ''}`.trim();
  const mk = (c: ChannelErrorCode, extra: { retryAt?: number } = {}) => new ChannelError(c, text, { status, ...extra });
  if (code === 190 || code === 102) return mk('AUTH_REVOKED');
  // a wrong app secret shows up as an invalid appsecret_proof: the credentials need fixing
  if (code === 100 && /appsecret_proof/i.test(e?.message ?? '')) return mk('AUTH_REVOKED');
  if ((code !== undefined && RATE_LIMIT_CODES.has(code)) || (code !== undefined && code >= 80001 && code <= 80014) || status === 429) {
    return mk('RATE_LIMITED', { retryAt: usageRetryAt(headers, now) });
  }
  if ((code === 10 && sub === 2018278) || code === 551 || code === 10900 || (code === 100 && sub === 2018001)) return mk('INVALID_REQUEST');
  if (code === 10 || code === 3 || code === 368 || (code !== undefined && code >= 200 && code <= 299)) return mk('PERMISSION_DENIED');
  if (code === 100 && sub === 33) return mk('NOT_FOUND');
  if (code === 1 || code === 2 || e?.is_transient || status >= 500) return mk(op === 'write' ? 'TIMEOUT' : 'TEMPORARY');
  if (status === 404) return mk('NOT_FOUND');
  if (status === 401) return mk('AUTH_REVOKED');
  if (status === 403) return mk('PERMISSION_DENIED');
  return mk('INVALID_REQUEST');
}

type Params = Record<string, string | number | boolean | undefined>;

export class GraphClient {
  readonly base: string;
  private readonly token: string | null;
  private readonly proof: string | null;

  constructor(private readonly opts: GraphClientOptions) {
    const root = (opts.baseUrl ?? GRAPH_DEFAULT_BASE).replace(/\/+$/, '');
    this.base = `${root}/${opts.version ?? GRAPH_DEFAULT_VERSION}`;
    this.token = opts.accessToken;
    // appsecret_proof: proves calls come from the app's server, not a leaked token alone
    this.proof = opts.accessToken && opts.appSecret ? createHmac('sha256', opts.appSecret).update(opts.accessToken).digest('hex') : null;
  }

  get hasToken(): boolean {
    return !!this.token;
  }

  get<T = any>(path: string, params: Params = {}, what = `GET ${path}`, timeoutMs?: number): Promise<T> {
    return this.request('GET', path, params, undefined, 'read', what, timeoutMs);
  }

  /** POST with form parameters (most Graph edges) or a JSON body (Send API). */
  post<T = any>(path: string, params: Params = {}, what = `POST ${path}`, json?: unknown): Promise<T> {
    return this.request('POST', path, params, json, 'write', what);
  }

  delete<T = any>(path: string, params: Params = {}, what = `DELETE ${path}`): Promise<T> {
    return this.request('DELETE', path, params, undefined, 'write', what);
  }

  private async request(method: string, path: string, params: Params, json: unknown, op: GraphOperation, what: string, timeoutMs?: number): Promise<any> {
    if (!this.token) throw new ChannelError('AUTH_REVOKED', `${what}: the account has no access token; reconnect it`);
    const url = new URL(`${this.base}/${path.replace(/^\/+/, '')}`);
    const auth: Params = { access_token: this.token, ...(this.proof ? { appsecret_proof: this.proof } : {}) };
    const body = new URLSearchParams();
    const query = method === 'POST' && json === undefined ? auth : { ...params, ...auth };
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    if (method === 'POST' && json === undefined) for (const [k, v] of Object.entries(params)) if (v !== undefined) body.set(k, String(v));
    const init: RequestInit = { method, signal: AbortSignal.timeout(timeoutMs ?? this.opts.timeoutMs ?? 20_000) };
    if (json !== undefined) init.body = JSON.stringify(json);
    else if (method === 'POST') init.body = body;
    if (json !== undefined) init.headers = { 'content-type': 'application/json' };
    let res: Response;
    try {
      res = await this.opts.fetch(url, init);
    } catch (err) {
      throw transportError(err, op, what);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw transportError(err, op, what);
    }
    let data: any = undefined;
    try {
      data = text ? JSON.parse(text) : undefined;
    } catch {
      if (res.ok) throw new ChannelError(op === 'write' ? 'TIMEOUT' : 'TEMPORARY', `${what}: Meta answered ${res.status} with a body that is not JSON`, { status: res.status });
    }
    if (!res.ok || data?.error) throw mapGraphError(res.status, data?.error, res.headers, op, what, this.opts.now());
    return data;
  }
}

function transportError(err: unknown, op: GraphOperation, what: string): ChannelError {
  const e = err as Error & { cause?: { code?: string }; name?: string };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return new ChannelError(op === 'write' ? 'TIMEOUT' : 'TEMPORARY', `${what}: no answer from Meta in time`, { cause: err });
  if (e?.cause?.code && NOT_SENT.has(e.cause.code)) return new ChannelError('TEMPORARY', `${what}: could not reach Meta (${e.cause.code})`, { cause: err });
  return new ChannelError(op === 'write' ? 'TIMEOUT' : 'TEMPORARY', `${what}: the connection to Meta failed (${e?.message ?? String(err)})`, { cause: err });
}

// ---- webhooks ------------------------------------------------------------------

export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

export function signMetaWebhook(appSecret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(body).digest('hex')}`;
}

export function verifyMetaSignature(appSecret: string, rawBody: Buffer, given: string | undefined): boolean {
  if (!given) return false;
  const expected = Buffer.from(signMetaWebhook(appSecret, rawBody));
  const actual = Buffer.from(given.trim().toLowerCase());
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

function header(req: WebhookRequest, name: string): string | undefined {
  const v = req.headers[name] ?? req.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** Compared in constant time (digests of equal length), so timing does not reveal the token. */
function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(createHash('sha256').update(given).digest(), createHash('sha256').update(expected).digest());
}

/**
 * The verification request Meta sends when the callback URL is saved
 * (`hub.mode=subscribe&hub.verify_token=…&hub.challenge=…`): echo the challenge when the
 * token matches, 403 otherwise.
 */
export function answerVerification(req: WebhookRequest, verifyToken: string | null): WebhookResult {
  const q = req.query;
  if (q['hub.mode'] !== 'subscribe' || !q['hub.challenge']) throw new ChannelError('INVALID_REQUEST', 'a GET on a Meta webhook must be a subscription verification (hub.mode=subscribe with hub.challenge)');
  if (!verifyToken || !sameSecret(String(q['hub.verify_token'] ?? ''), verifyToken)) return { response: { status: 403, body: 'verify token mismatch', headers: { 'content-type': 'text/plain; charset=utf-8' } }, messages: [] };
  return { response: { status: 200, body: String(q['hub.challenge']), headers: { 'content-type': 'text/plain; charset=utf-8' } }, messages: [] };
}

/**
 * Verify `X-Hub-Signature-256` over the raw bytes and parse the delivery (whole numbers
 * beyond 2^53, such as ids sent as bare numbers, kept exact as strings). The shape is not
 * checked here: `metaEntries` does, item by item.
 */
export function readMetaDelivery(req: WebhookRequest, appSecret: string | null): unknown {
  if (!appSecret) throw new ChannelError('AUTH_REVOKED', 'the account has no app secret to check Meta webhook signatures with; reconnect it with appSecret');
  if (!verifyMetaSignature(appSecret, req.rawBody, header(req, META_SIGNATURE_HEADER))) {
    throw new ChannelError('AUTH_REVOKED', `the Meta webhook signature (${META_SIGNATURE_HEADER}) is missing or does not match the body`);
  }
  try {
    return parseJsonExact(req.rawBody.toString('utf8'));
  } catch {
    throw new ChannelError('INVALID_REQUEST', 'the Meta webhook body is not JSON');
  }
}

/** One `changes[]` item or `messaging[]` event of an entry for this account, with where it was in the delivery. */
export interface MetaItem {
  where: string;
  value: Record<string, any>;
}

export interface MetaEntry {
  /** The entry's `time`, for items that carry none. */
  time: number;
  changes: MetaItem[];
  messaging: MetaItem[];
}

/**
 * The entries of a verified delivery that belong to this account (`selfId`: the Page id,
 * or the Instagram account id), with their changes and messaging events. Whatever is not
 * the documented shape (`{object, entry: [{id, time, changes: [{field, value}], messaging:
 * [...]}]}`) — a body that is not an object, another or no `object`, a container that is not
 * an array, an item that is not an object — is added to `rejected` with the reason and the
 * part concerned, and the rest of the delivery is still read. Entries of other Pages or
 * accounts of the same app webhook are not ours and are skipped.
 */
export function metaEntries(body: unknown, object: 'page' | 'instagram', selfId: string, now: number, rejected: RejectedItem[]): MetaEntry[] {
  if (!isPlainObject(body)) {
    rejected.push({ reason: `the delivery is ${jsonKind(body)}, not a webhook object ({"object": "${object}", "entry": [...]})`, raw: body });
    return [];
  }
  if (body.object !== object) {
    const what = body.object === undefined ? 'has no "object"' : `is for object ${JSON.stringify(body.object)}`;
    rejected.push({ reason: `the delivery ${what}; this account receives "${object}" deliveries`, raw: body });
    return [];
  }
  if (!Array.isArray(body.entry)) {
    rejected.push({ reason: body.entry === undefined ? 'the delivery has no "entry" array' : `"entry" is ${jsonKind(body.entry)}, not an array`, raw: body });
    return [];
  }
  const out: MetaEntry[] = [];
  body.entry.forEach((entry: unknown, i: number) => {
    const at = `entry[${i}]`;
    if (!isPlainObject(entry)) return void rejected.push({ reason: `${at} is ${jsonKind(entry)}, not an object`, raw: entry });
    if (typeof entry.id !== 'string' && typeof entry.id !== 'number') return void rejected.push({ reason: `${at} has no id`, raw: entry });
    // one app webhook serves every Page (account) that installed the app: keep this one's entries
    if (String(entry.id) !== selfId) return;
    const e: MetaEntry = { time: graphTime(entry.time, now), changes: [], messaging: [] };
    for (const key of ['changes', 'messaging'] as const) {
      const list: unknown = entry[key];
      if (list === undefined) continue;
      if (!Array.isArray(list)) {
        rejected.push({ reason: `${at}.${key} is ${jsonKind(list)}, not an array`, raw: list });
        continue;
      }
      list.forEach((item: unknown, j: number) => {
        const where = `${at}.${key}[${j}]`;
        if (!isPlainObject(item)) return void rejected.push({ reason: `${where} is ${jsonKind(item)}, not an object`, raw: item });
        if (key === 'changes' && typeof item.field !== 'string') return void rejected.push({ reason: `${where} has no "field"`, raw: item });
        e[key].push({ where, value: item });
      });
    }
    out.push(e);
  });
  return out;
}

/**
 * Whether a time (ms) is one Meta could send: from 2000 up to 2100. A negative, zero or
 * year-9999 time (a broken or hostile payload) is not kept: the SLA clock, the inbox's order
 * and the reports run on it, so the fallback (the entry's time, or now) stands in.
 */
export const plausibleGraphTime = (ms: number) => ms >= Date.UTC(2000, 0, 1) && ms < Date.UTC(2100, 0, 1);

/** Graph timestamps: ISO strings ("2024-01-15T10:30:00+0000"), or Unix seconds / ms numbers; `fallback` for one that is not plausible. */
export function graphTime(v: unknown, fallback: number): number {
  if (typeof v === 'number' && Number.isFinite(v)) {
    const ms = v < 1e12 ? Math.round(v * 1000) : Math.round(v);
    return plausibleGraphTime(ms) ? ms : fallback;
  }
  if (typeof v === 'string' && v) {
    if (/^\d+$/.test(v)) return graphTime(Number(v), fallback);
    const t = Date.parse(v);
    if (Number.isFinite(t) && plausibleGraphTime(t)) return t;
  }
  return fallback;
}

export function settingString(settings: Record<string, unknown> | undefined, key: string): string | undefined {
  const v = settings?.[key];
  return typeof v === 'string' && v.trim() ? v.trim() : undefined;
}

export function credentialString(credentials: Record<string, unknown> | undefined, key: string): string | null {
  const v = credentials?.[key];
  return typeof v === 'string' && v.trim() ? v.trim() : null;
}

/** Whole Graph pages, following `paging.next`'s cursor (`after`) up to `maxPages`. */
export async function graphPages<T>(client: GraphClient, path: string, params: Record<string, string | number | undefined>, what: string, maxPages = 3): Promise<T[]> {
  const out: T[] = [];
  let after: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const r = await client.get<{ data?: T[]; paging?: { cursors?: { after?: string }; next?: string } }>(path, { ...params, ...(after ? { after } : {}) }, what);
    out.push(...(Array.isArray(r?.data) ? r.data : []));
    after = r?.paging?.next ? r.paging.cursors?.after : undefined;
    if (!after) break;
  }
  return out;
}

/**
 * The newest message the account (`selfId`: the Page, or the Instagram account) sent in
 * its conversation with `userId` before `at`:
 * a customer's DM answers it. This ties a DM that follows a private reply (or any earlier
 * reply) to the conversation that reply belongs to in Parley. Best effort: null on error.
 */
export async function lastPageMessageBefore(client: GraphClient, pageId: string, platform: 'messenger' | 'instagram', userId: string, at: number, selfId = pageId): Promise<string | null> {
  try {
    const r = await client.get<{ data?: { messages?: { data?: { id: string; created_time?: string; from?: { id?: string } }[] } }[] }>(
      `${pageId}/conversations`,
      { platform, user_id: userId, fields: 'messages.limit(10){id,created_time,from}' },
      'find the conversation',
      // runs while Meta waits for the webhook's answer: keep it short
      3000,
    );
    let best: { id: string; t: number } | null = null;
    for (const c of r?.data ?? []) {
      for (const m of c.messages?.data ?? []) {
        const t = graphTime(m.created_time, 0);
        const fromPage = m.from?.id === selfId;
        if (fromPage && t <= at && (!best || t > best.t)) best = { id: m.id, t }; // newest first: the first of a second wins
      }
    }
    return best?.id ?? null;
  } catch {
    return null;
  }
}
