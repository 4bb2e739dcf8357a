/**
 * A real local AT Protocol network for the Bluesky connector's tests: @atproto/dev-env's
 * TestNetwork (PLC, PDS, the AppView @atproto/bsky and Ozone) on a throwaway database of the
 * test PostgreSQL (`inject('pgUrl')`) and a Redis started here. Not a fake: the AppView answers as
 * public.api.bsky.app does, from the same code.
 *
 * Labels: the dev network runs no label ingester (in production a separate service subscribes to
 * each labeler's com.atproto.label.subscribeLabels and writes what it receives to the AppView's
 * `label` table, which the AppView reads when it hydrates views). `applyLabel` writes there as that
 * ingester does: a label per (src, uri, cid, val), replaced by a later one — a negation (`neg`)
 * included, which the AppView then leaves out of its views — with its expiry (`exp`), past which
 * the AppView's data plane no longer returns it.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestNetwork } from '@atproto/dev-env';
import pg from 'pg';
import { inject } from 'vitest';
import { ensureDebianPackage, freePort } from '../setup/services.js';

export interface LocalBlueskyNetwork {
  net: TestNetwork;
  /** Store a label as the AppView's label ingester does (see the header); `cts` defaults to now. */
  applyLabel(label: { src: string; uri: string; val: string; cid?: string; neg?: boolean; cts?: string; exp?: string | null }): Promise<void>;
  close(): Promise<void>;
}

async function waitForPort(port: number, ms: number): Promise<void> {
  const until = Date.now() + ms;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.end(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > until) throw new Error(`nothing listens on 127.0.0.1:${port}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startRedis(): Promise<{ host: string; stop(): Promise<void> }> {
  ensureDebianPackage('/usr/bin/redis-server', ['redis-server']);
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'parley-redis-'));
  const proc = spawn('/usr/bin/redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir], { stdio: 'ignore' });
  await waitForPort(port, 15_000);
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      if (proc.exitCode === null) {
        const exited = once(proc, 'exit');
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Start the network (its own database, Redis and scratch directory); `close` undoes all of it. */
export async function startLocalBlueskyNetwork(): Promise<LocalBlueskyNetwork> {
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => {});
  };
  try {
    // the PDS keeps its data directories in os.tmpdir(): give it a scratch one
    const scratch = mkdtempSync(join(tmpdir(), 'parley-atproto-'));
    const previousTmp = process.env.TMPDIR;
    process.env.TMPDIR = scratch;
    cleanups.push(() => {
      if (previousTmp === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = previousTmp;
      rmSync(scratch, { recursive: true, force: true });
    });

    const redis = await startRedis();
    cleanups.push(() => redis.stop());
    process.env.REDIS_HOST = redis.host;

    const adminUrl = inject('pgUrl');
    const dbName = `parley_bsky_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    cleanups.push(async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await c.end();
    });
    const u = new URL(adminUrl);
    u.pathname = `/${dbName}`;

    const net = await TestNetwork.create({ dbPostgresUrl: u.toString(), dbPostgresSchema: 'bsky' });
    cleanups.push(() => net.close());

    return {
      net,
      async applyLabel(label) {
        const row = { src: label.src, uri: label.uri, cid: label.cid ?? '', val: label.val, neg: label.neg === true, cts: label.cts ?? new Date().toISOString(), exp: label.exp ?? null };
        await net.bsky.db.db
          .insertInto('label')
          .values(row)
          .onConflict((oc) => oc.columns(['src', 'uri', 'cid', 'val']).doUpdateSet({ neg: row.neg, cts: row.cts, exp: row.exp }))
          .execute();
      },
      close,
    };
  } catch (err) {
    await close();
    throw err;
  }
}
