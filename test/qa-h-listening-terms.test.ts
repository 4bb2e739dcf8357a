/**
 * QA (helper h): listening terms that look like patterns. Every network searches a keyword as
 * written (X as a phrase, Mastodon and Bluesky as words), so "acme.*", "(acme|acmee)" or
 * "colou?r" never mean "acme followed by anything" or "acme or acmee": saved silently they match
 * nothing the admin meant. They are refused, naming the term, with the way to list spellings.
 * Real names with punctuation (Yahoo!, Disney+, C++, $ACME, #acme, e-bike, AT&T) stay accepted.
 */
import { describe, expect, it } from 'vitest';
import { checkSettings } from '../src/channels/settings.js';
import { evidenceRefusal } from '../src/core/moderationEvidence.js';

const base = (network: string) => (network === 'mastodon' ? { instanceUrl: 'https://mastodon.example' } : {});

describe('QA h: listening keywords', () => {
  for (const network of ['x', 'mastodon', 'bluesky']) {
    it(`${network}: refuses pattern syntax, naming the term and saying to list each spelling`, () => {
      const r = checkSettings(network, { ...base(network), keywords: ['acme', 'acme.*', '(acme|acmee)', 'colou?r', 'acm[ei]', '^acme$', 'acme\\b'] });
      expect(r.problems.map((p) => p.path)).toEqual([1, 2, 3, 4, 5, 6].map((i) => `settings/keywords/${i}`));
      expect(r.problems[1]!.message).toContain('"(acme|acmee)"');
      expect(r.problems[1]!.message).toMatch(/as written.*each spelling/);
      const ok = checkSettings(network, { ...base(network), keywords: ['Yahoo!', 'Disney+', 'C++', '$ACME', '#acme', 'e-bike', 'AT&T', 'acmee', 'Acme?'] });
      expect(ok.problems).toEqual([]);
    });
  }
});

describe('QA h: evidence refusal wording', () => {
  it('agrees with one word or several', () => {
    expect(evidenceRefusal('Says we are terrible and the worst service ever.')).toMatch(/^"terrible", "worst" describe how the customer feels/);
    expect(evidenceRefusal('The customer says our service is the worst ever')).toMatch(/^"worst" describes how the customer feels/);
  });
});
