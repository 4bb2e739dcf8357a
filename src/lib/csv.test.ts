import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { CsvParser, parseCsv, readCsvRows } from './csv.js';
import { sharedDataFile } from './paths.js';

describe('csv', () => {
  it('parses quoted fields with commas, doubled quotes and newlines', () => {
    const items = parseCsv('a,b,c\n1,"x, ""y""\nz",3\r\n4,5,6');
    expect(items.map((i) => i.kind)).toEqual(['record', 'record', 'record']);
    expect(items[1]).toMatchObject({ fields: ['1', 'x, "y"\nz', '3'], line: 2 });
    expect(items[2]).toMatchObject({ fields: ['4', '5', '6'], line: 4 });
  });

  it('gives the same records whatever the chunking', () => {
    const text = 'h1,h2\n"a""b",c\n"multi\nline",x\r\nlast,"q"\n';
    const whole = parseCsv(text);
    for (let size = 1; size < 8; size++) {
      const p = new CsvParser();
      const items = [];
      for (let i = 0; i < text.length; i += size) items.push(...p.push(text.slice(i, i + size)));
      items.push(...p.end());
      expect(items).toEqual(whole);
    }
  });

  it('reports an unclosed quote by line and keeps the following rows', () => {
    const items = parseCsv('id,text\n1,ok\n2,"broken\n3,fine\n4,also fine\n');
    const errors = items.filter((i) => i.kind === 'error');
    expect(errors).toEqual([expect.objectContaining({ line: 3, reason: 'unclosed quote' })]);
    const { rows } = readCsvRows('id,text\n1,ok\n2,"broken\n3,fine\n4,also fine\n');
    expect(rows.map((r) => r.id)).toEqual(['1', '3', '4']);
  });

  it('with a known field count, a stray opening quote costs only its own row', () => {
    const text = 'id,text\n1,"ok\nstill ok"\n2,"broken\n3,"quoted, fine"\n4,plain\n';
    const { rows, errors } = readCsvRows(text);
    expect(errors.map((e) => [e.line, e.reason])).toEqual([[4, expect.stringMatching(/unclosed quote/)]]);
    expect(rows.map((r) => r.id)).toEqual(['1', '3', '4']);
  });

  it('flags wrong field counts and stray quotes with line numbers', () => {
    const { rows, errors } = readCsvRows('a,b\n1,2\n1,2,3\nx"y,2\n"a"b,2\n5,6');
    expect(rows).toEqual([{ a: '1', b: '2' }, { a: '5', b: '6' }]);
    expect(errors.map((e) => e.line)).toEqual([3, 4, 5]);
  });

  it('reads the real TWCS excerpt with its multi-line texts', () => {
    const text = readFileSync(sharedDataFile('twcs/twcs_head5k.csv'), 'utf8');
    const { rows, errors } = readCsvRows(text);
    expect(errors).toEqual([]);
    expect(rows.length).toBe(3996);
    expect(Object.keys(rows[0]!)).toEqual(['conversation_root', 'tweet_id', 'author_id', 'inbound', 'created_at', 'text', 'response_tweet_id', 'in_response_to_tweet_id']);
  });
});
