/**
 * Mastodon normalization on the documentation's example payloads
 * (docs.joinmastodon.org: entities/Status, methods/notifications, methods/streaming),
 * converted the way the masto client hands them over (keys camelCased).
 */
import { describe, expect, it } from 'vitest';
import {
  comparableText,
  compareIds,
  normalizeNotification,
  normalizeStatus,
  statusFromRaw,
  withMentions,
  type MastoNotification,
  type MastoStatus,
} from './normalize.js';
import { parseCursor, prevMinId } from './index.js';

/** What masto does to every response: snake_case keys → camelCase, values untouched. */
function camelize<T>(v: unknown): T {
  if (Array.isArray(v)) return v.map((x) => camelize(x)) as T;
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), camelize(x)])) as T;
  return v as T;
}

const gargron = {
  id: '1', username: 'Gargron', acct: 'Gargron', display_name: 'Eugen', locked: false, bot: false, discoverable: true, group: false,
  created_at: '2016-03-16T14:34:26.392Z', note: '<p>Developer of Mastodon and administrator of mastodon.social.</p>',
  url: 'https://mastodon.social/@Gargron', avatar: 'https://files.mastodon.social/accounts/avatars/000/000/001/original/d96d39a0abb45b92.jpg',
  avatar_static: 'https://files.mastodon.social/accounts/avatars/000/000/001/original/d96d39a0abb45b92.jpg',
  header: 'https://files.mastodon.social/accounts/headers/000/000/001/original/c91b871f294ea63e.png',
  header_static: 'https://files.mastodon.social/accounts/headers/000/000/001/original/c91b871f294ea63e.png',
  followers_count: 322930, following_count: 459, statuses_count: 61323, last_status_at: '2019-12-10T08:14:44.811Z', emojis: [], fields: [],
};

/** entities/Status example (its closing tag typo `</span}` corrected). */
const statusExample = {
  id: '103270115826048975', created_at: '2019-12-08T03:48:33.901Z', in_reply_to_id: null, in_reply_to_account_id: null, sensitive: false, spoiler_text: '',
  visibility: 'public', language: 'en', uri: 'https://mastodon.social/users/Gargron/statuses/103270115826048975', url: 'https://mastodon.social/@Gargron/103270115826048975',
  replies_count: 5, reblogs_count: 6, favourites_count: 11, favourited: false, reblogged: false, muted: false, bookmarked: false,
  content:
    '<p>&quot;I lost my inheritance with one wrong digit on my sort code&quot;</p><p><a href="https://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code" rel="nofollow noopener noreferrer" target="_blank"><span class="invisible">https://www.</span><span class="ellipsis">theguardian.com/money/2019/dec</span><span class="invisible">/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code</span></a></p>',
  reblog: null, application: { name: 'Web', website: null }, account: gargron, media_attachments: [], mentions: [], tags: [], emojis: [], card: null, poll: null,
};

/** methods/notifications example (the mention), with the elided fields filled from the Status entity. */
const notificationExample = {
  id: '34975861', type: 'mention', created_at: '2019-11-23T07:49:02.064Z',
  account: { ...gargron, id: '971724', username: 'zsc', acct: 'zsc', display_name: '', followers_count: 12 },
  status: {
    ...statusExample, id: '103186126728896492', created_at: '2019-11-23T07:49:01.940Z', in_reply_to_id: '103186038209478945', in_reply_to_account_id: '14715',
    url: 'https://mastodon.social/@zsc/103186126728896492', content: '<p><span class="h-card"><a href="https://mastodon.social/@trwnh" class="u-url mention">@<span>trwnh</span></a></span> sup!</p>',
    account: { ...gargron, id: '971724', username: 'zsc', acct: 'zsc', display_name: '', followers_count: 12 },
    mentions: [{ id: '14715', username: 'trwnh', url: 'https://mastodon.social/@trwnh', acct: 'trwnh' }],
  },
};

describe('mastodon Status → NormalizedMessage', () => {
  it('the documented Status: HTML content read as text, the original HTML kept in raw', () => {
    const s = camelize<MastoStatus>(statusExample);
    const m = normalizeStatus(s, 'listening', { ownId: '42' });
    expect(m).toEqual({
      network: 'mastodon', networkMessageId: '103270115826048975', direction: 'inbound', visibility: 'public', kind: 'listening',
      author: { networkUserId: '1', handle: 'Gargron', displayName: 'Eugen', followers: 322930, verified: null, profileUrl: 'https://mastodon.social/@Gargron', avatarUrl: gargron.avatar },
      text: '"I lost my inheritance with one wrong digit on my sort code"\n\nhttps://www.theguardian.com/money/2019/dec/07/i-lost-my-193000-inheritance-with-one-wrong-digit-on-my-sort-code',
      inReplyToNetworkId: null, threadRootNetworkId: null, createdAt: Date.parse('2019-12-08T03:48:33.901Z'),
      url: 'https://mastodon.social/@Gargron/103270115826048975', fromBrand: false, raw: s,
    });
    expect((m.raw as MastoStatus).content).toBe(statusExample.content);
  });

  it('the brand\'s own status is outbound; a content warning stays in front of the text', () => {
    const s = camelize<MastoStatus>({ ...statusExample, spoiler_text: 'CW: delivery rant', content: '<p>it is late</p>' });
    expect(normalizeStatus(s, null, { ownId: '1' })).toMatchObject({ fromBrand: true, direction: 'outbound', text: 'CW: delivery rant\n\nit is late' });
  });

  it('a status from a bot account is marked automated (Account.bot); a person\'s is not', () => {
    const base = camelize<MastoStatus>(statusExample);
    expect(normalizeStatus(base, null, { ownId: '1' }).automated).toBeUndefined();
    expect(normalizeStatus({ ...base, account: { ...base.account, bot: true } }, null, { ownId: '1' })).toMatchObject({ fromBrand: true, automated: true });
  });

  it('visibility: direct is a private dm; unlisted and followers-only posts are public items', () => {
    const base = camelize<MastoStatus>(statusExample);
    expect(normalizeStatus({ ...base, visibility: 'direct' }, null, { ownId: '42' })).toMatchObject({ visibility: 'private', kind: 'dm' });
    expect(normalizeStatus({ ...base, visibility: 'unlisted' }, null, { ownId: '42' })).toMatchObject({ visibility: 'public', kind: 'mention' });
    expect(normalizeStatus({ ...base, visibility: 'private' }, null, { ownId: '42' }).visibility).toBe('public');
    expect(normalizeStatus({ ...base, inReplyToId: '7', inReplyToAccountId: '42' }, null, { ownId: '42' }).kind).toBe('reply');
  });

  it('hostile content comes out as inert text; huge content is kept whole', () => {
    const base = camelize<MastoStatus>(statusExample);
    const m = normalizeStatus({ ...base, content: '<p>&lt;script&gt;alert(1)&lt;/script&gt;<script>steal()</script> <img src=x onerror=alert(2)>hi</p>' }, null, { ownId: '42' });
    expect(m.text).toBe('<script>alert(1)</script> hi');
    const huge = 'ü'.repeat(300_000);
    expect(normalizeStatus({ ...base, content: `<p>${huge}</p>` }, null, { ownId: '42' }).text).toBe(huge);
  });
});

describe('mastodon Notification → NormalizedMessage', () => {
  it('the documented mention notification', () => {
    const n = camelize<MastoNotification>(notificationExample);
    const m = normalizeNotification(n, { ownId: '14715' })!;
    expect(m).toMatchObject({
      networkMessageId: '103186126728896492', kind: 'reply', visibility: 'public', text: '@trwnh sup!', inReplyToNetworkId: '103186038209478945',
      author: { networkUserId: '971724', handle: 'zsc', displayName: null, followers: 12 },
    });
    expect(m.raw).toBe(n);
    expect(statusFromRaw(m.raw, '103186126728896492')?.account.acct).toBe('zsc');
  });

  it('the documented streaming notification (remote author, unlisted, no <p>)', () => {
    const payload = JSON.parse('{"id":"68739215","type":"mention","created_at":"2022-08-30T23:09:54.070Z","account":{"id":"108892712797543112","username":"a","acct":"a@pl.nulled.red","display_name":"a","locked":false,"bot":true,"discoverable":false,"group":false,"created_at":"2022-08-27T00:00:00.000Z","note":"a (pleroma edition)","url":"https://pl.nulled.red/users/a","avatar":"https://files.mastodon.social/cache/accounts/avatars/108/892/712/797/543/112/original/5396d516ae170bb0.png","avatar_static":"https://files.mastodon.social/cache/accounts/avatars/108/892/712/797/543/112/original/5396d516ae170bb0.png","header":"https://files.mastodon.social/cache/accounts/headers/108/892/712/797/543/112/original/f61d0382356caa0e.png","header_static":"https://files.mastodon.social/cache/accounts/headers/108/892/712/797/543/112/original/f61d0382356caa0e.png","followers_count":0,"following_count":0,"statuses_count":12,"last_status_at":"2022-08-30","emojis":[],"fields":[]},"status":{"id":"108914343542683797","created_at":"2022-08-30T23:09:52.359Z","in_reply_to_id":null,"in_reply_to_account_id":null,"sensitive":false,"spoiler_text":"","visibility":"unlisted","language":null,"uri":"https://pl.nulled.red/objects/64b196c6-3bc5-44d5-8ffb-f760235ee6ca","url":"https://pl.nulled.red/objects/64b196c6-3bc5-44d5-8ffb-f760235ee6ca","replies_count":0,"reblogs_count":0,"favourites_count":0,"edited_at":null,"favourited":false,"reblogged":false,"muted":false,"bookmarked":false,"content":"<span class=\\"h-card\\"><a class=\\"u-url mention\\" href=\\"https://mastodon.social/@trwnh\\" rel=\\"nofollow noopener noreferrer\\" target=\\"_blank\\">@<span>trwnh</span></a></span> test","filtered":[],"reblog":null,"account":{"id":"108892712797543112","username":"a","acct":"a@pl.nulled.red","display_name":"a","url":"https://pl.nulled.red/users/a","followers_count":0},"media_attachments":[],"mentions":[{"id":"14715","username":"trwnh","url":"https://mastodon.social/@trwnh","acct":"trwnh"}],"tags":[],"emojis":[],"card":null,"poll":null}}');
    const m = normalizeNotification(camelize<MastoNotification>(payload), { ownId: '14715' })!;
    expect(m).toMatchObject({ networkMessageId: '108914343542683797', kind: 'mention', visibility: 'public', text: '@trwnh test', author: { handle: 'a@pl.nulled.red', followers: 0 } });
  });

  it('other notification types are not messages', () => {
    for (const type of ['favourite', 'reblog', 'follow', 'poll', 'update', 'status']) {
      expect(normalizeNotification(camelize<MastoNotification>({ ...notificationExample, type }), { ownId: '14715' })).toBeNull();
    }
    expect(normalizeNotification(camelize<MastoNotification>({ ...notificationExample, status: null }), { ownId: '14715' })).toBeNull();
  });
});

describe('mastodon helpers', () => {
  it('mentions the addressee once, in front, unless the text already does', () => {
    expect(withMentions('Thanks!', ['alice'])).toBe('@alice Thanks!');
    expect(withMentions('Thanks @alice!', ['alice'])).toBe('Thanks @alice!');
    expect(withMentions('Thanks @alice@other.social', ['alice@other.social'])).toBe('Thanks @alice@other.social');
    expect(withMentions('hi @alicex', ['alice'])).toBe('@alice hi @alicex');
    expect(withMentions('mail alice@example.com', ['alice'])).toBe('@alice mail alice@example.com');
    expect(withMentions('x', ['bob', 'bob'])).toBe('@bob x');
  });

  it('compares reply texts without leading mentions and with whitespace collapsed', () => {
    expect(comparableText('@alice @bob@other.social  Hello\n\nthere ')).toBe('Hello there');
    expect(comparableText('Hello there')).toBe('Hello there');
  });

  it('orders numeric ids numerically, other ids as strings', () => {
    expect(compareIds('99', '100')).toBeLessThan(0);
    expect(compareIds('103270115826048975', '103270115826048974')).toBeGreaterThan(0);
    expect(compareIds('abc', 'abd')).toBeLessThan(0);
  });

  it('reads the newest id from the Link header; the cursor round-trips or is CURSOR_INVALID', () => {
    expect(prevMinId('<https://mastodon.example/api/v1/notifications?max_id=34975535>; rel="next", <https://mastodon.example/api/v1/notifications?min_id=34975861>; rel="prev"')).toBe('34975861');
    expect(prevMinId(null)).toBeNull();
    expect(parseCursor(null)).toEqual({ v: 1, n: null, t: {}, k: {} });
    const c = { v: 1, n: '34975861', t: { brand: '5' }, k: { 'brand name': '7' } };
    expect(parseCursor(JSON.stringify(c))).toEqual(c);
    for (const bad of ['x', '{}', '{"v":1,"n":5,"t":{},"k":{}}', '{"v":1,"n":null,"t":[],"k":{}}']) {
      expect(() => parseCursor(bad)).toThrow(expect.objectContaining({ code: 'CURSOR_INVALID' }));
    }
  });
});
