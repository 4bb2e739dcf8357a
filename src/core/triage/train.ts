/**
 * Training for the linear heads: multinomial logistic regression by AdaGrad SGD with
 * L2, over the hashed features of `analyze`. Pure and deterministic: the only
 * randomness is a seeded shuffle, so the same examples and options give the same
 * bytes. Dataset reading lives in src/triage/ (I/O side).
 */
import { mulberry32 } from './hash.js';
import type { FeatureVector } from './features.js';
import { headFromDense, type LinearHead } from './linear.js';

export interface TrainExample {
  fv: FeatureVector;
  /** Class index. */
  y: number;
  /** Sample weight (default 1). */
  weight?: number;
}

export interface TrainOptions {
  epochs: number;
  /** AdaGrad base learning rate. */
  lr: number;
  /** L2 penalty applied to the weights a step touches. */
  l2: number;
  /** L1 penalty (AdaGrad-FOBOS soft threshold) for sparse heads (default 0). */
  l1?: number;
  /** Feature groups to train on (default all). */
  groups?: 'all' | 'words';
  seed: number;
  /** Weight classes inversely to their frequency (for macro metrics). */
  balanced?: boolean;
  /** Keep at most this many class weights per feature, refitting on that support (wide heads). */
  topK?: number;
  /** Epochs of the refit after top-K pruning (default 3). */
  refitEpochs?: number;
  /** With topK: this many most frequent features keep all their class weights (default 500). */
  fullRows?: number;
  /**
   * Warm start: begin from these weights and pull towards them (L2 on the difference)
   * instead of towards zero, so a few examples adjust a model rather than replace it.
   */
  init?: DenseWeights;
  /** Drop features seen in fewer examples than this (default 2). */
  minCount?: number;
  /** Prune stored weights below this magnitude (default 0.01). */
  prune?: number;
}

export interface DenseWeights {
  vocab: Int32Array;
  W: Float32Array;
  bias: Float32Array;
  classes: number;
}

/** Fit softmax regression; returns dense weights over the training vocabulary. */
export function trainSoftmax(examples: readonly TrainExample[], classes: number, opts: TrainOptions): DenseWeights {
  const minCount = opts.minCount ?? 2;
  // vocabulary: feature ids seen in ≥ minCount examples
  const counts = new Map<number, number>();
  const wordsOnly = opts.groups === 'words';
  const use = (fv: FeatureVector, i: number) => !wordsOnly || i < fv.wordEnd || i >= fv.charEnd;
  for (const ex of examples) {
    const seen = new Set<number>();
    for (let i = 0; i < ex.fv.n; i++) {
      if (!use(ex.fv, i)) continue;
      const id = ex.fv.ids[i]!;
      if (seen.has(id)) continue;
      seen.add(id);
      counts.set(id, (counts.get(id) ?? 0) + 1);
    }
  }
  const vocabSet = new Set([...counts.entries()].filter(([, c]) => c >= minCount).map(([id]) => id));
  if (opts.init) for (const id of opts.init.vocab) vocabSet.add(id);
  const vocabList = [...vocabSet].sort((a, b) => a - b);
  const index = new Map<number, number>();
  vocabList.forEach((id, i) => index.set(id, i));
  const V = vocabList.length;
  const C = classes;

  // compact examples: merge duplicate ids, drop unknown
  const xs: { idx: Int32Array; val: Float32Array; y: number; w: number }[] = [];
  const classCount = new Float64Array(C);
  for (const ex of examples) classCount[ex.y] = (classCount[ex.y] ?? 0) + (ex.weight ?? 1);
  const total = classCount.reduce((a, b) => a + b, 0);
  for (const ex of examples) {
    const acc = new Map<number, number>();
    for (let i = 0; i < ex.fv.n; i++) {
      if (!use(ex.fv, i)) continue;
      const j = index.get(ex.fv.ids[i]!);
      if (j === undefined) continue;
      acc.set(j, (acc.get(j) ?? 0) + ex.fv.vals[i]!);
    }
    const idx = Int32Array.from(acc.keys());
    const val = Float32Array.from(acc.values());
    const cw = opts.balanced ? total / (C * Math.max(1e-9, classCount[ex.y]!)) : 1;
    xs.push({ idx, val, y: ex.y, w: (ex.weight ?? 1) * cw });
  }

  const W = new Float32Array(V * C);
  const G = new Float32Array(V * C);
  const b = new Float64Array(C);
  // prior weights (warm start); L2 pulls towards them
  let W0: Float32Array | null = null;
  if (opts.init) {
    if (opts.init.classes !== C) throw new Error(`warm start has ${opts.init.classes} classes, training has ${C}`);
    W0 = new Float32Array(V * C);
    for (let r = 0; r < opts.init.vocab.length; r++) {
      const j = index.get(opts.init.vocab[r]!)!;
      for (let c = 0; c < C; c++) W0[j * C + c] = opts.init.W[r * C + c]!;
    }
    W.set(W0);
    for (let c = 0; c < C; c++) b[c] = opts.init.bias[c]!;
  }
  const Gb = new Float64Array(C);
  const rand = mulberry32(opts.seed);
  const order = Array.from(xs.keys());
  const z = new Float64Array(C);
  const eps = 1e-8;
  const l1 = opts.l1 ?? 0;
  const runEpochs = (epochs: number, mask: Uint8Array | null) => {
    for (let epoch = 0; epoch < epochs; epoch++) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        const t = order[i]!; order[i] = order[j]!; order[j] = t;
      }
      for (const k of order) {
        const x = xs[k]!;
        for (let c = 0; c < C; c++) z[c] = b[c]!;
        for (let f = 0; f < x.idx.length; f++) {
          const base = x.idx[f]! * C;
          const v = x.val[f]!;
          for (let c = 0; c < C; c++) z[c] += W[base + c]! * v;
        }
        let m = -Infinity;
        for (let c = 0; c < C; c++) if (z[c]! > m) m = z[c]!;
        let s = 0;
        for (let c = 0; c < C; c++) { z[c] = Math.exp(z[c]! - m); s += z[c]!; }
        for (let c = 0; c < C; c++) z[c] = (z[c]! / s - (c === x.y ? 1 : 0)) * x.w; // gradient wrt logits
        for (let c = 0; c < C; c++) {
          const g = z[c]!;
          Gb[c] += g * g;
          b[c] -= (opts.lr * g) / Math.sqrt(Gb[c]! + eps);
        }
        for (let f = 0; f < x.idx.length; f++) {
          const base = x.idx[f]! * C;
          const v = x.val[f]!;
          for (let c = 0; c < C; c++) {
            const p = base + c;
            if (mask !== null && mask[p] === 0) continue;
            const g = z[c]! * v + opts.l2 * (W0 ? W[p]! - W0[p]! : W[p]!);
            if (g === 0) continue;
            G[p] += g * g;
            const step = opts.lr / Math.sqrt(G[p]! + eps);
            let w = W[p]! - step * g;
            if (l1 > 0) { const t = step * l1; w = w > t ? w - t : w < -t ? w + t : 0; }
            W[p] = w;
          }
        }
      }
    }
  };
  runEpochs(opts.epochs, null);

  // Wide heads: keep each feature's K strongest class weights, then refit on that support
  // so the model learns to live with it (pruning alone loses most of the accuracy).
  if (opts.topK && opts.topK < C) {
    const mask = new Uint8Array(V * C);
    const idx = Array.from({ length: C }, (_, c) => c);
    // the most common features (function words, dense cues) keep full rows
    const common = new Set([...counts.entries()].filter(([id]) => index.has(id)).sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, opts.fullRows ?? 500).map(([id]) => index.get(id)!));
    for (let v = 0; v < V; v++) {
      const base = v * C;
      if (common.has(v)) { mask.fill(1, base, base + C); continue; }
      idx.sort((a, c2) => Math.abs(W[base + c2]!) - Math.abs(W[base + a]!) || a - c2);
      for (let r = 0; r < C; r++) {
        if (r < opts.topK) mask[base + idx[r]!] = 1;
        else W[base + idx[r]!] = 0;
      }
    }
    G.fill(0);
    Gb.fill(0);
    runEpochs(opts.refitEpochs ?? 3, mask);
  }
  return { vocab: Int32Array.from(vocabList), W, bias: Float32Array.from(b), classes: C };
}

/** A head's weights as dense rows over its own keys (binary heads expand to two columns). */
export function headToDense(h: LinearHead): DenseWeights {
  const C = h.labels.length;
  const W = new Float32Array(h.keys.length * C);
  for (let r = 0; r < h.keys.length; r++) {
    for (let e = h.rowStart[r]!; e < h.rowStart[r + 1]!; e++) {
      if (h.cols === 1) W[r * C + 1] = h.entryW[e]!;
      else W[r * C + h.entryCol[e]!] = h.entryW[e]!;
    }
  }
  const bias = new Float32Array(C);
  if (h.cols === 1) bias[1] = h.bias[0]!;
  else bias.set(h.bias);
  return { vocab: Int32Array.from(h.keys), W, bias, classes: C };
}

/** Train and package as a head (pruned). */
export function trainHead(name: string, labels: string[], examples: readonly TrainExample[], opts: TrainOptions): LinearHead {
  const d = trainSoftmax(examples, labels.length, opts);
  return headFromDense(name, labels, d.vocab, d.W, d.bias, opts.prune ?? 0.01, opts.groups ?? 'all');
}
