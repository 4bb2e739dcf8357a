/** Small helpers over node:util parseArgs shared by commands. */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command.js';

export function parse<T extends NonNullable<ParseArgsConfig['options']>>(argv: string[], options: T, allowPositionals = true) {
  try {
    return parseArgs({ args: argv, options, allowPositionals, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Options every command that touches the database accepts. */
export const storeOptions = {
  'database-url': { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export function num(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got "${v}"`);
  return n;
}
