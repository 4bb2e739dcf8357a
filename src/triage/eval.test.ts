import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TriageModel } from '../core/triage/model.js';
import { repoRoot } from '../lib/paths.js';
import { evaluateFile } from './eval.js';
import { loadModel, SHIPPED_MODEL_PATH } from './model-io.js';

const fx = (f: string) => join(repoRoot, 'test', 'fixtures', 'triage', f);
let model: TriageModel;
beforeAll(() => {
  model = loadModel(SHIPPED_MODEL_PATH);
});

describe('evaluateFile', () => {
  it('reports the contract keys, with per_class keyed by the file’s label values', () => {
    const r = evaluateFile('complaint', fx('complaints.csv'), model);
    expect(r).toMatchObject({ task: 'complaint', n: 6, layout: 'complaints' });
    for (const k of ['accuracy', 'macro_f1', 'macro_recall', 'ms_per_item'] as const) expect(typeof r[k]).toBe('number');
    expect(Object.keys(r.per_class).sort()).toEqual(['0', '1']);
    expect(r.per_class['1']).toEqual(expect.objectContaining({ precision: expect.any(Number), recall: expect.any(Number), f1: expect.any(Number), support: 3 }));
    expect(Object.keys(r.baselines).sort()).toEqual(['majority', 'vader']);
    expect(r.baselines.vader!.ms_per_item).toBeGreaterThan(0);
  });

  it.each([
    ['sentiment', 'tweeteval_sentiment.csv', ['0', '1', '2'], true],
    ['sentiment', 'airline.csv', ['negative', 'neutral', 'positive'], true],
    ['spam', 'sms_spam.csv', ['ham', 'spam'], false],
    ['spam', 'youtube_spam.csv', ['0', '1'], false],
    ['offensive', 'tweeteval_offensive.csv', ['0', '1'], false],
    ['intent', 'banking77.csv', ['card_arrival', 'passcode_forgotten', 'terminate_account', 'transaction_charged_twice'], false],
    ['needs-response', 'twcs.csv', ['False', 'True'], false],
  ] as const)('%s on %s', (task, file, labels, vader) => {
    const r = evaluateFile(task, fx(file), model);
    expect(Object.keys(r.per_class).sort()).toEqual([...labels]);
    expect(r.baselines.majority).toBeDefined();
    expect('vader' in r.baselines).toBe(vader);
    expect(r.accuracy).toBeGreaterThanOrEqual(0);
  });

  it('gets the clear-cut fixture rows right', () => {
    expect(evaluateFile('spam', fx('sms_spam.csv'), model).accuracy).toBe(1);
    expect(evaluateFile('intent', fx('banking77.csv'), model).accuracy).toBeGreaterThanOrEqual(0.75);
  });

  it('refuses a layout that does not fit the task, and unknown layouts', () => {
    expect(() => evaluateFile('intent', fx('sms_spam.csv'), model)).toThrow(/cannot be evaluated for intent/);
    expect(() => evaluateFile('needs-response', fx('complaints.csv'), model)).toThrow(/cannot be evaluated/);
  });

  it('notes when a file is a training source and reports held-out rows separately', () => {
    const r = evaluateFile('sentiment', fx('tweeteval_sentiment.csv'), model);
    expect(r.notes.join(' ')).toMatch(/training source/);
    const c = evaluateFile('complaint', fx('complaints.csv'), model);
    expect(c.held_out).toBeUndefined(); // never trained on complaints
  });
});
