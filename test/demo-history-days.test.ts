/**
 * PARLEY_DEMO_HISTORY_DAYS: how much past traffic a new demo desk seeds (7 days by default, at
 * the live replay's rate; 0: none). The setting is read when the demo is seeded and recorded with it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createParley } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { DEMO_HISTORY_KEY } from '../src/demo/seed.js';
import { createTestDatabase } from './db.js';

const dir = mkdtempSync(join(tmpdir(), 'parley-history-days-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function historyRecordOfNewDesk(env: NodeJS.ProcessEnv): Promise<{ due?: boolean; days?: number; speed?: number } | null> {
  const t = await createTestDatabase('sqlite');
  try {
    const config = loadConfig(env, { port: 0, host: '127.0.0.1', demo: true, demoSpeed: 1, secret: 'history-days-test-secret-0123456789abcdef', logLevel: 'warn', dataDir: mkdtempSync(join(dir, 'desk-')) });
    const p = await createParley({ config, store: t.store, workers: false });
    try {
      await p.listen();
      // the record the seed wrote, before any history is stored (the stop hands a claimed one back as due)
      await p.demo.replay?.stop();
      const row = await t.store.db.selectFrom('kv').select('value').where('key', '=', DEMO_HISTORY_KEY).executeTakeFirst();
      const brands = await t.store.db.selectFrom('brand').select('id').execute();
      expect(brands).toHaveLength(1); // the demo is seeded either way
      return row ? (JSON.parse(row.value) as { due?: boolean; days?: number; speed?: number }) : null;
    } finally {
      await p.stop();
    }
  } finally {
    await t.drop();
  }
}

describe('PARLEY_DEMO_HISTORY_DAYS', () => {
  it('0 seeds the demo without a history: nothing is due, nothing is stored in the background', async () => {
    expect(await historyRecordOfNewDesk({ PARLEY_DEMO_HISTORY_DAYS: '0' })).toBeNull();
  }, 60_000);

  it('a number of days is what the seed records for its history, with the replay\'s speed its volume follows', async () => {
    const rec = await historyRecordOfNewDesk({ PARLEY_DEMO_HISTORY_DAYS: '1' });
    expect(rec?.days).toBe(1);
    expect(rec?.speed).toBe(1);
  }, 120_000);
});
