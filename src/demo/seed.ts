/**
 * The demo brand: created on an empty database so `npm start` shows a working
 * desk at once — an admin (login printed once), a small care team, and a care
 * account per brand found in the bundled TWCS excerpt (served by the demo
 * channel, so replies are "sent" without a network).
 */
import { join } from 'node:path';
import { addTeamMember, createBrand, createTeam, createUser } from '../commands/setup.js';
import { ensureXAccounts } from '../import/importTwcs.js';
import { readTwcs, TwcsAttribution } from '../import/twcs.js';
import { generatePassword } from '../lib/password.js';
import { repoRoot } from '../lib/paths.js';
import type { Store } from '../store/db.js';

export const DEMO_FILE = join(repoRoot, 'demo', 'twcs-excerpt.csv');
export const DEMO_SLUG = 'demo';
export const DEMO_ADMIN_EMAIL = 'admin@demo.parley.local';

export interface DemoSeed {
  brandId: number;
  admin: { email: string; password: string };
}

export async function isEmpty(store: Store): Promise<boolean> {
  return !(await store.db.selectFrom('brand').select('id').limit(1).executeTakeFirst());
}

export async function seedDemo(store: Store, now: number, password = generatePassword()): Promise<DemoSeed> {
  const attribution = new TwcsAttribution();
  for await (const item of readTwcs(DEMO_FILE)) if (item.kind === 'tweet') attribution.add(item.tweet);
  return store.db.transaction().execute(async (trx) => {
    const brandId = await createBrand(trx, { slug: DEMO_SLUG, name: 'Parley Demo', timezone: 'Europe/London', settings: { demo: true } }, now);
    const adminId = await createUser(trx, { brandId, email: DEMO_ADMIN_EMAIL, name: 'Demo Admin', role: 'admin', password, availability: 'online', capacity: 10 }, now);
    const team = await createTeam(trx, { brandId, name: 'Care', routingStrategy: 'round_robin' }, now);
    await addTeamMember(trx, team, adminId, true);
    // route everything to the Care team; agents get work round robin up to their capacity
    await trx.updateTable('brand').set({ settings: JSON.stringify({ demo: true, workflow: { routing: { rules: [], defaultTeamId: String(team) } } }) }).where('id', '=', brandId).execute();
    const people: [string, string, 'agent' | 'approver' | 'expert'][] = [
      ['ana@demo.parley.local', 'Ana Agent', 'agent'],
      ['ben@demo.parley.local', 'Ben Agent', 'agent'],
      ['cleo@demo.parley.local', 'Cleo Lead', 'approver'],
      ['eli@demo.parley.local', 'Eli Billing Expert', 'expert'],
    ];
    for (const [email, name, role] of people) {
      const id = await createUser(trx, { brandId, email, name, role, password, availability: role === 'expert' ? 'offline' : 'online', capacity: 8 }, now);
      if (role !== 'expert') await addTeamMember(trx, team, id, role === 'approver');
    }
    await ensureXAccounts({ ...store, db: trx } as Store, brandId, attribution.brands.values(), now, 'demo');
    return { brandId, admin: { email: DEMO_ADMIN_EMAIL, password } };
  });
}
