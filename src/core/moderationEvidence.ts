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

export function evidenceRefusal(evidence: string): string | null {
  const words = evidence.toLowerCase().normalize('NFKC').match(/[\p{L}\p{N}'-]+/gu) ?? [];
  const bare = words.map((w) => w.replace(/^['-]+|['-]+$/g, '').replace(/'s$/, ''));
  if (bare.some((w) => VIOLATION.test(w))) return null;
  const negative = bare.filter((w) => NEGATIVITY.test(w));
  if (negative.length === 0) return null;
  return `"${negative.slice(0, 3).join('", "')}" describes how the customer feels, not which rule the post breaks: name the violation (a threat, personal data, spam, a slur…), or answer the post instead`;
}
