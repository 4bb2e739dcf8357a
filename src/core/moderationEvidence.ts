/**
 * Whether a moderator's evidence describes a rule broken or only a customer being negative.
 * Moderation is for a cited community-guideline violation, never for mere negativity (the
 * seeds: answer complaints, in public); "very negative", "keeps complaining about a late
 * parcel" or "rude!!!" name no violation, however the guideline cited reads.
 *
 * Refused: evidence that uses the words of disagreement or displeasure and none of the words
 * of a violation. Evidence with neither ("posts the agent's home address") is left to the
 * cited guideline and the audit trail. Pure: text in, reason out.
 */

/** Words of disagreement, displeasure or tone: not a violation on their own. */
const NEGATIVITY = /^(negative|negativity|rude|rudely|rudeness|angry|anger|complain\w*|critical|criticis\w*|criticiz\w*|unhappy|annoy\w*|mean|hostile|unfair|whin\w*|moan\w*|rant\w*|bad|review|reviews|press|upset|frustrat\w*|disrespect\w*|attitude|tone|sarcas\w*|unpleasant|aggressive|toxic|salty|grumpy|disappoint\w*|dislike\w*|hates?|hating|sucks?|terrible|awful|horrible|worst)$/;

/** Word stems of what community guidelines forbid: one is enough for the evidence to stand. */
const VIOLATION = /^(spam\w*|scam\w*|phish\w*|links?|url|threat\w*|threaten\w*|violen\w*|kill\w*|hurt|harass\w*|stalk\w*|slurs?|racis\w*|sexis\w*|homophob\w*|transphob\w*|bigot\w*|dox\w*|address|addresses|phone|personal|private|information|data|impersonat\w*|fake|explicit|porn\w*|nud\w*|sexual\w*|abus\w*|insult\w*|profan\w*|swear\w*|obscen\w*|slander\w*|defam\w*|bots?|repeated\w*|repeatedly|flood\w*|advertis\w*|promot\w*|off-topic|illegal|minors?|child\w*|self-harm|suicid\w*|terror\w*|extremis\w*|copyright\w*|piracy|malware|virus|hack\w*|credentials?|password\w*|card|cards|crypto\w*|giveaway|misinformation|disinformation|incit\w*|targets?|targeting|attack\w*|dehumaniz\w*)$/;

/**
 * Words of a violation against people that, aimed at the brand itself ("attacks our product",
 * "insulting us", "targets the company"), are criticism: a company is not harassed by a review.
 */
const AT_PEOPLE_ONLY = /^(insult\w*|attack\w*|targets?|targeting|targeted|harass\w*|abus\w*)$/;
const THE_BRAND = /^(brand|brands|company|business|product|products|service|services|app|apps|prices?|pricing|policy|policies|website|site|store|stores|shop|support|quality|delivery|deliveries|airline|bank|team's|firm)$/;

const A_PERSON = /^(staff|agents?|employees?|drivers?|team|people|person|customers?|members?|managers?|ceo|founders?|workers?|colleagues?|representatives?|reps?)$/;

/** "insulting us", "attacks our (new) product" — and not "attacks the brand's staff". */
function aimedAtBrand(bare: string[], i: number): boolean {
  const [a = '', b = '', c = '', d = ''] = bare.slice(i + 1, i + 5);
  if (a === 'us') return !A_PERSON.test(b);
  if (a !== 'our' && a !== 'the' && a !== 'your') return false;
  if (THE_BRAND.test(b)) return !A_PERSON.test(c);
  return THE_BRAND.test(c) && !A_PERSON.test(b) && !A_PERSON.test(d);
}

export function evidenceRefusal(evidence: string): string | null {
  const words = evidence.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}'-]+/gu) ?? [];
  const bare = words.map((w) => w.replace(/^['-]+|['-]+$/g, '').replace(/'s$/, ''));
  const atBrand = bare.map((w, i) => AT_PEOPLE_ONLY.test(w) && aimedAtBrand(bare, i));
  if (bare.some((w, i) => VIOLATION.test(w) && !atBrand[i])) return null;
  const negative = bare.filter((w, i) => NEGATIVITY.test(w) || atBrand[i]);
  if (negative.length === 0) return null;
  const named = [...new Set(negative)].slice(0, 3);
  return `"${named.join('", "')}" ${named.length > 1 ? 'describe' : 'describes'} how the customer feels, not which rule the post breaks: name the violation (a threat, personal data, spam, a slur…), or answer the post instead`;
}
