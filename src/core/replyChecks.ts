/**
 * Reply checks: run live in the composer and again on the server before sending.
 *
 * They encode what practitioners keep repeating: answer the question directly (a link is
 * not an answer — answer first, then link), don't sound like a robot (no near-copies of your
 * own recent replies, greet and use the customer's name), keep sensitive matters private,
 * and fit the network (offer a thread when it does not).
 *
 * Each check has a stable code, a stable message and a default severity (`block` stops
 * sending, `warn` asks for a second look, `hint` is a nudge); admins can override
 * severities per code, or switch a check `off`. Specifics (lengths, matches, the thread
 * split) go in `detail` and `data`.
 */

import type { Network, Visibility } from './types.js';
import { lengthRule, lengthRuleFor, mastodonLength, measure, splitIntoThread, withMastodonMentions, type LengthRule } from './textLength.js';
import { detectSensitive, privateOffer, sensitiveLabel, usableName, type SensitiveKind } from './privateOffer.js';
import { findMentions, findUrls, foldText, words } from './wf_text.js';
import { findStockPhrases } from './stockPhrases.js';

export const REPLY_CHECK_CODES = [
  'reply.empty',
  'reply.unfilled_placeholder',
  'reply.link_only',
  'reply.too_long',
  'reply.near_duplicate',
  'reply.personal_data',
  'reply.shouting',
  'reply.no_greeting',
  'reply.no_name',
  'reply.wrong_person',
  'reply.stock_phrase',
] as const;
export type ReplyCheckCode = (typeof REPLY_CHECK_CODES)[number];

export type CheckSeverity = 'block' | 'warn' | 'hint';
/** An admin override: another severity, or `off` to disable the check. */
export type SeverityOverride = CheckSeverity | 'off';

export interface ReplyCheckDefinition {
  severity: CheckSeverity;
  message: string;
}

export const REPLY_CHECKS: Readonly<Record<ReplyCheckCode, ReplyCheckDefinition>> = {
  'reply.empty': { severity: 'block', message: 'Write a reply before sending' },
  'reply.unfilled_placeholder': { severity: 'block', message: 'Fill in the gaps of the saved reply before sending' },
  'reply.link_only': { severity: 'block', message: 'Answer first, then link' },
  'reply.too_long': { severity: 'block', message: 'Too long for this network: split it into a thread' },
  'reply.near_duplicate': { severity: 'warn', message: 'Nearly the same as one of your recent replies: make it personal' },
  'reply.personal_data': { severity: 'warn', message: 'Personal data in a public reply: take it private' },
  'reply.shouting': { severity: 'hint', message: 'Mostly capitals reads as shouting' },
  'reply.no_greeting': { severity: 'hint', message: 'Greet the customer' },
  'reply.no_name': { severity: 'hint', message: "Use the customer's name" },
  'reply.wrong_person': { severity: 'warn', message: 'Addressed to someone else: check who this reply is for' },
  'reply.stock_phrase': { severity: 'hint', message: 'Sounds like a form letter: say it in your own words' },
};

export interface ReplyCheckInput {
  text: string;
  /** The network (or a channel's own length rule) the reply goes to. */
  network: Network | LengthRule;
  visibility: Visibility;
  customer?: { name?: string | null; handle?: string | null } | null;
  /** The same agent's recent replies, newest first. */
  recentReplies?: readonly string[] | null;
  /** Enables a ready-made "take it private" reply in `reply.personal_data` data. */
  conversationId?: string | null;
  overrides?: Partial<Record<ReplyCheckCode, SeverityOverride>> | null;
  options?: {
    /** Jaccard similarity from which a reply is a near-duplicate. Default 0.8. */
    duplicateThreshold?: number;
    /** How many recent replies to compare against. Default 20. */
    recentLimit?: number;
    /** Word shingle size. Default 3. */
    shingleSize?: number;
    /** Number the thread split (" 1/3"). Default true. */
    threadNumbering?: boolean;
    /** Whether a greeting is expected (e.g. false for the 5th message of a chat). Default true. */
    expectGreeting?: boolean;
  } | null;
}

export interface ReplyCheckResult {
  code: ReplyCheckCode;
  severity: CheckSeverity;
  /** Stable text for the code (see `REPLY_CHECKS`). */
  message: string;
  /** Specifics of this occurrence, e.g. "312/280". */
  detail?: string;
  /** What to do about it. */
  suggestion?: string;
  data?: Record<string, unknown>;
}

export interface ReplyCheckReport {
  /** False when any result blocks sending. */
  ok: boolean;
  /** Blocks first, then warnings, then hints. */
  results: ReplyCheckResult[];
}

// A saved reply's variable left unfilled ("{{order.number}}", "{{ customer.name | there }}"): the
// snippet picker inserts it "with the gaps marked" so the agent fills them in; it must never reach
// the customer. The same variable syntax as `renderSnippet` (playbooks.ts).
const PLACEHOLDER = /\{\{\s*[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*\s*(?:\|[^{}\n]*)?\}\}/g;

const INVISIBLE = /[\s\u200B-\u200F\u2060\uFEFF\u00AD\u034F\u180E]/gu;
const FILLER = new Set([
  'hi', 'hello', 'hey', 'see', 'here', 'this', 'that', 'link', 'check', 'out', 'please', 'pls', 'thanks', 'thank', 'you',
  'the', 'at', 'more', 'info', 'information', 'read', 'visit', 'follow', 'go', 'to', 'our', 'faq', 'faqs', 'help', 'page',
  'article', 'via', 'it', 'a', 'for', 'details', 'on', 'is', 'are', 'and', 'or', 'there', 'try', 'use', 'click',
  // courtesy around a link is still no answer: "sorry! <link>", "answer: <link>", "hope this helps <link>"
  'sorry', 'apologies', 'apologise', 'apologize', 'answer', 'answers', 'find', 'found', 's', 'we', 'us', 'your', 'in', 'of',
  'with', 'about', 'hope', 'helps', 'should', 'can', 'an', 'take', 'look', 'ok', 'okay', 'sure', 'just', 'all', 'glad', 'happy',
  // words that only point at the link: "kindly refer to <link>", "everything is explained here <link>",
  // "have a look at <link>", "this article should answer your question <link>", "here's the guide <link>"
  'kindly', 'refer', 'referring', 'have', 'has', 'explain', 'explains', 'explained', 'explaining', 'everything', 'anything', 'need',
  'needs', 'step', 'steps', 'guide', 'guides', 'instructions', 'articles', 'question', 'questions', 'cover', 'covers', 'covered',
  'outline', 'outlines', 'outlined', 'show', 'shows', 'learn', 'tell', 'tells', 'know', 'want', 'would', 'like', 'may', 'might',
  'could', 'will', 'helpful', 'useful', 'further', 'below', 'above', 'following', 'resource', 'resources', 'documentation', 'docs',
  'support', 'centre', 'center', 'knowledge', 'base', 'i', 'me', 'my', 'do', 'does', 'be', 'been', 'think', 'recommend', 'suggest',
  'feel', 'free', 'through', 'simply', 'quick', 'quickly', 'full', 'latest', 'these', 'those', 'them', 'what', 'how', 'where',
  'which', 'site', 'website', 'webpage', 'links', 'video', 'tutorial', 'so', 'also', 'as', 'explainer', 'overview',
  "here's", "it's", "there's", "that's", "you'll", "i'm", "we've", "we're", 'heres', 'its', 'theres', 'thats', 'youll', 'im',
]);
// The same pointing-at-the-link words in Spanish, French, German and Portuguese, folded (lower
// case, no accents) as they are compared: "aquí tienes la información: <link>", "voici le lien
// : <link>", "hier findest du alle Infos: <link>", "segue o link com as informações: <link>".
// Negations and yes/no ("no", "pas de", "nicht", "não", "sí", "oui", "ja", "sim") are never filler.
const FILLER_I18N = new Set([
  // es
  'hola', 'buenas', 'buenos', 'dias', 'tardes', 'noches', 'aqui', 'aca', 'ahi', 'alli', 'tienes', 'tiene', 'teneis', 'tienen', 'te', 'le', 'les',
  'os', 'dejo', 'dejamos', 'comparto', 'compartimos', 'envio', 'enviamos', 'mando', 'mandamos', 'paso', 'pasamos', 'el', 'la', 'los', 'las',
  'un', 'una', 'unos', 'unas', 'lo', 'de', 'del', 'al', 'en', 'con', 'para', 'por', 'sobre', 'acerca', 'esta', 'este', 'esto', 'estos',
  'estas', 'ese', 'esa', 'eso', 'enlace', 'enlaces', 'vinculo', 'pagina', 'web', 'sitio', 'articulo', 'informacion', 'detalles', 'mas',
  'puedes', 'puede', 'podras', 'podra', 'pueden', 'ver', 'consultar', 'consulta', 'consulte', 'consultes', 'revisar', 'revisa', 'revise',
  'mira', 'mire', 'mirar', 'echa', 'echar', 'echale', 'vistazo', 'visita', 'visitar', 'encontrar', 'encontraras', 'encuentras', 'encontrara',
  'sigue', 'seguir', 'siguiente', 'pasos', 'guia', 'ayuda', 'centro', 'preguntas', 'frecuentes', 'pregunta', 'respuesta', 'respuestas',
  'todo', 'toda', 'todos', 'que', 'necesitas', 'necesita', 'saber', 'gracias', 'perdon', 'disculpa', 'disculpas', 'disculpe', 'sentimos',
  'siento', 'saludos', 'saludo', 'favor', 'y', 'o', 'tu', 'su', 'sus', 'tus', 'nuestro', 'nuestra', 'nuestros', 'nuestras', 'es', 'son',
  'esperamos', 'espero', 'sirva', 'ayude', 'util', 'explica', 'explicamos', 'explicado', 'explicada', 'hemos', 'he', 'ha', 'hay', 'haz',
  'clic', 'pincha', 'entra', 'accede', 'acceder', 'dentro', 'abajo', 'encima', 'completa', 'completo',
  // fr
  'bonjour', 'bonsoir', 'salut', 'coucou', 'voici', 'voila', 'vous', 'toi', 'trouverez', 'trouveras', 'trouver', 'trouvez', 'trouves', 'le',
  'des', 'du', 'd', 'l', 'a', 'au', 'aux', 'sur', 'pour', 'par', 'avec', 'dans', 'ce', 'cet', 'cette', 'ces', 'ceci', 'cela', 'ca', 'lien',
  'liens', 'site', 'informations', 'infos', 'renseignements', 'plus', 'ici', 'ci', 'dessous', 'dessus', 'suivant', 'suivante', 'consulter',
  'consultez', 'consulte', 'voir', 'voyez', 'regarder', 'regardez', 'jeter', 'jetez', 'oeil', 'visiter', 'visitez', 'aide', 'reponse',
  'reponses', 'tout', 'toutes', 'tous', 'qu', 'il', 'faut', 'savoir', 'besoin', 'merci', 'desole', 'desolee', 'desoles', 'excuses', 'pardon',
  'cordialement', 'bien', 'et', 'ou', 'votre', 'vos', 'ton', 'tes', 'notre', 'nos', 'est', 'sont', 'esperons', 'espere', 'j', 'nous', 'je',
  'aidera', 'aider', 'utile', 'explique', 'expliquons', 'etapes', 'cliquez', 'cliquer', 'hesitez', 'hesite', 'y', 'avez', 'as', 'ont',
  'retrouvez', 'retrouverez', 'decouvrez', 'lire', 'lisez', 'page', 'article', 'articles', 'guide', 'centre', 'faq', 'questions', 'question',
  // de
  'hallo', 'guten', 'tag', 'morgen', 'abend', 'liebe', 'lieber', 'hier', 'ist', 'sind', 'findest', 'finden', 'finde', 'findet', 'du', 'sie',
  'dir', 'ihnen', 'euch', 'ihr', 'dein', 'deine', 'deinen', 'deinem', 'ihre', 'ihren', 'ihrem', 'unser', 'unsere', 'unserer', 'unseren',
  'unserem', 'der', 'die', 'das', 'den', 'dem', 'des', 'ein', 'eine', 'einen', 'einem', 'einer', 'seite', 'webseite', 'artikel',
  'informationen', 'mehr', 'dazu', 'dort', 'unter', 'auf', 'zu', 'zum', 'zur', 'im', 'mit', 'fur', 'uber', 'von', 'vom', 'bei', 'alle',
  'alles', 'was', 'wissen', 'musst', 'mussen', 'brauchst', 'brauchen', 'schau', 'schaue', 'schauen', 'schaut', 'mal', 'gerne', 'gern',
  'vorbei', 'hilfe', 'hilfeseite', 'hilfebereich', 'fragen', 'frage', 'antwort', 'antworten', 'anleitung', 'schritte', 'erklart',
  'beschrieben', 'steht', 'stehen', 'lies', 'lesen', 'klick', 'klicke', 'klicken', 'besuche', 'besuchen', 'danke', 'dank', 'vielen',
  'entschuldigung', 'hoffen', 'hoffe', 'hilft', 'helfen', 'weiter', 'weiterhelfen', 'folgenden', 'folgende', 'und', 'oder', 'es', 'ich',
  'wir', 'uns', 'dies', 'diese', 'diesen', 'diesem', 'dieser', 'bitte', 'gruss', 'grusse', 'viele', 'findet', 'dabei', 'da', 'drin',
  // pt
  'ola', 'oi', 'bom', 'boa', 'dia', 'tarde', 'noite', 'aqui', 'estao', 'tem', 'tens', 'voce', 'voces', 'lhe', 'segue', 'seguem', 'os',
  'as', 'um', 'uma', 'uns', 'umas', 'do', 'da', 'dos', 'das', 'na', 'nas', 'em', 'com', 'pra', 'pelo', 'pela', 'isto', 'esse', 'essa',
  'isso', 'artigo', 'informacao', 'informacoes', 'detalhes', 'pode', 'podes', 'podera', 'consultar', 'consulte', 'veja', 'confira',
  'conferir', 'acesse', 'acessar', 'aceda', 'clique', 'clicar', 'visite', 'encontra', 'encontrara', 'central', 'perguntas',
  'resposta', 'tudo', 'precisa', 'precisas', 'obrigado', 'obrigada', 'desculpe', 'desculpa', 'desculpas', 'lamentamos', 'e', 'seu', 'sua',
  'seus', 'suas', 'teu', 'tua', 'nosso', 'nossa', 'nossos', 'nossas', 'sao', 'ajude', 'ajudar', 'guia', 'passos', 'abaixo', 'seguinte',
  'atenciosamente', 'abraco', 'abracos', 'onde', 'como', 'saiba',
]);
// French elisions join the article to the word ("l'article", "d'aide", "qu'il"): the word after it decides.
const ELISION = /^(?:l|d|j|n|s|c|m|t|qu|jusqu|lorsqu|puisqu)'(.+)$/;
const isFiller = (w: string): boolean => FILLER.has(w) || FILLER_I18N.has(w) || (ELISION.test(w) && isFiller(w.replace(ELISION, '$1')));
// "información sobre reembolsos", "infos sur les remboursements", "Infos zur Erstattung": the
// topic of the link, named, not answered (folded text, like ABOUT_TOPIC).
const ABOUT_TOPIC_I18N = /(?<![\p{L}\p{N}])(?:info|infos|informacion|detalles|ayuda|informations?|renseignements|details|aide|informationen|hilfe|einzelheiten|informacao|informacoes|detalhes|ajuda)[ \t]+(?:sobre|acerca[ \t]+de|de|del|sur|concernant|au[ \t]+sujet[ \t]+de|a[ \t]+propos[ \t]+de|uber|zu|zum|zur|do|da|dos|das|referente[ \t]+a|para)[ \t]+(?:(?:tu|su|tus|sus|el|la|los|las|nuestro|nuestra|votre|vos|le|les|nos|notre|dein|deine|deinen|ihre|ihren|ihrem|ihrer|unsere|unser|unseren|den|die|das|dem|der|seu|sua|seus|suas|o|a|os|as|nosso|nossa)[ \t]+)?(?:l'|d')?[\p{L}\p{N}'\-]+/giu;
// "Hola Dana," / "Bonjour Dana,": a capitalised word after a greeting is the name greeted (a
// lower-case one is more likely the reply going on: "hola, reinicia el router").
const SALUTATION_NAME_I18N = new RegExp(
  `(?<![\\p{L}\\p{N}])(${['hola', 'buenas', 'bonjour', 'bonsoir', 'salut', 'hallo', 'moin', 'servus', 'olá', 'ola', 'oi', 'querido', 'querida', 'estimado', 'estimada', 'cher', 'chère', 'liebe', 'lieber', 'prezado', 'prezada', 'gracias', 'merci', 'danke', 'obrigado', 'obrigada']
    .map((g) => `[${g[0]!.toUpperCase()}${g[0]}]${g.slice(1)}`)
    .join('|')})[\\s,]+\\p{Lu}[\\p{L}'’-]*`,
  'gu',
);

// "info on refunds", "details about your order": what the link is about, not an answer.
const ABOUT_TOPIC = /(?<![\p{L}\p{N}])(?:info|information|details|help|guidance|everything|all)[ \t]+(?:on|about|regarding|for|re)[ \t]+(?:(?:your|our|the|a|an|this|that)[ \t]+)?[\p{L}\p{N}'’\-]+/giu;
const GREETING =
  /^(?:hi|hello|hey|hiya|heya|howdy|dear|greetings|good\s+(?:morning|afternoon|evening|day)|morning|afternoon|evening|thanks|thank\s+you|many\s+thanks|sorry|apologies|welcome|hola|buenos|buenas|bonjour|bonsoir|salut|hallo|guten|moin|servus|ciao|buongiorno|salve|olá|ola|oi|hej|hoi|dag|goedemorgen|cześć|dzień\s+dobry|merhaba|namaste)(?![\p{L}\p{N}])/iu;

// "call us on", "email us at", "our number is", "visit our store at": the brand's own contact
// details (a hotline, a support address, a shop) are no personal data. Captures the words
// between the phrase and the match, which must not turn to the customer ("our team will call you on").
const BRAND_CONTACT =
  /(?:(?<![\p{L}\p{N}])(?:call|ring|phone|text|sms|whatsapp|e-?mail|mail|message|contact|reach|write[ \t]+to|visit|find|join|meet)[ \t]+us(?![\p{L}\p{N}])|(?<![\p{L}\p{N}])our[ \t]+(?:[\p{L}\-]+[ \t]+){0,3}?(?:number|numbers|line|lines|hotline|helpline|phone|email|e-mail|mail|address|inbox|store|stores|shop|office|branch|showroom|desk|centre|center|team|headquarters|hq)(?![\p{L}\p{N}]))([^.!?\n]{0,30})$/iu;
const TO_CUSTOMER = /(?<![\p{L}\p{N}])(?:you|your|yours|you're|you’re)(?![\p{L}\p{N}])/iu;

// Asking for personal data in public ("can you reply with your order number?"): the answer lands
// on the timeline. A sentence asks when it has a request word and "your <detail>"; it is fine when
// the reply names a private route anywhere ("DM us your order number", "email us at …", "use the
// link to give your booking number").
const ASKED_DETAILS: ReadonlyArray<readonly [SensitiveKind, string]> = [
  ['order_number', '(?:order|booking|reservation|tracking|ticket|case|reference|confirmation)[ \\t]*(?:number|no\\.?|nr\\.?|#|id|code|ref)'],
  ['account_number', 'account[ \\t]*(?:number|no\\.?|nr\\.?|id|details)'],
  ['card_number', '(?:card|credit[ \\t]+card|debit[ \\t]+card)[ \\t]*(?:number|no\\.?|details)'],
  ['email', 'e-?mail(?:[ \\t]+address)?'],
  ['phone', '(?:(?:phone|mobile|cell|telephone|contact)[ \\t]*(?:number|no\\.?|nr\\.?)|phone|mobile)'],
  ['postal_address', '(?:(?:postal|home|delivery|shipping|billing|street|post)[ \\t]+address|(?<!e-?mail[ \\t]+|ip[ \\t]+|web[ \\t]+)address|postcode|post[ \\t]+code|zip[ \\t]*code)'],
];
const ASKED_DETAIL = new RegExp(`(?<![\\p{L}\\p{N}])(?:${ASKED_DETAILS.map(([, re]) => `(${re})`).join('|')})(?![\\p{L}\\p{N}])`, 'giu');
const YOUR_DETAIL = new RegExp(`(?<![\\p{L}\\p{N}])(?:your|ur)[ \\t]+(?:(?:full|correct|current|new|registered|exact)[ \\t]+)?(?:${ASKED_DETAILS.map(([, re]) => re).join('|')})(?![\\p{L}\\p{N}])`, 'iu');
const ASKING =
  /(?<![\p{L}\p{N}])(?:send|sending|share|sharing|give|provide|reply|respond|post|tweet|comment|tell|let[ \t]+us[ \t]+know|leave|drop|include|confirm|type|write|what(?:'s|’s|[ \t]+is|[ \t]+are|[ \t]+was)|(?:can|could|may)[ \t]+(?:we|i)[ \t]+(?:have|get|take)|need)(?![\p{L}\p{N}])/iu;
const PRIVATE_ROUTE =
  /(?<![\p{L}\p{N}])(?:dm|dms|direct[ \t]+message|private(?:ly)?|in[ \t]+private|message[ \t]+us|inbox|pm|chat[ \t]+message|private[ \t]+mention|e-?mail[ \t]+us|by[ \t]+e-?mail|via[ \t]+e-?mail|call[ \t]+us|phone[ \t]+us|ring[ \t]+us|secure[ \t]+form|web[ \t]*form|contact[ \t]+form|(?:use|via|through|at|on|follow)[ \t]+(?:the|this|our)[ \t]+(?:link|form|page))(?![\p{L}\p{N}])/iu;

/** The kinds of personal data a public reply asks the customer to post, in the order asked. */
function askedInPublic(text: string): SensitiveKind[] {
  const out: SensitiveKind[] = [];
  if (PRIVATE_ROUTE.test(text)) return out;
  for (const sentence of text.split(/(?<=[.!?])\s+|\n+/u)) {
    if (!YOUR_DETAIL.test(sentence) || !ASKING.test(sentence)) continue;
    for (const m of sentence.matchAll(ASKED_DETAIL)) {
      const i = m.slice(1).findIndex((g) => g !== undefined);
      const kind = ASKED_DETAILS[i]?.[0];
      if (kind && !out.includes(kind)) out.push(kind);
    }
  }
  return out;
}

/** Whether a detected e-mail address, phone number or postal address is the brand's own, offered as a way to reach it. */
function brandsOwnContact(text: string, f: { kind: SensitiveKind; start: number }): boolean {
  if (f.kind !== 'email' && f.kind !== 'phone' && f.kind !== 'postal_address') return false;
  const m = BRAND_CONTACT.exec(text.slice(Math.max(0, f.start - 80), f.start));
  return m !== null && !TO_CUSTOMER.test(m[1] ?? '');
}

/** The @handles a reply opens with: leading mentions, or the one greeted ("Hi @dave,"). Lower-cased, without @. */
function addressedHandles(text: string): string[] {
  const out: string[] = [];
  let s = text.trimStart().replace(/^(?:hi|hello|hey|hiya|dear|thanks|thank\s+you|sorry)[\s,]+(?=[@＠])/i, '');
  for (;;) {
    const m = /^[@＠]([\p{L}\p{N}_.\-]+(?:@[\p{L}\p{N}.\-]+)?)[\s,:]*/u.exec(s);
    if (!m) return out;
    out.push(m[1]!.replace(/[.\-]+$/, '').toLowerCase());
    s = s.slice(m[0].length);
  }
}

/** Text without leading @mentions (networks prepend them to replies). */
function withoutLeadingMentions(text: string): string {
  let s = text.trimStart();
  for (;;) {
    const m = /^[@＠][\p{L}\p{N}_.\-]+(?:@[\p{L}\p{N}.\-]+)?[\s,:]*/u.exec(s);
    if (!m || m[0].length === 0) return s;
    s = s.slice(m[0].length);
  }
}

// Titles are not names: "Dr. Jane Doe" is greeted "Hi Jane" (or "Dear Dr Doe").
const HONORIFIC = /^(?:mr|mrs|ms|mx|miss|dr|prof|sir|dame|lord|lady|rev|herr|frau|sr|sra|srta|mme|mlle|m)$/i;

/** The parts of a display name a reply may greet: first name first, then the others ("Mr Smith"). */
function nameParts(name: string): string[] {
  return name.split(/\s+/).map((p) => p.replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}]+$/gu, '')).filter((p) => /\p{L}/u.test(p) && !HONORIFIC.test(p) && (p.length >= 2 || CJK.test(p)));
}
const CJK = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;

/**
 * The name a reply greets the customer by: the first part of their display name that is a name
 * ("Jane" for "Dr. Jane Doe", "Alice" for "🌸 Alice"), or null. Saved replies, the take-it-private
 * offer and its preview all use it, so what the agent is shown is what is posted.
 */
export function greetingFirstName(displayName: string | null | undefined): string | null {
  return nameParts(usableName(displayName) ?? '')[0] ?? null;
}

function nameTokens(customer: ReplyCheckInput['customer']): string[] {
  const out: string[] = [];
  const name = usableName(customer?.name);
  if (name) {
    const first = words(name).find((w) => /\p{L}/u.test(w) && w.length >= 2 && !HONORIFIC.test(w));
    if (first) out.push(foldText(first));
    for (const part of nameParts(name)) out.push(foldText(part));
    if (name.includes(' ')) out.push(foldText(name));
  }
  const handle = (customer?.handle ?? '').replace(/^[@＠]/, '').split('@')[0]!.trim();
  if (handle.length >= 2) out.push(foldText(handle));
  return [...new Set(out)];
}

function containsWord(haystack: string, needle: string): boolean {
  if (!needle) return false;
  // Chinese and Japanese write names without spaces around them ("太郎さん")
  if (CJK.test(needle)) return haystack.includes(needle);
  let from = 0;
  for (;;) {
    const i = haystack.indexOf(needle, from);
    if (i < 0) return false;
    const before = haystack[i - 1];
    const after = haystack[i + needle.length];
    const isWordChar = (c: string | undefined) => c !== undefined && /[\p{L}\p{N}_]/u.test(c);
    if (!isWordChar(before) && !isWordChar(after)) return true;
    from = i + 1;
  }
}

/**
 * A reply's words as the near-duplicate check compares them: links, numbers, @handles and the
 * name after a greeting made alike, so a canned reply with only the customer's name swapped
 * ("Hi Dave, sorry…" / "Hi Alice, sorry…") is still the same reply.
 */
function normalizedWords(text: string): string[] {
  let s = text;
  const urls = findUrls(s, { bareDomains: true });
  for (let i = urls.length - 1; i >= 0; i--) s = `${s.slice(0, urls[i]!.start)} url ${s.slice(urls[i]!.end)}`;
  s = s.replace(/[@＠][\p{L}\p{N}_.\-]+/gu, ' handle ').replace(SALUTATION_NAME, '$1 name');
  return words(foldText(s)).map((w) => (/^\d[\d.,]*$/.test(w) ? '0' : w));
}
const SALUTATION_NAME = /(?<![\p{L}\p{N}])(hi|hello|hey|hiya|dear|thanks|thank you|sorry)[\s,]+(?!there\b|again\b|so\b|for\b|to\b|about\b|that\b|we\b|i\b)[\p{Lu}\p{Ll}][\p{L}'’-]*/giu;

function shingles(tokens: string[], k: number): Set<string> {
  const out = new Set<string>();
  if (tokens.length < k) {
    if (tokens.length > 0) out.add(tokens.join(' '));
    return out;
  }
  for (let i = 0; i + k <= tokens.length; i++) out.add(tokens.slice(i, i + k).join(' '));
  return out;
}

/** Jaccard similarity of two sets (1 for two empty sets). */
export function jaccard(a: ReadonlySet<string>, b: ReadonlySet<string>): number {
  if (a.size === 0 && b.size === 0) return 1;
  const [small, large] = a.size <= b.size ? [a, b] : [b, a];
  let inter = 0;
  for (const x of small) if (large.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/** Similarity of two replies on shingled words (URLs and numbers normalized). */
export function replySimilarity(a: string, b: string, shingleSize = 3): number {
  return jaccard(shingles(normalizedWords(a), shingleSize), shingles(normalizedWords(b), shingleSize));
}

const SEVERITY_ORDER: Record<CheckSeverity, number> = { block: 0, warn: 1, hint: 2 };

/**
 * Runs every check on a draft reply. Never throws on odd text; `ok` is false when any
 * result blocks sending.
 */
export function checkReply(input: ReplyCheckInput): ReplyCheckReport {
  const text = typeof input.text === 'string' ? input.text : '';
  const overrides = input.overrides ?? {};
  const opts = input.options ?? {};
  const results: ReplyCheckResult[] = [];
  const report = (code: ReplyCheckCode, extra: Omit<ReplyCheckResult, 'code' | 'severity' | 'message'> = {}) => {
    const override = overrides[code];
    if (override === 'off') return;
    const def = REPLY_CHECKS[code];
    results.push({ code, severity: override ?? def.severity, message: def.message, ...extra });
  };
  const finish = (): ReplyCheckReport => {
    results.sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] || REPLY_CHECK_CODES.indexOf(a.code) - REPLY_CHECK_CODES.indexOf(b.code));
    return { ok: !results.some((r) => r.severity === 'block'), results };
  };

  if (text.replace(INVISIBLE, '') === '') {
    report('reply.empty');
    return finish();
  }

  const gaps = [...new Set(text.match(PLACEHOLDER) ?? [])];
  if (gaps.length > 0) {
    report('reply.unfilled_placeholder', {
      detail: `Still to fill in: ${gaps.join(', ')}`,
      suggestion: 'Replace each {{…}} with the right words for this customer',
      data: { placeholders: gaps },
    });
  }

  const body = withoutLeadingMentions(text);
  const names = nameTokens(input.customer);

  // Link only, or a link before the answer.
  const urls = findUrls(body, { bareDomains: true });
  if (urls.length > 0) {
    const startsWithLink = urls[0]!.start === body.length - body.trimStart().length;
    let rest = body;
    for (let i = urls.length - 1; i >= 0; i--) rest = rest.slice(0, urls[i]!.start) + ' ' + rest.slice(urls[i]!.end);
    for (const m of findMentions(rest).reverse()) rest = rest.slice(0, m.start) + ' ' + rest.slice(m.end);
    rest = rest.replace(SALUTATION_NAME, '$1').replace(SALUTATION_NAME_I18N, '$1'); // "Hi Alice, …": the name greeted answers nothing
    rest = rest.replace(ABOUT_TOPIC, ' '); // "more information on refunds <link>" names the question, it does not answer it
    const foldedRest = foldText(rest).replace(/[’‘]/g, "'").replace(ABOUT_TOPIC_I18N, ' ');
    const meaningful = words(foldedRest).filter((w) => !isFiller(w) && !names.includes(w) && !/^\d+$/.test(w));
    if (startsWithLink || meaningful.length === 0) {
      report('reply.link_only', {
        detail: startsWithLink ? 'The reply starts with a link' : 'The reply is only a link',
        suggestion: 'Answer the question in your own words, then add the link for details',
        data: { urls: urls.map((u) => u.url) },
      });
    }
  }

  // Length for the network, of what will be posted (on Mastodon the customer's @acct goes in
  // front of a reply that does not mention them), with a ready thread split. A direct message
  // is held to the network's DM limit (X 10,000, Bluesky chat 1,000...), as the composer counts.
  const rule = lengthRuleFor(input.network, input.visibility === 'private' ? 'private' : 'public');
  const handle = input.customer?.handle?.replace(/^@/, '');
  const mentionFirst = !!handle && lengthRule(rule).counter === 'mastodon';
  const posted = mentionFirst ? withMastodonMentions(text, [handle]) : text;
  const m = measure(rule, posted);
  if (m.over) {
    // each part of the thread gets the @acct put in front too: leave room for it
    const room = mentionFirst ? mastodonLength(`@${handle} `) : 0;
    const parts = splitIntoThread(rule, text, { numbering: opts.threadNumbering ?? true, ...(room && lengthRule(rule).limit - room >= 50 ? { limit: lengthRule(rule).limit - room } : {}) });
    report('reply.too_long', {
      detail: m.bytes !== undefined && m.bytes > (m.maxBytes ?? Infinity) ? `${m.bytes}/${m.maxBytes} bytes` : `${m.length}/${m.limit}${posted !== text ? `, with the @${handle} put in front` : ''}`,
      suggestion: `Send it as a thread of ${parts.length} posts`,
      data: { length: m.length, limit: m.limit, unit: m.unit, parts },
    });
  }

  // Robotic: a near-copy of the agent's own recent replies.
  const recent = (input.recentReplies ?? []).slice(0, Math.max(0, opts.recentLimit ?? 20));
  if (recent.length > 0) {
    const k = Math.max(1, Math.floor(opts.shingleSize ?? 3));
    const threshold = opts.duplicateThreshold ?? 0.8;
    const own = normalizedWords(text);
    if (own.length >= 4) {
      const mine = shingles(own, k);
      let best = 0;
      let bestIndex = -1;
      recent.forEach((r, i) => {
        if (typeof r !== 'string') return;
        const sim = jaccard(mine, shingles(normalizedWords(r), k));
        if (sim > best) {
          best = sim;
          bestIndex = i;
        }
      });
      if (best >= threshold) {
        report('reply.near_duplicate', {
          detail: `${Math.round(best * 100)}% the same as a reply you sent recently`,
          suggestion: 'Rephrase it for this customer and their question',
          data: { similarity: best, recentIndex: bestIndex },
        });
      }
    }
  }

  // Personal data in public.
  if (input.visibility === 'public') {
    const found = detectSensitive(text).filter((f) => !brandsOwnContact(text, f));
    // asking for it in public is as bad: the customer's answer lands on the timeline
    const requested = askedInPublic(text);
    if (found.length > 0 || requested.length > 0) {
      const kinds = [...new Set([...found.map((f) => f.kind), ...requested])] as SensitiveKind[];
      const network = typeof input.network === 'string' ? input.network : null;
      const offer =
        network && input.conversationId
          ? privateOffer({ network, conversationId: input.conversationId, customerName: greetingFirstName(input.customer?.name) ?? input.customer?.handle?.replace(/^[@＠]/, '').split('@')[0] ?? null, reason: 'personal_data' })
          : null;
      const contains = found.length > 0 ? `Contains ${[...new Set(found.map((f) => f.kind))].map(sensitiveLabel).join(', ')}` : '';
      const asks = requested.length > 0 ? `${contains ? 'asks' : 'Asks'} for their ${requested.map(sensitiveLabel).join(', ')} in public` : '';
      report('reply.personal_data', {
        detail: [contains, asks].filter(Boolean).join('; '),
        suggestion: offer ? `Take it private, e.g. “${offer.text}”` : 'Take it private: ask the customer to message you privately',
        data: { kinds, matches: found.map(({ kind, start, end }) => ({ kind, start, end })), requested, privateOffer: offer?.text ?? null },
      });
    }
  }

  // Shouting.
  let plain = body;
  for (const u of findUrls(plain, { bareDomains: true }).reverse()) plain = plain.slice(0, u.start) + plain.slice(u.end);
  plain = plain.replace(/[#@＠][\p{L}\p{N}_.\-]+/gu, '');
  const upper = plain.match(/\p{Lu}/gu)?.length ?? 0;
  const lowerCount = plain.match(/\p{Ll}/gu)?.length ?? 0;
  if (upper + lowerCount >= 12 && upper / (upper + lowerCount) >= 0.7) {
    report('reply.shouting', {
      detail: `${Math.round((upper / (upper + lowerCount)) * 100)}% capitals`,
      suggestion: 'Write in sentence case; emphasise with words, not capitals',
      data: { upperRatio: upper / (upper + lowerCount) },
    });
  }

  // Greeting and name.
  const folded = foldText(body);
  const greetName = nameParts(usableName(input.customer?.name) ?? '')[0] ?? null;
  if (opts.expectGreeting !== false) {
    const startsWithName = names.some((n) => folded.startsWith(n));
    if (!GREETING.test(body.trimStart()) && !startsWithName) {
      report('reply.no_greeting', { suggestion: greetName ? `Start with “Hi ${greetName},”` : 'Start with a short greeting such as “Hi,”' });
    }
  }
  if (names.length > 0 && !names.some((n) => containsWord(folded, n))) {
    report('reply.no_name', { suggestion: greetName ? `Address them by name, e.g. “Hi ${greetName},”` : "Address them by their name or handle" });
  }

  // Addressed to someone else: the @handles a reply opens with (or greets) notify those people,
  // and none of them is this customer: a reply pasted from another conversation, or a slip.
  const customerHandle = (input.customer?.handle ?? '').replace(/^[@＠]/, '').trim().toLowerCase();
  if (customerHandle) {
    const addressed = addressedHandles(text);
    const isCustomer = (h: string) => h === customerHandle || h.split('@')[0] === customerHandle.split('@')[0];
    if (addressed.length > 0 && !addressed.some(isCustomer)) {
      report('reply.wrong_person', {
        detail: `Addressed to ${addressed.map((h) => `@${h}`).join(', ')}, but this customer is @${customerHandle}`,
        suggestion: `Check the conversation, then address @${customerHandle}`,
        data: { addressed, customer: customerHandle },
      });
    }
  }

  // Stock corporate phrasing ("We apologize for any inconvenience", "Dear valued customer"): sounds like a robot.
  const stock = findStockPhrases(text);
  if (stock.length > 0) {
    report('reply.stock_phrase', {
      detail: `Stock phrase: ${stock.map((h) => `“${h.text.replace(/\s+/g, ' ')}”`).join(', ')}`,
      suggestion: stock[0]!.suggestion,
      data: { phrases: stock.map(({ text: found, phrase, language, suggestion, start, end }) => ({ text: found, phrase, language, suggestion, start, end })) },
    });
  }

  return finish();
}
