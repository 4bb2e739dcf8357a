/**
 * The demo brand: created on an empty database so `npm start` shows a working
 * desk at once — an admin, a small care team, and a care account per brand found
 * in the bundled TWCS excerpt (served by the demo channel, so replies are "sent"
 * without a network).
 *
 * The admin's login is shown once, and only by a desk that is listening: seeding
 * leaves the demo people without a password and records that their login is still
 * to be shown (`demo.login` in kv). The first process that starts listening claims
 * that record, generates the password then, sets it and prints it; a start that
 * failed before (port in use, a crash) leaves the record for the next one, and the
 * password is never stored in clear. Seeding and claiming are each one transaction
 * that only one process can win, so several processes starting together on an
 * empty PostgreSQL seed once and print once. The seed also records that its weeks of
 * history are due (`demo.history`): stored right after, by src/demo/history.ts.
 */
import { join } from 'node:path';
import { sql } from 'kysely';
import { addTeamMember, createBrand, createTeam, createUser } from '../commands/setup.js';
import { ensureXAccounts } from '../import/importTwcs.js';
import { readTwcs, TwcsAttribution } from '../import/twcs.js';
import { generatePassword, hashPassword } from '../lib/password.js';
import { repoRoot } from '../lib/paths.js';
import type { Store } from '../store/db.js';
import type { Tx } from '../store/util.js';

export const DEMO_FILE = join(repoRoot, 'demo', 'twcs-excerpt.csv');
export const DEMO_SLUG = 'demo';
export const DEMO_ADMIN_EMAIL = 'admin@demo.parley.local';
/** kv key: the demo people whose shared password has not been shown yet. */
export const DEMO_LOGIN_KEY = 'demo.login';
/** kv key: the demo's weeks of history are still to be stored (src/demo/history.ts); updated_at is its storer's last sign of life. */
export const DEMO_HISTORY_KEY = 'demo.history';
/** PostgreSQL advisory lock (two-key form) held while deciding whether to seed. */
const SEED_LOCK: [number, number] = [872200, 1];

/** What the seed records for its history (kept in its `demo.history` record, so whoever stores it stores the same). */
export interface DemoSeedOptions {
  /**
   * Unset: a week at the live replay's rate at the default speed (src/demo/history.ts); `speed`:
   * the replay's (config `demoSpeed`), whose rate the history then has. `days: 0`: no history. A
   * test asks for a small one (`messagesPerDay`).
   */
  history?: { days?: number; messagesPerDay?: number; speed?: number };
}

export interface DemoSeed {
  brandId: number;
  adminEmail: string;
}

/** The demo admin's login, generated when it is shown. */
export interface DemoLogin {
  email: string;
  password: string;
}

interface PendingLogin {
  admin: string;
  people: string[];
}

export async function isEmpty(store: Tx): Promise<boolean> {
  return !(await store.selectFrom('brand').select('id').limit(1).executeTakeFirst());
}

/**
 * Seed the demo brand if the database has no brand yet; null when it has one (also when
 * another process seeded it a moment ago). The people have no password until
 * `claimDemoLogin` sets one.
 */
/** The demo brand's community guidelines: what its moderators may cite, and the actions each allows. */
export const DEMO_GUIDELINES: readonly { code: string; title: string; description: string; allowedActions: readonly string[] }[] = [
  {
    code: 'spam',
    title: 'Spam, scams and impersonation',
    description: 'Repeated unsolicited promotion, phishing or "support" links that are not ours, and accounts pretending to be our care team. Hidden or deleted where we can, and the account blocked. A complaint, however often repeated, is not spam.',
    allowedActions: ['hide', 'delete', 'block', 'mute'],
  },
  {
    code: 'harassment',
    title: 'Threats, hate and targeted abuse',
    description: 'Threats of violence, slurs, and abuse aimed at our staff or other customers by name. Criticism of the company, its products or its service, however harsh or rude, is not harassment and stays up.',
    allowedActions: ['hide', 'block', 'mute'],
  },
  {
    code: 'personal-data',
    title: 'Personal data posted in public',
    description: 'Phone numbers, home addresses, card or account numbers posted publicly, often the customer\'s own. Hidden (or deleted where the network cannot hide) to protect them; the conversation moves to a private channel.',
    allowedActions: ['hide', 'delete'],
  },
];

export async function seedDemoIfEmpty(store: Store, now: number, opts: DemoSeedOptions = {}): Promise<DemoSeed | null> {
  if (!(await isEmpty(store.db))) return null;
  const attribution = new TwcsAttribution();
  for await (const item of readTwcs(DEMO_FILE)) if (item.kind === 'tweet') attribution.add(item.tweet);
  return store.db.transaction().execute(async (trx) => {
    // PostgreSQL: one process at a time past this point (SQLite: BEGIN IMMEDIATE already is)
    if (store.dialect === 'postgres') await sql`select pg_advisory_xact_lock(${SEED_LOCK[0]}, ${SEED_LOCK[1]})`.execute(trx);
    if (!(await isEmpty(trx))) return null;
    const brandId = await createBrand(trx, { slug: DEMO_SLUG, name: 'Parley Demo', timezone: 'Europe/London', settings: { demo: true } }, now);
    const adminId = await createUser(trx, { brandId, email: DEMO_ADMIN_EMAIL, name: 'Demo Admin', role: 'admin', password: null, availability: 'online', capacity: 10 }, now);
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
      const id = await createUser(trx, { brandId, email, name, role, password: null, availability: role === 'expert' ? 'offline' : 'online', capacity: 8 }, now);
      if (role !== 'expert') await addTeamMember(trx, team, id, role === 'approver');
    }
    // published community guidelines, so a lead can moderate the demo by the rules at once
    // (moderation cites one of these; criticism, however harsh, breaks none of them)
    await trx.insertInto('community_guideline').values(DEMO_GUIDELINES.map((g) => ({ brand_id: brandId, code: g.code, title: g.title, description: g.description, allowed_actions: JSON.stringify(g.allowedActions), created_at: now }))).execute();
    await ensureXAccounts({ ...store, db: trx } as Store, brandId, attribution.brands.values(), now, 'demo');
    const pending: PendingLogin = { admin: DEMO_ADMIN_EMAIL, people: [DEMO_ADMIN_EMAIL, ...people.map(([email]) => email)] };
    await trx.insertInto('kv').values({ key: DEMO_LOGIN_KEY, value: JSON.stringify(pending), updated_at: now }).execute();
    // its history is stored after this commits, through the pipeline (storeDemoHistory), once
    // (none when it asks for 0 days: config `demoHistoryDays`)
    if (opts.history?.days !== 0) await trx.insertInto('kv').values({ key: DEMO_HISTORY_KEY, value: JSON.stringify({ due: true, ...opts.history }), updated_at: now }).execute();
    return { brandId, adminEmail: DEMO_ADMIN_EMAIL };
  });
}

/**
 * The demo login not shown yet, with a password generated now and set for the demo people
 * who still have none; null when there is none to show (shown before, or no demo), and in
 * every process but one when several ask at once. Call it only where the login is printed
 * right away: the password exists nowhere else.
 */
export async function claimDemoLogin(store: Store): Promise<DemoLogin | null> {
  const row = await store.db.selectFrom('kv').select('value').where('key', '=', DEMO_LOGIN_KEY).executeTakeFirst();
  if (!row) return null;
  const password = generatePassword();
  const hash = await hashPassword(password);
  return store.db.transaction().execute(async (trx) => {
    const claimed = await trx.deleteFrom('kv').where('key', '=', DEMO_LOGIN_KEY).returning('value').executeTakeFirst();
    if (!claimed) return null; // another process showed it
    let pending: PendingLogin;
    try {
      pending = JSON.parse(claimed.value) as PendingLogin;
    } catch {
      return null;
    }
    if (!pending.admin || !Array.isArray(pending.people) || !pending.people.length) return null;
    const set = await trx.updateTable('app_user').set({ password_hash: hash }).where('email', 'in', pending.people).where('password_hash', 'is', null).returning('email').execute();
    // an admin who has a password meanwhile keeps it: nothing to show
    return set.some((u) => u.email === pending.admin) ? { email: pending.admin, password } : null;
  });
}
