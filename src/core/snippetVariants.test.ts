import { describe, expect, it } from 'vitest';
import { checkVariant, normalizeLanguage, normalizeNetwork, selectVariant, variantLimits } from './snippetVariants.js';

const v = (network: string, language: string, body = `${network}/${language}`) => ({ network, language, body });

describe('selectVariant', () => {
  const all = [v('any', 'any'), v('x', 'any'), v('any', 'es'), v('x', 'es'), v('email', 'en'), v('instagram', 'any')];

  it('prefers the exact network and language, then the language, then the network, then the default', () => {
    expect(selectVariant(all, { network: 'x', language: 'es' })).toEqual({ variant: all[3], match: 'exact' });
    expect(selectVariant(all, { network: 'facebook', language: 'es' })).toEqual({ variant: all[2], match: 'language' });
    expect(selectVariant(all, { network: 'x', language: 'de' })).toEqual({ variant: all[1], match: 'network' });
    expect(selectVariant(all, { network: 'facebook', language: 'de' })).toEqual({ variant: all[0], match: 'default' });
    // both the language's (any network) and the network's (any language) wording fit: the language's comes first
    expect(selectVariant(all, { network: 'instagram', language: 'es' })).toEqual({ variant: all[2], match: 'language' });
    expect(selectVariant(all, { network: 'instagram', language: 'fr' })).toEqual({ variant: all[5], match: 'network' });
    // a variant for another network in the same language is no match: e-mail wording is not for X
    expect(selectVariant(all, { network: 'x', language: 'en' })).toEqual({ variant: all[1], match: 'network' });
    expect(selectVariant(all, { network: 'email', language: 'en' })).toEqual({ variant: all[4], match: 'exact' });
  });

  it('takes the primary language subtag of the conversation and of the variants', () => {
    expect(selectVariant(all, { network: 'x', language: 'es-MX' })?.variant).toBe(all[3]);
    expect(selectVariant([v('any', 'any'), v('x', 'ES')], { network: 'x', language: 'es' })?.match).toBe('exact');
  });

  it('ignores the language when the conversation has none (or und)', () => {
    expect(selectVariant(all, { network: 'x', language: null })?.match).toBe('network');
    expect(selectVariant(all, { network: 'facebook', language: 'und' })?.match).toBe('default');
    expect(selectVariant([v('any', 'any'), v('any', 'und')], { network: 'x', language: 'und' })?.match).toBe('default');
  });

  it('falls back to the first variant without a default, and null without any', () => {
    expect(selectVariant([v('email', 'en')], { network: 'x', language: 'es' })).toEqual({ variant: { network: 'email', language: 'en', body: 'email/en' }, match: 'default' });
    expect(selectVariant([], { network: 'x', language: 'es' })).toBeNull();
  });
});

describe('normalizing keys', () => {
  it('reads BCP-47 tags as their primary subtag', () => {
    expect(normalizeLanguage('es-MX')).toBe('es');
    expect(normalizeLanguage('zh-Hant-TW')).toBe('zh');
    expect(normalizeLanguage('EN')).toBe('en');
    expect(normalizeLanguage('')).toBe('any');
    expect(normalizeLanguage('Any')).toBe('any');
    expect(normalizeLanguage('spanish')).toBeNull();
    expect(normalizeLanguage('e')).toBeNull();
    expect(normalizeLanguage('es MX')).toBeNull();
  });
  it('knows the networks', () => {
    expect(normalizeNetwork('X')).toBe('x');
    expect(normalizeNetwork('any')).toBe('any');
    expect(normalizeNetwork('twitter')).toBeNull();
  });
});

describe('checkVariant', () => {
  it('warns when a variant is longer than its network allows, counted as the network counts', () => {
    // X weighs CJK characters 2: 150 of them are 300 > 280, though only 150 code points
    const cjk = '漢'.repeat(150);
    expect(checkVariant(v('x', 'ja', cjk))).toMatchObject([{ code: 'snippet.too_long', length: 300, limit: 280, use: 'public' }]);
    expect(checkVariant(v('facebook', 'ja', cjk))).toEqual([]);
    // a link is 23 on X however long it is
    const link = `Details: https://example.com/${'a'.repeat(300)}`;
    expect(checkVariant(v('x', 'en', link))).toEqual([]);
    expect(checkVariant(v('bluesky', 'en', link))).toMatchObject([{ code: 'snippet.too_long', limit: 300, use: 'public' }]);
    // the default (any network) is held to no network's limit
    expect(checkVariant(v('any', 'any', 'a'.repeat(3000)))).toEqual([]);
  });

  it('holds a variant to the private message limit too, where the network has its own, naming which one is over', () => {
    // Messenger takes 2,000 characters in a message, a Facebook comment 8,000: fine in public, too long for a DM
    const [fb] = checkVariant(v('facebook', 'en', 'a'.repeat(2001)));
    expect(fb).toMatchObject({ code: 'snippet.too_long', length: 2001, limit: 2000, use: 'private' });
    expect(fb!.message).toBe('2,001 of 2,000 characters as facebook counts them, before any variable is filled in: too long for a private message (DM) there');
    expect(checkVariant(v('facebook', 'en', 'a'.repeat(2000)))).toEqual([]);
    // Instagram: 1,000 in a message, 2,200 in a comment; over both, both named
    expect(checkVariant(v('instagram', 'en', 'a'.repeat(1001))).map((i) => [i.use, i.limit])).toEqual([['private', 1000]]);
    expect(checkVariant(v('instagram', 'en', 'a'.repeat(2201))).map((i) => [i.use, i.limit])).toEqual([['public', 2200], ['private', 1000]]);
    // Bluesky chat: 1,000 graphemes (a family emoji is one)
    expect(checkVariant(v('bluesky', 'en', '👨‍👩‍👧'.repeat(1000))).map((i) => i.use)).toEqual(['public']);
    expect(checkVariant(v('bluesky', 'en', '👨‍👩‍👧'.repeat(1001))).map((i) => [i.use, i.length, i.limit])).toEqual([['public', 1001, 300], ['private', 1001, 1000]]);
    // X DMs: 10,000 characters, code points (a CJK character is 1 there, 2 in a post)
    expect(checkVariant(v('x', 'ja', '漢'.repeat(10_000))).map((i) => [i.use, i.length, i.limit])).toEqual([['public', 20_000, 280]]);
    expect(checkVariant(v('x', 'ja', '漢'.repeat(10_001))).map((i) => [i.use, i.length, i.limit])).toEqual([['public', 20_002, 280], ['private', 10_001, 10_000]]);
    // Mastodon: a direct message is a status (one limit); e-mail has no public reply: one limit, "any reply"
    const [masto] = checkVariant(v('mastodon', 'en', 'a'.repeat(501)));
    expect(masto).toMatchObject({ use: 'any', limit: 500 });
    expect(masto!.message).toContain('too long for any reply there');
    expect(checkVariant(v('mastodon', 'en', 'a'.repeat(501)))).toHaveLength(1);
  });

  it('lists the limits a variant is checked against: public and private where they differ, one where not, none for any network', () => {
    expect(variantLimits('x').map((l) => [l.use, l.rule.limit])).toEqual([['public', 280], ['private', 10_000]]);
    expect(variantLimits('facebook').map((l) => [l.use, l.rule.limit])).toEqual([['public', 8000], ['private', 2000]]);
    expect(variantLimits('bluesky').map((l) => [l.use, l.rule.counter, l.rule.limit])).toEqual([['public', 'graphemes', 300], ['private', 'graphemes', 1000]]);
    expect(variantLimits('mastodon').map((l) => [l.use, l.rule.limit])).toEqual([['any', 500]]);
    expect(variantLimits('email').map((l) => l.use)).toEqual(['any']);
    expect(variantLimits('any')).toEqual([]);
    expect(variantLimits('twitter')).toEqual([]);
  });

  it('counts the text without its variables: never a false alarm', () => {
    const body = `{{customer.name | valued customer}} ${'a'.repeat(270)}`;
    expect(checkVariant(v('x', 'en', body))).toEqual([]);
    expect(checkVariant(v('x', 'en', `${body}${'b'.repeat(10)}`))).toMatchObject([{ code: 'snippet.too_long', length: 281 }]);
  });

  it('names variables Parley never fills in, and malformed placeholders', () => {
    const issues = checkVariant(v('any', 'es', 'Hola {{customer.name}}, tu pedido {{order.number}} {{ bad name }}'));
    expect(issues.map((i) => [i.code, i.variable ?? null])).toEqual([
      ['snippet.syntax', null],
      ['snippet.unknown_variable', 'order.number'],
    ]);
    expect(checkVariant(v('email', 'en', 'Hi {{customer.name}}, {{agent.name}} of {{brand.name}} ({{account.handle}}): {{hours}} {{customer.handle}}'))).toEqual([]);
  });
});
