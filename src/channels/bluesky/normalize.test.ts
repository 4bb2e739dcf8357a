/**
 * Bluesky normalization on payloads shaped by the lexicons
 * (app.bsky.notification.listNotifications#notification, app.bsky.feed.defs#postView,
 * chat.bsky.convo.defs#messageView), including hostile and odd text.
 */
import { describe, expect, it } from 'vitest';
import {
  chatMessageId,
  normalizeChatMessage,
  normalizeNotification,
  normalizePost,
  parseAtUri,
  parseChatMessageId,
  postUrl,
  replyRefFor,
  replyRefOf,
  type NotificationLike,
} from './normalize.js';

const OWN = 'did:plc:brandbrandbrandbrandbran';
const ALICE = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';

/** A mention notification as listNotifications returns it (record = the app.bsky.feed.post record). */
function mention(over: Partial<NotificationLike> = {}, record: Record<string, unknown> = {}): NotificationLike {
  return {
    uri: `at://${ALICE}/app.bsky.feed.post/3l6oveex3ii2l`,
    cid: 'bafyreidfayvfuwqa7qlnopdjiqrxzs6blmoeu4rujcjtnci5beludirz2a',
    author: {
      did: ALICE,
      handle: 'alice.bsky.social',
      displayName: 'Alice',
      avatar: 'https://cdn.bsky.app/img/avatar/plain/did:plc:ewvi7nxzyoun6zhxrhs64oiz/bafkreib@jpeg',
      verification: { verifiedStatus: 'none' },
    },
    reason: 'mention',
    record: {
      $type: 'app.bsky.feed.post',
      text: '@brand.bsky.social my order 🚚 has not arrived',
      facets: [{ index: { byteStart: 0, byteEnd: 18 }, features: [{ $type: 'app.bsky.richtext.facet#mention', did: OWN }] }],
      langs: ['en'],
      createdAt: '2024-10-08T12:00:00.000Z',
      ...record,
    },
    indexedAt: '2024-10-08T12:00:01.234Z',
    ...over,
  } as NotificationLike;
}

const ctx = { ownDid: OWN };

describe('bluesky notification → NormalizedMessage', () => {
  it('keeps the text verbatim (facets only annotate it) and identifies the author by DID', () => {
    const n = mention();
    const m = normalizeNotification(n, ctx)!;
    expect(m).toEqual({
      network: 'bluesky',
      networkMessageId: n.uri,
      direction: 'inbound',
      visibility: 'public',
      kind: 'mention',
      author: {
        networkUserId: ALICE,
        handle: 'alice.bsky.social',
        displayName: 'Alice',
        followers: null,
        verified: false,
        profileUrl: 'https://bsky.app/profile/alice.bsky.social',
        avatarUrl: n.author.avatar,
      },
      text: '@brand.bsky.social my order 🚚 has not arrived',
      inReplyToNetworkId: null,
      threadRootNetworkId: null,
      createdAt: Date.parse('2024-10-08T12:00:00.000Z'),
      url: 'https://bsky.app/profile/alice.bsky.social/post/3l6oveex3ii2l',
      fromBrand: false,
      raw: n,
    });
  });

  it('a reply carries its parent and the thread root', () => {
    const record = {
      reply: {
        root: { uri: `at://${OWN}/app.bsky.feed.post/3l6oa`, cid: 'bafyroot' },
        parent: { uri: `at://${OWN}/app.bsky.feed.post/3l6ob`, cid: 'bafyparent' },
      },
    };
    const m = normalizeNotification(mention({ reason: 'reply' }, record), ctx)!;
    expect(m.kind).toBe('reply');
    expect(m.inReplyToNetworkId).toBe(`at://${OWN}/app.bsky.feed.post/3l6ob`);
    expect(m.threadRootNetworkId).toBe(`at://${OWN}/app.bsky.feed.post/3l6oa`);
  });

  it('quotes count as mentions; likes, reposts, follows and non-post records are not messages', () => {
    expect(normalizeNotification(mention({ reason: 'quote' }), ctx)?.kind).toBe('mention');
    for (const reason of ['like', 'repost', 'follow', 'starterpack-joined', 'verified']) expect(normalizeNotification(mention({ reason }), ctx)).toBeNull();
    expect(normalizeNotification(mention({ uri: `at://${ALICE}/app.bsky.feed.like/3l6ov` }), ctx)).toBeNull();
  });

  it('hostile and odd text stays exactly as written: HTML/script is inert text, huge text and odd Unicode survive', () => {
    const hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> &amp; &lt;b&gt;';
    expect(normalizeNotification(mention({}, { text: hostile }), ctx)!.text).toBe(hostile);
    const huge = 'ä'.repeat(100_000);
    expect(normalizeNotification(mention({}, { text: huge }), ctx)!.text).toBe(huge);
    const odd = 'RTL \u202Egnp.exe\u202C, ZWJ 👩\u200D👩\u200D👧, combining e\u0301, NUL \u0000, tag 🏴󠁧󠁢󠁳󠁣󠁴󠁿';
    expect(normalizeNotification(mention({}, { text: odd }), ctx)!.text).toBe(odd);
    // a record without text (an embed-only post) is an empty message, not a crash
    expect(normalizeNotification(mention({}, { text: undefined }), ctx)!.text).toBe('');
  });

  it('createdAt: the earlier of the author-declared time and when the AppView indexed it', () => {
    expect(normalizeNotification(mention({}, { createdAt: '2099-01-01T00:00:00Z' }), ctx)!.createdAt).toBe(Date.parse('2024-10-08T12:00:01.234Z'));
    expect(normalizeNotification(mention({}, { createdAt: 'not a date' }), ctx)!.createdAt).toBe(Date.parse('2024-10-08T12:00:01.234Z'));
  });

  it('an unverifiable handle (handle.invalid) links by DID; a verified account is verified', () => {
    const m = normalizeNotification(mention({ author: { did: ALICE, handle: 'handle.invalid', verification: { verifiedStatus: 'valid' } } }), ctx)!;
    expect(m.url).toBe(`https://bsky.app/profile/${encodeURIComponent(ALICE)}/post/3l6oveex3ii2l`);
    expect(m.author.profileUrl).toBe(`https://bsky.app/profile/${encodeURIComponent(ALICE)}`);
    expect(m.author.verified).toBe(true);
    expect(m.author.displayName).toBeNull();
  });

  it('the brand\'s own posts are marked fromBrand/outbound; follower counts come from the context', () => {
    const own = normalizePost(mention({ author: { did: OWN, handle: 'brand.bsky.social' } }), 'post', ctx);
    expect(own).toMatchObject({ fromBrand: true, direction: 'outbound', kind: 'post' });
    const withFollowers = normalizePost(mention(), 'listening', { ...ctx, followers: new Map([[ALICE, 1234]]), webUrl: 'https://bsky.example/' });
    expect(withFollowers.author.followers).toBe(1234);
    expect(withFollowers.url).toBe('https://bsky.example/profile/alice.bsky.social/post/3l6oveex3ii2l');
  });
});

describe('bluesky reply references', () => {
  it('answering a top-level post: root and parent are that post', () => {
    const p = { uri: `at://${ALICE}/app.bsky.feed.post/a`, cid: 'bafya', record: { text: 'hi' } };
    expect(replyRefFor(p)).toEqual({ root: { uri: p.uri, cid: 'bafya' }, parent: { uri: p.uri, cid: 'bafya' } });
  });

  it('answering a reply: root stays the thread\'s root, parent is the reply', () => {
    const p = { uri: `at://${ALICE}/app.bsky.feed.post/b`, cid: 'bafyb', record: { reply: { root: { uri: 'at://x/app.bsky.feed.post/r', cid: 'bafyr' }, parent: { uri: 'at://x/app.bsky.feed.post/q', cid: 'bafyq' } } } };
    expect(replyRefFor(p)).toEqual({ root: { uri: 'at://x/app.bsky.feed.post/r', cid: 'bafyr' }, parent: { uri: p.uri, cid: 'bafyb' } });
  });

  it('a malformed reply field is ignored rather than trusted', () => {
    expect(replyRefOf({ reply: { root: { uri: 'at://x/y/z' }, parent: 'nope' } })).toBeNull();
    expect(replyRefOf(null)).toBeNull();
  });

  it('parses at:// URIs and builds web URLs only for posts', () => {
    expect(parseAtUri(`at://${ALICE}/app.bsky.feed.post/3l6o`)).toEqual({ did: ALICE, collection: 'app.bsky.feed.post', rkey: '3l6o' });
    expect(parseAtUri('https://bsky.app/x')).toBeNull();
    expect(postUrl(`at://${ALICE}/app.bsky.graph.block/3l6o`, 'alice.test')).toBeNull();
  });
});

describe('bluesky chat messages', () => {
  const convo = { id: '3l6ovf7xn2u2c', members: [{ did: OWN, handle: 'brand.bsky.social' }, { did: ALICE, handle: 'alice.bsky.social', displayName: 'Alice' }] };
  const message = { $type: 'chat.bsky.convo.defs#messageView', id: '3l6ovfa3slb2c', rev: '3l6ovfa3tpf2c', text: 'hi <b>there</b>\n\nsecond line', sender: { did: ALICE }, sentAt: '2024-10-08T12:30:00.000Z' };

  it('a message view is a private dm in the conversation\'s thread, text verbatim', () => {
    const m = normalizeChatMessage(message, convo, ctx)!;
    expect(m).toMatchObject({
      networkMessageId: `chat:${convo.id}:${message.id}`,
      direction: 'inbound', visibility: 'private', kind: 'dm', text: 'hi <b>there</b>\n\nsecond line',
      threadRootNetworkId: `chat:${convo.id}`, createdAt: Date.parse(message.sentAt),
      author: { networkUserId: ALICE, handle: 'alice.bsky.social', displayName: 'Alice' },
      url: `https://bsky.app/messages/${convo.id}`,
    });
    expect(m.raw).toEqual({ convo, message });
  });

  it('a message without a parseable sentAt is dated when it was fetched, not 1970', () => {
    const now = Date.UTC(2026, 10, 17, 10);
    for (const sentAt of ['', 'not a date', undefined as unknown as string]) {
      expect(normalizeChatMessage({ ...message, sentAt }, convo, ctx, { now })!.createdAt).toBe(now);
    }
    const before = Date.now();
    const t = normalizeChatMessage({ ...message, sentAt: 'garbage' }, convo, ctx)!.createdAt;
    expect(t).toBeGreaterThanOrEqual(before);
    expect(t).toBeLessThanOrEqual(Date.now());
    expect(normalizeChatMessage(message, convo, ctx, { now })!.createdAt).toBe(Date.parse(message.sentAt));
  });

  it('deleted and system messages are skipped; the account\'s own messages are outbound', () => {
    expect(normalizeChatMessage({ ...message, $type: 'chat.bsky.convo.defs#deletedMessageView', text: undefined }, convo, ctx)).toBeNull();
    expect(normalizeChatMessage({ ...message, $type: 'chat.bsky.convo.defs#systemMessageView' }, convo, ctx)).toBeNull();
    expect(normalizeChatMessage({ ...message, sender: { did: OWN } }, convo, ctx)).toMatchObject({ fromBrand: true, direction: 'outbound' });
  });

  it('chat message ids round-trip, even with colons in the conversation id', () => {
    expect(parseChatMessageId(chatMessageId('a:b', 'm1'))).toEqual({ convoId: 'a:b', messageId: 'm1' });
    expect(parseChatMessageId('at://did/app.bsky.feed.post/x')).toBeNull();
    expect(parseChatMessageId('chat:nomessage')).toBeNull();
  });
});
