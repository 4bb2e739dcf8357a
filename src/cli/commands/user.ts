import { systemActor } from '../../commands/context.js';
import { issuePasswordReset, resetLinkUrl } from '../../commands/passwordReset.js';
import { createUser } from '../../commands/setup.js';
import { resetTwoFactor } from '../../commands/twoFactor.js';
import { loadConfig } from '../../config.js';
import { ROLES, type Role } from '../../core/types.js';
import { generatePassword } from '../../lib/password.js';
import { openStore } from '../../store/db.js';
import { parse, num, storeOptions } from '../args.js';
import { pickBrand } from '../brands.js';
import { CliError, UsageError, type Command } from '../command.js';

const command: Command = {
  summary: 'manage people: parley user add --email … --name … --role …, user list, user reset-2fa --email …, user reset-password --email …',
  usage: `Usage: parley user add --email <email> --name <name> [--role agent|expert|approver|admin] [--brand <slug>] [--password <pw>] [--capacity <n>]
       parley user list [--brand <slug>]
       parley user reset-2fa --email <email> [--brand <slug>]
       parley user reset-password --email <email> [--brand <slug>] [--public-url <url>]

Adds a person to the brand (--brand <slug> when there are several; the only one
otherwise). Without --password a random one is generated and printed once.
--capacity is how many conversations they hold at once, 0–1000 (default 8).
This is also how to get back in when the demo admin's password is lost:
add another admin.
reset-2fa turns off a person's two-factor sign-in and signs them out everywhere:
the way back in when someone (the only admin, say) lost their authenticator app
and their recovery codes. They sign in with their password and set it up again.
reset-password prints a one-time link (shown once; it works for 24 hours) with
which the person chooses a new password: hand it to them privately. Their
sessions end and their API tokens are revoked when they use it. The link starts
with --public-url, else PARLEY_PUBLIC_URL, else the desk's local address.
`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'add' && sub !== 'list' && sub !== 'reset-2fa' && sub !== 'reset-password') throw new UsageError('expected "add", "list", "reset-2fa" or "reset-password"');
    const { values } = parse(rest, { ...storeOptions, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, brand: { type: 'string' }, password: { type: 'string' }, capacity: { type: 'string' }, 'public-url': { type: 'string' } }, false);
    if (sub === 'add') {
      if (values.email === undefined || values.name === undefined) throw new UsageError('--email and --name are required');
      if (values.role !== undefined && !ROLES.includes(values.role as Role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
    }
    if ((sub === 'reset-2fa' || sub === 'reset-password') && values.email === undefined) throw new UsageError('--email is required');
    if (sub !== 'reset-password' && values['public-url'] !== undefined) throw new UsageError('--public-url is only for reset-password');
    const capacity = num(values.capacity, 'capacity');
    // a bad --public-url is a ConfigError, like parley start's
    const config = loadConfig(process.env, { databaseUrl: values['database-url'], dataDir: values['data-dir'], publicUrl: values['public-url'] });
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const brand = await pickBrand(store, values.brand);
      if (sub === 'list') {
        const users = await store.db.selectFrom('app_user').select(['id', 'email', 'name', 'role', 'availability']).where('brand_id', '=', brand.id).orderBy('id').execute();
        for (const u of users) process.stdout.write(`${String(u.id).padStart(4)}  ${u.email.padEnd(36)} ${u.role.padEnd(9)} ${u.availability.padEnd(8)} ${u.name}\n`);
        return 0;
      }
      if (sub === 'reset-2fa') {
        const email = values.email!.trim().toLowerCase();
        const user = await store.db.selectFrom('app_user').select('id').where('brand_id', '=', brand.id).where('email', '=', email).executeTakeFirst();
        if (!user) throw new CliError(`no user <${email}> in brand ${brand.slug}`);
        const { sessionsEnded } = await resetTwoFactor(store.db, { actor: systemActor(brand.id, 'cli'), userId: user.id }, Date.now());
        process.stdout.write(`two-factor sign-in of <${email}> in brand ${brand.slug} is off; ${sessionsEnded} session(s) signed out\n`);
        return 0;
      }
      if (sub === 'reset-password') {
        const email = values.email!.trim().toLowerCase();
        const user = await store.db.selectFrom('app_user').select('id').where('brand_id', '=', brand.id).where('email', '=', email).executeTakeFirst();
        if (!user) throw new CliError(`no user <${email}> in brand ${brand.slug}`);
        const { token, expiresAt } = await issuePasswordReset(store, { actor: systemActor(brand.id, 'cli'), userId: user.id }, Date.now());
        const local = `http://${['0.0.0.0', '::', '127.0.0.1', '::1'].includes(config.host) ? 'localhost' : config.host}:${config.port}`;
        process.stdout.write(`password reset link for <${email}> in brand ${brand.slug} (shown once; works once, until ${new Date(expiresAt).toISOString()}):\n${resetLinkUrl(config.publicUrl ?? local, token)}\n`);
        if (!config.publicUrl) process.stdout.write(`(the link begins with the desk's local address: set PARLEY_PUBLIC_URL or --public-url to the address people open the desk at)\n`);
        return 0;
      }
      const role = (values.role ?? 'agent') as Role;
      const password = values.password ?? generatePassword();
      // createUser checks email, name, role, capacity and password (the API's rules): a ValidationError is one line from main
      const id = await createUser(store.db, { brandId: brand.id, email: values.email!, name: values.name!, role, password, capacity, actor: 'system:cli' }, Date.now());
      process.stdout.write(`created user ${id} <${values.email!.trim().toLowerCase()}> (${role}) in brand ${brand.slug}\n`);
      if (!values.password) process.stdout.write(`password: ${password} (shown once)\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

export default command;
