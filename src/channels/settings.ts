/**
 * The one check of what an admin sends when connecting or editing a channel account:
 * settings against what the network's connector reads (its `settings.ts`, plus the few
 * settings every account may carry), credentials by name against what the connector
 * reads. Connect and edit both go through here, so the same input is accepted or refused
 * the same way, with every problem listed — a misspelt setting is refused rather than
 * silently ignored by the connector.
 */
import { z } from 'zod';
import type { Network } from '../core/types.js';
import { settingsSpec as bluesky } from './bluesky/settings.js';
import { settingsSpec as demo } from './demo/settings.js';
import { settingsSpec as email } from './email/settings.js';
import { settingsSpec as facebook } from './facebook/settings.js';
import { settingsSpec as instagram } from './instagram/settings.js';
import { settingsSpec as mastodon } from './mastodon/settings.js';
import { COMMON_SETTINGS, type ChannelSettingsSpec } from './settingFields.js';
import { settingsSpec as webchat } from './webchat/settings.js';
import { settingsSpec as x } from './x/settings.js';

const SPECS: Record<Network, ChannelSettingsSpec> = { x, facebook, instagram, mastodon, bluesky, email, webchat, demo };

/** One thing wrong with the input; `path` is relative to the request body (`settings/keywords`). */
export interface InputProblem {
  path: string;
  message: string;
}

export function settingsSpecOf(network: string): ChannelSettingsSpec {
  return SPECS[network as Network] ?? { settings: {}, credentials: [] };
}

/** What an admin can set on an account of this network (for forms): setting names, listening terms and exclusions, credential names. */
export function describeSettings(network: string) {
  const spec = settingsSpecOf(network);
  return {
    settings: [...Object.keys(spec.settings), ...Object.keys(COMMON_SETTINGS)],
    listening: [...(spec.listening ?? []), ...(spec.exclusions ?? [])],
    credentials: [...spec.credentials],
    resetCursorOn: [...(spec.resetCursorOn ?? [])],
  };
}

const schemas = new Map<string, z.ZodType<Record<string, unknown>>>();

function schemaOf(network: string) {
  let s = schemas.get(network);
  if (!s) {
    const shape = { ...COMMON_SETTINGS, ...settingsSpecOf(network).settings };
    s = z.object(Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, (v as z.ZodType).optional()]))) as unknown as z.ZodType<Record<string, unknown>>;
    schemas.set(network, s);
  }
  return s;
}

/**
 * Check the settings of an account of `network`: all of them (connecting), or those an
 * edit names (`touched`) — a setting stored before these checks existed does not block an
 * unrelated edit. The connector's cross-field rules always see the whole result. Returns
 * the settings as stored (listening terms as lists, ids as strings) or every problem.
 */
export function checkSettings(network: string, settings: Record<string, unknown>, touched?: string[]): { settings: Record<string, unknown>; problems: InputProblem[] } {
  const known = describeSettings(network).settings;
  const keys = Object.keys(settings).filter((k) => !touched || touched.includes(k));
  const problems: InputProblem[] = keys
    .filter((k) => !known.includes(k))
    .map((k) => ({ path: `settings/${k}`, message: `"${k}" is not a setting of ${network} accounts (they read ${known.join(', ')})` }));
  const parsed = schemaOf(network).safeParse(Object.fromEntries(keys.map((k) => [k, settings[k]])));
  if (!parsed.success) for (const i of parsed.error.issues) problems.push({ path: ['settings', ...i.path.map(String)].join('/'), message: i.message });
  if (problems.length) return { settings, problems };
  // what the schema normalized, in the order given
  const out = Object.fromEntries(Object.keys(settings).map((k) => [k, keys.includes(k) ? parsed.data![k] : settings[k]]));
  const crossField = settingsSpecOf(network).check?.(out);
  if (crossField) problems.push({ path: 'settings', message: crossField });
  return { settings: out, problems };
}

/**
 * Credential names, checked when the network's own connector serves the account (a
 * stand-in driver such as `demo`, or a test double, reads its own). Values are not
 * looked at beyond being strings: they are secret and only the network can judge them.
 */
export function checkCredentialNames(network: string, driver: string | null, names: string[]): InputProblem[] {
  if (driver && driver !== network) return [];
  const known = settingsSpecOf(network).credentials;
  return names
    .filter((n) => !known.includes(n))
    .map((n) => ({ path: `credentials/${n}`, message: known.length ? `"${n}" is not a credential of ${network} accounts (they read ${known.join(', ')})` : `${network} accounts take no credentials` }));
}

/** Settings naming where the credentials go that differ between before and after (see ChannelSettingsSpec.credentialsBoundTo). */
export function changedCredentialTargets(network: string, before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return (settingsSpecOf(network).credentialsBoundTo ?? []).filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null));
}

/** Settings whose change makes the stored sync position meaningless (see ChannelSettingsSpec.resetCursorOn). */
export function changedPositionSettings(network: string, before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return (settingsSpecOf(network).resetCursorOn ?? []).filter((k) => JSON.stringify(before[k] ?? null) !== JSON.stringify(after[k] ?? null));
}
