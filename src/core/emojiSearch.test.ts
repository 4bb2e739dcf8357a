import { describe, expect, it } from 'vitest';
import { EXTENDED_PICTOGRAPHIC, MAX_QUERY_EMOJI, emojiTerms, mayHaveEmoji, splitQueryEmoji } from './emojiSearch.js';

const sorted = (a: string[]) => [...a].sort();
/** The one term a query emoji is looked up by. */
const queryTerm = (q: string) => {
  const { emoji } = splitQueryEmoji(q);
  expect(emoji).toHaveLength(1);
  return emoji[0]!;
};
/** Does a search for `q` find a message with `text`? (Every query term among the text's terms.) */
const finds = (q: string, text: string) => emojiTerms(text).includes(queryTerm(q));

describe('emoji search terms', () => {
  it('writes out exactly the code points with the Extended_Pictographic property, in order', () => {
    const re = /\p{Extended_Pictographic}/u;
    const ranges: [number, number][] = [];
    for (let c = 0; c <= 0x10ffff; c++) {
      if ((c >= 0xd800 && c <= 0xdfff) || !re.test(String.fromCodePoint(c))) continue;
      const last = ranges[ranges.length - 1];
      if (last && last[1] === c - 1) last[1] = c;
      else ranges.push([c, c]);
    }
    expect(EXTENDED_PICTOGRAPHIC).toEqual(ranges);
  });

  it('finds each emoji as people see it: tones, ZWJ sequences, flags, keycaps, tag sequences', () => {
    expect(emojiTerms('refund now 😡😡 🔥')).toEqual(['😡', '🔥']);
    expect(sorted(emojiTerms('thanks 👍🏽'))).toEqual(sorted(['👍🏽', '👍']));
    expect(emojiTerms('👨‍👩‍👧')).toEqual(['👨‍👩‍👧']);
    expect(emojiTerms('🇫🇷🇩🇪')).toEqual(['🇫🇷', '🇩🇪']);
    expect(emojiTerms('press 1️⃣ or #⃣')).toEqual(['1\u20e3', '#\u20e3']);
    expect(emojiTerms('🏴󠁧󠁢󠁥󠁮󠁧󠁿')).toEqual(['🏴󠁧󠁢󠁥󠁮󠁧󠁿']);
    expect(emojiTerms('no emoji here, 123 # * ✓')).toEqual([]);
    expect(mayHaveEmoji('plain words')).toBe(false);
    expect(mayHaveEmoji('a 🙏')).toBe(true);
  });

  it('matches the way an agent expects: variation selectors never count, no tone finds every tone, a tone only itself', () => {
    expect(finds('❤️', 'love it ❤')).toBe(true);
    expect(finds('❤', 'love it ❤️')).toBe(true);
    expect(finds('👍', 'ok 👍🏽')).toBe(true);
    expect(finds('👍', 'ok 👍')).toBe(true);
    expect(finds('👍🏽', 'ok 👍🏽')).toBe(true);
    expect(finds('👍🏽', 'ok 👍')).toBe(false);
    expect(finds('👍🏽', 'ok 👍🏿')).toBe(false);
    // gender signs likewise
    expect(finds('🤷', '🤷🏽‍♀️')).toBe(true);
    expect(finds('🤷‍♀️', '🤷🏽‍♀️')).toBe(true);
    expect(finds('🤷🏽', '🤷🏽‍♀️')).toBe(true);
    expect(finds('🤷‍♂️', '🤷🏽‍♀️')).toBe(false);
    expect(finds('🤷‍♀️', '🤷')).toBe(false);
    // a sequence is not its parts
    expect(finds('👨', '👨‍👩‍👧')).toBe(false);
    expect(finds('🔥', '❤️‍🔥')).toBe(false);
    expect(finds('👨‍👩‍👧', '👨‍👩‍👧')).toBe(true);
    expect(finds('🇫🇷', '🇩🇪 🇫🇷')).toBe(true);
    expect(finds('🇫🇷', '🇩🇪')).toBe(false);
    expect(finds('1️⃣', 'option 1⃣')).toBe(true);
  });

  it('splits a query into its emoji and the words around them', () => {
    expect(splitQueryEmoji('refund 😡')).toEqual({ emoji: ['😡'], rest: 'refund  ' });
    expect(splitQueryEmoji('refund😡please')).toEqual({ emoji: ['😡'], rest: 'refund please' });
    // ™ is an emoji, not the word "TM" that NFKC would make of it
    expect(splitQueryEmoji('™')).toEqual({ emoji: ['™'], rest: ' ' });
    expect(splitQueryEmoji('no emoji')).toEqual({ emoji: [], rest: 'no emoji' });
    expect(splitQueryEmoji('😡 😡 ❤️ ❤')).toEqual({ emoji: ['😡', '❤'], rest: '       ' });
  });

  it('stays bounded and calm on hostile text: lone surrogates, endless ZWJ chains, 10,000 emoji', () => {
    expect(emojiTerms('\ud83d broken \ude21 halves')).toEqual([]);
    expect(splitQueryEmoji('\ud83d\ud83d\ude21').emoji).toEqual(['😡']);
    const chain = Array.from({ length: 5000 }, () => '👍').join('\u200d');
    expect(emojiTerms(chain)).toEqual([]); // one "emoji" of 5,000 code points: no term
    const many = '😡🔥💔🙏'.repeat(2500);
    const t0 = performance.now();
    expect(sorted(emojiTerms(many))).toEqual(sorted(['😡', '🔥', '💔', '🙏']));
    const q = splitQueryEmoji(Array.from({ length: 10_000 }, (_, i) => String.fromCodePoint(0x1f600 + (i % 64))).join(''));
    expect(q.emoji).toHaveLength(MAX_QUERY_EMOJI);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
