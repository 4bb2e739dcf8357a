/**
 * Hand-written cue lexicons (our own work, Apache-2.0 like the rest of Parley).
 * They feed the linear models as features and give the human-readable reasons
 * ("complaint cues: 'still waiting', 'charged twice'"). Phrases are matched on the
 * normalized token sequence from `tokenize` (lowercase, digits → 0, `@user`, `httpurl`).
 *
 * Keep entries to things a care agent would agree with; every list is English-first
 * (see docs/model-card.md: known weaknesses).
 */

export type CueKind =
  | 'complaint'
  | 'problem'
  | 'accolade'
  | 'thanks'
  | 'chaser'
  | 'spam'
  | 'marketing'
  | 'profanity'
  | 'insult'
  | 'urgency'
  | 'question'
  | 'closing'
  | 'outage'
  | 'delivery'
  | 'negation';

const LISTS: Record<CueKind, string[]> = {
  // Dissatisfaction, blame, threats to leave: what makes a message a complaint.
  complaint: [
    'worst', 'terrible', 'horrible', 'awful', 'pathetic', 'useless', 'ridiculous', 'unacceptable', 'disgusting', 'disgrace',
    'disgraceful', 'appalling', 'shocking', 'disappointed', 'disappointing', 'disappointment', 'frustrated', 'frustrating',
    'annoyed', 'annoying', 'fed up', 'sick of', 'tired of', 'poor service', 'bad service', 'poor customer service',
    'terrible service', 'rude', 'scam', 'ripped off', 'rip off', 'rip-off', 'fail', 'epic fail', 'not happy', 'nothappy',
    'not impressed', 'unhappy', 'joke', 'a joke', 'shambles', 'sucks', 'suck', 'never again', 'never using', 'never buy',
    'never buying', 'never shop', 'never fly', 'last time i', 'switching to', 'i want my money back', 'money back',
    'complaint', 'complain', 'complaining', 'smh', 'ugh', 'wtf', 'seriously', 'how hard is it', 'how hard can it be',
    "what's going on", 'what is going on', 'lemon', 'incompetent', 'incompetence', 'shame on', 'no excuse', 'inexcusable',
    'not acceptable', 'lied', 'lying', 'liars', 'false advertising', 'misleading', 'hate', 'ruined', 'nightmare', 'fuming',
    'furious', 'angry', 'outraged', 'livid', 'gutted', 'thanks for nothing', 'waste of', 'wasted', 'lost a customer',
    'losing a customer', 'lose a customer', 'unhappycustomer', 'customerservicefail', 'badservice', 'fix this', 'fix it',
    'sort it out', 'sort this out', 'do better', 'get it together', 'zero stars', 'one star', '0 stars', 'cancel my',
    'cancelling my', 'canceling my', 'still', 'again', 'yet again', 'every time', 'every single time', 'keeps', 'keep getting',
  ],
  // Something is broken, missing or wrong: the concrete problem report.
  problem: [
    'not working', "doesn't work", 'does not work', "isn't working", 'is not working', "won't work", 'stopped working',
    "won't load", 'not loading', "doesn't load", 'keeps crashing', 'crashing', 'crashed', 'crashes', 'error', 'errors',
    'error message', 'glitch', 'glitching', 'bug', 'bugs', 'broken', 'broke', "can't", 'cannot', "couldn't", 'unable to',
    "won't let me", 'not letting me', 'still not', 'still no', 'still waiting', "still haven't", "still hasn't",
    'still have not', 'still has not', 'never received', 'never arrived', 'never got', "hasn't arrived", 'has not arrived',
    "didn't arrive", 'not arrived', 'not received', "haven't received", 'have not received', "didn't receive",
    'did not receive', 'not delivered', "wasn't delivered", 'missing', 'lost', 'wrong', 'wrong order', 'wrong item',
    'wrong address', 'charged twice', 'double charged', 'charged me twice', 'overcharged', 'over charged', 'charged me',
    'extra charge', 'no refund', 'refund', 'cancelled', 'canceled', 'delayed', 'delay', 'delays', 'late', 'waited',
    'on hold', 'no one', 'nobody', 'no response', 'no reply', 'no answer', 'ignored', 'ignoring', 'no service',
    'no signal', 'no internet', 'no wifi', 'no power', 'slow', 'expired', 'damaged', 'defective', 'faulty', 'leak',
    'leaking', 'issue', 'issues', 'problem', 'problems', 'trouble', 'declined', 'locked out', 'been charged', 'overdraft',
    'stuck', 'failed', 'fails', 'keeps failing', 'not showing', 'disappeared', 'out of stock', 'sold out', 'hours',
    'days', 'weeks', 'a week', '0 weeks', '0 days', '0 hours', 'since', 'freezes', 'frozen', 'dropped', 'dropping',
    'cut off', 'cuts out', 'went down', 'is down', 'are down',
  ],
  accolade: [
    'thank you so much', 'thanks so much', 'love you', 'love it', 'love this', 'love your', 'i love', 'loving', 'great service',
    'great job', 'great work', 'great help', 'excellent service', 'amazing service', 'awesome service', 'brilliant service',
    'great customer service', 'amazing customer service', 'best customer service', 'awesome', 'amazing', 'brilliant',
    'fantastic', 'excellent', 'outstanding', 'superb', 'wonderful', 'the best', 'best ever', 'appreciate it', 'appreciate you',
    'much appreciated', 'really appreciate', 'kudos', 'shout out', 'shoutout', 'props to', 'well done', 'you rock', 'you guys rock',
    'legend', 'legends', 'impressed', 'above and beyond', 'so helpful', 'very helpful', 'really helpful', 'super helpful',
    'quick response', 'fast response', 'quick reply', 'made my day', 'made my night', 'you made', 'happy customer',
    'fanforlife', 'loyal customer', '<3', '❤', '😍', '🙌', '👏', '🙏', '😊', '☺',
  ],
  thanks: ['thanks', 'thank you', 'thank u', 'thx', 'thnx', 'thanx', 'ty', 'tysm', 'cheers', 'appreciate', 'appreciated', 'grateful', 'merci', 'gracias', 'danke', 'obrigado', 'grazie'],
  chaser: [
    'still waiting', 'still no reply', 'still no response', 'still no answer', 'still no update', 'still nothing',
    "still haven't heard", 'still have not heard', "haven't heard back", 'have not heard back', 'not heard back',
    'no reply yet', 'no response yet', 'no answer yet', 'any update', 'any updates', 'any news', 'any response',
    'any reply', 'any word', 'anyone there', 'anybody there', 'is anyone there', 'anyone home', 'anybody home',
    'hello ??', 'hello ?', 'hellooo', 'helloo', 'hello ?!', 'hi ??', 'ping', 'bump', 'waiting for a reply',
    'waiting for your reply', 'waiting for a response', 'waiting for your response', 'waiting on a reply',
    'waiting on a response', 'been waiting', 'waiting since', 'why no reply', 'why no response', 'why are you ignoring',
    'stop ignoring', 'ignoring me', 'ignoring my', 'answer me', 'respond please', 'please respond', 'please reply',
    'please answer', 'reply please', 'reply to me', 'respond to me', 'get back to me', 'following up', 'follow up on',
    'chasing', 'as per my last', 'did you get my', 'did you see my', 'any chance of a reply', 'no one has replied',
    'nobody has replied', 'no one replied', 'nobody replied', 'no one has responded', 'nobody has responded', 'yet to hear',
    'yet to receive a reply', 'still nobody', 'still no one', '??',
  ],
  spam: [
    'free', 'win', 'winner', 'won', 'prize', 'cash prize', 'claim', 'claim now', 'click here', 'click the link', 'visit',
    'subscribe', 'subscribe to my', 'check out my', 'check my channel', 'my channel', 'my video', 'my page', 'follow me',
    'follow back', 'followback', 'f4f', 'like4like', 'l4l', 'sub4sub', 'dm me for', 'earn', 'earn money', 'make money',
    'work from home', 'per day', 'per week', 'bitcoin', 'crypto', 'investment', 'invest', 'guaranteed', 'limited time',
    'offer', 'discount code', 'promo code', 'txt', 'text', 'reply stop', 'stop to', 'call now', 'urgent', 'congratulations',
    'congrats you', 'selected', 'gift card', 'giftcard', 'voucher', 'loan', 'casino', 'viagra', 'xxx', 'sexy', 'hot singles',
    'onlyfans', 'promo', 'cheap', 'buy now', 'order now', 'act now', '£', 'ringtone', 'nokia', 'awarded',
    'tone', 'mins', 'weekly', 'unsubscribe', 'opt out', 'per min', 'landline', 'valid 0', 'cust care',
    'check out', 'please subscribe', 'pls subscribe', 'sub to', 'visit my', 'watch my', 'like my', 'share my',
  ],
  marketing: [
    'partnership', 'partner with', 'collab', 'collaboration', 'collaborate', 'sponsor', 'sponsorship', 'sponsored',
    'influencer', 'ambassador', 'brand ambassador', 'pr team', 'press', 'press release', 'media inquiry', 'media enquiry',
    'interview', 'campaign', 'advert', 'advertisement', 'commercial', 'ad campaign', 'your ad', 'your advert', 'new ad',
    'giveaway', 'contest', 'competition', 'promo', 'promotion', 'launch', 'new product', 'new flavour', 'new flavor',
    'bring back', 'please bring', 'you should make', 'you should sell', 'suggestion', 'idea for', 'feature request',
    'logo', 'slogan', 'merch', 'event', 'sponsoring', 'marketing', 'business inquiry', 'business enquiry',
  ],
  profanity: [
    'fuck', 'fucking', 'fucked', 'fuckin', 'fck', 'fk', 'shit', 'shitty', 'bullshit', 'bs', 'crap', 'crappy', 'damn',
    'dammit', 'hell', 'ass', 'asshole', 'bitch', 'bitches', 'bastard', 'bastards', 'piss', 'pissed', 'dick', 'dicks',
    'cunt', 'twat', 'wanker', 'motherfucker', 'mf', 'wtf', 'stfu', 'gtfo',
  ],
  // Personal attacks: trolling rather than a customer with a problem.
  insult: [
    'idiot', 'idiots', 'stupid', 'moron', 'morons', 'retard', 'retarded', 'dumb', 'dumbass', 'loser', 'losers', 'clown',
    'clowns', 'scum', 'scumbag', 'trash', 'garbage', 'pig', 'pigs', 'kill yourself', 'kys', 'die', 'go die',
    'shut up', 'fuck you', 'fuck off', 'screw you', 'piece of shit', 'you suck', 'ugly', 'fat', 'whore', 'slut',
    'nazi', 'nazis', 'libtard', 'snowflake', 'troll', 'pathetic loser',
  ],
  urgency: [
    'urgent', 'urgently', 'asap', 'emergency', 'immediately', 'right now', 'right away', 'help me', 'please help',
    'need help', 'stranded', 'stuck at', 'flight leaves', 'missed my flight', 'medical', 'hospital', 'fraud',
    'fraudulent', 'stolen', 'hacked', 'scammed', 'identity theft', 'unauthorized', 'unauthorised', 'safety', 'unsafe',
    'dangerous', 'danger', 'fire', 'injured', 'injury', 'allergic', 'allergy', 'food poisoning', 'sick', 'legal action',
    'lawyer', 'sue', 'suing', 'ombudsman', 'trading standards', 'bbb', 'no heat', 'no water', 'no power', 'disabled',
    'wheelchair', 'blind', 'baby', 'child',
  ],
  question: [
    'how do i', 'how can i', 'how to', 'how long', 'how much', 'how many', 'can i', 'can you', 'could you', 'would you',
    'do you', 'does it', 'is there', 'are there', 'is it', 'will you', 'will it', 'when will', 'when is', 'when does',
    'where is', 'where can', 'where do', 'what is', "what's", 'what are', 'which', 'why is', 'why does', "why can't",
    "why won't", 'why did', 'any idea', 'wondering', 'i was wondering', 'is this', 'help me', 'please help', 'need help',
    'need to know', 'want to know', 'let me know', 'can someone', 'can anyone', 'does anyone',
  ],
  // Conversation closers that do not need an answer.
  closing: [
    'thanks', 'thank you', 'thank u', 'thx', 'ty', 'cheers', 'ok', 'okay', 'k', 'kk', 'ok thanks', 'okay thanks',
    'will do', 'i will', "i'll do that", "i'll try", 'i will try', 'sure', 'great', 'perfect', 'cool', 'awesome', 'got it',
    'done', 'dm sent', "dm'd", 'dmd', 'sent', 'sent you a dm', 'just dmed', 'just sent', 'all good', 'all sorted',
    'sorted', 'solved', 'resolved', 'fixed', 'it worked', 'that worked', 'works now', 'working now', 'no worries',
    'np', 'you too', 'same to you', 'bye', 'have a good', 'have a great', 'have a nice', 'lol', 'haha', 'yep', 'yes',
    'yup', 'nope', 'no', 'np', 'noted', 'understood', 'followed', 'following', 'good night', 'goodnight', 'much appreciated',
    'appreciate it', 'nvm', 'never mind', 'nevermind', 'figured it out', 'figured out',
  ],
  outage: [
    'down', 'is down', 'are down', 'outage', 'outages', 'not loading', "won't load", 'no service', 'no signal',
    'no internet', 'no wifi', 'no connection', "can't connect", 'cannot connect', 'unable to connect', 'offline',
    'server', 'servers', 'service down', 'site down', 'app down', 'website down', 'not responding', 'connection',
    'disconnected', 'dropped', 'cuts out', 'keeps dropping', 'network', 'internet', 'wifi', 'signal', '0g', 'lte',
    'streaming', 'buffering', 'error 0',
  ],
  delivery: [
    'delivery', 'delivered', 'deliver', 'shipping', 'shipped', 'ship', 'shipment', 'package', 'parcel', 'tracking',
    'track my', 'courier', 'driver', 'order', 'ordered', 'my order', 'arrive', 'arrived', 'arrival', 'dispatch',
    'dispatched', 'postage', 'post', 'mail', 'ups', 'fedex', 'usps', 'dhl', 'royal mail', 'hermes', 'amazon logistics',
    'collection', 'pickup', 'pick up', 'luggage', 'baggage', 'bag', 'bags',
  ],
  negation: ['not', 'no', 'never', "don't", "doesn't", "didn't", "isn't", "wasn't", "aren't", "won't", "can't", 'cannot', 'nothing', 'nobody', "haven't", "hasn't", "couldn't", "shouldn't", 'without', 'nor', 'neither'],
};

/** Tokenize a phrase the way `tokenize` does for message text. */
function splitPhrase(p: string): string[] {
  return p
    .toLowerCase()
    .replace(/\d+/g, '0')
    .replace(/([!?]+)/g, ' $1 ')
    .split(/\s+/)
    .filter(Boolean)
    .map((w) => (/^[!?]+$/.test(w) ? (w.length > 1 ? w[0]! + w[0]! : w) : w));
}

/** The raw phrase list (for documentation and tests). */
export function cuePhrases(kind: CueKind): readonly string[] {
  return LISTS[kind];
}

export const CUE_KINDS = Object.keys(LISTS) as CueKind[];

/** All cue matches of a message, by kind. */
export type CueMatches = Record<CueKind, string[]>;

// One index over every list, so a message is scanned once: first word → phrases, each
// with the kinds it belongs to (a phrase may be in several lists).
interface MultiPhrase { words: string[]; text: string; kinds: CueKind[]; kindIndex: number[] }
const MULTI = new Map<string, MultiPhrase[]>();
{
  const byText = new Map<string, MultiPhrase>();
  for (const k of CUE_KINDS) {
    for (const p of LISTS[k]) {
      const words = splitPhrase(p);
      if (words.length === 0) continue;
      const text = words.join(' ');
      let mp = byText.get(text);
      if (!mp) { mp = { words, text, kinds: [], kindIndex: [] }; byText.set(text, mp); }
      if (!mp.kinds.includes(k)) (mp.kinds.push(k), mp.kindIndex.push(CUE_KINDS.indexOf(k)));
    }
  }
  for (const mp of byText.values()) {
    const list = MULTI.get(mp.words[0]!) ?? [];
    list.push(mp);
    MULTI.set(mp.words[0]!, list);
  }
  for (const list of MULTI.values()) list.sort((a, b) => b.words.length - a.words.length);
}

/**
 * Cue matches by kind. Per kind, matches are non-overlapping with the longest phrase
 * first (a phrase found at a position blocks shorter ones of the same kind there).
 */
export function matchCues(words: readonly string[]): CueMatches {
  const out = {} as CueMatches;
  for (const k of CUE_KINDS) out[k] = NO_MATCHES as string[]; // most kinds match nothing: one shared, frozen empty list
  let blockedUntil: Int32Array | null = null;
  for (let i = 0; i < words.length; i++) {
    const list = MULTI.get(words[i]!);
    if (!list) continue;
    for (const ph of list) {
      const L = ph.words.length;
      if (i + L > words.length) continue;
      let ok = true;
      for (let j = 1; j < L; j++) if (words[i + j] !== ph.words[j]) { ok = false; break; }
      if (!ok) continue;
      blockedUntil ??= new Int32Array(CUE_KINDS.length);
      for (let x = 0; x < ph.kinds.length; x++) {
        const k = ph.kinds[x]!;
        const ki = ph.kindIndex[x]!;
        let found = out[k];
        if (blockedUntil[ki]! > i || found.length >= 12) continue;
        if (found === NO_MATCHES) out[k] = found = [];
        found.push(ph.text);
        blockedUntil[ki] = i + L;
      }
    }
  }
  return out;
}

/** One shared, frozen empty list (of cue matches, or of anything else of strings). */
export const NO_MATCHES: readonly string[] = Object.freeze([]);

// Cue matches as one string, to cross a thread boundary (src/triage/preanalysis.ts):
// `<kind index>\u0002<match>\u0001<match>…` per kind that matched, joined by \u0003.
// Cue texts are lexicon phrases of words: never a control character.

/** `matches` as one string ('' when nothing matched). */
export function encodeCues(matches: CueMatches): string {
  let s = '';
  for (let k = 0; k < CUE_KINDS.length; k++) {
    const list = matches[CUE_KINDS[k]!];
    if (list.length) s += (s ? '\u0003' : '') + k + '\u0002' + list.join('\u0001');
  }
  return s;
}

/** The matches `encodeCues` wrote (the same as `matchCues` of the same words). */
export function decodeCues(s: string): CueMatches {
  const out = {} as CueMatches;
  for (const k of CUE_KINDS) out[k] = NO_MATCHES as string[];
  if (s === '') return out;
  for (const part of s.split('\u0003')) {
    const at = part.indexOf('\u0002');
    out[CUE_KINDS[Number(part.slice(0, at))]!] = part.slice(at + 1).split('\u0001');
  }
  return out;
}
