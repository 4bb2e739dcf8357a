import { brandSlugProblem, ValidationError } from '../../commands/setup.js';
import { loadConfig } from '../../config.js';
import { EventBus } from '../../events/bus.js';
import { importTwcs } from '../../import/importTwcs.js';
import { checkTwcsFile } from '../../import/twcs.js';
import { systemClock } from '../../lib/clock.js';
import { IngestPipeline } from '../../pipeline/ingest.js';
import { openStore } from '../../store/db.js';
import { parse, storeOptions } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { createPipelineTriage } from '../../triage/pipelineTriage.js';
import { Progress } from '../progress.js';

const command: Command = {
  summary: 'import data: parley import twcs <file.csv>',
  usage: `Usage: parley import twcs <file.csv> [--brand <slug>] [--json] [--database-url <url>] [--data-dir <dir>]

Imports a Customer Support on Twitter (TWCS) CSV into a brand (default "demo",
created if missing), one care account per brand handle. Bad rows are reported
by line number with the reason and quarantined (a row for a disabled care
account, or repeating an earlier line's tweet_id with different content,
included); the rest is imported. Re-importing a file changes nothing. Exits 1
when every row is bad.

Imported conversations whose last message is more than 7 days old are history:
stored resolved (at their last message), never routed, clocked by SLAs or
acknowledged, and without the waiting-time priority factor. They count in the
reports (volume, response times, accolades), not in the live inbox, the queues
or the backlog. Newer imported conversations stay open as live work.
`,
  async run(argv) {
    const { values, positionals } = parse(argv, { ...storeOptions, brand: { type: 'string' }, json: { type: 'boolean' } });
    const [format, file] = positionals;
    if (format !== 'twcs') throw new UsageError('the only import format is "twcs"');
    if (!file) throw new UsageError('give the CSV file to import');
    // before opening the database: a bad brand slug, a wrong path or a file that is not TWCS is one line, not a half-started import
    const slugProblem = values.brand === undefined ? null : brandSlugProblem(values.brand);
    if (slugProblem) throw new ValidationError(`--brand: ${slugProblem}`);
    await checkTwcsFile(file);
    const config = loadConfig(process.env, { databaseUrl: values['database-url'], dataDir: values['data-dir'] });
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    let triage: Awaited<ReturnType<typeof loadTriage>> | null = null;
    const scan = new Progress('scanning ');
    const load = new Progress('importing');
    try {
      triage = await loadTriage();
      const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: systemClock, triage });
      const summary = await importTwcs(store, pipeline, file, {
        brandSlug: values.brand,
        onProgress: (p) => (p.phase === 'scan' ? scan.update(p.bytes, p.totalBytes, 'bytes') : load.update(p.rows, p.totalRows)),
      });
      load.update(summary.rows, summary.rows, 'rows', true);
      load.done();
      for (const b of summary.bad.slice(0, 50)) process.stderr.write(`line ${b.line}: ${b.reason}\n`);
      if (summary.bad.length > 50) process.stderr.write(`… and ${summary.bad.length - 50} more bad lines (see the quarantine in the admin UI or GET /api/quarantine)\n`);
      if (values.json) process.stdout.write(JSON.stringify(summary) + '\n');
      else process.stdout.write(`${summary.rows} rows read: ${summary.stored} stored, ${summary.duplicates} already present, ${summary.quarantined} quarantined (${summary.bad.length} bad ${summary.bad.length === 1 ? 'line' : 'lines'}); ${summary.accountsCreated} care accounts created; ${(summary.ms / 1000).toFixed(1)} s into ${store.describe}\n`);
      // every row bad: nothing of the file is in the desk (a re-import of a good file stores nothing new and is fine)
      if (summary.bad.length && summary.stored + summary.duplicates === 0) {
        process.stderr.write(`parley import: nothing imported from ${file}: ${summary.bad.length === 1 ? 'its one row is bad' : `all ${summary.bad.length} rows are bad`} (quarantined with the reasons above)\n`);
        return 1;
      }
      return 0;
    } finally {
      await triage?.close?.();
      await store.close();
    }
  },
};

async function loadTriage() {
  return createPipelineTriage();
}

export default command;
