/**
 * The preanalysis thread (src/triage/preanalysisWorker.ts starts it): loads the
 * same model file as the pipeline and answers `{ id, texts }` with the packed
 * preanalyses of those texts (buffers transferred), unless the pipeline's thread has
 * claimed the request first (then `{ id, skipped: true }`).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from './model-io.js';
import { encodePreanalyses, transferables } from './preanalysis.js';

const port = parentPort!;
const { modelPath, claims } = workerData as { modelPath: string; claims: Int32Array };
const model = loadModel(modelPath);
port.on('message', (m: { id: number; texts: string[] }) => {
  // the pipeline's thread may have claimed (and analyzed) it meanwhile: see PreanalysisWorker.share
  if (Atomics.compareExchange(claims, m.id % claims.length, m.id, -m.id) !== m.id) {
    port.postMessage({ id: m.id, skipped: true });
    return;
  }
  try {
    const e = encodePreanalyses(m.texts, model);
    port.postMessage({ id: m.id, e }, transferables(e));
  } catch (err) {
    port.postMessage({ id: m.id, error: String((err as Error)?.message ?? err) });
  }
});
port.postMessage({ ready: true, version: model.version });
