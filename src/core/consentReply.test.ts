import { describe, expect, it } from 'vitest';
import { classifyConsentReply, MAX_AGREEMENT_CHARS, normalizeConsentReply } from './consentReply.js';

const verdict = (t: string) => classifyConsentReply(t).verdict;

describe('classifyConsentReply', () => {
  it.each([
    'yes', 'Yes!', 'YES', 'yes please', 'ok', 'OK.', 'okay', 'Sure', 'sure, go ahead', 'I agree', 'agreed', 'Go ahead', 'of course', 'that\'s fine', 'yep', 'yeah fine',
    '👍', '👍🏽', '👌', '✅', '✔️', '@AcmeCare yes, link it', 'Yes, my account is 4411', 'no problem, go ahead', 'Yes no worries',
    'sí', 'Si, claro', 'vale', 'de acuerdo', 'adelante',
    'oui', 'Oui, d’accord', 'd\'accord', 'bien sûr', 'allez-y',
    'ja', 'Ja, einverstanden', 'in Ordnung', 'klar', 'gerne',
    'sim', 'Sim, pode', 'tudo bem', 'concordo', 'com certeza',
  ])('%s agrees', (t) => {
    expect(classifyConsentReply(t)).toEqual({ verdict: 'agree', reason: 'the message reads as an agreement' });
  });

  it.each([
    'no', 'No.', 'not ok', 'nope', 'I don\'t agree', 'don\'t', 'never', 'no thanks', 'yes... actually no', 'ok but not now', 'maybe later', '👎', 'yes 👎',
    'no, gracias', 'nunca', 'non', 'pas question', 'nein', 'nicht jetzt', 'kein Interesse', 'não', 'nao quero', 'sim, mas nao agora',
  ])('%s declines', (t) => {
    const r = classifyConsentReply(t);
    expect(r.verdict).toBe('decline');
    expect(r.reason).toMatch(/negation|emoji says no/);
  });

  it.each(['why?', 'ok?', 'Yes? What for?', '¿por qué?', 'pourquoi ?', 'warum？', 'my order never arrived', 'My order 4411 still has not come', 'hello', 'thanks', '🤔', '', '   ', '@AcmeCare', 'https://example.com/yes'])('%j is no agreement', (t) => {
    expect(verdict(t)).not.toBe('agree');
  });

  it('reads a question as unclear, a complaint as no agreement', () => {
    expect(classifyConsentReply('why?')).toMatchObject({ verdict: 'unclear', reason: expect.stringMatching(/question/) });
    expect(classifyConsentReply('where is my parcel')).toMatchObject({ verdict: 'unclear', reason: expect.stringMatching(/does not say yes/) });
  });

  it('does not take the quoted question ("Reply YES to agree") as their answer', () => {
    expect(verdict('I will think about it\n> Is that OK? Reply YES to agree.')).toBe('unclear');
    expect(verdict('yes\n> Is that OK? Reply YES to agree.')).toBe('agree');
  });

  it('survives hostile text: odd Unicode, invisible characters, look-alike letters, 10 KB', () => {
    expect(verdict('y\u200Be\u200Ds')).toBe('agree'); // zero-width characters inside a word are read through
    expect(verdict('\u202Eyes')).toBe('agree');
    expect(verdict('ｙｅｓ')).toBe('agree'); // full-width letters fold under NFKC
    expect(verdict('y\u0435s')).toBe('unclear'); // a Cyrillic е is not an e: no guess
    expect(verdict('n\u200Bo')).toBe('decline');
    expect(verdict('ye\u0301s')).toBe('agree');
    expect(verdict('\u0000yes\uFFFF')).toBe('agree');
    expect(verdict('\uD800yes')).toBe('agree'); // a lone surrogate does not throw
    expect(verdict('yes '.repeat(2600))).toBe('unclear'); // 10 KB
    expect(classifyConsentReply('yes '.repeat(2600)).reason).toMatch(/too long/);
    expect(verdict(`yes ${'a'.repeat(MAX_AGREEMENT_CHARS)}`)).toBe('unclear');
    expect(verdict('👍'.repeat(50))).toBe('agree');
    expect(verdict('\u{E0079}\u{E0065}\u{E0073}')).toBe('unclear'); // tag characters spelling "yes" are invisible, not a yes
    expect(() => classifyConsentReply(undefined as unknown as string)).not.toThrow();
  });

  it('normalizes quotes, mentions, links, accents and case', () => {
    expect(normalizeConsentReply('@Acme_Care  Sí,\n> quoted\nVALE https://x.test/a ')).toBe('si, vale');
    expect(normalizeConsentReply('D’ACCORD')).toBe('d\'accord');
  });
});

describe('classifyConsentReply: a hedged or negated yes is not consent', () => {
  it.each([
    ['ok but where is my refund', 'unclear'],
    ['Yes, but only for this order', 'unclear'],
    ['sí, pero primero el reembolso', 'unclear'],
    ['oui mais pas pour la newsletter', 'decline'],
    ['ja, aber nur heute', 'unclear'],
    ['fine, it still hasnt arrived', 'decline'],
    ['ok i didnt order this', 'decline'],
  ] as const)('%s → %s', (text, verdict) => {
    expect(classifyConsentReply(text).verdict).toBe(verdict);
  });
  it('still takes a plain yes', () => {
    expect(classifyConsentReply('Yes, go ahead 👍').verdict).toBe('agree');
    expect(classifyConsentReply('Sure, no problem').verdict).toBe('agree');
  });
});
