/**
 * Bluesky keyword listening across polls, against a small stand-in for the AppView's
 * app.bsky.feed.searchPosts as its lexicon documents it: `sort: latest` orders by
 * `sortAt` (the earlier of createdAt and indexedAt), `since` (inclusive) and `until`
 * (exclusive) filter on sortAt, `cursor` pages on. (The dev-env AppView used by bluesky.test.ts ignores
 * `since`, so it cannot show what the real one drops.)
 */
import { describe, expect, it } from 'vitest';
import type { ChannelAccountConfig } from '../types.js';
import { BlueskyChannel } from './index.js';

interface FakePost { uri: string; text: string; createdAt: string; indexedAt: string; did: string }

/** A well-formed CID (the client checks the format); posts are told apart by URI. */
const CID = 'bafyreie5737gdxlw5i64vzichcalba3z2v5n6icifvx5xytvske7mr3hpm';
const ISO = (ms: number) => new Date(ms).toISOString();
const sortAt = (p: FakePost) => (p.createdAt < p.indexedAt ? p.createdAt : p.indexedAt);

function fakeAppView() {
  const posts: FakePost[] = [];
  const searches: URLSearchParams[] = [];
  const json = (body: unknown) => new Response(JSON.stringify(body), { status: 200, headers: { 'content-type': 'application/json' } });
  const fetch: typeof globalThis.fetch = async (input, init) => {
    const req = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(req.url);
    const nsid = url.pathname.replace('/xrpc/', '');
    if (nsid === 'com.atproto.server.createSession') return json({ did: 'did:plc:brand', handle: 'brand.test', accessJwt: 'a', refreshJwt: 'r', active: true });
    if (nsid === 'app.bsky.notification.listNotifications') return json({ notifications: [] });
    if (nsid === 'app.bsky.feed.searchPosts') {
      searches.push(url.searchParams);
      const q = (url.searchParams.get('q') ?? '').toLowerCase();
      const since = url.searchParams.get('since');
      const until = url.searchParams.get('until');
      const limit = Number(url.searchParams.get('limit') ?? 25);
      const offset = Number(url.searchParams.get('cursor') ?? 0);
      const hits = posts
        .filter((p) => p.text.toLowerCase().includes(q) && (!since || Date.parse(sortAt(p)) >= Date.parse(since)) && (!until || Date.parse(sortAt(p)) < Date.parse(until)))
        .sort((a, b) => Date.parse(sortAt(b)) - Date.parse(sortAt(a)));
      const page = hits.slice(offset, offset + limit);
      return json({
        posts: page.map((p) => ({ uri: p.uri, cid: CID, author: { did: p.did, handle: `${p.did.slice(8)}.test` }, record: { $type: 'app.bsky.feed.post', text: p.text, createdAt: p.createdAt }, indexedAt: p.indexedAt })),
        ...(offset + limit < hits.length ? { cursor: String(offset + limit) } : {}),
      });
    }
    return new Response(JSON.stringify({ error: 'MethodNotImplemented' }), { status: 501 });
  };
  let n = 0;
  const add = (text: string, createdAt: number, indexedAt: number, did = 'did:plc:customer') => {
    const uri = `at://${did}/app.bsky.feed.post/p${++n}`;
    posts.push({ uri, text, createdAt: ISO(createdAt), indexedAt: ISO(indexedAt), did });
    return uri;
  };
  return { fetch, add, searches };
}

function channelFor(fetch: typeof globalThis.fetch, keywords = ['zorblatt']) {
  const account: ChannelAccountConfig = {
    id: 1, brandId: 1, network: 'bluesky', handle: 'brand.test', externalId: 'did:plc:brand',
    settings: { service: 'http://appview.invalid', keywords, directMessages: false, fetchFollowers: false },
    credentials: { identifier: 'brand.test', password: 'app-password' },
  };
  return new BlueskyChannel(account, { fetch, now: () => Date.parse('2026-12-05T10:10:00Z') });
}

const T = Date.parse('2026-12-05T10:00:00Z');
const listened = (r: { messages: { kind: string; networkMessageId: string }[] }) => r.messages.filter((m) => m.kind === 'listening').map((m) => m.networkMessageId);

describe('bluesky listening across polls', () => {
  it('picks up a post indexed after the last poll but written before it (sortAt is the earlier time)', async () => {
    const net = fakeAppView();
    const channel = channelFor(net.fetch);
    const a = net.add('zorblatt is great', T, T);
    const first = await channel.sync(null);
    expect(listened(first)).toEqual([a]);
    // written a few seconds before A was indexed, indexed (reached the AppView) after the poll
    const late = net.add('my zorblatt broke', T - 3_000, T + 4_000);
    const fresh = net.add('zorblatt again', T + 5_000, T + 5_000);
    const second = await channel.sync(first.cursor);
    expect(listened(second).sort()).toEqual([late, fresh].sort());
    // found once: the next poll brings nothing again
    const third = await channel.sync(second.cursor);
    expect(listened(third)).toEqual([]);
  });

  it('pages on past already-seen posts to a late-indexed one on the next page', async () => {
    const net = fakeAppView();
    const channel = channelFor(net.fetch);
    const a = net.add('zorblatt first', T, T);
    const first = await channel.sync(null);
    expect(listened(first)).toEqual([a]);
    const news = Array.from({ length: 99 }, (_, i) => net.add(`zorblatt news ${i}`, T + 10_000 + i * 1000, T + 10_000 + i * 1000));
    const late = net.add('zorblatt late', T - 60_000, T + 5_000);
    const second = await channel.sync(first.cursor);
    expect(new Set(listened(second))).toEqual(new Set([...news, late]));
    expect(listened(second)).toHaveLength(100);
  });

  it('a keyword with no hits yet still starts its position: a burst after it is paged through, not cut to a backfill page', async () => {
    const net = fakeAppView();
    const channel = channelFor(net.fetch);
    const first = await channel.sync(null);
    expect(listened(first)).toEqual([]);
    const burst = Array.from({ length: 60 }, (_, i) => net.add(`zorblatt launch ${i}`, T + i * 1000, T + i * 1000));
    const second = await channel.sync(first.cursor);
    expect(new Set(listened(second))).toEqual(new Set(burst));
    expect(listened(await channel.sync(second.cursor))).toEqual([]);
  });

  it('a burst bigger than one poll (950 hits) is read through over the next polls, each once, and a post written meanwhile is not held up', async () => {
    const net = fakeAppView();
    const channel = channelFor(net.fetch);
    const before = net.add('zorblatt before', T, T);
    let cursor = (await channel.sync(null)).cursor;
    // an outage: 950 hits, some at the same instant, between two polls
    const burst = Array.from({ length: 950 }, (_, i) => net.add(`zorblatt down ${i}`, T + 1000 + Math.floor(i / 3) * 1000, T + 1000 + Math.floor(i / 3) * 1000));
    const seen: string[] = [];
    const polls: boolean[] = [];
    let late = '';
    let lateFirstSeen = -1;
    for (let i = 0; i < 6; i++) {
      const r = await channel.sync(cursor);
      const got = listened(r);
      seen.push(...got);
      polls.push(!!r.more);
      cursor = r.cursor;
      if (i === 1) late = net.add('zorblatt still down?', T + 600_000, T + 600_000);
      if (late && lateFirstSeen < 0 && got.includes(late)) lateFirstSeen = i;
    }
    expect(seen).not.toContain(before);
    expect(seen.length).toBe(new Set(seen).size);
    expect(new Set(seen)).toEqual(new Set([...burst, late]));
    // the newest come first, even while the backfill goes on
    expect(lateFirstSeen).toBe(2);
    // 400, then what the newest pages leave of four; `more` has the sync worker poll again at once until it is done
    expect(polls).toEqual([true, true, true, false, false, false]);
    expect(JSON.parse(cursor!).g).toBeUndefined();
    expect(listened(await channel.sync(cursor))).toEqual([]);
  });

  it('reads a listening position stored before backfills existed (no `g`)', async () => {
    const net = fakeAppView();
    const channel = channelFor(net.fetch);
    const before = net.add('zorblatt before', T, T);
    const after = net.add('zorblatt after', T + 1000, T + 1000);
    const legacy = JSON.stringify({ v: 1, n: null, k: { zorblatt: { at: ISO(T), uris: [before] } }, c: null });
    const r = await channel.sync(legacy);
    expect(listened(r)).toEqual([after]);
    expect(r.more).toBeFalsy();
    // (a malformed backfill is refused like any other malformed position)
    await expect(channel.sync(JSON.stringify({ v: 1, n: null, k: {}, g: { zorblatt: [{ until: 'x' }] }, c: null }))).rejects.toMatchObject({ code: 'CURSOR_INVALID' });
  });

  it('sends a keyword with an operator or a quote as a literal phrase, not as a filter', async () => {
    const net = fakeAppView();
    const channel = channelFor(net.fetch, ['from:rival', 'zorblatt 12" pizza', 'zorblatt rocket']);
    await channel.sync(null);
    expect(net.searches.map((p) => p.get('q'))).toEqual(['"from:rival"', '"zorblatt 12 pizza"', 'zorblatt rocket']);
  });
});
