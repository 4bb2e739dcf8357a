/** Classification metrics keyed by label value (as written in the evaluated file). */

export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export interface Metrics {
  n: number;
  accuracy: number;
  macro_f1: number;
  macro_recall: number;
  per_class: Record<string, ClassMetrics>;
}

/**
 * Metrics over the classes that occur in the gold labels (a predicted label that is
 * never gold counts as an error, not as a class of its own).
 */
export function computeMetrics(gold: readonly string[], pred: readonly string[]): Metrics {
  if (gold.length !== pred.length) throw new Error('gold and predictions differ in length');
  const classes = [...new Set(gold)].sort();
  const per: Record<string, ClassMetrics> = {};
  let correct = 0;
  for (let i = 0; i < gold.length; i++) if (gold[i] === pred[i]) correct++;
  for (const c of classes) {
    let tp = 0, fp = 0, fn = 0;
    for (let i = 0; i < gold.length; i++) {
      const g = gold[i] === c, p = pred[i] === c;
      if (g && p) tp++; else if (p) fp++; else if (g) fn++;
    }
    const precision = tp + fp ? tp / (tp + fp) : 0;
    const recall = tp + fn ? tp / (tp + fn) : 0;
    const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
    per[c] = { precision: r4(precision), recall: r4(recall), f1: r4(f1), support: tp + fn };
  }
  const k = classes.length || 1;
  return {
    n: gold.length,
    accuracy: r4(gold.length ? correct / gold.length : 0),
    macro_f1: r4(classes.reduce((s, c) => s + per[c]!.f1, 0) / k),
    macro_recall: r4(classes.reduce((s, c) => s + per[c]!.recall, 0) / k),
    per_class: per,
  };
}

export function r4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
