/**
 * `parley contact export|erase` through the real `parley` binary, on SQLite and PostgreSQL:
 * the export writes the subject access document (to --out or standard output) and is audited
 * as the CLI; the erasure asks first (anything but "yes" erases nothing), then erases like the
 * API, audited with actor `system:cli`; mistakes are one line on stderr and exit 1 (a bad
 * argument: the usage, exit 2).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createBrand, createChannelAccount } from '../src/commands/setup.js';
import { EventBus } from '../src/events/bus.js';
import { systemClock } from '../src/lib/clock.js';
import { IngestPipeline } from '../src/pipeline/ingest.js';
import { describeEachStore } from './db.js';
import { mention } from './helpers/parley.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'parley-cli-contact-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** One line on stderr, no stack frames. */
function oneLine(stderr: string): string {
  const lines = stderr.trimEnd().split('\n');
  expect(lines, stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describeEachStore('parley contact export|erase', (get, dialect) => {
  /** The real binary on the test database (its SQLite file's directory, or its PostgreSQL URL). */
  const parley = (args: string[], input = '') => {
    const t = get();
    const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete e.DATABASE_URL;
    const where = t.databaseUrl ? ['--database-url', t.databaseUrl] : ['--data-dir', dirname(t.sqliteFile!)];
    return spawnSync(process.execPath, ['bin/parley.js', ...args, ...where], { encoding: 'utf8', env: e, input, timeout: 60_000 });
  };

  it('exports a customer, and erases them only after a "yes" (or with --yes), audited as the CLI', async () => {
    const { store } = get();
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: 'acme', name: 'Acme' }, now);
    const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'AcmeCare', driver: 'demo' }, now);
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: systemClock });
    const author = { networkUserId: `cli-${dialect}`, handle: 'cli_person', displayName: 'Cleo Lindqvist', followers: 2 };
    const [o] = await pipeline.ingest(brandId, [{ channelAccountId: accountId, source: 'api', message: mention({ author, text: '@AcmeCare my flamingoquartz parcel' }) }]);
    expect(o!.status).toBe('stored');
    const contactId = Number((await store.db.selectFrom('contact_identity').select('contact_id').where('network_user_id', '=', author.networkUserId).executeTakeFirstOrThrow()).contact_id);

    // export: to a file, then to standard output
    const out = join(dir, `export-${dialect}.json`);
    const exp = parley(['contact', 'export', String(contactId), '--out', out]);
    expect(exp.stderr).toBe('');
    expect(exp.status).toBe(0);
    expect(exp.stdout).toMatch(new RegExp(`^exported contact ${contactId} to .*export-${dialect}\\.json \\(\\d+ bytes\\)\\n$`));
    const doc = JSON.parse(readFileSync(out, 'utf8'));
    expect(doc.contact.id).toBe(contactId);
    expect(doc.messagesWritten.map((m: { text: string }) => m.text)).toEqual(['@AcmeCare my flamingoquartz parcel']);
    const again = parley(['contact', 'export', String(contactId), '--out', out]);
    expect(again.status).toBe(1);
    expect(oneLine(again.stderr)).toMatch(/^parley contact: cannot write .*: the file exists/);
    const piped = parley(['contact', 'export', String(contactId)]);
    expect(piped.status).toBe(0);
    expect(JSON.parse(piped.stdout).identities[0].handle).toBe('cli_person');

    // mistakes: one line, exit 1; bad arguments: the usage, exit 2
    const missing = parley(['contact', 'export', '999999']);
    expect(missing.status).toBe(1);
    expect(oneLine(missing.stderr)).toBe('parley contact: no contact 999999 in brand acme');
    const noReason = parley(['contact', 'erase', String(contactId)]);
    expect(noReason.status).toBe(2);
    expect(noReason.stderr).toMatch(/^parley contact: --reason is required/);

    // not confirmed: nothing erased
    const no = parley(['contact', 'erase', String(contactId), '--reason', 'GDPR request #9'], 'no\n');
    expect(no.status).toBe(1);
    expect(no.stderr).toMatch(/Type "yes" to erase: /);
    expect(no.stderr.split('Type "yes" to erase: ')[1]).toBe('parley contact: not erased: the answer was not "yes" (give --yes to erase without asking)\n');
    expect((await store.db.selectFrom('message').select('text').where('id', '=', (o as { messageId: number }).messageId).executeTakeFirstOrThrow()).text).toContain('flamingoquartz');

    const yes = parley(['contact', 'erase', String(contactId), '--reason', 'GDPR request #9'], 'yes\n');
    expect(yes.status, yes.stderr).toBe(0);
    expect(yes.stdout).toMatch(new RegExp(`^erased contact ${contactId}: 1 message\\(s\\) redacted, 1 identity erased`));
    const m = await store.db.selectFrom('message').select(['text', 'redacted_reason']).where('id', '=', (o as { messageId: number }).messageId).executeTakeFirstOrThrow();
    expect(m).toEqual({ text: '', redacted_reason: 'erasure' });
    const audits = await store.db.selectFrom('audit_event').select(['action', 'actor', 'data']).where('subject_type', '=', 'contact').where('subject_id', '=', String(contactId)).orderBy('id').execute();
    expect(audits.map((a) => [a.action, a.actor])).toEqual([
      ['contact.export_started', 'system:cli'], ['contact.exported', 'system:cli'], ['contact.export_started', 'system:cli'], ['contact.exported', 'system:cli'], ['contact.erased', 'system:cli'],
    ]);
    expect(JSON.parse(audits[4]!.data)).toMatchObject({ reason: 'GDPR request #9', messagesRedacted: 1 });

    // --yes does not ask; the brand's own account is refused in one line
    await store.db.insertInto('contact_identity').values({ brand_id: brandId, contact_id: (await store.db.insertInto('contact').values({ brand_id: brandId, display_name: 'Acme', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id, network: 'x', network_user_id: 'acme-own', handle: 'AcmeCare', verified: 0, created_at: now, updated_at: now }).execute();
    await store.db.updateTable('channel_account').set({ external_id: 'acme-own' }).where('id', '=', accountId).execute();
    const own = Number((await store.db.selectFrom('contact_identity').select('contact_id').where('network_user_id', '=', 'acme-own').executeTakeFirstOrThrow()).contact_id);
    const refused = parley(['contact', 'erase', String(own), '--reason', 'testing the refusal', '--yes']);
    expect(refused.status).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/^parley contact: this contact is one of the brand's own accounts/);
    expect(existsSync(out)).toBe(true);
  });

  it('an export the database fails part way exits 1, leaves no file, and is audited as failed', async () => {
    const { store } = get();
    const now = Date.now();
    const brandId = await createBrand(store.db, { slug: 'broken', name: 'Broken' }, now);
    const accountId = await createChannelAccount(store.db, { brandId, network: 'x', handle: 'BrokenCare', driver: 'demo' }, now);
    const pipeline = new IngestPipeline({ store, bus: new EventBus(), clock: systemClock });
    const author = { networkUserId: `cut-${dialect}`, handle: 'cut_short', displayName: 'Cut Short', followers: 2 };
    await pipeline.ingest(brandId, [{ channelAccountId: accountId, source: 'api', message: mention({ author, text: '@BrokenCare my parcel' }) }]);
    const contactId = Number((await store.db.selectFrom('contact_identity').select('contact_id').where('network_user_id', '=', author.networkUserId).executeTakeFirstOrThrow()).contact_id);
    const outDir = join(dir, `cut-${dialect}`);
    mkdirSync(outDir);
    const out = join(outDir, 'export.json');

    // the notes are read after the messages: the document is part written when the database fails
    await sql`ALTER TABLE note RENAME TO note_gone`.execute(store.db);
    let toFile, piped;
    try {
      toFile = parley(['contact', 'export', String(contactId), '--out', out, '--brand', 'broken']);
      piped = parley(['contact', 'export', String(contactId), '--brand', 'broken']);
    } finally {
      await sql`ALTER TABLE note_gone RENAME TO note`.execute(store.db);
    }
    expect(toFile.status).toBe(1);
    expect(oneLine(toFile.stderr)).toMatch(/^parley contact: the export failed part way \(.*note.*\): nothing was written to .*export\.json$/);
    expect(toFile.stdout).toBe('');
    // neither the name nor a temporary file is left
    expect(readdirSync(outDir)).toEqual([]);
    // standard output cannot be taken back: what was written is said to be incomplete, exit 1
    expect(piped.status).toBe(1);
    expect(piped.stdout).toContain('"messagesWritten":[');
    expect(() => JSON.parse(piped.stdout)).toThrow();
    expect(oneLine(piped.stderr)).toMatch(/^parley contact: the export failed part way \(.*note.*\): what was written to standard output is incomplete/);
    const audits = await store.db.selectFrom('audit_event').select(['action', 'actor', 'data']).where('subject_type', '=', 'contact').where('subject_id', '=', String(contactId)).orderBy('id').execute();
    expect(audits.map((a) => [a.action, a.actor])).toEqual([
      ['contact.export_started', 'system:cli'], ['contact.export_failed', 'system:cli'], ['contact.export_started', 'system:cli'], ['contact.export_failed', 'system:cli'],
    ]);
    expect(JSON.parse(audits[1]!.data).error).toMatch(/note/);

    // the database back: the export completes under its name, and nothing else is left beside it
    const ok = parley(['contact', 'export', String(contactId), '--out', out, '--brand', 'broken']);
    expect(ok.status, ok.stderr).toBe(0);
    expect(readdirSync(outDir)).toEqual(['export.json']);
    expect(JSON.parse(readFileSync(out, 'utf8')).messagesWritten).toHaveLength(1);
  });

  it.runIf(dialect === 'postgres')('an export still being written is not under its name yet', async () => {
    const { store, databaseUrl } = get();
    const brand = await store.db.selectFrom('brand').select('id').where('slug', '=', 'broken').executeTakeFirstOrThrow();
    const identity = await store.db.selectFrom('contact_identity').select('contact_id').where('brand_id', '=', brand.id).executeTakeFirstOrThrow();
    const outDir = join(dir, `running-${dialect}`);
    mkdirSync(outDir);
    const out = join(outDir, 'export.json');
    const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
    delete e.DATABASE_URL;
    // the notes held by a lock: the export writes its first lists and waits there
    const seen = await store.db.transaction().execute(async (trx) => {
      await sql`LOCK TABLE note IN ACCESS EXCLUSIVE MODE`.execute(trx);
      const child = spawn(process.execPath, ['bin/parley.js', 'contact', 'export', String(identity.contact_id), '--out', out, '--brand', 'broken', '--database-url', databaseUrl!], { env: e, stdio: 'ignore' });
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      const written = () => readdirSync(outDir).some((f) => readFileSync(join(outDir, f), 'utf8').includes('"messagesWritten":['));
      for (let i = 0; i < 300 && !written(); i++) await new Promise((r) => setTimeout(r, 100));
      const files = readdirSync(outDir);
      return { written: written(), files, exited };
    });
    expect(seen.written).toBe(true);
    expect(seen.files).not.toContain('export.json');
    expect(await seen.exited).toBe(0);
    expect(readdirSync(outDir)).toEqual(['export.json']);
    expect(JSON.parse(readFileSync(out, 'utf8')).messagesWritten).toHaveLength(1);
  });
});
