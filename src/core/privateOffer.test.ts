import { describe, expect, it } from 'vitest';
import { measure } from './textLength.js';
import {
  detectSensitive,
  luhnValid,
  PRIVATE_MESSAGE_PHRASES,
  privateOffer,
  redactSensitive,
  usableName,
  type SensitiveKind,
} from './privateOffer.js';

describe('detectSensitive', () => {
  it.each<[string, Array<[SensitiveKind, string]>]>([
    ['mail me at jane.doe+care@example.co.uk please', [['email', 'jane.doe+care@example.co.uk']]],
    ['call +44 20 7946 0958 after lunch', [['phone', '+44 20 7946 0958']]],
    ['my number is (555) 123-4567.', [['phone', '(555) 123-4567']]],
    ['text 07700 900123', [['phone', '07700 900123']]],
    ['ring 5551234567', [['phone', '5551234567']]],
    ['card 4111 1111 1111 1111 expires soon', [['card_number', '4111 1111 1111 1111']]],
    ['4111-1111-1111-1111', [['card_number', '4111-1111-1111-1111']]],
    ['order number is A12-34567', [['order_number', 'A12-34567']]],
    ['Booking ref: 55512345', [['order_number', '55512345']]],
    ['see #1234567 for details', [['order_number', '#1234567']]],
    ['my account no. 987654321', [['account_number', '987654321']]],
    ['Customer ID: CU-778812', [['account_number', 'CU-778812']]],
    ['account number 4111111111111111', [['card_number', '4111111111111111']]],
    ['IBAN GB82 WEST 1234 5698 7654 32 thanks', [['iban', 'GB82 WEST 1234 5698 7654 32']]],
    [
      'I live at 221B Baker Street, London NW1 6XE',
      [
        ['postal_address', '221B Baker Street'],
        ['postal_address', 'NW1 6XE'],
      ],
    ],
    ['Hauptstraße 5, 10115 Berlin', [['postal_address', 'Hauptstraße 5']]],
    ['12 rue de Rivoli', [['postal_address', '12 rue de Rivoli']]],
    ['Springfield, IL 62704', [['postal_address', 'IL 62704']]],
    ['send it to PO Box 1234', [['postal_address', 'PO Box 1234']]],
    [
      'Email jane@example.com or call 020 7946 0958',
      [
        ['email', 'jane@example.com'],
        ['phone', '020 7946 0958'],
      ],
    ],
  ])('%j', (text, expected) => {
    expect(detectSensitive(text).map((m) => [m.kind, m.text])).toEqual(expected);
    for (const m of detectSensitive(text)) expect(text.slice(m.start, m.end)).toBe(m.text);
  });

  it.each([
    'Your refund of $1,234.56 is on its way',
    'We open at 09:00 on 2026-05-04',
    'Card 4111 1111 1111 1112 (fails the Luhn check)',
    'version 1.2.3.4 fixed it',
    'Ping @alice@mastodon.social about it',
    'it took 2 hours and 30 minutes',
    'Order 12 arrived',
    'I sent 2 via email',
    'That costs 1 234 567 € in total',
    'We waited 45 minutes for order updates',
    'Our team of 2 Dr. Smith and 1 nurse',
    'call us on 0800',
  ])('finds nothing in %j', (text) => {
    expect(detectSensitive(text)).toEqual([]);
  });

  it('checks card numbers with Luhn', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('')).toBe(false);
  });

  it('redacts matches with readable placeholders', () => {
    expect(redactSensitive('Email jane@example.com or call +44 20 7946 0958.')).toBe('Email [e-mail address] or call [phone number].');
  });

  it('survives hostile input', () => {
    const hostile = [
      '1'.repeat(50_000),
      '@'.repeat(20_000) + 'a@'.repeat(10_000),
      `${'a.'.repeat(30_000)}com`,
      `\u0000\uD800 ${'9 '.repeat(30_000)}`,
      'Straße'.repeat(10_000),
    ];
    for (const text of hostile) expect(Array.isArray(detectSensitive(text))).toBe(true);
    expect(detectSensitive(undefined as never)).toEqual([]);
  });
});

describe('privateOffer', () => {
  it.each([
    ['x', /send us a DM/i],
    ['facebook', /send us a message/i],
    ['instagram', /DM us/],
    ['mastodon', /send us a private mention/i],
    ['bluesky', /send us a chat message/i],
  ] as const)('uses the %s wording', (network, phrase) => {
    for (const id of ['c1', 'c2', 'c3', 'c4', 'c5']) {
      const offer = privateOffer({ network, conversationId: id, customerName: 'Jane', reason: 'personal_data' })!;
      expect(offer.text).toMatch(phrase);
      expect(offer.text).toContain('so your details stay private');
      expect(measure(network, offer.text).over).toBe(false);
    }
  });

  it('has nothing to offer where the conversation is already private', () => {
    expect(PRIVATE_MESSAGE_PHRASES.email).toBeNull();
    expect(privateOffer({ network: 'email', conversationId: 'c1' })).toBeNull();
    expect(privateOffer({ network: 'webchat', conversationId: 'c1' })).toBeNull();
  });

  it('varies wording across conversations, deterministically per conversation', () => {
    const variants = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const a = privateOffer({ network: 'x', conversationId: `conv-${i}`, customerName: 'Sam' })!;
      const b = privateOffer({ network: 'x', conversationId: `conv-${i}`, customerName: 'Sam' })!;
      expect(a).toEqual(b);
      variants.add(a.variant);
    }
    expect(variants.size).toBeGreaterThanOrEqual(3);
  });

  it('personalises, signs, and drops a name that would not fit', () => {
    const offer = privateOffer({ network: 'x', conversationId: 'c9', customerName: 'Priya', signature: '^JS' })!;
    expect(offer.text).toContain('Priya');
    expect(offer.text.endsWith(' ^JS')).toBe(true);
    const tiny = privateOffer({
      network: 'x',
      conversationId: 'c9',
      customerName: 'Bartholomew-Maximilian Fitzgerald',
      lengthRule: { counter: 'graphemes', limit: 110 },
    })!;
    expect(tiny.text.length).toBeLessThanOrEqual(110);
  });

  it('never echoes links or control characters from a hostile name', () => {
    expect(usableName('Jane\u0000 https://evil.example/x \u202E')).toBe('Jane');
    expect(usableName('🙂🙂')).toBeNull();
    expect(usableName('   ')).toBeNull();
    const offer = privateOffer({ network: 'x', conversationId: 'c1', customerName: 'https://spam.example' })!;
    expect(offer.text).not.toContain('spam.example');
  });
});
