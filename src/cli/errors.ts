/**
 * Which errors are the person's to fix rather than Parley's bugs, and the one line that
 * says so: a file that cannot be used, a bad setting, a value a command refuses, a
 * database that cannot be reached or opened, a port that is taken. `main` prints that
 * line without a stack (with one under --debug or LOG_LEVEL=debug) and exits 1; every
 * other error keeps its stack.
 */
import { ValidationError } from '../commands/setup.js';
import { ConfigError } from '../config.js';
import { SecretMismatchError } from '../lib/secrets.js';
import { AppError } from '../errors.js';
import { InputFileError } from '../lib/inputFile.js';
import { CliError } from './command.js';

/** A PostgreSQL or network error that means "this database cannot be reached or used as given". */
const PG_UNREACHABLE = new Set([
  'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNRESET',
  '3D000', // database does not exist
  '28000', '28P01', // authentication failed / not allowed
  '57P03', // the server is starting up or shutting down
  '53300', // too many connections
]);
/** SQLite cannot open or write the file. */
const SQLITE_UNUSABLE = new Set(['SQLITE_CANTOPEN', 'SQLITE_NOTADB', 'SQLITE_READONLY', 'SQLITE_CORRUPT', 'SQLITE_PERM', 'SQLITE_FULL']);

type Coded = Error & { code?: string; syscall?: string; port?: number; address?: string; path?: string; errors?: unknown[] };

/** The error and the errors it wraps (`cause`, an AggregateError's errors), outermost first. */
function chain(err: unknown): Coded[] {
  const out: Coded[] = [];
  let e: unknown = err;
  while (e instanceof Error && out.length < 8) {
    out.push(e as Coded);
    e = (e as { cause?: unknown }).cause;
  }
  return out;
}

/** The one line for an expected error, or null when `err` is a bug. */
export function describeExpectedError(err: unknown): string | null {
  if (err instanceof InputFileError || err instanceof ValidationError || err instanceof CliError) return err.message;
  if (err instanceof AppError || err instanceof SecretMismatchError) return err.message;
  if (err instanceof ConfigError) {
    const hint = 'see `parley start --help` for the settings and their environment variables';
    return err.problems.length === 1 ? `invalid configuration: ${err.problems[0]} (${hint})` : `${err.message}\n(${hint})`;
  }
  const errors = chain(err);
  for (const e of errors) {
    if (e.syscall === 'listen') {
      const where = `${e.address ?? 'this address'}${e.port !== undefined ? ` port ${e.port}` : ''}`;
      if (e.code === 'EADDRINUSE') return `cannot listen on ${where}: it is already in use (another Parley, or another program). Stop it, or choose another port with --port <n> (or PORT)`;
      if (e.code === 'EACCES') return `cannot listen on ${where}: not allowed (ports below 1024 need privileges). Choose another port with --port <n> (or PORT)`;
      if (e.code === 'EADDRNOTAVAIL') return `cannot listen on ${where}: this machine has no such address. Choose another with --host (or HOST), e.g. 127.0.0.1 or 0.0.0.0`;
    }
  }
  for (const e of errors) {
    const codes = [e.code, ...(Array.isArray(e.errors) ? e.errors.map((x) => (x as Coded)?.code) : [])];
    if (codes.some((c) => c && PG_UNREACHABLE.has(c)) && !e.code?.startsWith('SQLITE')) {
      return `cannot use the PostgreSQL database: ${reason(e)}. Check --database-url (or DATABASE_URL): the server must be running and reachable, the database must exist, and the user must be allowed in`;
    }
    if (e.code && SQLITE_UNUSABLE.has(e.code)) {
      return `cannot use the SQLite database: ${reason(e)}. Check --data-dir (or PARLEY_DATA_DIR): a directory this user can write, holding Parley's parley.db`;
    }
    if ((e.code === 'EACCES' || e.code === 'EROFS' || e.code === 'ENOTDIR' || e.code === 'EEXIST') && e.syscall === 'mkdir') {
      return `cannot create the data directory ${e.path ?? ''}: ${e.code}. Check --data-dir (or PARLEY_DATA_DIR)`;
    }
  }
  return null;
}

function reason(e: Coded): string {
  const msg = e.message || (Array.isArray(e.errors) ? (e.errors[0] as Error | undefined)?.message : '') || e.code || 'unknown error';
  return msg.split('\n')[0]!;
}
