/**
 * Record keys for posts Parley makes on Bluesky. A post's record key must be a
 * TID (13 base32-sortable characters, a 53-bit microsecond timestamp and a
 * 10-bit clock id). We derive it from the outbox's idempotency key instead of
 * the clock, so every retry of one reply writes the same `at://` URI: the PDS
 * refuses a second record under an existing key, and `findSent` can look the
 * reply up directly — without putting any marker in the visible text.
 *
 * The derived timestamp lies in a fixed window in the past (2023-01-01 plus up
 * to about 13 months). The AppView orders posts by their createdAt/indexedAt,
 * not by the key, so the key's time is never shown; it only affects the
 * record's position in `com.atproto.repo.listRecords`.
 */
import { createHash } from 'node:crypto';

const S32 = '234567abcdefghijklmnopqrstuvwxyz';
const TID_RE = /^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$/;
/** 2023-01-01T00:00:00Z in microseconds. */
const BASE_US = 1_672_531_200_000_000n;
/** 2^45 µs ≈ 13 months: with the 10-bit clock id, 55 bits of the hash survive. */
const WINDOW_US = 1n << 45n;

function s32(n: bigint, width: number): string {
  let out = '';
  for (let i = 0; i < width; i++) {
    out = S32[Number(n & 31n)] + out;
    n >>= 5n;
  }
  return out;
}

/** A TID from a timestamp (µs since the epoch) and a clock id (0..1023). */
export function tidFrom(timestampUs: bigint, clockId: number): string {
  return s32(timestampUs, 11) + s32(BigInt(clockId & 1023), 2);
}

export function isValidTid(s: string): boolean {
  return TID_RE.test(s);
}

/** The deterministic post record key for an idempotency key. */
export function rkeyForIdempotencyKey(idempotencyKey: string): string {
  const h = createHash('sha256').update(`parley:bluesky:post:${idempotencyKey}`).digest();
  const bits = h.readBigUInt64BE(0);
  const ts = BASE_US + ((bits >> 10n) % WINDOW_US);
  return tidFrom(ts, Number(bits & 1023n));
}

/** Monotonic TIDs from a clock (for revs in the chat contract server and tests). */
export function tidClock(now: () => number = Date.now): () => string {
  let last = 0n;
  return () => {
    let us = BigInt(now()) * 1000n;
    if (us <= last) us = last + 1n;
    last = us;
    return tidFrom(us, 0);
  };
}
