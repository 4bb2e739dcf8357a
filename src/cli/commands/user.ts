import { createUser, ValidationError } from '../../commands/setup.js';
import { loadConfig } from '../../config.js';
import { ROLES, type Role } from '../../core/types.js';
import { generatePassword } from '../../lib/password.js';
import { openStore } from '../../store/db.js';
import { parse, num, storeOptions } from '../args.js';
import { UsageError, type Command } from '../command.js';

const command: Command = {
  summary: 'manage people: parley user add --email … --name … --role …',
  usage: `Usage: parley user add --email <email> --name <name> [--role agent|expert|approver|admin] [--brand <slug>] [--password <pw>] [--capacity <n>]
       parley user list [--brand <slug>]

Without --password a random one is generated and printed once.
`,
  async run(argv) {
    const [sub, ...rest] = argv;
    const { values } = parse(rest, { ...storeOptions, email: { type: 'string' }, name: { type: 'string' }, role: { type: 'string' }, brand: { type: 'string' }, password: { type: 'string' }, capacity: { type: 'string' } }, false);
    const config = loadConfig(process.env, { databaseUrl: values['database-url'], dataDir: values['data-dir'] });
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      const brand = values.brand
        ? await store.db.selectFrom('brand').select(['id', 'slug']).where('slug', '=', values.brand).executeTakeFirst()
        : await store.db.selectFrom('brand').select(['id', 'slug']).orderBy('id').limit(1).executeTakeFirst();
      if (!brand) throw new UsageError(values.brand ? `no brand "${values.brand}"` : 'no brand yet: start Parley once (it creates the demo brand) or import data first');
      if (sub === 'list') {
        const users = await store.db.selectFrom('app_user').select(['id', 'email', 'name', 'role', 'availability']).where('brand_id', '=', brand.id).orderBy('id').execute();
        for (const u of users) process.stdout.write(`${String(u.id).padStart(4)}  ${u.email.padEnd(36)} ${u.role.padEnd(9)} ${u.availability.padEnd(8)} ${u.name}\n`);
        return 0;
      }
      if (sub !== 'add') throw new UsageError('expected "add" or "list"');
      if (!values.email || !values.name) throw new UsageError('--email and --name are required');
      const role = (values.role ?? 'agent') as Role;
      if (!ROLES.includes(role)) throw new UsageError(`--role must be one of ${ROLES.join(', ')}`);
      const password = values.password ?? generatePassword();
      try {
        const id = await createUser(store.db, { brandId: brand.id, email: values.email, name: values.name, role, password, capacity: num(values.capacity, 'capacity'), actor: 'system:cli' }, Date.now());
        process.stdout.write(`created user ${id} <${values.email.toLowerCase()}> (${role}) in brand ${brand.slug}\n`);
        if (!values.password) process.stdout.write(`password: ${password}\n`);
        return 0;
      } catch (err) {
        if (err instanceof ValidationError) throw new UsageError(err.message);
        throw err;
      }
    } finally {
      await store.close();
    }
  },
};

export default command;
