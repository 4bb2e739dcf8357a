/**
 * A date next to an order word ("ref 2024-12-05") is a day, not an order number: neither
 * `detectSensitive` nor the `reply.personal_data` check may call it one, while real order and
 * reference numbers — also ones that contain a year or start with a date — are still found.
 */
import { describe, expect, it } from 'vitest';
import { detectSensitive } from './privateOffer.js';
import { checkReply } from './replyChecks.js';

const kinds = (text: string) => detectSensitive(text).map((f) => [f.kind, f.text]);
const personalData = (text: string) =>
  checkReply({ text, network: 'x', visibility: 'public', customer: { name: 'Jane Doe', handle: '@jane_doe' } }).results.find((r) => r.code === 'reply.personal_data');

describe('dates are not order numbers', () => {
  it.each([
    'ref 2024-12-05', // ISO
    'ref 05/12/2024', // day/month/year
    'ref 12/05/2024', // month/day/year
    'ref 5.12.2024', // German style
    'ref 2024/12/05',
    'ref 2024.12.05',
    'ref 05-12-2024',
    'Our reference 2024-12-05T10:30:00Z',
    'Invoice no. 2024-12-05, thanks',
    'booking 2024-12-05.',
    'order 12.05.24',
  ])('%j names a day', (text) => {
    expect(kinds(text)).toEqual([]);
  });

  it('keeps the reply check quiet on a public reply about a date', () => {
    expect(personalData('Hi Jane, that is ref 2024-12-05 in our notes: the courier comes back on Monday.')).toBeUndefined();
    expect(personalData('Hi Jane, your booking from ref 2024/12/05 is confirmed.')).toBeUndefined();
  });
});

describe('real order numbers are still found', () => {
  it.each<[string, Array<[string, string]>]>([
    ['order 2024120512', [['order_number', '2024120512']]],
    ['ref AB-2024-99812', [['order_number', 'AB-2024-99812']]],
    ['your order is #A12345', [['order_number', 'A12345']]],
    ['order #A12345', [['order_number', 'A12345']]],
    ['see #12345', [['order_number', '#12345']]],
    // a date that runs on into more of an id is an id
    ['ref 2024-12-05-0042', [['order_number', '2024-12-05-0042']]],
    // no calendar has a 13th month
    ['ticket 2024-13-45', [['order_number', '2024-13-45']]],
    // the date is skipped, the order number after it is not
    ['ref 2024-12-05 and order 88812345', [['order_number', '88812345']]],
  ])('%j', (text, expected) => {
    expect(kinds(text)).toEqual(expected);
  });

  it('still warns on a public reply that exposes one', () => {
    const result = personalData('Hi Jane, order 2024120512 shipped on 2024-12-05.');
    expect(result?.data?.kinds).toEqual(['order_number']);
    expect(result?.data?.matches).toEqual([{ kind: 'order_number', start: 15, end: 25 }]);
  });
});
