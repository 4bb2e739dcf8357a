/** Quoted history and signatures as real mail clients write them. */
import { describe, expect, it } from 'vitest';
import { trimQuoted } from './quote.js';

describe('trimQuoted', () => {
  it('cuts a Gmail reply header and the quote under it', () => {
    const body = 'Thanks, that worked!\n\nOn Mon, 3 Jun 2024 at 10:02, Acme Support <support@acme.test> wrote:\n> Please restart the router.\n> Best, Acme\n';
    expect(trimQuoted(body)).toEqual({ text: 'Thanks, that worked!', trimmed: true });
  });

  it('cuts a reply header wrapped over two lines', () => {
    const body = 'Still broken.\r\n\r\nOn Mon, Jun 3, 2024 at 10:02 AM Acme Support <\r\nsupport@acme.test> wrote:\r\n\r\n> Please restart the router.\r\n';
    expect(trimQuoted(body).text).toBe('Still broken.');
  });

  it('knows other languages\' reply headers', () => {
    expect(trimQuoted('Danke!\n\nAm 03.06.2024 um 10:02 schrieb Acme <support@acme.test>:\n> Hallo').text).toBe('Danke!');
    expect(trimQuoted('Merci !\n\nLe lun. 3 juin 2024 à 10:02, Acme <support@acme.test> a écrit :\n> Bonjour').text).toBe('Merci !');
    expect(trimQuoted('Gracias\n\nEl lun, 3 jun 2024 a las 10:02, Acme (<support@acme.test>) escribió:\n> Hola').text).toBe('Gracias');
  });

  it('keeps an inline answer between quotes, without the quotes', () => {
    const body = 'On 3 Jun 2024, at 10:02, Acme <support@acme.test> wrote:\n> What is your order number?\n12345\n> And your postcode?\nSW1A 1AA\n';
    expect(trimQuoted(body).text).toBe('12345\nSW1A 1AA');
  });

  it('cuts Outlook\'s quoted original (From/Sent/To/Subject block, also after the rule)', () => {
    const a = 'Any news?\n\n________________________________\nFrom: Acme Support <support@acme.test>\nSent: Monday, June 3, 2024 10:02 AM\nTo: Ann <ann@x.test>\nSubject: RE: Order 12345\n\nWe are looking into it.';
    expect(trimQuoted(a).text).toBe('Any news?');
    const b = 'Any news?\n\nFrom: Acme Support <support@acme.test>\nDate: 3 June 2024\nSubject: RE: Order\n\nWe are looking into it.';
    expect(trimQuoted(b).text).toBe('Any news?');
    const c = 'Any news?\n\n-----Original Message-----\nFrom: Acme\nWe are looking into it.';
    expect(trimQuoted(c).text).toBe('Any news?');
  });

  it('cuts the signature after "-- " and a trailing "Sent from my iPhone"', () => {
    expect(trimQuoted('Where is my parcel?\n\n-- \nAnn Example\nCEO, Example Ltd').text).toBe('Where is my parcel?');
    expect(trimQuoted('Where is my parcel?\n\nSent from my iPhone').text).toBe('Where is my parcel?');
  });

  it('leaves ordinary text alone', () => {
    const body = 'On Monday I wrote to you about my order: nobody answered.\nFrom: the order page, it says "shipped".\n> is not a quote here? it is.';
    const r = trimQuoted(body);
    expect(r.text).toBe('On Monday I wrote to you about my order: nobody answered.\nFrom: the order page, it says "shipped".');
    expect(trimQuoted('Just one line.')).toEqual({ text: 'Just one line.', trimmed: false });
  });

  it('keeps forwarded messages: they are content', () => {
    const body = 'See below, this is what your courier sent me.\n\n---------- Forwarded message ---------\nFrom: Courier <no-reply@courier.test>\nDate: Mon, 3 Jun 2024\nSubject: Delivery failed\nTo: ann@x.test\n\nWe could not deliver your parcel.';
    expect(trimQuoted(body).text).toContain('We could not deliver your parcel.');
  });

  it('returns the full text when it is nothing but a quote', () => {
    const body = '> only a quoted line\n> and another';
    expect(trimQuoted(body)).toEqual({ text: body, trimmed: false });
  });
});
