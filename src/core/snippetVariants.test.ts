import { describe, expect, it } from 'vitest';
import { checkVariant, normalizeLanguage, normalizeNetwork, selectVariant } from './snippetVariants.js';

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
    expect(checkVariant(v('x', 'ja', cjk))).toMatchObject([{ code: 'snippet.too_long', length: 300, limit: 280 }]);
    expect(checkVariant(v('facebook', 'ja', cjk))).toEqual([]);
    // a link is 23 on X however long it is
    const link = `Details: https://example.com/${'a'.repeat(300)}`;
    expect(checkVariant(v('x', 'en', link))).toEqual([]);
    expect(checkVariant(v('bluesky', 'en', link))).toMatchObject([{ code: 'snippet.too_long', limit: 300 }]);
    // the default (any network) is held to no network's limit
    expect(checkVariant(v('any', 'any', 'a'.repeat(3000)))).toEqual([]);
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
