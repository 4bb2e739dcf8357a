/** What the X connector reads from a connected account (see ./channel.ts and docs/channels.md). */
import { z } from 'zod';
import { exclusionList, httpUrl, keywordList, timeoutMs, type ChannelSettingsSpec } from '../settingFields.js';
import { listeningQueryProblem } from './query.js';

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    apiBaseUrl: httpUrl,
    requestTimeoutMs: timeoutMs,
    /** Listening: recent search for these words or phrases, OR-ed. */
    keywords: keywordList({ max: 25, maxLength: 128 }),
    /** Listening: posts with these words or phrases are not collected unless they tag the account (`-word` in the query, and checked again locally). */
    excludeKeywords: exclusionList({ max: 25, maxLength: 128 }),
    pollDirectMessages: z.boolean(),
    pageSize: z.number().int().min(10, 'X pages hold 10 to 100 items').max(100, 'X pages hold 10 to 100 items'),
  },
  listening: ['keywords'],
  exclusions: ['excludeKeywords'],
  credentialsBoundTo: ['apiBaseUrl'],
  credentials: ['apiKey', 'apiSecret', 'accessToken', 'accessSecret', 'oauth2AccessToken'],
  // the keywords and exclusions become one recent-search query, which X refuses over its length limit
  check: (s) => (Array.isArray(s.keywords) ? listeningQueryProblem(s.keywords.map(String), Array.isArray(s.excludeKeywords) ? s.excludeKeywords.map(String) : []) : null),
};
