/**
 * Queueing formulas for staffing a care desk: Erlang C (M/M/N, nobody hangs up)
 * and Erlang A (M/M/N+M, customers give up after an exponential patience).
 *
 * Units: seconds for times, arrivals per second for rates, Erlangs for traffic
 * (arrival rate × handling time). Everything is computed without factorials:
 * Erlang B by its recursion B(n) = A·B(n−1) / (n + A·B(n−1)), and the Erlang A
 * queue by a birth–death solution in log space, summed until the tail is
 * negligible. Formulas and their sources: docs/metrics.md, "Staffing model".
 *
 * Concurrency (an agent handling k conversations at once) is modelled as k
 * parallel servers per agent whose service time is the per-conversation
 * *elapsed* handling time; shrinkage converts productive agents to scheduled
 * heads. Pure functions.
 */

/** Offered work in one interval. */
export interface Workload {
  /** Contacts arriving in the interval. */
  volume: number;
  /** Interval length in seconds (1800 for half-hour planning). */
  intervalS: number;
  /** Mean handling time per contact in seconds (per conversation, elapsed, when concurrency > 1). */
  ahtS: number;
}

/** What the desk promises and how it works. */
export interface StaffingTarget {
  /** Share of contacts to answer within `answerWithinS`, 0..1. */
  serviceLevel: number;
  answerWithinS: number;
  /** Largest acceptable server occupancy, 0..1 (default 1: no cap). */
  maxOccupancy?: number;
  /** Share of paid time not available for contacts (breaks, training...), 0..<1 (default 0). */
  shrinkage?: number;
  /** Conversations an agent works at once (integer ≥ 1, default 1). */
  concurrency?: number;
}

/** Queue performance for a given number of servers. */
export interface QueueMetrics {
  /** Agents × concurrency. */
  servers: number;
  /** Offered traffic in Erlangs. */
  traffic: number;
  /** Share of all arrivals answered within the target time. */
  serviceLevel: number;
  /** Share of arrivals that find every server busy. */
  waitProbability: number;
  /** Mean wait of answered contacts, seconds (Infinity when the queue is unstable). */
  asaS: number;
  /** Busy share of server time (handled traffic / servers), 0..1. */
  occupancy: number;
}

export interface ErlangAMetrics extends QueueMetrics {
  /** Share of arrivals that give up before being answered. */
  abandonProbability: number;
  /** Mean time in queue over all arrivals (answered or not), seconds. */
  meanWaitAllS: number;
  /** Mean number waiting. */
  meanQueueLength: number;
}

export interface StaffingResult extends QueueMetrics {
  /** Productive agents needed (servers / concurrency). */
  agents: number;
  /** Heads to schedule: ceil(agents / (1 − shrinkage)). */
  scheduled: number;
}

export interface ErlangAStaffingResult extends ErlangAMetrics {
  agents: number;
  scheduled: number;
}

function checkFinite(name: string, x: number, min: number, max = Infinity) {
  if (typeof x !== 'number' || !Number.isFinite(x) || x < min || x > max) throw new RangeError(`${name} must be a number in [${min}, ${max}], got ${x}`);
}

/** Traffic in Erlangs from a workload. */
export function trafficOf(w: Workload): number {
  checkFinite('volume', w.volume, 0);
  checkFinite('intervalS', w.intervalS, Number.MIN_VALUE);
  checkFinite('ahtS', w.ahtS, Number.MIN_VALUE);
  return (w.volume * w.ahtS) / w.intervalS;
}

/** Erlang B blocking probability for `servers` servers and `traffic` Erlangs (stable recursion). */
export function erlangB(servers: number, traffic: number): number {
  if (!Number.isInteger(servers) || servers < 0) throw new RangeError(`servers must be a non-negative integer, got ${servers}`);
  checkFinite('traffic', traffic, 0);
  let b = 1;
  for (let n = 1; n <= servers; n++) b = (traffic * b) / (n + traffic * b);
  return b;
}

/** Erlang C probability of waiting from Erlang B; 1 when the queue is unstable (N ≤ A). */
export function erlangCFromB(servers: number, traffic: number, b: number): number {
  if (servers <= traffic) return 1;
  return (servers * b) / (servers - traffic * (1 - b));
}

/** Erlang C probability that an arrival waits. */
export function erlangC(servers: number, traffic: number): number {
  return erlangCFromB(servers, traffic, erlangB(servers, traffic));
}

function erlangCMetricsFromB(servers: number, traffic: number, b: number, ahtS: number, answerWithinS: number): QueueMetrics {
  if (traffic === 0) return { servers, traffic, serviceLevel: 1, waitProbability: 0, asaS: 0, occupancy: 0 };
  if (servers <= traffic) return { servers, traffic, serviceLevel: 0, waitProbability: 1, asaS: Infinity, occupancy: 1 };
  const c = erlangCFromB(servers, traffic, b);
  const spare = servers - traffic;
  return {
    servers,
    traffic,
    serviceLevel: 1 - c * Math.exp((-spare * answerWithinS) / ahtS),
    waitProbability: c,
    asaS: (c * ahtS) / spare,
    occupancy: traffic / servers,
  };
}

/** Erlang C performance of `servers` servers on a workload (handling time per server). */
export function erlangCMetrics(servers: number, w: Workload, answerWithinS: number): QueueMetrics {
  checkFinite('answerWithinS', answerWithinS, 0);
  const a = trafficOf(w);
  return erlangCMetricsFromB(servers, a, erlangB(servers, a), w.ahtS, answerWithinS);
}

function targetDefaults(t: StaffingTarget) {
  checkFinite('serviceLevel', t.serviceLevel, 0, 1);
  checkFinite('answerWithinS', t.answerWithinS, 0);
  const maxOccupancy = t.maxOccupancy ?? 1;
  checkFinite('maxOccupancy', maxOccupancy, Number.MIN_VALUE, 1);
  const shrinkage = t.shrinkage ?? 0;
  checkFinite('shrinkage', shrinkage, 0, 0.99);
  const concurrency = t.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 100) throw new RangeError(`concurrency must be an integer in [1, 100], got ${concurrency}`);
  return { serviceLevel: t.serviceLevel, answerWithinS: t.answerWithinS, maxOccupancy, shrinkage, concurrency };
}

/**
 * Heads to schedule so that `agents` are productive: ceil(agents / (1 − shrinkage)).
 * A tiny tolerance keeps 14 / 0.7 at 20 despite binary floating point.
 */
export function scheduledAgents(agents: number, shrinkage: number): number {
  checkFinite('shrinkage', shrinkage, 0, 0.99);
  const x = agents / (1 - shrinkage);
  return Math.ceil(x - 1e-9 * Math.max(1, x));
}

/** Productive agents out of `heads` on shift: floor(heads × (1 − shrinkage)). */
export function productiveAgents(heads: number, shrinkage: number): number {
  checkFinite('shrinkage', shrinkage, 0, 0.99);
  const x = heads * (1 - shrinkage);
  return Math.floor(x + 1e-9 * Math.max(1, x));
}

/**
 * Fewest agents meeting the service-level target with occupancy ≤ the cap,
 * by Erlang C on agents × concurrency servers. Zero volume needs zero agents.
 */
export function staffErlangC(w: Workload, target: StaffingTarget): StaffingResult {
  const t = targetDefaults(target);
  const a = trafficOf(w);
  const k = t.concurrency;
  if (a === 0) return { agents: 0, scheduled: 0, servers: 0, traffic: 0, serviceLevel: 1, waitProbability: 0, asaS: 0, occupancy: 0 };
  // B is carried along n so each step is O(1); start at the first stable agent count.
  let n = 0;
  let b = 1;
  let agents = Math.max(1, Math.floor(a / k));
  const advanceTo = (servers: number) => {
    for (; n < servers; ) {
      n++;
      b = (a * b) / (n + a * b);
    }
  };
  for (;;) {
    const servers = agents * k;
    advanceTo(servers);
    const m = erlangCMetricsFromB(servers, a, b, w.ahtS, t.answerWithinS);
    if (servers > a && m.serviceLevel >= t.serviceLevel - 1e-12 && m.occupancy <= t.maxOccupancy + 1e-12) {
      return { ...m, agents, scheduled: scheduledAgents(agents, t.shrinkage) };
    }
    agents++;
    if (agents > 10 * a + 1000) throw new Error('no staffing meets the target'); // unreachable for valid input
  }
}

// ---------------------------------------------------------------------------
// Erlang A (M/M/N+M)

/** Largest queue length the Erlang A solution may need; beyond it the input is absurd. */
const MAX_QUEUE_STATES = 20_000_000;

function logAddExp(x: number, y: number): number {
  if (x === -Infinity) return y;
  if (y === -Infinity) return x;
  return x > y ? x + Math.log1p(Math.exp(y - x)) : y + Math.log1p(Math.exp(x - y));
}

/**
 * Erlang A performance: Poisson arrivals (rate λ), exponential handling (mean
 * ahtS), `servers` servers, FCFS queue, exponential patience with mean
 * `patienceS` (Infinity = Erlang C). Exact up to truncating the queue where the
 * remaining stationary mass is below 1e-18 of the total.
 *
 * A customer who arrives to find k others waiting is answered with probability
 * Nμ/(Nμ+(k+1)γ) and, writing U = e^{−γV} for their offered wait V,
 * U ~ Beta(Nμ/γ, k+1); hence P(answered within t | k) = Nμ/(Nμ+(k+1)γ)·(1 − I_x(Nμ/γ+1, k+1))
 * with x = e^{−γt}, where I_x(r, k+1) for integer k+1 is a negative binomial CDF,
 * and E[wait · 1{answered} | k] = Nμ/(Nμ+(k+1)γ)·Σ_{j=1..k+1} 1/(Nμ+jγ).
 */
export function erlangAMetrics(servers: number, w: Workload, answerWithinS: number, patienceS: number): ErlangAMetrics {
  if (!Number.isInteger(servers) || servers < 0) throw new RangeError(`servers must be a non-negative integer, got ${servers}`);
  checkFinite('answerWithinS', answerWithinS, 0);
  if (!(patienceS > 0)) throw new RangeError(`patienceS must be > 0 (Infinity for no abandonment), got ${patienceS}`);
  const a = trafficOf(w);
  const N = servers;
  if (a === 0) return { servers, traffic: 0, serviceLevel: 1, waitProbability: 0, asaS: 0, occupancy: 0, abandonProbability: 0, meanWaitAllS: 0, meanQueueLength: 0 };
  if (patienceS === Infinity) {
    const c = erlangCMetricsFromB(N, a, erlangB(N, a), w.ahtS, answerWithinS);
    const stable = N > a;
    return {
      ...c,
      abandonProbability: 0,
      meanWaitAllS: c.asaS,
      meanQueueLength: stable ? (c.waitProbability * a) / (N - a) : Infinity,
    };
  }
  const lambda = w.volume / w.intervalS;
  // Nobody on shift: every arrival waits its whole patience and leaves (exact, and O(1): the
  // general solution would walk a queue of about λ·patience states, and throw beyond 2·10⁷)
  if (N === 0) return { servers, traffic: a, serviceLevel: 0, waitProbability: 1, asaS: Infinity, occupancy: 1, abandonProbability: 1, meanWaitAllS: patienceS, meanQueueLength: lambda * patienceS };
  const mu = 1 / w.ahtS;
  const gamma = 1 / patienceS;
  const nmu = N * mu;

  // Relative stationary weights of N+k in system, k = 0..K (log q_0 = 0).
  // q_k = Π_{j=1..k} λ / (Nμ + jγ): rises while Nμ + jγ < λ, then falls faster than geometrically.
  const peak = Math.max(0, Math.ceil((lambda - nmu) / gamma));
  const logQ: number[] = [0];
  let logSum = 0;
  for (let k = 1; ; k++) {
    const lq = logQ[k - 1]! + Math.log(lambda / (nmu + k * gamma));
    logQ.push(lq);
    logSum = logAddExp(logSum, lq);
    if (k > peak && lq - logSum < -41.5) break; // < 1e-18 of the mass, and shrinking
    if (k >= MAX_QUEUE_STATES) throw new RangeError('Erlang A queue too long to solve (patience far too long for this overload?)');
  }
  const K = logQ.length - 1;

  // P(all busy) = Σq / (Σq + (1/B − 1)), with B = Erlang B(N, A) for the part below N.
  const b = erlangB(N, a);
  let waitProbability: number;
  if (b === 0) waitProbability = 0; // below 1e-308: nobody ever waits
  else if (b === 1) waitProbability = 1; // N = 0
  else waitProbability = 1 / (1 + Math.exp(Math.log1p(-b) - Math.log(b) - logSum));

  // Walk k, carrying the negative-binomial CDF (r = Nμ/γ + 1, success prob x = e^{−γt}) in logs.
  const r = nmu / gamma + 1;
  const logX = -gamma * answerWithinS;
  const logOneMinusX = answerWithinS > 0 ? Math.log(-Math.expm1(logX)) : -Infinity;
  let logPmf = r * logX;
  let logCdf = logPmf;
  let harmonic = 0; // Σ_{j=1..k+1} 1/(Nμ + jγ)
  let pAnswered = 0;
  let pAnsweredWithin = 0;
  let waitAnswered = 0;
  let meanQueue = 0;
  for (let k = 0; k <= K; k++) {
    if (k > 0) {
      logPmf += Math.log((r + k - 1) / k) + logOneMinusX;
      logCdf = logAddExp(logCdf, logPmf);
    }
    harmonic += 1 / (nmu + (k + 1) * gamma);
    const p = Math.exp(logQ[k]! - logSum); // P(k waiting | all busy)
    const served = nmu / (nmu + (k + 1) * gamma);
    const tail = logCdf >= 0 ? 0 : -Math.expm1(logCdf);
    pAnswered += p * served;
    pAnsweredWithin += p * served * tail;
    waitAnswered += p * served * harmonic;
    meanQueue += p * k;
  }
  const pw = waitProbability;
  const abandonProbability = pw * (1 - pAnswered);
  const answered = 1 - abandonProbability;
  const meanQueueLength = pw * meanQueue;
  return {
    servers,
    traffic: a,
    serviceLevel: 1 - pw + pw * pAnsweredWithin,
    waitProbability: pw,
    asaS: answered > 0 ? (pw * waitAnswered) / answered : Infinity,
    occupancy: N > 0 ? Math.min(1, (a * answered) / N) : 1,
    abandonProbability,
    meanWaitAllS: meanQueueLength / lambda,
    meanQueueLength,
  };
}

/**
 * Fewest agents meeting the target under Erlang A (and, when given, a ceiling on
 * the abandonment share). Searches by bisection: every criterion is monotone in N.
 */
export function staffErlangA(w: Workload, target: StaffingTarget & { patienceS: number; maxAbandon?: number }): ErlangAStaffingResult {
  const t = targetDefaults(target);
  const maxAbandon = target.maxAbandon ?? 1;
  checkFinite('maxAbandon', maxAbandon, 0, 1);
  const a = trafficOf(w);
  const k = t.concurrency;
  const at = (agents: number) => erlangAMetrics(agents * k, w, t.answerWithinS, target.patienceS);
  const ok = (m: ErlangAMetrics) =>
    m.serviceLevel >= t.serviceLevel - 1e-12 && m.occupancy <= t.maxOccupancy + 1e-12 && m.abandonProbability <= maxAbandon + 1e-12;
  if (a === 0) return { ...at(0), agents: 0, scheduled: 0 };
  let lo = 0; // known to fail (0 agents answer nobody)
  let hi = Math.max(1, Math.ceil(a / k));
  let m = at(hi);
  while (!ok(m)) {
    lo = hi;
    hi *= 2;
    if (hi > 10 * a + 1000) throw new Error('no staffing meets the target');
    m = at(hi);
  }
  let best = m;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const mm = at(mid);
    if (ok(mm)) {
      hi = mid;
      best = mm;
    } else lo = mid;
  }
  return { ...best, agents: hi, scheduled: scheduledAgents(hi, t.shrinkage) };
}
