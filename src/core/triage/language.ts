/**
 * Language identification, small and offline: the writing system decides for
 * non-Latin scripts; for Latin script, counts of very common function words (our own
 * short lists) plus a few letters unique to one language. Good enough to route by
 * language and to say "this isn't English, the English-trained models are unsure";
 * not a replacement for a trained identifier on very short texts (see model card).
 */
import type { Scored } from '../types.js';

const STOPWORDS: Record<string, string[]> = {
  en: ['the', 'and', 'is', 'you', 'to', 'of', 'it', 'my', 'for', 'in', 'that', 'this', 'was', 'have', 'with', 'not', 'are', 'i', 'me', 'your', 'what', 'why', 'how', 'can', 'just', 'but', 'on', 'be', 'do', 'still', 'get', 'will', "don't", "i'm", 'they', 'we', 'at', 'so', 'no', 'has', 'been', 'from', 'a', 'an', 'or', 'please', 'thanks', 'would', 'there', 'anyone', 'hello', 'hi', 'here', 'any', 'when', 'where', 'who', 'been', 'got', 'had', 'did', "can't", "didn't", 'all', 'about', 'out', 'up', 'if'],
  es: ['el', 'la', 'los', 'las', 'de', 'que', 'y', 'en', 'un', 'una', 'por', 'para', 'con', 'no', 'es', 'mi', 'se', 'lo', 'pero', 'muy', 'más', 'ya', 'cuando', 'porque', 'hola', 'gracias', 'está', 'tengo', 'como', 'del', 'al', 'yo', 'este', 'esta', 'hay', 'sí', 'todo', 'nada'],
  pt: ['o', 'a', 'os', 'as', 'de', 'que', 'e', 'em', 'um', 'uma', 'para', 'com', 'não', 'é', 'meu', 'minha', 'se', 'mas', 'muito', 'mais', 'já', 'quando', 'porque', 'olá', 'obrigado', 'obrigada', 'está', 'tenho', 'como', 'do', 'da', 'no', 'na', 'eu', 'você', 'isso', 'pra', 'vocês'],
  fr: ['le', 'la', 'les', 'de', 'des', 'du', 'et', 'en', 'un', 'une', 'pour', 'avec', 'ne', 'pas', 'est', 'mon', 'ma', 'mes', 'je', 'vous', 'il', 'elle', 'que', 'qui', 'mais', 'très', 'plus', 'bonjour', 'merci', "c'est", 'sur', 'dans', 'ce', 'cette', 'au', 'aux', 'nous', "j'ai", 'toujours'],
  de: ['der', 'die', 'das', 'und', 'ist', 'ich', 'nicht', 'ein', 'eine', 'mit', 'für', 'auf', 'den', 'dem', 'zu', 'es', 'sie', 'wir', 'mein', 'meine', 'aber', 'noch', 'auch', 'wie', 'was', 'warum', 'hallo', 'danke', 'bitte', 'schon', 'kein', 'keine', 'habe', 'hat', 'von', 'bei', 'nach', 'immer'],
  it: ['il', 'lo', 'la', 'gli', 'le', 'di', 'che', 'e', 'è', 'un', 'una', 'per', 'con', 'non', 'mio', 'mia', 'ma', 'molto', 'più', 'già', 'quando', 'perché', 'ciao', 'grazie', 'sono', 'ho', 'come', 'del', 'della', 'nel', 'io', 'questo', 'questa', 'ancora', 'anche', 'sempre'],
  nl: ['de', 'het', 'een', 'en', 'is', 'ik', 'niet', 'van', 'op', 'met', 'voor', 'dat', 'die', 'je', 'jullie', 'mijn', 'maar', 'nog', 'ook', 'wel', 'geen', 'hoe', 'waarom', 'hallo', 'bedankt', 'dank', 'heb', 'heeft', 'zijn', 'er', 'al', 'bij', 'naar', 'altijd'],
  sv: ['och', 'att', 'det', 'är', 'jag', 'inte', 'en', 'ett', 'på', 'med', 'för', 'som', 'har', 'min', 'mitt', 'men', 'också', 'hur', 'varför', 'hej', 'tack', 'ni', 'vi', 'av', 'till', 'från', 'fortfarande', 'kan', 'den'],
  da: ['og', 'at', 'det', 'er', 'jeg', 'ikke', 'en', 'et', 'på', 'med', 'for', 'som', 'har', 'min', 'mit', 'men', 'også', 'hvordan', 'hvorfor', 'hej', 'tak', 'i', 'vi', 'af', 'til', 'fra', 'stadig', 'kan', 'den'],
  nb: ['og', 'at', 'det', 'er', 'jeg', 'ikke', 'en', 'et', 'på', 'med', 'for', 'som', 'har', 'min', 'mitt', 'men', 'også', 'hvordan', 'hvorfor', 'hei', 'takk', 'dere', 'vi', 'av', 'til', 'fra', 'fortsatt', 'kan', 'den'],
  fi: ['ja', 'on', 'ei', 'se', 'että', 'mutta', 'minä', 'sinä', 'te', 'me', 'kiitos', 'hei', 'miksi', 'miten', 'vielä', 'myös', 'tämä', 'kun', 'jo', 'olen', 'oli', 'ole', 'mitä'],
  pl: ['i', 'w', 'nie', 'na', 'to', 'jest', 'się', 'z', 'że', 'do', 'jak', 'ale', 'mój', 'moja', 'dlaczego', 'dzień', 'dobry', 'dziękuję', 'dzięki', 'już', 'jeszcze', 'czy', 'co', 'mam', 'od', 'po', 'tak'],
  tr: ['ve', 'bir', 'bu', 'da', 'de', 'ne', 'için', 'ile', 'değil', 'ben', 'sen', 'biz', 'siz', 'çok', 'daha', 'merhaba', 'teşekkürler', 'neden', 'nasıl', 'hala', 'var', 'yok', 'mi', 'mı', 'ama'],
  id: ['dan', 'yang', 'di', 'ini', 'itu', 'tidak', 'saya', 'kamu', 'anda', 'untuk', 'dengan', 'ada', 'sudah', 'belum', 'masih', 'tapi', 'kenapa', 'bagaimana', 'terima', 'kasih', 'tolong', 'ke', 'dari', 'bisa', 'mau'],
  ro: ['și', 'si', 'în', 'nu', 'este', 'că', 'pe', 'cu', 'pentru', 'un', 'o', 'mea', 'meu', 'dar', 'încă', 'bună', 'mulțumesc', 'de', 'la', 'am', 'ce', 'sunt', 'acest'],
};

const LETTER_HINTS: [RegExp, string, number][] = [
  [/ñ|¿|¡/u, 'es', 1.5],
  [/[ãõ]|ção|ções/u, 'pt', 1.5],
  [/ß/u, 'de', 1.5],
  [/[äöü]/u, 'de', 0.5],
  [/å/u, 'sv', 0.5],
  [/[øæ]/u, 'da', 0.7],
  [/[łąęśżźń]/u, 'pl', 1.5],
  [/[ğşı]/u, 'tr', 1.5],
  [/[șțăâ]/u, 'ro', 1.2],
  [/[èàù]|ç/u, 'fr', 0.4],
  [/[ìò]/u, 'it', 0.6],
];

const STOP_INDEX = new Map<string, string[]>();
for (const [lang, words] of Object.entries(STOPWORDS)) {
  for (const w of words) {
    const l = STOP_INDEX.get(w) ?? [];
    l.push(lang);
    STOP_INDEX.set(w, l);
  }
}

type Script = 'latin' | 'cyrillic' | 'greek' | 'arabic' | 'hebrew' | 'devanagari' | 'bengali' | 'tamil' | 'thai' | 'hangul' | 'kana' | 'han' | 'georgian' | 'armenian' | 'other';

function scriptOf(c: number): Script | null {
  if ((c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0xc0 && c <= 0x24f)) return 'latin';
  if (c >= 0x400 && c <= 0x4ff) return 'cyrillic';
  if (c >= 0x370 && c <= 0x3ff) return 'greek';
  if ((c >= 0x600 && c <= 0x6ff) || (c >= 0x750 && c <= 0x77f)) return 'arabic';
  if (c >= 0x590 && c <= 0x5ff) return 'hebrew';
  if (c >= 0x900 && c <= 0x97f) return 'devanagari';
  if (c >= 0x980 && c <= 0x9ff) return 'bengali';
  if (c >= 0xb80 && c <= 0xbff) return 'tamil';
  if (c >= 0xe00 && c <= 0xe7f) return 'thai';
  if ((c >= 0xac00 && c <= 0xd7af) || (c >= 0x1100 && c <= 0x11ff)) return 'hangul';
  if (c >= 0x3040 && c <= 0x30ff) return 'kana';
  if ((c >= 0x4e00 && c <= 0x9fff) || (c >= 0x3400 && c <= 0x4dbf)) return 'han';
  if (c >= 0x10a0 && c <= 0x10ff) return 'georgian';
  if (c >= 0x530 && c <= 0x58f) return 'armenian';
  if (c < 0x80) return null; // digits, punctuation
  if (c >= 0x2000) return null; // symbols, emoji (surrogates are counted once below)
  return 'other';
}

const SCRIPT_LANG: Partial<Record<Script, string>> = {
  greek: 'el', hebrew: 'he', devanagari: 'hi', bengali: 'bn', tamil: 'ta', thai: 'th', hangul: 'ko', georgian: 'ka', armenian: 'hy',
};

/**
 * Detect the language of `text` (already sanitized) given its normalized word tokens.
 * Returns an ISO 639-1 code, or `und` when there is too little to go on.
 */
export function detectLanguage(text: string, words: readonly string[]): Scored<string> {
  // fast path: plain ASCII text is Latin script (most messages); only the words matter
  if (ASCII.test(text)) {
    if (!/[A-Za-z].*[A-Za-z]/s.test(text)) return { value: 'und', confidence: 0.2, reason: 'no letters to judge by' };
    return latinLanguage(text, words, false);
  }
  const counts: Partial<Record<Script, number>> = {};
  let letters = 0;
  let extendedLatin = false;
  // handles, URLs and hashtags are Latin whatever the message language: skip them
  let skipping = false;
  for (let i = 0; i < text.length && i < 1000; i++) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 9) { skipping = false; continue; }
    if (skipping) continue;
    if (c === 64 || c === 35 || (c === 104 && text.startsWith('http', i))) { skipping = true; continue; }
    if (c >= 0xd800 && c <= 0xdfff) continue;
    const s = scriptOf(c);
    if (!s) continue;
    if (s === 'latin' && c >= 0xc0) extendedLatin = true;
    counts[s] = (counts[s] ?? 0) + 1;
    letters++;
  }
  if (letters < 2) return { value: 'und', confidence: 0.2, reason: 'no letters to judge by' };

  let top: Script = 'latin';
  for (const [s, n] of Object.entries(counts) as [Script, number][]) if (n > (counts[top] ?? 0)) top = s;
  const share = (counts[top] ?? 0) / letters;

  if (top === 'kana' || (top === 'han' && (counts.kana ?? 0) > 0)) return { value: 'ja', confidence: 0.9 * share + 0.05, reason: 'Japanese script (kana)' };
  if (top === 'han') return { value: 'zh', confidence: 0.85 * share + 0.05, reason: 'Chinese characters (Han script)' };
  if (top === 'cyrillic') {
    const uk = /[іїєґ]/iu.test(text);
    return { value: uk ? 'uk' : 'ru', confidence: 0.8 * share + 0.1, reason: uk ? 'Cyrillic with Ukrainian letters' : 'Cyrillic script' };
  }
  if (top === 'arabic') {
    const fa = /[پچژگ]/u.test(text);
    return { value: fa ? 'fa' : 'ar', confidence: 0.8 * share + 0.1, reason: fa ? 'Arabic script with Persian letters' : 'Arabic script' };
  }
  const byScript = SCRIPT_LANG[top];
  if (byScript) return { value: byScript, confidence: 0.9 * share + 0.05, reason: `${top} script` };
  if (top !== 'latin') return { value: 'und', confidence: 0.3, reason: 'unrecognised script' };

  return latinLanguage(text, words, extendedLatin);
}

const ASCII = /^[\x00-\x7F]*$/;

/** Latin script: function words decide, letters unique to a language help. */
function latinLanguage(text: string, words: readonly string[], extendedLatin: boolean): Scored<string> {
  const score: Record<string, number> = {};
  let hits = 0;
  for (const w of words) {
    const langs = STOP_INDEX.get(w);
    if (!langs) continue;
    hits++;
    for (const l of langs) score[l] = (score[l] ?? 0) + 1 / langs.length;
  }
  if (extendedLatin) for (const [re, lang, pts] of LETTER_HINTS) if (re.test(text)) score[lang] = (score[lang] ?? 0) + pts;
  const ranked = Object.entries(score).sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  if (ranked.length === 0) {
    // plain ASCII with no function words at all (e.g. "order 1234 status??"): most likely English, say how unsure
    if (!extendedLatin) return { value: 'en', confidence: 0.35, reason: 'Latin script, no common words recognised; assuming English' };
    return { value: 'und', confidence: 0.25, reason: 'Latin script, no common words recognised' };
  }
  const [best, s1] = ranked[0]!;
  const s2 = ranked[1]?.[1] ?? 0;
  const margin = (s1 - s2) / (s1 + 1);
  const confidence = Math.min(0.99, 0.35 + 0.5 * margin + 0.05 * Math.min(hits, 4));
  return { value: best, confidence: round2(confidence), reason: `common ${best} words (${hits} of ${words.length} tokens)` };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
