import { loadConfig } from '../../config.js';
import { openStore } from '../../store/db.js';
import { migrateToLatest } from '../../store/migrate.js';
import { parse, storeOptions } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  summary: 'bring the database schema up to date',
  usage: 'Usage: parley migrate [--database-url <url>] [--data-dir <dir>]\n',
  async run(argv) {
    const { values } = parse(argv, storeOptions, false);
    const config = loadConfig(process.env, { databaseUrl: values['database-url'], dataDir: values['data-dir'] });
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
    try {
      const applied = await migrateToLatest(store.db, store.dialect);
      process.stdout.write(applied.length ? `applied ${applied.length} migration(s) to ${store.describe}:\n${applied.map((m) => `  ${m}`).join('\n')}\n` : `${store.describe} is up to date\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
