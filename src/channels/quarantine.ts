/**
 * Items a connector could not turn into messages (wrong shape, lost id, unreadable text), kept
 * in the quarantine with the reason. Networks deliver again (a webhook retried after a 503, up
 * to a day and a half on Meta) and polling re-reads its boundary, so an item already
 * quarantined from the same source with the same reason within a week is not added again.
 */
import { serializeRaw } from '../pipeline/validate.js';
import type { Tx } from '../store/util.js';
import type { RejectedItem } from './types.js';

const REDELIVERY_WINDOW_MS = 7 * 86_400_000;

export async function quarantineOnce(db: Tx, brandId: number, source: string, rejected: readonly RejectedItem[], now: number): Promise<number> {
  const rows: { brand_id: number; source: string; reason: string; line: null; raw: string; created_at: number }[] = [];
  for (const r of rejected) {
    const raw = serializeRaw(r.raw).slice(0, 256 * 1024);
    const seen = await db
      .selectFrom('quarantine').select('id')
      .where('brand_id', '=', brandId).where('source', '=', source).where('line', 'is', null).where('created_at', '>=', now - REDELIVERY_WINDOW_MS)
      .where('reason', '=', r.reason).where('raw', '=', raw)
      .executeTakeFirst();
    if (!seen && !rows.some((x) => x.reason === r.reason && x.raw === raw)) rows.push({ brand_id: brandId, source, reason: r.reason, line: null, raw, created_at: now });
  }
  if (rows.length) await db.insertInto('quarantine').values(rows).execute();
  return rows.length;
}
