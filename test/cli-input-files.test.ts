/**
 * CLI commands that read a file the user names (`parley import twcs <file>`,
 * `parley report response-times --twcs <file>`, `parley eval --file/--model`): a file
 * that cannot be used — a wrong header, empty, missing, a directory — gets one line on
 * stderr naming the file and what was expected, a non-zero exit, no stack trace, and
 * nothing half-done (the import opens no database).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runReport } from '../src/cli/commands/report.js';
import { TWCS_COLUMNS } from '../src/import/twcs.js';

let dir: string;
let files: { wrongHeader: string; empty: string; brokenHeader: string; folder: string; missing: string; good: string };

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-files-'));
  const at = (name: string, text: string) => (writeFileSync(join(dir, name), text), join(dir, name));
  files = {
    wrongHeader: at('wrong-header.csv', 'id,user,message\n1,2,hello there\n'),
    empty: at('empty.csv', ''),
    brokenHeader: at('broken-header.csv', '"tweet_id,author_id\n1,2\n'),
    folder: join(dir, 'a-folder'),
    missing: join(dir, 'no-such.csv'),
    good: at('good.csv', `${TWCS_COLUMNS.join(',')}\n10,555,True,Tue Oct 31 22:00:00 +0000 2017,@BrandCare help,11,\n11,BrandCare,False,Tue Oct 31 22:12:00 +0000 2017,@555 on it,,10\n`),
  };
  mkdirSync(files.folder);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the real `parley` binary, without a DATABASE_URL from the environment. */
function parley(args: string[], dataDir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  return spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', env, timeout: 60_000 });
}

/** One line on stderr, no stack frames. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/\.ts:\d+/);
  return lines[0]!;
}

describe('parley import twcs <file> with a file it cannot use', () => {
  it('names the file and the header expected when the header is wrong, exits 1 and imports nothing', () => {
    const dataDir = join(dir, 'data-header');
    const r = parley(['import', 'twcs', files.wrongHeader, '--data-dir', dataDir], dataDir);
    expect(r.status).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toContain(`parley import: ${files.wrongHeader} is not a TWCS file`);
    expect(line).toContain(TWCS_COLUMNS.join(','));
    expect(line).toContain('found: id,user,message');
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/importing/);
    // not even a database was opened
    expect(existsSync(dataDir) ? readdirSync(dataDir) : []).toEqual([]);
  });

  it('says so for an empty file, a header that is not CSV, a directory and a missing file', () => {
    const dataDir = join(dir, 'data-other');
    const cases: [string, RegExp][] = [
      [files.empty, /is empty: expected a header line with the columns tweet_id,author_id,/],
      [files.brokenHeader, /is not a TWCS file: its first line cannot be read as a CSV header/],
      [files.folder, /: not a file/],
      [files.missing, /: no such file/],
    ];
    for (const [file, message] of cases) {
      const r = parley(['import', 'twcs', file, '--data-dir', dataDir], dataDir);
      expect(r.status, file).toBe(1);
      const line = oneLine(r.stderr);
      expect(line).toContain(`parley import: ${file}`);
      expect(line).toMatch(message);
    }
  });
});

describe('parley report response-times --twcs <file> with a file it cannot use', () => {
  async function report(file: string) {
    let out = '';
    let err = '';
    const code = await runReport(['response-times', '--twcs', file, '--json'], { out: (t) => void (out += t), err: (t) => void (err += t) });
    return { code, out, err };
  }

  it('names the file and the header expected when the header is wrong, instead of skipping every row', async () => {
    const r = await report(files.wrongHeader);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    const line = oneLine(r.err);
    expect(line).toContain(`parley report response-times: ${files.wrongHeader} is not a TWCS file`);
    expect(line).toContain('tweet_id,author_id,inbound,created_at,in_response_to_tweet_id');
    expect(line).not.toMatch(/line 2/);
  });

  it('refuses an empty file, a header that is not CSV, a directory and a missing file in one line each', async () => {
    for (const [file, message] of [
      [files.empty, /is empty: expected a header line/],
      [files.brokenHeader, /its first line cannot be read as a CSV header/],
      [files.folder, /: not a file/],
      [files.missing, /: no such file/],
    ] as const) {
      const r = await report(file);
      expect(r.code, file).toBe(1);
      expect(oneLine(r.err)).toMatch(message);
    }
  });

  it('still measures a good file', async () => {
    const r = await report(files.good);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).overall.n).toBe(1);
  });

  it('exits 1 with one line from the binary too', () => {
    const r = parley(['report', 'response-times', '--twcs', files.wrongHeader], join(dir, 'data-report'));
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/is not a TWCS file/);
  });
});

describe('parley eval with a model file it cannot use', () => {
  it('names the model file in one line, without a stack trace', () => {
    const r = parley(['eval', 'spam', '--file', 'test/fixtures/triage/sms_spam.csv', '--model', files.wrongHeader], join(dir, 'data-eval'));
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toContain(`parley eval: --model ${files.wrongHeader}: `);
  });
});
