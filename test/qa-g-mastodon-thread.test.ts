/**
 * QA of threads on Mastodon: the connector puts the customer's @acct in front of each post that
 * does not mention them (Mastodon notifies only those mentioned), and the reply check measures
 * that. A thread split offered for a too-long reply must leave room for it: every part the check
 * offers, and every part the composer splits, passes the same check when sent — none stops the
 * thread half-way as "too long".
 */
import { describe, expect, it } from 'vitest';
import { checkReply } from '../src/core/replyChecks.js';
import { splitReply, measureReply } from '../web/src/lib/length.js';

const customer = { name: 'Dana Doe', handle: 'dana_from_the_long_instance_name@social.example.org' };
const sentence = 'Hi Dana, we checked the order and the courier has it now, it arrives on Thursday before noon. ';
const text = sentence.repeat(14).trim();

describe('a Mastodon thread', () => {
  it('offers parts that each fit with the @acct put in front', () => {
    const first = checkReply({ text, network: 'mastodon', visibility: 'public', customer });
    const too = first.results.find((r) => r.code === 'reply.too_long')!;
    const parts = too.data!.parts as string[];
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(checkReply({ text: p, network: 'mastodon', visibility: 'public', customer }).results.map((r) => r.code)).not.toContain('reply.too_long');
  });

  it('splits in the composer into parts the server takes', () => {
    const parts = splitReply('mastodon', 'public', text, true, customer.handle);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(checkReply({ text: p, network: 'mastodon', visibility: 'public', customer }).results.map((r) => r.code)).not.toContain('reply.too_long');
    // and the counter counts what is posted
    const near = sentence.repeat(5).trim().slice(0, 490);
    expect(measureReply('mastodon', 'public', near, customer.handle).over).toBe(checkReply({ text: near, network: 'mastodon', visibility: 'public', customer }).results.some((r) => r.code === 'reply.too_long'));
  });
});
