/**
 * `parley brand add|list|set-timezone`: set up a desk without the demo. A brand's time
 * zone is the one its reports count hours of the week and days in, and staffing plans
 * its roster weeks in; changing it re-files the brand's recorded facts under the new
 * zone's hours and days (and their rollups), in one transaction.
 */
import { createBrand, ValidationError } from '../../commands/setup.js';
import { loadConfig } from '../../config.js';
import { localParts, isValidTimeZone } from '../../lib/tz.js';
import { openStore, type Store } from '../../store/db.js';
import { applyRollups, deltasOf, type Fact } from '../../store/rollup.js';
import { lockBrand } from '../../store/util.js';
import { parse, storeOptions } from '../args.js';
import { pickBrand } from '../brands.js';
import { UsageError, type Command } from '../command.js';

const command: Command = {
  summary: 'manage brands: parley brand add --slug … --name … [--timezone …]',
  usage: `Usage: parley brand add --slug <slug> --name <name> [--timezone <zone>]
       parley brand list
       parley brand set-timezone <zone> [--brand <slug>]

add           a brand (the desk's tenant: its people, channels, reports). The slug
              is lowercase letters, digits and dashes. --timezone is an IANA zone
              (Europe/London, America/New_York, …; default UTC): reports count hours
              and days and staffing plans its weeks in it. Then add its first admin:
              parley user add --brand <slug> --role admin --email … --name …
list          the brands: id, slug, time zone, name
set-timezone  change a brand's zone (--brand when there are several); the facts
              already recorded are re-filed under the new zone's hours and days
`,
  async run(argv) {
    const [sub, ...rest] = argv;
    if (sub !== 'add' && sub !== 'list' && sub !== 'set-timezone') throw new UsageError('expected "add", "list" or "set-timezone"');
    const { values, positionals } = parse(rest, { ...storeOptions, slug: { type: 'string' }, name: { type: 'string' }, timezone: { type: 'string' }, brand: { type: 'string' } }, sub === 'set-timezone');
    // the cheap checks before a database is opened
    let zone: string | undefined;
    if (sub === 'add') {
      if (values.slug === undefined || values.name === undefined) throw new UsageError('--slug and --name are required');
      zone = values.timezone;
    } else if (sub === 'set-timezone') {
      if (positionals.length !== 1) throw new UsageError('give the time zone, e.g. parley brand set-timezone Europe/London');
      zone = positionals[0];
    }
    if (zone !== undefined && !isValidTimeZone(zone)) throw new ValidationError(`unknown time zone "${zone}": give an IANA zone such as Europe/London, America/New_York or UTC`);
    const config = loadConfig(process.env, { databaseUrl: values['database-url'], dataDir: values['data-dir'] });
    const store = await openStore({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
    try {
      if (sub === 'list') {
        const brands = await store.db.selectFrom('brand').select(['id', 'slug', 'name', 'timezone']).orderBy('id').execute();
        for (const b of brands) process.stdout.write(`${String(b.id).padStart(4)}  ${b.slug.padEnd(24)} ${b.timezone.padEnd(22)} ${b.name}\n`);
        if (!brands.length) process.stdout.write(`no brands yet in ${store.describe}: add one with parley brand add --slug <slug> --name <name> (npm start adds the demo brand to an empty database)\n`);
        return 0;
      }
      if (sub === 'add') {
        const id = await createBrand(store.db, { slug: values.slug!, name: values.name!, timezone: zone }, Date.now());
        process.stdout.write(`created brand ${id} "${values.slug}" (${values.name!.trim()}, time zone ${zone ?? 'UTC'})\nnext: parley user add --brand ${values.slug} --role admin --email <email> --name <name>\n`);
        return 0;
      }
      const brand = await pickBrand(store, values.brand);
      const refiled = await setBrandTimezone(store, brand.id, zone!);
      process.stdout.write(`brand ${brand.slug}: time zone ${brand.timezone} → ${zone}${refiled ? `; ${refiled} recorded fact(s) re-filed under its hours and days` : ''}\n`);
      return 0;
    } finally {
      await store.close();
    }
  },
};

/**
 * Set a brand's zone and re-file its reporting facts (hour of week, local day) and their
 * rollups under it, in one transaction holding the brand's ingest and rollup locks, so
 * reports never mix zones. Returns how many facts moved. A running desk's ingest reads
 * the new zone within seconds (its account cache).
 */
export async function setBrandTimezone(store: Store, brandId: number, timezone: string): Promise<number> {
  if (!isValidTimeZone(timezone)) throw new ValidationError(`unknown time zone "${timezone}"`);
  return store.db.transaction().execute(async (trx) => {
    // the order ingest takes them in: its batch lock, then the rollups'
    await lockBrand(trx, store, brandId, 1);
    await lockBrand(trx, store, brandId, 3);
    await trx.updateTable('brand').set({ timezone }).where('id', '=', brandId).execute();
    let last = 0;
    let moved = 0;
    for (;;) {
      const rows = (await trx.selectFrom('reporting_fact').selectAll().where('brand_id', '=', brandId).where('id', '>', last).orderBy('id').limit(10_000).execute()) as (Fact & { id: number })[];
      if (!rows.length) break;
      last = rows[rows.length - 1]!.id;
      const before: Fact[] = [];
      const after: Fact[] = [];
      const groups = new Map<string, number[]>();
      for (const f of rows) {
        const local = localParts(timezone, f.occurred_at);
        if (local.hourOfWeek === f.hour_of_week && local.day === f.day) continue;
        before.push(f);
        after.push({ ...f, hour_of_week: local.hourOfWeek, day: local.day });
        const key = `${local.hourOfWeek}|${local.day}`;
        let ids = groups.get(key);
        if (!ids) groups.set(key, (ids = []));
        ids.push(f.id);
      }
      for (const [key, ids] of groups) {
        const [h, day] = key.split('|') as [string, string];
        for (let i = 0; i < ids.length; i += 500) {
          await trx.updateTable('reporting_fact').set({ hour_of_week: Number(h), day }).where('id', 'in', ids.slice(i, i + 500)).execute();
        }
      }
      await applyRollups(trx, store, deltasOf(before, -1));
      await applyRollups(trx, store, deltasOf(after));
      moved += before.length;
    }
    return moved;
  });
}

export default command;
