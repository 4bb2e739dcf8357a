import { describe, expect, it } from 'vitest';
import type { NormalizedMessage } from '../core/types.js';
import type { TriageClassifier } from '../core/triage/classifier.js';
import type { TriageRequest } from '../pipeline/ingest.js';
import { createPipelineTriage, toTriageInput } from './pipelineTriage.js';

const NOW = Date.UTC(2026, 10, 23, 12);
function req(text: string, extra: Partial<TriageRequest> = {}): TriageRequest {
  const message: NormalizedMessage = {
    network: 'x', networkMessageId: String(Math.random()), direction: 'inbound', visibility: 'public', kind: 'mention',
    author: { networkUserId: 'u1', handle: 'jane', followers: 1200, verified: false }, text, createdAt: NOW - 30 * 60_000, raw: {},
  };
  return { message, waitingSince: null, previousUnanswered: [], brandHandles: ['AcmeHelp'], ...extra };
}

describe('createPipelineTriage', () => {
  it('triages a batch in order, using the conversation context', async () => {
    const fn = await createPipelineTriage();
    const out = await fn([
      req('@AcmeHelp my parcel never arrived and nobody answers'),
      req('@AcmeHelp hello?', { waitingSince: NOW - 5 * 3600_000, previousUnanswered: ['@AcmeHelp where is my parcel?'] }),
      req('WINNER!! claim your £1000 prize now, call 09061701461', { message: { ...req('').message, kind: 'dm', visibility: 'private', text: 'WINNER!! claim your £1000 prize now, call 09061701461' } }),
    ], NOW);
    expect(out).toHaveLength(3);
    expect(out[0]!.complaint.value).toBe(true);
    expect(out[1]!.chaser.value).toBe(true);
    expect(out[1]!.priority.factors.find((f) => f.code === 'waiting_time')?.label).toMatch(/5\.0 h/);
    expect(out[2]!.action.value).toBe('ignore');
  });

  it('maps requests to triage inputs', () => {
    const i = toTriageInput(req('hi', { waitingSince: 5, previousUnanswered: ['a'] }));
    expect(i).toMatchObject({ text: 'hi', network: 'x', kind: 'mention', author: { followers: 1200 }, context: { unansweredSince: 5, previousInbound: ['a'], brandHandles: ['AcmeHelp'] } });
  });

  it('falls back to the built-in model when a plug-in fails', async () => {
    const broken: TriageClassifier = { name: 'broken', classify: () => { throw new Error('down'); } };
    const fn = await createPipelineTriage({ classifier: broken });
    const [r] = await fn([req('@AcmeHelp charged twice, need a refund')], NOW);
    expect(r?.complaint.value).toBe(true);
  });
});
