/** What the Instagram connector reads from a connected account (see ./channel.ts and docs/channels.md). */
import { z } from 'zod';
import { GRAPH_SETTINGS } from '../facebook/settings.js';
import { idString, type ChannelSettingsSpec } from '../settingFields.js';

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    ...GRAPH_SETTINGS,
    /** The linked Facebook Page (messaging and private replies go through it). */
    pageId: idString,
    mediaPerPoll: z.number().int().min(1).max(100),
  },
  credentials: ['accessToken', 'appSecret', 'verifyToken'],
  credentialsBoundTo: ['apiBaseUrl'],
};
