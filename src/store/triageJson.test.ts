import { describe, expect, it } from 'vitest';
import { realTexts } from '../bench/data.js';
import { triage } from '../core/triage/triage.js';
import type { TriageInput } from '../core/triage/types.js';
import { loadShippedModel } from '../triage/model-io.js';
import { readStoredTriage, storeTriage } from './triageJson.js';

const NOW = Date.UTC(2026, 10, 23, 12);
const model = loadShippedModel();

function input(text: string, i: number): TriageInput {
  return {
    text, network: 'x', visibility: i % 5 === 0 ? 'private' : 'public', kind: i % 5 === 0 ? 'dm' : 'mention', createdAt: NOW - (i % 90) * 60_000,
    author: { handle: 'jane', followers: (i * 7919) % 100_000, verified: i % 11 === 0 },
    context: { brandHandles: ['AcmeHelp'], unansweredSince: i % 3 === 0 ? NOW - 3_600_000 : null, previousInbound: i % 3 === 0 ? ['@AcmeHelp where is my parcel?'] : [], replyTo: null, threadDepth: i % 4 },
  };
}

describe('stored triage', () => {
  it('reads back exactly what was stored (same keys, same order), for real texts, at about half the size', () => {
    const texts = ['', '<script>alert(1)</script> "quoted" \\ back\u2028slash', '\uD800 lone surrogate and 👩🏽‍💻', ...realTexts().slice(0, 2000)];
    let plain = 0;
    let compact = 0;
    let positional = 0;
    const actions = new Set<string>();
    for (const [i, text] of texts.entries()) {
      const t = triage(input(text, i), NOW, model);
      actions.add(t.action.value);
      const stored = storeTriage(t)!;
      if (stored.startsWith('[')) positional++;
      plain += JSON.stringify(t).length;
      compact += stored.length;
      const back = readStoredTriage(stored);
      expect(back).toEqual(t);
      // same key order too: the API sends what it always sent
      expect(JSON.stringify(back)).toBe(JSON.stringify(t));
    }
    // all but results with a number not in thousandths (script-detected languages), which stay plain JSON
    expect(positional).toBeGreaterThan(texts.length * 0.99);
    expect(actions).toEqual(new Set(['respond', 'monitor', 'ignore'])); // spam/abuse, where needsResponse differs from the action
    expect(compact / plain).toBeLessThan(0.6);
  });

  it('keeps a needsResponse that differs from the action, and extra scores', () => {
    const t = triage(input('@AcmeHelp my refund never arrived, where is it?', 1), NOW, model);
    const odd = { ...t, needsResponse: { value: true, confidence: 0.5, reason: 'other' }, action: { value: 'ignore', confidence: 0.9, reason: 'spam: x' }, scores: { ...t.scores, 'intent:refund': 0.7, 'intent:other': 0.1 } };
    expect(storeTriage(odd)!.startsWith('[')).toBe(true);
    expect(readStoredTriage(storeTriage(odd))).toEqual(odd);
  });

  it('stores as plain JSON what the positional form cannot hold exactly', () => {
    const t = triage(input('@AcmeHelp thanks so much!', 2), NOW, model);
    const shapes: object[] = [
      { ...t, plugin: { extra: 1 } }, // a plugin's own field
      { ...t, complaint: { value: 'yes', confidence: 1, reason: 'x' } }, // wrong type
      { ...t, sentiment: { value: 'positive', confidence: 1, reason: 'x', extra: 1 } },
      { ...t, scores: { spam: 0.1 } }, // not the usual scores
      { ...t, action: { ...t.action, confidence: 0.12345 } }, // not in thousandths
      { ...t, scores: { ...t.scores, 'intent:x': 1 / 3 } },
      { ...t, priority: { value: 3, factors: [{ code: 'x', label: 'y', points: 1, note: 'z' }] } },
      { category: { value: 'other', confidence: 1, reason: 'a plugin without the rest' } },
    ];
    for (const s of shapes) {
      const stored = storeTriage(s)!;
      expect(stored.startsWith('{')).toBe(true);
      expect(readStoredTriage(stored)).toEqual(s);
    }
  });

  it('reads rows stored as objects (older rows, corrections) unchanged, and nothing from what is not triage', () => {
    const legacy = { action: { value: 'respond', confidence: 1, reason: 'corrected by Ann' }, corrected: { by: 3, at: '2026-11-23T12:00:00.000Z' } };
    expect(readStoredTriage(JSON.stringify(legacy))).toEqual(legacy);
    for (const bad of [null, undefined, '', 'not json', '[1,2,3]', '42', '"x"', '[2']) expect(readStoredTriage(bad as string | null)).toBeNull();
    expect(storeTriage(null)).toBeNull();
  });
});
