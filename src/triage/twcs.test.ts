import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../lib/paths.js';
import { readTable } from './datasets.js';
import { parseTwcsDate, twcsExamples, twcsExamplesFromTable } from './twcs.js';

const file = join(repoRoot, 'test', 'fixtures', 'triage', 'twcs.csv');

describe('TWCS needs-response examples', () => {
  it('labels inbound tweets by whether a brand tweet replies to them', () => {
    const ex = twcsExamples(file);
    const label = Object.fromEntries(ex.map((e) => [e.tweetId, e.label]));
    expect(label).toEqual({ '10': true, '12': true, '14': false, '20': false, '21': true, '30': false, '31': false });
  });

  it('builds inputs from ingest-time facts only (parent, depth, brand handles)', () => {
    const ex = Object.fromEntries(twcsExamples(file).map((e) => [e.tweetId, e]));
    expect(ex['10']!.input.kind).toBe('mention');
    expect(ex['10']!.input.context?.threadDepth).toBe(0);
    expect(ex['14']!.input.context).toMatchObject({ threadDepth: 4, replyTo: { fromBrand: true, sameAuthor: false } });
    expect(ex['21']!.input.context).toMatchObject({ replyTo: { fromBrand: false, sameAuthor: true }, previousInbound: ['@AcmeHelp why was I charged twice this month?'] });
    expect(ex['30']!.input.context?.replyTo).toEqual({ fromBrand: false, sameAuthor: false });
    expect(ex['10']!.input.context?.brandHandles).toEqual(['acmehelp']);
    expect(ex['10']!.input.createdAt).toBe(Date.UTC(2017, 9, 31, 10, 0, 0));
  });

  it('never reads response_tweet_id: blanking it changes nothing', () => {
    const t = readTable(file);
    const blanked = { ...t, rows: t.rows.map((r) => ({ ...r, response_tweet_id: '' })) };
    expect(twcsExamplesFromTable(blanked)).toEqual(twcsExamplesFromTable(t));
  });
});

describe('parseTwcsDate', () => {
  it('parses both TWCS date formats', () => {
    expect(parseTwcsDate('Tue Oct 31 22:10:47 +0000 2017')).toBe(Date.UTC(2017, 9, 31, 22, 10, 47));
    expect(parseTwcsDate('Tue Oct 31 22:10:47 +0100 2017')).toBe(Date.UTC(2017, 9, 31, 21, 10, 47));
    expect(parseTwcsDate('2017-11-07 13:21:48+00:00')).toBe(Date.UTC(2017, 10, 7, 13, 21, 48));
    expect(parseTwcsDate('not a date')).toBe(0);
  });
});
