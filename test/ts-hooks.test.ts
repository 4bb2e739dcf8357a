import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// bin/ts-hooks.mjs is how `parley` (and so `npm start`) runs the TypeScript sources.
// Run in a child process, as bin/parley.js registers it, with a throwaway cache.
const scratch = mkdtempSync(join(tmpdir(), 'parley-hooks-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const PROGRAM = `
import { register } from 'node:module';
import { pathToFileURL } from 'node:url';
register('./bin/ts-hooks.mjs', pathToFileURL('./'));
process.setSourceMapsEnabled(true);
const m = await import('./test/fixtures/ts-hooks/entry.ts');
const add2 = m.makeAdder(2);
let stack = '';
try { m.area({ side: -1 }); } catch (e) { stack = e.stack; }
console.log(JSON.stringify({ sum: add2(3), name: add2.name, area: m.area({ side: 4 }), stack }));
`;

function run() {
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', PROGRAM], { cwd: join(import.meta.dirname, '..'), env: { ...process.env, TMPDIR: scratch }, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout) as { sum: number; name: string; area: number; stack: string };
}

describe('the TypeScript module hooks', () => {
  it('runs TypeScript imported by .js paths, keeps function names, and maps stacks to the .ts source', () => {
    const out = run();
    expect(out.sum).toBe(5);
    expect(out.area).toBe(16);
    expect(out.name).toBe('addN');
    expect(out.stack).toContain('negative side');
    // the throw is on line 6 of helper.ts and the call on line 12 of entry.ts
    expect(out.stack).toMatch(/helper\.ts:6:\d+/);
    expect(out.stack).toMatch(/entry\.ts:12:\d+/);
  });

  it('compiles without keepNames wrappers, caches by content, and reuses the cache', () => {
    run();
    const cacheDir = readdirSync(scratch).find((d) => d.startsWith('parley-ts-'));
    expect(cacheDir).toBeDefined();
    const files = readdirSync(join(scratch, cacheDir!)).filter((f) => f.endsWith('.mjs'));
    expect(files).toHaveLength(2); // entry.ts and helper.ts, compiled once across both runs
    for (const f of files) {
      const code = readFileSync(join(scratch, cacheDir!, f), 'utf8');
      expect(code).not.toContain('__name');
      // the map is a file beside the code: V8 keeps each module's source string for the
      // process's life, so an inline map would stay in memory twice
      expect(code).not.toContain('data:application/json');
      const path = /\/\/# sourceMappingURL=(\/\S+)\n$/.exec(code)?.[1];
      expect(path).toBeDefined();
      const map = JSON.parse(readFileSync(new URL(path!, 'file:///'), 'utf8')) as { sources: string[]; sourcesContent?: string[]; mappings: string };
      expect(map.sources).toHaveLength(1);
      expect(map.sources[0]).toMatch(/test\/fixtures\/ts-hooks\/(entry|helper)\.ts$/);
      // with the TypeScript source, so a stack trace is formatted without reading the .ts file
      expect(map.sourcesContent?.[0]).toBe(readFileSync(map.sources[0]!, 'utf8'));
      expect(map.mappings.length).toBeGreaterThan(0);
    }
  });
});
