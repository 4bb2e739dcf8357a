/**
 * `parley contact export|erase` through the real `parley` binary, on SQLite and PostgreSQL:
 * the export writes the subject access document (to --out or standard output) and is audited
 * as the CLI; the erasure asks first (anything but "yes" erases nothing), then erases like the
 * API, audited with actor `system:cli`; mistakes are one line on stderr and exit 1 (a bad
 * argument: the usage, exit 2).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
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
    expect(audits.map((a) => [a.action, a.actor])).toEqual([['contact.exported', 'system:cli'], ['contact.exported', 'system:cli'], ['contact.erased', 'system:cli']]);
    expect(JSON.parse(audits[2]!.data)).toMatchObject({ reason: 'GDPR request #9', messagesRedacted: 1 });

    // --yes does not ask; the brand's own account is refused in one line
    await store.db.insertInto('contact_identity').values({ brand_id: brandId, contact_id: (await store.db.insertInto('contact').values({ brand_id: brandId, display_name: 'Acme', created_at: now, updated_at: now }).returning('id').executeTakeFirstOrThrow()).id, network: 'x', network_user_id: 'acme-own', handle: 'AcmeCare', verified: 0, created_at: now, updated_at: now }).execute();
    await store.db.updateTable('channel_account').set({ external_id: 'acme-own' }).where('id', '=', accountId).execute();
    const own = Number((await store.db.selectFrom('contact_identity').select('contact_id').where('network_user_id', '=', 'acme-own').executeTakeFirstOrThrow()).contact_id);
    const refused = parley(['contact', 'erase', String(own), '--reason', 'testing the refusal', '--yes']);
    expect(refused.status).toBe(1);
    expect(oneLine(refused.stderr)).toMatch(/^parley contact: this contact is one of the brand's own accounts/);
    expect(existsSync(out)).toBe(true);
  });
});
