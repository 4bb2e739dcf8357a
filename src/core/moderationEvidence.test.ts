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

describe('evidenceRefusal, when a word of a violation against people is aimed at the brand', () => {
  it('refuses "attacks our product", "insulting us", "targets the company": criticism of a company, not harassment', () => {
    for (const e of ['A negative review that attacks our product', 'insulting us in every post', 'targets the company with bad reviews', 'keeps attacking our new app', 'Harassing our support with complaints']) {
      expect(evidenceRefusal(e), e).toMatch(/not which rule the post breaks/);
    }
  });

  it('lets it stand when people are the target, or another violation is named', () => {
    for (const e of ['attacks our staff by name', 'insults the brand\'s staff with a slur', 'insulting us and posting the agent\'s home address', 'targets our agent Sam in every reply', 'attacks the company and threatens violence at the store']) {
      expect(evidenceRefusal(e), e).toBeNull();
    }
  });
});
