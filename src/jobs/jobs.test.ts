import { describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../lib/clock.js';
import { createTestDatabase, describeEachStore } from '../../test/db.js';
import { GraphileJobs, TableJobs } from './jobs.js';

describeEachStore('table jobs', (get) => {
  it('runs a job when due, once; a keyed job is moved, not doubled; failures retry then stop', async () => {
    const clock = new ManualClock(1_000_000);
    const jobs = new TableJobs(get().store, clock);
    const ran: string[] = [];
    jobs.register('ping', async (p) => void ran.push(p.v));
    let failures = 0;
    jobs.register('flaky', async () => {
      failures++;
      throw new Error('boom');
    });
    await jobs.add('ping', { v: 'a' }, { runAt: 1_000_500, key: 'timer:1' });
    await jobs.add('ping', { v: 'b' }, { runAt: 1_002_000, key: 'timer:1' }); // moves the timer
    await jobs.add('ping', { v: 'c' });
    expect(await jobs.runDue()).toBe(1);
    expect(ran).toEqual(['c']);
    clock.advance(1000);
    expect(await jobs.runDue()).toBe(0);
    clock.advance(1000);
    expect(await jobs.runDue()).toBe(1);
    expect(ran).toEqual(['c', 'b']);
    await jobs.add('flaky', {}, { maxAttempts: 2 });
    await jobs.runDue();
    clock.advance(60_000);
    await jobs.runDue();
    clock.advance(3_600_000);
    await jobs.runDue();
    expect(failures).toBe(2);
    const dead = await get().store.db.selectFrom('job').selectAll().where('kind', '=', 'flaky').executeTakeFirstOrThrow();
    expect(dead.last_error).toBe('boom');
    await jobs.add('ping', { v: 'x' }, { key: 'gone', runAt: 0 });
    await jobs.cancel('gone');
    expect(await jobs.runDue()).toBe(0);
  });
});

describe('graphile-worker jobs [postgres]', () => {
  it('runs a job scheduled once exactly once across two workers', async () => {
    const db = await createTestDatabase('postgres');
    const { openStore } = await import('../store/db.js');
    const other = await openStore({ databaseUrl: db.databaseUrl });
    const runs: number[] = [];
    const a = new GraphileJobs(db.store, 2);
    const b = new GraphileJobs(other, 2);
    for (const [i, j] of [a, b].entries()) j.register('once', async () => void runs.push(i));
    // keyed adds before the workers run collapse into one job (a running keyed job is not replaced: that is graphile-worker's rule)
    for (let i = 0; i < 5; i++) await a.add('once', { i }, { key: 'only-one' });
    await a.add('once', { i: 'second' });
    await a.start();
    await b.start();
    const deadline = Date.now() + 15_000;
    while (runs.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    await a.stop();
    await b.stop();
    await other.close();
    await db.drop();
    expect(runs).toHaveLength(2);
  }, 30_000);
});

describe('graphile-worker on the store\'s pool [postgres]', () => {
  it('starts without a warning: the pool it is handed listens for errors of idle and checked-out connections, and is large enough', async () => {
    const db = await createTestDatabase('postgres');
    const printed: string[] = [];
    const logged: string[] = [];
    const spy = vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void printed.push(args.map(String).join(' ')));
    const jobs = new GraphileJobs(db.store, 4, { warn: (_o, m) => void logged.push(String(m)), error: (_o, m) => void logged.push(String(m)) });
    try {
      const ran: number[] = [];
      jobs.register('hello', async (p) => void ran.push(p.n));
      await jobs.add('hello', { n: 1 }); // worker utils on the pool
      await jobs.start(); // the runner on the pool
      const deadline = Date.now() + 10_000;
      while (!ran.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(ran).toEqual([1]);
    } finally {
      await jobs.stop();
      spy.mockRestore();
      await db.drop();
    }
    expect(printed).toEqual([]);
    expect(logged).toEqual([]);
  }, 30_000);
});
