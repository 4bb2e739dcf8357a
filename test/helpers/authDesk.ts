/**
 * The desk of the sign-in tests (two-factor sign-in, password reset): on a hand-driven clock
 * 10 s into a 30 s TOTP step, behind a trusted proxy so each call may come from its own address
 * (the per-address limits of one test do not touch another's), with the brand's admin signed in;
 * new people of the brand, another brand's admin, and the `parley` command against the desk's
 * database.
 */
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { dirname } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { createBrand, createUser } from '../../src/commands/setup.js';
import { ManualClock } from '../../src/lib/clock.js';
import { hashPassword } from '../../src/lib/password.js';
import { base32Decode, totp } from '../../src/lib/totp.js';
import type { Dialect } from '../../src/store/db.js';
import { Client, PASSWORD, startDesk, type TestDesk } from './parley.js';

/** The authenticator app's code for `secret` at `at` (the clock's now by default). */
export const totpCode = (clock: ManualClock, secret: string, at = clock.now()) => totp(base32Decode(secret), at);

/**
 * Turn two-factor sign-in on for a signed-in client (setup with its password, enable with a code),
 * then move the clock to the next 30 s step (the code used is spent): its secret and recovery codes.
 */
export async function turnOnTwoFactor(client: Client, clock: ManualClock): Promise<{ secret: string; recoveryCodes: string[] }> {
  const setup = await client.post('/api/me/two-factor/setup', { currentPassword: PASSWORD });
  expect(setup.status, JSON.stringify(setup.json)).toBe(200);
  const secret = setup.json.secret as string;
  const on = await client.post('/api/me/two-factor/enable', { code: totpCode(clock, secret) });
  expect(on.status, JSON.stringify(on.json)).toBe(200);
  expect(on.json.recoveryCodes).toHaveLength(10);
  clock.advance(30_000);
  return { secret, recoveryCodes: on.json.recoveryCodes as string[] };
}

export interface AuthDesk {
  clock: ManualClock;
  /** A new person of the brand (`<prefix>N@acme.test`, "Person N"), signed in. */
  person(role?: 'agent' | 'admin'): Promise<{ id: number; email: string; name: string; client: Client }>;
  /** An admin of another brand, signed in. */
  otherBrandAdmin(): Promise<Client>;
  /** `parley <args…>` on the desk's database, its exit status and output. */
  cli(...args: string[]): SpawnSyncReturns<string>;
}

export function authDesk(dialect: Dialect, prefix: string, ready: (desk: TestDesk, admin: Client) => void): AuthDesk {
  const clock = new ManualClock(Date.UTC(2026, 11, 1, 10, 0, 10));
  let desk: TestDesk | undefined;
  let admin: Client;
  let people = 0;
  let brands = 0;
  beforeAll(async () => {
    desk = await startDesk(dialect, { clock, workers: false, config: { trustProxy: 'true' } });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ready(desk, admin);
  });
  afterAll(async () => desk?.stop());
  return {
    clock,
    async person(role = 'agent') {
      const email = `${prefix}${++people}@acme.test`;
      const name = `Person ${people}`;
      const made = await admin.post('/api/users', { email, name, role, password: PASSWORD });
      expect(made.status).toBe(201);
      return { id: made.json.id as number, email, name, client: await Client.signIn(desk!.url, email) };
    },
    async otherBrandAdmin() {
      const db = desk!.db.store.db;
      const now = clock.now();
      const slug = `${prefix}-globex-${++brands}`;
      const brandId = await createBrand(db, { slug, name: 'Globex' }, now);
      const email = `boss@${slug}.test`;
      const id = await createUser(db, { brandId, email, name: 'Boss', role: 'admin' }, now);
      await db.updateTable('app_user').set({ password_hash: await hashPassword(PASSWORD) }).where('id', '=', id).execute();
      return Client.signIn(desk!.url, email);
    },
    cli(...args) {
      const store = dialect === 'sqlite' ? ['--data-dir', dirname(desk!.db.sqliteFile!)] : ['--database-url', desk!.db.databaseUrl!];
      const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
      delete env.DATABASE_URL;
      delete env.PARLEY_PUBLIC_URL;
      return spawnSync(process.execPath, ['bin/parley.js', ...args, ...store], { encoding: 'utf8', env, timeout: 60_000 });
    },
  };
}
