/**
 * `parley eval <task> --file <csv> [--json] [--model <path>]` — measure the triage
 * model on a labelled CSV (layouts of ../shared/data, detected from the header).
 * A contract other tools rely on: keep the flags and the JSON keys stable.
 */
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { EVAL_TASKS, evaluateFile, type EvalReport, type EvalTask } from '../../triage/eval.js';
import { loadModel, loadShippedModel } from '../../triage/model-io.js';
import { assertReadableFile } from '../../lib/inputFile.js';

const usage = `Usage: parley eval <task> --file <csv> [--json] [--model <path>]

Tasks: ${EVAL_TASKS.join(', ')}
  --file <csv>     labelled CSV in one of the ../shared/data layouts (detected from the header)
  --json           print one JSON object (task, n, accuracy, macro_f1, macro_recall,
                   per_class, ms_per_item, baselines, ...)
  --model <path>   evaluate this model instead of the shipped models/triage.bin.gz
The model is only applied, never trained on the file.`;

const command: Command = {
  summary: 'measure triage on a labelled CSV (complaint, sentiment, spam, offensive, needs-response, intent)',
  usage,
  async run(argv) {
    const args = parseArgs(argv);
    let model;
    try {
      // a model file given by the user that cannot be loaded: one line, as for the CSV
      model = args.model ? loadModel(args.model) : loadShippedModel();
    } catch (err) {
      if (!args.model) throw err;
      process.stderr.write(`parley eval: --model ${args.model}: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    let report: EvalReport;
    try {
      assertReadableFile(args.file);
      report = evaluateFile(args.task, args.file, model);
    } catch (err) {
      process.stderr.write(`parley eval: ${err instanceof Error ? err.message : String(err)}\n`);
      return 1;
    }
    if (args.json) process.stdout.write(JSON.stringify(report) + '\n');
    else process.stdout.write(formatReport(report));
    return 0;
  },
};
export default command;

function parseArgs(argv: string[]): { task: EvalTask; file: string; json: boolean; model: string | null } {
  let task: string | null = null;
  let file: string | null = null;
  let model: string | null = null;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--json') json = true;
    else if (a === '--file' || a === '--model') {
      const v = argv[++i];
      if (!v || v.startsWith('--')) throw new UsageError(`${a} needs a value`);
      if (a === '--file') file = v; else model = v;
    } else if (a.startsWith('--file=')) file = a.slice(7);
    else if (a.startsWith('--model=')) model = a.slice(8);
    else if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
    else if (task === null) task = a;
    else throw new UsageError(`unexpected argument ${a}`);
  }
  if (!task) throw new UsageError('missing <task>');
  if (!(EVAL_TASKS as readonly string[]).includes(task)) throw new UsageError(`unknown task "${task}" (one of: ${EVAL_TASKS.join(', ')})`);
  if (!file) throw new UsageError('missing --file <csv>');
  return { task: task as EvalTask, file, json, model };
}

function formatReport(r: EvalReport): string {
  const pct = (x: number) => (x * 100).toFixed(1).padStart(6);
  const lines: string[] = [];
  lines.push(`task ${r.task} · ${r.file} (${r.layout}) · model ${r.model}`);
  lines.push(`n ${r.n} · ${r.ms_per_item.toFixed(4)} ms/item`);
  lines.push('');
  lines.push(`${'system'.padEnd(14)} ${'acc'.padStart(6)} ${'macroF1'.padStart(8)} ${'macroRec'.padStart(8)}`);
  const row = (name: string, m: { accuracy: number; macro_f1: number; macro_recall: number }) => lines.push(`${name.padEnd(14)} ${pct(m.accuracy)} ${pct(m.macro_f1).padStart(8)} ${pct(m.macro_recall).padStart(8)}`);
  row('triage', r);
  for (const [k, b] of Object.entries(r.baselines)) row(k, b);
  if (r.held_out) row('triage(held)', r.held_out);
  lines.push('');
  lines.push(`${'class'.padEnd(36)} ${'prec'.padStart(6)} ${'recall'.padStart(6)} ${'f1'.padStart(6)} ${'support'.padStart(8)}`);
  for (const [c, m] of Object.entries(r.per_class)) lines.push(`${c.slice(0, 36).padEnd(36)} ${pct(m.precision)} ${pct(m.recall)} ${pct(m.f1)} ${String(m.support).padStart(8)}`);
  for (const n of r.notes) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}
