/**
 * QA (helper l): the stock-phrase hint on real brand replies (TWCS, evaluation only). It must
 * find the boilerplate brands really post ("Sorry for the inconvenience", "Thank you for
 * bringing this to our attention") and leave the ordinary replies alone: every hit is a phrase
 * of the curated list, and only a small share of replies is flagged. The link-only check's
 * other languages change nothing for the English replies and customer tweets.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkReply } from '../src/core/replyChecks.js';
import { findStockPhrases } from '../src/core/stockPhrases.js';
import { readCsvRows } from '../src/lib/csv.js';
import { sharedDataFile } from '../src/lib/paths.js';

const rows = readCsvRows(readFileSync(sharedDataFile('twcs/twcs_head5k.csv'), 'utf8')).rows;
// the brand's own tweets: the first 5,000 (the dev part of the file holds fewer)
const brandReplies = rows.filter((r) => r.inbound === 'False').slice(0, 5000).map((r) => r.text ?? '');

describe('reply.stock_phrase on TWCS brand replies', () => {
  const flagged = brandReplies.map((text) => ({ text, report: checkReply({ text, network: 'x', visibility: 'public' }) })).filter((r) => r.report.results.some((x) => x.code === 'reply.stock_phrase'));

  it('flags a small share, each hit a listed phrase found in the reply as written', () => {
    expect(brandReplies.length).toBeGreaterThan(1000);
    // the boilerplate is there in real replies…
    expect(flagged.length).toBeGreaterThan(5);
    // …but ordinary replies pass: well under 3 % are flagged
    expect(flagged.length / brandReplies.length).toBeLessThan(0.03);
    for (const f of flagged) {
      const r = f.report.results.find((x) => x.code === 'reply.stock_phrase')!;
      expect(r.severity).toBe('hint');
      for (const p of r.data!.phrases as Array<{ text: string; start: number; end: number }>) expect(f.text.slice(p.start, p.end)).toBe(p.text);
    }
    console.log(`reply.stock_phrase: ${flagged.length} of ${brandReplies.length} TWCS brand replies flagged`);
  });

  it('never flags a reply for naming its topic ("thanks for reaching out about your order")', () => {
    const topical = brandReplies.filter((t) => /thank(?:s| you) for reaching out/i.test(t));
    for (const t of topical) {
      for (const h of findStockPhrases(t)) expect(h.phrase).not.toBe('Thank you for reaching out to us regarding your concern');
    }
  });
});
