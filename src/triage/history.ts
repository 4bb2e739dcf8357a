/**
 * `parley train --from-history`: turn the team's corrections (explicit, and the
 * implicit "answered" / "dismissed" labels) into examples and retrain the
 * triage model on top of the current one. The result is written into the data
 * directory, where the server picks it up at its next start.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LabelledExample } from '../core/triage/types.js';
import { trainFromExamples, type LearnReport } from '../core/triage/learn.js';
import type { TriageModel } from '../core/triage/model.js';
import type { Store } from '../store/db.js';
import { decodeText } from '../store/text.js';
import { loadModel, loadShippedModel } from './model-io.js';

/** The team-trained model's place in a data directory. */
export const teamModelPath = (dataDir: string) => join(dataDir, 'models', 'triage-team.bin.gz');

/** The model the server should use: PARLEY_TRIAGE_MODEL, else the team's model when trained, else the shipped one. */
export function loadActiveModel(dataDir: string): { model: TriageModel; source: string } {
  if (process.env.PARLEY_TRIAGE_MODEL) return { model: loadShippedModel(), source: process.env.PARLEY_TRIAGE_MODEL };
  const team = teamModelPath(dataDir);
  if (existsSync(team)) return { model: loadModel(team), source: team };
  return { model: loadShippedModel(), source: 'shipped' };
}

/**
 * Examples from the corrections of one brand (or all): the latest label per
 * message and field wins, and an agent's explicit correction beats an implicit one.
 */
export async function historyExamples(store: Store, brandId?: number): Promise<LabelledExample[]> {
  let q = store.db
    .selectFrom('triage_correction')
    .innerJoin('message', 'message.id', 'triage_correction.message_id')
    .select(['triage_correction.message_id', 'triage_correction.source', 'triage_correction.labels', 'message.text', 'message.text_escaped', 'message.network', 'message.visibility', 'message.kind'])
    .orderBy('triage_correction.id');
  if (brandId != null) q = q.where('triage_correction.brand_id', '=', brandId);
  const byMessage = new Map<number, { ex: LabelledExample; explicit: Set<string> }>();
  for (const r of await q.execute()) {
    const labels = JSON.parse(r.labels) as LabelledExample['labels'];
    let e = byMessage.get(r.message_id);
    if (!e) {
      e = { ex: { text: decodeText(r.text, r.text_escaped), labels: {}, input: { network: r.network as never, visibility: r.visibility as never, kind: r.kind as never } }, explicit: new Set() };
      byMessage.set(r.message_id, e);
    }
    for (const [k, v] of Object.entries(labels)) {
      if (r.source !== 'agent' && e.explicit.has(k)) continue; // an agent's word beats an inference
      (e.ex.labels as Record<string, unknown>)[k] = v;
      if (r.source === 'agent') e.explicit.add(k);
    }
  }
  return [...byMessage.values()].map((e) => e.ex);
}

export async function trainFromHistory(store: Store, base: TriageModel, brandId?: number): Promise<LearnReport & { examples: number }> {
  const examples = await historyExamples(store, brandId);
  return { ...trainFromExamples(examples, base), examples: examples.length };
}
