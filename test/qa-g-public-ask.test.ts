/**
 * QA of asking for personal data in public: a public reply that asks the customer to post their
 * order number, e-mail address or phone number ("can you reply with your order number?") puts
 * those details on the timeline as surely as writing them — the agent is warned and offered the
 * private route, as for data in the reply itself. Asking for them in a private message ("DM us
 * your order number", "email us at …") is the right thing and is not flagged, nor is any request
 * in a reply already private.
 */
import { describe, expect, it } from 'vitest';
import { checkReply } from '../src/core/replyChecks.js';

const check = (text: string, visibility: 'public' | 'private' = 'public', network: 'x' | 'facebook' | 'bluesky' = 'x') =>
  checkReply({ text, network, visibility, customer: { name: 'Dana Doe', handle: 'dana' }, conversationId: '42' }).results.find((r) => r.code === 'reply.personal_data');

describe('asking for personal data in public', () => {
  it('warns when a public reply asks for the details to be posted, and offers the private route', () => {
    const r = check('Hi Dana, can you reply with your order number and email address so we can check?');
    expect(r).toMatchObject({ severity: 'warn', detail: 'Asks for their order number, e-mail address in public' });
    expect(r!.data).toMatchObject({ requested: ['order_number', 'email'] });
    expect(typeof r!.data!.privateOffer).toBe('string');
    expect(r!.data!.privateOffer).toMatch(/send us a DM/i);
    expect(check('Hi Dana, please tweet us your phone number and we will call you back.')).toMatchObject({ detail: 'Asks for their phone number in public' });
    expect(check('Hi Dana, what is your delivery address?', 'public', 'facebook')).toMatchObject({ detail: 'Asks for their postal address in public' });
    expect(check('Hi Dana, could you share your account number with us? Thanks!', 'public', 'bluesky')).toMatchObject({ detail: 'Asks for their account number in public' });
  });

  it('does not flag a request for a private message, or any request in private', () => {
    expect(check('Hi Dana, please DM us your order number and we will check.')).toBeUndefined();
    expect(check('Hi Dana, send us a direct message with your email address and we will sort it out.')).toBeUndefined();
    expect(check('Hi Dana, email us at care@acme.example with your order number, we reply within a day.')).toBeUndefined();
    expect(check('Hi Dana, can you reply with your order number?', 'private')).toBeUndefined();
    // talking about their details is no request for them
    expect(check('Hi Dana, we have updated the email address on your account as you asked.')).toBeUndefined();
    expect(check('Hi Dana, your order number is on the confirmation we sent.')).toBeUndefined();
  });
});
