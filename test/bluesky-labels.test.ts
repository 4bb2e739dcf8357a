/**
 * Bluesky: a takedown that arrives as a label. A moderation service marks an account or a post
 * with `!takedown` / `!suspend` (com.atproto.label.defs#label); an AppView asked for that
 * service's labels without `redact` (the account's `moderationLabelers`) still shows the subject,
 * with the label in the view's `labels` (app.bsky.actor.defs#profileViewDetailed and
 * #profileViewBasic, app.bsky.feed.defs#postView). The presence check reads it: the account's posts
 * are `account_taken_down`, a labelled post alone `post_taken_down`. A negated or expired label no
 * longer hides anything (the AppView stops hydrating it), nor does a self-label (the author's own
 * `!takedown` in their record, hydrated with `src` = their DID), nor a client-side value (`!hide`).
 *
 * Against the real local network (test/contract-servers/bluesky-network.ts: PLC, PDS, the AppView
 * @atproto/bsky, Ozone); the labels are Ozone's, stored in the AppView as its label ingester does.
 */
import { AtpAgent } from '@atproto/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BlueskyChannel } from '../src/channels/bluesky/index.js';
import { checkSettings } from '../src/channels/settings.js';
import type { ChannelAccountConfig } from '../src/channels/types.js';
import { startLocalBlueskyNetwork, type LocalBlueskyNetwork } from './contract-servers/bluesky-network.js';

const DAY = 86_400_000;
const SELF_TAKEDOWN = { $type: 'com.atproto.label.defs#selfLabels', values: [{ val: '!takedown' }] };

interface User {
  did: string;
  handle: string;
  agent: AtpAgent;
}

describe('bluesky takedown labels: read off the AppView\'s views, from the moderation services Parley trusts', () => {
  let local: LocalBlueskyNetwork;
  beforeAll(async () => {
    local = await startLocalBlueskyNetwork();
  }, 180_000);
  afterAll(async () => {
    await local?.close();
  }, 120_000);

  const user = async (name: string): Promise<User> => {
    const agent = new AtpAgent({ service: local.net.pds.url });
    const res = await agent.createAccount({ handle: `${name}.test`, email: `${name}@parley.test`, password: `${name}-password` });
    return { did: res.data.did, handle: res.data.handle, agent };
  };
  const post = async (u: User, text: string, extra: Record<string, unknown> = {}) => {
    const r = await u.agent.post({ text, ...extra });
    return r.uri;
  };

  it('an account or a post labelled !takedown / !suspend by a trusted moderation service is marked taken down; negated, expired, self-applied or client-side labels are not', async () => {
    const { net } = local;
    const mod = net.ozone.ctx.cfg.service.did; // the dev network's moderation service (Ozone)
    const [brand, hana, ivan, kim, lena, mia] = [await user('brand'), await user('hana'), await user('ivan'), await user('kim'), await user('lena'), await user('mia')];
    const hana1 = await post(hana, `@${brand.handle} hana asks`);
    const hana2 = await post(hana, `@${brand.handle} hana asks again`);
    const ivan1 = await post(ivan, `@${brand.handle} ivan breaks the rules`);
    const ivan2 = await post(ivan, `@${brand.handle} ivan asks politely`);
    const kim1 = await post(kim, `@${brand.handle} kim asks`);
    // lena labels her own post and her profile `!takedown` (a self-label: her word, not moderation's)
    const lena1 = await post(lena, `@${brand.handle} lena's self-labelled post`, { labels: SELF_TAKEDOWN });
    await lena.agent.upsertProfile((p) => ({ ...p, displayName: 'Lena', labels: SELF_TAKEDOWN }));
    const mia1 = await post(mia, `@${brand.handle} mia's post gets a !hide`);
    await net.processAll();
    const all = [hana1, hana2, ivan1, ivan2, kim1, lena1, mia1];

    const account = (settings: Record<string, unknown>): ChannelAccountConfig => ({
      id: 1, brandId: 1, network: 'bluesky', handle: brand.handle, externalId: brand.did,
      credentials: { identifier: brand.handle, password: 'brand-password' },
      settings: { service: net.pds.url, plcUrl: net.plc.url, directMessages: false, timeoutMs: 20_000, ...settings },
    });
    const channel = new BlueskyChannel(account({ moderationLabelers: [mod] }), { fetch: globalThis.fetch, now: Date.now });
    expect(await channel.presenceOf(all)).toEqual({ gone: [], hidden: new Map(), shown: all });

    // hana's account: !takedown; ivan's first post: !takedown; kim's account: !suspend for a day;
    // mia's post: !hide (a client-side hide, the AppView serves the post); hana's second post is
    // also taken down on its own in the AppView (left out of getPosts, her profile still shown)
    await local.applyLabel({ src: mod, uri: hana.did, val: '!takedown' });
    await local.applyLabel({ src: mod, uri: ivan1, val: '!takedown' });
    await local.applyLabel({ src: mod, uri: kim.did, val: '!suspend', exp: new Date(Date.now() + DAY).toISOString() });
    await local.applyLabel({ src: mod, uri: mia1, val: '!hide' });
    await net.bsky.ctx.dataplane.takedownRecord({ recordUri: hana2, ref: 'labels-test' });

    // what the AppView answers the brand: the subjects, shown, with the labels in their views
    const agent = channel['agent'];
    const hanaProfile = (await agent.app.bsky.actor.getProfile({ actor: hana.did })).data;
    expect(hanaProfile.labels).toEqual([expect.objectContaining({ src: mod, uri: hana.did, val: '!takedown' })]);
    const views = new Map((await agent.app.bsky.feed.getPosts({ uris: all })).data.posts.map((p) => [p.uri, p]));
    expect([...views.keys()].sort()).toEqual([hana1, ivan1, ivan2, kim1, lena1, mia1].sort());
    expect(views.get(hana1)!.author.labels).toEqual([expect.objectContaining({ src: mod, uri: hana.did, val: '!takedown' })]);
    expect(views.get(ivan1)!.labels).toEqual([expect.objectContaining({ src: mod, uri: ivan1, val: '!takedown' })]);
    expect(views.get(kim1)!.author.labels).toEqual([expect.objectContaining({ src: mod, uri: kim.did, val: '!suspend' })]);
    expect(views.get(lena1)!.labels).toEqual([expect.objectContaining({ src: lena.did, uri: lena1, val: '!takedown' })]);
    expect(views.get(lena1)!.author.labels).toEqual([expect.objectContaining({ src: lena.did, uri: `at://${lena.did}/app.bsky.actor.profile/self`, val: '!takedown' })]);
    expect(views.get(mia1)!.labels).toEqual([expect.objectContaining({ src: mod, uri: mia1, val: '!hide' })]);

    const labelled = await channel.presenceOf(all);
    expect(labelled.gone).toEqual([]);
    expect(labelled.hidden).toEqual(new Map([
      [hana1, 'account_taken_down'],
      [hana2, 'account_taken_down'], // left out by the AppView: her profile's label says why
      [ivan1, 'post_taken_down'],
      [kim1, 'account_taken_down'],
    ]));
    expect(labelled.shown.sort()).toEqual([ivan2, lena1, mia1].sort());

    // a service Parley does not trust is not asked for its labels: nothing is read as a takedown but
    // the AppView's own (hana's second post, taken down alone there)
    const untrusting = new BlueskyChannel(account({}), { fetch: globalThis.fetch, now: Date.now });
    const plain = await untrusting.presenceOf(all);
    expect(plain.hidden).toEqual(new Map([[hana2, 'post_taken_down']]));
    expect(plain.shown.sort()).toEqual([hana1, ivan1, ivan2, kim1, lena1, mia1].sort());

    // the moderation service negates hana's label and ivan's expires: shown again; kim's stands
    await local.applyLabel({ src: mod, uri: hana.did, val: '!takedown', neg: true, cts: new Date(Date.now() + 1000).toISOString() });
    await local.applyLabel({ src: mod, uri: ivan1, val: '!takedown', exp: new Date(Date.now() - DAY).toISOString() });
    expect((await agent.app.bsky.actor.getProfile({ actor: hana.did })).data.labels ?? []).toEqual([]);
    const lifted = await channel.presenceOf(all);
    expect(lifted.hidden).toEqual(new Map([
      [hana2, 'post_taken_down'], // still taken down alone in the AppView, her account no longer
      [kim1, 'account_taken_down'],
    ]));
    expect(lifted.shown.sort()).toEqual([hana1, ivan1, ivan2, lena1, mia1].sort());
  }, 120_000);
});

describe('bluesky moderationLabelers setting', () => {
  it('is a list of DIDs (a list, or one comma-separated string); anything else is refused with what is wrong', () => {
    const dids = ['did:plc:ar7c4by46qjdydhdevvrndac', 'did:web:mod.example.com'];
    expect(checkSettings('bluesky', { moderationLabelers: dids })).toEqual({ settings: { moderationLabelers: dids }, problems: [] });
    expect(checkSettings('bluesky', { moderationLabelers: dids.join(', ') }).settings).toEqual({ moderationLabelers: dids });
    const bad = checkSettings('bluesky', { moderationLabelers: [dids[0], 'mod.bsky.app'] });
    expect(bad.problems).toEqual([{ path: 'settings/moderationLabelers/1', message: expect.stringMatching(/"mod\.bsky\.app" is not a DID/) }]);
  });
});
