/**
 * A desk's Mastodon account on the contract server, connected through the API as an admin would,
 * and a mention of the brand posted on the server by a new account and handed to the desk's
 * ingest: what moderation and report specs need of a real post (its status id, its author's id).
 */
import { expect } from 'vitest';
import type { MastodonContractServer } from '../contract-servers/mastodon.js';
import { mention, type Client } from './parley.js';

export async function connectMastodon(admin: Client, masto: MastodonContractServer): Promise<number> {
  const brand = masto.createAccount({ username: 'acme' });
  const m = await admin.post('/api/channel-accounts', { network: 'mastodon', handle: brand.acct, externalId: brand.id, credentials: { accessToken: brand.token }, settings: { instanceUrl: masto.url, timeoutMs: 5000 } });
  expect(m.status, JSON.stringify(m.json)).toBe(201);
  return m.json.id as number;
}

export async function mastodonMention(admin: Client, masto: MastodonContractServer, accountId: number, username: string, text: string) {
  const who = masto.createAccount({ username });
  const res = await fetch(`${masto.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${who.token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status: text, visibility: 'public' }) });
  const statusId = ((await res.json()) as { id: string }).id;
  const o = (await admin.post('/api/ingest/messages', { channelAccountId: accountId, messages: [mention({ network: 'mastodon', networkMessageId: statusId, text, author: { networkUserId: who.id, handle: who.acct, displayName: username, followers: 3 } })] })).json.outcomes[0];
  return { messageId: o.messageId as number, conversationId: o.conversationId as number, statusId, accountId: who.id };
}
