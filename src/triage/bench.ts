/**
 * Speed of the full triage of one message, for `npm run bench` (the bench suite
 * calls `benchTriage`). Also times VADER on the same rows, as the reference point
 * (`triage.ms_per_item` and `triage.vader_ms_per_item` in the bench output).
 */
import type { TriageModel } from '../core/triage/model.js';
import { triage } from '../core/triage/triage.js';
import type { TriageInput } from '../core/triage/types.js';
import { vaderCompound } from './eval.js';
import { loadShippedModel } from './model-io.js';

export interface TriageBench {
  n: number;
  rounds: number;
  /** Median over rounds of wall time, full triage (features, all heads, rules, priority). */
  ms_per_item: number;
  per_second: number;
  /**
   * Median CPU time (user + system of this process) per item: the per-core cost, which
   * stays meaningful when the machine is shared and wall time is inflated by waiting.
   */
  cpu_ms_per_item: number;
  cpu_per_second: number;
  vader_ms_per_item: number;
  vader_cpu_ms_per_item: number;
  model: string;
}

/**
 * Time `triage` on `rows` (texts or inputs) on this core. Deterministic inputs; the
 * result is a measurement, so it varies with the machine and its load.
 */
export function benchTriage(rows: readonly (string | TriageInput)[], opts: { model?: TriageModel; rounds?: number } = {}): TriageBench {
  if (rows.length === 0) throw new Error('benchTriage needs at least one row');
  const model = opts.model ?? loadShippedModel();
  const rounds = opts.rounds ?? 5;
  const now = Date.UTC(2026, 0, 1);
  const inputs: TriageInput[] = rows.map((r, i) =>
    typeof r === 'string'
      ? { text: r, network: 'x', visibility: i % 5 === 0 ? 'private' : 'public', kind: i % 5 === 0 ? 'dm' : 'mention', createdAt: now - (i % 90) * 60_000, author: { followers: (i * 7919) % 100_000 }, context: { brandHandles: ['acmecare'] } }
      : r,
  );
  const texts = inputs.map((i) => i.text);
  // warm-up: JIT and the packed tables
  for (let i = 0; i < Math.min(inputs.length, 2000); i++) triage(inputs[i]!, now, model);
  const times: number[] = [];
  const cpu: number[] = [];
  let sink = 0;
  const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const c0 = cpuMs();
    for (const input of inputs) sink += triage(input, now, model).priority.value;
    cpu.push((cpuMs() - c0) / inputs.length);
    times.push((performance.now() - t0) / inputs.length);
  }
  for (let i = 0; i < Math.min(texts.length, 500); i++) vaderCompound(texts[i]!);
  const vt: number[] = [];
  const vc: number[] = [];
  for (let r = 0; r < Math.min(rounds, 3); r++) {
    const t0 = performance.now();
    const c0 = cpuMs();
    for (const t of texts) sink += vaderCompound(t);
    vc.push((cpuMs() - c0) / texts.length);
    vt.push((performance.now() - t0) / texts.length);
  }
  if (Number.isNaN(sink)) throw new Error('unreachable'); // keeps the loops from being optimized away
  const ms = median(times);
  const cms = median(cpu);
  return {
    n: inputs.length, rounds,
    ms_per_item: round5(ms), per_second: Math.round(1000 / ms),
    cpu_ms_per_item: round5(cms), cpu_per_second: Math.round(1000 / cms),
    vader_ms_per_item: round5(median(vt)), vader_cpu_ms_per_item: round5(median(vc)),
    model: model.version,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function round5(x: number): number {
  return Math.round(x * 100_000) / 100_000;
}
