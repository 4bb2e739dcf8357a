/**
 * Bluesky: reporting a post or an account to the moderation service
 * (com.atproto.moderation.createReport through the account's PDS), against the real local network
 * (test/contract-servers/bluesky-network.ts: PLC, PDS, AppView, Ozone). The post is reported as a
 * com.atproto.repo.strongRef {uri, cid}, the account as a com.atproto.admin.defs#repoRef {did},
 * with Parley's reason mapped to a com.atproto.moderation.defs reason type; Ozone records each as
 * a report event on that subject.
 */
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlueskyChannel, blueskyReasonType } from '../src/channels/bluesky/index.js';
import { ChannelError, type ChannelAccountConfig } from '../src/channels/types.js';
import { startLocalBlueskyNetwork, type LocalBlueskyNetwork } from './contract-servers/bluesky-network.js';

describe('bluesky: report to the network', () => {
  let local: LocalBlueskyNetwork;
  beforeAll(async () => {
    local = await startLocalBlueskyNetwork();
  }, 180_000);
  afterAll(async () => {
    await local?.close();
  }, 120_000);

  it('maps every Parley reason to a com.atproto.moderation.defs reason type', () => {
    expect(blueskyReasonType('spam')).toBe('com.atproto.moderation.defs#reasonSpam');
    expect(blueskyReasonType('abuse')).toBe('com.atproto.moderation.defs#reasonRude');
    expect(blueskyReasonType('impersonation')).toBe('com.atproto.moderation.defs#reasonMisleading');
    expect(blueskyReasonType('legal')).toBe('com.atproto.moderation.defs#reasonViolation');
    expect(blueskyReasonType('other')).toBe('com.atproto.moderation.defs#reasonOther');
  });

  it('files a post report (strongRef) and an account report (repoRef) that the moderation service records', async () => {
    const { net } = local;
    const user = async (name: string) => {
      const agent = new AtpAgent({ service: net.pds.url });
      const res = await agent.createAccount({ handle: `${name}.test`, email: `${name}@parley.test`, password: `${name}-password` });
      return { did: res.data.did, handle: res.data.handle, agent };
    };
    const brand = await user('brand');
    const spammer = await user('spammer');
    const post = await spammer.agent.post({ text: `@${brand.handle} free tokens at scam.example` });
    await net.processAll();
    const account: ChannelAccountConfig = {
      id: 1, brandId: 1, network: 'bluesky', handle: brand.handle, externalId: brand.did,
      credentials: { identifier: brand.handle, password: 'brand-password' },
      settings: { service: net.pds.url, plcUrl: net.plc.url, directMessages: false, timeoutMs: 20_000 },
    };
    const channel = new BlueskyChannel(account, { fetch: globalThis.fetch, now: Date.now });
    const author = { networkUserId: spammer.did, handle: spammer.handle, displayName: null };

    // the post: its cid read from the AppView (no stored payload here)
    const r1 = await channel.reportToNetwork({ subject: 'post', post: { networkMessageId: post.uri }, author, reason: 'spam', comment: 'No spam (spam): posts a scam link under every reply' });
    expect(r1).toEqual({ reportId: expect.stringMatching(/^\d+$/), category: 'com.atproto.moderation.defs#reasonSpam' });
    // the account
    const r2 = await channel.reportToNetwork({ subject: 'account', author, reason: 'impersonation', comment: 'Pretends to be our support team' });
    expect(r2.category).toBe('com.atproto.moderation.defs#reasonMisleading');
    expect(r2.reportId).not.toBe(r1.reportId);

    // Ozone holds both reports, on those subjects, from the brand's account
    const events = await net.ozone.ctx.db.db.selectFrom('moderation_event').selectAll().where('action', '=', 'tools.ozone.moderation.defs#modEventReport').execute();
    const mine = events.filter((e) => e.createdBy === brand.did);
    expect(mine.map((e) => [e.subjectUri ?? e.subjectDid, e.meta && (e.meta as { reportType?: string }).reportType]).sort()).toEqual([
      [post.uri, 'com.atproto.moderation.defs#reasonSpam'],
      [spammer.did, 'com.atproto.moderation.defs#reasonMisleading'],
    ].sort());
    expect(mine.find((e) => e.subjectUri === post.uri)?.subjectCid).toBe(post.cid);

    // a post that is not there: the network's refusal, as a ChannelError
    const missing = `at://${spammer.did}/app.bsky.feed.post/3kaaaaaaaaaaa`;
    await expect(channel.reportToNetwork({ subject: 'post', post: { networkMessageId: missing }, author, reason: 'spam', comment: 'gone' })).rejects.toBeInstanceOf(ChannelError);
  }, 120_000);
});
