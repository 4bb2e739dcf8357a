/**
 * `parley report <subcommand>`: reports computed straight from files.
 * Subcommands live in a small table so more can be added beside
 * `response-times` without touching the dispatcher.
 */
import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { parseCsvStream, withHeader, type CsvItem, type CsvRecord } from '../../lib/csv.js';
import { InputFileError, assertReadableFile } from '../../lib/inputFile.js';
import { measureResponseTimes, parseTwcsRow, REPLY_TIME_COLUMNS, roundFixed, toResponseTimesJson, type RowIssue, type TwcsTweet } from '../../core/responseTimes.js';

/** Where a subcommand writes; tests pass collectors, the CLI passes the process streams. */
export interface ReportIo {
  out(text: string): void;
  err(text: string): void;
}

interface Subcommand {
  summary: string;
  usage: string;
  run(argv: string[], io: ReportIo): Promise<number>;
}

const responseTimes: Subcommand = {
  summary: 'minutes from each inbound tweet to the first brand reply, from a TWCS CSV',
  usage: `Usage: parley report response-times --twcs <file> [--json] [--min-n <n>]

Reads a TWCS-format CSV (Customer Support on Twitter) and measures, for every
inbound tweet that a brand tweet in the same file replies to, the minutes until
the earliest such reply. Definitions: docs/metrics.md, "Reply time per message".

  --twcs <file>   the CSV (columns tweet_id, author_id, inbound, created_at,
                  in_response_to_tweet_id, ...)
  --json          print {"overall": {n, median_min, p90_min, share_within_60},
                  "by_brand": {<handle>: {n, median_min, p90_min}}}
  --min-n <n>     table only: hide brands with fewer answered tweets (default 1)

Rows that cannot be used are reported on stderr by line number and skipped.`,
  async run(argv, io) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { twcs: { type: 'string' }, json: { type: 'boolean' }, 'min-n': { type: 'string' } }, strict: true, allowPositionals: false }));
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    if (!values.twcs) throw new UsageError('--twcs <file> is required');
    const minN = values['min-n'] === undefined ? 1 : Number(values['min-n']);
    if (!Number.isInteger(minN) || minN < 1) throw new UsageError('--min-n must be a positive integer');
    const file = values.twcs;
    let read;
    try {
      read = await readTwcsFile(file);
    } catch (err) {
      // missing, a directory, empty, not TWCS: one line naming the file and what was expected
      if (!(err instanceof InputFileError)) throw err;
      io.err(`parley report response-times: ${err.message}\n`);
      return 1;
    }
    const { tweets, issues } = read;
    const report = measureResponseTimes(tweets);
    const allIssues = [...issues, ...report.issues].sort((a, b) => a.line - b.line);
    for (const i of allIssues) io.err(`${file}: line ${i.line}: ${i.reason}\n`);
    if (allIssues.length) io.err(`${allIssues.length} row(s) skipped\n`);

    if (values.json) {
      io.out(JSON.stringify(toResponseTimesJson(report)) + '\n');
      return 0;
    }
    io.out(renderTable(basename(file), report, minN));
    return 0;
  },
};

const subcommands: Record<string, Subcommand> = {
  'response-times': responseTimes,
};

function topUsage(): string {
  const names = Object.keys(subcommands);
  const w = Math.max(...names.map((n) => n.length));
  return [
    'Usage: parley report <subcommand> [options]',
    '',
    'Subcommands:',
    ...Object.entries(subcommands).map(([n, s]) => `  ${n.padEnd(w)}  ${s.summary}`),
    '',

    ...Object.values(subcommands).map((s) => s.usage),
  ].join('\n');
}

/** Dispatch `report <subcommand> ...` with explicit output sinks. */
export async function runReport(argv: string[], io: ReportIo): Promise<number> {
  const [name, ...rest] = argv;
  if (!name) throw new UsageError('which report? name a subcommand');
  const sub = subcommands[name];
  if (!sub) throw new UsageError(`unknown report "${name}"`);
  if (rest.includes('--help') || rest.includes('-h')) {
    io.out(sub.usage + '\n');
    return 0;
  }
  try {
    return await sub.run(rest, io);
  } catch (err) {
    // Show the subcommand's own usage, not the table, for its argument errors.
    if (err instanceof UsageError) {
      io.err(`parley report ${name}: ${err.message}\n\n${sub.usage}\n`);
      return 2;
    }
    throw err;
  }
}

/**
 * Stream a TWCS CSV into tweets. Only the fields reply-time needs are kept, so a
 * full 2.8M-row export fits in memory. CSV errors and unusable rows become issues;
 * a file that is not TWCS at all (missing, empty, without the columns reply-time
 * reads in its header) is an InputFileError naming the file and the header expected.
 */
export async function readTwcsFile(file: string): Promise<{ tweets: TwcsTweet[]; issues: RowIssue[] }> {
  const tweets: TwcsTweet[] = [];
  const issues: RowIssue[] = [];
  let header: CsvRecord | null = null;
  let batch: CsvItem[] = [];
  const flush = () => {
    if (!header || batch.length === 0) return;
    // withHeader keys rows by the header record we feed it first on each batch.
    for (const item of withHeader([header, ...batch])) {
      if (item.kind === 'error') {
        issues.push({ line: item.line, reason: item.reason });
        continue;
      }
      const parsed = parseTwcsRow(item.row, item.line);
      if (parsed.ok) tweets.push(parsed.tweet);
      else issues.push(parsed.issue);
    }
    batch = [];
  };
  assertReadableFile(file);
  const expected = `a header line naming at least the columns ${REPLY_TIME_COLUMNS.join(',')}`;
  for await (const item of parseCsvStream(createReadStream(file))) {
    if (!header) {
      if (item.kind === 'error') throw new InputFileError(`${file} is not a TWCS file: its first line cannot be read as a CSV header (${item.reason}); expected ${expected}`);
      const names = item.fields.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim()); // as withHeader keys rows
      const missing = REPLY_TIME_COLUMNS.filter((c) => !names.includes(c));
      if (missing.length) throw new InputFileError(`${file} is not a TWCS file: expected ${expected}; missing ${missing.join(', ')} (found: ${names.join(',').slice(0, 200) || 'an empty first line'})`);
      header = item;
      continue;
    }
    batch.push(item);
    if (batch.length >= 4096) flush();
  }
  if (!header) throw new InputFileError(`${file} is empty: expected ${expected}, then one tweet per line`);
  flush();
  return { tweets, issues };
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function fmtMin(x: number): string {
  return roundFixed(x, 1).toFixed(1);
}

function renderTable(name: string, report: ReturnType<typeof measureResponseTimes>, minN: number): string {
  const lines: string[] = [];
  lines.push(`Reply time per message: ${name}`);
  const o = report.overall;
  if (!o) {
    lines.push(`${fmtInt(report.inbound)} inbound tweets, none answered by a brand tweet in the file.`);
    return lines.join('\n') + '\n';
  }
  const answeredPct = report.inbound ? ` (${((100 * o.n) / report.inbound).toFixed(1)} %)` : '';
  lines.push(`${fmtInt(o.n)} answered of ${fmtInt(report.inbound)} inbound tweets${answeredPct}`);
  lines.push(
    `median ${fmtMin(o.medianMin)} min   p25 ${fmtMin(o.p25Min)}   p75 ${fmtMin(o.p75Min)}   p90 ${fmtMin(o.p90Min)}   within 60 min ${(100 * roundFixed(o.shareWithin60, 3)).toFixed(1)} %`,
  );
  lines.push('');
  const rows = Object.entries(report.byBrand).filter(([, s]) => s.n >= minN);
  const w = Math.max(5, ...rows.map(([b]) => b.length));
  lines.push(`${'brand'.padEnd(w)}  ${'n'.padStart(6)}  ${'median'.padStart(8)}  ${'p90'.padStart(8)}  ${'≤60 min'.padStart(8)}`);
  for (const [brand, s] of rows) {
    lines.push(
      `${brand.padEnd(w)}  ${String(s.n).padStart(6)}  ${fmtMin(s.medianMin).padStart(8)}  ${fmtMin(s.p90Min).padStart(8)}  ${((100 * s.shareWithin60).toFixed(1) + ' %').padStart(8)}`,
    );
  }
  const hidden = Object.keys(report.byBrand).length - rows.length;
  if (hidden) lines.push(`(${hidden} brand(s) with fewer than ${minN} answered tweets not shown)`);
  lines.push('(minutes; medians and percentiles as defined in docs/metrics.md)');
  return lines.join('\n') + '\n';
}

const command: Command = {
  summary: 'reports from files (response-times: reply times from a TWCS CSV)',
  get usage() {
    return topUsage();
  },
  run(argv) {
    return runReport(argv, { out: (t) => void process.stdout.write(t), err: (t) => void process.stderr.write(t) });
  },
};

export default command;
