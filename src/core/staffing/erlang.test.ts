import { describe, expect, it } from 'vitest';
import { runStaffing } from '../../cli/commands/staffing.js';
import { erlangAMetrics, erlangB, erlangC, erlangCMetrics, productiveAgents, scheduledAgents, staffErlangA, staffErlangC, type Workload } from './erlang.js';

const w: Workload = { volume: 100, intervalS: 1800, ahtS: 180 }; // 10 Erlangs
const target = { serviceLevel: 0.8, answerWithinS: 20, shrinkage: 0.3, maxOccupancy: 0.85 };

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await runStaffing(argv, { out: (t) => void (out += t), err: (t) => void (err += t) });
  return { code, out, err };
}

/** Erlang B straight from its definition, for small cases only. */
function erlangBByDefinition(n: number, a: number): number {
  let term = 1;
  let sum = 1;
  for (let k = 1; k <= n; k++) {
    term *= a / k;
    sum += term;
  }
  return term / sum;
}

describe('Erlang C golden: 100 contacts / 30 min, 180 s, 80 % in 20 s, shrinkage 0.3, occupancy ≤ 0.85', () => {
  it('needs 14 agents, 20 scheduled (CLI --json contract)', async () => {
    const { code, out } = await cli([
      'erlang-c', '--volume', '100', '--interval-min', '30', '--aht-s', '180', '--service-level', '0.8',
      '--answer-within-s', '20', '--shrinkage', '0.3', '--max-occupancy', '0.85', '--json',
    ]);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(Object.keys(j)).toEqual(['agents', 'scheduled', 'service_level', 'occupancy', 'wait_probability', 'asa_s']);
    expect(j.agents).toBe(14);
    expect(j.scheduled).toBe(20);
    expect(j.service_level.toFixed(3)).toBe('0.888');
    expect(j.wait_probability.toFixed(3)).toBe('0.174');
    expect(j.occupancy.toFixed(3)).toBe('0.714');
    expect(j.asa_s.toFixed(1)).toBe('7.8');
  });
  it('13 agents would give 0.796', () => {
    expect(erlangCMetrics(13, w, 20).serviceLevel.toFixed(3)).toBe('0.796');
    expect(staffErlangC(w, target).agents).toBe(14);
  });
  it('prints a readable summary without --json', async () => {
    const { out } = await cli(['erlang-c', '--volume', '100', '--interval-min', '30', '--aht-s', '180', '--service-level', '0.8', '--answer-within-s', '20']);
    expect(out).toMatch(/agents needed:\s+14/);
    expect(out).toMatch(/88\.8 %/);
  });
  it('rejects bad options with a usage error', async () => {
    const r = await cli(['erlang-c', '--volume', '100', '--interval-min', '30', '--aht-s', '180', '--service-level', '1.5', '--answer-within-s', '20']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/--service-level must be a number in \(0, 1\]/);
  });
});

describe('Erlang B / C', () => {
  it('agrees with the definition on small cases', () => {
    for (const [n, a] of [[5, 3], [10, 10], [1, 0.5], [30, 22.7]] as const) {
      expect(erlangB(n, a)).toBeCloseTo(erlangBByDefinition(n, a), 12);
    }
    expect(erlangB(5, 3)).toBeCloseTo(0.1101, 4); // Erlang B table
  });
  it('is stable for very large traffic (Halfin–Whitt limit)', () => {
    // N = A + β√A: P(wait) → 1 / (1 + β Φ(β) / φ(β)) = 0.2234 for β = 1.
    const c = erlangC(10_100, 10_000);
    expect(Number.isFinite(c)).toBe(true);
    expect(Math.abs(c - 0.2234)).toBeLessThan(0.01);
    const r = staffErlangC({ volume: 1_000_000, intervalS: 3600, ahtS: 300 }, { serviceLevel: 0.9, answerWithinS: 30 });
    expect(r.agents).toBeGreaterThan(83_334);
    expect(r.serviceLevel).toBeGreaterThanOrEqual(0.9);
    expect(erlangCMetrics(r.agents - 1, { volume: 1_000_000, intervalS: 3600, ahtS: 300 }, 30).serviceLevel).toBeLessThan(0.9);
  });
  it('treats an overloaded queue as never meeting the target', () => {
    const m = erlangCMetrics(10, w, 20);
    expect(m.serviceLevel).toBe(0);
    expect(m.asaS).toBe(Infinity);
  });
  it('lets the occupancy cap bind', () => {
    const loose = staffErlangC(w, { serviceLevel: 0.5, answerWithinS: 60 });
    const capped = staffErlangC(w, { serviceLevel: 0.5, answerWithinS: 60, maxOccupancy: 0.7 });
    expect(loose.agents).toBe(11);
    expect(capped.agents).toBe(Math.ceil(10 / 0.7));
  });
  it('needs no one for no work', () => {
    expect(staffErlangC({ ...w, volume: 0 }, target)).toMatchObject({ agents: 0, scheduled: 0, serviceLevel: 1 });
  });
});

describe('shrinkage and concurrency', () => {
  it('converts productive agents to heads and back', () => {
    expect(scheduledAgents(14, 0.3)).toBe(20);
    expect(scheduledAgents(15, 0.3)).toBe(22);
    expect(scheduledAgents(7, 0)).toBe(7);
    expect(productiveAgents(20, 0.3)).toBe(14);
    expect(productiveAgents(21, 0.3)).toBe(14);
  });
  it('models an agent with concurrency k as k servers with the elapsed handling time', () => {
    const chat: Workload = { volume: 100, intervalS: 1800, ahtS: 600 }; // 33.3 Erlangs of conversations
    const r = staffErlangC(chat, { serviceLevel: 0.8, answerWithinS: 60, concurrency: 3 });
    expect(r.servers).toBe(r.agents * 3);
    expect(erlangCMetrics(r.servers, chat, 60).serviceLevel).toBeCloseTo(r.serviceLevel, 12);
    expect(erlangCMetrics((r.agents - 1) * 3, chat, 60).serviceLevel).toBeLessThan(0.8);
    // Fewer heads than one conversation at a time would need.
    expect(r.agents).toBeLessThan(staffErlangC(chat, { serviceLevel: 0.8, answerWithinS: 60 }).agents);
  });
});

// ---------------------------------------------------------------------------
// Erlang A, checked against an independent brute-force computation: the
// truncated birth–death chain for the stationary law, and uniformization of
// the tagged customer's own chain (k ahead; each ahead leaves at Nμ+jγ; the
// customer abandons at γ) for P(answered within t).

function bruteForceErlangA(N: number, lambda: number, mu: number, gamma: number, t: number) {
  const maxN = N + 400;
  const pi: number[] = [1];
  for (let n = 1; n <= maxN; n++) pi.push((pi[n - 1]! * lambda) / (Math.min(n, N) * mu + Math.max(0, n - N) * gamma));
  const z = pi.reduce((a, b) => a + b, 0);
  for (let n = 0; n <= maxN; n++) pi[n]! /= z;
  let sl = 0;
  let abandon = 0;
  let pw = 0;
  for (let n = 0; n <= maxN; n++) {
    if (n < N) {
      sl += pi[n]!;
      continue;
    }
    pw += pi[n]!;
    const k = n - N;
    if (pi[n]! < 1e-16) continue;
    // Uniformization of the tagged chain: states j = k..0, absorbing "served" and "abandoned".
    const rate = N * mu + (k + 1) * gamma;
    let p = new Float64Array(k + 1);
    p[k] = 1;
    let served = 0;
    let servedWithin = 0;
    let pois = Math.exp(-rate * t);
    let cum = 0;
    for (let step = 0; step < 20000; step++) {
      // probability of being absorbed as served by step `step`, weighted by Poisson(step)
      servedWithin += pois * served;
      cum += pois;
      if (cum > 1 - 1e-14 && step > rate * t) break;
      const q = new Float64Array(k + 1);
      for (let j = 0; j <= k; j++) {
        const pj = p[j]!;
        if (pj === 0) continue;
        const down = N * mu + j * gamma;
        if (j === 0) served += (pj * down) / rate;
        else q[j - 1]! += (pj * down) / rate;
        q[j]! += pj * (1 - (down + gamma) / rate);
      }
      p = q;
      pois *= (rate * t) / (step + 1);
    }
    sl += pi[n]! * servedWithin;
    abandon += pi[n]! * (1 - (N * mu) / (N * mu + (k + 1) * gamma));
  }
  return { serviceLevel: sl, abandonProbability: abandon, waitProbability: pw };
}

describe('Erlang A', () => {
  const cases = [
    { N: 14, volume: 100, aht: 180, patience: 120, t: 20 },
    { N: 10, volume: 100, aht: 180, patience: 300, t: 30 }, // N = A: only abandonment keeps it stable
    { N: 6, volume: 100, aht: 180, patience: 60, t: 10 }, // heavy overload
    { N: 3, volume: 20, aht: 240, patience: 900, t: 60 },
  ];
  for (const c of cases) {
    it(`matches a brute-force birth–death computation (N=${c.N}, patience ${c.patience} s)`, () => {
      const lambda = c.volume / 1800;
      const m = erlangAMetrics(c.N, { volume: c.volume, intervalS: 1800, ahtS: c.aht }, c.t, c.patience);
      const bf = bruteForceErlangA(c.N, lambda, 1 / c.aht, 1 / c.patience, c.t);
      expect(m.waitProbability).toBeCloseTo(bf.waitProbability, 8);
      expect(m.abandonProbability).toBeCloseTo(bf.abandonProbability, 8);
      expect(m.serviceLevel).toBeCloseTo(bf.serviceLevel, 6);
      // Conservation: abandonment rate = γ × mean queue length.
      expect(m.abandonProbability * lambda).toBeCloseTo(m.meanQueueLength / c.patience, 10);
      // Little's law over all arrivals.
      expect(m.meanWaitAllS).toBeCloseTo(m.meanQueueLength / lambda, 8);
    });
  }

  it('answers nobody with no agents, at once whatever the patience (a roster hour with 0 heads)', () => {
    const busy: Workload = { volume: 200, intervalS: 3600, ahtS: 300 };
    for (const patience of [60, 3600, 1e12]) {
      const m = erlangAMetrics(0, busy, 20, patience);
      expect(m).toMatchObject({ servers: 0, serviceLevel: 0, waitProbability: 1, asaS: Infinity, occupancy: 1, abandonProbability: 1 });
      // everyone waits out their patience: Little's law and the conservation law hold
      expect(m.meanWaitAllS).toBeCloseTo(patience, 6);
      expect(m.meanQueueLength).toBeCloseTo((200 / 3600) * patience, 6);
    }
    // the brute force agrees where it can run
    const bf = bruteForceErlangA(0, 200 / 3600, 1 / 300, 1 / 60, 20);
    expect(bf.serviceLevel).toBeCloseTo(0, 8);
    expect(bf.abandonProbability).toBeCloseTo(1, 8);
  });

  it('tends to Erlang C as patience grows', () => {
    const c = erlangCMetrics(14, w, 20);
    for (const patience of [1e7, 1e9]) {
      const a = erlangAMetrics(14, w, 20, patience);
      expect(a.serviceLevel).toBeCloseTo(c.serviceLevel, 5);
      expect(a.waitProbability).toBeCloseTo(c.waitProbability, 5);
      expect(a.asaS).toBeCloseTo(c.asaS, 3);
      expect(a.abandonProbability).toBeLessThan(1e-5);
    }
    expect(erlangAMetrics(14, w, 20, Infinity).serviceLevel).toBe(c.serviceLevel);
  });

  it('needs fewer agents than Erlang C when customers give up, and honours a cap on abandonment', () => {
    const a = staffErlangA(w, { ...target, patienceS: 120 });
    expect(a.agents).toBeLessThanOrEqual(14);
    expect(a.serviceLevel).toBeGreaterThanOrEqual(0.8);
    expect(erlangAMetrics(a.agents - 1, w, 20, 120).serviceLevel < 0.8 || (10 * (1 - erlangAMetrics(a.agents - 1, w, 20, 120).abandonProbability)) / (a.agents - 1) > 0.85).toBe(true);
    const strict = staffErlangA(w, { ...target, patienceS: 120, maxAbandon: 0.005 });
    expect(strict.abandonProbability).toBeLessThanOrEqual(0.005);
    expect(strict.agents).toBeGreaterThan(a.agents);
  });

  it('CLI prints the Erlang A JSON', async () => {
    const { code, out } = await cli([
      'erlang-a', '--volume', '100', '--interval-min', '30', '--aht-s', '180', '--service-level', '0.8',
      '--answer-within-s', '20', '--patience-s', '120', '--json',
    ]);
    expect(code).toBe(0);
    const j = JSON.parse(out);
    expect(Object.keys(j)).toEqual(['agents', 'scheduled', 'service_level', 'occupancy', 'wait_probability', 'asa_s', 'abandon_probability']);
    const m = erlangAMetrics(j.agents, w, 20, 120);
    expect(j.service_level).toBe(m.serviceLevel);
    expect(j.abandon_probability).toBe(m.abandonProbability);
  });
});
