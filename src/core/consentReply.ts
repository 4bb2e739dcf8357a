/**
 * Does a customer's reply to "may we link your profile to your customer account?" read as a
 * plain agreement? A CRM link by `customer_message` needs one (src/commands/contacts.ts): their
 * complaint, a question back or a "no" is not consent. Deliberately conservative: only a short
 * reply with an agreement word or emoji (en, es, fr, de, pt, it, nl), no negation, no question
 * and no thumbs-down agrees; anything else is `decline` or `unclear`, and the agent can still ask
 * again or record consent given another way. Pure: text in, verdict out.
 */

export type ConsentReplyVerdict = 'agree' | 'decline' | 'unclear';

export interface ConsentReplyReading {
  verdict: ConsentReplyVerdict;
  /** Why, in words an agent reads in the link dialog and in a 400 `crm.consent_evidence`. */
  reason: string;
}

/** Longer than this (after quotes, mentions and links are removed) is not a plain "yes": an agent reads it and records the consent as it was given. */
export const MAX_AGREEMENT_CHARS = 280;

/** Whole words (accents removed, lowercase) that mean yes. */
const AGREE_WORDS = new Set([
  // en
  'yes', 'yeah', 'yea', 'yep', 'yup', 'ok', 'okay', 'okey', 'okie', 'k', 'kk', 'sure', 'agree', 'agreed', 'fine', 'absolutely', 'definitely', 'certainly', 'alright', 'consent', 'approve', 'approved',
  // es
  'si', 'claro', 'vale', 'adelante', 'acepto', 'dale', 'perfecto', 'conforme',
  // fr
  'oui', 'ouais', 'daccord', 'dac', 'accepte', 'volontiers', 'allez-y', 'allezy',
  // de
  'ja', 'jawohl', 'einverstanden', 'klar', 'gerne', 'gern', 'passt', 'jep',
  // pt
  'sim', 'concordo', 'aceito', 'pode', 'podem', 'beleza', 'certo',
  // it / nl
  'akkoord', 'prima',
]);

/** Phrases (accents removed, lowercase, single spaces) that mean yes. */
const AGREE_PHRASES = [
  'go ahead', 'of course', 'please do', 'that\'s fine', 'thats fine', 'sounds good', 'i agree', 'no problem', 'no worries', 'why not',
  'de acuerdo', 'por supuesto', 'sin problema', 'esta bien', 'd\'accord', 'bien sur', 'pas de probleme', 'pas de soucis', 'pas de souci', 'j\'accepte',
  'in ordnung', 'kein problem', 'stimme zu', 'na klar', 'tudo bem', 'de acordo', 'com certeza', 'sem problema', 'pode sim', 'va bene', 'nessun problema',
];

/** Phrases that contain a negation word but agree ("no problem"): removed before negations are looked for. */
const NEGATION_IN_AGREEMENT = ['no problem', 'no worries', 'why not', 'sin problema', 'pas de probleme', 'pas de soucis', 'pas de souci', 'kein problem', 'sem problema', 'nessun problema'];

/** Whole words that say no (or not, never, don't...). */
const NEGATION_WORDS = new Set([
  'no', 'nope', 'nah', 'not', 'never', 'dont', 'don\'t', 'cant', 'can\'t', 'cannot', 'wont', 'won\'t', 'didnt', 'doesnt', 'hasnt', 'havent', 'wasnt', 'arent', 'shouldnt', 'wouldnt', 'couldnt', 'refuse', 'disagree', 'stop', 'nay', 'isnt', 'isn\'t', 'aint', 'without', 'unsubscribe', 'later', 'maybe', 'perhaps', 'unless',
  'nunca', 'jamas', 'tampoco', 'ni', 'quizas', 'quiza',
  'non', 'pas', 'jamais', 'nan', 'peut-etre',
  'nein', 'nicht', 'kein', 'keine', 'keinen', 'niemals', 'nie', 'vielleicht',
  'nao', 'nem', 'talvez',
  'nee', 'niet', 'nooit', 'mai',
]);

/** Whole words that hedge a yes ("ok but where is my refund"): such a reply is read by a person, not taken as consent. */
const HEDGE_WORDS = new Set(['but', 'however', 'although', 'though', 'except', 'pero', 'aunque', 'mais', 'sauf', 'aber', 'jedoch', 'mas', 'porem', 'embora']);

/** Emoji that agree (skin tones and variation selectors are removed first). */
const AGREE_EMOJI = ['\u{1F44D}', '\u{1F44C}', '\u2705', '\u2714', '\u{1F197}', '\u{1F646}', '\u{1F91D}'];
/** Emoji that refuse or doubt. */
const REFUSE_EMOJI = ['\u{1F44E}', '\u274C', '\u274E', '\u{1F6AB}', '\u26D4', '\u{1F645}', '\u{1F914}', '\u2753', '\u2754', '\u{1F928}'];

/**
 * The reply as it is read: NFKC, lines quoting an earlier message (`>`) dropped, @mentions and
 * links removed, invisible characters (zero-width, bidi controls), emoji skin tones and variation
 * selectors removed, accents removed, lowercase, whitespace collapsed.
 */
export function normalizeConsentReply(text: string): string {
  return text
    .normalize('NFKC')
    .split(/\r\n|\r|\n/)
    .filter((l) => !/^\s*>/.test(l))
    .join(' ')
    .replace(/https?:\/\/\S+/giu, ' ')
    .replace(/(^|[\s(])@[\p{L}\p{N}_.-]+/gu, '$1 ')
    .replace(/[\u00AD\u034F\u061C\u115F\u1160\u17B4\u17B5\u180B-\u180F\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\u{1F3FB}-\u{1F3FF}\u{E0000}-\u{E0FFF}]/gu, '')
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .normalize('NFC')
    .toLowerCase()
    .replace(/[\u2018\u2019\u02BC\u0060\u00B4]/g, '\'')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The words of a normalized reply (letters, digits, apostrophes and inner hyphens). */
function wordsOf(s: string): string[] {
  return s.match(/[\p{L}\p{N}]+(?:['-][\p{L}\p{N}]+)*/gu) ?? [];
}

/** `phrase` occurs in `s` as whole words. */
function hasPhrase(s: string, phrase: string): boolean {
  let from = 0;
  for (;;) {
    const i = s.indexOf(phrase, from);
    if (i < 0) return false;
    const before = i === 0 ? '' : s[i - 1]!;
    const after = s[i + phrase.length] ?? '';
    if (!/[\p{L}\p{N}]/u.test(before) && !/[\p{L}\p{N}]/u.test(after)) return true;
    from = i + 1;
  }
}

/**
 * Read a customer's reply to a consent question. `agree` only for a short reply with an
 * agreement (a word, phrase or emoji such as yes, ok, sure, "go ahead", sí, oui, d'accord, ja,
 * einverstanden, sim, 👍) and nothing that refuses or doubts: a negation (no, not, nein, não...),
 * a question mark, a thumbs-down. Never throws, whatever the text.
 */
export function classifyConsentReply(text: string): ConsentReplyReading {
  if (typeof text !== 'string' || !text.trim()) return { verdict: 'unclear', reason: 'the message is empty' };
  // only so much is read: a 10 KB message is no plain "yes" (and reading it all costs for nothing)
  if (text.length > MAX_AGREEMENT_CHARS * 8) return { verdict: 'unclear', reason: `the message is too long to read as a plain agreement (more than ${MAX_AGREEMENT_CHARS} characters)` };
  const s = normalizeConsentReply(text);
  if (!s) return { verdict: 'unclear', reason: 'the message says nothing once quotes, mentions and links are set aside' };
  if (s.length > MAX_AGREEMENT_CHARS) return { verdict: 'unclear', reason: `the message is too long to read as a plain agreement (more than ${MAX_AGREEMENT_CHARS} characters): record the consent another way if they gave it` };
  if (/[?\u00BF\u037E\u061F\uFF1F\u2E2E]/u.test(s)) return { verdict: 'unclear', reason: 'the message asks a question: answer it before taking their reply as consent' };
  if (REFUSE_EMOJI.some((e) => s.includes(e))) return { verdict: 'decline', reason: 'the message refuses or doubts (an emoji says no)' };
  let rest = s;
  for (const p of NEGATION_IN_AGREEMENT) while (hasPhrase(rest, p)) rest = rest.replace(p, ' agreed ');
  const words = wordsOf(rest);
  const negation = words.find((w) => NEGATION_WORDS.has(w) || /n't$/.test(w));
  if (negation) return { verdict: 'decline', reason: `the message says "${negation}": a negation is not an agreement` };
  const hedge = words.find((w) => HEDGE_WORDS.has(w));
  if (hedge) return { verdict: 'unclear', reason: `the message says "${hedge}": read what they ask and record the consent another way if they gave it` };
  const agreesByWord = words.some((w) => AGREE_WORDS.has(w) || AGREE_WORDS.has(w.replace(/'/g, '')));
  const agreesByPhrase = AGREE_PHRASES.some((p) => hasPhrase(s, p));
  const agreesByEmoji = AGREE_EMOJI.some((e) => s.includes(e));
  if (agreesByWord || agreesByPhrase || agreesByEmoji) return { verdict: 'agree', reason: 'the message reads as an agreement' };
  return { verdict: 'unclear', reason: 'the message does not say yes (no agreement such as "yes", "ok", "go ahead" or 👍 in it)' };
}
