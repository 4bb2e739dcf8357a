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

/** JSON text given as a string or as its UTF-8 bytes, as a string. */
export function jsonText(source: string | Uint8Array): string {
  return typeof source === 'string' ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength).toString('utf8');
}

/** A stored payload (`message.raw`: JSON text, or its UTF-8 bytes) parsed; undefined when absent or not JSON. */
export function parseStoredJson(raw: unknown): unknown {
  if (raw == null) return undefined;
  try {
    return JSON.parse(typeof raw === 'string' ? raw : jsonText(raw as Uint8Array));
  } catch {
    return undefined;
  }
}

/**
 * A payload kept as the exact JSON text it arrived in, for storage: what the network
 * sent, byte for byte (numbers beyond 2^53 and key order included), without
 * serializing the parsed copy again. `JSON.stringify` of it gives the parsed value.
 */
export class RawJson {
  /**
   * `source`: the text, or its UTF-8 bytes (a view into the request body: the payload
   * is stored from them without being held as a JavaScript string, which the garbage
   * collector would copy while the message waits for its batch).
   */
  constructor(readonly source: string | Uint8Array) {}
  get text(): string {
    return jsonText(this.source);
  }
  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}

const QUOTE = 0x22, BACKSLASH = 0x5c, COMMA = 0x2c, COLON = 0x3a;
const OPEN_OBJECT = 0x7b, CLOSE_OBJECT = 0x7d, OPEN_ARRAY = 0x5b, CLOSE_ARRAY = 0x5d;

/** The index after the string literal that opens at `i`. */
function stringEnd(b: Buffer, i: number): number {
  for (let j = i + 1; ;) {
    const q = b.indexOf(QUOTE, j);
    if (q < 0) return -1;
    let k = q - 1;
    while (b[k] === BACKSLASH) k--;
    if ((q - 1 - k) % 2 === 0) return q + 1; // an even run of backslashes: the quote is not escaped
    j = q + 1;
  }
}

function hasByte(b: Buffer, byte: number, from: number, to: number): boolean {
  for (let j = from; j < to; j++) if (b[j] === byte) return true;
  return false;
}

function skipSpace(b: Buffer, i: number): number {
  for (let c = b[i]; c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = b[++i]);
  return i;
}

/** The index after the value that starts at `i`. */
function valueEnd(b: Buffer, i: number): number {
  const c = b[i];
  if (c === QUOTE) return stringEnd(b, i);
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) {
    let j = i;
    for (let d = b[j]; j < b.length && d !== COMMA && d !== CLOSE_OBJECT && d !== CLOSE_ARRAY && d !== 0x20 && d !== 0x0a && d !== 0x0d && d !== 0x09; d = b[++j]);
    return j;
  }
  let depth = 0;
  for (let j = i; j < b.length; j++) {
    const d = b[j];
    if (d === QUOTE) {
      j = stringEnd(b, j) - 1;
      if (j < 0) return -1;
    } else if (d === OPEN_OBJECT || d === OPEN_ARRAY) depth++;
    else if ((d === CLOSE_OBJECT || d === CLOSE_ARRAY) && --depth === 0) return j + 1;
  }
  return -1;
}

/**
 * The exact text of each element of the array under `key` in the object that `bytes`
 * (UTF-8 JSON text) holds, each as a view into `bytes` (no copy): the last one when the
 * key repeats, as `JSON.parse` takes it; null when the text is not an object or the key
 * does not hold an array. The structural characters of JSON are ASCII and no byte of a
 * multi-byte UTF-8 sequence is below 0x80, so the boundaries are found byte by byte.
 * `bytes` must be JSON that `JSON.parse` accepted, in valid UTF-8: this finds
 * boundaries, it does not validate.
 */
export function jsonArrayItemBytes(bytes: Buffer, key: string): Buffer[] | null {
  const b = bytes;
  let i = skipSpace(b, 0);
  if (b[i] !== OPEN_OBJECT) return null;
  const quoted = Buffer.from(JSON.stringify(key));
  let found: Buffer[] | null = null;
  i = skipSpace(b, i + 1);
  while (i < b.length && b[i] !== CLOSE_OBJECT) {
    const keyEnd = stringEnd(b, i);
    if (keyEnd < 0) return null;
    let isKey = keyEnd - i === quoted.length && quoted.equals(b.subarray(i, keyEnd));
    if (!isKey && hasByte(b, BACKSLASH, i, keyEnd)) isKey = JSON.parse(b.toString('utf8', i, keyEnd)) === key;
    i = skipSpace(b, keyEnd);
    if (b[i] !== COLON) return null;
    i = skipSpace(b, i + 1);
    if (isKey) {
      found = null;
      if (b[i] === OPEN_ARRAY) {
        found = [];
        i = skipSpace(b, i + 1);
        while (b[i] !== CLOSE_ARRAY) {
          const end = valueEnd(b, i);
          if (end < 0) return null;
          found.push(b.subarray(i, end));
          i = skipSpace(b, end);
          if (b[i] === COMMA) i = skipSpace(b, i + 1);
          else if (b[i] !== CLOSE_ARRAY) return null;
        }
        i++;
      } else i = valueEnd(b, i);
    } else i = valueEnd(b, i);
    if (i < 0) return null;
    i = skipSpace(b, i);
    if (b[i] === COMMA) i = skipSpace(b, i + 1);
  }
  return found;
}
