/**
 * `parley contact export|erase`: the subject access export (GDPR Art. 15) and the erasure
 * (Art. 17) from the command line, for an operator answering a request without the web UI.
 * Both run the same commands as the API (src/commands/export.ts, src/commands/erase.ts),
 * acting as the system: audited with actor `system:cli`. An export to a file is written under a
 * temporary name and given its name only when whole: one that fails part way (the database)
 * exits 1 and leaves no file. The erasure cannot be undone, so it asks first (type "yes")
 * unless --yes is given.
 */
import { createWriteStream, existsSync, linkSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { eraseContact } from '../../commands/erase.js';
import { exportContact } from '../../commands/export.js';
import { systemActor } from '../../commands/context.js';
import { loadConfig } from '../../config.js';
import { EventBus } from '../../events/bus.js';
import { PgEventBridge } from '../../events/pgBridge.js';
import { systemClock } from '../../lib/clock.js';
import { resolveSecret, SecretBox, verifySecret } from '../../lib/secrets.js';
import { openStore } from '../../store/db.js';
import { parse, storeOptions } from '../args.js';
import { pickBrand } from '../brands.js';
import { CliError, UsageError, type Command } from '../command.js';

const command: Command = {
  summary: 'a customer\'s data: parley contact export <id> | erase <id> --reason …',
  usage: `Usage: parley contact export <id> [--out <file>] [--brand <slug>]
       parley contact erase <id> --reason "<why>" [--yes] [--brand <slug>]

export  everything Parley holds about the customer (contact) <id>, as one JSON
        document (a subject access request, GDPR Art. 15): to --out <file>, or
        to standard output. The export is audited. The file appears only when
        the document is whole; an export that fails part way exits 1.
erase   erase the customer (GDPR Art. 17): their messages redacted, their
        identities, name, CRM link and consent removed, notifications, quarantined
        deliveries and audit details naming them cleared; report counts kept.
        --reason says why (the request's reference), and is audited. It cannot
        be undone: it asks you to type "yes" first, unless --yes is given.
Contact ids are shown in the web UI and in the API (/api/contacts/<id>).
`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'export' && sub !== 'erase') throw new UsageError('expected "export" or "erase"');
    const { values, positionals } = parse(rest, { ...storeOptions, brand: { type: 'string' }, out: { type: 'string' }, reason: { type: 'string' }, yes: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError(`give the contact's id, e.g. parley contact ${sub} 42`);
    const id = Number(positionals[0]);
    if (!Number.isSafeInteger(id) || id <= 0) throw new UsageError(`the contact id must be a whole number, got "${positionals[0]}"`);
    if (sub === 'export' && (values.reason !== undefined || values.yes)) throw new UsageError('--reason and --yes are for erase');
    if (sub === 'erase' && values.out !== undefined) throw new UsageError('--out is for export');
    if (sub === 'erase' && (values.reason ?? '').trim().length < 3) throw new UsageError('--reason is required: say why the customer is erased (at least 3 characters), e.g. --reason "GDPR request #123"');

    const config = loadConfig(process.env, { databaseUrl: values['database-url'], dataDir: values['data-dir'] });
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const brand = await pickBrand(store, values.brand);
      const actor = systemActor(brand.id, 'cli');
      const contact = await store.db.selectFrom('contact').select(['id', 'display_name']).where('id', '=', id).where('brand_id', '=', brand.id).executeTakeFirst();
      if (!contact) throw new CliError(`no contact ${id} in brand ${brand.slug}`);

      if (sub === 'export') {
        const failed = (err: unknown, what: string) => new CliError(`the export failed part way (${err instanceof Error ? err.message : String(err)}): ${what}`, { cause: err });
        if (values.out === undefined) {
          const doc = await exportContact(store, actor, id, systemClock.now());
          try {
            for await (const chunk of doc.chunks) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
          } catch (err) {
            // the start is already out: say so, and exit non-zero so a pipe's reader knows
            throw failed(err, 'what was written to standard output is incomplete, not a whole document');
          }
          return 0;
        }
        // an export is never overwritten; the name is taken only by a whole document: written
        // under a temporary name beside it, linked to the name at the end (link refuses an
        // existing name), so a failed, killed or still running export never looks complete
        const out = resolve(values.out);
        const cannot = (code: string | undefined, err: unknown) => new CliError(`cannot write ${values.out}: ${code === 'EEXIST' ? 'the file exists (an export is not overwritten: give another name)' : code ?? (err as Error).message}`);
        if (existsSync(out)) throw cannot('EEXIST', null);
        const partial = join(dirname(out), `.${basename(out)}.${process.pid}.partial`);
        // the file first: an export that cannot be written is not audited as made
        const file = createWriteStream(partial, { flags: 'wx', mode: 0o600 });
        try {
          await new Promise<void>((resolve, reject) => {
            file.once('open', () => resolve());
            file.once('error', reject);
          });
        } catch (err) {
          throw cannot((err as NodeJS.ErrnoException).code, err);
        }
        let bytes = 0;
        try {
          try {
            const doc = await exportContact(store, actor, id, systemClock.now());
            for await (const chunk of doc.chunks) {
              bytes += Buffer.byteLength(chunk);
              if (!file.write(chunk)) await once(file, 'drain');
            }
          } catch (err) {
            throw failed(err, `nothing was written to ${values.out}`);
          }
          await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
          try {
            linkSync(partial, out);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            // a file system without hard links: a rename, after the same check
            if (code === 'EEXIST' || existsSync(out) || !['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS'].includes(code ?? '')) throw cannot(code, err);
            renameSync(partial, out);
          }
        } finally {
          // no half a document left behind, under either name
          file.destroy();
          rmSync(partial, { force: true });
        }
        process.stdout.write(`exported contact ${id} to ${values.out} (${bytes} bytes)\n`);
        return 0;
      }

      if (!values.yes) {
        const messages = await store.db.selectFrom('message').innerJoin('contact_identity', 'contact_identity.id', 'message.author_identity_id')
          .select((eb) => eb.fn.countAll().as('n')).where('contact_identity.contact_id', '=', id).where('message.direction', '=', 'inbound').executeTakeFirstOrThrow();
        const answer = await ask(`Erase contact ${id} (${contact.display_name ?? 'no name'}, ${Number(messages.n)} message(s)) in brand ${brand.slug}? This cannot be undone. Type "yes" to erase: `);
        if (answer.trim().toLowerCase() !== 'yes') throw new CliError('not erased: the answer was not "yes" (give --yes to erase without asking)');
      }
      const bus = new EventBus();
      // desks on the same PostgreSQL database see the redaction live
      const bridge = store.dialect === 'postgres' && config.databaseUrl ? new PgEventBridge(store, bus, config.databaseUrl) : null;
      const live = bridge ? await bridge.start().then(() => true, () => false) : false;
      try {
        // the instance key (to find their address's keyed hash in retained emails), only from a
        // secret that exists: a generated one would pin the database to a key no desk holds
        const secrets = config.secret || existsSync(join(config.dataDir, 'secret')) ? new SecretBox(resolveSecret(config.secret, config.dataDir)) : undefined;
        if (secrets) await verifySecret(store, secrets, Date.now());
        const r = await eraseContact({ store, bus, clock: systemClock, secrets }, actor, { contactId: id, reason: values.reason! });
        const a = r.alsoErased;
        process.stdout.write(`erased contact ${id}: ${r.messagesRedacted} message(s) redacted, ${r.identitiesErased} identit${r.identitiesErased === 1 ? 'y' : 'ies'} erased; `
          + `also ${a.notifications} notification(s), ${a.quarantined} quarantined deliver${a.quarantined === 1 ? 'y' : 'ies'}, ${a.auditEntries} audit entr${a.auditEntries === 1 ? 'y' : 'ies'}, ${a.moderationEvidence} moderation evidence text(s); `
          + `their name and handle replaced in ${a.notes} internal note(s), ${a.expertQuestions} expert question(s) and ${a.brandReplies} of the brand's repl${a.brandReplies === 1 ? 'y' : 'ies'} (Parley's copy: what the brand published on the network stays); their quoted words erased from ${a.expertQuotes} expert question(s) and answer(s)\n`
          + (a.repliesWithdrawn ? `${a.repliesWithdrawn} repl${a.repliesWithdrawn === 1 ? 'y' : 'ies'} to them not yet sent withdrawn\n` : '')
          + `elsewhere: their @handle and address replaced in ${a.brandRepliesElsewhere} of the brand's repl${a.brandRepliesElsewhere === 1 ? 'y' : 'ies'}, ${a.notesElsewhere} note(s) and ${a.expertQuestionsElsewhere} expert question(s) on other conversations; ${a.emailPayloads} other email(s) no longer hold their address; ${a.quotedMails} email(s) quoting their mail lost that quoted history; ${a.draftsElsewhere} draft(s) awaiting sign-off lost their quotes\n`
          + (secrets ? '' : 'warning: no instance secret found (PARLEY_SECRET or <data dir>/secret): their address\'s keyed hash was not looked for in emails past raw payload retention\n'));
        if (r.notesToReview.count) process.stdout.write(`${r.notesToReview.count} internal note(s) (${r.notesToReview.rewritten} rewritten) may still describe them in other words: read them in conversation(s) ${r.notesToReview.conversationIds.join(', ')}\n`);
        return 0;
      } finally {
        if (live) await bridge!.stop();
      }
    } finally {
      await store.close();
    }
  },
};

/** One line from standard input (a terminal or a pipe), after the prompt on stderr. */
async function ask(prompt: string): Promise<string> {
  process.stderr.write(prompt);
  const rl = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of rl) return line;
    return '';
  } finally {
    rl.close();
  }
}

export default command;
