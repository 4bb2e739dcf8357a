import { describe, expect, it } from 'vitest';
import { measure } from './textLength.js';
import { checkReply, REPLY_CHECK_CODES, REPLY_CHECKS, replySimilarity, type ReplyCheckInput } from './replyChecks.js';

const jane = { name: 'Jane Doe', handle: '@jane_doe' };
const good = 'Hi Jane, sorry for the wait! Your refund was issued today and should reach your card within 5 working days.';
const input = (text: string, patch: Partial<ReplyCheckInput> = {}): ReplyCheckInput => ({
  text,
  network: 'x',
  visibility: 'public',
  customer: jane,
  ...patch,
});
const codes = (i: ReplyCheckInput) => checkReply(i).results.map((r) => r.code);

describe('checkReply', () => {
  it('passes a direct, personal answer', () => {
    expect(checkReply(input(good))).toEqual({ ok: true, results: [] });
  });

  it.each(['', '   \n', '\u200B\u200D', '\uFEFF'])('blocks an empty reply %j and runs nothing else', (text) => {
    const report = checkReply(input(text));
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => [r.code, r.severity])).toEqual([['reply.empty', 'block']]);
  });

  describe('reply.link_only', () => {
    it.each([
      ['only a link', 'https://help.example.com/refunds'],
      ['a link with filler', 'Hi Jane! See here: https://help.example.com/refunds'],
      ['starts with the link', 'https://help.example.com/refunds explains how refunds work and how long they take.'],
      ['starts with the link after the reply mention', '@jane_doe help.example.com/refunds has the steps for this.'],
      ['a link after an apology', 'Hi alice, sorry! https://example.com/help'],
      ['a link called the answer', 'Hi alice, answer: https://example.com/help'],
      ['a link we hope helps', 'Hi Jane, we hope this helps: https://example.com/help'],
    ])('blocks %s', (_label, text) => {
      const report = checkReply(input(text));
      const result = report.results.find((r) => r.code === 'reply.link_only')!;
      expect(result).toMatchObject({ severity: 'block', message: 'Answer first, then link' });
      expect(report.ok).toBe(false);
    });

    it('accepts an answer followed by a link', () => {
      expect(codes(input(`${good} Details: https://help.example.com/refunds`))).not.toContain('reply.link_only');
    });
  });

  it('offers a thread split when too long for the network', () => {
    const long = `${good} ${'We have also passed your feedback about the delivery to our logistics team so it does not happen again. '.repeat(3)}`;
    const result = checkReply(input(long)).results.find((r) => r.code === 'reply.too_long')!;
    expect(result.severity).toBe('block');
    const parts = result.data!.parts as string[];
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(measure('x', p).over).toBe(false);
    expect(parts[0]).toMatch(/ 1\/\d$/);
    expect(result.detail).toMatch(/^\d+\/280$/);
    // The same text fits Mastodon.
    expect(codes(input(long, { network: 'mastodon' }))).not.toContain('reply.too_long');
  });

  it('counts the @acct Mastodon puts in front of a reply that does not mention the customer', () => {
    const erin = { name: 'Erin Example', handle: 'erin' };
    const exactly500 = `Hi Erin, ${'x'.repeat(491)}`;
    expect(measure('mastodon', exactly500).length).toBe(500);
    // posted as "@erin Hi Erin, …": 506, refused by the instance, so refused here first
    const r = checkReply(input(exactly500, { network: 'mastodon', customer: erin })).results.find((x) => x.code === 'reply.too_long');
    expect(r?.detail).toBe('506/500, with the @erin put in front');
    // a reply that mentions them already is posted as written; a remote acct counts as its local part
    expect(codes(input(`@erin ${exactly500.slice(6)}`, { network: 'mastodon', customer: erin }))).not.toContain('reply.too_long');
    const remote = checkReply(input(exactly500, { network: 'mastodon', customer: { name: 'Erin', handle: 'erin@other.social' } })).results.find((x) => x.code === 'reply.too_long');
    expect(remote?.detail).toBe('506/500, with the @erin@other.social put in front');
    // other networks post what is written
    expect(codes(input('Hi Erin, thanks! It ships today.', { network: 'bluesky', customer: erin }))).not.toContain('reply.too_long');
  });

  describe('reply.near_duplicate', () => {
    const template =
      'Hi Sam, sorry about the delay with your order. We are looking into it with the courier right now and will update you here as soon as we hear back from them, usually within the hour.';
    it.each([
      ['an identical reply', template, true],
      ['the same template with another name', template.replace('Sam', 'Jane'), true],
      ['the same template with another order number and link', `${template} Ref 12345 https://a.example/x`, true],
      ['a different answer', good, false],
      ['a very short reply', 'Thanks Jane!', false],
    ])('%s → %s', (_label, text, flagged) => {
      const report = checkReply(input(text, { recentReplies: ['Totally unrelated text about opening hours on Sunday.', `${template} Ref 999 https://b.example/y`] }));
      const dup = report.results.find((r) => r.code === 'reply.near_duplicate');
      expect(Boolean(dup)).toBe(flagged);
      if (dup) expect(dup).toMatchObject({ severity: 'warn', data: { recentIndex: 1 } });
    });

    it('sees a short canned reply with only the name or handle swapped as the same reply', () => {
      const sent = 'Hi Dave, sorry for the inconvenience. Please DM us your order number.';
      expect(codes(input('Hi Alice, sorry for the inconvenience. Please DM us your order number.', { recentReplies: [sent] }))).toContain('reply.near_duplicate');
      expect(codes(input('@alice_b Hi Alice, sorry for the inconvenience. Please DM us your order number.', { recentReplies: [`@dave99 ${sent}`] }))).toContain('reply.near_duplicate');
      // "thanks for …" is not a name: a different answer stays different
      expect(codes(input('Thanks for waiting, Alice. Your refund of 20 EUR was sent this morning.', { recentReplies: [sent] }))).not.toContain('reply.near_duplicate');
    });

    it('only compares the last N replies, with a configurable threshold', () => {
      const recent = [...Array.from({ length: 20 }, (_, i) => `Unrelated reply number ${i} about something else entirely.`), good];
      expect(codes(input(good, { recentReplies: recent }))).not.toContain('reply.near_duplicate');
      expect(codes(input(good, { recentReplies: recent, options: { recentLimit: 21 } }))).toContain('reply.near_duplicate');
      const edited = good.replace('today', 'this morning');
      expect(replySimilarity(good, edited)).toBeLessThan(0.8);
      expect(codes(input(edited, { recentReplies: [good], options: { duplicateThreshold: 0.6 } }))).toContain('reply.near_duplicate');
    });
  });

  describe('reply.personal_data', () => {
    const leaky = 'Hi Jane, I found order number A1234567 for jane.doe@example.com, shipping to 221B Baker Street.';
    it('warns on a public reply and suggests taking it private in the network’s words', () => {
      const result = checkReply(input(leaky, { conversationId: 'conv-1' })).results.find((r) => r.code === 'reply.personal_data')!;
      expect(result.severity).toBe('warn');
      expect(result.data!.kinds).toEqual(['order_number', 'email', 'postal_address']);
      expect(result.suggestion).toMatch(/DM/);
      expect(result.detail).toBe('Contains order number, e-mail address, postal address');
    });
    it('is fine in a private reply', () => {
      expect(codes(input(leaky, { visibility: 'private' }))).not.toContain('reply.personal_data');
    });
  });

  it('hints at shouting', () => {
    expect(codes(input('Hi Jane, PLEASE SEND US A DM RIGHT NOW SO WE CAN FIX THIS'))).toContain('reply.shouting');
    expect(codes(input('Hi Jane, the FAQ and the T&Cs at HQ explain the GDPR part.'))).not.toContain('reply.shouting');
  });

  describe('greeting and name', () => {
    it.each<[string, ReplyCheckInput['customer'], string[]]>([
      ['Your refund was issued today and should arrive within 5 days.', jane, ['reply.no_greeting', 'reply.no_name']],
      ['Thanks for waiting, your refund was issued today.', jane, ['reply.no_name']],
      ['Jane, your refund was issued today.', jane, []],
      ['Good morning @jane_doe, your refund was issued today.', jane, []],
      ['Hola José, tu reembolso ya está en camino.', { name: 'Jose Garcia' }, []],
      ['@jane_doe Your refund was issued today.', jane, ['reply.no_greeting', 'reply.no_name']],
      ['Hi there, your refund was issued today.', null, []],
      ['Your refund was issued today.', null, ['reply.no_greeting']],
    ])('%j', (text, customer, expected) => {
      const found = codes(input(text, { customer })).filter((c) => c === 'reply.no_greeting' || c === 'reply.no_name');
      expect(found).toEqual(expected);
    });

    it('can skip the greeting expectation mid-conversation', () => {
      expect(codes(input('Done, it is on its way Jane.', { options: { expectGreeting: false } }))).toEqual([]);
    });
  });

  it('applies admin overrides and orders results by severity', () => {
    const text = 'https://help.example.com/refunds';
    const downgraded = checkReply(input(text, { customer: null, overrides: { 'reply.link_only': 'warn', 'reply.no_greeting': 'off' } }));
    expect(downgraded.ok).toBe(true);
    expect(downgraded.results.map((r) => [r.code, r.severity])).toEqual([['reply.link_only', 'warn']]);

    const upgraded = checkReply(input('YOUR REFUND WAS ISSUED TODAY, CHECK https://help.example.com', { overrides: { 'reply.shouting': 'block' } }));
    expect(upgraded.ok).toBe(false);
    const severities = upgraded.results.map((r) => r.severity);
    expect(severities).toEqual([...severities].sort((a, b) => ['block', 'warn', 'hint'].indexOf(a) - ['block', 'warn', 'hint'].indexOf(b)));
  });

  it('exposes a stable message for every code', () => {
    for (const code of REPLY_CHECK_CODES) expect(REPLY_CHECKS[code].message.length).toBeGreaterThan(5);
  });

  it('never throws on hostile text', () => {
    const hostile = `\u0000\uD800${'A'.repeat(30_000)} https://x.example/${'b'.repeat(30_000)} ${'@'.repeat(10_000)}${'é\u0301'.repeat(10_000)}`;
    const report = checkReply(input(hostile, { recentReplies: [hostile, '', 42 as never], network: 'bluesky' }));
    expect(report.ok).toBe(false);
    expect(report.results.map((r) => r.code)).toContain('reply.too_long');
    expect(checkReply(input(undefined as never)).results[0]!.code).toBe('reply.empty');
  });
});

describe('reply.stock_phrase', () => {
  it('hints at stock corporate phrasing, naming the phrase found and a plain alternative', () => {
    const report = checkReply(input('Hi Jane, we apologize for any inconvenience this may have caused. Your refund was issued today.'));
    expect(report.ok).toBe(true);
    const r = report.results.find((x) => x.code === 'reply.stock_phrase')!;
    expect(r).toMatchObject({ severity: 'hint', message: REPLY_CHECKS['reply.stock_phrase'].message, detail: 'Stock phrase: “we apologize for any inconvenience this may have caused”' });
    expect(r.suggestion).toContain('Sorry about the wait on your order');
    expect(r.data!.phrases).toEqual([expect.objectContaining({ language: 'en', start: 9, text: 'we apologize for any inconvenience this may have caused' })]);
  });

  it.each([
    ['es', 'Hola Jane, lamentamos las molestias ocasionadas. Tu reembolso sale hoy.', 'Sentimos el retraso'],
    ['fr', 'Bonjour Jane, votre avis est important pour nous. Le remboursement part aujourd’hui.', 'Merci de nous l’avoir dit'],
    ['de', 'Hallo Jane, wir entschuldigen uns für etwaige Unannehmlichkeiten. Die Erstattung ist unterwegs.', 'Sorry, dass'],
    ['pt', 'Olá Jane, pedimos desculpas por qualquer inconveniente. O reembolso sai hoje.', 'Desculpe a demora'],
  ])('in %s too', (_lang, text, suggestion) => {
    const r = checkReply(input(text)).results.find((x) => x.code === 'reply.stock_phrase');
    expect(r?.suggestion).toContain(suggestion);
  });

  it('passes a plain reply, and admins can raise or switch the check off', () => {
    expect(codes(input(good))).not.toContain('reply.stock_phrase');
    const text = `Dear valued customer, ${good}`;
    expect(checkReply(input(text, { overrides: { 'reply.stock_phrase': 'warn' } })).results.find((x) => x.code === 'reply.stock_phrase')?.severity).toBe('warn');
    expect(codes(input(text, { overrides: { 'reply.stock_phrase': 'off' } }))).not.toContain('reply.stock_phrase');
  });
});

describe('reply.link_only beyond English', () => {
  const dana = { name: 'Dana Ruiz', handle: '@dana' };
  it.each([
    ['es', 'Hola Dana, aquí tienes la información: https://acme.example/ayuda'],
    ['es', 'Hola Dana, más información sobre reembolsos en https://acme.example/ayuda'],
    ['fr', 'Bonjour Dana, voici le lien : https://acme.example/aide'],
    ['fr', "Bonjour Dana, vous trouverez toutes les informations dans l'article suivant : https://acme.example/aide"],
    ['de', 'Hallo Dana, hier findest du alle Infos: https://acme.example/hilfe'],
    ['de', 'Hallo Dana, schau mal hier vorbei: https://acme.example/hilfe'],
    ['pt', 'Olá Dana, segue o link com as informações: https://acme.example/ajuda'],
    ['pt', 'Oi Dana, confira aqui: https://acme.example/ajuda'],
  ])('blocks a %s link dressed in filler: %j', (_lang, text) => {
    expect(checkReply(input(text, { customer: dana })).results.find((r) => r.code === 'reply.link_only')).toMatchObject({ severity: 'block', detail: 'The reply is only a link' });
    // the greeted name is no answer either when the customer's name is unknown
    expect(codes(input(text, { customer: null }))).toContain('reply.link_only');
  });

  it.each([
    ['es', 'Hola Dana, tu reembolso ya está hecho y llegará a tu tarjeta en 5 días. Detalles: https://acme.example/ayuda'],
    ['fr', 'Bonjour Dana, votre remboursement est parti hier et arrivera sur votre carte sous 5 jours. Détails : https://acme.example/aide'],
    ['de', 'Hallo Dana, deine Erstattung ist unterwegs und kommt in 5 Tagen auf deiner Karte an. Details: https://acme.example/hilfe'],
    ['pt', 'Olá Dana, o seu reembolso já foi feito e chega ao cartão em 5 dias. Detalhes: https://acme.example/ajuda'],
  ])('accepts a %s answer followed by a link', (_lang, text) => {
    expect(codes(input(text, { customer: dana }))).not.toContain('reply.link_only');
    expect(codes(input(text, { customer: null }))).not.toContain('reply.link_only');
  });
});
