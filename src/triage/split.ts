/**
 * The deterministic held-out rule for the permissive training sets. A row whose
 * normalized text hashes into bucket 0 of 5 is never trained on by the shipped
 * model; the CI eval (test/triage-eval.test.ts) measures on exactly those rows.
 * Keyed by text (as the lead's split is), so duplicates never straddle the line, and
 * the same text is held out in every set it appears in.
 */
import { hashString } from '../core/triage/hash.js';

export const HOLDOUT_RULE = 'hash32("parley-holdout-v1\\0" + lower(collapse_ws(trim(text)))) % 5 == 0';

export function splitKey(text: string): string {
  return text.trim().replace(/\s+/g, ' ').toLowerCase();
}

/** True for the ~20 % of texts the shipped model never trains on. */
export function isHeldOut(text: string): boolean {
  return hashString('parley-holdout-v1\u0000' + splitKey(text)) % 5 === 0;
}

/** Inner fold (0..4) of a training text, for model selection inside the training portion. */
export function innerFold(text: string): number {
  return hashString('parley-inner-v1\u0000' + splitKey(text)) % 5;
}

/** 32-bit fingerprint of a training text (the model records these to report eval overlap). */
export function textFingerprint(text: string): number {
  return hashString('parley-fp-v1\u0000' + splitKey(text));
}
