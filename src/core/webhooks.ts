/**
 * Outbound webhooks, the pure part (docs/webhooks.md): Standard Webhooks signing
 * (standardwebhooks.com: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64
 * HMAC-SHA256 of "id.timestamp.body">` under a `whsec_` base64 secret), the retry schedule, and
 * which URLs and addresses a desk may call (no loopback, private, link-local or metadata
 * targets unless the instance allows private ones). The I/O lives in src/jobs/webhooks.ts.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

export const WEBHOOK_EVENTS = [
  'conversation.created',
  'message.received',
  'conversation.assigned',
  'conversation.resolved',
  'reply.sent',
  'incident.opened',
  'incident.closed',
  'sla.breached',
  'conversation.note_added',
  'conversation.labels_changed',
  'conversation.priority_changed',
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
/** Sent only by "Send test event", to the one endpoint asked. */
export const TEST_EVENT = 'webhook.test';

/** A new signing secret: `whsec_` + 32 random bytes in base64. */
export function newWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

function secretBytes(secret: string): Buffer {
  return Buffer.from(secret.startsWith('whsec_') ? secret.slice(6) : secret, 'base64');
}

/** The `webhook-signature` header value for one message. */
export function signWebhook(secret: string, msgId: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', secretBytes(secret)).update(`${msgId}.${timestampSec}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** Whether any `v1,` signature in the header matches (space-separated list, as the spec allows). */
export function verifyWebhook(secret: string, msgId: string, timestampSec: number, body: string, header: string): boolean {
  const want = Buffer.from(signWebhook(secret, msgId, timestampSec, body).slice(3), 'base64');
  return header.split(' ').some((part) => {
    const [v, sig] = part.split(',');
    if (v !== 'v1' || !sig) return false;
    const got = Buffer.from(sig, 'base64');
    return got.length === want.length && timingSafeEqual(got, want);
  });
}

/** Delay before attempt `attempt + 1` after `attempt` failed ones: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h (about 28 h in all), then give up. */
export const RETRY_DELAYS_MS = [5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000];

/** When to try again after `attempts` failed attempts, or null: give up (failed). */
export function nextRetryAt(attempts: number, now: number): number | null {
  const d = RETRY_DELAYS_MS[attempts - 1];
  return d === undefined ? null : now + d;
}

/** An endpoint failing this long without one success is disabled, and its brand's admins told. */
export const DISABLE_AFTER_FAILING_MS = 5 * 86_400_000;
/** At most this many deliveries to one endpoint are attempted at once (per process): a slow receiver holds up only its own. */
export const ENDPOINT_CONCURRENCY = 50;
/** At most this many deliveries are attempted at once in all (per process). */
export const TOTAL_CONCURRENCY = 400;

/**
 * How many more deliveries each endpoint may start now: up to its own lane (`perEndpoint` minus
 * those in flight), in turn across endpoints, one at a time, until `total` are in flight. So a
 * slow endpoint filling its lane takes nothing from the others' lanes.
 */
export function laneShares(due: number[], inFlight: ReadonlyMap<number, number>, perEndpoint = ENDPOINT_CONCURRENCY, total = TOTAL_CONCURRENCY): Map<number, number> {
  const out = new Map<number, number>();
  let free = total;
  for (const n of inFlight.values()) free -= n;
  const room = due.map((id) => [id, Math.max(0, perEndpoint - (inFlight.get(id) ?? 0))] as [number, number]).filter(([, r]) => r > 0);
  while (free > 0 && room.length) {
    for (let i = 0; i < room.length && free > 0;) {
      const [id, r] = room[i]!;
      out.set(id, (out.get(id) ?? 0) + 1);
      free--;
      if (r === 1) room.splice(i, 1);
      else {
        room[i] = [id, r - 1];
        i++;
      }
    }
  }
  return out;
}

/** A delivery's answer must come within this. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** Read at most this much of an answer (kept for the delivery list). */
export const RESPONSE_CAP_BYTES = 4096;
/** Deliveries are kept this long. */
export const DELIVERY_KEEP_MS = 7 * 86_400_000;

export type AddressClass = 'public' | 'loopback' | 'private' | 'link_local' | 'metadata' | 'unspecified' | 'reserved';

function v4Parts(ip: string): number[] {
  return ip.split('.').map(Number);
}

/** What kind of address an IP literal is (IPv4, IPv6, IPv4-mapped IPv6). */
export function classifyAddress(ip: string): AddressClass {
  const fam = isIP(ip);
  if (fam === 4) {
    const [a, b] = v4Parts(ip) as [number, number, number, number];
    if (ip === '169.254.169.254' || ip === '100.100.100.200') return 'metadata';
    if (a === 0) return 'unspecified';
    if (a === 127) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    if (a === 169 && b === 254) return 'link_local';
    if (a >= 224 || (a === 192 && b === 0 && v4Parts(ip)[2] === 0) || (a === 198 && (b === 18 || b === 19))) return 'reserved';
    return 'public';
  }
  if (fam === 6) {
    const lower = ip.toLowerCase().replace(/^\[|\]$/g, '');
    const mapped = /^(?:0{0,4}:){0,5}(?:0{0,4}:)?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return classifyAddress(mapped[1]!);
    const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
    if (hex) {
      const hi = parseInt(hex[1]!, 16), lo = parseInt(hex[2]!, 16);
      return classifyAddress(`${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`);
    }
    if (lower === '::1') return 'loopback';
    if (lower === '::') return 'unspecified';
    if (lower === 'fd00:ec2::254') return 'metadata';
    if (/^fe[89ab]/.test(lower)) return 'link_local';
    if (/^f[cd]/.test(lower)) return 'private';
    if (/^ff/.test(lower) || lower.startsWith('64:ff9b:') || lower.startsWith('2001:db8')) return 'reserved';
    return 'public';
  }
  return 'reserved';
}

/** Whether the desk may connect to this address. */
export function addressAllowed(ip: string, allowPrivate: boolean): boolean {
  const c = classifyAddress(ip);
  if (c === 'public') return true;
  // metadata services and unspecified/reserved addresses stay refused even when private targets are allowed
  return allowPrivate && (c === 'loopback' || c === 'private' || c === 'link_local');
}

/** Why a URL cannot be a webhook endpoint, or null. Addresses behind a host name are checked after DNS (src/jobs/webhooks.ts). */
export function urlProblem(raw: string, allowPrivate: boolean): string | null {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (u.protocol !== 'https:' && !(allowPrivate && u.protocol === 'http:')) return 'the URL must use https';
  if (u.username || u.password) return 'the URL may not carry a user name or password';
  const host = u.hostname.replace(/^\[|\]$/g, '');
  if (!host) return 'the URL needs a host';
  if (isIP(host) && !addressAllowed(host, allowPrivate)) return `the address ${host} is ${classifyAddress(host).replace('_', '-')}: the desk does not call it`;
  if (!isIP(host) && !allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local'))) return `the host ${host} is internal: the desk does not call it`;
  return null;
}
