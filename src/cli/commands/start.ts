import { createParley } from '../../app.js';
import { CONFIG_HELP, loadConfig } from '../../config.js';
import { applyHeapGrowing } from '../../lib/heapGrowth.js';
import { parse, num } from '../args.js';
import type { Command } from '../command.js';

const command: Command = {
  summary: 'run the care desk (HTTP API, agent UI, background work)',
  usage: `Usage: parley start [options]

Settings (a flag where there is one; each also settable by environment variable):
${CONFIG_HELP.map((c) => `  ${c.flag.padEnd(16)} ${c.env.padEnd(24)} ${c.description} (default ${c.default})`).join('\n')}
`,
  async run(argv) {
    const { values } = parse(argv, {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string' },
      'database-url': { type: 'string' },
      'log-level': { type: 'string' },
      'no-demo': { type: 'boolean' },
      'demo-speed': { type: 'string' },
      'demo-history-days': { type: 'string' },
      'public-url': { type: 'string' },
    }, false);
    // a bad setting is a ConfigError: main lists what is wrong, without a stack
    const config = loadConfig(process.env, {
      port: num(values.port, 'port'),
      host: values.host,
      dataDir: values['data-dir'],
      databaseUrl: values['database-url'],
      logLevel: values['log-level'] as never,
      demo: values['no-demo'] ? false : undefined,
      demoSpeed: num(values['demo-speed'], 'demo-speed'),
      demoHistoryDays: num(values['demo-history-days'], 'demo-history-days'),
      publicUrl: values['public-url'],
    });
    applyHeapGrowing(config.heapGrowingPercent);
    const parley = await createParley({ config });
    const log = parley.services.log;
    let address: string;
    try {
      address = await parley.listen();
    } catch (err) {
      // e.g. the port is taken: release what was opened, then main says what went wrong in one line
      await parley.stop().catch(() => {});
      throw err;
    }
    const url = address.replace('127.0.0.1', 'localhost').replace('[::1]', 'localhost');
    log.info({ url, database: parley.services.store.describe }, 'Parley is running');
    if (parley.demo.login) {
      const { email, password } = parley.demo.login;
      process.stdout.write(`\n  Demo desk ready at ${url}\n  Sign in as ${email}\n  Password    ${password}\n  (shown once; the demo's other people share it)\n  Lost it? \`parley user add --role admin --email … --name …\` adds an admin with a new password\n\n`);
    }
    await new Promise<void>((resolve) => {
      let stopping = false;
      const stop = (signal: string) => {
        if (stopping) return;
        stopping = true;
        log.info({ signal }, 'stopping');
        parley.stop().then(resolve, (err) => {
          log.error({ err }, 'error while stopping');
          resolve();
        });
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
    });
    return 0;
  },
};

export default command;
