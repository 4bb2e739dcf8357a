/**
 * WAL checkpoints off the event loop. SQLite's automatic checkpoint runs inside
 * the COMMIT that crosses the threshold: it copies the WAL back into the database
 * file and fsyncs, tens of milliseconds during which the server answers nothing.
 * Here the writing connection never checkpoints (wal_autocheckpoint = 0); a worker
 * thread with its own connection runs PASSIVE checkpoints (they never block the
 * writer) whenever the WAL has grown past a threshold.
 *
 * After data is erased (src/store/secureDelete.ts) the WAL still holds the pages as they were
 * before, until later writes overwrite those frames: `truncate()` asks for a TRUNCATE checkpoint,
 * which copies every frame back and cuts the WAL to nothing. It waits for readers (and holds new
 * writers back, up to the busy timeout) and is tried again each tick until it completes.
 */
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const WORKER = `
const { workerData, parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const wal = workerData.file + '-wal';
let busy = false;
let truncate = false;
const tick = () => {
  if (busy) return;
  busy = true;
  try {
    let size = 0;
    try { size = fs.statSync(wal).size; } catch {}
    if (truncate) {
      const r = db.pragma('wal_checkpoint(TRUNCATE)')[0];
      if (r && r.busy === 0) truncate = false;
    } else if (size >= workerData.minBytes) db.pragma('wal_checkpoint(PASSIVE)');
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  } finally {
    busy = false;
  }
};
const timer = setInterval(tick, workerData.intervalMs);
parentPort.on('message', (m) => {
  if (m === 'truncate') { truncate = true; return; }
  if (m !== 'stop') return;
  clearInterval(timer);
  try { db.close(); } catch {}
  parentPort.postMessage('stopped');
});
`;

export interface Checkpointer {
  /** Copy the whole WAL back and cut it to nothing, as soon as no reader holds it (see the header). */
  truncate(): void;
  stop(): Promise<void>;
}

export function startCheckpointer(file: string, opts: { minBytes?: number; intervalMs?: number; onError?: (message: string) => void } = {}): Checkpointer {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const worker = new Worker(WORKER, { eval: true, workerData: { file, driver, minBytes: opts.minBytes ?? 4 * 1024 * 1024, intervalMs: opts.intervalMs ?? 250 } });
  let exited = false;
  worker.on('exit', () => (exited = true));
  worker.on('error', (err) => opts.onError?.(err.message));
  worker.on('message', (m) => {
    if (m && typeof m === 'object' && 'error' in m) opts.onError?.(String(m.error));
  });
  // after the listeners (adding one refs the worker again): an open store never keeps the process alive
  worker.unref();
  return {
    truncate() {
      if (!exited) worker.postMessage('truncate');
    },
    async stop() {
      if (exited) return;
      // held while stopping: an unref'd worker alone would let the process exit mid-await
      worker.ref();
      await new Promise<void>((resolve) => {
        const done = () => resolve();
        worker.once('exit', done);
        worker.once('message', (m) => (m === 'stopped' ? void worker.terminate() : undefined));
        worker.postMessage('stop');
        setTimeout(() => void worker.terminate(), 2000).unref();
      });
    },
  };
}

/** The WAL's size in bytes (0 when there is none), for tests and metrics. */
export function walBytes(file: string): number {
  try {
    return statSync(`${file}-wal`).size;
  } catch {
    return 0;
  }
}
