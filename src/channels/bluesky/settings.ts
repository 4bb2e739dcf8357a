/** What the Bluesky connector reads from a connected account (see ./index.ts and docs/channels.md). */
import { z } from 'zod';
import { httpUrl, keywordList, timeoutMs, type ChannelSettingsSpec } from '../settingFields.js';

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    service: httpUrl,
    /** Listening: app.bsky.feed.searchPosts for each term. */
    keywords: keywordList({ max: 25, maxLength: 128 }),
    webUrl: httpUrl,
    /** The PLC directory, where authors' DID documents are read (deletion checks). */
    plcUrl: httpUrl,
    /** The relay asked for an account's hosting status when its PDS no longer knows it (deletion checks). */
    relayUrl: httpUrl,
    chatService: z.string().trim().regex(/^did:[a-z]+:\S+$/, 'a DID such as did:web:api.bsky.chat'),
    directMessages: z.boolean(),
    fetchFollowers: z.boolean(),
    timeoutMs,
  },
  listening: ['keywords'],
  credentialsBoundTo: ['service'],
  credentials: ['identifier', 'password'],
};
