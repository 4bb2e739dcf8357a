/**
 * Responding well, from a QA pass on the reply checks: what a care team hits in ordinary work.
 * A link with words that only point at it is still no answer; the brand's own hotline is no
 * personal data, opening hours are no phone number, while a card or phone number spaced with
 * no-break spaces is; invisible or full-width characters do not slip a refund past sign-off;
 * Japanese threads are cut after a sentence, and X counts Japanese written straight after a link.
 */
import { describe, expect, it } from 'vitest';
import { requiresApproval, type ApprovalPolicy } from './approval.js';
import { detectSensitive } from './privateOffer.js';
import { checkReply, type ReplyCheckInput } from './replyChecks.js';
import { measure, splitIntoThread, twitterWeightedLength } from './textLength.js';

const jane = { name: 'Jane Doe', handle: 'jane_doe' };
const run = (text: string, patch: Partial<ReplyCheckInput> = {}) => checkReply({ text, network: 'mastodon', visibility: 'public', customer: jane, ...patch });
const codes = (text: string, patch: Partial<ReplyCheckInput> = {}) => run(text, patch).results.map((r) => r.code);

describe('reply.link_only: words that only point at the link are no answer', () => {
  it.each([
    'Hi Jane, kindly refer to https://example.com/help',
    'Hi Jane, everything is explained here https://example.com/help',
    'Hi Jane, have a look at https://example.com/help',
    'Hi Jane, all the info you need is at https://example.com/help',
    'Hi Jane, https://example.com/help should answer your question',
    'Hi Jane, this article explains it: https://example.com/help',
    'Hi Jane, the steps are here https://example.com/help',
    'Hi Jane, here’s the guide: https://example.com/help',
    'Hi Jane, you’ll find everything you need at https://example.com/help',
    'Hi Jane, I think this link should help https://example.com/help',
    'Hi Jane, our FAQ covers this https://example.com/help',
    'Hi Jane, please see https://example.com/help for more information on refunds.',
    'Hi Jane, details about your order: https://example.com/help',
  ])('blocks %j', (text) => {
    const report = run(text);
    expect(report.ok).toBe(false);
    expect(report.results.find((r) => r.code === 'reply.link_only')).toMatchObject({ severity: 'block', detail: 'The reply is only a link' });
  });

  it.each([
    'Hi Jane, yes: you can return it within 30 days https://example.com/returns',
    'Hi Jane, refunds take 5 working days. More info on refunds: https://example.com/refunds',
    'Hi Jane, you can track it here: https://example.com/track',
    'Hi Jane, we have fixed the bug in version 2.3, update here: https://example.com/app',
    'Hi Jane, the outage is over and everything should work again. Status: https://status.example.com',
    'Hi Jane, you will need to update the app to 4.2 first: https://example.com/app',
    'Hi Jane, the form to claim compensation is here: https://example.com/claim',
    'Hi Jane, yes it works with iPhone 15: https://example.com/compat',
    'Hi Jane, delivery is free over £20 https://example.com/delivery',
  ])('lets an answer with a link through: %j', (text) => {
    expect(codes(text)).not.toContain('reply.link_only');
  });
});

describe('reply.personal_data: the brand’s own contact details and opening hours are not personal data', () => {
  it.each([
    'Hi Jane, call us on 0800 123 4567 and we will sort it out.',
    'Hi Jane, our number is +1 (800) 555-0100, any time.',
    'Hi Jane, email us at support@example.com and we will take a look.',
    'Hi Jane, you can reach us any time on 0800 123 4567.',
    'Hi Jane, our customer care line 0800 123 4567 is open 24/7.',
    'Hi Jane, visit our store at 10 Downing Street.',
    'Hi Jane, we are open 10.00-18.00 on weekdays.',
    'Hi Jane, the team is in from 9.30 - 17.30 and the shop opened at 10:30 12.12.2024.',
    'Hi Jane, the video has 1 000 000 views already!',
  ])('no warning on %j', (text) => {
    expect(codes(text)).not.toContain('reply.personal_data');
  });

  it.each([
    ['Hi Jane, our team will call you on 07700 900123 today.', 'phone number'],
    ['Hi Jane, we will call you on 07700 900123 today.', 'phone number'],
    ['Hi Jane, we have updated our records with jane@example.com', 'e-mail address'],
    ['Hi Jane, call us on 0800 123 4567. Your card 4111 1111 1111 1111 is blocked.', 'card number'],
    ['Hi Jane, is 07700 900123 your number? Call us on 0800 123 4567.', 'phone number'],
  ])('still warns on the customer’s own details: %j', (text, label) => {
    const r = run(text).results.find((x) => x.code === 'reply.personal_data');
    expect(r?.detail).toBe(`Contains ${label}`);
    expect((r?.data?.matches as unknown[]).length).toBe(1);
  });

  it.each([
    ['a card number spaced with no-break spaces', 'card 4111\u00A01111\u00A01111\u00A01111', 'card_number', '4111\u00A01111\u00A01111\u00A01111'],
    ['a card number spaced with thin spaces', 'card 4111\u20091111\u20091111\u20091111', 'card_number', '4111\u20091111\u20091111\u20091111'],
    ['a card number grouped with " - "', 'card 4111 - 1111 - 1111 - 1111', 'card_number', '4111 - 1111 - 1111 - 1111'],
    ['a French phone number with no-break spaces', 'tel 01\u00A023\u00A045\u00A067\u00A089', 'phone', '01\u00A023\u00A045\u00A067\u00A089'],
    ['an international number with narrow no-break spaces', 'tel +33\u202F1\u202F23\u202F45\u202F67\u202F89', 'phone', '+33\u202F1\u202F23\u202F45\u202F67\u202F89'],
  ])('finds %s', (_label, text, kind, found) => {
    expect(detectSensitive(text).map((m) => [m.kind, m.text])).toEqual([[kind, found]]);
  });

  it('flags a pasted card number in a public reply', () => {
    const r = run('Hi Jane, we refunded the card 4111\u00A01111\u00A01111\u00A01111 today.').results.find((x) => x.code === 'reply.personal_data');
    expect(r?.detail).toBe('Contains card number');
  });
});

describe('sign-off reads the text as the customer sees it', () => {
  const policy: ApprovalPolicy = { content: { keywords: ['legal action'], refundTerms: true, amountLimits: { '*': 50 } } };
  const decide = (text: string) => requiresApproval(policy, { agent: { id: '7' }, reply: { text, visibility: 'public' } });
  it.each([
    ['a soft hyphen pasted from a document', 'We will re\u00ADfund you today.', 'approval.refund'],
    ['a zero-width space inside the word', 'We will ref\u200Bund you today.', 'approval.refund'],
    ['full-width letters', 'We will ｒｅｆｕｎｄ you today.', 'approval.refund'],
    ['a word joiner in a phrase', 'No legal\u2060 action is needed.', 'approval.keyword'],
    ['a zero-width space inside an amount', 'We owe you $5\u200B00.', 'approval.amount_over_limit'],
    ['a full-width dollar sign', 'We owe you ＄500.', 'approval.amount_over_limit'],
  ])('%s does not skip sign-off', (_label, text, code) => {
    const d = decide(text);
    expect(d.required).toBe(true);
    expect(d.reasons.map((r) => r.code)).toContain(code);
  });

  it('still lets an ordinary reply through', () => {
    expect(decide('Hi Jane, your parcel leaves today and arrives tomorrow.').required).toBe(false);
  });
});

describe('threads in Japanese and Chinese', () => {
  const sentence = '日本語のテキストです。';
  it('cuts a thread after a sentence, never inside a word', () => {
    const text = sentence.repeat(40);
    for (const network of ['x', 'bluesky'] as const) {
      const parts = splitIntoThread(network, text, { numbering: true });
      expect(parts.length).toBeGreaterThan(1);
      for (const p of parts) {
        expect(measure(network, p).over).toBe(false);
        expect(p).toMatch(/^(?:日本語のテキストです。)+ \d+\/\d+$/);
      }
      expect(parts.map((p) => p.replace(/ \d+\/\d+$/, '')).join('')).toBe(text);
    }
  });

  it('cuts after a clause (、，) when a sentence is longer than a post', () => {
    const clause = '今回の件でご迷惑をおかけしました、';
    const text = `${clause.repeat(20)}以上です。`;
    const parts = splitIntoThread('x', text);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts.slice(0, -1)) expect(p.endsWith('、')).toBe(true);
    expect(parts.join('')).toBe(text);
  });
});

describe('X counts text written straight after a link', () => {
  it.each([
    ['https://example.com/helpをご覧ください', 23 + 7 * 2],
    ['詳しくはhttps://example.com/help。', 4 * 2 + 23 + 2],
    ['https://example.comをご覧', 23 + 3 * 2],
    ['example.com/helpをご覧', 23 + 3 * 2],
    ['https://example.com/a.をご覧', 23 + 1 + 3 * 2],
  ])('%j weighs %i', (text, weight) => {
    expect(twitterWeightedLength(text)).toBe(weight);
  });

  it.each([
    ['https://example.com/über', 23],
    ['https://example.com/путь', 23],
    ['https://例え.jp/パス', 23 + 2 * 2],
    ['https://例え.jp', 23],
    ['https://example.co.uk/a?b=1&c=2#x', 23],
    ['http://localhost:3000/x', 23],
  ])('%j (links X keeps whole) weighs %i', (text, weight) => {
    expect(twitterWeightedLength(text)).toBe(weight);
  });

  it('refuses a reply X would refuse as too long', () => {
    // 46 + 6 × 30 + 8 + 23 (the link) + 30 = 287: over, though the link alone would leave 257
    const text = `ジェーン様、お問い合わせありがとうございます。${'返金手続きは完了しております。'.repeat(6)}詳しくはhttps://example.com/refundsをご覧の上、お手続きください。`;
    expect(twitterWeightedLength(text)).toBe(287);
    const r = checkReply({ text, network: 'x', visibility: 'public', customer: { name: 'ジェーン', handle: 'jane' }, options: { expectGreeting: false } });
    expect(r.results.find((x) => x.code === 'reply.too_long')?.data).toMatchObject({ limit: 280 });
  });
});

describe('addressing the customer', () => {
  const refund = 'sorry for the wait! Your refund was issued today.';
  it.each([
    ['the family name with a title', 'Hi Mr Smith', { name: 'John Smith', handle: 'js' }],
    ['the first name after a title in the display name', 'Hi Jane', { name: 'Dr. Jane Doe', handle: 'x1' }],
    ['a Japanese given name with an honorific', 'Hi 太郎さん', { name: '山田 太郎', handle: 'taro' }],
    ['a Japanese family name', '山田様', { name: '山田 太郎', handle: 'taro' }],
  ])('counts %s as the name', (_label, greeting, customer) => {
    expect(codes(`${greeting}, ${refund}`, { customer })).not.toContain('reply.no_name');
  });

  it('suggests the first name, not the title', () => {
    expect(run(`Hello, ${refund}`, { customer: { name: 'Dr. Jane Doe', handle: 'x1' } }).results.find((r) => r.code === 'reply.no_name')?.suggestion).toBe('Address them by name, e.g. “Hi Jane,”');
  });

  it.each([
    ['a reply that opens with another @handle', `@dave_smith ${refund}`, '@dave_smith'],
    ['a reply that greets another @handle', `Hi @dave_smith, ${refund}`, '@dave_smith'],
    ['several handles, none of them the customer', `@dave_smith @ann ${refund}`, '@dave_smith, @ann'],
  ])('warns on %s', (_label, text, who) => {
    const r = run(text, { network: 'x' }).results.find((x) => x.code === 'reply.wrong_person');
    expect(r).toMatchObject({ severity: 'warn', detail: `Addressed to ${who}, but this customer is @jane_doe` });
  });

  it.each([
    `@jane_doe ${refund}`,
    `@Jane_Doe @dave_smith ${refund}`,
    `@jane_doe@mastodon.social ${refund}`,
    `Hi Jane, ${refund} @dave_smith from our team will call you.`,
    `Hi Jane, ${refund}`,
  ])('no warning when the customer is addressed: %j', (text) => {
    expect(codes(text)).not.toContain('reply.wrong_person');
  });

  it('matches a fediverse handle by its local part', () => {
    expect(codes(`@jane ${refund}`, { customer: { name: 'Jane', handle: 'jane@mastodon.social' } })).not.toContain('reply.wrong_person');
  });
});
