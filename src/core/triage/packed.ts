/**
 * Runtime layout for speed: all narrow heads share one open-addressing table (key
 * and row interleaved, so a probe is usually one cache line) and one dense row of
 * weights per feature (every head's columns side by side). Scoring a message is then
 * one probe + one row read per feature, instead of one probe per head — the
 * difference between ~200 µs and ~40 µs per message, since the tables don't fit in
 * cache. Wide heads (intent) keep their sparse CSR rows, reached through the same probe.
 *
 * Built lazily from a TriageModel and memoized per model object (models are immutable).
 */
import { mix32 } from './hash.js';
import type { FeatureVector } from './features.js';
import type { LinearHead } from './linear.js';
import type { TriageModel } from './model.js';

export interface PackedHead {
  head: LinearHead;
  /** First column in the packed row. */
  offset: number;
}

export interface PackedModel {
  /** [key, row] pairs; row -1 = empty slot. */
  table: Int32Array;
  mask: number;
  /** Columns per packed row. */
  width: number;
  /** rows × width. */
  weights: Float32Array;
  bias: Float64Array;
  narrow: Record<string, PackedHead>;
  /** Wide heads (many classes): global row → their own CSR row (or -1). */
  wide: Record<string, { head: LinearHead; rowOf: Int32Array }>;
}

const WIDE_COLS = 8;
/** Heads that read the plain features (stacked heads read meta features too; scored separately). */
const BASE_HEADS = new Set(['sentiment', 'offensive', 'spam', 'care', 'problem', 'intent']);
const cache = new WeakMap<TriageModel, PackedModel>();

export function packedModel(model: TriageModel): PackedModel {
  let p = cache.get(model);
  if (!p) { p = pack(model); cache.set(model, p); }
  return p;
}

function pack(model: TriageModel): PackedModel {
  const heads = Object.values(model.heads).filter((h): h is LinearHead => !!h && BASE_HEADS.has(h.name));
  const narrowHeads = heads.filter((h) => h.cols <= WIDE_COLS && h.groups === 'all');
  const wideHeads = heads.filter((h) => !narrowHeads.includes(h));
  // union vocabulary: sorted unique keys (typed-array sort; int32 keys in a Map are slow)
  let total = 0;
  for (const h of heads) total += h.keys.length;
  const all = new Int32Array(total);
  let k = 0;
  for (const h of heads) { all.set(h.keys, k); k += h.keys.length; }
  all.sort();
  let V = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[V++] = all[i]!;
  const union = all.subarray(0, V);
  const rowOfKey = (key: number) => {
    let lo = 0, hi = V - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = union[mid]!;
      if (v === key) return mid;
      if (v < key) lo = mid + 1; else hi = mid - 1;
    }
    throw new Error('packed model: key missing from union (unreachable)');
  };
  let width = 0;
  const narrow: Record<string, PackedHead> = {};
  for (const h of narrowHeads) { narrow[h.name] = { head: h, offset: width }; width += h.cols; }
  const weights = new Float32Array(Math.max(1, V * width));
  const bias = new Float64Array(width);
  for (const { head: h, offset } of Object.values(narrow)) {
    for (let c = 0; c < h.cols; c++) bias[offset + c] = h.bias[c]!;
    for (let r = 0; r < h.keys.length; r++) {
      const g = rowOfKey(h.keys[r]!);
      for (let e = h.rowStart[r]!; e < h.rowStart[r + 1]!; e++) weights[g * width + offset + h.entryCol[e]!] = h.entryW[e]!;
    }
  }
  const wide: PackedModel['wide'] = {};
  for (const h of wideHeads) {
    const rowOf = new Int32Array(V).fill(-1);
    for (let r = 0; r < h.keys.length; r++) rowOf[rowOfKey(h.keys[r]!)] = r;
    wide[h.name] = { head: h, rowOf };
  }
  let size = 16;
  while (size < V * 2) size <<= 1;
  const table = new Int32Array(size * 2);
  for (let s = 0; s < size; s++) table[2 * s + 1] = -1;
  const mask = size - 1;
  for (let row = 0; row < V; row++) {
    const key = union[row]!;
    let s = mix32(key) & mask;
    while (table[2 * s + 1] !== -1) s = (s + 1) & mask;
    table[2 * s] = key;
    table[2 * s + 1] = row;
  }
  return { table, mask, width, weights, bias, narrow, wide };
}

/** Rows of a message's features (-1 for unknown), computed once and reused by every head. */
export function lookupRows(p: PackedModel, fv: FeatureVector): Int32Array {
  const rows = new Int32Array(fv.n);
  const { table, mask } = p;
  const ids = fv.ids;
  for (let i = 0; i < fv.n; i++) {
    const id = ids[i]!;
    let s = mix32(id) & mask;
    let row = -1;
    for (;;) {
      const r = table[2 * s + 1]!;
      if (r === -1) break;
      if (table[2 * s] === id) { row = r; break; }
      s = (s + 1) & mask;
    }
    rows[i] = row;
  }
  return rows;
}

/** Logits of all narrow heads at once (packed row layout). */
export function narrowLogits(p: PackedModel, fv: FeatureVector, rows: Int32Array): Float64Array {
  const W = p.width;
  const out = Float64Array.from(p.bias);
  const weights = p.weights;
  const vals = fv.vals;
  for (let i = 0; i < fv.n; i++) {
    const r = rows[i]!;
    if (r < 0) continue;
    const v = vals[i]!;
    const base = r * W;
    for (let c = 0; c < W; c++) out[c] += weights[base + c]! * v;
  }
  return out;
}

/** Logits of a wide head, from the rows already looked up. */
export function wideLogits(p: PackedModel, name: string, fv: FeatureVector, rows: Int32Array): Float64Array | null {
  const w = p.wide[name];
  if (!w) return null;
  const h = w.head;
  const out = Float64Array.from(h.bias);
  // 'words' heads skip the character n-grams [wordEnd, charEnd)
  const skipFrom = h.groups === 'words' ? fv.wordEnd : fv.n;
  const skipTo = h.groups === 'words' ? fv.charEnd : fv.n;
  for (let i = 0; i < fv.n; i++) {
    if (i >= skipFrom && i < skipTo) { i = skipTo - 1; continue; }
    const g = rows[i]!;
    if (g < 0) continue;
    const r = w.rowOf[g]!;
    if (r < 0) continue;
    const v = fv.vals[i]!;
    for (let e = h.rowStart[r]!, end = h.rowStart[r + 1]!; e < end; e++) out[h.entryCol[e]!] += h.entryW[e]! * v;
  }
  return out;
}

/**
 * The probability of one class of a narrow head (`narrowProba(...)[cls]`, the same
 * number) without allocating the whole distribution; `fallback` when the model has no
 * such head.
 */
export function narrowProbaOf(p: PackedModel, name: string, logits: Float64Array, cls: number, fallback: number): number {
  const ph = p.narrow[name];
  if (!ph) return fallback;
  if (ph.head.cols !== 1) return narrowProba(p, name, logits)![cls]!; // softmax heads: the distribution
  const q = sigmoid(logits[ph.offset]!);
  return cls === 1 ? q : 1 - q;
}

/** The logistic function, without overflow for large |z|. */
const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));

/** Probabilities of a narrow head from packed logits. */
export function narrowProba(p: PackedModel, name: string, logits: Float64Array): Float64Array | null {
  const ph = p.narrow[name];
  if (!ph) return null;
  const h = ph.head;
  if (h.cols === 1) {
    const q = sigmoid(logits[ph.offset]!);
    return Float64Array.of(1 - q, q);
  }
  const out = logits.slice(ph.offset, ph.offset + h.cols);
  let m = -Infinity;
  for (let i = 0; i < out.length; i++) if (out[i]! > m) m = out[i]!;
  let s = 0;
  for (let i = 0; i < out.length; i++) { out[i] = Math.exp(out[i]! - m); s += out[i]!; }
  for (let i = 0; i < out.length; i++) out[i] = out[i]! / s;
  return out;
}
