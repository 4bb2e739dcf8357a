/**
 * Throwaway services for tests and benchmarks: real PostgreSQL (and, where a suite needs them,
 * other Debian packages) on loopback, installed with apt-get when missing and we
 * are root, started in a temp dir, stopped afterwards. Nothing here is mocked.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/** Install Debian packages if `probe` is missing; throws with a clear message otherwise. */
export function ensureDebianPackage(probe: string, packages: string[]): void {
  if (existsSync(probe)) return;
  if (!isRoot()) {
    throw new Error(`${probe} is missing and tests are not running as root: install ${packages.join(' ')} (apt-get install -y ${packages.join(' ')})`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = spawnSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  if (update.status !== 0) throw new Error('apt-get update failed');
  const install = spawnSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], { stdio: 'inherit', env });
  if (install.status !== 0 || !existsSync(probe)) throw new Error(`apt-get install ${packages.join(' ')} failed`);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function postgresBinDir(): string | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base).filter((v) => existsSync(join(base, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(base, versions[0], 'bin') : null;
}

export interface RunningPostgres {
  url: string;
  stop(): void;
}

/** Server options that load `pg_stat_statements`, with PARLEY_PG_PROFILE=1 (src/bench/pgProfile.ts reads it). */
const PG_PROFILE_OPTIONS = '-c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all';

/** initdb + pg_ctl start on 127.0.0.1 with fsync off; about a second. */
export async function startPostgres(): Promise<RunningPostgres> {
  let bin = postgresBinDir();
  if (!bin) {
    ensureDebianPackage('/usr/lib/postgresql', ['postgresql']);
    bin = postgresBinDir();
    if (!bin) throw new Error('postgresql installed but initdb not found under /usr/lib/postgresql');
  }
  const dir = mkdtempSync(join(tmpdir(), 'parley-pg-'));
  chmodSync(dir, 0o755);
  const port = await freePort();
  const asPostgres = isRoot();
  if (asPostgres) execFileSync('chown', ['-R', 'postgres:postgres', dir]);
  const run = (cmd: string, args: string[]) => {
    const full = [join(bin!, cmd), ...args];
    const r = asPostgres
      ? spawnSync('su', ['postgres', '-s', '/bin/sh', '-c', full.map(shellQuote).join(' ')], { encoding: 'utf8' })
      : spawnSync(full[0]!, full.slice(1), { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr || r.stdout}`);
  };
  run('initdb', ['-D', join(dir, 'data'), '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  run('pg_ctl', ['-D', join(dir, 'data'), '-l', join(dir, 'log'), '-o',
    `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200${process.env.PARLEY_PG_PROFILE === '1' ? ` ${PG_PROFILE_OPTIONS}` : ''}`, '-w', 'start']);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    stop() {
      try { run('pg_ctl', ['-D', join(dir, 'data'), '-m', 'immediate', '-w', 'stop']); } catch { /* already gone */ }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
