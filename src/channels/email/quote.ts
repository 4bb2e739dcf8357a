/**
 * The new text of an email: what the customer wrote this time, without the
 * history their mail client quoted under (or above) it. Agents read one line
 * per reply instead of the whole thread again, triage scores what is new, and
 * the conversation's subject comes from it. The untrimmed original is kept in
 * the message's raw payload, so nothing is lost.
 *
 * Trimmed, in this order:
 *  - a reply header and everything after it when only quotes follow: "On Mon,
 *    1 Jan 2024, Ann <ann@x> wrote:" (also wrapped over two lines, and the
 *    German, French, Spanish, Italian, Dutch, Portuguese and Swedish forms);
 *  - Outlook's quoted original: "-----Original Message-----", or a block of
 *    "From:" followed by "Sent:"/"Date:" and "To:"/"Subject:" lines (also after
 *    Outlook's "________" rule);
 *  - lines quoted with ">" (an inline answer between quotes is kept);
 *  - the signature after the "-- " delimiter, and a trailing "Sent from my ...".
 * Forwarded messages are content, not history: they are kept.
 * When trimming would leave nothing (a message that is only a quote), the full
 * text is returned.
 */

const ATTRIBUTION = [
  /^on\b.{0,300}\bwrote:$/i,
  /^am\b.{0,300}\bschrieb\b.{0,200}:$/i,
  /^le\b.{0,300}\ba écrit ?:$/i,
  /^el\b.{0,300}\bescribió:$/i,
  /^il\b.{0,300}\bha scritto:$/i,
  /^op\b.{0,300}\bschreef\b.{0,200}:$/i,
  /^em\b.{0,300}\bescreveu:$/i,
  /^den\b.{0,300}\bskrev\b.{0,200}:$/i,
];
/** A real reply header names a date or an address ("On 3 May 2024, Ann <ann@x> wrote:"), not just "On Monday I wrote:". */
const isAttribution = (line: string) => /\d|@/.test(line) && ATTRIBUTION.some((re) => re.test(line));

const ORIGINAL_MESSAGE = /^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|messaggio originale)\s*-{2,}$/i;
const OUTLOOK_RULE = /^_{10,}$/;
const HEADER_FROM = /^\*?(from|von|de|da|van|från)\s*:\*?\s+\S/i;
const HEADER_SENT = /^\*?(sent|date|gesendet|datum|envoyé|enviado|inviato|verzonden|skickat)\s*:\*?\s/i;
const HEADER_TO = /^\*?(to|subject|an|betreff|à|objet|para|asunto|a|oggetto|aan|onderwerp|till|ämne)\s*:\*?\s/i;
const SIGNATURE = /^-- ?$/;
const SENT_FROM = /^sent from my [\w -]{2,40}$/i;
const QUOTED = /^\s*>/;
const FORWARDED = /^(-{2,}\s*)?(forwarded message|begin forwarded message|weitergeleitete nachricht|message transféré|mensaje reenviado)\s*:?\s*(-{2,})?$/i;

/** True when lines[i] starts a reply header ("On ... wrote:"), alone or wrapped onto the next line. Returns how many lines it spans. */
function attributionAt(lines: string[], i: number): number {
  const one = lines[i]!.trim();
  if (!one) return 0;
  if (isAttribution(one)) return 1;
  const next = lines[i + 1]?.trim();
  if (next && /^(on|am|le|el|il|op|em|den)\b/i.test(one) && isAttribution(`${one} ${next}`)) return 2;
  return 0;
}

/** Outlook's quoted original starts here: the "Original Message" line, or From: + Sent/Date: + To/Subject: within a few lines. */
function outlookBlockAt(lines: string[], i: number): boolean {
  const line = lines[i]!.trim();
  if (ORIGINAL_MESSAGE.test(line)) return true;
  let j = i;
  if (OUTLOOK_RULE.test(line)) {
    j = i + 1;
    while (j < lines.length && !lines[j]!.trim()) j++;
  }
  if (j >= lines.length || !HEADER_FROM.test(lines[j]!.trim())) return false;
  const window = lines.slice(j + 1, j + 6).map((l) => l.trim());
  return window.some((l) => HEADER_SENT.test(l)) && window.some((l) => HEADER_TO.test(l));
}

export interface TrimResult {
  /** The new text. */
  text: string;
  /** Whether anything was removed. */
  trimmed: boolean;
}

/** Remove quoted history and the signature from a plain-text email body. */
export function trimQuoted(body: string): TrimResult {
  const full = body.replace(/\r\n?/g, '\n');
  const all = full.split('\n');
  // A forwarded message is what the customer wants us to read: kept as it is.
  const fwd = all.findIndex((l) => FORWARDED.test(l.trim()));
  let lines = fwd >= 0 ? all.slice(0, fwd) : all;
  const forwarded = fwd >= 0 ? all.slice(fwd) : [];

  // 1. A reply header or Outlook's original: cut there, unless an inline answer follows
  //    the header (then drop the header and the quoted lines, keep the answers).
  for (let i = 0; i < lines.length; i++) {
    const span = attributionAt(lines, i);
    if (span) {
      const rest = lines.slice(i + span);
      const sigAt = rest.findIndex((l) => SIGNATURE.test(l));
      const answersInline = (sigAt >= 0 ? rest.slice(0, sigAt) : rest).some((l) => l.trim() && !QUOTED.test(l));
      lines = answersInline ? [...lines.slice(0, i), ...rest] : lines.slice(0, i);
      break;
    }
    if (!QUOTED.test(lines[i]!) && outlookBlockAt(lines, i)) {
      lines = lines.slice(0, i);
      break;
    }
  }

  // 2. Quoted lines.
  lines = lines.filter((l) => !QUOTED.test(l));

  // 3. Signature: everything after the first "-- " line; a trailing "Sent from my phone".
  const sig = lines.findIndex((l) => SIGNATURE.test(l));
  if (sig >= 0) lines = lines.slice(0, sig);
  while (lines.length && !lines[lines.length - 1]!.trim()) lines.pop();
  if (lines.length && SENT_FROM.test(lines[lines.length - 1]!.trim())) lines.pop();

  const text = collapseBlankLines([...lines, ...(forwarded.length ? ['', ...forwarded] : [])]).join('\n').trim();
  if (!text) return { text: full.trim(), trimmed: false };
  return { text, trimmed: text !== full.trim() };
}

function collapseBlankLines(lines: string[]): string[] {
  const out: string[] = [];
  for (const l of lines) {
    const blank = !l.trim();
    if (blank && out.length && !out[out.length - 1]!.trim()) continue;
    out.push(blank ? '' : l.replace(/\s+$/, ''));
  }
  return out;
}
