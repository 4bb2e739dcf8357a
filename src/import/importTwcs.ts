/**
 * `parley import twcs <file>`: load a TWCS CSV into a brand. Two streaming
 * passes: the first learns who the brands are and who wrote each tweet (to
 * route customer tweets to the right care account), the second ingests in
 * time-ordered batches through the normal pipeline. Re-importing changes
 * nothing (messages dedupe on tweet id); bad rows are quarantined with their
 * line number and the rest is imported.
 *
 * Imported items are marked source 'import': the pipeline stores conversations whose last
 * message is older than HISTORY_AFTER_MS (a week) as history — resolved, out of the workflow
 * (src/core/conversationState.ts, src/pipeline/ingest.ts) — and newer ones as live work.
 */
import { statSync } from 'node:fs';
import type { IngestItem, IngestPipeline } from '../pipeline/ingest.js';
import type { Store } from '../store/db.js';
import { createBrand, createChannelAccount } from '../commands/setup.js';
import { readTwcs, tweetToMessage, TwcsAttribution, type TwcsTweet } from './twcs.js';

export interface ImportProgress {
  phase: 'scan' | 'import';
  rows: number;
  totalRows: number | null;
  bytes: number;
  totalBytes: number;
}

export interface ImportSummary {
  rows: number;
  stored: number;
  duplicates: number;
  quarantined: number;
  bad: { line: number; reason: string }[];
  accountsCreated: number;
  brandId: number;
  ms: number;
}

export interface ImportOptions {
  brandSlug?: string;
  batchSize?: number;
  onProgress?: (p: ImportProgress) => void;
  now?: () => number;
}

export async function ensureBrand(store: Store, slug: string, now: number, name?: string, timezone?: string): Promise<number> {
  const b = await store.db.selectFrom('brand').select('id').where('slug', '=', slug).executeTakeFirst();
  if (b) return b.id;
  return createBrand(store.db, { slug, name: name ?? slug, ...(timezone ? { timezone } : {}) }, now);
}

/** The brand an import without `--brand` goes to: the demo desk's, in the demo's time zone (`npm start` seeds the same). */
const DEFAULT_BRAND = { slug: 'demo', name: 'Parley Demo', timezone: 'Europe/London' } as const;

/** Find or create an X care account per brand handle; returns handle(lowercase) → account id. */
export async function ensureXAccounts(store: Store, brandId: number, handles: Iterable<string>, now: number, driver: string | null = null): Promise<{ ids: Map<string, number>; created: number }> {
  const ids = new Map<string, number>();
  let created = 0;
  const rows = await store.db.selectFrom('channel_account').select(['id', 'external_id']).where('brand_id', '=', brandId).where('network', '=', 'x').execute();
  for (const r of rows) ids.set(r.external_id, r.id);
  for (const h of handles) {
    const key = h.toLowerCase();
    if (ids.has(key)) continue;
    ids.set(key, await createChannelAccount(store.db, { brandId, network: 'x', handle: h, externalId: key, displayName: h, purpose: 'care', driver }, now));
    created++;
  }
  return { ids, created };
}

export async function importTwcs(store: Store, pipeline: IngestPipeline, file: string, opts: ImportOptions = {}): Promise<ImportSummary> {
  const started = Date.now();
  const now = opts.now ?? Date.now;
  const totalBytes = statSync(file).size;
  const batchSize = opts.batchSize ?? 2000;

  // Pass 1: brands and authors; tweet ids the file holds more than once (the first line counts).
  const attribution = new TwcsAttribution();
  const repeated = new Set<string>();
  let rows = 0;
  let bytes = 0;
  const progress = (phase: ImportProgress['phase'], totalRows: number | null) => opts.onProgress?.({ phase, rows, totalRows, bytes, totalBytes });
  for await (const item of readTwcs(file, (n) => (bytes += n))) {
    rows++;
    if (item.kind === 'tweet') {
      if (attribution.has(item.tweet.id)) repeated.add(item.tweet.id);
      else attribution.add(item.tweet);
    }
    if (rows % 5000 === 0) progress('scan', null);
  }
  const totalRows = rows;

  const brandId = opts.brandSlug ? await ensureBrand(store, opts.brandSlug, now()) : await ensureBrand(store, DEFAULT_BRAND.slug, now(), DEFAULT_BRAND.name, DEFAULT_BRAND.timezone);
  // Imported accounts are archives until someone connects them: no connector polls or sends for them.
  const { ids: accountIds, created: accountsCreated } = await ensureXAccounts(store, brandId, attribution.brands.values(), now(), 'archive');

  // Pass 2: ingest.
  const summary: ImportSummary = { rows: 0, stored: 0, duplicates: 0, quarantined: 0, bad: [], accountsCreated, brandId, ms: 0 };
  rows = 0;
  bytes = 0;
  let batch: TwcsTweet[] = [];
  const bad = async (line: number, reason: string, raw: string, quarantineReason = reason) => {
    await quarantineRow(store, brandId, line, quarantineReason, raw, now());
    summary.quarantined++;
    summary.bad.push({ line, reason });
  };
  const flush = async () => {
    if (!batch.length) return;
    batch.sort((a, b) => a.createdAt - b.createdAt);
    const items: IngestItem[] = [];
    for (const t of batch) {
      const handle = attribution.brandOf(t.id);
      const accountId = handle ? accountIds.get(handle.toLowerCase()) : undefined;
      if (!accountId) {
        await bad(t.line, 'no care account for this tweet', JSON.stringify(t.row), 'cannot tell which care account this tweet addresses (no brand mentioned, answered or answering)');
        continue;
      }
      items.push({ channelAccountId: accountId, message: tweetToMessage(t), source: 'import', origin: 'import:twcs', line: t.line });
    }
    const outcomes = await pipeline.ingest(brandId, items);
    outcomes.forEach((o, i) => {
      if (o.status === 'stored') summary.stored++;
      else if (o.status === 'duplicate') summary.duplicates++;
      else {
        // quarantined by the pipeline (a disabled care account, a field it refuses): a bad line like any other
        summary.quarantined++;
        summary.bad.push({ line: items[i]!.line!, reason: o.reason });
      }
    });
    batch = [];
  };
  // the first line of each repeated tweet id, and its row: a later line must say the same, or it is bad
  const firstOf = new Map<string, { line: number; row: string }>();
  for await (const item of readTwcs(file, (n) => (bytes += n))) {
    rows++;
    summary.rows++;
    if (item.kind === 'bad') {
      await bad(item.line, item.reason, item.raw);
    } else {
      const t = item.tweet;
      const conflict = repeated.has(t.id) ? repeatOf(firstOf, t) : null;
      if (conflict) {
        // its text (or another column) would be dropped without a word: the first line is imported, this one reported
        await bad(t.line, `tweet_id ${t.id} is already on line ${conflict.line} with different content (that line is imported)`, conflict.row);
      } else {
        batch.push(t);
        if (batch.length >= batchSize) await flush();
      }
    }
    if (rows % 1000 === 0) progress('import', totalRows);
  }
  await flush();
  progress('import', totalRows);
  summary.bad.sort((a, b) => a.line - b.line);
  summary.ms = Date.now() - started;
  return summary;
}

/**
 * A tweet whose id an earlier line of the file has: that line and this row (as stored in the
 * quarantine) when the two differ, else null (the first of its id, or the same row again).
 */
function repeatOf(firstOf: Map<string, { line: number; row: string }>, t: TwcsTweet): { line: number; row: string } | null {
  const row = JSON.stringify(t.row);
  const first = firstOf.get(t.id);
  if (!first) {
    firstOf.set(t.id, { line: t.line, row });
    return null;
  }
  return first.row === row ? null : { line: first.line, row };
}

/** Record a bad import row once (re-importing the same file does not add it again). */
async function quarantineRow(store: Store, brandId: number, line: number, reason: string, raw: string, now: number): Promise<void> {
  const seen = await store.db
    .selectFrom('quarantine')
    .select('id')
    .where('brand_id', '=', brandId)
    .where('source', '=', 'import:twcs')
    .where('line', '=', line)
    .where('raw', '=', raw)
    .executeTakeFirst();
  if (!seen) await store.db.insertInto('quarantine').values({ brand_id: brandId, source: 'import:twcs', reason, line, raw, created_at: now }).execute();
}
