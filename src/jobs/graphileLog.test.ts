import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { graphileLogLevel } from './graphileLog.js';

/** graphile-worker's own source, to check that the messages classified here are the ones it writes. */
function graphileSource(file: string): string {
  const main = createRequire(import.meta.url).resolve('graphile-worker');
  return readFileSync(join(dirname(main), file), 'utf8');
}

describe('graphile-worker log levels', () => {
  it('logs the reconnects of a PostgreSQL outage it rides out as warnings', () => {
    // the messages graphile-worker writes while PostgreSQL is away (main.js, localQueue.js)
    const main = graphileSource('main.js');
    const queue = graphileSource('localQueue.js');
    expect(main).toContain('Error with notify listener (trying again in ${delay}ms)');
    expect(main).toContain("Failed to reset locked; we'll try again in ${delay}ms");
    expect(queue).toContain('Error occurred fetching jobs; will try again on next poll interval');
    expect(graphileLogLevel('error', 'Error with notify listener (trying again in 2000ms): Connection terminated unexpectedly')).toBe('warn');
    expect(graphileLogLevel('error', "Failed to reset locked; we'll try again in 1000ms")).toBe('warn');
    expect(graphileLogLevel('error', 'Error occurred fetching jobs; will try again on next poll interval. Error: connect ECONNREFUSED 127.0.0.1:5432')).toBe('warn');
  });

  it('a job failure is a warning while it will be retried, an error at its last attempt', () => {
    expect(graphileSource('worker.js')).toContain('attempt ${job.attempts} of ${job.max_attempts}) with error');
    expect(graphileLogLevel('error', "Failed task 7 (sla.check, 3.21ms, attempt 1 of 25) with error 'boom'")).toBe('warn');
    expect(graphileLogLevel('error', "Failed task 7 (sla.check, 3.21ms, attempt 25 of 25) with error 'boom'")).toBe('error');
  });

  it('keeps real errors as errors, warnings as warnings, and drops the chatter', () => {
    expect(graphileLogLevel('error', 'Failed to release job \'9\' after success; committing seppuku')).toBe('error');
    expect(graphileLogLevel('error', 'Worker exited with error: boom')).toBe('error');
    expect(graphileLogLevel('warning', 'Your job batch size (1) is smaller than your concurrency setting (4)')).toBe('warn');
    expect(graphileLogLevel('info', 'Worker connected and looking for jobs')).toBeNull();
    expect(graphileLogLevel('debug', 'anything')).toBeNull();
  });
});
