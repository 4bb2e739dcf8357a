/**
 * Readers for the labelled CSV sets in ../shared/data, as they are on disk. The
 * layout is detected from the header row, so `parley eval` accepts any file with
 * one of these layouts (the lead's held-out files included).
 */
import { readFileSync } from 'node:fs';
import { readCsvRows } from '../lib/csv.js';

export type Layout =
  | 'tweeteval' // id,text,label,label_name,official_split
  | 'complaints' // tweet_id,text,label,domain
  | 'text_label' // any other file with text,label
  | 'airline' // ...,airline_sentiment,...,text,...
  | 'sms' // id,label,text (label ham/spam)
  | 'youtube' // COMMENT_ID,AUTHOR,DATE,CONTENT,CLASS
  | 'banking77' // id,text,category,official_split
  | 'twcs'; // conversation_root?,tweet_id,author_id,inbound,created_at,text,response_tweet_id,in_response_to_tweet_id[,service_provider,label]

export interface CsvTable {
  path: string;
  header: string[];
  rows: Record<string, string>[];
  /** Rows that failed to parse (line + reason); reported, never silently dropped. */
  errors: { line: number; reason: string }[];
}

export function readTable(path: string): CsvTable {
  const text = readFileSync(path, 'utf8');
  const { rows, errors } = readCsvRows(text);
  const firstLine = text.slice(0, Math.max(0, text.search(/\r?\n/)) || text.length).replace(/^\uFEFF/, '');
  const header = firstLine.split(',').map((h) => h.trim().replace(/^"|"$/g, ''));
  return { path, header, rows, errors: errors.map((e) => ({ line: e.line, reason: e.reason })) };
}

/** Detect a known layout from the header, or null. */
export function detectLayout(header: readonly string[]): Layout | null {
  const h = new Set(header);
  if (h.has('CONTENT') && h.has('CLASS')) return 'youtube';
  if (h.has('inbound') && h.has('tweet_id') && h.has('text') && h.has('in_response_to_tweet_id')) return 'twcs';
  if (h.has('airline_sentiment') && h.has('text')) return 'airline';
  if (h.has('text') && h.has('category')) return 'banking77';
  if (h.has('text') && h.has('label')) {
    if (h.has('label_name') || h.has('official_split')) return 'tweeteval';
    if (h.has('domain') && h.has('tweet_id')) return 'complaints';
    if (header[0] === 'id' && header[1] === 'label' && header[2] === 'text') return 'sms';
    return 'text_label';
  }
  return null;
}

export interface LabelledText {
  text: string;
  label: string;
  /** Extra columns that some tasks use (official_split, label_name, domain...). */
  extra?: Record<string, string>;
}

/** Text + label pairs for the simple layouts (not TWCS needs-response). */
export function labelledTexts(table: CsvTable, layout: Layout): LabelledText[] {
  const pick = (textCol: string, labelCol: string) =>
    table.rows.map((r) => ({ text: r[textCol] ?? '', label: (r[labelCol] ?? '').trim(), extra: r }));
  switch (layout) {
    case 'tweeteval':
    case 'complaints':
    case 'text_label':
    case 'sms':
      return pick('text', 'label');
    case 'airline':
      return pick('text', 'airline_sentiment');
    case 'youtube':
      return pick('CONTENT', 'CLASS');
    case 'banking77':
      return pick('text', 'category');
    case 'twcs':
      if (!table.header.includes('label')) throw new Error(`${table.path}: this TWCS file has no label column; use the needs-response task`);
      return pick('text', 'label');
  }
}
