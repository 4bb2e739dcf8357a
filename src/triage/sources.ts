/**
 * The training/evaluation sources in ../shared/data, with their licences. Shipped
 * weights train only on `permissive` sources; `restricted` ones (NC / unlicensed)
 * are for evaluation and for `parley train --include-restricted` (local models).
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { normalizeWord } from '../core/triage/text.js';
import { sharedDataFile } from '../lib/paths.js';
import { labelledTexts, readTable, type LabelledText, type Layout } from './datasets.js';

export interface Source {
  name: string;
  /** Path relative to ../shared/data. */
  file: string;
  layout: Layout;
  licence: string;
  permissive: boolean;
}

export const SOURCES = {
  tweeteval_sentiment: { name: 'tweeteval/sentiment', file: 'tweeteval/sentiment.csv', layout: 'tweeteval', licence: 'TweetEval (no restrictions; SemEval-2017 T4 terms)', permissive: true },
  tweeteval_offensive: { name: 'tweeteval/offensive', file: 'tweeteval/offensive.csv', layout: 'tweeteval', licence: 'TweetEval (OffensEval-2019)', permissive: true },
  tweeteval_hate: { name: 'tweeteval/hate', file: 'tweeteval/hate.csv', layout: 'tweeteval', licence: 'TweetEval (HatEval-2019)', permissive: true },
  tweeteval_emotion: { name: 'tweeteval/emotion', file: 'tweeteval/emotion.csv', layout: 'tweeteval', licence: 'TweetEval (SemEval-2018 T1)', permissive: true },
  banking77: { name: 'banking77', file: 'banking77/banking77.csv', layout: 'banking77', licence: 'CC BY 4.0', permissive: true },
  sms_spam: { name: 'sms_spam_collection', file: 'sms_spam_collection/sms_spam.csv', layout: 'sms', licence: 'free for all purposes / CC BY 4.0', permissive: true },
  youtube_spam: { name: 'youtube_spam', file: 'youtube_spam/Youtube05-Shakira.csv', layout: 'youtube', licence: 'CC BY 4.0', permissive: true },
  complaints: { name: 'complaints_preotiuc2019', file: 'complaints_preotiuc2019/complaints.csv', layout: 'complaints', licence: 'no licence file (research release)', permissive: false },
  airline: { name: 'twitter_airline_sentiment', file: 'twitter_airline_sentiment/Tweets.csv', layout: 'airline', licence: 'CC BY-NC-SA 4.0', permissive: false },
  twcs_head5k: { name: 'twcs/twcs_head5k', file: 'twcs/twcs_head5k.csv', layout: 'twcs', licence: 'CC BY-NC-SA 4.0', permissive: false },
} as const satisfies Record<string, Source>;

export type SourceKey = keyof typeof SOURCES;

/** Rows of a source (throws a clear error when ../shared/data is missing). */
export function loadSource(key: SourceKey): LabelledText[] {
  const s: Source = SOURCES[key];
  return labelledTexts(readTable(sharedDataFile(s.file)), s.layout);
}

/**
 * The VADER valence lexicon (MIT, via the installed `vader-sentiment`, Apache-2.0),
 * word → mean valence. Baked into the model at training time so inference needs no
 * package files.
 */
export function loadValenceLexicon(): Map<string, number> {
  const require = createRequire(import.meta.url);
  const dir = dirname(require.resolve('vader-sentiment/package.json'));
  const lex = new Map<string, number>();
  for (const line of readFileSync(join(dir, 'vader_lexicon.txt'), 'utf8').split('\n')) {
    const [w, v] = line.split('\t');
    if (!w || !v) continue;
    const key = normalizeWord(w);
    const val = Math.round(Number(v) * 10) / 10;
    if (Number.isFinite(val) && val !== 0) lex.set(key, val);
  }
  return lex;
}
