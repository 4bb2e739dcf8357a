/** Which brand a CLI command acts on: the one named by --brand, else the only one there is. */
import type { Store } from '../store/db.js';
import { CliError } from './command.js';

export interface CliBrand {
  id: number;
  slug: string;
  name: string;
  timezone: string;
}

/**
 * The brand `slug` names; without a slug, the database's only brand. Several brands and no
 * --brand, or none at all, is a CliError that says what to do.
 */
export async function pickBrand(store: Store, slug: string | undefined): Promise<CliBrand> {
  const all = await store.db.selectFrom('brand').select(['id', 'slug', 'name', 'timezone']).orderBy('id').execute();
  if (slug !== undefined) {
    const b = all.find((x) => x.slug === slug);
    if (!b) throw new CliError(`no brand "${slug}"${all.length ? ` (brands: ${all.map((x) => x.slug).join(', ')})` : ': there is no brand yet; add one with `parley brand add --slug … --name …`'}`);
    return b;
  }
  if (all.length === 1) return all[0]!;
  if (!all.length) throw new CliError('no brand yet: add one with `parley brand add --slug <slug> --name <name> [--timezone <zone>]` (or start Parley with its demo, or import data)');
  throw new CliError(`there are ${all.length} brands (${all.map((x) => x.slug).join(', ')}): say which with --brand <slug>`);
}
