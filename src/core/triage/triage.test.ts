import { beforeAll, describe, expect, it } from 'vitest';
import { loadModel, SHIPPED_MODEL_PATH } from '../../triage/model-io.js';
import { CARE_INTENTS } from './intents.js';
import type { TriageModel } from './model.js';
import { chasedPriority, chaserPoints, closesConversation, DEFAULT_SETTINGS, triage, triageBatch, withoutWaitingTime } from './triage.js';
import type { TriageInput, TriageOutcome } from './types.js';

let model: TriageModel;
beforeAll(() => {
  model = loadModel(SHIPPED_MODEL_PATH);
});

const NOW = Date.UTC(2026, 10, 23, 12, 0, 0);
const MIN = 60_000;
function input(text: string, extra: Partial<TriageInput> = {}): TriageInput {
  return { text, network: 'x', visibility: 'public', kind: 'mention', createdAt: NOW - 5 * MIN, context: { brandHandles: ['acmehelp'] }, ...extra };
}

/** Every field scored, every priority point accounted for. */
function expectExplained(r: TriageOutcome) {
  for (const k of ['action', 'category', 'complaint', 'sentiment', 'accolade', 'chaser', 'language', 'needsResponse'] as const) {
    const f = r[k];
    expect(f.confidence, k).toBeGreaterThanOrEqual(0);
    expect(f.confidence, k).toBeLessThanOrEqual(1);
    expect(f.reason.length, k).toBeGreaterThan(3);
  }
  if (r.intent) expect(r.intent.reason.length).toBeGreaterThan(3);
  const sum = r.priority.factors.reduce((s, f) => s + f.points, 0);
  expect(r.priority.value).toBe(Math.max(0, Math.min(100, sum)));
  for (const f of r.priority.factors) {
    expect(f.code).toMatch(/^[a-z_]+$/);
    expect(f.label.length).toBeGreaterThan(2);
    expect(Number.isFinite(f.points)).toBe(true);
  }
  expect(r.model).toBe(model.version);
}

describe('triage: what a message needs', () => {
  it('answers a complaint, with the complaint and negativity in the priority', () => {
    const r = triage(input('@AcmeHelp my order still has not arrived after two weeks, this is ridiculous'), NOW, model);
    expectExplained(r);
    expect(r.action.value).toBe('respond');
    expect(r.category.value).toBe('customer_service');
    expect(r.complaint.value).toBe(true);
    expect(r.sentiment.value).toBe('negative');
    const codes = r.priority.factors.map((f) => f.code);
    expect(codes).toEqual(expect.arrayContaining(['complaint', 'negative_sentiment', 'public']));
    expect(r.intent && (CARE_INTENTS as readonly string[]).includes(r.intent.value)).toBe(true);
    expect(r.intent?.value).toBe('delivery');
  });

  it('ignores spam and gives it no priority', () => {
    const r = triage(input('WINNER!! You have won a £1000 cash prize. Call 09061701461 to claim now', { kind: 'dm', visibility: 'private' }), NOW, model);
    expectExplained(r);
    expect(r.category.value).toBe('spam');
    expect(r.action.value).toBe('ignore');
    expect(r.priority.value).toBe(0);
    expect(r.priority.factors.at(-1)?.code).toBe('ignored');
  });

  it('monitors trolls instead of answering them', () => {
    const r = triage(input('@AcmeHelp you are all idiots, go die'), NOW, model);
    expectExplained(r);
    expect(r.category.value).toBe('abuse');
    expect(r.action.value).toBe('monitor');
    expect(r.complaint.value).toBe(false);
    expect(r.priority.value).toBeLessThanOrEqual(10);
  });

  it('keeps an angry customer with a real problem in the queue despite swearing', () => {
    const r = triage(input('@AcmeHelp charged twice for my subscription and still no fucking refund'), NOW, model);
    expect(r.category.value).toBe('customer_service');
    expect(r.action.value).toBe('respond');
    expect(r.intent?.value).toMatch(/billing|refund/);
  });

  it('recognises thanks and praise', () => {
    const r = triage(input('@AcmeHelp thank you so much, amazing service from Jenny today!'), NOW, model);
    expectExplained(r);
    expect(r.accolade.value).toBe(true);
    expect(r.complaint.value).toBe(false);
    expect(r.sentiment.value).toBe('positive');
    expect(r.category.value).toBe('brand');
  });

  it('does not ask for a reply to a conversation closer', () => {
    const r = triage(input('@AcmeHelp all sorted now, thanks!', { kind: 'reply', context: { brandHandles: ['acmehelp'], replyTo: { fromBrand: true }, threadDepth: 3 } }), NOW, model);
    expect(r.needsResponse.value).toBe(false);
    expect(r.action.value).toBe('monitor');
  });

  it('leaves a conversation between other people alone', () => {
    const r = triage(input('@someone lol same thing happened to me', { kind: 'reply', context: { brandHandles: ['acmehelp'], replyTo: { fromBrand: false, sameAuthor: false }, threadDepth: 1 } }), NOW, model);
    expect(r.action.value).toBe('monitor');
    expect(r.needsResponse.reason).toMatch(/other people/);
  });

  it('batch triage equals one-by-one', () => {
    const inputs = ['@AcmeHelp where is my refund?', 'great game last night', ''].map((t) => input(t));
    expect(triageBatch(inputs, NOW, model)).toEqual(inputs.map((i) => triage(i, NOW, model)));
  });
});

describe('chaser detection', () => {
  const ctx = (previousInbound: string[], since = NOW - 3 * 60 * MIN) => ({ context: { brandHandles: ['acmehelp'], previousInbound, unansweredSince: since } });

  it('catches explicit chasing phrases without context', () => {
    for (const t of ['@AcmeHelp still waiting for a reply', '@AcmeHelp any update on this?', '@AcmeHelp is anyone there?']) {
      const r = triage(input(t), NOW, model);
      expect(r.chaser.value, t).toBe(true);
    }
  });

  it('catches a bare nudge only when something is unanswered', () => {
    const withCtx = triage(input('@AcmeHelp hello?', ctx(['@AcmeHelp why was I charged twice this month?'])), NOW, model);
    expect(withCtx.chaser.value).toBe(true);
    expect(withCtx.chaser.reason).toMatch(/unanswered/);
    const fresh = triage(input('@AcmeHelp hello?'), NOW, model);
    expect(fresh.chaser.value).toBe(false);
  });

  it('catches a repeat of an unanswered question', () => {
    const prev = ['@AcmeHelp why was I charged twice for my March invoice?'];
    const r = triage(input('@AcmeHelp why have I been charged twice on the March invoice??', ctx(prev)), NOW, model);
    expect(r.chaser.value).toBe(true);
    expect(r.chaser.reason).toMatch(/repeats/);
    const other = triage(input('@AcmeHelp also, can I change my delivery address?', ctx(prev)), NOW, model);
    expect(other.chaser.value).toBe(false);
  });

  it('adds chaser points to the priority', () => {
    const r = triage(input('@AcmeHelp still waiting for an answer', ctx(['@AcmeHelp where is my parcel?'])), NOW, model);
    const f = r.priority.factors.find((x) => x.code === 'chaser');
    expect(f?.points).toBe(DEFAULT_SETTINGS.priority.chaser);
  });
});

describe('priority factors', () => {
  const text = '@AcmeHelp my card payment failed twice today, what is going on?';
  const points = (r: TriageOutcome, code: string) => r.priority.factors.find((f) => f.code === code)?.points ?? 0;

  it('grows with waiting time, up to its maximum', () => {
    const fresh = triage(input(text, { createdAt: NOW - 2 * MIN }), NOW, model);
    const hour = triage(input(text, { createdAt: NOW - 60 * MIN }), NOW, model);
    const days = triage(input(text, { createdAt: NOW - 3 * 24 * 60 * MIN }), NOW, model);
    expect(points(hour, 'waiting_time')).toBeGreaterThan(points(fresh, 'waiting_time'));
    expect(points(days, 'waiting_time')).toBe(DEFAULT_SETTINGS.priority.waitingMax);
    expect(days.priority.value).toBeGreaterThan(fresh.priority.value);
  });

  it('counts waiting from the oldest unanswered message when known', () => {
    const r = triage(input(text, { createdAt: NOW - MIN, context: { brandHandles: ['acmehelp'], unansweredSince: NOW - 24 * 60 * MIN } }), NOW, model);
    expect(points(r, 'waiting_time')).toBe(DEFAULT_SETTINGS.priority.waitingMax);
  });

  it('ranks public above private, by exactly the public points', () => {
    const pub = triage(input(text), NOW, model);
    const priv = triage(input(text, { visibility: 'private', kind: 'dm' }), NOW, model);
    expect(points(pub, 'public')).toBe(DEFAULT_SETTINGS.priority.public);
    expect(points(priv, 'public')).toBe(0);
  });

  it('caps author reach: followers and verification never add more than the cap', () => {
    const nobody = triage(input(text, { author: { followers: 12 } }), NOW, model);
    const celeb = triage(input(text, { author: { followers: 80_000_000, verified: true } }), NOW, model);
    expect(points(nobody, 'reach')).toBe(0);
    expect(points(celeb, 'reach')).toBe(DEFAULT_SETTINGS.priority.reachCap);
    expect(celeb.priority.value - nobody.priority.value).toBeLessThanOrEqual(DEFAULT_SETTINGS.priority.reachCap);
    // everything else is identical: reach is the only difference
    const others = (r: TriageOutcome) => r.priority.factors.filter((f) => f.code !== 'reach');
    expect(others(celeb)).toEqual(others(nobody));
    expect(celeb.priority.factors.find((f) => f.code === 'reach')?.label).toMatch(/capped/);
  });

  it('reach is monotone in followers below the cap', () => {
    const p = (n: number) => points(triage(input(text, { author: { followers: n } }), NOW, model), 'reach');
    expect(p(1_000)).toBeLessThanOrEqual(p(10_000));
    expect(p(10_000)).toBeLessThanOrEqual(p(1_000_000));
    expect(p(1_000_000)).toBeLessThanOrEqual(DEFAULT_SETTINGS.priority.reachCap);
  });

  it('lists every contributing factor: value is exactly the sum of the points', () => {
    const texts = ['@AcmeHelp still waiting!!! charged twice, worst service ever', 'hello', '@AcmeHelp love you guys', 'free entry win cash now txt WIN to 80086'];
    for (const t of texts) for (const followers of [0, 5_000, 10_000_000]) {
      const r = triage(input(t, { author: { followers, verified: followers > 1e6 } }), NOW, model);
      expectExplained(r);
    }
  });
});

describe('hostile input never throws', () => {
  const cases: [string, unknown][] = [
    ['empty', ''],
    ['100 KB', 'refund '.repeat(15_000) + 'x'.repeat(100_000)],
    ['lone surrogates', '\uD800\uDC00\uD800 abc \uDFFF'],
    ['NUL bytes', 'hello\u0000world\u0000\u0000'],
    ['bidi overrides', '\u202Eesrever\u202C \u2066isolate\u2069 \u200F'],
    ['only emoji', '😡😡😡👎'],
    ['control soup', Array.from({ length: 64 }, (_, i) => String.fromCharCode(i)).join('')],
  ];
  it.each(cases)('%s', (_name, text) => {
    const r = triage(input(text as string), NOW, model);
    expectExplained(r);
  });

  it('tolerates missing or odd optional fields', () => {
    const odd = { text: '@AcmeHelp help', network: 'x', visibility: 'public', kind: 'mention', createdAt: Number.NaN, author: null, context: { previousInbound: [null, 3, ''] as unknown as string[], unansweredSince: Number.NaN, threadDepth: -4, brandHandles: null } } as unknown as TriageInput;
    expectExplained(triage(odd, NOW, model));
    expectExplained(triage({ text: undefined } as unknown as TriageInput, NOW, model));
  });

  it('customer-service messages without any words (handle + link only) finish', () => {
    const r = triage(input('@AcmeHelp https://t.co/abc123', { kind: 'reply', context: { brandHandles: ['acmehelp'], replyTo: { fromBrand: true }, threadDepth: 2 } }), NOW, model);
    expectExplained(r);
    expect(r.category.value).toBe('customer_service');
  });

  it('marks truncated input', () => {
    expect(triage(input('a'.repeat(50_000)), NOW, model).truncated).toBe(true);
  });
});

describe('triage: what a message means for its conversation', () => {
  const inThread = (text: string) => input(text, { kind: 'reply', context: { brandHandles: ['acmehelp'], replyTo: { fromBrand: true, sameAuthor: false }, threadDepth: 2 } });

  it('tells a message that only closes the conversation from one that needs an answer', () => {
    for (const text of ['@AcmeHelp thanks, all sorted', '@AcmeHelp ok thanks', '@AcmeHelp thank you so much!']) {
      const r = triage(inThread(text), NOW, model);
      expect(r.action.value, text).toBe('monitor');
      expect(closesConversation(r), text).toBe(true);
    }
    for (const text of ['@AcmeHelp actually one more thing, where is my refund?', '@AcmeHelp it still does not work', '@AcmeHelp you are all useless clowns']) {
      expect(closesConversation(triage(inThread(text), NOW, model)), text).toBe(false);
    }
    expect(closesConversation(null)).toBe(false);
  });

  it("explains a chaser's raise of its conversation's priority, every point listed", () => {
    const chase = triage(input('@AcmeHelp hello??', { context: { brandHandles: ['acmehelp'], unansweredSince: NOW - 2 * 60 * MIN, previousInbound: ['@AcmeHelp my order has not arrived yet'] } }), NOW, model);
    expect(chase.chaser.value).toBe(true);
    expect(chaserPoints(chase)).toBe(DEFAULT_SETTINGS.priority.chaser);
    expect(chaserPoints(triage(input('@AcmeHelp my order has not arrived yet'), NOW, model))).toBe(0);
    const p = chasedPriority(49, 20);
    expect(p).toEqual({ value: 69, factors: [{ code: 'standing', label: expect.any(String), points: 49 }, { code: 'chased', label: 'chased: customer asked again', points: 20 }] });
    const capped = chasedPriority(95, 20);
    expect(capped.value).toBe(100);
    expect(capped.factors.reduce((s, f) => s + f.points, 0)).toBe(100);
  });

  it('drops the waiting-time factor (history), settling the ceiling again', () => {
    const old = input('@AcmeHelp my order has not arrived yet, this is ridiculous', { createdAt: NOW - 3321 * 1440 * MIN });
    const r = triage(old, NOW, model);
    const waited = r.priority.factors.find((f) => f.code === 'waiting_time')!;
    expect(waited.label).toBe('waiting 3321 days');
    const h = withoutWaitingTime(r);
    expect(h.priority.factors.map((f) => f.code)).not.toContain('waiting_time');
    expect(h.priority.value).toBe(r.priority.value - waited.points);
    expect(h.action).toBe(r.action);
    expectExplained(h);
    const fresh = triage(input('@AcmeHelp my order has not arrived yet', { createdAt: NOW }), NOW, model);
    expect(withoutWaitingTime(fresh)).toBe(fresh);
    // monitored: the ceiling of 10 still holds, now from the remaining factors
    const troll = triage(input('@AcmeHelp you are all idiots, go die', { createdAt: NOW - 3 * 1440 * MIN }), NOW, model);
    expect(troll.action.value).toBe('monitor');
    expect(troll.priority.factors.map((f) => f.code)).toContain('monitor_only');
    const t = withoutWaitingTime(troll);
    expect(t.priority.value).toBeLessThanOrEqual(10);
    expect(t.priority.factors.reduce((s, f) => s + f.points, 0)).toBe(t.priority.value);
    expect(t.priority.factors.filter((f) => f.code === 'monitor_only').length).toBeLessThanOrEqual(1);
  });
});

