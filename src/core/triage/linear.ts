/**
 * Sparse linear classification heads. Each head keeps only the features it learned
 * something about (pruned, int8-quantized on disk), looked up through an
 * open-addressing table built on first use, and
 * stores its weights row-wise in CSR form so a 77-class head only touches the
 * classes a feature actually votes for. Scoring is a few table probes per feature.
 */
import { mix32 } from './hash.js';
import type { FeatureVector } from './features.js';

export interface LinearHead {
  name: string;
  /** Class labels. Binary heads have two labels and a single logit column (for labels[1]). */
  labels: string[];
  cols: number;
  /** Which feature groups the head reads: all, or word n-grams + dense only (cheaper, for wide heads). */
  groups: 'all' | 'words';
  /** Feature id of each row (sorted ascending). */
  keys: Int32Array;
  /** CSR: entries of row r are rowStart[r]..rowStart[r+1]. */
  rowStart: Int32Array;
  entryCol: Uint8Array;
  entryW: Float32Array;
  bias: Float32Array;
}

/** Open-addressing lookup tables, built from a head's keys on first use (not serialized). */
const tables = new WeakMap<LinearHead, { slots: Int32Array; mask: number }>();

function tableOf(h: LinearHead): { slots: Int32Array; mask: number } {
  let t = tables.get(h);
  if (!t) {
    let size = 16;
    while (size < h.keys.length * 2) size <<= 1;
    const slots = new Int32Array(size).fill(-1);
    const mask = size - 1;
    for (let r = 0; r < h.keys.length; r++) {
      let s = mix32(h.keys[r]!) & mask;
      while (slots[s] !== -1) s = (s + 1) & mask;
      slots[s] = r;
    }
    t = { slots, mask };
    tables.set(h, t);
  }
  return t;
}

/** Row of a feature id, or -1. */
export function lookupRow(h: LinearHead, id: number): number {
  const { slots, mask } = tableOf(h);
  const keys = h.keys;
  let s = mix32(id) & mask;
  for (;;) {
    const r = slots[s]!;
    if (r === -1) return -1;
    if (keys[r] === id) return r;
    s = (s + 1) & mask;
  }
}

/** Raw scores (logits) of a head for a feature vector. */
export function scoreLogits(h: LinearHead, fv: FeatureVector, out: Float64Array = new Float64Array(h.cols)): Float64Array {
  for (let c = 0; c < h.cols; c++) out[c] = h.bias[c]!;
  const { ids, vals, n } = fv;
  const { rowStart, entryCol, entryW } = h;
  const skipFrom = h.groups === 'words' ? fv.wordEnd : n;
  const skipTo = h.groups === 'words' ? fv.charEnd : n;
  const { slots, mask } = tableOf(h);
  const keys = h.keys;
  for (let i = 0; i < n; i++) {
    if (i >= skipFrom && i < skipTo) { i = skipTo - 1; continue; }
    const id = ids[i]!;
    let s = mix32(id) & mask;
    let r = -1;
    for (;;) {
      const k = slots[s]!;
      if (k === -1) break;
      if (keys[k] === id) { r = k; break; }
      s = (s + 1) & mask;
    }
    if (r < 0) continue;
    const v = vals[i]!;
    for (let e = rowStart[r]!, end = rowStart[r + 1]!; e < end; e++) out[entryCol[e]!] += entryW[e]! * v;
  }
  return out;
}

/** Class probabilities, one per label. */
export function predictProba(h: LinearHead, fv: FeatureVector): Float64Array {
  const z = scoreLogits(h, fv);
  if (h.cols === 1) {
    const p = sigmoid(z[0]!);
    return Float64Array.of(1 - p, p);
  }
  return softmaxInPlace(z);
}

export function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

export function softmaxInPlace(z: Float64Array): Float64Array {
  let m = -Infinity;
  for (let i = 0; i < z.length; i++) if (z[i]! > m) m = z[i]!;
  let s = 0;
  for (let i = 0; i < z.length; i++) { z[i] = Math.exp(z[i]! - m); s += z[i]!; }
  for (let i = 0; i < z.length; i++) z[i] = z[i]! / s;
  return z;
}

export function argmax(p: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < p.length; i++) if (p[i]! > p[best]!) best = i;
  return best;
}

/**
 * Build a head from dense trained weights (vocab × classes, row-major), pruning
 * entries below `minAbs`. Binary (2-class) weights collapse to one logit column.
 */
export function headFromDense(name: string, labels: string[], vocab: Int32Array, W: Float32Array, bias: Float32Array, minAbs: number, groups: 'all' | 'words' = 'all', topK = 0): LinearHead {
  const C = labels.length;
  const binary = C === 2;
  const cols = binary ? 1 : C;
  const order = Array.from(vocab.keys()).sort((a, b) => vocab[a]! - vocab[b]!);
  const keys: number[] = [];
  const rowStart: number[] = [0];
  const entryCol: number[] = [];
  const entryW: number[] = [];
  for (const v of order) {
    const before = entryW.length;
    let kept: { c: number; w: number }[] = [];
    for (let c = 0; c < cols; c++) {
      const w = binary ? W[v * C + 1]! - W[v * C]! : W[v * C + c]!;
      if (Math.abs(w) >= minAbs) kept.push({ c, w });
    }
    // wide heads: keep each feature's strongest votes only (size and speed; see model card)
    if (topK > 0 && kept.length > topK) kept = kept.filter((k) => k.w > 0).sort((a, b) => b.w - a.w || a.c - b.c).slice(0, topK).sort((a, b) => a.c - b.c);
    for (const k of kept) { entryCol.push(k.c); entryW.push(k.w); }
    if (entryW.length > before) { keys.push(vocab[v]!); rowStart.push(entryW.length); }
  }
  const b = binary ? Float32Array.of(bias[1]! - bias[0]!) : Float32Array.from(bias);
  return {
    name, labels, cols, groups,
    keys: Int32Array.from(keys), rowStart: Int32Array.from(rowStart),
    entryCol: Uint8Array.from(entryCol), entryW: Float32Array.from(entryW), bias: b,
  };
}
