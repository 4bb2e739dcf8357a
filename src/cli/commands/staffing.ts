/**
 * `parley staffing <model>`: how many agents a workload needs.
 *   erlang-c  Erlang C (nobody gives up)
 *   erlang-a  Erlang A (customers give up after an exponential patience)
 * Models: docs/metrics.md, "Staffing model". The --json shapes are contracts.
 */
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { staffErlangA, staffErlangC, type StaffingTarget, type Workload } from '../../core/staffing/erlang.js';

export interface StaffingIo {
  out(text: string): void;
  err(text: string): void;
}

interface Subcommand {
  summary: string;
  usage: string;
  run(argv: string[], io: StaffingIo): Promise<number>;
}

const COMMON_USAGE = `  --volume <n>            contacts arriving per interval
  --interval-min <m>      interval length in minutes (e.g. 30)
  --aht-s <s>             mean handling time per contact, seconds (per conversation,
                          elapsed, when --concurrency > 1)
  --service-level <0..1>  share to answer within --answer-within-s
  --answer-within-s <s>   service-level threshold, seconds
  --shrinkage <0..1>      share of paid time not on contacts (default 0)
  --max-occupancy <0..1>  cap on occupancy (default 1)
  --concurrency <k>       conversations one agent works at once (default 1)
  --json                  machine-readable output`;

const COMMON_OPTIONS = {
  volume: { type: 'string' },
  'interval-min': { type: 'string' },
  'aht-s': { type: 'string' },
  'service-level': { type: 'string' },
  'answer-within-s': { type: 'string' },
  shrinkage: { type: 'string' },
  'max-occupancy': { type: 'string' },
  concurrency: { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = Record<string, string | boolean | undefined>;

function parse(argv: string[], extra: Record<string, { type: 'string' | 'boolean' }> = {}): Values {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_OPTIONS, ...extra }, strict: true, allowPositionals: false }).values as Values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** A numeric option: required unless a default is given; checked against [min, max]. */
function num(v: Values, name: string, opts: { min: number; max?: number; minExclusive?: boolean; maxExclusive?: boolean; def?: number; integer?: boolean }): number {
  const raw = v[name];
  if (raw === undefined) {
    if (opts.def === undefined) throw new UsageError(`--${name} is required`);
    return opts.def;
  }
  const x = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  const max = opts.max ?? Infinity;
  const okMin = opts.minExclusive ? x > opts.min : x >= opts.min;
  const okMax = opts.maxExclusive ? x < max : x <= max;
  if (!Number.isFinite(x) || !okMin || !okMax || (opts.integer && !Number.isInteger(x))) {
    const range = `${opts.minExclusive ? '(' : '['}${opts.min}, ${max === Infinity ? '∞' : max}${opts.maxExclusive || max === Infinity ? ')' : ']'}`;
    throw new UsageError(`--${name} must be ${opts.integer ? 'an integer' : 'a number'} in ${range}, got ${JSON.stringify(raw)}`);
  }
  return x;
}

function readCommon(v: Values): { workload: Workload; target: Required<StaffingTarget>; intervalMin: number } {
  // Read in usage order so the first complaint is about the first bad option.
  const volume = num(v, 'volume', { min: 0 });
  const intervalMin = num(v, 'interval-min', { min: 0, minExclusive: true });
  const ahtS = num(v, 'aht-s', { min: 0, minExclusive: true });
  return {
    intervalMin,
    workload: { volume, intervalS: intervalMin * 60, ahtS },
    target: {
      serviceLevel: num(v, 'service-level', { min: 0, max: 1, minExclusive: true }),
      answerWithinS: num(v, 'answer-within-s', { min: 0 }),
      shrinkage: num(v, 'shrinkage', { min: 0, max: 0.99, def: 0 }),
      maxOccupancy: num(v, 'max-occupancy', { min: 0, max: 1, minExclusive: true, def: 1 }),
      concurrency: num(v, 'concurrency', { min: 1, max: 100, def: 1, integer: true }),
    },
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
/** JSON has no Infinity: an unbounded wait is null. */
const finiteOrNull = (x: number) => (Number.isFinite(x) ? x : null);

function describeInput(model: string, workload: Workload, target: Required<StaffingTarget>, intervalMin: number): string[] {
  const erlangs = (workload.volume * workload.ahtS) / workload.intervalS;
  const lines = [`${model}: ${workload.volume} contacts per ${intervalMin} min, handling ${workload.ahtS} s → ${erlangs.toFixed(2)} Erlangs`];
  if (target.concurrency > 1) lines.push(`concurrency ${target.concurrency}: each agent is ${target.concurrency} parallel servers`);
  return lines;
}

const erlangC: Subcommand = {
  summary: 'agents needed by Erlang C (no abandonment)',
  usage: `Usage: parley staffing erlang-c --volume <n> --interval-min <m> --aht-s <s>
         --service-level <0..1> --answer-within-s <s> [--shrinkage <0..1>]
         [--max-occupancy <0..1>] [--concurrency <k>] [--json]

${COMMON_USAGE}

--json prints {"agents", "scheduled", "service_level", "occupancy", "wait_probability", "asa_s"}.`,
  async run(argv, io) {
    const v = parse(argv);
    const { workload, target, intervalMin } = readCommon(v);
    const r = staffErlangC(workload, target);
    if (v.json) {
      io.out(
        JSON.stringify({
          agents: r.agents,
          scheduled: r.scheduled,
          service_level: r.serviceLevel,
          occupancy: r.occupancy,
          wait_probability: r.waitProbability,
          asa_s: finiteOrNull(r.asaS),
        }) + '\n',
      );
      return 0;
    }
    const lines = describeInput('Erlang C', workload, target, intervalMin);
    lines.push(
      `agents needed:        ${r.agents}`,
      `scheduled:            ${r.scheduled}${target.shrinkage > 0 ? ` (shrinkage ${pct(target.shrinkage)})` : ''}`,
      `service level:        ${pct(r.serviceLevel)} answered within ${target.answerWithinS} s (target ${pct(target.serviceLevel)})`,
      `probability of wait:  ${pct(r.waitProbability)}`,
      `average speed answer: ${r.asaS.toFixed(1)} s`,
      `occupancy:            ${pct(r.occupancy)}${target.maxOccupancy < 1 ? ` (cap ${pct(target.maxOccupancy)})` : ''}`,
    );
    io.out(lines.join('\n') + '\n');
    return 0;
  },
};

const erlangA: Subcommand = {
  summary: 'agents needed by Erlang A (customers abandon after an exponential patience)',
  usage: `Usage: parley staffing erlang-a --volume <n> --interval-min <m> --aht-s <s>
         --service-level <0..1> --answer-within-s <s> --patience-s <s>
         [--max-abandon <0..1>] [--shrinkage <0..1>] [--max-occupancy <0..1>]
         [--concurrency <k>] [--json]

${COMMON_USAGE}
  --patience-s <s>        mean customer patience, seconds (exponential)
  --max-abandon <0..1>    also require at most this share to give up (default 1)

Service level counts contacts answered within the threshold over all arrivals
(abandoned ones included). --json prints {"agents", "scheduled", "service_level",
"occupancy", "wait_probability", "asa_s", "abandon_probability"}.`,
  async run(argv, io) {
    const v = parse(argv, { 'patience-s': { type: 'string' }, 'max-abandon': { type: 'string' } });
    const { workload, target, intervalMin } = readCommon(v);
    const patienceS = num(v, 'patience-s', { min: 0, minExclusive: true });
    const maxAbandon = num(v, 'max-abandon', { min: 0, max: 1, def: 1 });
    const r = staffErlangA(workload, { ...target, patienceS, maxAbandon });
    if (v.json) {
      io.out(
        JSON.stringify({
          agents: r.agents,
          scheduled: r.scheduled,
          service_level: r.serviceLevel,
          occupancy: r.occupancy,
          wait_probability: r.waitProbability,
          asa_s: finiteOrNull(r.asaS),
          abandon_probability: r.abandonProbability,
        }) + '\n',
      );
      return 0;
    }
    const lines = describeInput('Erlang A', workload, target, intervalMin);
    lines.push(
      `mean patience ${patienceS} s`,
      `agents needed:        ${r.agents}`,
      `scheduled:            ${r.scheduled}${target.shrinkage > 0 ? ` (shrinkage ${pct(target.shrinkage)})` : ''}`,
      `service level:        ${pct(r.serviceLevel)} answered within ${target.answerWithinS} s (target ${pct(target.serviceLevel)})`,
      `probability of wait:  ${pct(r.waitProbability)}`,
      `abandoned:            ${pct(r.abandonProbability)}${maxAbandon < 1 ? ` (cap ${pct(maxAbandon)})` : ''}`,
      `average speed answer: ${r.asaS.toFixed(1)} s (answered contacts)`,
      `occupancy:            ${pct(r.occupancy)}${target.maxOccupancy < 1 ? ` (cap ${pct(target.maxOccupancy)})` : ''}`,
    );
    io.out(lines.join('\n') + '\n');
    return 0;
  },
};

const subcommands: Record<string, Subcommand> = {
  'erlang-c': erlangC,
  'erlang-a': erlangA,
};

/** Dispatch `staffing <model> ...` with explicit output sinks. */
export async function runStaffing(argv: string[], io: StaffingIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) throw new UsageError('which model? name a subcommand');
  const sub = subcommands[name];
  if (!sub) throw new UsageError(`unknown staffing model "${name}"`);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(sub.usage + '\n');
    return 0;
  }
  try {
    return await sub.run(rest, io);
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`parley staffing ${name}: ${err.message}\n\n${sub.usage}\n`);
      return 2;
    }
    throw err;
  }
}

function usage(): string {
  const names = Object.keys(subcommands);
  const w = Math.max(...names.map((n) => n.length));
  return [
    'Usage: parley staffing <model> [options]',
    '',
    'Models:',
    ...Object.entries(subcommands).map(([n, s]) => `  ${n.padEnd(w)}  ${s.summary}`),
    '',
    ...Object.values(subcommands).map((s) => s.usage + '\n'),
  ].join('\n');
}

const command: Command = {
  summary: 'agents needed for a service-level target (Erlang C, Erlang A)',
  get usage() {
    return usage();
  },
  run(argv) {
    return runStaffing(argv, { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) });
  },
};

export default command;
