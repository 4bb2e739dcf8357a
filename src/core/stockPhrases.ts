/**
 * Stock corporate phrasing: the boilerplate that makes a brand sound like a robot ("We apologize
 * for any inconvenience this may have caused", "Your feedback is important to us", "Dear valued
 * customer"). A small curated list in English, Spanish, French, German and Portuguese, each with
 * a plain, human alternative to suggest.
 *
 * Matching is on whole words, ignoring case and accents ("Estimado cliente" ~ "estimado
 * cliente", "opinião" ~ "opiniao"), with any run of spaces between words and curly apostrophes
 * taken as straight ones. Patterns are written folded (lower case, no accents); the span
 * reported is the one in the original text, so the composer can name exactly what it found.
 *
 * Only phrases that are boilerplate wherever they appear are listed: "sorry for the wait" or
 * "thanks for reaching out" are ordinary and pass; "thanks for reaching out regarding your
 * concern" (a concern it never names) does not.
 */

import { wellFormed } from './wf_text.js';

export type StockPhraseLanguage = 'en' | 'es' | 'fr' | 'de' | 'pt';

export interface StockPhrase {
  language: StockPhraseLanguage;
  /** The phrase as people know it, for lists and help text. */
  phrase: string;
  /** A regular expression source over folded text (lower case, no accents, `'` for apostrophes); spaces match any whitespace. */
  pattern: string;
  /** A plain, human way to say it instead. */
  suggestion: string;
}

const SORRY_EN = 'Say sorry for the actual problem, e.g. “Sorry about the wait on your order”';
const FEEDBACK_EN = 'Show it: “Thanks for telling us — I’ve passed this to the store team”';

/** The curated list. */
export const STOCK_PHRASES: readonly StockPhrase[] = [
  // English
  { language: 'en', phrase: 'We apologize for any inconvenience', pattern: "(?:we (?:sincerely |deeply )?(?:apologi[sz]e|are sorry|'re sorry)|(?:our )?(?:sincere )?apologies|(?:so )?sorry) for (?:any|the|all the) inconvenience(?:s)?(?: (?:this|that|it) (?:may|might) have caused(?: you)?| caused(?: to you)?| (?:this|that|it) (?:has )?caused(?: you)?)?", suggestion: SORRY_EN },
  { language: 'en', phrase: 'Your feedback is important to us', pattern: '(?:your|all) (?:feedback|call|business|satisfaction|opinion|opinions|comments|custom|concern|concerns) (?:is|are) (?:very |extremely |really |incredibly )?(?:important|valuable) to us', suggestion: FEEDBACK_EN },
  { language: 'en', phrase: 'Dear valued customer', pattern: '(?:dear|our) valued (?:customer|client|guest|member)s?|dear (?:customer|client|sir or madam|sir/madam)', suggestion: 'Greet them by name: “Hi Dana,”' },
  { language: 'en', phrase: 'Please be advised', pattern: '(?:please|kindly) be (?:advised|informed)', suggestion: 'Just say it: “Heads up — the store closes at 6 today”' },
  { language: 'en', phrase: 'We regret to inform you', pattern: '(?:we|i) regret to (?:inform|advise|tell) you', suggestion: 'Be direct and kind: “I’m sorry, but we can’t refund this one”' },
  { language: 'en', phrase: 'Thank you for reaching out to us regarding your concern', pattern: "(?:thank you|thanks) for (?:reaching out|contacting us|getting in touch|writing in|your (?:message|tweet|inquiry|enquiry))(?: to us| with us)? (?:regarding|concerning|with regards? to|in regards? to|about) (?:your|this|the) (?:concern|inquiry|enquiry|query|matter|issue)", suggestion: 'Name what they wrote about: “Thanks for letting us know about the late delivery”' },
  { language: 'en', phrase: 'Thank you for bringing this to our attention', pattern: '(?:thank you|thanks) for bringing (?:this|that|it) (?:matter )?to our attention', suggestion: 'Thank them plainly: “Thanks for flagging this”' },
  { language: 'en', phrase: 'We appreciate your patience and understanding', pattern: '(?:appreciate|thank you for|thanks for) your (?:continued )?patience and understanding', suggestion: 'Thank them for something specific: “Thanks for bearing with us while we sort your refund”' },
  { language: 'en', phrase: 'At your earliest convenience', pattern: 'at your earliest convenience', suggestion: 'Say “when you have a moment”' },
  { language: 'en', phrase: 'Please do not hesitate to contact us', pattern: 'please do not hesitate to (?:contact|reach out to|get in touch with) us', suggestion: 'Say “Just reply here if anything else comes up”' },
  { language: 'en', phrase: 'Please rest assured', pattern: 'please rest assured', suggestion: 'Say what will happen: “We’ll check it today and let you know”' },
  // Spanish
  { language: 'es', phrase: 'Lamentamos las molestias ocasionadas', pattern: '(?:lamentamos|sentimos|disculpe|disculpen|disculpa|perdone|perdonen|pedimos (?:disculpas|perdon)(?: por)?)(?: (?:por|de))? (?:cualquier|cualquiera|las|los|toda|todas|todo|todos|el|la|posibles|posible) (?:molestias?|inconvenientes?)(?: (?:ocasionad[oa]s?|causad[oa]s?|que (?:esto |le |les )?(?:haya|hayan|pueda|puedan) (?:haber )?(?:causado|ocasionado)))?', suggestion: 'Pide perdón por lo que pasó: “Sentimos el retraso con tu pedido”' },
  { language: 'es', phrase: 'Su opinión es importante para nosotros', pattern: '(?:su|tu|sus|tus) (?:opinion|opiniones|comentarios?|satisfaccion|llamada|consulta) (?:es|son) (?:muy |sumamente |realmente )?(?:importantes?|valios[oa]s?) para nosotros', suggestion: 'Demuéstralo: “Gracias por contárnoslo, ya se lo pasamos al equipo de la tienda”' },
  { language: 'es', phrase: 'Estimado cliente', pattern: '(?:estimad[oa]|apreciad[oa]|querid[oa]|distinguid[oa]) (?:client[ea]|usuari[oa])s?', suggestion: 'Salúdale por su nombre: “Hola Dana,”' },
  { language: 'es', phrase: 'Le informamos que', pattern: '(?:le|les) (?:informamos|comunicamos|notificamos) que|lamentamos (?:informarle|comunicarle|informarte|comunicarte)(?:s)?(?: que)?', suggestion: 'Dilo sin más: “Te cuento: la tienda cierra hoy a las 6”' },
  { language: 'es', phrase: 'Gracias por contactarnos en relación a su consulta', pattern: 'gracias por (?:contactar(?:nos|con nosotros)?|ponerse en contacto(?: con nosotros)?|comunicarse con nosotros|escribirnos) (?:en relacion (?:a|con)|con respecto a|respecto a|acerca de|sobre) (?:su|tu) (?:consulta|inquietud|solicitud|caso)', suggestion: 'Nombra su caso: “Gracias por avisarnos del retraso en la entrega”' },
  // French
  { language: 'fr', phrase: 'Nous nous excusons pour la gêne occasionnée', pattern: "(?:nous (?:nous )?excusons|(?:nous sommes |sommes )?desole(?:e)?s?|veuillez (?:nous )?excuser|toutes nos excuses) (?:pour|de) (?:la gene|le desagrement|les desagrements|tout desagrement|toute gene|les inconvenients|tout inconvenient)(?: (?:occasionne(?:e)?s?|cause(?:e)?s?))?|(?:pour|de) (?:la gene|le desagrement|les desagrements) occasionne(?:e)?s?", suggestion: 'Excusez-vous pour le vrai problème : « Désolés pour le retard de votre commande »' },
  { language: 'fr', phrase: 'Votre avis est important pour nous', pattern: '(?:votre|vos) (?:avis|satisfaction|retours?|commentaires|appel) (?:est|sont|nous est|nous sont) (?:tres |extremement )?(?:importante?s?|precieux|precieuses?)(?: pour nous)?', suggestion: 'Montrez-le : « Merci de nous l’avoir dit, je transmets à l’équipe du magasin »' },
  { language: 'fr', phrase: 'Cher client', pattern: '(?:cher|chere|chers|cheres)(?: \\(e\\))? (?:client|cliente|clients|clientes|client\\(e\\)|utilisateur|utilisatrice)', suggestion: 'Saluez la personne par son nom : « Bonjour Dana, »' },
  { language: 'fr', phrase: 'Nous avons le regret de vous informer', pattern: "nous avons le regret de vous (?:informer|annoncer)|nous vous informons que|nous tenons a vous informer que", suggestion: 'Dites-le simplement : « Désolé, nous ne pouvons pas rembourser cette commande »' },
  { language: 'fr', phrase: 'Merci de nous avoir contactés concernant votre demande', pattern: "merci (?:de nous avoir contacte(?:e)?s?|d'avoir contacte notre service(?: client)?|d'avoir pris contact avec nous|pour votre message) (?:concernant|au sujet de|a propos de|relatif a) votre (?:demande|requete|preoccupation|probleme|dossier)", suggestion: 'Nommez le sujet : « Merci de nous avoir signalé le retard de livraison »' },
  // German
  { language: 'de', phrase: 'Wir entschuldigen uns für etwaige Unannehmlichkeiten', pattern: '(?:etwaige|eventuelle|entstandene|entstandenen|jegliche|alle) unannehmlichkeiten|unannehmlichkeiten,? die (?:ihnen |dir |euch )?(?:dadurch |hierdurch )?entstanden sind|(?:wir )?entschuldigen (?:uns |sie )?(?:bitte )?(?:fur )?die unannehmlichkeiten', suggestion: 'Entschuldige dich für das echte Problem: „Sorry, dass deine Bestellung so lange dauert“' },
  { language: 'de', phrase: 'Ihre Meinung ist uns wichtig', pattern: '(?:ihre|deine|eure) (?:meinung|zufriedenheit|ruckmeldung|feedback|anliegen|anfrage) (?:ist|sind) uns (?:sehr |besonders |ausserst )?(?:wichtig|wertvoll)', suggestion: 'Zeig es: „Danke für den Hinweis, ich gebe es ans Team im Laden weiter“' },
  { language: 'de', phrase: 'Sehr geehrter Kunde', pattern: '(?:sehr geehrte|sehr geehrter|geschatzte|geschatzter|liebe|lieber|werte|werter) (?:kundin|kunde|kundinnen|kunden|kundschaft|nutzerin|nutzer)|sehr geehrte damen und herren', suggestion: 'Sprich die Person mit Namen an: „Hallo Dana,“' },
  { language: 'de', phrase: 'Wir müssen Ihnen leider mitteilen', pattern: '(?:wir|ich) (?:mussen|muss) (?:ihnen|dir|euch) leider mitteilen|(?:wir bedauern|bedauerlicherweise mussen wir),? (?:ihnen|dir|euch) mit(?:zu)?teilen(?: zu mussen)?|wir mochten (?:sie|dich|euch) darauf hinweisen', suggestion: 'Sag es direkt und freundlich: „Tut mir leid, diese Bestellung können wir nicht erstatten“' },
  { language: 'de', phrase: 'Vielen Dank für Ihre Kontaktaufnahme bezüglich Ihres Anliegens', pattern: '(?:vielen )?dank fur (?:ihre|deine) kontaktaufnahme|bezuglich (?:ihres|deines) anliegens', suggestion: 'Nenne das Thema: „Danke, dass du uns von der späten Lieferung erzählst“' },
  // Portuguese
  { language: 'pt', phrase: 'Pedimos desculpas por qualquer inconveniente', pattern: '(?:pedimos desculpas?|lamentamos|desculpe|desculpa|desculpem|sentimos muito)(?: (?:por|pelo|pelos|pela|pelas))? (?:qualquer|quaisquer|o|os|eventual|eventuais|todo o|todos os) (?:inconveniente|inconvenientes|transtorno|transtornos|incomodo|incomodos)(?: (?:causad[oa]s?|gerad[oa]s?|ocasionad[oa]s?))?', suggestion: 'Peça desculpa pelo problema real: “Desculpe a demora com o seu pedido”' },
  { language: 'pt', phrase: 'Sua opinião é importante para nós', pattern: '(?:a )?(?:sua|tua|seu|teu) (?:opiniao|satisfacao|feedback|contato|contacto|chamada) e (?:muito |extremamente )?(?:importante|valios[oa]) para nos', suggestion: 'Mostre isso: “Obrigado por nos contar, já passei para a equipe da loja”' },
  { language: 'pt', phrase: 'Prezado cliente', pattern: '(?:prezad[oa]|car[oa]|estimad[oa]|querid[oa]) (?:cliente|clientes|usuari[oa]|utilizador(?:a)?)', suggestion: 'Cumprimente pelo nome: “Olá Dana,”' },
  { language: 'pt', phrase: 'Lamentamos informar que', pattern: '(?:lamentamos|lamento) (?:informar|comunicar)(?:-lhe|-te| lhe| te)?(?: que)?|gostariamos de (?:informar|comunicar)(?:-lhe| lhe)? que', suggestion: 'Diga de forma direta e gentil: “Desculpe, não conseguimos reembolsar este pedido”' },
  { language: 'pt', phrase: 'Obrigado por entrar em contato sobre sua solicitação', pattern: '(?:obrigad[oa]|agradecemos) (?:por|pelo) (?:entrar em contato|nos contatar|nos contactar|o seu contato|seu contato|contato|contacto)(?: conosco)? (?:sobre|referente a|a respeito d[ae]|em relacao a) (?:a )?(?:sua|tua) (?:solicitacao|duvida|preocupacao|questao|reclamacao)', suggestion: 'Diga o assunto: “Obrigado por avisar sobre o atraso na entrega”' },
];

/** One stock phrase found in a text. */
export interface StockPhraseHit {
  /** The words as written in the text. */
  text: string;
  /** The phrase as people know it (`StockPhrase.phrase`). */
  phrase: string;
  language: StockPhraseLanguage;
  suggestion: string;
  /** UTF-16 offsets into the original text. */
  start: number;
  end: number;
}

const MARKS = /\p{M}+/gu;
const APOSTROPHES = /[’‘ʼ`´]/gu;

/**
 * The text folded for matching (lower case, compatibility forms and accents removed, curly
 * apostrophes straight), with the original offset of every folded character, so a match is
 * reported on the text as written. Folding one code point at a time keeps the mapping exact
 * when folding changes lengths ("ﬁ" → "fi", "İ" → "i").
 */
function foldWithOffsets(text: string): { folded: string; at: number[] } {
  let folded = '';
  const at: number[] = [];
  let i = 0;
  for (const ch of text) {
    const f = ch.normalize('NFKD').replace(MARKS, '').toLowerCase().replace(MARKS, '').replace(APOSTROPHES, "'");
    for (let k = 0; k < f.length; k++) at.push(i);
    folded += f;
    i += ch.length;
  }
  at.push(i);
  return { folded, at };
}

let compiled: Array<{ entry: StockPhrase; re: RegExp }> | null = null;

function matchers(): Array<{ entry: StockPhrase; re: RegExp }> {
  compiled ??= STOCK_PHRASES.map((entry) => ({
    entry,
    // whole words only: no letter or digit may touch either end
    re: new RegExp(`(?<![\\p{L}\\p{N}])(?:${entry.pattern.replace(/ /g, '\\s+')})(?![\\p{L}\\p{N}])`, 'gu'),
  }));
  return compiled;
}

/**
 * The stock phrases a text uses, in the order they appear (overlapping hits of two entries
 * are reported once, the earlier and longer first). Never throws on odd text.
 */
export function findStockPhrases(text: string): StockPhraseHit[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const { folded, at } = foldWithOffsets(wellFormed(text));
  const hits: StockPhraseHit[] = [];
  for (const { entry, re } of matchers()) {
    re.lastIndex = 0;
    for (const m of folded.matchAll(re)) {
      const start = at[m.index]!;
      const end = at[m.index + m[0].length]!;
      hits.push({ text: text.slice(start, end), phrase: entry.phrase, language: entry.language, suggestion: entry.suggestion, start, end });
    }
  }
  hits.sort((a, b) => a.start - b.start || b.end - a.end);
  const out: StockPhraseHit[] = [];
  for (const h of hits) if (!out.some((o) => h.start < o.end && o.start < h.end)) out.push(h);
  return out;
}
