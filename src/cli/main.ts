/**
 * `parley` command dispatcher. Each command lives in ./commands/<name>.ts and is
 * loaded lazily, so `parley eval` does not pay for the web server's imports.
 */
import type { Command } from './command.js';
import { UsageError } from './command.js';
import { describeExpectedError } from './errors.js';

const commands: Record<string, () => Promise<{ default: Command }>> = {};

/** Register lazily-loaded commands. Kept as a table so `help` can list them. */
function register(name: string, load: () => Promise<{ default: Command }>) {
  commands[name] = load;
}

register('start', () => import('./commands/start.js'));
register('migrate', () => import('./commands/migrate.js'));
register('brand', () => import('./commands/brand.js'));
register('user', () => import('./commands/user.js'));
register('import', () => import('./commands/import.js'));
register('demo', () => import('./commands/demo.js'));
register('eval', () => import('./commands/eval.js'));
register('train', () => import('./commands/train.js'));
register('report', () => import('./commands/report.js'));
register('staffing', () => import('./commands/staffing.js'));
register('bench', () => import('./commands/bench.js'));
register('contact', () => import('./commands/contact.js'));

export async function main(argv: string[]): Promise<number> {
  // --debug (anywhere after the command): stack traces for expected errors too
  const debug = argv.slice(1).includes('--debug') || ['debug', 'trace'].includes((process.env.LOG_LEVEL ?? '').trim().toLowerCase());
  const [name, ...rest] = argv.filter((a, i) => i === 0 || a !== '--debug');
  if (!name || name === 'help' || name === '--help' || name === '-h') {
    await printHelp();
    return name ? 0 : 1;
  }
  const load = commands[name];
  if (!load) {
    process.stderr.write(`parley: unknown command "${name}"\n`);
    await printHelp();
    return 1;
  }
  let cmd: Command;
  try {
    cmd = (await load()).default;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' && String(err).includes(`commands/${name}`)) {
      process.stderr.write(`parley: command "${name}" is not available in this build\n`);
      return 1;
    }
    throw err;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(cmd.usage.trimEnd() + '\n');
    return 0;
  }
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`parley ${name}: ${err.message}\n\n${cmd.usage.trimEnd()}\n`);
      return 2;
    }
    // a mistake in what the person gave (a file, a setting, a value, a database that is not there, a port
    // in use): one line saying what and how to fix it, no stack; anything else is a bug and keeps its stack
    const expected = describeExpectedError(err);
    if (expected !== null) {
      process.stderr.write(`parley ${name}: ${expected}\n`);
      if (debug && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
      return 1;
    }
    process.stderr.write(`parley ${name}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    return 1;
  }
}

async function printHelp() {
  const lines = ['Usage: parley <command> [options]', '', 'Commands:'];
  for (const [name, load] of Object.entries(commands)) {
    try {
      lines.push(`  ${name.padEnd(10)} ${(await load()).default.summary}`);
    } catch {
      /* command not built yet */
    }
  }
  process.stdout.write(lines.join('\n') + '\n');
}
