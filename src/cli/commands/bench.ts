import { runBench, SECTIONS, type Section } from '../../bench/run.js';
import { parse } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { createPipelineTriage } from '../../triage/pipelineTriage.js';

const command: Command = {
  summary: 'measure ingest, latency, search, reports, triage, memory and bursts on this machine',
  usage: `Usage: parley bench [--quick] [--json] [--only ${SECTIONS.join(',')}]

Runs every benchmark once on this machine, each figure next to a baseline
measured in the same run (bare inserts, COPY, VADER), prints a markdown table
(and with --json one JSON object) and writes both under bench/results/.
Starts a throwaway PostgreSQL for the PostgreSQL figures. --quick runs a
scaled-down version in under two minutes.
`,
  async run(argv) {
    const { values } = parse(argv, { quick: { type: 'boolean' }, json: { type: 'boolean' }, only: { type: 'string' } }, false);
    const only = values.only?.split(',').map((s) => s.trim()) as Section[] | undefined;
    for (const s of only ?? []) if (!SECTIONS.includes(s)) throw new UsageError(`unknown section "${s}"`);
    const triage = await loadTriage();
    const { results, markdown, files } = await runBench({ quick: !!values.quick, only, triage, log: (l) => process.stderr.write(l + '\n') });
    process.stdout.write(values.json ? JSON.stringify(results) + '\n' : markdown);
    process.stderr.write(`written: ${files.slice(0, 2).join(', ')}\n`);
    return 0;
  },
};

async function loadTriage() {
  return createPipelineTriage();
}

export default command;
