import { defineConfig } from 'vitest/config';

// Two projects: fast unit/integration tests (beside the code and in test/),
// and browser end-to-end specs (test/e2e/*.e2e.ts) that drive Debian's Chromium.
// test/setup/global.ts provisions throwaway services (PostgreSQL, ...) once per run.
export default defineConfig({
  test: {
    globalSetup: ['test/setup/global.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
          exclude: ['test/e2e/**', 'node_modules/**'],
          testTimeout: 30_000,
          hookTimeout: 120_000,
          pool: 'forks',
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.e2e.ts'],
          testTimeout: 60_000,
          hookTimeout: 180_000,
          pool: 'forks',
          fileParallelism: false,
        },
      },
    ],
  },
});
