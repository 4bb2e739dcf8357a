/** The tweets of a TWCS file, the bundled demo excerpt by default, in file order (what the demo specs replay or plan). */
import { DEMO_FILE } from '../../src/demo/seed.js';
import { readTwcs, type TwcsTweet } from '../../src/import/twcs.js';

export async function excerpt(file = DEMO_FILE): Promise<TwcsTweet[]> {
  const tweets: TwcsTweet[] = [];
  for await (const item of readTwcs(file)) if (item.kind === 'tweet') tweets.push(item.tweet);
  return tweets;
}
