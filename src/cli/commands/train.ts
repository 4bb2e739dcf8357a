/**
 * `parley train [--include-restricted] [--out <path>] [--from-history]` — rebuild the
 * triage model from ../shared/data (deterministic: same data, same bytes).
 *
 *   parley train --out models/triage.bin.gz      # rebuild the shipped model (permissive sets only)
 *   parley train --include-restricted            # local model incl. NC/unlicensed sets → ./data/models/
 */
import { relative, resolve } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { buildModel } from '../../triage/build.js';
import { LOCAL_MODEL_PATH, saveModel, SHIPPED_MODEL_PATH } from '../../triage/model-io.js';
import { loadActiveModel, teamModelPath, trainFromHistory } from '../../triage/history.js';
import { loadConfig } from '../../config.js';
import { openStore } from '../../store/db.js';

const usage = `Usage: parley train [--include-restricted] [--out <path>]
       parley train --from-history [--out <path>] [--data-dir <dir>] [--database-url <url>]

Rebuilds the triage model from the datasets in ../shared/data (PARLEY_SHARED_DATA).
  --out <path>            where to write the model (default ./data/models/triage.bin.gz;
                          the shipped model is rebuilt with --out models/triage.bin.gz).
                          A desk uses a model written elsewhere when started with
                          PARLEY_TRIAGE_MODEL=<path>
  --include-restricted    also train on the non-commercial / unlicensed sets (complaints,
                          airline sentiment, TWCS). Writes a LOCAL model for users who
                          accept those terms; it cannot be written into the repo's models/.
  --from-history          learn from agents' corrections in the database (--data-dir /
                          PARLEY_DATA_DIR, --database-url / DATABASE_URL, as for parley start);
                          writes <data dir>/models/triage-team.bin.gz, which the server uses
                          from its next start`;

const command: Command = {
  summary: 'rebuild the triage model from the shared datasets',
  usage,
  async run(argv) {
    let out: string | null = null;
    let restricted = false;
    let history = false;
    const database: { dataDir?: string; databaseUrl?: string } = {};
    const value = (i: number, flag: string, what: string) => {
      const v = argv[i];
      if (!v || v.startsWith('--')) throw new UsageError(`${flag} needs ${what}`);
      return v;
    };
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--include-restricted') restricted = true;
      else if (a === '--from-history') history = true;
      else if (a === '--out') out = value(++i, '--out', 'a path');
      else if (a.startsWith('--out=')) out = a.slice(6);
      // the database the corrections are read from, given as `parley start` takes it
      else if (a === '--data-dir') database.dataDir = value(++i, '--data-dir', 'a directory');
      else if (a.startsWith('--data-dir=')) database.dataDir = a.slice(11);
      else if (a === '--database-url') database.databaseUrl = value(++i, '--database-url', 'a postgres:// URL');
      else if (a.startsWith('--database-url=')) database.databaseUrl = a.slice(15);
      else throw new UsageError(`unexpected argument ${a}`);
    }
    if (!history && (database.dataDir !== undefined || database.databaseUrl !== undefined)) {
      throw new UsageError('--data-dir and --database-url name the database --from-history learns from; training from ../shared/data reads no database');
    }
    if (history) {
      const config = loadConfig(process.env, database);
      const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
      try {
        const { model: base, source } = loadActiveModel(config.dataDir);
        const r = await trainFromHistory(store, base);
        const target = resolve(out ?? teamModelPath(config.dataDir));
        if (resolve(target) === resolve(SHIPPED_MODEL_PATH)) {
          process.stderr.write('parley train: a model trained on your team\'s history stays in your data directory; choose another --out\n');
          return 1;
        }
        if (!Object.keys(r.used).length) {
          process.stderr.write(`parley train: ${r.examples} corrected messages in ${store.describe}; not enough to learn from yet (${Object.entries(r.skipped).map(([k, v]) => `${k}: ${v}`).join('; ') || 'no labels'})\n`);
          return 1;
        }
        const bytes = saveModel(target, r.model);
        process.stderr.write(`learned from ${r.examples} corrected messages (on top of ${source}): ${Object.entries(r.used).map(([k, n]) => `${k} ${n}`).join(', ')}${Object.keys(r.skipped).length ? `; skipped ${Object.entries(r.skipped).map(([k, v]) => `${k} (${v})`).join(', ')}` : ''}\n`);
        const use = target === resolve(teamModelPath(config.dataDir)) ? 'restart Parley to use it' : `start Parley with PARLEY_TRIAGE_MODEL=${target} to use it`;
        process.stderr.write(`wrote ${relative(process.cwd(), target) || target} (${(bytes / 1024).toFixed(0)} KB); ${use}\n`);
        return 0;
      } finally {
        await store.close();
      }
    }
    const path = resolve(out ?? LOCAL_MODEL_PATH);
    if (restricted && resolve(path) === resolve(SHIPPED_MODEL_PATH)) {
      process.stderr.write('parley train: a model trained with --include-restricted uses non-commercial / unlicensed data and must not replace the shipped model; choose another --out\n');
      return 1;
    }
    const t0 = Date.now();
    const log = (l: string) => process.stderr.write(l + '\n');
    log(`training triage model${restricted ? ' (including restricted sets: local use only)' : ''} ...`);
    const model = buildModel({ includeRestricted: restricted, log });
    const bytes = saveModel(path, model);
    log(`wrote ${relative(process.cwd(), path) || path} (${(bytes / 1024).toFixed(0)} KB, ${model.version}) in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    // the desk loads the shipped model, the team's, or PARLEY_TRIAGE_MODEL: say how to use any other
    if (path !== resolve(SHIPPED_MODEL_PATH)) log(`a desk uses it when started with PARLEY_TRIAGE_MODEL=${path}`);
    return 0;
  },
};
export default command;
