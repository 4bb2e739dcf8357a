/**
 * Reading and writing triage models on disk (gzip of the binary encoding in
 * src/core/triage/model.ts). The shipped model is models/triage.bin.gz in the repo;
 * local models (`parley train --include-restricted`) default to ./data/models/.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { decodeModel, encodeModel, type TriageModel } from '../core/triage/model.js';
import { repoRoot } from '../lib/paths.js';

/** The model shipped in the repository (permissive data only). */
export const SHIPPED_MODEL_PATH = join(repoRoot, 'models', 'triage.bin.gz');
/** Default output of `parley train` (outside the repo's models/, git-ignored data/). */
export const LOCAL_MODEL_PATH = resolve('data', 'models', 'triage.bin.gz');

export function modelBytes(model: TriageModel): Buffer {
  // gzip output is deterministic (no mtime/name in the header), so rebuilds are byte-identical
  return gzipSync(encodeModel(model), { level: 9 });
}

export function saveModel(path: string, model: TriageModel): number {
  const bytes = modelBytes(model);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return bytes.length;
}

export function loadModel(path: string): TriageModel {
  if (!existsSync(path)) throw new Error(`triage model not found: ${path}`);
  const raw = readFileSync(path);
  const bytes = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  return decodeModel(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
}

let shipped: TriageModel | null = null;

/**
 * The model the pipeline should use: `PARLEY_TRIAGE_MODEL` if set, else the shipped
 * one. Loaded once and cached (about 20 ms).
 */
export function loadShippedModel(): TriageModel {
  const override = process.env.PARLEY_TRIAGE_MODEL;
  if (override) return loadModel(override);
  shipped ??= loadModel(SHIPPED_MODEL_PATH);
  return shipped;
}
