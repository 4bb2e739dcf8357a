/** Nearest-rank percentile of a sample (for timings; reports use the TWCS definition instead). */
export function percentileOf(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!.toFixed(2));
}
