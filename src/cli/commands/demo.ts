import { loadConfig } from '../../config.js';
import { DemoReplay } from '../../demo/replay.js';
import { DEMO_SLUG, isEmpty, seedDemo } from '../../demo/seed.js';
import { EventBus } from '../../events/bus.js';
import { systemClock } from '../../lib/clock.js';
import { IngestPipeline } from '../../pipeline/ingest.js';
import { IngestQueue } from '../../pipeline/queue.js';
import { openStore } from '../../store/db.js';
import { num, parse, storeOptions } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  summary: 'replay the bundled TWCS excerpt as live traffic into the demo brand',
  usage: `Usage: parley demo [--speed <x>] [--once] [--database-url <url>] [--data-dir <dir>]

Replays real customer-care conversations (demo/twcs-excerpt.csv) into the demo
brand, time-compressed (--speed 60 = one recorded minute per second). Run it
beside \`parley start\` on the same database, or let \`parley start\` do it.
`,
  async run(argv) {
    const { values } = parse(argv, { ...storeOptions, speed: { type: 'string' }, once: { type: 'boolean' } }, false);
    const config = loadConfig(process.env, { databaseUrl: values['database-url'], dataDir: values['data-dir'] });
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    if (await isEmpty(store)) {
      const s = await seedDemo(store, Date.now());
      process.stdout.write(`demo brand created; sign in as ${s.admin.email} / ${s.admin.password}\n`);
    }
    const brand = await store.db.selectFrom('brand').select('id').where('slug', '=', DEMO_SLUG).executeTakeFirst();
    if (!brand) {
      process.stderr.write('no demo brand in this database\n');
      await store.close();
      return 1;
    }
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: systemClock });
    const queue = new IngestQueue(pipeline);
    let total = 0;
    const replay = new DemoReplay({ store, queue, clock: systemClock, brandId: brand.id, speed: num(values.speed, 'speed') ?? config.demoSpeed, once: values.once, onBatch: (n, pos) => {
      total += n;
      process.stderr.write(`\rreplayed ${total} new messages (pass ${pos.pass}, position ${pos.index})\x1b[K`);
    } });
    const stop = () => void replay.stop();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    await replay.start();
    await queue.idle();
    process.stderr.write('\n');
    await store.close();
    return 0;
  },
};

export default command;
