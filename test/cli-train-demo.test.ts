/**
 * What a new user meets when they follow README's `parley train` and `parley demo` lines:
 * `parley train --from-history` takes the database as `parley start` does (--data-dir,
 * --database-url), not only from the environment; a model it writes outside the data
 * directory's own place says how a desk puts it to use (PARLEY_TRIAGE_MODEL); and
 * `parley demo --once` on a database whose replay has already reached the end of the excerpt
 * says so instead of exiting silently.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { teamModelPath } from '../src/triage/history.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-train-demo-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The real `parley` binary, with PARLEY_DATA_DIR pointing at an empty directory of its own unless the test says otherwise. */
function parley(args: string[], env: NodeJS.ProcessEnv = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn', LOG_FORMAT: 'json', PARLEY_DATA_DIR: join(dir, 'elsewhere'), ...env };
  delete e.DATABASE_URL;
  delete e.PARLEY_TRIAGE_MODEL;
  return spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', env: e, timeout: 120_000 });
}

describe('parley train --from-history on the database named by --data-dir', () => {
  let desk: TestDesk;
  beforeAll(async () => {
    desk = await startDesk('sqlite');
    const admin = await Client.signIn(desk.url, 'admin@acme.test');
    const ana = await Client.signIn(desk.url, 'ana@acme.test');
    const msgs = Array.from({ length: 8 }, (_, i) => mention({ text: `@AcmeCare claim your free crypto airdrop at moon-gains.example code ${i}`, author: { networkUserId: `promo${i}`, handle: `promo${i}` } }));
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs });
    for (const o of r.json.outcomes) expect((await ana.post(`/api/messages/${o.messageId}/triage`, { category: 'spam' })).status).toBe(200);
  }, 60_000);
  afterAll(async () => desk?.stop());

  it('learns from that database, not PARLEY_DATA_DIR, and writes the team model there', () => {
    const dataDir = dirname(desk.db.sqliteFile!);
    const r = parley(['train', '--from-history', '--data-dir', dataDir]);
    expect(r.stderr).toMatch(/learned from 8 corrected messages/);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/restart Parley to use it/);
    expect(existsSync(teamModelPath(dataDir))).toBe(true);
    expect(existsSync(teamModelPath(join(dir, 'elsewhere')))).toBe(false);
  }, 120_000);

  it('a model written elsewhere with --out says how a desk uses it', () => {
    const dataDir = dirname(desk.db.sqliteFile!);
    const out = join(dir, 'my-model.bin.gz');
    const r = parley(['train', '--from-history', `--data-dir=${dataDir}`, '--out', out]);
    expect(r.status, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(r.stderr).toContain(`start Parley with PARLEY_TRIAGE_MODEL=${out} to use it`);
    expect(r.stderr).not.toMatch(/restart Parley to use it/);
  }, 120_000);

  it('--data-dir without --from-history is a usage error (training from the datasets reads no database)', () => {
    const r = parley(['train', '--data-dir', join(dir, 'x')]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^parley train: --data-dir and --database-url name the database --from-history learns from/);
    expect(existsSync(join(dir, 'x'))).toBe(false);
    expect(parley(['train', '--from-history', '--data-dir']).stderr).toMatch(/--data-dir needs a directory/);
  });
});

describe('parley demo --once, run again', () => {
  it('says that nothing is left to replay, and how to replay again', () => {
    const dataDir = join(dir, 'demo');
    const first = parley(['demo', '--once', '--speed', '1000000', '--data-dir', dataDir]);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).toMatch(/replayed \d+ new messages \(pass 0, position 2000\)/);
    expect(first.stderr).not.toMatch(/nothing replayed/);

    const again = parley(['demo', '--once', '--speed', '1000000', '--data-dir', dataDir]);
    expect(again.status, again.stderr).toBe(0);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/nothing replayed: this database's demo replay already reached the end of the excerpt .*run without --once to replay it again/);
  }, 150_000);
});
