/** Where things live on disk, resolved from the package root rather than the cwd. */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/**
 * The evaluation datasets (../shared/data beside the checkout). Override with
 * PARLEY_SHARED_DATA. Returns null when absent, so callers can say what is missing.
 */
export function sharedDataDir(): string | null {
  const candidates = [process.env.PARLEY_SHARED_DATA, join(repoRoot, '..', 'shared', 'data'), '/work/shared/data'];
  for (const c of candidates) if (c && existsSync(c)) return c;
  return null;
}

/** Path of a shared dataset file, or a thrown error naming what is missing. */
export function sharedDataFile(rel: string): string {
  const dir = sharedDataDir();
  if (!dir) throw new Error(`the evaluation datasets were not found: set PARLEY_SHARED_DATA to the shared/data folder (looked beside the checkout at ${join(repoRoot, '..', 'shared', 'data')})`);
  const p = join(dir, rel);
  if (!existsSync(p)) throw new Error(`dataset file missing: ${p}`);
  return p;
}
