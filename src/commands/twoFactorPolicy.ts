/**
 * A brand's policy "two-factor sign-in required" (workflow settings `security.twoFactorRequired`,
 * set by an admin): enterprises do not leave it to each person. While it is on, a session of
 * someone of the brand without two-factor sign-in may only see who they are (`GET /api/me`),
 * set it up (`/api/me/two-factor/setup`, `/enable`) and sign out; every other route, live events
 * included, answers 403 `two_factor.required` (the check: ../server/http.ts, with the routes that
 * stay open marked `config: { allowWithoutSecondFactor: true }`). Nobody of the brand turns it
 * off while it is required (409). An admin's reset for someone who lost their phone stays
 * allowed: they set it up again at their next sign-in. API tokens are machine access, made by an
 * admin and revoked by one: the policy does not apply to them. A session signed in with a single
 * sign-on provider whose admin states it enforces MFA (`trusts_mfa`, docs/sso.md) satisfies it: the
 * second factor was asked by the provider. Without that, an SSO session is held like any other.
 */
import { AppError, conflict } from '../errors.js';
import { parseObject } from '../lib/json.js';
import type { User } from '../store/schema.js';
import type { Tx } from '../store/util.js';
import { securityOf } from '../workflow/settings.js';

/** Whether a person signs in with a second factor. */
export const twoFactorEnabled = (u: Pick<User, 'totp_enabled_at'>): boolean => u.totp_enabled_at != null;

/** What someone the policy applies to hears on every other route until they set it up. */
export const twoFactorRequired = () => new AppError(403, 'two_factor.required', 'your desk requires two-factor sign-in: set it up to go on');

/** What someone hears who tries to turn it off while the brand requires it. */
export const twoFactorStaysOn = () =>
  conflict('two_factor.required', 'your desk requires two-factor sign-in: it cannot be turned off (lost your phone? sign in with a recovery code, or ask an admin to reset it)');

/**
 * Whether the brand requires two-factor sign-in of everyone, read now from the database (the
 * request-time check uses the workflow settings' short cache instead: WorkflowSettingsStore).
 */
export async function brandRequiresTwoFactor(db: Tx, brandId: number): Promise<boolean> {
  const row = await db.selectFrom('brand').select('settings').where('id', '=', brandId).executeTakeFirst();
  const workflow = parseObject(row?.settings).workflow as { security?: unknown } | undefined;
  return securityOf(workflow?.security).twoFactorRequired;
}

/**
 * Whether a session signed in with this single sign-on provider satisfies the policy: the brand's
 * admin states the provider enforces MFA, and it is still enabled (turning either off holds its
 * sessions to the policy again at their next request). Null: not an SSO session.
 */
export const ssoSatisfiesTwoFactor = (provider: { trusts_mfa: number | null; enabled: number | null } | null): boolean =>
  provider != null && Number(provider.trusts_mfa) === 1 && Number(provider.enabled) === 1;
