/** What the Facebook Pages connector reads from a connected account (see ./channel.ts and docs/channels.md). */
import { z } from 'zod';
import { httpUrl, timeoutMs, type ChannelSettingsSpec } from '../settingFields.js';

/** Graph settings Facebook Pages and Instagram share. */
export const GRAPH_SETTINGS = {
  apiBaseUrl: httpUrl,
  graphVersion: z.string().trim().regex(/^v\d{1,3}\.\d{1,2}$/, 'a Graph API version such as v21.0'),
  requestTimeoutMs: timeoutMs,
  backfillHours: z.number().min(0).max(24 * 90, 'at most 2160 hours (90 days)'),
  linkDmReplies: z.boolean(),
};

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    ...GRAPH_SETTINGS,
    postsPerPoll: z.number().int().min(1).max(100),
    humanAgentTag: z.boolean(),
  },
  credentials: ['pageAccessToken', 'appSecret', 'verifyToken'],
  credentialsBoundTo: ['apiBaseUrl'],
};
