/**
 * The triage model as data: linear heads + valence lexicon + decision settings,
 * and its compact binary encoding (the I/O side gzips it to models/triage.bin.gz).
 *
 * Layout: "PTRM" magic, u32 format version, u32 header length, UTF-8 JSON header,
 * then per head (4-byte aligned): keys i32[rows], row entry counts u8[rows],
 * entry columns u8[entries], entry weights i8[entries] (square-root companded, so
 * small weights keep resolution), bias f32[cols].
 */
import type { LinearHead } from './linear.js';

/** Heads the built-in triage knows how to use. Optional ones come from `train --include-restricted` or team examples. */
export type HeadName = 'sentiment' | 'offensive' | 'spam' | 'care' | 'problem' | 'intent' | 'intent_care' | 'complaint' | 'needs_response' | 'category' | 'action';

export interface TriageSettings {
  /** P(spam) at or above which a message is spam (ignored). */
  spamThreshold: number;
  /** P(offensive) at or above which a message without a care signal is abuse (monitored). */
  abuseThreshold: number;
  /** Complaint probability threshold. */
  complaintThreshold: number;
  /** Combiner for the built-in complaint score (logit = sum of weight × signal + bias). */
  complaintWeights: Record<string, number>;
  /** Needs-response combiner (logit = sum of weight × signal + bias). */
  responseWeights: Record<string, number>;
  /** Priority points. */
  priority: PrioritySettings;
}

export interface PrioritySettings {
  complaint: number;
  negativeSentiment: number;
  chaser: number;
  /** Maximum points for waiting time (reached at `waitingFullMinutes`). */
  waitingMax: number;
  waitingFullMinutes: number;
  public: number;
  urgency: number;
  /** Hard cap on points from author reach (followers + verified). */
  reachCap: number;
}

export interface TriageModel {
  /** Shown in TriageResult.model, e.g. `builtin-linear@2026-11-23`. */
  version: string;
  heads: Partial<Record<HeadName, LinearHead>>;
  /** Word → valence (-4..4). */
  lexicon: Map<string, number>;
  /** Fine intent label (banking77) → care intent. */
  intentMap: Record<string, string>;
  /**
   * Overrides of the decision settings (thresholds, rule weights, priority points).
   * Absent in the shipped model, so the code's DEFAULT_SETTINGS apply; a local or
   * team model may carry its own. See `effectiveSettings`.
   */
  settings?: Partial<TriageSettings>;
  /** Provenance: datasets, licences, split rule, held-out metrics. JSON-safe. */
  meta: Record<string, unknown>;
}

const MAGIC = 0x4d525450; // "PTRM" little-endian
const FORMAT = 1;

interface HeadHeader {
  name: string;
  labels: string[];
  cols: number;
  groups: 'all' | 'words';
  rows: number;
  entries: number;
  scale: number;
}

/** Serialize (quantizes weights to int8). */
export function encodeModel(model: TriageModel): Uint8Array {
  const heads = Object.values(model.heads).filter((h): h is LinearHead => !!h);
  const quant = heads.map((h) => quantizeHead(h));
  const header = {
    version: model.version,
    intentMap: model.intentMap,
    settings: model.settings,
    meta: model.meta,
    lexicon: Object.fromEntries([...model.lexicon.entries()].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))),
    heads: quant.map((q) => q.header),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  let size = align4(12 + headerBytes.length);
  for (const q of quant) size += headBytes(q.header);
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  dv.setUint32(0, MAGIC, true);
  dv.setUint32(4, FORMAT, true);
  dv.setUint32(8, headerBytes.length, true);
  buf.set(headerBytes, 12);
  let off = align4(12 + headerBytes.length);
  for (const q of quant) {
    const { rows, entries, cols } = q.header;
    for (let r = 0; r < rows; r++) dv.setInt32(off + 4 * r, q.keys[r]!, true);
    off += 4 * rows;
    buf.set(q.counts, off); off += rows;
    buf.set(q.cols, off); off += entries;
    buf.set(new Uint8Array(q.weights.buffer, q.weights.byteOffset, entries), off); off += entries;
    off = align4(off);
    for (let c = 0; c < cols; c++) dv.setFloat32(off + 4 * c, q.bias[c]!, true);
    off += 4 * cols;
  }
  return buf;
}

/** Parse bytes from `encodeModel`. Throws a clear error on anything else. */
export function decodeModel(bytes: Uint8Array): TriageModel {
  if (bytes.length < 12) throw new Error('triage model: file too short');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (dv.getUint32(0, true) !== MAGIC) throw new Error('triage model: not a Parley triage model (bad magic)');
  const format = dv.getUint32(4, true);
  if (format !== FORMAT) throw new Error(`triage model: unsupported format ${format} (this build reads ${FORMAT})`);
  const hlen = dv.getUint32(8, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as {
    version: string; intentMap: Record<string, string>; settings?: Partial<TriageSettings>; meta: Record<string, unknown>;
    lexicon: Record<string, number>; heads: HeadHeader[];
  };
  let off = align4(12 + hlen);
  const heads: Partial<Record<HeadName, LinearHead>> = {};
  for (const hh of header.heads) {
    const { rows, entries, cols, scale } = hh;
    if (off + headBytes(hh) > bytes.length) throw new Error(`triage model: head ${hh.name} truncated`);
    const keys = new Int32Array(rows);
    for (let r = 0; r < rows; r++) keys[r] = dv.getInt32(off + 4 * r, true);
    off += 4 * rows;
    const counts = bytes.subarray(off, off + rows); off += rows;
    const entryCol = bytes.slice(off, off + entries); off += entries;
    const q = new Int8Array(bytes.buffer, bytes.byteOffset + off, entries); off += entries;
    off = align4(off);
    const bias = new Float32Array(cols);
    for (let c = 0; c < cols; c++) bias[c] = dv.getFloat32(off + 4 * c, true);
    off += 4 * cols;
    const rowStart = new Int32Array(rows + 1);
    for (let r = 0; r < rows; r++) rowStart[r + 1] = rowStart[r]! + counts[r]!;
    const entryW = new Float32Array(entries);
    for (let e = 0; e < entries; e++) { const v = q[e]! / 127; entryW[e] = Math.sign(v) * v * v * scale; }
    heads[hh.name as HeadName] = { name: hh.name, labels: hh.labels, cols, groups: hh.groups ?? 'all', keys, rowStart, entryCol, entryW, bias };
  }
  return {
    version: header.version,
    heads,
    lexicon: new Map(Object.entries(header.lexicon)),
    intentMap: header.intentMap,
    ...(header.settings ? { settings: header.settings } : {}),
    meta: header.meta,
  };
}

function quantizeHead(h: LinearHead) {
  let max = 0;
  for (let e = 0; e < h.entryW.length; e++) max = Math.max(max, Math.abs(h.entryW[e]!));
  const scale = max || 1;
  const keys: number[] = [];
  const counts: number[] = [];
  const cols: number[] = [];
  const weights: number[] = [];
  for (let r = 0; r < h.keys.length; r++) {
    let n = 0;
    for (let e = h.rowStart[r]!; e < h.rowStart[r + 1]!; e++) {
      const w = h.entryW[e]!;
      const q = Math.round(127 * Math.sign(w) * Math.sqrt(Math.abs(w) / scale));
      if (q === 0) continue;
      cols.push(h.entryCol[e]!);
      weights.push(q);
      n++;
    }
    if (n > 0) { keys.push(h.keys[r]!); counts.push(n); }
  }
  const header: HeadHeader = { name: h.name, labels: h.labels, cols: h.cols, groups: h.groups, rows: keys.length, entries: weights.length, scale };
  return { header, keys, counts: Uint8Array.from(counts), cols: Uint8Array.from(cols), weights: Int8Array.from(weights), bias: h.bias };
}

function headBytes(h: HeadHeader): number {
  return align4(4 * h.rows + h.rows + 2 * h.entries) + 4 * h.cols;
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
