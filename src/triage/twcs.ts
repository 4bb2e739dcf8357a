/**
 * TWCS (Customer Support on Twitter, CC BY-NC-SA 4.0) as needs-response examples.
 *
 * Label: an inbound tweet needs a response iff a brand tweet (inbound=False) in the
 * same file replies to it (its in_response_to_tweet_id). Input: only what is knowable
 * when the tweet arrives — its text, whether it replies to a brand tweet (the parent
 * row), its depth in the thread (ancestor chain), and the brand's handles (deployment
 * configuration: the authors of inbound=False rows). `response_tweet_id` and anything
 * derived from replies to the tweet are never read.
 */
import { sharedDataFile } from '../lib/paths.js';
import { existsSync } from 'node:fs';
import type { TriageInput } from '../core/triage/types.js';
import { readTable, type CsvTable } from './datasets.js';
import { isHeldOut } from './split.js';

export interface TwcsExample {
  tweetId: string;
  conversationRoot: string;
  input: TriageInput;
  label: boolean;
  /** Conversation in the held-out bucket (restricted training never uses it). */
  heldOut: boolean;
}

/** Examples from a TWCS-layout file (path, or path relative to ../shared/data). */
export function twcsExamples(file: string): TwcsExample[] {
  const path = existsSync(file) ? file : sharedDataFile(file);
  return twcsExamplesFromTable(readTable(path));
}

export function twcsExamplesFromTable(table: CsvTable): TwcsExample[] {
  const rows = table.rows;
  const byId = new Map<string, Record<string, string>>();
  for (const r of rows) if (r.tweet_id) byId.set(r.tweet_id, r);
  const isBrand = (r: Record<string, string>) => /^false$/i.test((r.inbound ?? '').trim());
  const brandHandles = [...new Set(rows.filter(isBrand).map((r) => (r.author_id ?? '').toLowerCase()).filter(Boolean))].sort();
  // the label: which tweets a brand tweet in this file replies to
  const answered = new Set<string>();
  for (const r of rows) if (isBrand(r) && r.in_response_to_tweet_id) answered.add(r.in_response_to_tweet_id.trim());

  const out: TwcsExample[] = [];
  for (const r of rows) {
    if (isBrand(r)) continue;
    const parentId = (r.in_response_to_tweet_id ?? '').trim();
    const parent = parentId ? byId.get(parentId) : undefined;
    let depth = 0;
    for (let cur = r, guard = 0; guard < 50; guard++) {
      const pid = (cur.in_response_to_tweet_id ?? '').trim();
      const p = pid ? byId.get(pid) : undefined;
      if (!p) break;
      depth++;
      cur = p;
    }
    const createdAt = parseTwcsDate(r.created_at ?? '');
    const sameAuthorParent = parent && !isBrand(parent) && parent.author_id === r.author_id;
    const input: TriageInput = {
      text: r.text ?? '',
      network: 'x',
      visibility: 'public',
      kind: parentId ? 'reply' : 'mention',
      createdAt,
      context: {
        brandHandles,
        replyTo: parent ? { fromBrand: isBrand(parent), sameAuthor: parent.author_id === r.author_id } : null,
        threadDepth: depth,
        // the customer's own previous tweet it threads onto was, by construction, not yet answered
        previousInbound: sameAuthorParent ? [parent.text ?? ''] : null,
        unansweredSince: sameAuthorParent ? parseTwcsDate(parent.created_at ?? '') : null,
      },
    };
    const root = r.conversation_root || r.tweet_id || '';
    out.push({ tweetId: r.tweet_id ?? '', conversationRoot: root, input, label: answered.has((r.tweet_id ?? '').trim()), heldOut: isHeldOut(`twcs-conversation:${root}`) });
  }
  return out;
}

/** `Tue Oct 31 22:10:47 +0000 2017` or ISO; 0 when unparseable. */
export function parseTwcsDate(s: string): number {
  const m = /^\w{3} (\w{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4}) (\d{4})$/.exec(s.trim());
  if (m) {
    const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(m[1]!);
    const off = Number(m[6]!.slice(0, 3)) * 60 + Math.sign(Number(m[6]!.slice(0, 3)) || 1) * Number(m[6]!.slice(3));
    return Date.UTC(Number(m[7]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])) - off * 60_000;
  }
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : 0;
}
