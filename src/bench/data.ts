/**
 * Benchmark data: real TWCS texts (the dev files in ../shared/data, or the
 * bundled demo excerpt when they are absent) as message bodies, arranged into
 * a realistic stream — customers who write several times, brand replies in
 * thread, a few private messages.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { NormalizedMessage } from '../core/types.js';
import { decodeTwitterEntities } from '../import/twcs.js';
import { readCsvRows } from '../lib/csv.js';
import { sharedDataDir } from '../lib/paths.js';
import { DEMO_FILE } from '../demo/seed.js';
import { join } from 'node:path';

let cached: string[] | null = null;

/** Real customer-care tweet texts. */
export function realTexts(): string[] {
  if (cached) return cached;
  const files: string[] = [];
  const dir = sharedDataDir();
  if (dir) for (const f of ['twcs/twcs_head5k.csv', 'twcs/spotifycares_inbound.csv']) if (existsSync(join(dir, f))) files.push(join(dir, f));
  if (!files.length) files.push(DEMO_FILE);
  const texts: string[] = [];
  for (const f of files) for (const r of readCsvRows(readFileSync(f, 'utf8')).rows) if (r.text) texts.push(decodeTwitterEntities(r.text));
  cached = texts;
  return texts;
}

/** A deterministic stream of `n` messages starting at `t0`, `rate` per second. */
export function* messageStream(n: number, opts: { t0: number; rate?: number; prefix?: string; customers?: number } = { t0: Date.now() }): Generator<NormalizedMessage> {
  const texts = realTexts();
  const rate = opts.rate ?? 1000;
  const customers = opts.customers ?? Math.max(10, Math.floor(n / 3));
  const prefix = opts.prefix ?? 'b';
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const recentInbound: string[] = [];
  for (let i = 0; i < n; i++) {
    const createdAt = opts.t0 + Math.floor((i * 1000) / rate);
    const r = rnd();
    const id = `${prefix}${i}`;
    if (r < 0.25 && recentInbound.length) {
      // a brand reply to a recent customer message
      const parent = recentInbound[Math.floor(rnd() * recentInbound.length)]!;
      yield { network: 'x', networkMessageId: id, direction: 'outbound', fromBrand: true, visibility: 'public', kind: 'reply', author: { networkUserId: 'brand', handle: 'BenchCare' }, text: texts[i % texts.length]!, inReplyToNetworkId: parent, createdAt, raw: { i } };
      continue;
    }
    const customer = Math.floor(rnd() * customers);
    const msg: NormalizedMessage = {
      network: 'x', networkMessageId: id, direction: 'inbound', visibility: r > 0.95 ? 'private' : 'public', kind: r > 0.95 ? 'dm' : 'mention',
      author: { networkUserId: `c${customer}`, handle: `customer${customer}`, displayName: `Customer ${customer}`, followers: Math.floor(rnd() * 5000) },
      text: texts[(i * 7) % texts.length]!, createdAt, raw: { i },
    };
    recentInbound.push(id);
    if (recentInbound.length > 200) recentInbound.shift();
    yield msg;
  }
}
