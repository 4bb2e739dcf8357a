import { describe, expect, it } from 'vitest';
import { findStockPhrases, STOCK_PHRASES } from './stockPhrases.js';

const found = (text: string) => findStockPhrases(text).map((h) => h.text);

describe('findStockPhrases', () => {
  it.each([
    ['en', 'We apologize for any inconvenience this may have caused.', 'We apologize for any inconvenience this may have caused'],
    ['en', 'Your feedback is important to us!', 'Your feedback is important to us'],
    ['en', 'Dear valued customer, your order shipped.', 'Dear valued customer'],
    ['en', 'Please be advised that the store closes at 6.', 'Please be advised'],
    ['en', 'We regret to inform you that the flight is full.', 'We regret to inform you'],
    ['en', 'Thank you for reaching out to us regarding your concern.', 'Thank you for reaching out to us regarding your concern'],
    ['es', 'Lamentamos las molestias ocasionadas.', 'Lamentamos las molestias ocasionadas'],
    ['es', 'Su opinión es muy importante para nosotros.', 'Su opinión es muy importante para nosotros'],
    ['es', 'Estimado cliente: su pedido salió hoy.', 'Estimado cliente'],
    ['fr', 'Nous nous excusons pour la gêne occasionnée.', 'Nous nous excusons pour la gêne occasionnée'],
    ['fr', 'Chère cliente, votre avis est important pour nous.', 'Chère cliente'],
    ['de', 'Sehr geehrter Kunde, wir entschuldigen uns für etwaige Unannehmlichkeiten.', 'Sehr geehrter Kunde'],
    ['de', 'Ihre Meinung ist uns sehr wichtig.', 'Ihre Meinung ist uns sehr wichtig'],
    ['pt', 'Pedimos desculpas por qualquer inconveniente.', 'Pedimos desculpas por qualquer inconveniente'],
    ['pt', 'Prezada cliente, sua opinião é importante para nós.', 'Prezada cliente'],
  ])('finds the %s phrase in %j', (_lang, text, first) => {
    expect(found(text)[0]).toBe(first);
  });

  it('ignores case and accents, takes any whitespace between words, and reports the text as written', () => {
    const text = 'OK!  SU OPINION ES IMPORTANTE\nPARA NOSOTROS. Prezado  cliente. Chere cliente. ﬁne: WE APOLOGISE FOR ANY INCONVENIENCE';
    const hits = findStockPhrases(text);
    expect(hits.map((h) => h.text)).toEqual(['SU OPINION ES IMPORTANTE\nPARA NOSOTROS', 'Prezado  cliente', 'Chere cliente', 'WE APOLOGISE FOR ANY INCONVENIENCE']);
    for (const h of hits) expect(text.slice(h.start, h.end)).toBe(h.text);
    // decomposed accents and compatibility forms keep the offsets right
    const decomposed = 'ﬁ\u0301 Sua opinia\u0303o e\u0301 importante para no\u0301s';
    const [h] = findStockPhrases(decomposed);
    expect(decomposed.slice(h!.start, h!.end)).toBe('Sua opinia\u0303o e\u0301 importante para no\u0301s');
  });

  it('matches whole words only', () => {
    expect(found('Mydear valued customers')).toEqual([]);
    expect(found('estimado clientes2')).toEqual([]);
    expect(found('lamentamos las molestiasx')).toEqual([]);
  });

  it.each([
    'Sorry about the wait on your order, it ships today.',
    'Thanks for reaching out! Your refund was issued today.',
    'Your feedback about the app was passed to the team.',
    'The customer is important: we called them back.',
    'Please advise which store you visited.',
    'We value your time, so here is the short answer: yes.',
    'Perdón por la espera, tu pedido sale hoy.',
    'Désolé pour le retard, votre colis part aujourd’hui.',
    'Sorry, deine Bestellung kommt morgen.',
    'Desculpe a demora, o seu pedido sai hoje.',
    'Lieber spät als nie: deine Kundennummer steht auf der Rechnung.',
  ])('leaves an ordinary sentence alone: %j', (text) => {
    expect(found(text)).toEqual([]);
  });

  it('has a suggestion for every phrase, in each of the five languages', () => {
    expect(new Set(STOCK_PHRASES.map((p) => p.language))).toEqual(new Set(['en', 'es', 'fr', 'de', 'pt']));
    for (const p of STOCK_PHRASES) {
      expect(p.suggestion.length).toBeGreaterThan(10);
      // the phrase named in the list is one the matcher finds
      expect(found(p.phrase).length, p.phrase).toBeGreaterThan(0);
    }
  });

  it('never throws on odd input', () => {
    expect(findStockPhrases('')).toEqual([]);
    expect(findStockPhrases(undefined as never)).toEqual([]);
    expect(findStockPhrases(`\uD800dear customer ${'é\u0301'.repeat(20_000)}`).map((h) => h.text)).toEqual(['dear customer']);
  });
});
