/**
 * A passkey refusal in the desk's words: the browser's own problem (webauthnProblem), else the
 * server's code said here (`extra` first: what one screen says differently), else its own words.
 * Shared by the passkeys dialog and the forced two-factor set-up screen.
 */
import { webauthnProblem } from '../lib/webauthn.js';
import { refusalOf, type RefusalInfo } from '../ui/Refusal.js';

const SAID: Record<string, string> = {
  'auth.wrong_password': 'The password is not right.',
  'auth.reauthenticate': 'You have no Parley password, so a recent sign-in confirms this: sign out, sign in again, then try again.',
  'auth.sso_required': 'Your desk signs you in with your organisation’s account, so a passkey would not sign you in here.',
  'passkey.exists': 'That passkey is already added.',
  'passkey.invalid_name': 'A passkey’s name is 1 to 60 characters, on one line.',
  'passkey.too_many': 'You have as many passkeys as a person may: remove one first.',
  'passkey.challenge_invalid': 'That took too long (or was started again in another window). Try again.',
  'passkey.not_verified': 'The device did not check that it is you (a PIN, a fingerprint or a face): this desk needs it.',
  'passkey.wrong_origin': 'The passkey was made for another address than this desk’s. Open the desk at its usual address and try again.',
  'passkey.wrong_rp': 'The passkey was made for another address than this desk’s. Open the desk at its usual address and try again.',
};

export function passkeyRefusal(err: unknown, extra: Record<string, string> = {}): RefusalInfo {
  const browser = webauthnProblem(err);
  if (browser) return { code: 'passkey.browser', detail: browser };
  const r = refusalOf(err);
  return { code: r.code, detail: extra[r.code] ?? SAID[r.code] ?? r.detail };
}
