/** What the web chat reads from its account (see src/server/routes/webchat.ts and docs/channels.md). */
import { z } from 'zod';
import { termList, type ChannelSettingsSpec } from '../settingFields.js';

const origin = z.string().refine((s) => {
  try {
    return ['http:', 'https:'].includes(new URL(s).protocol);
  } catch {
    return false;
  }
}, 'an origin such as https://www.example.com');

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    allowedOrigins: termList({ max: 50, maxLength: 300 }).pipe(z.array(origin)),
    title: z.string().max(80),
    greeting: z.string().max(500),
    color: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour as #rrggbb'),
    responseTimeMinutes: z.number().positive().max(10_080, 'at most 10080 minutes (a week)'),
  },
  credentials: [],
};
