/** A stored JSON object (settings columns and the like): `{}` when absent, malformed or not an object. */
export function parseObject(s: string | null | undefined): Record<string, any> {
  if (!s) return {};
  try {
    const v: unknown = JSON.parse(s);
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, any>) : {};
  } catch {
    return {};
  }
}

/**
 * A payload kept as the exact JSON text it arrived in, for storage: what the network
 * sent, byte for byte (numbers beyond 2^53 and key order included), without
 * serializing the parsed copy again. `JSON.stringify` of it gives the parsed value.
 */
export class RawJson {
  constructor(readonly text: string) {}
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, COLON = 0x3a;
const OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d;

function skipSpace(s: string, i: number): number {
  for (let c = s.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = s.charCodeAt(++i));
  return i;
}

/** The index after the string literal that opens at `i`. */
function stringEnd(s: string, i: number): number {
  for (let j = i + 1; ;) {
    const q = s.indexOf('"', j);
    if (q < 0) return -1;
    let b = q - 1;
    while (s.charCodeAt(b) === BACKSLASH) b--;
    if ((q - 1 - b) % 2 === 0) return q + 1; // an even run of backslashes: the quote is not escaped
    j = q + 1;
  }
}

/** The index after the value that starts at `i`. */
function valueEnd(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return stringEnd(s, i);
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    let j = i;
    for (let d = s.charCodeAt(j); j < s.length && d !== COMMA && d !== CLOSE_OBJECT && d !== CLOSE_ARRAY && d !== 0x20 && d !== 0x0a && d !== 0x0d && d !== 0x09; d = s.charCodeAt(++j));
    return j;
  }
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const d = s.charCodeAt(j);
    if (d === QUOTE) {
      j = stringEnd(s, j) - 1;
      if (j < 0) return -1;
    } else if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
    else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) return j + 1;
  }
  return -1;
}

/**
 * The exact text of each element of the array under `key` in the object that `text`
 * holds (the last one when the key repeats, as `JSON.parse` takes it); null when
 * `text` is not an object or the key does not hold an array. `text` must be JSON that
 * `JSON.parse` accepted: this finds boundaries, it does not validate.
 */
export function jsonArrayItems(text: string, key: string): string[] | null {
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) return null;
  const quoted = JSON.stringify(key);
  let found: string[] | null = null;
  i = skipSpace(text, i + 1);
  while (i < text.length && text.charCodeAt(i) !== CLOSE_OBJECT) {
    const keyEnd = stringEnd(text, i);
    if (keyEnd < 0) return null;
    const k = text.slice(i, keyEnd);
    const isKey = k === quoted || (k.includes('\\') && JSON.parse(k) === key);
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) return null;
    i = skipSpace(text, i + 1);
    if (isKey) {
      found = null;
      if (text.charCodeAt(i) === OPEN_ARRAY) {
        found = [];
        i = skipSpace(text, i + 1);
        while (text.charCodeAt(i) !== CLOSE_ARRAY) {
          const end = valueEnd(text, i);
          if (end < 0) return null;
          found.push(text.slice(i, end));
          i = skipSpace(text, end);
          if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
          else if (text.charCodeAt(i) !== CLOSE_ARRAY) return null;
        }
        i++;
      } else i = valueEnd(text, i);
    } else i = valueEnd(text, i);
    if (i < 0) return null;
    i = skipSpace(text, i);
    if (text.charCodeAt(i) === COMMA) i = skipSpace(text, i + 1);
  }
  return found;
}
