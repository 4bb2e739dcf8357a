/**
 * Listening terms as an admin types them: what the X connector sends as its recent-search
 * query (literal terms, within X's 512-character limit), and which keyword and hashtag
 * lists the settings check refuses, with a clear message; listening exclusions (excludeKeywords)
 * in the query and in the settings check.
 */
import { describe, expect, it } from 'vitest';
import { checkSettings, describeSettings, settingsSpecOf } from './settings.js';
import { mastodonSearchQuery } from './mastodon/index.js';
import { listeningQuery, X_QUERY_MAX } from './x/channel.js';

describe('X listening query', () => {
  it('sends words, #hashtags and $cashtags as they are and anything else as an exact phrase', () => {
    expect(listeningQuery(['acme', '#AcmeCares', '$ACME', 'Café Acme', 'acme rocket', '"road runner"'], 'acmehelp')).toBe(
      '(acme OR #AcmeCares OR $ACME OR "Café Acme" OR "acme rocket" OR "road runner") -is:retweet -from:acmehelp',
    );
  });

  it('keeps query syntax in a keyword literal: parentheses, OR, a colon, quotes, a leading minus', () => {
    expect(listeningQuery(['acme) OR (lol'], 'acmehelp')).toBe('("acme) OR (lol") -is:retweet -from:acmehelp');
    expect(listeningQuery(['OR'], 'acmehelp')).toBe('("OR") -is:retweet -from:acmehelp');
    expect(listeningQuery(['from:rival'], 'acmehelp')).toBe('("from:rival") -is:retweet -from:acmehelp');
    expect(listeningQuery(['acme"'], 'acmehelp')).toBe('("acme") -is:retweet -from:acmehelp');
    expect(listeningQuery(['say "acme" again'], 'acmehelp')).toBe('("say acme again") -is:retweet -from:acmehelp');
    expect(listeningQuery(['is:retweet'], 'acmehelp')).toBe('("is:retweet") -is:retweet -from:acmehelp');
    // the OR group never opens or closes early, and a quote cannot end a phrase early
    expect(listeningQuery(['a)(b', '((', 'x" OR "y'], 'acmehelp')).toBe('("a)(b" OR "((" OR "x OR y") -is:retweet -from:acmehelp');
  });

  it('leaves out a keyword with nothing left to search for', () => {
    expect(listeningQuery(['""'], 'acmehelp')).toBeNull();
    expect(listeningQuery(['""', 'acme'], 'acmehelp')).toBe('(acme) -is:retweet -from:acmehelp');
  });
});

describe('listening settings', () => {
  it('refuses X keywords whose query would pass X\'s 512-character limit, and takes a list that fits', () => {
    const long = Array.from({ length: 25 }, (_, i) => `acme product line number ${i}`);
    const r = checkSettings('x', { keywords: long });
    expect(r.problems).toEqual([{ path: 'settings', message: expect.stringContaining(`at most ${X_QUERY_MAX} characters`) }]);
    const fits = checkSettings('x', { keywords: long.slice(0, 10) });
    expect(fits.problems).toEqual([]);
    expect(listeningQuery(fits.settings.keywords as string[], 'x'.repeat(15))!.length).toBeLessThanOrEqual(X_QUERY_MAX);
  });

  for (const network of ['x', 'mastodon', 'bluesky']) {
    it(`${network}: refuses an exclusion or a keyword with nothing to search for, naming it`, () => {
      const base = network === 'mastodon' ? { instanceUrl: 'https://mastodon.example' } : {};
      const r = checkSettings(network, { ...base, keywords: ['apple', '-pie', '"()"', 'apple -pie'] });
      expect(r.problems).toEqual([
        { path: 'settings/keywords/1', message: expect.stringContaining('"-pie"') },
        { path: 'settings/keywords/2', message: expect.stringContaining('no letter or digit') },
        { path: 'settings/keywords/3', message: expect.stringContaining('no exclusions') },
      ]);
      // a hyphen inside a word is not an exclusion
      expect(checkSettings(network, { ...base, keywords: ['e-bike', 'Acme 2-in-1'] }).problems).toEqual([]);
      // accents, case, phrases, hashtags and cashtags are fine; blanks and repeats are dropped
      const ok = checkSettings(network, { ...base, keywords: 'Café Acme, cafe acme\n#acme, $ACME,  , Apple, apple' });
      expect(ok.problems).toEqual([]);
      expect(ok.settings.keywords).toEqual(['Café Acme', 'cafe acme', '#acme', '$ACME', 'Apple']);
    });
  }

  it('mastodon: refuses a hashtag that is not one word', () => {
    const r = checkSettings('mastodon', { instanceUrl: 'https://mastodon.example', hashtags: ['#acme', 'acme support', 'acme!', '#café_2'] });
    expect(r.problems.map((p) => p.path)).toEqual(['settings/hashtags/1', 'settings/hashtags/2']);
    expect(r.problems[0]!.message).toContain('"acme support" is not a Mastodon hashtag');
    expect(checkSettings('mastodon', { instanceUrl: 'https://mastodon.example', hashtags: ['#acme', 'café_2'] }).problems).toEqual([]);
  });
});

describe('Mastodon search query', () => {
  it('sends plain words as they are and a keyword with search syntax as a phrase', () => {
    expect(mastodonSearchQuery('acme rocket')).toBe('acme rocket');
    expect(mastodonSearchQuery('Café Acme')).toBe('Café Acme');
    expect(mastodonSearchQuery('#acme')).toBe('#acme');
    expect(mastodonSearchQuery('Acme 12" pizza')).toBe('"Acme 12 pizza"');
    expect(mastodonSearchQuery('from:rival acme')).toBe('"from:rival acme"');
    expect(mastodonSearchQuery('acme +plus')).toBe('"acme +plus"');
    expect(mastodonSearchQuery('"acme rocket"')).toBe('"acme rocket"');
  });
});

describe('listening exclusions (excludeKeywords)', () => {
  it('X: the exclusions go after the OR group as -word, -#hashtag and -"phrase", each once', () => {
    expect(listeningQuery(['apple'], 'applecare', ['pie', '#Baking', 'apple juice', 'PIE', 'from:rival'])).toBe(
      '(apple) -is:retweet -from:applecare -pie -#Baking -"apple juice" -PIE -"from:rival"',
    );
    // no keywords: no query, whatever the exclusions
    expect(listeningQuery([], 'applecare', ['pie'])).toBeNull();
    // settings without the field: as before
    expect(listeningQuery(['apple'], 'applecare')).toBe('(apple) -is:retweet -from:applecare');
  });

  it('X: the query never passes 512 characters: exclusions that do not fit are left to the local check, and the settings check refuses them', () => {
    const keywords = Array.from({ length: 10 }, (_, i) => `acme product line number ${i}`);
    const exclusions = Array.from({ length: 25 }, (_, i) => `unrelated fruit phrase ${i}`);
    const q = listeningQuery(keywords, 'x'.repeat(15), exclusions)!;
    expect(q.length).toBeLessThanOrEqual(X_QUERY_MAX);
    expect(q).toContain(' -"unrelated fruit phrase 0"');
    expect(q).not.toContain('"unrelated fruit phrase 24"');
    const r = checkSettings('x', { keywords, excludeKeywords: exclusions });
    expect(r.problems).toEqual([{ path: 'settings', message: expect.stringMatching(/^excludeKeywords: .*at most 512 characters.*exclusions/) }]);
    expect(checkSettings('x', { keywords, excludeKeywords: exclusions.slice(0, 2) }).problems).toEqual([]);
  });

  for (const network of ['x', 'mastodon', 'bluesky']) {
    it(`${network}: stores exclusions as a trimmed list, taking off the "-" and quotes of search syntax; refuses patterns, blanks and two on one line`, () => {
      const base = network === 'mastodon' ? { instanceUrl: 'https://mastodon.example' } : {};
      const ok = checkSettings(network, { ...base, keywords: ['apple'], excludeKeywords: '-pie\n-"apple juice", #Baking, Pie, "cider"' });
      expect(ok.problems).toEqual([]);
      expect(ok.settings.excludeKeywords).toEqual(['pie', 'apple juice', '#Baking', 'cider']);
      const bad = checkSettings(network, { ...base, keywords: ['apple'], excludeKeywords: ['pie', 'juic*', '"()"', 'pie -tart', 'x'.repeat(129)] });
      expect(bad.problems).toEqual(expect.arrayContaining([
        { path: 'settings/excludeKeywords/1', message: expect.stringContaining('looks like a pattern') },
        { path: 'settings/excludeKeywords/2', message: expect.stringContaining('no letter or digit') },
        { path: 'settings/excludeKeywords/3', message: expect.stringContaining('one exclusion per line') },
        { path: 'settings/excludeKeywords/4', message: 'a term is at most 128 characters' },
      ]));
      expect(bad.problems).toHaveLength(4);
      expect(checkSettings(network, { ...base, excludeKeywords: Array.from({ length: 26 }, (_, i) => `w${i}`) }).problems[0]!.message).toMatch(/at most 25/);
      // a hyphen inside a word is fine
      expect(checkSettings(network, { ...base, excludeKeywords: ['e-bike'] }).problems).toEqual([]);
    });
  }

  it('shows the exclusions with the listening settings, but they are no listening terms of their own', () => {
    expect(describeSettings('x').listening).toEqual(['keywords', 'excludeKeywords']);
    expect(describeSettings('mastodon').listening).toEqual(['keywords', 'hashtags', 'excludeKeywords']);
    expect(describeSettings('bluesky').listening).toEqual(['keywords', 'excludeKeywords']);
    expect(settingsSpecOf('x').listening).toEqual(['keywords']);
    expect(checkSettings('facebook', { excludeKeywords: ['pie'] }).problems.map((p) => p.path)).toEqual(['settings/excludeKeywords']);
  });
});
