/**
 * What each network keeps of a payload past raw retention (src/channels/retainedRaw.ts and the
 * networks' retain.ts): the ids its connector reads when answering later, never text, names or
 * profile data; networks that read nothing later keep nothing.
 */
import { describe, expect, it } from 'vitest';
import { retainedRaw } from '../src/channels/retainedRaw.js';

const kept = (network: string, raw: unknown) => {
  const s = retainedRaw(network, raw, 1);
  return s == null ? null : JSON.parse(s);
};

describe('retainedRaw', () => {
  it('Instagram: a mention keeps its media and comment ids, a DM its mid, anything else only the mark', () => {
    const mention = { mention: { media_id: '17900', comment_id: '17901' }, mentioned_comment: { id: '17901', text: 'call me on 555', username: 'ana', from: { id: '42', username: 'ana' } } };
    expect(kept('instagram', mention)).toEqual({ 'parley:retained': 1, mention: { media_id: '17900', comment_id: '17901' } });
    expect(kept('instagram', { sender: { id: '42' }, recipient: { id: '1' }, message: { mid: 'aWdf', text: 'my address' } })).toEqual({ 'parley:retained': 1, message: { mid: 'aWdf' } });
    expect(kept('instagram', { from: { id: '42', username: 'ana' }, media: { id: '5' }, id: '6', text: 'hi' })).toEqual({ 'parley:retained': 1 });
    expect(kept('instagram', 'not json')).toEqual({ 'parley:retained': 1 });
  });

  it('Facebook: a Messenger message keeps its mid; comments keep nothing', () => {
    expect(kept('facebook', { sender: { id: '9' }, message: { mid: 'm_1', text: 'secret' } })).toEqual({ 'parley:retained': 1, message: { mid: 'm_1' } });
    expect(kept('facebook', { comment: { id: '1_2', message: 'hi', from: { name: 'Ana' } } })).toBeNull();
  });

  it('Bluesky: a post keeps uri, cid and its reply refs; a chat message its rev', () => {
    const ref = { uri: 'at://did:plc:a/app.bsky.feed.post/1', cid: 'bafy1' };
    const post = { uri: 'at://did:plc:b/app.bsky.feed.post/2', cid: 'bafy2', author: { did: 'did:plc:b', handle: 'ana.bsky.social', displayName: 'Ana' }, record: { text: 'secret', reply: { root: ref, parent: ref } } };
    expect(kept('bluesky', post)).toEqual({ 'parley:retained': 1, uri: post.uri, cid: post.cid, record: { reply: { root: ref, parent: ref } } });
    expect(kept('bluesky', { convo: { id: 'c', members: [{ handle: 'ana' }] }, message: { id: 'm', rev: '222', text: 'secret', sender: { did: 'did:plc:b' } } })).toEqual({ 'parley:retained': 1, message: { rev: '222' } });
  });

  it('networks whose connectors read no payload later keep nothing', () => {
    for (const n of ['x', 'mastodon', 'email', 'webchat', 'demo']) expect(kept(n, { id: '1', text: 'secret', from: [{ address: 'ana@example.com' }] })).toBeNull();
  });
});
