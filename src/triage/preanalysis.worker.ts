/**
 * The preanalysis thread (src/triage/preanalysisWorker.ts starts it): loads the
 * same model file as the pipeline and answers `{ id, texts }` with the packed
 * preanalyses of those texts (buffers transferred).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { loadModel } from './model-io.js';
import { encodePreanalyses, transferables } from './preanalysis.js';

const port = parentPort!;
const model = loadModel((workerData as { modelPath: string }).modelPath);
port.on('message', (m: { id: number; texts: string[] }) => {
  try {
    const e = encodePreanalyses(m.texts, model);
    port.postMessage({ id: m.id, e }, transferables(e));
  } catch (err) {
    port.postMessage({ id: m.id, error: String((err as Error)?.message ?? err) });
  }
});
port.postMessage({ ready: true, version: model.version });
