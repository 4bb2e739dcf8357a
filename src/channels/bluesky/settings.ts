/** What the Bluesky connector reads from a connected account (see ./index.ts and docs/channels.md). */
import { z } from 'zod';
import { exclusionList, httpUrl, keywordList, termList, timeoutMs, type ChannelSettingsSpec } from '../settingFields.js';

/** A DID's syntax (atproto.com/specs/did), checked here without loading the AT client. */
const DID = /^did:[a-z]+:[a-zA-Z0-9._:%-]*[a-zA-Z0-9._-]$/;

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    service: httpUrl,
    /** Listening: app.bsky.feed.searchPosts for each term. */
    keywords: keywordList({ max: 25, maxLength: 128 }),
    /** Listening: hits with these words or phrases are dropped unless they tag the account (the search has no exclusion: matched locally). */
    excludeKeywords: exclusionList({ max: 25, maxLength: 128 }),
    webUrl: httpUrl,
    /** The PLC directory, where authors' DID documents are read (deletion checks). */
    plcUrl: httpUrl,
    /** The relay asked for an account's hosting status when its PDS no longer knows it (deletion checks). */
    relayUrl: httpUrl,
    chatService: z.string().trim().regex(/^did:[a-z]+:\S+$/, 'a DID such as did:web:api.bsky.chat'),
    directMessages: z.boolean(),
    fetchFollowers: z.boolean(),
    /**
     * Moderation services (labeler DIDs) besides Bluesky's own whose `!takedown` / `!suspend` labels
     * count as the network taking an account or post down (presence checks; ./labels.ts).
     */
    moderationLabelers: termList({ max: 20, maxLength: 2048 }).superRefine((dids, ctx) => {
      dids.forEach((d, i) => {
        if (!DID.test(d)) ctx.addIssue({ code: 'custom', path: [i], message: `"${d}" is not a DID (a labeler such as did:plc:ar7c4by46qjdydhdevvrndac)` });
      });
    }),
    timeoutMs,
  },
  listening: ['keywords'],
  exclusions: ['excludeKeywords'],
  credentialsBoundTo: ['service'],
  credentials: ['identifier', 'password'],
};
