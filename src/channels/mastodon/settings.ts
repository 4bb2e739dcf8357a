/** What the Mastodon connector reads from a connected account (see ./index.ts and docs/channels.md). */
import { z } from 'zod';
import { exclusionList, httpUrl, keywordList, termList, timeoutMs, type ChannelSettingsSpec } from '../settingFields.js';

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    /** The account's server; required: nothing works without it. */
    instanceUrl: httpUrl,
    streamingUrl: z.string().trim().regex(/^(wss?|https?):\/\/[^\s]+$/, 'must be a ws(s):// or http(s):// URL'),
    /** Listening: hashtag timelines (with or without #). */
    hashtags: termList({ max: 25, maxLength: 100, strip: /^#+/ }).superRefine((tags, ctx) => {
      tags.forEach((t, i) => {
        if (!/^[\p{L}\p{M}\p{N}_\u00b7\u200c]+$/u.test(t)) ctx.addIssue({ code: 'custom', path: [i], message: `"${t}" is not a Mastodon hashtag: one word of letters, digits and _ (no spaces or punctuation); put phrases in keywords` });
      });
    }),
    /** Listening: status search terms. */
    keywords: keywordList({ max: 25, maxLength: 128 }),
    /** Listening: hits with these words or phrases are dropped unless they tag the account (the search has no exclusion: matched locally). */
    excludeKeywords: exclusionList({ max: 25, maxLength: 128 }),
    timeoutMs,
  },
  listening: ['keywords', 'hashtags'],
  exclusions: ['excludeKeywords'],
  // notification and status ids are the server's own: another server's ids mean nothing
  resetCursorOn: ['instanceUrl'],
  credentialsBoundTo: ['instanceUrl', 'streamingUrl'],
  credentials: ['accessToken'],
  check: (s) => (typeof s.instanceUrl === 'string' && s.instanceUrl ? null : 'instanceUrl: the account\'s Mastodon server is required, e.g. https://mastodon.social'),
};
