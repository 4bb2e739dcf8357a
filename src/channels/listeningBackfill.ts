/**
 * Backfill lines per listening term. A keyword (or hashtag) an admin adds to a channel that is
 * already listening makes the next sync read back that term's older matches: what was posted
 * before the term was added is history the desk never listened to, so it is stored as the
 * account's backfill is (source `backfill`: history to outbound webhooks, resolved when older than
 * a week, SLA clocks from when the desk first saw it), not as heard live.
 *
 * Each term has its own line, kept with the account (`channel_account.listening_backfill_before`,
 * a JSON object of term key → ms, or null for "as the account": a term that was there before
 * lines were kept, or before the account first synced). The sync worker sets a new term's line
 * to the start of the first run that listens for it (an edit of the settings asks for a run at
 * once) and drops the line of a term no longer listened for, so a term removed and added again
 * gets a new line. Connectors say which terms found each listening hit (`ListeningHits`); a hit
 * that tags the brand is not attributed (it is a mention, heard live whatever found it).
 */
import type { NormalizedMessage } from '../core/types.js';
import type { SyncResult } from './types.js';

/**
 * Which listening terms found which messages of a sync page (keys: `listeningTermKey`). A message
 * not in it (a mention, a reply, a DM, or a hit that tags the brand) is judged by the account's line.
 */
export type ListeningHits = ReadonlyMap<NormalizedMessage, readonly string[]>;

/** A sync page whose listening hits name the terms that found them. */
export type ListeningSyncResult = SyncResult & { heardBy?: ListeningHits };

/** Term key → its line (ms), or null: as the account's. */
export type TermLines = Record<string, number | null>;

/** The key a listening term is known by: the setting it is in and the term, trimmed, without case (the networks search without case). */
export function listeningTermKey(setting: string, term: string): string {
  return `${setting}:${term.trim().toLowerCase()}`;
}

/** The keys of the listening terms in an account's settings (`listening`: the connector's listening settings). */
export function listeningTermKeys(settings: Record<string, unknown>, listening: readonly string[]): string[] {
  const keys = new Set<string>();
  for (const setting of listening) {
    const v = settings[setting];
    const terms = Array.isArray(v) ? v : typeof v === 'string' ? v.split(/[\n,]/) : [];
    for (const t of terms) if (typeof t === 'string' && t.trim() !== '') keys.add(listeningTermKey(setting, t));
  }
  return [...keys];
}

/** The stored lines, or null when none were ever kept (an unreadable value counts as none). */
export function parseTermLines(stored: string | null): TermLines | null {
  if (stored == null) return null;
  try {
    const v = JSON.parse(stored) as unknown;
    if (!v || typeof v !== 'object' || Array.isArray(v)) return null;
    const out: TermLines = {};
    for (const [k, line] of Object.entries(v)) out[k] = typeof line === 'number' && Number.isFinite(line) ? line : null;
    return out;
  } catch {
    return null;
  }
}

/**
 * The lines for a run listening for `terms`: kept for the terms known, `runStart` for a term new
 * since lines were last kept, none for a term no longer listened for. When no lines were ever kept
 * (an account synced before they were, or never synced) every term is as the account.
 */
export function nextTermLines(stored: TermLines | null, terms: readonly string[], runStart: number): TermLines {
  const out: TermLines = {};
  for (const k of terms) out[k] = stored === null ? null : k in stored ? stored[k]! : runStart;
  return out;
}

/**
 * The line each message of a page is judged by: the account's, unless every copy of it on the
 * page is a listening hit; then the earliest of its terms' lines (a term listened for longer would
 * have heard it live), each no earlier than the account's.
 */
export function linesOf(messages: readonly NormalizedMessage[], hits: ListeningHits | undefined, accountLine: number | null, lines: TermLines): Map<NormalizedMessage, number | null> {
  const out = new Map<NormalizedMessage, number | null>();
  if (!hits || !hits.size) {
    for (const m of messages) out.set(m, accountLine);
    return out;
  }
  const byId = new Map<string, NormalizedMessage[]>();
  for (const m of messages) byId.set(m.networkMessageId, [...(byId.get(m.networkMessageId) ?? []), m]);
  for (const copies of byId.values()) {
    let line: number | null = accountLine;
    const terms = copies.map((m) => hits.get(m));
    if (terms.every((t) => t && t.length)) {
      let earliest: number | null | undefined;
      for (const k of terms.flat() as string[]) {
        const own = lines[k];
        const l = own == null ? accountLine : accountLine === null ? own : Math.max(own, accountLine);
        earliest = earliest === undefined ? l : earliest === null || l === null ? null : Math.min(earliest, l);
      }
      line = earliest ?? null;
    }
    for (const m of copies) out.set(m, line);
  }
  return out;
}
