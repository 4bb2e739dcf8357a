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

const usage = `Usage: parley train [--include-restricted] [--out <path>] [--from-history]

Rebuilds the triage model from the datasets in ../shared/data (PARLEY_SHARED_DATA).
  --out <path>            where to write the model (default ./data/models/triage.bin.gz;
                          the shipped model is rebuilt with --out models/triage.bin.gz)
  --include-restricted    also train on the non-commercial / unlicensed sets (complaints,
                          airline sentiment, TWCS). Writes a LOCAL model for users who
                          accept those terms; it cannot be written into the repo's models/.
  --from-history          learn from agents' corrections in the database (not available yet)`;

const command: Command = {
  summary: 'rebuild the triage model from the shared datasets',
  usage,
  async run(argv) {
    let out: string | null = null;
    let restricted = false;
    let history = false;
    for (let i = 0; i < argv.length; i++) {
      const a = argv[i]!;
      if (a === '--include-restricted') restricted = true;
      else if (a === '--from-history') history = true;
      else if (a === '--out') {
        const v = argv[++i];
        if (!v || v.startsWith('--')) throw new UsageError('--out needs a path');
        out = v;
      } else if (a.startsWith('--out=')) out = a.slice(6);
      else throw new UsageError(`unexpected argument ${a}`);
    }
    if (history) {
      process.stderr.write(
        'parley train: --from-history is not available yet: it needs the database wiring (reading agents\' corrections from the store).\n' +
          'The training function it will call exists: trainFromExamples(examples, base) in src/core/triage/learn.ts.\n',
      );
      return 1;
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
    return 0;
  },
};
export default command;
