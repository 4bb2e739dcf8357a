/**
 * Setting up a desk from the command line, without the demo: `parley brand add` (with its
 * IANA time zone), `parley brand set-timezone` (reports re-filed under the new zone),
 * `parley user add` on the only brand or the one `--brand` names, printing the generated
 * password once. People are checked by one rule in the domain (createUser), so the CLI,
 * the admin API and the demo agree: a whole capacity 0–1000, a name, an email, a role.
 * A person's mistake — a bad setting, a refused value, a database that is not there, a bad
 * brand slug — is one line on stderr and exit 1, never a stack trace (unless --debug).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { setBrandTimezone } from '../src/cli/commands/brand.js';
import { createBrand, createUser, ValidationError } from '../src/commands/setup.js';
import { EventBus } from '../src/events/bus.js';
import { importTwcs } from '../src/import/importTwcs.js';
import { TWCS_COLUMNS } from '../src/import/twcs.js';
import { ManualClock } from '../src/lib/clock.js';
import { verifyPassword } from '../src/lib/password.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { runReport } from '../src/reports/reports.js';
import { createTestDatabase, describeEachStore, type TestDatabase } from './db.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-setup-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Run the real `parley` binary on its own data dir, without a DATABASE_URL from the environment. */
function parley(args: string[], dataDir: string, env: NodeJS.ProcessEnv = {}) {
  const e: NodeJS.ProcessEnv = { ...process.env, PARLEY_DATA_DIR: dataDir, LOG_LEVEL: 'warn', ...env };
  delete e.DATABASE_URL;
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete e[k];
  return spawnSync(process.execPath, ['bin/parley.js', ...args], { encoding: 'utf8', env: e, timeout: 60_000 });
}

/** One line on stderr, no stack frames. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/\.ts:\d+/);
  return lines[0]!;
}

function sqlite(dataDir: string) {
  return new BetterSqlite3(join(dataDir, 'parley.db'), { readonly: true });
}

describe('a desk without the demo, from the command line', () => {
  it('adds a brand with its time zone, then its first admin, whose generated password is printed once and works', async () => {
    const dataDir = join(dir, 'fresh');
    const before = parley(['user', 'add', '--email', 'ada@acme.example', '--name', 'Ada', '--role', 'admin'], dataDir);
    expect(before.status).toBe(1);
    expect(oneLine(before.stderr)).toMatch(/no brand yet: add one with `parley brand add --slug/);

    const badZone = parley(['brand', 'add', '--slug', 'acme', '--name', 'Acme', '--timezone', 'Mars/Olympus_Mons'], dataDir);
    expect(badZone.status).toBe(1);
    expect(oneLine(badZone.stderr)).toMatch(/unknown time zone "Mars\/Olympus_Mons"/);

    const badSlug = parley(['brand', 'add', '--slug', 'Bad Slug!', '--name', 'Acme'], dataDir);
    expect(badSlug.status).toBe(1);
    expect(oneLine(badSlug.stderr)).toMatch(/brand slug "Bad Slug!" must be/);

    // before any brand: the list says so, and how to add one
    const none = parley(['brand', 'list'], dataDir);
    expect(none.status).toBe(0);
    expect(none.stdout).toMatch(/^no brands yet in .*: add one with parley brand add/);

    const brand = parley(['brand', 'add', '--slug', 'acme', '--name', 'Acme Ltd', '--timezone', 'Europe/London'], dataDir);
    expect(brand.stderr).toBe('');
    expect(brand.status).toBe(0);
    expect(brand.stdout).toMatch(/created brand \d+ "acme" \(Acme Ltd, time zone Europe\/London\)/);
    const again = parley(['brand', 'add', '--slug', 'acme', '--name', 'Acme'], dataDir);
    expect(again.status).toBe(1);
    expect(oneLine(again.stderr)).toMatch(/a brand "acme" already exists/);

    const user = parley(['user', 'add', '--email', 'Ada@Acme.example', '--name', '  Ada Admin ', '--role', 'admin'], dataDir);
    expect(user.stderr).toBe('');
    expect(user.status).toBe(0);
    expect(user.stdout).toMatch(/created user \d+ <ada@acme\.example> \(admin\) in brand acme/);
    const password = /password: (\S+)/.exec(user.stdout)?.[1];
    expect(password).toBeTruthy();

    const db = sqlite(dataDir);
    try {
      expect(db.prepare('select slug, name, timezone from brand').all()).toEqual([{ slug: 'acme', name: 'Acme Ltd', timezone: 'Europe/London' }]);
      const row = db.prepare('select name, role, password_hash from app_user where email = ?').get('ada@acme.example') as { name: string; role: string; password_hash: string };
      expect(row.name).toBe('Ada Admin');
      expect(row.role).toBe('admin');
      expect(row.password_hash).not.toContain(password!);
      expect(await verifyPassword(password!, row.password_hash)).toBe(true);
    } finally {
      db.close();
    }

    // a second brand: then the CLI asks which
    expect(parley(['brand', 'add', '--slug', 'globex', '--name', 'Globex'], dataDir).status).toBe(0);
    const which = parley(['user', 'add', '--email', 'bo@globex.example', '--name', 'Bo'], dataDir);
    expect(which.status).toBe(1);
    expect(oneLine(which.stderr)).toMatch(/there are 2 brands \(acme, globex\): say which with --brand <slug>/);
    const named = parley(['user', 'add', '--email', 'bo@globex.example', '--name', 'Bo', '--brand', 'globex'], dataDir);
    expect(named.status).toBe(0);
    expect(named.stdout).toMatch(/in brand globex/);
    const list = parley(['user', 'list', '--brand', 'globex'], dataDir);
    expect(list.stdout).toMatch(/bo@globex\.example/);
    expect(list.stdout).not.toMatch(/ada@acme/);

    const tz = parley(['brand', 'set-timezone', 'America/New_York', '--brand', 'acme'], dataDir);
    expect(tz.stderr).toBe('');
    expect(tz.stdout).toMatch(/brand acme: time zone Europe\/London → America\/New_York/);
    const badTz = parley(['brand', 'set-timezone', 'Europe/Nowhere', '--brand', 'acme'], dataDir);
    expect(badTz.status).toBe(1);
    expect(oneLine(badTz.stderr)).toMatch(/unknown time zone "Europe\/Nowhere"/);
    expect(parley(['brand', 'list'], dataDir).stdout).toMatch(/acme\s+America\/New_York\s+Acme Ltd/);
  }, 180_000);

  it('refuses what the admin API refuses — a fractional, negative or huge capacity, a blank name, a bad email — in one line, storing nothing', () => {
    const dataDir = join(dir, 'validate');
    expect(parley(['brand', 'add', '--slug', 'acme', '--name', 'Acme'], dataDir).status).toBe(0);
    const cases: [string[], RegExp][] = [
      [['--capacity=1.5'], /capacity .* a whole number from 0 to 1000, not 1\.5/],
      [['--capacity=-5'], /a whole number from 0 to 1000, not -5/],
      [['--capacity=1001'], /a whole number from 0 to 1000/],
      [['--name', '   '], /a person needs a name/],
      [['--email', 'not-an-email'], /"not-an-email" is not an email address/],
      [['--email', 'a b@c.example'], /is not an email address/],
    ];
    for (const [extra, message] of cases) {
      const args = ['user', 'add', '--email', 'cap@acme.example', '--name', 'Cap'];
      for (let i = 0; i < extra.length; i++) {
        const flag = extra[i]!.split('=')[0]!;
        const at = args.indexOf(flag);
        if (at >= 0 && !extra[i]!.includes('=')) {
          args[at + 1] = extra[i + 1]!;
          i++;
        } else args.push(extra[i]!);
      }
      const r = parley(args, dataDir);
      expect(r.status, extra.join(' ')).toBe(1);
      expect(oneLine(r.stderr)).toMatch(message);
      expect(r.stdout).toBe('');
    }
    const db = sqlite(dataDir);
    try {
      expect(db.prepare('select count(*) as n from app_user').get()).toEqual({ n: 0 });
    } finally {
      db.close();
    }
    const bad = parley(['user', 'add', '--email', 'r@acme.example', '--name', 'R', '--role', 'boss'], dataDir);
    expect(bad.status).toBe(2); // a flag outside its list is a usage error
    expect(bad.stderr).toMatch(/--role must be one of agent, expert, approver, admin/);
  }, 120_000);
});

describe('createUser: one rule for the CLI, the API and the demo', () => {
  let t: TestDatabase;
  let brandId: number;
  beforeAll(async () => {
    t = await createTestDatabase('sqlite');
    brandId = await createBrand(t.store.db, { slug: 'rules', name: 'Rules' }, Date.now());
  });
  afterAll(() => t.drop());

  it('refuses a capacity that is not a whole number 0–1000, a blank or overlong name, a bad email or role', async () => {
    const base: Parameters<typeof createUser>[1] = { brandId, email: 'p@rules.example', name: 'P', role: 'agent', password: 'correct horse battery' };
    const refused: [Record<string, unknown>, RegExp][] = [
      [{ capacity: 1.5 }, /whole number/],
      [{ capacity: -5 }, /whole number/],
      [{ capacity: 1001 }, /whole number/],
      [{ capacity: Number.NaN }, /whole number/],
      [{ name: '   ' }, /needs a name/],
      [{ name: 'x'.repeat(201) }, /at most 200/],
      [{ email: 'nobody' }, /not an email address/],
      [{ email: 'a@b..c' }, /not an email address/],
      [{ email: `${'x'.repeat(320)}@b.example` }, /not an email address/],
      [{ role: 'boss' }, /role must be one of/],
    ];
    for (const [patch, message] of refused) {
      const props = { ...base, ...patch } as Parameters<typeof createUser>[1];
      await expect(createUser(t.store.db, props, Date.now()), JSON.stringify(patch)).rejects.toThrow(ValidationError);
      await expect(createUser(t.store.db, props, Date.now())).rejects.toThrow(message);
    }
    expect(await t.store.db.selectFrom('app_user').select('id').execute()).toEqual([]);
    const id = await createUser(t.store.db, { ...base, name: '  Pat  ', capacity: 0 }, Date.now());
    expect(await t.store.db.selectFrom('app_user').select(['name', 'capacity']).where('id', '=', id).executeTakeFirst()).toEqual({ name: 'Pat', capacity: 0 });
    await createUser(t.store.db, { ...base, email: 'q@rules.example', capacity: 1000 }, Date.now());
  });
});

describe('parley user add on PostgreSQL', () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase('postgres');
    await createBrand(t.store.db, { slug: 'pgdesk', name: 'PG desk' }, Date.now());
  });
  afterAll(() => t.drop());

  it('refuses --capacity=1.5 in one line instead of a stack trace from the integer column', () => {
    const r = parley(['user', 'add', '--email', 'f@pg.example', '--name', 'F', '--capacity=1.5', '--database-url', t.databaseUrl!], join(dir, 'pg-unused'));
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/a whole number from 0 to 1000, not 1\.5/);
    const ok = parley(['user', 'add', '--email', 'g@pg.example', '--name', 'G', '--capacity=3', '--database-url', t.databaseUrl!], join(dir, 'pg-unused'));
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toMatch(/in brand pgdesk\npassword: \S+/);
  });
});

describe('user errors are one line, exit 1, no stack trace', () => {
  it('a bad setting outside `start`: --database-url foo://x, LOG_LEVEL=bogus', () => {
    const dataDir = join(dir, 'errors');
    const url = parley(['user', 'list', '--database-url', 'foo://x'], dataDir);
    expect(url.status).toBe(1);
    expect(oneLine(url.stderr)).toMatch(/^parley user: invalid configuration: DATABASE_URL: .*postgres:\/\//);
    const level = parley(['user', 'list'], dataDir, { LOG_LEVEL: 'bogus' });
    expect(level.status).toBe(1);
    expect(oneLine(level.stderr)).toMatch(/^parley user: invalid configuration: LOG_LEVEL: /);
  });

  it('a database that does not exist names the reason, not "migration  failed"', () => {
    const u = new URL(inject('pgUrl'));
    u.pathname = '/parley_no_such_db';
    const r = parley(['migrate', '--database-url', u.toString()], join(dir, 'errors'));
    expect(r.status).toBe(1);
    const line = oneLine(r.stderr);
    expect(line).toMatch(/^parley migrate: cannot use the PostgreSQL database: database "parley_no_such_db" does not exist\. Check --database-url/);
    expect(line).not.toMatch(/migration\s+failed/);
    const refused = parley(['user', 'list', '--database-url', 'postgres://127.0.0.1:1/x'], join(dir, 'errors'));
    expect(refused.status).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/cannot use the PostgreSQL database: .*ECONNREFUSED/);
  });

  it('a bad --brand slug for an import is refused before anything is read or opened', () => {
    const file = join(dir, 'ok.csv');
    writeFileSync(file, `${TWCS_COLUMNS.join(',')}\n10,555,True,Tue Oct 31 22:00:00 +0000 2017,@BrandCare help,,\n`);
    const r = parley(['import', 'twcs', file, '--brand', 'Bad Slug!'], join(dir, 'errors-import'));
    expect(r.status).toBe(1);
    expect(oneLine(r.stderr)).toMatch(/^parley import: --brand: brand slug "Bad Slug!" must be/);
  });

  it('--debug (or LOG_LEVEL=debug) adds the stack trace', () => {
    const r = parley(['user', 'list', '--brand', 'nope', '--debug'], join(dir, 'errors'));
    expect(r.status).toBe(1);
    expect(r.stderr.split('\n')[0]).toMatch(/^parley user: no brand "nope"/);
    expect(r.stderr).toMatch(/^\s+at /m);
    const viaLevel = parley(['user', 'list', '--database-url', 'postgres://127.0.0.1:1/x'], join(dir, 'errors'), { LOG_LEVEL: 'debug' });
    expect(viaLevel.stderr).toMatch(/^\s+at /m);
  });
});

/** A small TWCS file: customer tweets spread over a week of hours, each answered; ids offset so two brands can hold a copy. */
function twcsWeek(idBase: number, handle: string): string {
  const rows = [TWCS_COLUMNS.join(',')];
  const fmt = (t: number) => new Date(t).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '+00:00');
  for (let i = 0; i < 60; i++) {
    const at = Date.UTC(2017, 9, 30) + i * 2.9 * 3600_000;
    const id = idBase + 2 * i;
    rows.push(`${id},${idBase + i}c,True,${fmt(at)},@${handle} help ${i},${id + 1},`);
    rows.push(`${id + 1},${handle},False,${fmt(at + 600_000)},@${idBase + i}c on it,,${id}`);
  }
  return rows.join('\n') + '\n';
}

describeEachStore('parley brand set-timezone', (get) => {
  it('re-files the facts already recorded: reports read as if the brand had always been in the new zone', async () => {
    const { store } = get();
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const now = clock.now();
    const moved = await createBrand(store.db, { slug: 'moved', name: 'Moved', timezone: 'UTC' }, now);
    const born = await createBrand(store.db, { slug: 'born', name: 'Born', timezone: 'America/New_York' }, now);
    const a = join(dir, `moved-${store.dialect}.csv`);
    const b = join(dir, `born-${store.dialect}.csv`);
    writeFileSync(a, twcsWeek(1_000_000, 'MovedCare'));
    writeFileSync(b, twcsWeek(2_000_000, 'BornCare'));
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock });
    expect((await importTwcs(store, pipeline, a, { brandSlug: 'moved' })).stored).toBe(120);
    expect((await importTwcs(store, pipeline, b, { brandSlug: 'born' })).stored).toBe(120);
    const range = { from: Date.UTC(2017, 9, 1), to: Date.UTC(2017, 11, 1) };
    const volume = async (brandId: number) => (await runReport(store, 'volume', { brandId, ...range }, now)) as { total: number; by_hour_of_week: number[]; by_day: unknown };
    const bornVolume = await volume(born);
    const before = await volume(moved);
    expect(before.total).toBe(60);
    expect(before.by_hour_of_week).not.toEqual(bornVolume.by_hour_of_week);

    const refiled = await setBrandTimezone(store, moved, 'America/New_York');
    expect(refiled).toBeGreaterThan(0);
    const after = await volume(moved);
    expect(after.total).toBe(60);
    expect(after.by_hour_of_week).toEqual(bornVolume.by_hour_of_week);
    expect(after.by_day).toEqual(bornVolume.by_day);
    expect((await store.db.selectFrom('brand').select('timezone').where('id', '=', moved).executeTakeFirstOrThrow()).timezone).toBe('America/New_York');
    // once more to the same zone: nothing to move
    expect(await setBrandTimezone(store, moved, 'America/New_York')).toBe(0);
    await expect(setBrandTimezone(store, moved, 'Nowhere/Else')).rejects.toThrow(/unknown time zone/);
  });
});
