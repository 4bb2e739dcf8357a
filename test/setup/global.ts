/**
 * Vitest global setup: one throwaway PostgreSQL per test run (unless
 * PARLEY_TEST_DATABASE_URL points at one), handed to tests via `inject('pgUrl')`.
 * Each test file creates its own database on it (see test/db.ts).
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, type RunningPostgres } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

let pg: RunningPostgres | undefined;

export async function setup(project: TestProject) {
  let url = process.env.PARLEY_TEST_DATABASE_URL;
  if (!url) {
    pg = await startPostgres();
    url = pg.url;
  }
  project.provide('pgUrl', url);
}

export async function teardown() {
  pg?.stop();
}
