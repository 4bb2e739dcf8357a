/**
 * Connecting a channel account and editing it afterwards (Settings → Channels, the
 * admin API). Both check their input with the one channel-settings check
 * (src/channels/settings.ts), so an edit accepts exactly what connecting accepts;
 * a refused input changes nothing. Each runs in one transaction with its audit row.
 * Credentials are sealed before they are stored and appear nowhere else: not in the
 * result, not in the audit trail (only their names).
 *
 * What the running desk caches is the caller's to drop after commit (the ingest
 * pipeline's accounts, workflow settings); the channel registry and the sync worker
 * see the new row by themselves (the registry keys its instances on settings and
 * credentials; the sync worker reads accounts fresh every tick).
 */
import { parseObject } from '../lib/json.js';
import type { Actor } from './context.js';
import { sendWaitingNow } from '../outbox/waiting.js';
import { changedCredentialTargets, changedPositionSettings, checkCredentialNames, checkSettings, type InputProblem } from '../channels/settings.js';
import type { AccountPurpose, Network } from '../core/types.js';
import { AppError, conflict, conflictOnUnique, notFound } from '../errors.js';
import type { SecretBox } from '../lib/secrets.js';
import { audit } from '../store/audit.js';
import type { Store } from '../store/db.js';
import type { ChannelAccount } from '../store/schema.js';
import { checkCalendar } from '../workflow/settings.js';
import { createChannelAccount } from './setup.js';

export interface ChannelAccountDeps {
  store: Store;
  secrets: SecretBox;
}

/** A 400 listing every problem, in the shape request validation uses (`errors: [{ path, message }]`). */
export function invalidInput(problems: InputProblem[]): AppError {
  const errors = problems.map((p) => ({ path: `body/${p.path}`, message: p.message }));
  return new AppError(400, 'validation', errors.map((e) => `${e.path}: ${e.message}`).join('; '), { errors });
}

export interface ConnectChannelAccountProps {
  actor: Actor;
  network: Network;
  handle: string;
  externalId?: string;
  displayName?: string | null;
  purpose?: AccountPurpose;
  listenOnly?: boolean;
  /** The connector serving the account; null = the network's own. */
  driver?: string | null;
  credentials?: Record<string, string>;
  settings?: Record<string, unknown>;
}

const ALREADY_CONNECTED = 'this account is already connected';

/**
 * What a handle may hold, where the network's rule is plain and documented. Others take
 * any text (a Facebook page's or a web chat's name has spaces), shown as text everywhere.
 */
const HANDLE_RULES: Partial<Record<Network, { pattern: RegExp; rule: string }>> = {
  x: { pattern: /^[A-Za-z0-9_]{1,15}$/, rule: 'an X handle is 1 to 15 letters, digits or underscores' },
};

/** A handle as stored: trimmed, without its leading @; a blank one, control characters or one the network does not allow are problems. */
export function checkHandle(network: string, raw: string): { handle: string; problems: InputProblem[] } {
  const handle = raw.trim().replace(/^@+/, '').trim();
  if (!handle) return { handle, problems: [{ path: 'handle', message: 'a handle is needed (without the @ and spaces it is empty)' }] };
  if (/\p{Cc}/u.test(handle)) return { handle, problems: [{ path: 'handle', message: 'a handle cannot hold control characters (line breaks, tabs...)' }] };
  const r = HANDLE_RULES[network as Network];
  if (r && !r.pattern.test(handle)) return { handle, problems: [{ path: 'handle', message: `${r.rule} (got "${handle.slice(0, 40)}")` }] };
  return { handle, problems: [] };
}

/** Connect an account: checked settings and credential names, sealed credentials, synced at once. */
export async function connectChannelAccount(deps: ChannelAccountDeps, p: ConnectChannelAccountProps, now: number): Promise<ChannelAccount> {
  const driver = p.driver ?? null;
  const { handle, problems: handleProblems } = checkHandle(p.network, p.handle);
  const checked = checkSettings(p.network, p.settings ?? {});
  const problems = [...handleProblems, ...checked.problems, ...checkCredentialNames(p.network, driver, Object.keys(p.credentials ?? {}))];
  if (problems.length) throw invalidInput(problems);
  const brandId = p.actor.brandId;
  const externalId = p.externalId ?? handle.toLowerCase();
  // no credentials given (or an empty set): none stored, so the account does not claim to have them
  const credentials = p.credentials && Object.keys(p.credentials).length ? deps.secrets.seal(p.credentials) : null;
  return deps.store.db.transaction().execute(async (trx) => {
    const exists = await trx.selectFrom('channel_account').select('id').where('brand_id', '=', brandId).where('network', '=', p.network).where('external_id', '=', externalId).executeTakeFirst();
    if (exists) throw conflict('channel.exists', ALREADY_CONNECTED);
    const id = await createChannelAccount(trx, {
      brandId, network: p.network, handle, externalId, displayName: p.displayName, purpose: p.purpose, listenOnly: p.listenOnly,
      driver, settings: checked.settings, credentials,
    }, now).catch(conflictOnUnique('channel.exists', ALREADY_CONNECTED)); // connected by another request since the check
    await trx.updateTable('channel_account').set({ next_sync_at: now }).where('id', '=', id).execute();
    await audit(trx, {
      brandId, actor: p.actor.name, action: 'channel.connected', subjectType: 'channel_account', subjectId: id,
      data: { network: p.network, handle, listenOnly: p.listenOnly ?? false, settings: checked.settings, credentials: Object.keys(p.credentials ?? {}) },
    }, now);
    return trx.selectFrom('channel_account').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  });
}

export interface EditChannelAccountProps {
  actor: Actor;
  accountId: number;
  /** The @handle shown for the account (its network id, `externalId`, does not change). */
  handle?: string;
  displayName?: string | null;
  /** A merge patch: a value sets that setting, null removes it, settings not named stay. What it sets is checked as connecting checks it; the connector's cross-field rules see the result. */
  settings?: Record<string, unknown>;
  /** Likewise for credentials: a string replaces that one, null removes it, the others stay. */
  credentials?: Record<string, string | null>;
  listenOnly?: boolean;
  purpose?: AccountPurpose;
  /** false disables the account (no sync, no sending); true enables a disabled one. */
  enabled?: boolean;
  /** Business hours; null = open 24/7. */
  calendar?: unknown;
}

export interface EditChannelAccountResult {
  account: ChannelAccount;
  /** The fields that changed (`settings.keywords`, `credentials`, `handle`...); empty when the edit changed nothing. */
  changed: string[];
  /** The settings whose change restarted sync from a backfill (the old position meant nothing there). */
  cursorReset: string[];
}

/** Non-secret fields of an account, as the audit trail records them before and after. */
function auditView(a: ChannelAccount, settings: Record<string, unknown>) {
  return { handle: a.handle, displayName: a.display_name, purpose: a.purpose, listenOnly: a.listen_only === 1, status: a.status, calendar: a.calendar ? parseObject(a.calendar) : null, settings };
}

/**
 * Edit a connected account's settings, credentials, handle and the like. New settings or
 * credentials take effect at the next poll, which is scheduled at once. The sync position
 * is kept — it holds a separate place per source (mentions, DMs, each listening term), so a
 * new term starts with its own backfill and the others continue — unless a setting that
 * points the account elsewhere changed (ChannelSettingsSpec.resetCursorOn).
 */
export async function editChannelAccount(deps: ChannelAccountDeps, p: EditChannelAccountProps, now: number): Promise<EditChannelAccountResult> {
  const { store, secrets } = deps;
  return store.db.transaction().execute(async (trx) => {
    let q = trx.selectFrom('channel_account').selectAll().where('id', '=', p.accountId).where('brand_id', '=', p.actor.brandId);
    if (store.dialect === 'postgres') q = q.forUpdate();
    const acc = await q.executeTakeFirst();
    if (!acc) throw notFound('channel account');

    const problems: InputProblem[] = [];
    const storedSettings = parseObject(acc.settings);
    let settings = storedSettings;
    if (p.settings) {
      const merged = { ...storedSettings };
      for (const [k, v] of Object.entries(p.settings)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      const checked = checkSettings(acc.network, merged, Object.keys(p.settings).filter((k) => p.settings![k] !== null));
      problems.push(...checked.problems);
      settings = checked.settings;
    }
    let credentials: Record<string, string> | null = null;
    const credentialNames = { set: [] as string[], removed: [] as string[] };
    if (p.credentials) {
      const toSet = Object.keys(p.credentials).filter((k) => p.credentials![k] !== null);
      problems.push(...checkCredentialNames(acc.network, acc.driver, toSet));
      credentials = acc.credentials ? openOrEmpty(secrets, acc.credentials) : {};
      for (const [k, v] of Object.entries(p.credentials)) {
        if (v === null) {
          if (k in credentials) credentialNames.removed.push(k);
          delete credentials[k];
        } else {
          // given again with the same value still counts: re-entering a token is how an admin says "try again"
          credentialNames.set.push(k);
          credentials[k] = v;
        }
      }
    }
    let calendar: string | null | undefined;
    if (p.calendar !== undefined) {
      try {
        calendar = p.calendar === null ? null : JSON.stringify(checkCalendar(p.calendar));
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        problems.push({ path: 'calendar', message: err.message });
      }
    }
    let handle: string | undefined;
    if (p.handle !== undefined) {
      const h = checkHandle(acc.network, p.handle);
      handle = h.handle;
      problems.push(...h.problems);
    }
    // the stored credentials go only where they were given for: pointing the account at another
    // server takes them again (else an edit could send them to a server of the editor's choosing)
    const retargeted = p.settings && acc.credentials ? changedCredentialTargets(acc.network, storedSettings, settings) : [];
    if (retargeted.length && !credentialNames.set.length) {
      problems.push(...retargeted.map((k) => ({ path: `settings/${k}`, message: `changing ${k} sends this account's credentials somewhere else: give the credentials again in the same change` })));
    }
    if (problems.length) throw invalidInput(problems);

    const patch: Partial<Record<keyof ChannelAccount, unknown>> = {};
    const changed: string[] = [];
    // the connector is built from the handle too (X leaves the account's own posts out of listening by it): poll at once
    if (handle !== undefined && handle !== acc.handle) (patch.handle = handle), (patch.next_sync_at = now), changed.push('handle');
    const displayName = p.displayName === undefined ? undefined : p.displayName?.trim() || null;
    if (displayName !== undefined && displayName !== acc.display_name) (patch.display_name = displayName), changed.push('displayName');
    if (p.purpose !== undefined && p.purpose !== acc.purpose) (patch.purpose = p.purpose), changed.push('purpose');
    if (p.listenOnly !== undefined && (p.listenOnly ? 1 : 0) !== acc.listen_only) (patch.listen_only = p.listenOnly ? 1 : 0), changed.push('listenOnly');
    if (calendar !== undefined && calendar !== acc.calendar) (patch.calendar = calendar), changed.push('calendar');

    const settingKeys = [...new Set([...Object.keys(storedSettings), ...Object.keys(settings)])].filter((k) => JSON.stringify(storedSettings[k]) !== JSON.stringify(settings[k]));
    let cursorReset: string[] = [];
    if (settingKeys.length) {
      patch.settings = JSON.stringify(settings);
      changed.push(...settingKeys.map((k) => `settings.${k}`));
      cursorReset = changedPositionSettings(acc.network, storedSettings, settings);
      if (cursorReset.length) patch.cursor = null;
      // the next poll uses the new settings: now, not after the account's interval
      patch.next_sync_at = now;
    }
    const reconnected = credentialNames.set.length + credentialNames.removed.length > 0;
    if (reconnected) {
      patch.credentials = Object.keys(credentials!).length ? secrets.seal(credentials) : null;
      changed.push('credentials');
      patch.next_sync_at = now;
      // new credentials: healthy until the network says otherwise (a disabled account stays disabled)
      if (acc.status !== 'disabled') {
        patch.status = 'active';
        patch.health = JSON.stringify({ reconnectedAt: new Date(now).toISOString() });
      }
    }
    if (p.enabled === false && acc.status !== 'disabled') (patch.status = 'disabled'), changed.push('status');
    if (p.enabled === true && acc.status === 'disabled') {
      patch.status = 'active';
      patch.next_sync_at = now;
      changed.push('status');
    }
    if (!changed.length) return { account: acc, changed, cursorReset };

    await trx.updateTable('channel_account').set(patch as never).where('id', '=', acc.id).execute();
    // reconnected: replies that waited out the outage go now, not at their back-off's end
    if (reconnected && acc.status !== 'disabled') await sendWaitingNow(trx, acc.id, now);
    const after = await trx.selectFrom('channel_account').selectAll().where('id', '=', acc.id).executeTakeFirstOrThrow();
    // before/after of what changed, never a credential's value (only which ones changed)
    const b = auditView(acc, pick(storedSettings, settingKeys));
    const a = auditView(after, pick(settings, settingKeys));
    const fields = Object.keys(b).filter((k) => JSON.stringify(b[k as keyof typeof b]) !== JSON.stringify(a[k as keyof typeof a]));
    await audit(trx, {
      brandId: acc.brand_id, actor: p.actor.name, action: reconnected ? 'channel.reconnected' : 'channel.updated', subjectType: 'channel_account', subjectId: acc.id,
      data: {
        changed,
        before: Object.fromEntries(fields.map((k) => [k, b[k as keyof typeof b]])),
        after: Object.fromEntries(fields.map((k) => [k, a[k as keyof typeof a]])),
        ...(reconnected ? { credentials: credentialNames } : {}),
        ...(cursorReset.length ? { syncRestarted: cursorReset } : {}),
      },
    }, now);
    return { account: after, changed, cursorReset };
  });
}

/** The names of an account's stored credentials (never their values), for the edit form's "unchanged" fields. */
export function credentialNamesOf(secrets: SecretBox, a: Pick<ChannelAccount, 'credentials'>): string[] {
  return a.credentials ? Object.keys(openOrEmpty(secrets, a.credentials)).sort() : [];
}

// credentials sealed under another PARLEY_SECRET cannot be read: they are as good as none
function openOrEmpty(secrets: SecretBox, sealed: string): Record<string, string> {
  try {
    return secrets.open<Record<string, string>>(sealed);
  } catch {
    return {};
  }
}

function pick(o: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, o[k] ?? null]));
}
