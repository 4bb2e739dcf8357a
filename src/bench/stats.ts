import { readFileSync } from 'node:fs';

/** Nearest-rank percentile of a sample (for timings; reports use the TWCS definition instead). */
export function percentileOf(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!.toFixed(2));
}

/**
 * CPU time in µs of a process or thread so far, from its `/proc/…/stat`: utime + stime
 * and, with `children`, cutime + cstime (the CPU of its children that exited and were
 * waited for). Fields counted after the command name, in clock ticks (100 a second).
 */
export function procCpuUs(statPath: string, children = false): number {
  const st = readFileSync(statPath, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + (children ? Number(f[13]) + Number(f[14]) : 0)) * 10_000;
}
