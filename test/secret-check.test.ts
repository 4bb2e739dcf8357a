/**
 * Every Parley process on one database must hold the same secret for channel credentials.
 * A process whose secret does not open the database's marker (or, on the first start with the
 * check, an already stored credential) refuses to start with the reason, instead of failing
 * later in every send and sync it takes; on PostgreSQL a second `parley start` with its own
 * generated secret exits with that one line.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { SecretBox, SecretMismatchError, verifySecret } from '../src/lib/secrets.js';
import { createTestDatabase, describeEachStore } from './db.js';
import { freePort } from './setup/services.js';

describeEachStore('the credentials secret check', (get) => {
  it('lets the same secret in and refuses another, with the reason', async () => {
    const { store } = get();
    await verifySecret(store, new SecretBox('secret-one-0123456789abcdef0123456789'), Date.now());
    await verifySecret(store, new SecretBox('secret-one-0123456789abcdef0123456789'), Date.now());
    const other = verifySecret(store, new SecretBox('secret-two-0123456789abcdef0123456789'), Date.now());
    await expect(other).rejects.toBeInstanceOf(SecretMismatchError);
    await expect(other).rejects.toThrow(/same PARLEY_SECRET/);
  });
});

describeEachStore('the credentials secret check on a database from before it', (get) => {
  it('refuses a secret that does not open the credentials already stored, and writes no marker', async () => {
    const { store } = get();
    await store.db.deleteFrom('kv').where('key', '=', 'secret.check').execute();
    const old = new SecretBox('the-original-secret-0123456789abcdef0123');
    const brandId = await createBrand(store.db, { slug: `s-${Date.now()}`, name: 'S' }, Date.now());
    const id = await createChannelAccount(store.db, { brandId, network: 'mastodon', handle: 'acme', driver: 'demo' }, Date.now());
    await store.db.updateTable('channel_account').set({ credentials: old.seal({ accessToken: 'x' }) }).where('id', '=', id).execute();
    await expect(verifySecret(store, new SecretBox('a-new-generated-secret-0123456789abcdef'), Date.now())).rejects.toBeInstanceOf(SecretMismatchError);
    expect(await store.db.selectFrom('kv').select('key').where('key', '=', 'secret.check').executeTakeFirst()).toBeUndefined();
    await verifySecret(store, old, Date.now());
  });
});

it('refuses a second process on one PostgreSQL that generated its own secret, in one line', async () => {
  const db = await createTestDatabase('postgres');
  const dirs = [mkdtempSync(join(tmpdir(), 'parley-sec-')), mkdtempSync(join(tmpdir(), 'parley-sec-'))];
  const run = (dataDir: string, port: number, ms: number) =>
    new Promise<{ code: number | null; out: string }>((resolve) => {
      const env = { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json' };
      delete (env as Record<string, string | undefined>).PARLEY_SECRET;
      const p = spawn(process.execPath, ['bin/parley.js', 'start', '--port', String(port), '--no-demo', '--database-url', db.databaseUrl!, '--data-dir', dataDir], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout!.on('data', (c) => (out += c));
      p.stderr!.on('data', (c) => (out += c));
      const t = setTimeout(() => p.kill('SIGTERM'), ms);
      p.on('exit', (code) => (clearTimeout(t), resolve({ code, out })));
    });
  try {
    // the first writes the marker with its generated secret and runs (stopped after a while)
    const first = await run(dirs[0]!, await freePort(), 6_000);
    expect(first.out).not.toMatch(/sealed with another secret/);
    const second = await run(dirs[1]!, await freePort(), 20_000);
    expect(second.code).toBe(1);
    expect(second.out).toMatch(/sealed with another secret: give every Parley process the same PARLEY_SECRET/);
    expect(second.out).not.toMatch(/\n\s+at /); // no stack trace
  } finally {
    await db.drop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}, 60_000);
