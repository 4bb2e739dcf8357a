import { describe, expect, it } from 'vitest';
import { jsonArrayItemBytes, parseObject, parseStoredJson, RawJson } from './json.js';

/** The items as strings (each a view into the bytes). */
const jsonArrayItems = (text: string, key: string) => jsonArrayItemBytes(Buffer.from(text), key)?.map((b) => b.toString('utf8')) ?? null;

describe('parseObject', () => {
  it('returns the stored object, and {} for what is absent, malformed or not an object', () => {
    expect(parseObject('{"a":1,"b":{"c":[2]}}')).toEqual({ a: 1, b: { c: [2] } });
    for (const s of [null, undefined, '', 'not json', '[1,2]', '42', '"x"', 'null', '{"a":']) expect(parseObject(s)).toEqual({});
  });
});

/** A seeded stream of numbers in [0, 1). */
function rng(seed: number) {
  return () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const PIECES = ['a', '"', '\\', '\\"', '\\\\', '}', ']', '{', '[', ',', ':', ' ', '\n', '\u2028', '😀', '\ud800', '<script>', 'é', '\u0000'];

function randomValue(r: () => number, depth: number): unknown {
  const k = r();
  if (depth > 3 || k < 0.35) {
    const s = r();
    if (s < 0.25) return Array.from({ length: Math.floor(r() * 6) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('');
    if (s < 0.45) return Math.floor(r() * 2 ** 64) * (r() < 0.5 ? -1 : 1);
    if (s < 0.55) return r() * 1e-7;
    if (s < 0.7) return r() < 0.5;
    return null;
  }
  if (k < 0.65) return Array.from({ length: Math.floor(r() * 4) }, () => randomValue(r, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(r() * 4); i > 0; i--) o[Array.from({ length: 1 + Math.floor(r() * 3) }, () => PIECES[Math.floor(r() * PIECES.length)]).join('')] = randomValue(r, depth + 1);
  return o;
}

describe('parseStoredJson', () => {
  it('reads a stored payload kept as text or as its UTF-8 bytes alike', () => {
    const payload = { uri: 'at://did:plc:x/app.bsky.feed.post/1', cid: 'bafy', text: 'café ☕' };
    expect(parseStoredJson(JSON.stringify(payload))).toEqual(payload);
    expect(parseStoredJson(Buffer.from(JSON.stringify(payload), 'utf8'))).toEqual(payload);
    expect(parseStoredJson(new Uint8Array(Buffer.from(JSON.stringify(payload), 'utf8')))).toEqual(payload);
  });

  it('is undefined for nothing stored or what is not JSON', () => {
    expect(parseStoredJson(null)).toBeUndefined();
    expect(parseStoredJson(undefined)).toBeUndefined();
    expect(parseStoredJson('{"cut off')).toBeUndefined();
    expect(parseStoredJson(Buffer.from('not json'))).toBeUndefined();
  });
});

describe('jsonArrayItemBytes', () => {
  it('gives the exact text of each element, which parses to the element JSON.parse gives, for hostile values and any spacing', () => {
    const r = rng(7);
    for (let round = 0; round < 400; round++) {
      const items = Array.from({ length: Math.floor(r() * 5) }, () => randomValue(r, 0));
      const body = { before: randomValue(r, 0), events: items, after: randomValue(r, 0) };
      const text = JSON.stringify(body, null, round % 3 === 0 ? 2 : round % 3 === 1 ? '\t' : undefined);
      const got = jsonArrayItems(text, 'events');
      expect(got).not.toBeNull();
      expect(got!.map((t) => JSON.parse(t))).toEqual(JSON.parse(text).events);
      for (const t of got!) expect(text).toContain(t);
    }
  });

  it('keeps what JSON.parse loses: numbers beyond 2^53 stay as they were written', () => {
    const text = '{"for_user_id":"1","tweet_create_events":[{"id":1590000000000000001,"id_str":"1590000000000000001"} , {"id":7534713596849160192}]}';
    expect(jsonArrayItems(text, 'tweet_create_events')).toEqual(['{"id":1590000000000000001,"id_str":"1590000000000000001"}', '{"id":7534713596849160192}']);
  });

  it('reads only the top-level key, takes the last of a repeated key as JSON.parse does, and decodes escaped keys', () => {
    expect(jsonArrayItems('{"a":{"events":[1]},"x":"\\"events\\":[2]","events":[3]}', 'events')).toEqual(['3']);
    expect(jsonArrayItems('{"events":[1],"events":[2, 3]}', 'events')).toEqual(['2', '3']);
    expect(jsonArrayItems('{"events":[1],"events":{"a":1}}', 'events')).toBeNull();
    expect(jsonArrayItems('{"ev\\u0065nts":["x"]}', 'events')).toEqual(['"x"']);
    expect(jsonArrayItems('{"events":[]}', 'events')).toEqual([]);
  });

  it('answers null when the text is not an object or the key holds no array', () => {
    for (const t of ['[1,2]', '"events"', 'null', '{}', '{"events":null}', '{"events":"[1]"}', '{"other":[1]}']) expect(jsonArrayItems(t, 'events')).toBeNull();
  });
});

describe('RawJson', () => {
  it('serializes as the value it holds, given as text or as UTF-8 bytes', () => {
    const raw = new RawJson('{"a":[1,"x"]}');
    expect(JSON.stringify({ raw })).toBe('{"raw":{"a":[1,"x"]}}');
    expect(raw.text).toBe('{"a":[1,"x"]}');
    const body = Buffer.from('{"e":[{"t":"caf\u00e9 😀 <b>"}]}');
    const bytes = new RawJson(jsonArrayItemBytes(body, 'e')![0]!);
    expect(bytes.text).toBe('{"t":"caf\u00e9 😀 <b>"}');
    expect(JSON.stringify({ raw: bytes })).toBe('{"raw":{"t":"café 😀 <b>"}}');
  });
});
