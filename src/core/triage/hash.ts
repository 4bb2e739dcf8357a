/**
 * Hashing for the feature space: 32-bit FNV-1a with a per-namespace seed, so the
 * same n-gram in different feature groups (word vs char) never shares a weight.
 * Deterministic across platforms and Node versions (pure integer arithmetic).
 */

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a of a string's UTF-16 code units, starting from `seed`. */
export function fnv1a(s: string, seed: number = FNV_OFFSET): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, FNV_PRIME);
  }
  return h | 0;
}

/** Final avalanche (murmur3 fmix32) so nearby inputs spread over the table. */
export function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

/** Combine two hashes (order matters), e.g. for word bigrams. */
export function combine(a: number, b: number): number {
  return mix32(Math.imul(a, 0x9e3779b1) ^ b);
}

/** Seed for a feature namespace (`w` words, `b` bigrams, `c` char n-grams, `d` dense). */
export function namespaceSeed(ns: string): number {
  return mix32(fnv1a(ns));
}

/** Unsigned 32-bit hash of a string, for splits and fingerprints. */
export function hashString(s: string): number {
  return mix32(fnv1a(s)) >>> 0;
}

/** Small seeded PRNG (mulberry32) for deterministic shuffles in training. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
