import { describe, expect, it } from 'vitest';
import { evidenceRefusal } from './moderationEvidence.js';

describe('evidenceRefusal', () => {
  it('refuses evidence that only describes negativity, complaints or tone', () => {
    for (const e of ['very negative', 'keeps complaining about a late parcel', 'rude!!!!', 'Customer is angry and writes a bad review', 'constant criticism of our prices', 'Hostile tone, again', 'says our app sucks and is the worst']) {
      expect(evidenceRefusal(e), e).toMatch(/not which rule the post breaks/);
    }
    expect(evidenceRefusal('keeps complaining about a late parcel')).toContain('"complaining"');
  });

  it('lets evidence stand that names a violation, even beside negative words', () => {
    for (const e of ['Rude, and threatens to hurt our driver', 'Posts the agent\'s home address and phone number', 'Spam: the same crypto giveaway link 14 times', 'angry and uses a racial slur against a staff member', 'impersonates our support account to ask for card details']) {
      expect(evidenceRefusal(e), e).toBeNull();
    }
  });

  it('leaves evidence with neither kind of word to the cited guideline', () => {
    expect(evidenceRefusal('Shares a screenshot of another customer\'s order with their full name')).toBeNull();
  });
});
