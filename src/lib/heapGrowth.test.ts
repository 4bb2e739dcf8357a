import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyHeapGrowing } from './heapGrowth.js';

describe('applyHeapGrowing', () => {
  it('leaves a --heap-growing-percent given to node itself alone', () => {
    expect(applyHeapGrowing(50, ['--heap-growing-percent=80'], '')).toBe('node-flag');
    expect(applyHeapGrowing(50, [], '--max-old-space-size=2048 --heap_growing_percent=20')).toBe('node-flag');
    expect(applyHeapGrowing(0, [], '')).toBe('v8-default');
  });

  // In a process of its own (the flag is process-wide): ~80 MB kept, then garbage that lives
  // long enough to be promoted; the old generation's high-water mark with the cap set against
  // V8's own factor.
  it('keeps the heap closer to what is live than V8 would by itself', () => {
    const dir = mkdtempSync(join(tmpdir(), 'parley-heap-'));
    const script = join(dir, 'churn.mjs');
    const root = new URL('../../', import.meta.url);
    writeFileSync(script, `
      import { register } from 'node:module';
      import { getHeapStatistics } from 'node:v8';
      register(${JSON.stringify(new URL('bin/ts-hooks.mjs', root).href)});
      const { applyHeapGrowing } = await import(${JSON.stringify(pathToFileURL(join(new URL('.', import.meta.url).pathname, 'heapGrowth.ts')).href)});
      applyHeapGrowing(Number(process.argv[2]), [], '');
      const keep = [];
      for (let i = 0; i < 700_000; i++) keep.push({ s: 'k' + i + '-' + Math.random(), n: [i, i * 2, i * 3] });
      await new Promise((r) => setTimeout(r, 200));
      const ring = new Array(300_000);
      let max = 0;
      for (let k = 0; k < 3000; k++) {
        for (let i = 0; i < 2000; i++) ring[(k * 2000 + i) % ring.length] = { a: 'y' + Math.random(), b: [i, i + 1, k] };
        if (k % 20 === 0) await new Promise((r) => setTimeout(r, 1));
        max = Math.max(max, getHeapStatistics().used_heap_size);
      }
      process.stdout.write(JSON.stringify({ maxMb: max / 2 ** 20, kept: keep.length }));
    `);
    const peak = (percent: number) => (JSON.parse(execFileSync(process.execPath, [script, String(percent)], { encoding: 'utf8', timeout: 60_000 })) as { maxMb: number }).maxMb;
    try {
      const v8Own = peak(0);
      const capped = peak(30);
      expect(capped).toBeLessThan(v8Own * 0.85);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
