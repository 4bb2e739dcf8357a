/**
 * `parley contact export|erase`: the subject access export (GDPR Art. 15) and the erasure
 * (Art. 17) from the command line, for an operator answering a request without the web UI.
 * Both run the same commands as the API (src/commands/export.ts, src/commands/erase.ts),
 * acting as the system: audited with actor `system:cli`. The erasure cannot be undone, so it
 * asks first (type "yes") unless --yes is given.
 */
import { createWriteStream, rmSync } from 'node:fs';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { eraseContact } from '../../commands/erase.js';
import { exportContact } from '../../commands/export.js';
import { systemActor } from '../../commands/context.js';
import { loadConfig } from '../../config.js';
import { EventBus } from '../../events/bus.js';
import { PgEventBridge } from '../../events/pgBridge.js';
import { systemClock } from '../../lib/clock.js';
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
        to standard output. The export is audited.
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
        if (values.out === undefined) {
          const doc = await exportContact(store, actor, id, systemClock.now());
          for await (const chunk of doc.chunks) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
          return 0;
        }
        // the file first: an export that cannot be written is not audited as made
        const file = createWriteStream(values.out, { flags: 'wx' });
        try {
          await new Promise<void>((resolve, reject) => {
            file.once('open', () => resolve());
            file.once('error', reject);
          });
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code;
          throw new CliError(`cannot write ${values.out}: ${code === 'EEXIST' ? 'the file exists (an export is not overwritten: give another name)' : code ?? (err as Error).message}`);
        }
        let bytes = 0;
        try {
          const doc = await exportContact(store, actor, id, systemClock.now());
          for await (const chunk of doc.chunks) {
            bytes += Buffer.byteLength(chunk);
            if (!file.write(chunk)) await once(file, 'drain');
          }
          await new Promise<void>((resolve, reject) => file.end((err?: Error | null) => (err ? reject(err) : resolve())));
        } catch (err) {
          // no half a document left behind
          file.destroy();
          rmSync(values.out, { force: true });
          throw err;
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
        const r = await eraseContact({ store, bus, clock: systemClock }, actor, { contactId: id, reason: values.reason! });
        const a = r.alsoErased;
        process.stdout.write(`erased contact ${id}: ${r.messagesRedacted} message(s) redacted, ${r.identitiesErased} identit${r.identitiesErased === 1 ? 'y' : 'ies'} erased; `
          + `also ${a.notifications} notification(s), ${a.quarantined} quarantined deliver${a.quarantined === 1 ? 'y' : 'ies'}, ${a.auditEntries} audit entr${a.auditEntries === 1 ? 'y' : 'ies'}, ${a.moderationEvidence} moderation evidence text(s)\n`);
        if (r.notesToReview.count) process.stdout.write(`${r.notesToReview.count} internal note(s) may quote them and were not changed: read them in conversation(s) ${r.notesToReview.conversationIds.join(', ')}\n`);
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
