/**
 * Discrete-event simulation of a care desk: replay real arrival times (or
 * seeded Poisson arrivals) against a roster and see the service level, waits,
 * occupancy and abandonment that would have happened — "what if we had two
 * more agents on Monday mornings" is a changed roster and a rerun.
 *
 * Model: agents × concurrency interchangeable slots; a conversation holds one
 * slot for its handling time (exponential with the given mean unless given per
 * arrival or `handling: 'fixed'`). When the roster shrinks, conversations in
 * progress are finished (no pre-emption) but no new one starts until a slot is
 * free under the new capacity. Queue: FIFO, or by priority (lower number first,
 * FIFO within a priority). Abandonment: a waiting contact leaves once its
 * patience (exponential with the given mean, or given per arrival) runs out.
 *
 * Handling times and patiences are drawn per arrival, in arrival order, from a
 * seeded PRNG, so two runs with the same seed and arrivals but different rosters
 * see the same customers (common random numbers) and differences are the
 * roster's. Pure: no clock, no I/O.
 */

/** A contact arriving at `at` (ms since the epoch). */
export interface SimArrival {
  at: number;
  /** Lower is served first under `discipline: 'priority'` (default 0). */
  priority?: number;
  /** Handling time in seconds, overriding the drawn one. */
  handleS?: number;
  /** Patience in seconds, overriding the drawn one. */
  patienceS?: number;
}

/** Agents on shift per interval, from `startMs`. */
export interface SimRoster {
  startMs: number;
  intervalS: number;
  /** Productive agents per interval. */
  agents: readonly number[];
  /**
   * Repeat `agents` forever (e.g. 168 hourly values for a week starting on a
   * Monday 00:00). Otherwise there are no agents after the last interval.
   */
  cyclic?: boolean;
  /**
   * A cyclic roster only: which of `agents` each interval from `startMs` is, in order — for a
   * weekly roster in a zone with daylight saving, the local hour of week of each real hour
   * (`weeklyRosterSequence`): the week the clocks go back is 169 hours long (its repeated hour
   * keeps that hour's agents for two hours), the week they go forward 167, and the roster
   * follows the wall clock rather than drifting an hour. Past its end, intervals go on in
   * order from its last one. Stats by interval (`byInterval`) are by these indexes.
   */
  sequence?: readonly number[];
}

export interface SimConfig {
  arrivals: readonly (SimArrival | number)[];
  roster: SimRoster;
  /** Mean handling time per conversation, seconds. */
  ahtS: number;
  /**
   * Mean handling time by the roster interval a contact arrives in (e.g. 168 hourly values
   * of a weekly roster; repeated when the roster is cyclic); `ahtS` after its end otherwise.
   */
  ahtPerInterval?: readonly number[];
  /** 'exponential' (default, what Erlang C assumes) or 'fixed'. */
  handling?: 'exponential' | 'fixed';
  /** Conversations per agent at once (default 1). */
  concurrency?: number;
  /** Mean (exponential) patience in seconds; omit for nobody abandoning. */
  patienceS?: number;
  /** Service-level threshold, seconds. */
  answerWithinS: number;
  discipline?: 'fifo' | 'priority';
  seed: number;
  /** Stop at this instant (ms); contacts still waiting then count as unanswered. Default: when the queue drains. */
  endMs?: number;
}

export interface SimIntervalStats {
  /** Roster index (for a cyclic weekly roster: the hour of week). */
  index: number;
  offered: number;
  answered: number;
  answeredWithin: number;
  abandoned: number;
  /** answeredWithin / offered (1 when nothing was offered). */
  serviceLevel: number;
  /** Mean wait of answered contacts, seconds. */
  meanWaitS: number;
}

export interface SimResult {
  offered: number;
  answered: number;
  abandoned: number;
  /** Still waiting when the run stopped (endMs, or no agents left on a finite roster). */
  unanswered: number;
  answeredWithin: number;
  /** Contacts answered within the threshold / offered. */
  serviceLevel: number;
  abandonRate: number;
  /** Waits of answered contacts, seconds. */
  wait: { meanS: number; p50S: number; p90S: number; maxS: number };
  /** Busy slot time / slot time on the roster, over the run. */
  occupancy: number;
  /** Per roster interval index (arrivals grouped by the interval they arrived in). */
  byInterval: SimIntervalStats[];
}

// ---------------------------------------------------------------------------
// Seeded randomness

/** sfc32 seeded through splitmix32: small, fast, passes PractRand to 2^40+. Returns [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  const split = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) >>> 0;
    return t / 4294967296;
  };
}

/**
 * Poisson arrivals between startMs and endMs with a piecewise-constant rate:
 * `ratePerHour` for all time, or one rate per interval of `intervalS` seconds
 * from startMs (cycled when the range is longer). Sorted ms timestamps.
 */
export function poissonArrivals(opts: { startMs: number; endMs: number; ratePerHour: number | readonly number[]; intervalS?: number; seed: number }): number[] {
  const rnd = seededRandom(opts.seed);
  const rates = typeof opts.ratePerHour === 'number' ? [opts.ratePerHour] : opts.ratePerHour;
  if (rates.length === 0 || rates.some((r) => !(r >= 0) || !Number.isFinite(r))) throw new RangeError('rates must be non-negative numbers');
  const intervalMs = typeof opts.ratePerHour === 'number' ? opts.endMs - opts.startMs : (opts.intervalS ?? 3600) * 1000;
  if (!(intervalMs > 0)) throw new RangeError('intervalS must be positive and endMs after startMs');
  const out: number[] = [];
  for (let i = 0, from = opts.startMs; from < opts.endMs; i++, from += intervalMs) {
    const to = Math.min(opts.endMs, from + intervalMs);
    const perMs = rates[i % rates.length]! / 3_600_000;
    if (perMs === 0) continue;
    // Memoryless: restarting the exponential gaps at each boundary keeps it Poisson.
    for (let t = from - Math.log(1 - rnd()) / perMs; t < to; t -= Math.log(1 - rnd()) / perMs) out.push(t);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Event loop

/** Binary min-heap of numbers (service completion times). */
class MinHeap {
  private a: number[] = [];
  get size() {
    return this.a.length;
  }
  peek(): number {
    return this.a.length ? this.a[0]! : Infinity;
  }
  push(x: number) {
    const a = this.a;
    let i = a.length;
    a.push(x);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (a[p]! <= x) break;
      a[i] = a[p]!;
      i = p;
    }
    a[i] = x;
  }
  pop(): number {
    const a = this.a;
    const top = a[0]!;
    const last = a.pop()!;
    if (a.length) {
      let i = 0;
      const n = a.length;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const c = r < n && a[r]! < a[l]! ? r : l;
        if (a[c]! >= last) break;
        a[i] = a[c]!;
        i = c;
      }
      a[i] = last;
    }
    return top;
  }
}

function percentileSorted(xs: Float64Array, p: number): number {
  if (xs.length === 0) return 0;
  const h = xs.length * p;
  const r = Math.round(h);
  if (Math.abs(h - r) < 1e-9) return r <= 0 ? xs[0]! : r >= xs.length ? xs[xs.length - 1]! : (xs[r - 1]! + xs[r]!) / 2;
  return xs[Math.ceil(h) - 1]!;
}

/**
 * The hour of week of each real hour from `startMs` (a Monday 00:00 local) to `endMs`, in the
 * zone `localHourOf` reads: a weekly roster's `sequence` that stays on the wall clock across
 * daylight-saving changes (a repeated hour appears twice, a skipped one not at all).
 */
export function weeklyRosterSequence(startMs: number, endMs: number, localHourOf: (ms: number) => { hourOfWeek: number }): number[] {
  const out: number[] = [];
  for (let t = startMs; t < endMs; t += 3_600_000) out.push(localHourOf(t).hourOfWeek);
  return out;
}

/** Run the simulation. 100k arrivals take a few tens of milliseconds. */
export function simulate(config: SimConfig): SimResult {
  const { roster } = config;
  const k = config.concurrency ?? 1;
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`concurrency must be a positive integer, got ${k}`);
  if (!(config.ahtS > 0)) throw new RangeError('ahtS must be positive');
  if (!(roster.intervalS > 0) || roster.agents.length === 0) throw new RangeError('roster needs a positive intervalS and at least one interval');
  roster.agents.forEach((x, i) => {
    if (!Number.isInteger(x) || x < 0) throw new RangeError(`roster.agents[${i}] must be a non-negative integer, got ${x}`);
  });
  const L = roster.agents.length;
  const cyclic = roster.cyclic ?? false;
  const seq = roster.sequence && roster.sequence.length ? roster.sequence : null;
  if (seq) {
    if (!cyclic) throw new RangeError('roster.sequence needs a cyclic roster');
    seq.forEach((x, i) => {
      if (!Number.isInteger(x) || x < 0 || x >= L) throw new RangeError(`roster.sequence[${i}] must be an index of roster.agents, got ${x}`);
    });
  }
  /** Which of `agents` interval `idx` (counted from startMs) is, on a cyclic roster. */
  const rosterIndex = (idx: number): number => {
    if (!seq) return idx % L;
    return idx < seq.length ? seq[idx]! : (seq[seq.length - 1]! + idx - seq.length + 1) % L;
  };
  if (config.patienceS !== undefined && !(config.patienceS > 0)) throw new RangeError('patienceS must be positive');
  const ahtPer = config.ahtPerInterval;
  if (ahtPer) {
    if (!ahtPer.length) throw new RangeError('ahtPerInterval needs at least one interval');
    ahtPer.forEach((x, i) => {
      if (!(x > 0)) throw new RangeError(`ahtPerInterval[${i}] must be positive, got ${x}`);
    });
  }
  const rnd = seededRandom(config.seed);
  const priorityMode = config.discipline === 'priority';

  // Arrivals, in seconds since the roster start, sorted (stable) by time.
  // Typed arrays and no per-arrival objects: this is the hot path for 100k+ arrivals.
  const src = config.arrivals;
  const n = src.length;
  const atMs = new Float64Array(n);
  let inOrder = true;
  for (let j = 0; j < n; j++) {
    const a = src[j]!;
    const t = typeof a === 'number' ? a : a.at;
    if (!Number.isFinite(t)) throw new RangeError(`arrival ${j} has no valid time`);
    atMs[j] = t;
    if (j > 0 && t < atMs[j - 1]!) inOrder = false;
  }
  let order: Uint32Array | null = null;
  if (!inOrder) {
    order = new Uint32Array(n);
    for (let j = 0; j < n; j++) order[j] = j;
    order.sort((x, y) => atMs[x]! - atMs[y]! || x - y);
  }
  const at = new Float64Array(n);
  const handle = new Float64Array(n);
  const deadline = new Float64Array(n);
  const prio = new Int32Array(n);
  const fixed = config.handling === 'fixed';
  const meanPatience = config.patienceS;
  for (let j = 0; j < n; j++) {
    const i = order ? order[j]! : j;
    const a = src[i]!;
    at[j] = (atMs[i]! - roster.startMs) / 1000;
    // Draw both for every arrival so the random stream does not depend on overrides.
    const u1 = rnd();
    const u2 = rnd();
    let mean = config.ahtS;
    if (ahtPer && at[j]! >= 0) {
      const idx = Math.floor(at[j]! / roster.intervalS);
      if (cyclic) mean = ahtPer[rosterIndex(idx) % ahtPer.length]!;
      else if (idx < ahtPer.length) mean = ahtPer[idx]!;
    }
    let h = fixed ? mean : -Math.log(1 - u1) * mean;
    let patience = meanPatience === undefined ? Infinity : -Math.log(1 - u2) * meanPatience;
    if (typeof a !== 'number') {
      if (a.handleS !== undefined) h = a.handleS;
      if (a.patienceS !== undefined) patience = a.patienceS;
      if (priorityMode && a.priority !== undefined) {
        if (!Number.isInteger(a.priority)) throw new RangeError(`arrival ${i} has a non-integer priority`);
        prio[j] = a.priority;
      }
    }
    if (!(h >= 0) || !(patience >= 0)) throw new RangeError(`arrival ${i} has a negative handling time or patience`);
    handle[j] = h;
    deadline[j] = at[j]! + patience;
  }
  if (n && at[0]! < 0) throw new RangeError('an arrival comes before the roster starts');

  const intervalS = roster.intervalS;
  const capacityAt = (idx: number) => (cyclic ? roster.agents[rosterIndex(idx)]! : idx < L ? roster.agents[idx]! : 0) * k;
  const endS = config.endMs === undefined ? Infinity : (config.endMs - roster.startMs) / 1000;

  // Queues: one per distinct priority, each an array with a moving head.
  const levels = [...new Set(Array.from(prio))].sort((x, y) => x - y);
  const levelOf = new Map(levels.map((p, i) => [p, i]));
  const queues: number[][] = levels.map(() => []);
  const heads = levels.map(() => 0);
  let waiting = 0; // queued entries not yet removed (may include lazily-abandoned ones)

  const completions = new MinHeap();
  let busy = 0;
  let intervalIdx = 0;
  let capacity = capacityAt(0);
  let nextBoundary = intervalS;
  let now = 0;

  // Accounting
  let busyTime = 0; // slot-seconds
  let slotTime = 0;
  let lastT = 0;
  const waits = new Float64Array(n);
  let answered = 0;
  let answeredWithin = 0;
  let abandoned = 0;
  let waitSum = 0;
  let maxWait = 0;
  const t0 = config.answerWithinS;
  const statsLen = cyclic ? L : Math.max(L, n ? Math.floor(at[n - 1]! / intervalS) + 1 : 0);
  const sOffered = new Float64Array(statsLen);
  const sAnswered = new Float64Array(statsLen);
  const sWithin = new Float64Array(statsLen);
  const sAbandoned = new Float64Array(statsLen);
  const sWait = new Float64Array(statsLen);
  const slotOf = (j: number) => {
    const idx = Math.floor(at[j]! / intervalS);
    return cyclic ? rosterIndex(idx) : idx;
  };

  const advance = (t: number) => {
    const dt = t - lastT;
    if (dt > 0) {
      busyTime += busy * dt;
      slotTime += capacity * dt;
      lastT = t;
    }
  };
  const start = (j: number, t: number) => {
    const wait = t - at[j]!;
    waits[answered++] = wait;
    waitSum += wait;
    if (wait > maxWait) maxWait = wait;
    const s = slotOf(j);
    sAnswered[s]!++;
    sWait[s]! += wait;
    if (wait <= t0) {
      answeredWithin++;
      sWithin[s]!++;
    }
    busy++;
    completions.push(t + handle[j]!);
  };
  const dispatch = (t: number) => {
    while (busy < capacity && waiting > 0) {
      let q = 0;
      while (heads[q]! >= queues[q]!.length) q++;
      const j = queues[q]![heads[q]!++]!;
      waiting--;
      if (deadline[j]! <= t) {
        abandoned++; // gave up at deadline[j], before this slot freed
        sAbandoned[slotOf(j)]!++;
        continue;
      }
      start(j, t);
    }
  };

  const everAgents = roster.agents.some((x) => x > 0);
  let next = 0; // next arrival
  for (;;) {
    if (next >= n && waiting === 0 && completions.size === 0) break; // all done
    // Nobody will ever serve the queue again: a finite roster has ended, or it has no agents at all.
    const noMoreAgents = busy === 0 && capacity === 0 && (cyclic ? !everAgents : intervalIdx >= L - 1);
    if (next >= n && noMoreAgents) break;
    const tArr = next < n ? at[next]! : Infinity;
    const tDone = completions.peek();
    const tBoundary = cyclic || intervalIdx < L ? nextBoundary : Infinity;
    const t = Math.min(tArr, tDone, tBoundary);
    if (t > endS || t === Infinity) break;
    advance(t);
    now = t;
    // Same instant: completions first, then the roster change, then the arrival.
    if (tDone === t) {
      completions.pop();
      busy--;
      dispatch(now);
    } else if (tBoundary === t) {
      intervalIdx++;
      capacity = capacityAt(intervalIdx);
      nextBoundary += intervalS;
      dispatch(now);
    } else {
      const j = next++;
      sOffered[slotOf(j)]!++;
      if (busy < capacity && waiting === 0) start(j, now);
      else {
        queues[levelOf.get(prio[j]!)!]!.push(j);
        waiting++;
      }
      // Compact drained queues now and then so memory stays bounded on long runs.
      if ((j & 0xffff) === 0xffff) {
        for (let q = 0; q < queues.length; q++) {
          if (heads[q]! > 4096) {
            queues[q] = queues[q]!.slice(heads[q]!);
            heads[q] = 0;
          }
        }
      }
    }
  }
  if (Number.isFinite(endS) && endS > now) advance(endS);

  // Whoever is still queued either gave up before the run stopped or is unanswered.
  const stopT = Number.isFinite(endS) ? endS : now;
  let unanswered = 0;
  for (let q = 0; q < queues.length; q++) {
    for (let i = heads[q]!; i < queues[q]!.length; i++) {
      const j = queues[q]![i]!;
      if (deadline[j]! <= stopT) {
        abandoned++;
        sAbandoned[slotOf(j)]!++;
      } else unanswered++;
    }
  }
  const offered = next; // arrivals after endMs never came in
  const sorted = waits.subarray(0, answered).sort();
  return {
    offered,
    answered,
    abandoned,
    unanswered,
    answeredWithin,
    serviceLevel: offered ? answeredWithin / offered : 1,
    abandonRate: offered ? abandoned / offered : 0,
    wait: { meanS: answered ? waitSum / answered : 0, p50S: percentileSorted(sorted, 0.5), p90S: percentileSorted(sorted, 0.9), maxS: maxWait },
    occupancy: slotTime > 0 ? busyTime / slotTime : 0,
    byInterval: Array.from({ length: statsLen }, (_, i) => ({
      index: i,
      offered: sOffered[i]!,
      answered: sAnswered[i]!,
      answeredWithin: sWithin[i]!,
      abandoned: sAbandoned[i]!,
      serviceLevel: sOffered[i]! ? sWithin[i]! / sOffered[i]! : 1,
      meanWaitS: sAnswered[i]! ? sWait[i]! / sAnswered[i]! : 0,
    })),
  };
}
