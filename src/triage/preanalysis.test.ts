import { describe, expect, it } from 'vitest';
import { completePreanalysis, preanalyze, triage } from '../core/triage/triage.js';
import type { TriageInput } from '../core/triage/types.js';
import { realTexts } from '../bench/data.js';
import type { TriageRequest } from '../pipeline/ingest.js';
import { loadShippedModel, SHIPPED_MODEL_PATH } from './model-io.js';
import { decodePreanalyses, encodePreanalyses } from './preanalysis.js';
import { PreanalysisWorker } from './preanalysisWorker.js';
import { createPipelineTriage } from './pipelineTriage.js';

const NOW = Date.UTC(2026, 10, 23, 12);
const model = loadShippedModel();

const HOSTILE = [
  '',
  '   ',
  '<script>alert(1)</script> @AcmeHelp my order #12345 never came!!!',
  'x'.repeat(100_000),
  '\u202Eesrever\u202C free iPhone WINNER call 09061701461',
  '\uD800 lone surrogate \uDFFF and 👩🏽‍💻 and ＠AcmeHelp',
  'STILL WAITING??? @AcmeHelp @AcmeHelp hello??? https://t.co/abc www.example.com',
  'Ça ne marche pas depuis hier, aidez-moi svp',
  'ok thx :) <3',
];

function input(text: string, i: number): TriageInput {
  return {
    text, network: 'x', visibility: i % 5 === 0 ? 'private' : 'public', kind: i % 5 === 0 ? 'dm' : 'mention', createdAt: NOW - (i % 90) * 60_000,
    author: { handle: 'jane', followers: (i * 7919) % 100_000, verified: false },
    context: { brandHandles: ['AcmeHelp'], unansweredSince: i % 3 === 0 ? NOW - 3_600_000 : null, previousInbound: i % 3 === 0 ? ['@AcmeHelp where is my parcel?'] : [], replyTo: null, threadDepth: i % 4 },
  };
}

describe('preanalysis across threads', () => {
  it('gives exactly the triage of the inline path, for real texts and hostile ones', () => {
    const texts = [...HOSTILE, ...realTexts().slice(0, 3000)];
    const pres = decodePreanalyses(encodePreanalyses(texts, model));
    expect(pres).toHaveLength(texts.length);
    let differing = 0;
    texts.forEach((t, i) => {
      const a = triage(input(t, i), NOW, model);
      const b = triage(input(t, i), NOW, model, pres[i]);
      if (JSON.stringify(a) !== JSON.stringify(b)) differing++;
    });
    expect(differing).toBe(0);
    // and the decoded analysis is the analysis (a spot check beyond the triage output)
    const direct = triage(input(HOSTILE[2]!, 2), NOW, model);
    expect(direct.complaint.value).toBe(triage(input(HOSTILE[2]!, 2), NOW, model, pres[2]).complaint.value);
  });

  it('runs on a worker thread: texts handed over are preanalyzed there and taken as often as handed over', async () => {
    const errors: string[] = [];
    const w = new PreanalysisWorker({ modelPath: SHIPPED_MODEL_PATH, version: model.version, onError: (m) => errors.push(m) });
    try {
      await until(() => w.usable);
      const texts = [...new Set([...HOSTILE, ...realTexts().slice(0, 200)])];
      w.prefetch(texts);
      expect(w.held).toBe(texts.length);
      for (const [i, t] of texts.slice(0, 50).entries()) {
        const pre = await w.take(t);
        expect(pre, `text ${i}`).not.toBeNull();
        expect(JSON.stringify(triage(input(t, i), NOW, model, pre!))).toBe(JSON.stringify(triage(input(t, i), NOW, model)));
      }
      expect(await w.take(texts[0]!)).toBeNull(); // taken already
      // a text handed over twice (a spam wave, a copied complaint) is analyzed once and taken twice
      w.prefetch(['same words twice', 'same words twice']);
      expect(w.held).toBe(texts.length - 50 + 1);
      expect(await w.take('same words twice')).not.toBeNull();
      expect(await w.take('same words twice')).not.toBeNull();
      expect(await w.take('same words twice')).toBeNull();
      // handed over and never taken (a duplicate delivery dropped at dedupe): forgotten once old
      w.prefetch(['dropped duplicate']);
      w.expire(Date.now() - 60_000);
      expect(await w.take('dropped duplicate')).not.toBeNull();
      w.prefetch(['dropped duplicate']);
      w.expire(Date.now() + 1);
      expect(w.held).toBe(0);
      expect(await w.take('dropped duplicate')).toBeNull();
      expect(await w.take('never handed over')).toBeNull();
      expect(errors).toEqual([]);
    } finally {
      await w.close();
    }
    expect(w.usable).toBe(false);
  });

  it('shares work with the worker instead of waiting: requests it has not started are analyzed on the calling thread, none twice', async () => {
    const w = new PreanalysisWorker({ modelPath: SHIPPED_MODEL_PATH, version: model.version });
    try {
      await until(() => w.usable);
      const texts = [...new Set(realTexts().slice(500, 2500))];
      // handed over as many requests (webhook deliveries of 20 messages), then needed at once
      for (let i = 0; i < texts.length; i += 20) w.prefetch(texts.slice(i, i + 20));
      let analyzedHere = 0;
      w.share(texts, (batch) => {
        analyzedHere += batch.length;
        return batch.map((t) => completePreanalysis(preanalyze(t, model), model));
      });
      // the worker cannot have started the newest of 100 requests yet: this thread took some
      expect(w.shared).toBeGreaterThan(0);
      expect(analyzedHere).toBeGreaterThan(0);
      expect(analyzedHere).toBeLessThan(texts.length); // and left the oldest to the worker
      for (const [i, t] of texts.entries()) {
        const pre = await w.take(t);
        expect(pre, `text ${i}`).not.toBeNull();
        if (i % 50 === 0) expect(JSON.stringify(triage(input(t, i), NOW, model, pre!))).toBe(JSON.stringify(triage(input(t, i), NOW, model)));
      }
      // every request this thread claimed, the worker skipped rather than analyzed again
      await until(() => w.skipped === w.shared);
      expect(w.held).toBe(0);
    } finally {
      await w.close();
    }
  });

  it('is not used when the worker loaded another model than the pipeline', async () => {
    const errors: string[] = [];
    const w = new PreanalysisWorker({ modelPath: SHIPPED_MODEL_PATH, version: 'some-other-model', onError: (m) => errors.push(m) });
    try {
      await until(() => errors.length > 0);
      expect(errors[0]).toMatch(/loaded model .* the pipeline uses some-other-model/);
      expect(w.usable).toBe(false);
      w.prefetch(['hello']);
      expect(w.held).toBe(0);
    } finally {
      await w.close();
    }
  });

  it('the pipeline triage with a model file gives the same results with or without the worker', async () => {
    const inline = await createPipelineTriage({ model });
    const threaded = await createPipelineTriage({ model, modelPath: SHIPPED_MODEL_PATH });
    try {
      const texts = realTexts().slice(100, 400);
      const reqs: TriageRequest[] = texts.map((text, i) => ({
        message: { network: 'x', networkMessageId: `m${i}`, direction: 'inbound', visibility: 'public', kind: 'mention', author: { networkUserId: `u${i}`, handle: `u${i}` }, text, createdAt: NOW - 60_000, raw: {} },
        waitingSince: i % 2 ? NOW - 7_200_000 : null, previousUnanswered: [], brandHandles: ['AcmeHelp'],
      }));
      // before the worker is up (inline), and once it preanalyzes: the same answers
      threaded.prefetch!(texts);
      const early = await threaded(reqs, NOW);
      const expected = JSON.stringify(await inline(reqs, NOW));
      expect(JSON.stringify(early)).toBe(expected);
      const before = threaded.stats!().preanalyzed;
      let late: unknown;
      await until(() => threaded.stats!().preanalyzed > before, 30_000, async () => {
        threaded.prefetch!(texts);
        late = await threaded(reqs, NOW);
      });
      expect(threaded.stats!().preanalyzed - before).toBeGreaterThan(0);
      expect(JSON.stringify(late)).toBe(expected);
      expect(threaded.stats!().held).toBe(0);
    } finally {
      await threaded.close!();
    }
  });
});

/** Poll `f` (running `step` before each look) until it holds. */
async function until(f: () => boolean, ms = 30_000, step?: () => Promise<void>) {
  const t0 = Date.now();
  for (;;) {
    await step?.();
    if (f()) return;
    if (Date.now() - t0 > ms) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
