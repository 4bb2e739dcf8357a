/** What the email connector reads from a connected account (see ./index.ts and docs/channels.md). */
import { z } from 'zod';
import { ChannelError } from '../types.js';
import { timeoutMs, type ChannelSettingsSpec } from '../settingFields.js';
import { readSettings } from './index.js';

const port = z.number().int().min(1).max(65_535);
const text = z.string().trim().min(1).max(300);

export const settingsSpec: ChannelSettingsSpec = {
  settings: {
    imapHost: text,
    imapPort: port,
    imapSecure: z.boolean(),
    smtpHost: text,
    smtpPort: port,
    smtpSecure: z.boolean(),
    address: text,
    mailbox: text,
    sentMailbox: text,
    fromName: z.string().max(200),
    backfillDays: z.number().min(0).max(365),
    pageSize: z.number().int().min(1).max(500),
    timeoutMs: timeoutMs.min(200),
    rateLimitRetryS: z.number().min(1).max(86_400),
  },
  // UIDs belong to one mailbox on one server: elsewhere the stored position means nothing
  resetCursorOn: ['imapHost', 'imapPort', 'mailbox'],
  credentialsBoundTo: ['imapHost', 'imapPort', 'imapSecure', 'smtpHost', 'smtpPort', 'smtpSecure'],
  credentials: ['user', 'password'],
  // the connector's own rules (required hosts and address, the address's form)
  check: (settings) => {
    try {
      readSettings({ settings, handle: '' });
      return null;
    } catch (err) {
      if (err instanceof ChannelError) return err.message;
      throw err;
    }
  },
};
