/**
 * The TWCS (Customer Support on Twitter) CSV format: reading, checking and
 * normalizing rows into Parley messages. Shared by `parley import twcs` and the
 * demo replay. Columns: conversation_root (optional), tweet_id, author_id,
 * inbound, created_at, text, response_tweet_id, in_response_to_tweet_id.
 * Brand tweets (inbound=False) become the brand's own outbound posts; customer
 * tweets become inbound mentions/replies on the care account they address.
 */
import { createReadStream } from 'node:fs';
import { parseTwcsTime } from '../core/responseTimes.js';
import type { NormalizedMessage } from '../core/types.js';
import { parseCsvStream, type CsvItem } from '../lib/csv.js';
import { assertReadableFile, InputFileError } from '../lib/inputFile.js';

export const TWCS_COLUMNS = ['tweet_id', 'author_id', 'inbound', 'created_at', 'text', 'response_tweet_id', 'in_response_to_tweet_id'] as const;

export interface TwcsTweet {
  id: string;
  authorId: string;
  inbound: boolean;
  createdAt: number;
  text: string;
  responseIds: string[];
  inReplyTo: string | null;
  line: number;
  row: Record<string, string>;
}

/**
 * `Tue Oct 31 22:10:47 +0000 2017` (TWCS) or ISO `2017-11-07 13:21:48+00:00`; NaN when neither,
 * and for a date that does not exist (Feb 30, hour 25) or a weekday that does not match it.
 * The one strict parser `parley report response-times` uses too, so a row the report refuses
 * is never stored with a rolled-over date.
 */
export function parseTwcsDate(s: string): number {
  return parseTwcsTime(s) ?? NaN;
}

const ID = /^\d{1,30}$/;

/** Check one row; the reason names the column at fault. */
export function parseTwcsRow(row: Record<string, string>, line: number): { ok: true; tweet: TwcsTweet } | { ok: false; reason: string } {
  for (const c of TWCS_COLUMNS) if (!(c in row)) return { ok: false, reason: `missing column ${c}` };
  const id = row.tweet_id!.trim();
  if (!ID.test(id)) return { ok: false, reason: `tweet_id "${id.slice(0, 40)}" is not a numeric id` };
  const authorId = row.author_id!.trim();
  if (!authorId || authorId.length > 64) return { ok: false, reason: 'author_id is empty or too long' };
  const inboundRaw = row.inbound!.trim();
  if (inboundRaw !== 'True' && inboundRaw !== 'False') return { ok: false, reason: `inbound must be True or False, got "${inboundRaw.slice(0, 20)}"` };
  const createdAt = parseTwcsDate(row.created_at!);
  if (!Number.isFinite(createdAt)) return { ok: false, reason: `created_at is not a date: ${JSON.stringify(row.created_at!.slice(0, 60))}` };
  const responseIds = row.response_tweet_id!.split(',').map((x) => x.trim()).filter(Boolean);
  if (responseIds.some((r) => !ID.test(r))) return { ok: false, reason: 'response_tweet_id holds a non-numeric id' };
  const inReplyTo = row.in_response_to_tweet_id!.trim() || null;
  if (inReplyTo && !ID.test(inReplyTo)) return { ok: false, reason: `in_response_to_tweet_id "${inReplyTo.slice(0, 40)}" is not a numeric id` };
  return { ok: true, tweet: { id, authorId, inbound: inboundRaw === 'True', createdAt, text: row.text!, responseIds, inReplyTo, line, row } };
}

export type TwcsItem = { kind: 'tweet'; tweet: TwcsTweet } | { kind: 'bad'; line: number; reason: string; raw: string };

/** What a TWCS file must start with, for errors: the header line with (at least) these columns. */
const EXPECTED_HEADER = `a header line with the columns ${TWCS_COLUMNS.join(',')} (conversation_root optional)`;

/**
 * Stream a TWCS file: tweets and bad rows (with line numbers), in file order. A file that
 * is not TWCS at all (missing, empty, no TWCS header) is an InputFileError naming the file
 * and the header expected, before anything is yielded.
 */
export async function* readTwcs(file: string, onBytes?: (n: number) => void): AsyncGenerator<TwcsItem> {
  assertReadableFile(file);
  const stream = createReadStream(file, { highWaterMark: 1 << 20 });
  if (onBytes) stream.on('data', (c) => onBytes(c.length));
  let header: string[] | null = null;
  for await (const item of parseCsvStream(stream, { headerFieldCount: true }) as AsyncGenerator<CsvItem>) {
    if (item.kind === 'error') {
      if (!header) throw new InputFileError(`${file} is not a TWCS file: its first line cannot be read as a CSV header (${item.reason}); expected ${EXPECTED_HEADER}`);
      yield { kind: 'bad', line: item.line, reason: item.reason, raw: item.raw };
      continue;
    }
    if (!header) {
      header = item.fields.map((h, i) => (i === 0 ? h.replace(/^\uFEFF/, '') : h).trim());
      const missing = TWCS_COLUMNS.filter((c) => !header!.includes(c));
      if (missing.length) throw new InputFileError(`${file} is not a TWCS file: expected ${EXPECTED_HEADER}; missing ${missing.join(', ')} (found: ${header.join(',').slice(0, 200) || 'an empty first line'})`);
      continue;
    }
    if (item.fields.length === 1 && item.fields[0] === '') continue;
    if (item.fields.length !== header.length) {
      yield { kind: 'bad', line: item.line, reason: `expected ${header.length} fields, found ${item.fields.length}`, raw: item.raw };
      continue;
    }
    const row: Record<string, string> = {};
    header.forEach((h, i) => (row[h] = item.fields[i]!));
    const p = parseTwcsRow(row, item.line);
    if (p.ok) yield { kind: 'tweet', tweet: p.tweet };
    else yield { kind: 'bad', line: item.line, reason: p.reason, raw: item.raw };
  }
  if (!header) throw new InputFileError(`${file} is empty: expected ${EXPECTED_HEADER}, then one tweet per line`);
}

/** Throws the InputFileError readTwcs would, without reading past the first row: a check before any work starts. */
export async function checkTwcsFile(file: string): Promise<void> {
  for await (const _ of readTwcs(file)) break;
}

/**
 * Which care account each tweet belongs to. A customer tweet goes to a brand it
 * @mentions, else the brand whose tweet it answers, else the brand that answered
 * it, else the brand of its reply thread (customers replying to each other under
 * a brand's thread are still that brand's conversation). Learned in one pass over
 * the file (`add`), then answered per tweet (`brandOf`).
 */
export class TwcsAttribution {
  /** lowercase handle → as written */
  readonly brands = new Map<string, string>();
  private readonly info = new Map<string, { author: string; inbound: boolean; inReplyTo: string | null; responses: string[]; mentions: string[] }>();
  private readonly parent = new Map<string, string>();
  private componentBrand: Map<string, string> | null = null;

  /** Whether a tweet with this id was added. */
  has(id: string): boolean {
    return this.info.has(id);
  }

  add(t: TwcsTweet): void {
    const mentions = [...t.text.matchAll(/@(\w{1,30})/g)].map((m) => m[1]!.toLowerCase());
    this.info.set(t.id, { author: t.authorId, inbound: t.inbound, inReplyTo: t.inReplyTo, responses: t.responseIds, mentions });
    if (!t.inbound) this.brands.set(t.authorId.toLowerCase(), t.authorId);
    this.union(t.id, t.id);
    if (t.inReplyTo) this.union(t.id, t.inReplyTo);
    for (const r of t.responseIds) this.union(t.id, r);
    this.componentBrand = null;
  }

  private find(x: string): string {
    let root = x;
    while (this.parent.get(root) !== root) root = this.parent.get(root)!;
    while (x !== root) {
      const next = this.parent.get(x)!;
      this.parent.set(x, root);
      x = next;
    }
    return root;
  }

  private union(a: string, b: string): void {
    if (!this.parent.has(a)) this.parent.set(a, a);
    if (!this.parent.has(b)) this.parent.set(b, b);
    const ra = this.find(a), rb = this.find(b);
    if (ra !== rb) this.parent.set(ra, rb);
  }

  private direct(id: string): string | null {
    const t = this.info.get(id);
    if (!t) return null;
    if (!t.inbound) return this.brands.get(t.author.toLowerCase()) ?? t.author;
    for (const m of t.mentions) {
      const b = this.brands.get(m);
      if (b) return b;
    }
    const viaAuthor = (tid: string | null) => {
      const a = tid ? this.info.get(tid)?.author : undefined;
      return a ? this.brands.get(a.toLowerCase()) ?? null : null;
    };
    return viaAuthor(t.inReplyTo) ?? t.responses.map(viaAuthor).find((b) => b) ?? null;
  }

  brandOf(id: string): string | null {
    const d = this.direct(id);
    if (d) return d;
    if (!this.componentBrand) {
      this.componentBrand = new Map();
      for (const tid of this.info.keys()) {
        const root = this.find(tid);
        if (this.componentBrand.has(root)) continue;
        const b = this.direct(tid);
        if (b) this.componentBrand.set(root, b);
      }
    }
    return this.parent.has(id) ? this.componentBrand.get(this.find(id)) ?? null : null;
  }
}

/** Normalize a tweet. `idSuffix` makes replays of the same file distinct items. */
export function tweetToMessage(t: TwcsTweet, opts: { idSuffix?: string; createdAt?: number } = {}): NormalizedMessage {
  const sfx = opts.idSuffix ?? '';
  const handle = t.authorId;
  return {
    network: 'x',
    networkMessageId: t.id + sfx,
    direction: t.inbound ? 'inbound' : 'outbound',
    visibility: 'public',
    kind: t.inReplyTo ? 'reply' : 'mention',
    author: {
      networkUserId: handle + (t.inbound ? sfx : ''),
      handle,
      displayName: null,
      profileUrl: /^\d+$/.test(handle) ? null : `https://x.com/${handle}`,
    },
    text: decodeTwitterEntities(t.text),
    inReplyToNetworkId: t.inReplyTo ? t.inReplyTo + sfx : null,
    createdAt: opts.createdAt ?? t.createdAt,
    url: /^\d+$/.test(handle) ? null : `https://x.com/${handle}/status/${t.id}`,
    fromBrand: !t.inbound,
    raw: { twcs: t.row, line: t.line },
  };
}

/** The v1.1 API (and so TWCS) escapes &, < and > in tweet text; the raw row keeps the original. */
export function decodeTwitterEntities(s: string): string {
  return s.includes('&') ? s.replace(/&(amp|lt|gt);/g, (_m, e: string) => (e === 'amp' ? '&' : e === 'lt' ? '<' : '>')) : s;
}
