import { loadConfig } from '../../config.js';
import { createDemoIngest } from '../../demo/pipeline.js';
import { DemoReplay } from '../../demo/replay.js';
import { claimDemoLogin, DEMO_SLUG, seedDemoIfEmpty } from '../../demo/seed.js';
import { systemClock } from '../../lib/clock.js';
import { createLogger } from '../../lib/log.js';
import { openStore } from '../../store/db.js';
import { num, parse, storeOptions } from '../args.js';
import { CliError, type Command } from '../command.js';

const command: Command = {
  summary: 'replay the bundled TWCS excerpt as live traffic into the demo brand',
  usage: `Usage: parley demo [--speed <x>] [--once] [--database-url <url>] [--data-dir <dir>]

Replays real customer-care conversations (demo/twcs-excerpt.csv) into the demo
brand, time-compressed (--speed 60 = one recorded minute per second), through
the desk's own ingest path: triage, routing to the Care team, assignment and
SLA clocks, as \`parley start\` does it. Run it beside \`parley start\` on the same
database (or let \`parley start\` replay by itself). The running desk carries
out the timers it schedules. On PostgreSQL the desk's browsers see the new
conversations live; on SQLite they appear when the desk's page is refreshed.
On an empty database it creates the demo brand first and prints its login once.
`,
  async run(argv) {
    const { values } = parse(argv, { ...storeOptions, speed: { type: 'string' }, once: { type: 'boolean' } }, false);
    const speed = num(values.speed, 'speed');
    const config = loadConfig(process.env, { databaseUrl: values['database-url'], dataDir: values['data-dir'], demoSpeed: speed });
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    const log = createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel);
    let ingest: Awaited<ReturnType<typeof createDemoIngest>> | null = null;
    try {
      if (await seedDemoIfEmpty(store, Date.now())) {
        const login = await claimDemoLogin(store);
        if (login) process.stdout.write(`demo brand created; sign in as ${login.email} / ${login.password} (shown once; lost it? parley user add --role admin …)\n`);
      }
      const brand = await store.db.selectFrom('brand').select('id').where('slug', '=', DEMO_SLUG).executeTakeFirst();
      if (!brand) throw new CliError(`no demo brand in ${store.describe}: the demo is created only on an empty database`);
      ingest = await createDemoIngest({ store, config, clock: systemClock, log });
      process.stderr.write(ingest.live
        ? 'replaying into the demo brand; desks on this PostgreSQL database show it live\n'
        : 'replaying into the demo brand; a desk running on this SQLite database shows the new conversations when its page is refreshed\n');
      let total = 0;
      let batches = 0;
      let stopped = false;
      const replay = new DemoReplay({ store, queue: ingest.queue, clock: systemClock, brandId: brand.id, speed: config.demoSpeed, once: values.once, commands: ingest.commands, log, onBatch: (n, pos) => {
        total += n;
        batches++;
        process.stderr.write(`\rreplayed ${total} new messages (pass ${pos.pass}, position ${pos.index})\x1b[K`);
      } });
      const stop = () => {
        stopped = true;
        void replay.stop();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      await replay.start();
      // --once on a database whose replay already reached the excerpt's end: nothing was sent, say why
      if (values.once && batches === 0 && !stopped) {
        process.stderr.write(`nothing replayed: this database's demo replay already reached the end of the excerpt (${store.describe}); run without --once to replay it again as a new pass\n`);
      } else {
        process.stderr.write('\n');
      }
      return 0;
    } finally {
      await ingest?.close();
      await store.close();
    }
  },
};

export default command;
