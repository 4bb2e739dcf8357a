/**
 * The edge check on every normalized message before it enters the pipeline.
 * Whatever fails here is quarantined with the reason and its raw payload,
 * never dropped silently. Text is NOT cleaned: hostile text is stored verbatim.
 */
import { z } from 'zod';
import { MESSAGE_KINDS, NETWORKS, type NormalizedMessage } from '../core/types.js';
import { jsonText, RawJson } from '../lib/json.js';

/** Generous, but bounded: a runaway payload must not take the process down. */
export const MAX_TEXT_CHARS = 1_000_000;
export const MAX_RAW_CHARS = 4_000_000;

/**
 * Why `s` cannot be an id, or null. An id is looked up and stored exactly as it came, so it
 * must survive the database unchanged: a lone surrogate (not well-formed Unicode) is stored
 * as U+FFFD and no longer matches itself (a redelivery would not be found as a duplicate),
 * and PostgreSQL refuses a NUL in text.
 */
export function idProblem(s: string): string | null {
  if (!s.isWellFormed()) return 'not well-formed Unicode (a lone surrogate): an id must be stored exactly as it came';
  if (s.includes('\u0000')) return 'contains a NUL character: an id must be stored exactly as it came';
  return null;
}

const id = z.string().min(1).max(512);

/** The first id of a parsed message that cannot be stored exactly as it came (`idProblem`), as a reason; else null. */
function idsProblem(m: NormalizedMessage): string | null {
  return idFieldProblem('networkMessageId', m.networkMessageId) ?? idFieldProblem('author.networkUserId', m.author.networkUserId)
    ?? idFieldProblem('inReplyToNetworkId', m.inReplyToNetworkId) ?? idFieldProblem('threadRootNetworkId', m.threadRootNetworkId);
}

function idFieldProblem(field: string, s: string | null | undefined): string | null {
  if (!s) return null;
  const problem = idProblem(s);
  return problem ? `${field}: ${problem}` : null;
}

export const authorSchema = z.object({
  networkUserId: id,
  handle: z.string().max(512),
  displayName: z.string().max(2048).nullish(),
  followers: z.number().int().nonnegative().max(1e12).nullish(),
  verified: z.boolean().nullish(),
  profileUrl: z.string().max(2048).nullish(),
  avatarUrl: z.string().max(2048).nullish(),
});

export const normalizedMessageSchema = z.object({
  network: z.enum(NETWORKS),
  networkMessageId: id,
  direction: z.enum(['inbound', 'outbound']),
  visibility: z.enum(['public', 'private']),
  kind: z.enum(MESSAGE_KINDS),
  author: authorSchema,
  text: z.string().max(MAX_TEXT_CHARS, `text longer than ${MAX_TEXT_CHARS} characters`),
  inReplyToNetworkId: id.nullish(),
  threadRootNetworkId: id.nullish(),
  createdAt: z.number().int().min(0).max(8.64e15),
  url: z.string().max(4096).nullish(),
  fromBrand: z.boolean().optional(),
  automated: z.boolean().optional(),
  raw: z.unknown(),
});

/** A raw payload as stored: its exact UTF-8 bytes when it arrived as such (`RawJson`), else JSON text. */
export type StoredRaw = string | Uint8Array;

export type ValidationOutcome =
  | { ok: true; message: NormalizedMessage; raw: StoredRaw }
  | { ok: false; reason: string; raw: string };

/** Serialize the raw payload for storage (exact text kept as it arrived, when it was); never throws. */
export function serializeRaw(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  try {
    return JSON.stringify(value) ?? 'null'; // without a replacer: V8's fast path
  } catch { /* a BigInt (or a cycle): below */ }
  try {
    const s = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    return s ?? 'null';
  } catch (err) {
    return JSON.stringify({ unserializable: String(err) });
  }
}

export function validateMessage(input: unknown): ValidationOutcome {
  const parsed = normalizedMessageSchema.safeParse(input);
  if (!parsed.success) {
    const raw = serializeRaw(input);
    const reason = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join('.') || '(message)'}: ${i.message}`).join('; ');
    return { ok: false, reason, raw: raw.length > MAX_RAW_CHARS ? raw.slice(0, MAX_RAW_CHARS) : raw };
  }
  const message = parsed.data as NormalizedMessage;
  const idIssue = idsProblem(message);
  if (idIssue) {
    const raw = serializeRaw(input); // JSON escapes the lone surrogate or NUL: the record keeps the id as it came
    return { ok: false, reason: idIssue, raw: raw.length > MAX_RAW_CHARS ? raw.slice(0, MAX_RAW_CHARS) : raw };
  }
  const source = message.raw;
  const raw = source instanceof RawJson ? source.source : serializeRaw(source);
  // bytes count for characters here (at least as many): bounded either way
  if (raw.length > MAX_RAW_CHARS) return { ok: false, reason: `raw payload larger than ${MAX_RAW_CHARS} characters`, raw: jsonText(raw).slice(0, MAX_RAW_CHARS) };
  return { ok: true, message, raw };
}
