import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, SHIPPED_MODEL_PATH } from '../../triage/model-io.js';
import { trainFromExamples } from './learn.js';
import { encodeModel, type TriageModel } from './model.js';
import { triage } from './triage.js';
import type { LabelledExample, TriageInput } from './types.js';

let base: TriageModel;
beforeAll(() => {
  base = loadModel(SHIPPED_MODEL_PATH);
});
const NOW = Date.UTC(2026, 10, 23, 12);
const input = (text: string): TriageInput => ({ text, network: 'x', visibility: 'public', kind: 'mention', createdAt: NOW, context: { brandHandles: ['acmehelp'] } });

// A team that treats affiliate "promo code" posts as spam (the built-in model doesn't).
const promos = ['use my promo code SAVE20 at AcmeShop', 'promo code FREESHIP works at AcmeShop, enjoy', 'get 30% off with promo code ACME30 today', 'my promo code JANE10 gives you a discount at AcmeShop', 'promo code BIGDEAL for new customers at AcmeShop', 'new promo code SPRING15, share it', 'promo code HELLO5 still works at AcmeShop', 'best promo code for AcmeShop: VIP25'];
const service = ['@AcmeHelp my parcel has not arrived', '@AcmeHelp I was charged twice', '@AcmeHelp how do I change my address?', '@AcmeHelp the app crashes on login', '@AcmeHelp can I return a gift?', '@AcmeHelp my refund is missing', '@AcmeHelp my discount code was not applied at checkout', '@AcmeHelp my order is late'];
const examples: LabelledExample[] = [
  ...promos.map((text) => ({ text, labels: { category: 'spam' as const, action: 'ignore' as const } })),
  ...service.map((text) => ({ text, labels: { category: 'customer_service' as const, action: 'respond' as const } })),
];

describe('trainFromExamples', () => {
  it('learns a team rule the base model lacks, without forgetting service messages', () => {
    const probe = 'promo code WINTER40 at AcmeShop, enjoy!';
    expect(triage(input(probe), NOW, base).category.value).not.toBe('spam');
    const { model, used } = trainFromExamples(examples, base);
    expect(used).toMatchObject({ category: 16, action: 16 });
    const r = triage(input(probe), NOW, model);
    expect(r.category.value).toBe('spam');
    expect(r.action.value).toBe('ignore');
    const svc = triage(input('@AcmeHelp my parcel is missing and nobody replies'), NOW, model);
    expect(svc.category.value).toBe('customer_service');
    expect(svc.action.value).toBe('respond');
    expect(model.version).toBe(`${base.version}+team`);
  });

  it('is deterministic and leaves the base model untouched', () => {
    const before = Buffer.from(encodeModel(base));
    const a = trainFromExamples(examples, base).model;
    const b = trainFromExamples(examples, base).model;
    expect(Buffer.from(encodeModel(a)).equals(Buffer.from(encodeModel(b)))).toBe(true);
    expect(Buffer.from(encodeModel(base)).equals(before)).toBe(true);
  });

  it('skips labels with too few examples and says so', () => {
    const { used, skipped, model } = trainFromExamples([{ text: 'meh', labels: { sentiment: 'negative' } }, { text: '@AcmeHelp a gift', labels: { intent: 'no_such_intent' } }], base);
    expect(used).toEqual({});
    expect(skipped.sentiment).toMatch(/1 examples, need 5/);
    expect(skipped.intent_unknown).toMatch(/1 examples/);
    expect(Object.keys(model.heads).sort()).toEqual(Object.keys(base.heads).sort());
  });

  it('adapts sentiment and complaint from corrections', () => {
    // the team considers "meh" messages about the app complaints and negative
    const meh = ['the new app is meh', 'meh update again', 'app redesign is meh', 'meh, the checkout changed', 'honestly meh app', 'meh meh meh new layout', 'the app is so meh now', 'meh experience with the app'];
    const ex: LabelledExample[] = meh.map((text) => ({ text, labels: { sentiment: 'negative', complaint: true } }));
    ex.push(...['love the new app', 'the app looks great', 'nice update to the app', 'the app is fine', 'new layout is lovely'].map((text) => ({ text, labels: { sentiment: 'positive' as const, complaint: false } })));
    const { model } = trainFromExamples(ex, base);
    const r = triage(input('@AcmeHelp the latest app is meh'), NOW, model);
    expect(r.sentiment.value).toBe('negative');
    expect(r.complaint.value).toBe(true);
    expect(triage(input('@AcmeHelp love the new app'), NOW, model).complaint.value).toBe(false);
  });

  it('learns care intents from examples', () => {
    const ex: LabelledExample[] = [
      ...['my loyalty points disappeared', 'where are my loyalty points', 'loyalty points not added', 'points missing from my loyalty account', 'loyalty card points gone'].map((text) => ({ text, labels: { intent: 'account_change' } })),
      ...['the app is down', 'site is down again', 'cannot load the website', 'servers down?', 'app not loading at all'].map((text) => ({ text, labels: { intent: 'outage' } })),
    ];
    const { model, used } = trainFromExamples(ex, base);
    expect(used.intent_care).toBe(10);
    expect(triage(input('@AcmeHelp my loyalty points are missing!'), NOW, model).intent?.value).toBe('account_change');
  });
});
