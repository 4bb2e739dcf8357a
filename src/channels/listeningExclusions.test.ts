/**
 * Listening exclusions (`excludeKeywords`) end to end through the connectors, against the
 * networks' contract servers: a post with an excluded word is not collected, while a post that
 * tags the brand with the same word still is (a direct care item). X applies them in its search
 * query; Mastodon's search has no exclusion, so its connector matches them. (Bluesky: in
 * ./bluesky/bluesky.test.ts, against the local AT Protocol network.)
 */
import { createRestAPIClient } from 'masto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MastodonContractServer } from '../../test/contract-servers/mastodon.js';
import { XContractServer } from '../../test/contract-servers/x.js';
import type { NormalizedMessage } from '../core/types.js';
import { MastodonChannel } from './mastodon/index.js';
import type { Channel, ChannelAccountConfig } from './types.js';
import { createChannel as createXChannel } from './x/index.js';

const ids = (ms: NormalizedMessage[], kind?: string) => ms.filter((m) => !kind || m.kind === kind).map((m) => m.networkMessageId);

describe('X listening exclusions (recent search query)', () => {
  let server: XContractServer;
  let channel: Channel;
  beforeAll(async () => {
    server = await XContractServer.start();
    const account: ChannelAccountConfig = {
      id: 1, brandId: 1, network: 'x', handle: server.brand.username, externalId: server.brand.id, credentials: server.credentials(),
      settings: { apiBaseUrl: server.url, requestTimeoutMs: 2000, pageSize: 10, pollDirectMessages: false, keywords: ['apple'], excludeKeywords: ['pie', 'apple juice'] },
    };
    channel = createXChannel(account, { fetch: globalThis.fetch, now: () => Date.now() });
  });
  afterAll(async () => {
    await channel?.close?.();
    await server?.stop();
  });

  async function drain(cursor: string | null) {
    const all: NormalizedMessage[] = [];
    for (;;) {
      const r = await channel.sync!(cursor);
      all.push(...r.messages);
      cursor = r.cursor ?? cursor;
      if (!r.more) return { all, cursor };
    }
  }

  it('leaves out posts with an excluded word or phrase, keeps the others, and still brings a mention with the same word', async () => {
    const start = await drain(null);
    const wile = server.addUser({ username: 'wile' });
    const phone = await server.postMention('My apple watch will not pair', { author: wile });
    const pie = await server.postMention('Baking an apple PIE tonight', { author: wile });
    const juice = await server.postMention('apple, juice and toast for breakfast', { author: wile });
    const hashtag = await server.postMention('apple season #pie', { author: wile });
    const mention = await server.postMention(`@${server.brand.username} my apple pie voucher did not work`, { author: wile });
    const r = await drain(start.cursor);
    const all = ids(r.all);
    expect(ids(r.all, 'listening')).toEqual([phone]);
    for (const gone of [pie, juice, hashtag]) expect(all).not.toContain(gone);
    // the mention holds "pie" too: it comes in (from the mentions timeline) as a direct care item
    expect(r.all.find((m) => m.networkMessageId === mention)?.kind).toBe('mention');
  });
});

describe('Mastodon listening exclusions (matched by the connector)', () => {
  const server = new MastodonContractServer();
  let brand: { id: string; token: string };
  let post: (status: string) => Promise<string>;
  const channel = (settings: Record<string, unknown>) =>
    new MastodonChannel(
      { id: 1, brandId: 1, network: 'mastodon', handle: 'brand', externalId: brand.id, credentials: { accessToken: brand.token }, settings: { instanceUrl: server.url, timeoutMs: 2000, ...settings } },
      { fetch: globalThis.fetch, now: Date.now },
    );
  beforeAll(async () => {
    await server.start();
    brand = server.createAccount({ username: 'brand', displayName: 'Orange Care' });
    const carol = server.createAccount({ username: 'carol' });
    const rest = createRestAPIClient({ url: server.url, accessToken: carol.token });
    post = async (status) => (await rest.v1.statuses.create({ status, visibility: 'public' })).id;
  });
  afterAll(async () => {
    await server.stop();
  });

  it('drops keyword and hashtag hits with an excluded word, keeps a mention of the brand with the same word', async () => {
    const c = channel({ keywords: ['orange'], hashtags: ['#OrangeDay'], excludeKeywords: ['fruit', 'orange juice'] });
    const start = await c.sync(null);
    const network = await post('Orange network down again in Lyon');
    const fruit = await post('Orange is my favourite FRUIT');
    const juice = await post('Fresh ORANGE\nJUICE with breakfast');
    const tagged = await post('#OrangeDay fruit basket');
    const mention = await post('@brand my orange fruit box never arrived');
    const r = await c.sync(start.cursor);
    // the mention is a search hit too, and kept as one: it tags the brand (the pipeline stores it once)
    expect(ids(r.messages, 'listening').sort()).toEqual([network, mention].sort());
    for (const gone of [fruit, juice, tagged]) expect(ids(r.messages)).not.toContain(gone);
    expect(ids(r.messages, 'mention')).toEqual([mention]);
  });

  it('an account without exclusions listens as before', async () => {
    const c = channel({ keywords: ['lemonade'] });
    const start = await c.sync(null);
    const fruit = await post('lemonade is a fruit drink');
    expect(ids((await c.sync(start.cursor)).messages, 'listening')).toEqual([fruit]);
  });
});
