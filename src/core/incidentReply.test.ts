import { describe, expect, it } from 'vitest';
import { incidentReply, nextUpdateText, replyLanguage, statementFacts } from './incidentReply.js';
import { measure } from './textLength.js';

// Tuesday 17 November 2026, 10:00 UTC (London is on GMT)
const NOW = Date.UTC(2026, 10, 17, 10, 0);
const EN = "We're sorry! Card payments at checkout are failing since 09:40 GMT. Orders already placed are safe and will ship as planned. Our engineers are rolling out a fix. #AcmeStatus Thanks for your patience.";
const base = { statement: EN, incidentTitle: 'Checkout is down', network: 'x' as const, visibility: 'public' as const, now: NOW };

describe('incidentReply', () => {
  it('greets by first name, acknowledges their case, carries the facts and the next update, without the apology, thanks or hashtags', () => {
    const r = incidentReply({ ...base, network: 'mastodon', customerName: 'Dr. Jane Doe', nextUpdateAt: Date.UTC(2026, 10, 17, 11, 30), timeZone: 'Europe/London' })!;
    expect(r.text.startsWith("Hi Jane, sorry you've been hit by this (Checkout is down)")).toBe(true);
    expect(r.facts).toEqual(['Card payments at checkout are failing since 09:40 GMT.', 'Orders already placed are safe and will ship as planned.', 'Our engineers are rolling out a fix.']);
    expect(r.text).toContain('Our next update is due at 11:30 GMT.');
    expect(r.text).not.toMatch(/#AcmeStatus|patience|We're sorry!/);
    expect(r.text).not.toContain(EN);
    expect(r.factsDropped).toBe(0);
    expect(measure('mastodon', r.text).over).toBe(false);
  });

  it('fits X (280 weighted) by dropping the closing and the last facts, never going over', () => {
    const r = incidentReply({ ...base, customerName: 'Jane', nextUpdateAt: Date.UTC(2026, 10, 18, 9, 0), timeZone: 'Europe/London' })!;
    expect(measure('x', r.text).over).toBe(false);
    expect(r.limit).toBe(280);
    expect(r.text).toContain('Card payments at checkout are failing since 09:40 GMT.');
    expect(r.text).toContain('Our next update is due on Wednesday at 09:00 GMT.');
    expect(r.factsDropped).toBeGreaterThan(0);
    // a long DM on X has room for everything (10,000)
    const dm = incidentReply({ ...base, visibility: 'private', customerName: 'Jane' })!;
    expect(dm.factsDropped).toBe(0);
    expect(dm.text).toContain("reply here and we'll look at your case");
  });

  it('without a usable first name it does not greet by a title, an emoji or a handle', () => {
    expect(incidentReply({ ...base, network: 'facebook', customerName: '🌸🌸' })!.text.startsWith("Sorry you've been hit by this")).toBe(true);
    expect(incidentReply({ ...base, network: 'facebook', customerName: null })!.text.startsWith("Sorry you've been hit")).toBe(true);
  });

  it('words it in the statement\'s language (German, French, Spanish), else the customer\'s, else English', () => {
    const de = incidentReply({ ...base, network: 'facebook', statementLanguage: 'de', customerName: 'Jürgen Müller', statement: 'Es tut uns leid! Seit 9:40 Uhr schlagen Kartenzahlungen fehl. Bereits aufgegebene Bestellungen sind sicher. Danke für eure Geduld.' })!;
    expect(de.language).toBe('de');
    expect(de.text).toBe('Hallo Jürgen, es tut uns leid, dass Sie davon betroffen sind (Checkout is down), und danke für Ihre Nachricht. Seit 9:40 Uhr schlagen Kartenzahlungen fehl. Bereits aufgegebene Bestellungen sind sicher. Falls es danach bei Ihnen noch nicht klappt, antworten Sie hier und wir sehen uns Ihren Fall an.');
    const fr = incidentReply({ ...base, network: 'facebook', statementLanguage: 'fr-FR', customerName: 'Amélie', statement: 'Nous sommes désolés. Les paiements par carte échouent depuis 9h40. Merci de votre patience.' })!;
    expect(fr.text.startsWith('Bonjour Amélie, désolés que cela vous touche')).toBe(true);
    expect(fr.facts).toEqual(['Les paiements par carte échouent depuis 9h40.']);
    const es = incidentReply({ ...base, network: 'facebook', statementLanguage: null, customerLanguage: 'es', customerName: 'José', statement: 'Lo sentimos. Los pagos con tarjeta fallan desde las 9:40.' })!;
    expect(es.language).toBe('es');
    expect(es.text.startsWith('Hola José: sentimos que te haya afectado')).toBe(true);
    expect(replyLanguage('ja', 'de')).toBe('en'); // the statement's facts are Japanese: no German frame around them
    expect(replyLanguage(null, null)).toBe('en');
  });

  it('a statement with nothing but an apology and thanks gives no suggestion', () => {
    expect(incidentReply({ ...base, statement: "We're sorry. Thank you for your patience! #down" })).toBeNull();
  });

  it('hostile Unicode: bidi overrides, zero-width and control characters, lone surrogates never reach the reply; lengths hold on Bluesky', () => {
    const r = incidentReply({ ...base, network: 'bluesky', customerName: '\u202EJane\u202C', incidentTitle: 'Log\u200Bin \u0000down', statement: `Login fails\u2066 for some \uD800users.\u0007 ${'Ünïcödé 🧑‍🧑‍🧒 '.repeat(60)}` })!;
    expect(r.text).not.toMatch(/[\u202A-\u202E\u2066-\u2069\u200B\u0000\u0007]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])/);
    expect(r.text.startsWith('Hi Jane,')).toBe(true);
    expect(measure('bluesky', r.text).over).toBe(false);
    expect(r.facts).toEqual(['Login fails for some \uFFFDusers.']);
    expect(r.factsDropped).toBe(1); // the long run of emoji did not fit
    // an enormous single sentence on X is cut at a word, whole graphemes, still under the limit
    const x = incidentReply({ ...base, statement: `Payments ${'fail '.repeat(200)}today`, nextUpdateAt: NOW + 3_600_000, timeZone: 'Europe/London' })!;
    expect(measure('x', x.text).over).toBe(false);
    expect(x.text).toContain('Our next update is due at 11:00 GMT.');
  });

  it('drops hashtags and @handles from the facts', () => {
    expect(statementFacts('@AcmeCare Checkout works again #fixed\nOrders from today ship tomorrow', 'en')).toEqual(['Checkout works again.', 'Orders from today ship tomorrow.']);
  });

  it('says the next update in the brand\'s zone (BST in summer)', () => {
    const june = Date.UTC(2026, 5, 2, 9, 0);
    expect(nextUpdateText(june + 2 * 3_600_000, june, 'Europe/London', 'en')).toBe('at 12:00 BST');
  });
});
