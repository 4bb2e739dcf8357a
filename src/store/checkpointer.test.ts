import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore, type Store } from './db.js';
import { walBytes } from './checkpointer.js';

describe('WAL checkpoints off the event loop (SQLite)', () => {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close().catch(() => {});
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('the writer never checkpoints; the worker copies the WAL back once it has grown, and nothing is lost', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-ckpt-'));
    dirs.push(dir);
    const file = join(dir, 'parley.db');
    const store = await openStore({ sqliteFile: file });
    stores.push(store);
    expect(store.sqlite!.pragma('wal_autocheckpoint', { simple: true })).toBe(0);
    store.sqlite!.exec('create table blob_t (id integer primary key, body text not null)');
    const before = statSync(file).size;
    const body = 'x'.repeat(4000);
    const insert = store.sqlite!.prepare('insert into blob_t (body) values (?)');
    store.sqlite!.transaction(() => {
      for (let i = 0; i < 3000; i++) insert.run(body); // ~12 MB through the WAL
    })();
    expect(walBytes(file)).toBeGreaterThan(4 * 1024 * 1024);
    expect(statSync(file).size).toBe(before); // committed, but only in the WAL
    const deadline = Date.now() + 10_000;
    while (statSync(file).size <= before + 8 * 1024 * 1024 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(statSync(file).size).toBeGreaterThan(before + 8 * 1024 * 1024); // the worker wrote the pages back
    expect(store.sqlite!.prepare('select count(*) as n from blob_t').get()).toEqual({ n: 3000 });
    await store.close();
    stores.length = 0;
    expect(existsSync(`${file}-wal`)).toBe(false); // the last connection to close checkpointed and removed the WAL
    const again = await openStore({ sqliteFile: file });
    stores.push(again);
    expect(again.sqlite!.prepare('select count(*) as n from blob_t').get()).toEqual({ n: 3000 });
  });

  it('closing twice is harmless', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-ckpt-'));
    dirs.push(dir);
    const store = await openStore({ sqliteFile: join(dir, 'p.db') });
    await store.close();
    await expect(store.close()).resolves.toBeUndefined();
  });
});
