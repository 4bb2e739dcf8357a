/**
 * `parley import twcs` reports every row it did not import as a bad line, with its line and
 * reason, and re-importing a file changes nothing:
 * - a row the pipeline quarantines (its care account is disabled) is a bad line with the
 *   pipeline's reason, and its quarantine record is not added again on re-import;
 * - a tweet_id repeated later in the file with different content is a bad line naming the
 *   first line (which is imported), instead of "already present" with its text dropped;
 *   the same row repeated is no loss and not bad;
 * - the command exits 1 when every row is bad, `--json` lists the bad lines.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventBus } from '../src/events/bus.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { TWCS_COLUMNS } from '../src/import/twcs.js';
import { ManualClock } from '../src/lib/clock.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import type { Store } from '../src/store/db.js';
import { describeEachStore } from './db.js';

const NOW = Date.UTC(2026, 0, 1);
const HEADER = TWCS_COLUMNS.join(',');
const AT = 'Tue Oct 31 22:10:47 +0000 2017';

let dir: string;
const files: Record<string, string> = {};
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-import-report-'));
  const at = (name: string, lines: string[]) => {
    files[name] = join(dir, name);
    writeFileSync(files[name]!, [HEADER, ...lines].join('\n') + '\n');
  };
  at('first.csv', [
    `100,acmecare,False,${AT},@cust1 hello,,101`, // line 2
    `101,cust1,True,${AT},@acmecare help me,100,`, // line 3
  ]);
  at('repeats.csv', [
    `199,acmecare,False,${AT},@cust9 news,,`, // line 2
    `200,cust2,True,${AT},@acmecare first text,,`, // line 3
    `201,cust3,True,${AT},@acmecare same row twice,,`, // line 4
    `200,cust2,True,${AT},@acmecare DIFFERENT text,,`, // line 5
    `201,cust3,True,${AT},@acmecare same row twice,,`, // line 6
    `202,cust4,True,${AT},@acmecare fine,,`, // line 7
  ]);
  at('later.csv', [
    `300,acmecare,False,${AT},@cust5 hello,,301`, // line 2
    `301,cust5,True,${AT},@acmecare help me,300,`, // line 3
    `302,cust6,True,${AT},@acmecare another,,`, // line 4
  ]);
  at('allbad.csv', ['x,y,z', 'x,y,z', `abc,cust7,True,${AT},@acmecare not an id,,`]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const quarantine = (store: Store, brandId: number) =>
  store.db.selectFrom('quarantine').select(['line', 'reason']).where('brand_id', '=', brandId).orderBy('line').orderBy('id').execute();

describeEachStore('import twcs: bad lines', (get) => {
  it('imports into the demo brand, in the demo desk\'s time zone, when no brand is named', async () => {
    const { store } = get();
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(NOW) });
    const s = await importTwcs(store, pipeline, files['first.csv']!, {});
    const brand = await store.db.selectFrom('brand').select(['slug', 'name', 'timezone']).where('id', '=', s.brandId).executeTakeFirstOrThrow();
    expect(brand).toEqual({ slug: 'demo', name: 'Parley Demo', timezone: 'Europe/London' });
  });

  it('reports a repeated tweet_id with different content as a bad line naming the first, imports the first, and adds nothing on re-import', async () => {
    const { store } = get();
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(NOW) });
    const s = await importTwcs(store, pipeline, files['repeats.csv']!, { brandSlug: 'rep' });
    expect(s.bad).toEqual([{ line: 5, reason: 'tweet_id 200 is already on line 3 with different content (that line is imported)' }]);
    expect(s).toMatchObject({ rows: 6, stored: 4, duplicates: 1, quarantined: 1 });
    const text = await store.db.selectFrom('message').select('text').where('network_message_id', '=', '200').executeTakeFirstOrThrow();
    expect(text.text).toBe('@acmecare first text');
    const q1 = await quarantine(store, s.brandId);
    expect(q1).toEqual([{ line: 5, reason: expect.stringContaining('already on line 3') }]);

    const again = await importTwcs(store, pipeline, files['repeats.csv']!, { brandSlug: 'rep' });
    expect(again).toMatchObject({ stored: 0, duplicates: 5, quarantined: 1, bad: s.bad });
    expect(await quarantine(store, s.brandId)).toEqual(q1);
  });

  it('reports the rows the pipeline quarantines (a disabled care account) by line and reason, once in the quarantine however often imported', async () => {
    const { store } = get();
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: new ManualClock(NOW) });
    const first = await importTwcs(store, pipeline, files['first.csv']!, { brandSlug: 'off' });
    expect(first.stored).toBe(2);
    await store.db.updateTable('channel_account').set({ status: 'disabled' }).where('brand_id', '=', first.brandId).execute();
    pipeline.invalidateAccounts();
    const s = await importTwcs(store, pipeline, files['later.csv']!, { brandSlug: 'off' });
    const reason = expect.stringMatching(/^channel account \d+ \(@acmecare\) is disabled$/);
    expect(s).toMatchObject({ rows: 3, stored: 0, duplicates: 0, quarantined: 3 });
    expect(s.bad).toEqual([{ line: 2, reason }, { line: 3, reason }, { line: 4, reason }]);
    const q = await quarantine(store, s.brandId);
    expect(q).toEqual([{ line: 2, reason }, { line: 3, reason }, { line: 4, reason }]);
    const again = await importTwcs(store, pipeline, files['later.csv']!, { brandSlug: 'off' });
    expect(again.bad).toEqual(s.bad);
    expect(await quarantine(store, s.brandId)).toEqual(q);
  });
});

/** Run the real `parley` binary on SQLite in `dataDir`. */
function parley(args: string[], dataDir: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, PARLEY_DATA_DIR: dataDir };
  delete env.DATABASE_URL;
  return spawnSync(process.execPath, ['bin/parley.js', ...args, '--data-dir', dataDir], { encoding: 'utf8', env, timeout: 60_000 });
}

describe('parley import twcs: what it says and its exit status', () => {
  it('lists the lines of a disabled care account with the reason (--json too), exits 1 when every row is bad, 0 when rows are in', () => {
    const dataDir = join(dir, 'data-cli');
    const ok = parley(['import', 'twcs', files['first.csv']!, '--brand', 'cli'], dataDir);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^2 rows read: 2 stored, 0 already present, 0 quarantined \(0 bad lines\)/);
    // re-importing a good file stores nothing new and is no failure
    expect(parley(['import', 'twcs', files['first.csv']!, '--brand', 'cli'], dataDir).status).toBe(0);

    const Database = createRequire(import.meta.url)('better-sqlite3');
    const db = new Database(join(dataDir, 'parley.db'));
    db.prepare(`update channel_account set status = 'disabled'`).run();
    db.close();
    const off = parley(['import', 'twcs', files['later.csv']!, '--brand', 'cli'], dataDir);
    expect(off.status).toBe(1);
    expect(off.stdout).toMatch(/^3 rows read: 0 stored, 0 already present, 3 quarantined \(3 bad lines\)/);
    for (const line of [2, 3, 4]) expect(off.stderr).toMatch(new RegExp(`^line ${line}: channel account \\d+ \\(@acmecare\\) is disabled$`, 'm'));
    expect(off.stderr).toMatch(/nothing imported from .*later\.csv: all 3 rows are bad/);

    const json = parley(['import', 'twcs', files['later.csv']!, '--brand', 'cli', '--json'], dataDir);
    expect(json.status).toBe(1);
    const summary = JSON.parse(json.stdout);
    expect(summary).toMatchObject({ rows: 3, stored: 0, quarantined: 3 });
    expect(summary.bad.map((b: { line: number }) => b.line)).toEqual([2, 3, 4]);
    const q = new Database(join(dataDir, 'parley.db'), { readonly: true });
    expect(q.prepare('select count(*) as n from quarantine').get().n).toBe(3);
    q.close();
  });

  it('exits 1 for a file whose every row is bad, naming each line', () => {
    const dataDir = join(dir, 'data-allbad');
    const r = parley(['import', 'twcs', files['allbad.csv']!], dataDir);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^line 2: expected 7 fields, found 3$/m);
    expect(r.stderr).toMatch(/^line 4: tweet_id "abc" is not a numeric id$/m);
    expect(r.stdout).toMatch(/^3 rows read: 0 stored, 0 already present, 3 quarantined \(3 bad lines\)/);
  });
});
