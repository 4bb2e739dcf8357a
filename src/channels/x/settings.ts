/** What the X connector reads from a connected account (see ./channel.ts and docs/channels.md). */
import { z } from 'zod';
import { httpUrl, termList, timeoutMs, type ChannelSettingsSpec } from '../settingFields.js';

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    apiBaseUrl: httpUrl,
    requestTimeoutMs: timeoutMs,
    /** Listening: recent search for these words or phrases, OR-ed. */
    keywords: termList({ max: 25, maxLength: 128 }),
    pollDirectMessages: z.boolean(),
    pageSize: z.number().int().min(10, 'X pages hold 10 to 100 items').max(100, 'X pages hold 10 to 100 items'),
  },
  listening: ['keywords'],
  credentialsBoundTo: ['apiBaseUrl'],
  credentials: ['apiKey', 'apiSecret', 'accessToken', 'accessSecret', 'oauth2AccessToken'],
};
