/**
 * RFC 4180 CSV parsing that never gives up on a whole file because of one bad row.
 *
 * Every record carries the physical line it started on and its raw text, so an
 * importer can report "line 1234: <reason>" and quarantine the raw row. A quote
 * that is never closed is reported as an error for the record where it opened,
 * and parsing resumes on the following line, so the rest of the file survives.
 */

export interface CsvRecord {
  kind: 'record';
  fields: string[];
  /** 1-based physical line where the record starts. */
  line: number;
  raw: string;
}

export interface CsvError {
  kind: 'error';
  line: number;
  reason: string;
  raw: string;
}

export type CsvItem = CsvRecord | CsvError;

/** Largest record we accept; a runaway quoted field (or a line) beyond it is an error, not an OOM. */
export const MAX_RECORD_CHARS = 1_000_000;
/** The raw text kept with an error (for the quarantine): a record too long to accept is cut here. */
export const MAX_ERROR_RAW_CHARS = 10_000;
const TOO_LONG = 'record longer than 1,000,000 characters';

/**
 * Incremental parser: `push` chunks, then `end`. Items are returned from each call.
 * Chunks may split anywhere (inside quotes, between \r and \n).
 */
export interface CsvParserOptions {
  /**
   * Take the first record (the header) as the expected field count. A quoted
   * field that runs across lines and leaves a record with the wrong field count
   * is then treated as an unclosed quote on its first line, so one stray quote
   * costs one row instead of swallowing the rows up to the next quote.
   */
  headerFieldCount?: boolean;
}

export class CsvParser {
  private buf = '';
  private pos = 0;
  private line = 1;
  private expected: number | null = null;
  private seenHeader = false;
  /** After a record too long to keep: the rest of its physical line is still to be dropped (it may be in later chunks). */
  private skipping = false;

  constructor(private readonly opts: CsvParserOptions = {}) {}

  push(chunk: string): CsvItem[] {
    this.buf = this.buf.slice(this.pos) + chunk;
    this.pos = 0;
    return this.drain(false);
  }

  end(): CsvItem[] {
    this.buf = this.buf.slice(this.pos);
    this.pos = 0;
    return this.drain(true);
  }

  private drain(final: boolean): CsvItem[] {
    const out: CsvItem[] = [];
    for (;;) {
      if (this.skipping) {
        const nl = this.buf.indexOf('\n', this.pos);
        if (nl < 0) {
          this.pos = this.buf.length; // dropped, not kept: a huge line costs no memory
          break;
        }
        this.pos = nl + 1;
        this.skipping = false;
      }
      if (this.pos >= this.buf.length) break;
      const r = this.parseRecord(final);
      if (r === null) break; // need more input
      out.push(r);
    }
    return out;
  }

  /** Parse one record at this.pos; null when the record may continue in a later chunk. */
  private parseRecord(final: boolean): CsvItem | null {
    const s = this.buf;
    const start = this.pos;
    const startLine = this.line;
    const fields: string[] = [];
    let i = start;
    let lines = 0;
    let field = '';
    let error: string | null = null;
    let multiline = false;

    for (;;) {
      // start of a field
      if (i < s.length && s.charCodeAt(i) === 34 /* " */) {
        i++;
        let closed = false;
        let chunkStart = i;
        field = '';
        while (i < s.length) {
          const c = s.charCodeAt(i);
          if (c === 34) {
            if (i + 1 < s.length && s.charCodeAt(i + 1) === 34) {
              field += s.slice(chunkStart, i + 1);
              i += 2;
              chunkStart = i;
              continue;
            }
            if (i + 1 >= s.length && !final) return this.more(startLine, start); // might be a doubled quote split across chunks
            field += s.slice(chunkStart, i);
            i++;
            closed = true;
            break;
          }
          if (c === 10) {
            lines++;
            multiline = true;
          }
          i++;
          if (i - start > MAX_RECORD_CHARS) break;
        }
        if (!closed) {
          if (!final && i - start <= MAX_RECORD_CHARS) return null;
          return this.recoverFromUnclosedQuote(startLine, start, i - start > MAX_RECORD_CHARS ? `${TOO_LONG} (unbalanced quote?)` : 'unclosed quote', final);
        }
        // after a closing quote: delimiter, line end, or EOF
        if (i < s.length) {
          const c = s.charCodeAt(i);
          if (c !== 44 && c !== 10 && c !== 13) {
            error ??= `unexpected character after closing quote in field ${fields.length + 1}`;
            // take the rest of the field literally so the record still ends at the right place
            const j = nextDelimiter(s, i);
            if (j < 0 && !final) return this.more(startLine, start);
            const end = j < 0 ? s.length : j;
            field += s.slice(i, end);
            i = end;
          }
        } else if (!final) {
          return this.more(startLine, start);
        }
      } else {
        const j = nextDelimiter(s, i);
        if (j < 0 && !final) return this.more(startLine, start);
        const end = j < 0 ? s.length : j;
        field = s.slice(i, end);
        if (field.includes('"')) error ??= `stray quote in unquoted field ${fields.length + 1}`;
        i = end;
      }
      fields.push(field);
      if (i >= s.length) break; // EOF ends the record (final only)
      const c = s.charCodeAt(i);
      if (c === 44) { i++; if (i >= s.length) { if (!final) return this.more(startLine, start); fields.push(''); break; } continue; }
      if (c === 13) {
        if (i + 1 >= s.length && !final) return this.more(startLine, start);
        i += s.charCodeAt(i + 1) === 10 ? 2 : 1;
      } else {
        i++; // \n
      }
      lines++;
      break;
    }

    if (multiline && (error || (this.expected !== null && fields.length !== this.expected))) {
      return this.recoverFromUnclosedQuote(startLine, start, 'unclosed quote (a quoted field runs on and breaks the record)', final);
    }
    if (this.opts.headerFieldCount && !this.seenHeader) {
      this.seenHeader = true;
      this.expected = fields.length;
    }
    this.pos = i;
    this.line = startLine + lines;
    if (i - start > MAX_RECORD_CHARS) return { kind: 'error', line: startLine, reason: TOO_LONG, raw: capRaw(s, start, i) };
    const raw = stripLineEnd(s.slice(start, i));
    if (error) return { kind: 'error', line: startLine, reason: error, raw: capRaw(s, start, i) };
    return { kind: 'record', fields, line: startLine, raw };
  }

  /**
   * The record at `start` is not complete in the buffer: wait for more input, unless it is
   * already longer than any record we accept — then it is one bad line, the rest of which
   * is dropped as it arrives.
   */
  private more(startLine: number, start: number): CsvError | null {
    if (this.buf.length - start <= MAX_RECORD_CHARS) return null;
    return this.recoverFromUnclosedQuote(startLine, start, TOO_LONG, false);
  }

  /**
   * A quote opened on `startLine` never closed (or the record runs past MAX_RECORD_CHARS).
   * Report that line, then resume parsing on the next physical line so one broken row cannot
   * eat the file. When that line's end is not in the buffer yet, the rest of it is skipped
   * as later chunks arrive: one error, and the lines after it keep their numbers.
   */
  private recoverFromUnclosedQuote(startLine: number, start: number, reason: string, final: boolean): CsvError {
    const s = this.buf;
    const nl = s.indexOf('\n', start);
    const end = nl < 0 ? s.length : nl + 1;
    if (nl < 0 && !final) this.skipping = true;
    this.pos = end;
    this.line = startLine + 1;
    return { kind: 'error', line: startLine, reason, raw: capRaw(s, start, end) };
  }
}

/** The raw text of s[start, end) without its line end, cut to MAX_ERROR_RAW_CHARS (with an ellipsis). */
function capRaw(s: string, start: number, end: number): string {
  if (end - start <= MAX_ERROR_RAW_CHARS) return stripLineEnd(s.slice(start, end));
  return `${s.slice(start, start + MAX_ERROR_RAW_CHARS)}…[cut at ${MAX_ERROR_RAW_CHARS.toLocaleString('en')} characters]`;
}

function nextDelimiter(s: string, from: number): number {
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 44 || c === 10 || c === 13) return i;
  }
  return -1;
}

function stripLineEnd(s: string): string {
  return s.replace(/\r?\n$|\r$/, '');
}

/** Parse a whole string. */
export function parseCsv(text: string, opts: CsvParserOptions = {}): CsvItem[] {
  const p = new CsvParser(opts);
  return [...p.push(text), ...p.end()];
}

/** Parse a stream of chunks (e.g. fs.createReadStream(file, 'utf8')). */
export async function* parseCsvStream(chunks: AsyncIterable<string | Buffer>, opts: CsvParserOptions = {}): AsyncGenerator<CsvItem> {
  const p = new CsvParser(opts);
  const decoder = new TextDecoder('utf-8');
  for await (const chunk of chunks) {
    const text = typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    yield* p.push(text);
  }
  const tail = decoder.decode();
  if (tail) yield* p.push(tail);
  yield* p.end();
}

/**
 * Map records to objects keyed by the header row. Rows whose field count differs
 * from the header become errors with the line number.
 */
export function* withHeader(items: Iterable<CsvItem>): Generator<{ kind: 'row'; row: Record<string, string>; line: number; raw: string } | CsvError> {
  let header: string[] | null = null;
  for (const item of items) {
    if (item.kind === 'error') { yield item; continue; }
    if (!header) { header = item.fields.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim()); continue; }
    if (item.fields.length === 1 && item.fields[0] === '') continue; // blank line
    if (item.fields.length !== header.length) {
      yield { kind: 'error', line: item.line, reason: `expected ${header.length} fields, found ${item.fields.length}`, raw: item.raw };
      continue;
    }
    const row: Record<string, string> = {};
    for (let i = 0; i < header.length; i++) row[header[i]!] = item.fields[i]!;
    yield { kind: 'row', row, line: item.line, raw: item.raw };
  }
}

/** Read a whole CSV file with a header into rows (errors skipped, returned separately). */
export function readCsvRows(text: string): { rows: Record<string, string>[]; errors: CsvError[] } {
  const rows: Record<string, string>[] = [];
  const errors: CsvError[] = [];
  for (const item of withHeader(parseCsv(text, { headerFieldCount: true }))) {
    if (item.kind === 'error') errors.push(item);
    else rows.push(item.row);
  }
  return { rows, errors };
}
