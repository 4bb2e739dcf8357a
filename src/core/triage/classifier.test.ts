import { beforeAll, describe, expect, it, vi } from 'vitest';
import { loadModel, SHIPPED_MODEL_PATH } from '../../triage/model-io.js';
import { linearClassifier, triageWith, withFallback, type TriageClassifier } from './classifier.js';
import type { TriageModel } from './model.js';
import { triage } from './triage.js';
import type { TriageInput, TriageSignals } from './types.js';

let model: TriageModel;
beforeAll(() => {
  model = loadModel(SHIPPED_MODEL_PATH);
});
const NOW = Date.UTC(2026, 10, 23, 12);
const input = (text: string): TriageInput => ({ text, network: 'x', visibility: 'public', kind: 'mention', createdAt: NOW - 60_000, context: { brandHandles: ['acmehelp'] } });

/** A stand-in for an LLM/transformer plug-in: counts calls, answers what it is told. */
function fakeSecondary(answer: Partial<TriageSignals>, opts: { fail?: boolean; delayMs?: number } = {}) {
  const calls: { input: TriageInput; prior?: TriageSignals }[] = [];
  const c: TriageClassifier = {
    name: 'fake-llm',
    async classify(i, _now, prior) {
      calls.push({ input: i, prior });
      if (opts.delayMs) await new Promise((r) => setTimeout(r, opts.delayMs));
      if (opts.fail) throw new Error('endpoint unavailable');
      return answer;
    },
  };
  return { c, calls };
}

describe('linearClassifier + triageWith', () => {
  it('gives the same result as the synchronous triage', async () => {
    const i = input('@AcmeHelp my parcel never arrived and nobody answers');
    const viaInterface = await triageWith(linearClassifier(model), i, NOW);
    const direct = triage(i, NOW, model);
    expect(viaInterface.action).toEqual(direct.action);
    expect(viaInterface.category).toEqual(direct.category);
    expect(viaInterface.priority).toEqual(direct.priority);
    expect(viaInterface.intent).toEqual(direct.intent);
  });
});

describe('withFallback', () => {
  it('does not call the secondary when the primary is confident', async () => {
    const { c, calls } = fakeSecondary({ category: { value: 'spam', confidence: 0.99, reason: 'x' } });
    const composed = withFallback(linearClassifier(model), c, 0.01);
    const r = await triageWith(composed, input('@AcmeHelp thank you so much, amazing service!'), NOW);
    expect(calls).toHaveLength(0);
    expect(r.category.value).not.toBe('spam');
    expect(r.model).toBe(model.version);
  });

  it('asks the secondary when unsure and takes over exactly the uncertain fields', async () => {
    const { c, calls } = fakeSecondary({
      category: { value: 'spam', confidence: 0.97, reason: 'promotion for a crypto scheme' },
      sentiment: { value: 'positive', confidence: 0.9, reason: 'upbeat' },
    });
    const composed = withFallback(linearClassifier(model), c, 1.01, { fields: ['category'] }); // threshold above 1: always unsure about category
    const r = await triageWith(composed, input('@AcmeHelp check this out'), NOW);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.prior?.category).toBeDefined(); // the plug-in sees the built-in judgement
    expect(r.category.value).toBe('spam');
    expect(r.category.reason).toMatch(/^fake-llm: /);
    // the pipeline's decision follows the merged signals: spam is ignored, priority 0
    expect(r.action.value).toBe('ignore');
    expect(r.priority.value).toBe(0);
    expect(r.model).toContain('+fake-llm(');
    // `fields` decides whether to ask; once asked, every field below the threshold is taken over
    expect(r.model).toContain('category');
    expect(r.sentiment.value).toBe('positive');
    expect(r.sentiment.reason).toMatch(/^fake-llm: /);
  });

  it('keeps the primary answer when the secondary fails', async () => {
    const { c } = fakeSecondary({}, { fail: true });
    const composed = withFallback(linearClassifier(model), c, 1.01);
    const i = input('@AcmeHelp my card was declined twice today');
    const r = await triageWith(composed, i, NOW);
    const direct = triage(i, NOW, model);
    expect(r.category).toEqual(direct.category);
    expect(r.action).toEqual(direct.action);
    expect(r.model).toMatch(/fallback fake-llm failed: endpoint unavailable/);
  });

  it('gives up on a slow secondary after the timeout', async () => {
    vi.useRealTimers();
    const { c } = fakeSecondary({ category: { value: 'spam', confidence: 1, reason: 'late' } }, { delayMs: 200 });
    const composed = withFallback(linearClassifier(model), c, 1.01, { timeoutMs: 20 });
    const r = await triageWith(composed, input('@AcmeHelp hi'), NOW);
    expect(r.category.value).not.toBe('spam');
    expect(r.model).toMatch(/timed out/);
  });

  it('fills fields a partial primary left out', async () => {
    const partial: TriageClassifier = { name: 'rules-only', classify: () => ({ category: { value: 'brand', confidence: 0.3, reason: 'weak' } }) };
    const { c } = fakeSecondary({ sentiment: { value: 'negative', confidence: 0.8, reason: 'angry' }, category: { value: 'customer_service', confidence: 0.9, reason: 'issue' } });
    const r = await triageWith(withFallback(partial, c, 0.5), input('@AcmeHelp where is my order'), NOW);
    expect(r.sentiment.value).toBe('negative');
    expect(r.category.value).toBe('customer_service');
    // never judged by anyone: explicit unknown with confidence 0
    expect(r.accolade.confidence).toBe(0);
    expect(r.accolade.reason).toMatch(/not judged/);
  });

  it('composes: a fallback can itself have a fallback', async () => {
    const a = fakeSecondary({}, { fail: true });
    const b = fakeSecondary({ complaint: { value: true, confidence: 0.95, reason: 'b says so' } });
    const chain = withFallback(withFallback(linearClassifier(model), a.c, 1.01, { fields: ['complaint'] }), b.c, 1.01, { fields: ['complaint'] });
    const r = await triageWith(chain, input('@AcmeHelp hmm'), NOW);
    expect(r.complaint.value).toBe(true);
    expect(r.complaint.reason).toMatch(/b says so/);
    expect(r.priority.factors.some((f) => f.code === 'complaint')).toBe(true);
  });
});
