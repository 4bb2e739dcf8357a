import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchInbox } from './inbox.js';

describe('the inbox benchmark', () => {
  const empty = mkdtempSync(join(tmpdir(), 'parley-no-ui-'));
  afterAll(() => rmSync(empty, { recursive: true, force: true }));

  it('is skipped with the reason when the web UI is not built, instead of waiting for a sign-in page the server cannot serve', async () => {
    const r = await benchInbox({ dataDir: join(empty, 'data'), adminEmail: 'admin@bench.test', openConversations: 10, uiDir: empty });
    expect(r).toEqual({ skipped: expect.stringContaining('npm run build:web') });
  });
});
