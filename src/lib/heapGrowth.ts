import { setFlagsFromString } from 'node:v8';

/**
 * How far V8 lets the main heap grow past what its last full (mark-compact) collection kept.
 *
 * V8 picks that factor itself, between 1.1 and 4, from how fast the program allocates against
 * how fast it collects. A server that starts quietly (migrations, caches, then nothing) is
 * given a large factor at its last quiet collection: when load arrives, the old generation
 * grows from ~70 MB to ~240 MB before the next full collection, and the process's peak memory
 * depends on where that collection happens to fall (410–537 MB in runs of the same code).
 * Under steady load V8 settles near 1.5 by itself; capping the factor there from the start
 * makes the peak predictable (docs/performance.md, Memory).
 *
 * V8 reads the flag at each full collection, so setting it once the process runs takes effect
 * from the next one. A `--heap-growing-percent` given to node itself (on its command line or in
 * NODE_OPTIONS) wins.
 */
export function applyHeapGrowing(percent: number, execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): 'node-flag' | 'v8-default' | number {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].some((a) => /^--heap[-_]growing[-_]percent(=|$)/.test(a));
  if (given) return 'node-flag';
  if (!(percent > 0)) return 'v8-default';
  setFlagsFromString(`--heap-growing-percent=${Math.round(percent)}`);
  return Math.round(percent);
}
