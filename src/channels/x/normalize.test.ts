/**
 * X normalization on the payloads X documents (docs.x.com: mentions quickstart response,
 * Account Activity `direct_message_events` and longform `tweet_create_events` examples),
 * hostile text, malformed items (quarantined by the pipeline's edge check, never thrown),
 * and the error mapping of twitter-api-v2 errors.
 */
import { ApiPartialResponseError, ApiRequestError, ApiResponseError } from 'twitter-api-v2';
import { describe, expect, it } from 'vitest';
import { validateMessage } from '../../pipeline/validate.js';
import { jsonText } from '../../lib/json.js';
import { ChannelError } from '../types.js';
import { mapXError } from './errors.js';
import { decodeXText, matchesSent, normalizeV1DmEvent, normalizeV1Tweet, normalizeV2DmEvent, normalizeV2Tweet, postedText, sentText } from './normalize.js';
import { crcResponseToken, handleXWebhook, signXWebhook } from './webhook.js';

const me = { userId: '2244994945', username: 'XDevelopers' };

// GET /2/users/:id/mentions response, docs "User mention timeline quickstart" (+ includes as the expansion returns them)
const mentionsResponse = {
  data: [{ id: '1301573587187331074', text: 'Hey @XDevelopers, love the new API! 5 &gt; 3 &amp;&amp; &lt;3', author_id: '1234567890', created_at: '2024-01-15T10:30:00.000Z', public_metrics: { retweet_count: 5, reply_count: 2, like_count: 42, quote_count: 1 } }],
  includes: { users: [{ id: '1234567890', name: 'Dev Fan', username: 'devfan', verified: false, public_metrics: { followers_count: 1500 } }] },
  meta: { newest_id: '1301573587187331074', oldest_id: '1301573587187331074', result_count: 1 },
};

// Account Activity direct_message_events example (docs: x-api/account-activity/introduction)
const dmDelivery = {
  for_user_id: '4337869213',
  direct_message_events: [{
    type: 'message_create', id: '954491830116155396', created_timestamp: '1516403560557',
    message_create: { target: { recipient_id: '4337869213' }, sender_id: '3001969357', source_app_id: '13090192', message_data: { text: 'Hello World!', entities: { hashtags: [], symbols: [], user_mentions: [], urls: [] } } },
  }],
  apps: { 13090192: { id: '13090192', name: 'FuriousCamperTestApp1', url: 'https://x.com/furiouscamper' } },
  users: {
    3001969357: { id: '3001969357', created_timestamp: '1422556069340', name: 'Jordan Brinks', screen_name: 'furiouscamper', location: 'Boulder, CO', description: 'Alter Ego - X PE opinions-are-my-own', url: 'https://t.co/SnxaA15ZuY', protected: false, verified: false, followers_count: 22, friends_count: 45, statuses_count: 494, profile_image_url_https: 'https://pbs.twimg.com/profile_images/851526626785480705/cW4WTi7C_normal.jpg' },
    4337869213: { id: '4337869213', created_timestamp: '1448312972328', name: 'Harrison Test', screen_name: 'Harris_0ff', location: 'Burlington, MA', protected: false, verified: false, followers_count: 8, friends_count: 8, statuses_count: 240, profile_image_url_https: 'https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png' },
  },
};

// Account Activity longform tweet_create_events example (abridged as in the docs); the numeric id is the lossy one
const longform = {
  created_at: 'Mon May 19 14:01:46 +0000 2025', id: 1924465506158879000, id_str: '1924465506158878979',
  text: 'The Antikythera Mechanism: A Window into Ancient Ingenuity Discovered in 1901 among the wreckage of a Roman ship of… https://t.co/bzbEKj8cd8',
  display_text_range: [0, 140], truncated: true,
  user: { id: 1603419180975409200, id_str: '1603419180975409153', name: 'History Fan', screen_name: 'historyfan', followers_count: 12, verified: false },
  in_reply_to_status_id: null, in_reply_to_status_id_str: null, in_reply_to_user_id_str: null,
  extended_tweet: { full_text: 'The Antikythera Mechanism: A Window into Ancient Ingenuity … making it one of the most remarkable artifacts ever unearthed.\n@xai\n@XDevelopers', display_text_range: [0, 2051], entities: { hashtags: [], urls: [], user_mentions: [], symbols: [] } },
  timestamp_ms: '1747663306000',
};

describe('x normalization', () => {
  it('normalizes a documented v2 mention with its expanded author, decoding X\'s HTML escapes', () => {
    const m = normalizeV2Tweet(mentionsResponse.data[0]!, mentionsResponse.includes, me)!;
    expect(m).toMatchObject({
      network: 'x', networkMessageId: '1301573587187331074', direction: 'inbound', visibility: 'public', kind: 'mention',
      author: { networkUserId: '1234567890', handle: 'devfan', displayName: 'Dev Fan', followers: 1500, verified: false, profileUrl: 'https://x.com/devfan' },
      text: 'Hey @XDevelopers, love the new API! 5 > 3 && <3', createdAt: Date.parse('2024-01-15T10:30:00.000Z'), url: 'https://x.com/devfan/status/1301573587187331074',
      inReplyToNetworkId: null, threadRootNetworkId: null,
    });
    expect(m.raw).toMatchObject({ data: mentionsResponse.data[0], includes: { users: mentionsResponse.includes.users } });
    expect(validateMessage(m).ok).toBe(true);
  });

  it('normalizes the documented Account Activity DM example as a private message, with the one-to-one conversation id', () => {
    const [m] = handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('s', JSON.stringify(dmDelivery)) }, rawBody: Buffer.from(JSON.stringify(dmDelivery)) }, 's', { userId: '4337869213', username: 'Harris_0ff' }, 0).messages;
    expect(m).toMatchObject({
      networkMessageId: '954491830116155396', visibility: 'private', kind: 'dm', direction: 'inbound', text: 'Hello World!', createdAt: 1516403560557,
      author: { networkUserId: '3001969357', handle: 'furiouscamper', displayName: 'Jordan Brinks', followers: 22 }, threadRootNetworkId: '3001969357-4337869213',
    });
    // the same DM seen through the v2 DM events endpoint gets the same ids
    const v2 = normalizeV2DmEvent({ id: '954491830116155396', event_type: 'MessageCreate', text: 'Hello World!', sender_id: '3001969357', dm_conversation_id: '3001969357-4337869213', created_at: '2018-01-19T23:12:40.557Z' }, undefined, { userId: '4337869213', username: 'x' })!;
    expect(v2.networkMessageId).toBe(m!.networkMessageId);
    expect(v2.threadRootNetworkId).toBe(m!.threadRootNetworkId);
  });

  it('keeps each webhook event\'s exact text as its raw payload (numeric ids beyond 2^53 as X wrote them)', () => {
    const tweet = '{"created_at":"Mon May 19 14:15:06 +0000 2025","id":1924465506158878979,"id_str":"1924465506158878979","text":"@XDevelopers a \\"quoted\\" &amp; \\u00e9 one","user":{"id":15,"id_str":"15","screen_name":"pat","name":"Pat"},"timestamp_ms":"1747664106000"}';
    const dm = '{"type":"message_create","id":"954491830116155396","created_timestamp":"1516403560557","message_create":{"target":{"recipient_id":"2244994945"},"sender_id":"15","message_data":{"text":"hi"}}}';
    const deliver = (text: string) => handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('s', text) }, rawBody: Buffer.from(text) }, 's', me, 0).messages;
    const [t] = deliver(`{ "for_user_id": "2244994945", "tweet_create_events": [ ${tweet} ] }`);
    expect(t!.text).toBe('@XDevelopers a "quoted" & é one');
    const stored = validateMessage(t);
    expect(stored.raw).toBeInstanceOf(Uint8Array); // the body's bytes, not a copy held as a string
    expect(jsonText(stored.raw)).toBe(tweet);
    expect(jsonText(stored.raw)).toContain('"id":1924465506158878979');
    expect(JSON.parse(JSON.stringify(t!.raw)).id_str).toBe('1924465506158878979');
    const [d] = deliver(`{"for_user_id":"2244994945","direct_message_events":[${dm}],"users":{"15":{"id":"15","screen_name":"pat","name":"Pat"}}}`);
    expect(jsonText(validateMessage(d).raw)).toBe(`{"event":${dm},"user":{"id":"15","screen_name":"pat","name":"Pat"}}`);
    // multi-byte text is cut at the right bytes
    const emoji = tweet.replace('\\u00e9 one', 'é 😀 “one”');
    const [e] = deliver(`{"for_user_id":"2244994945","tweet_create_events":[${emoji},${tweet}]}`);
    expect(jsonText(validateMessage(e).raw)).toBe(emoji);
    expect(e!.text).toBe('@XDevelopers a "quoted" & é 😀 “one”');
  });

  it('hands back the items of a delivery that are not event objects, with the reason, keeping the rest', () => {
    const tweet = '{"id_str":"1924465506158878979","text":"@XDevelopers hi","user":{"id_str":"15","screen_name":"pat","name":"Pat"},"timestamp_ms":"1747664106000"}';
    const body = `{"for_user_id":"2244994945","tweet_create_events":[42,${tweet},"text"],"direct_message_events":[null]}`;
    const r = handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('s', body) }, rawBody: Buffer.from(body) }, 's', me, 0);
    expect(r.messages.map((m) => m.networkMessageId)).toEqual(['1924465506158878979']);
    expect(r.rejected).toEqual([
      { reason: 'tweet_create_events[0] is not a Tweet object', raw: 42 },
      { reason: 'tweet_create_events[2] is not a Tweet object', raw: 'text' },
      { reason: 'direct_message_events[0] is not a message event object', raw: null },
    ]);
  });

  it('keeps no more of a body than the delivery itself (a view into a larger buffer is copied)', () => {
    const tweet = '{"id_str":"8","text":"hi","user":{"id_str":"15","screen_name":"pat"}}';
    const text = `{"for_user_id":"2244994945","tweet_create_events":[${tweet}]}`;
    const big = Buffer.alloc(1 << 20);
    const at = big.write(text, 4096);
    const body = big.subarray(4096, 4096 + at);
    const [t] = handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('s', body) }, rawBody: body }, 's', me, 0).messages;
    const raw = validateMessage(t).raw as Uint8Array;
    expect(jsonText(raw)).toBe(tweet);
    expect(raw.buffer.byteLength).toBeLessThan(16_384);
    // a body of its own is not copied
    const own = Buffer.from(text);
    const [u] = handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('s', own) }, rawBody: own }, 's', me, 0).messages;
    expect((validateMessage(u).raw as Uint8Array).buffer).toBe(own.buffer);
  });

  it('stores the parsed event when the body is not valid UTF-8 (its bytes would not be the text that was read)', () => {
    const tweet = '{"id_str":"7","text":"caf\xff","user":{"id_str":"15","screen_name":"pat"}}';
    const body = Buffer.concat([Buffer.from('{"for_user_id":"2244994945","tweet_create_events":['), Buffer.from(tweet, 'latin1'), Buffer.from(']}')]);
    const [t] = handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('s', body) }, rawBody: body }, 's', me, 0).messages;
    expect(t!.text).toBe('caf\ufffd');
    const raw = validateMessage(t).raw;
    expect(typeof raw).toBe('string');
    expect(JSON.parse(raw as string)).toMatchObject({ id_str: '7', text: 'caf\ufffd' });
  });

  it('reads ids from id_str (the numeric id loses precision) and the full text of a longform post', () => {
    const m = normalizeV1Tweet(longform, me)!;
    expect(m.networkMessageId).toBe('1924465506158878979');
    expect(String(longform.id)).not.toBe(longform.id_str);
    expect(m.text).toMatch(/ever unearthed\.\n@xai\n@XDevelopers$/);
    expect(m.createdAt).toBe(1747663306000);
    expect(m.author).toMatchObject({ networkUserId: '1603419180975409153', handle: 'historyfan' });
  });

  it('puts created_at or now in for a time X never sends (negative, zero, 1970, the year 9999), so the post keeps a real time', () => {
    const now = Date.UTC(2026, 0, 2);
    const createdAt = 'Wed Oct 10 20:19:24 +0000 2018';
    for (const t of [-1, '-1', 0, '0', 12345, '253402300799000', 253402300799000, '1969-12-31T00:00:00Z']) {
      const tweet = normalizeV1Tweet({ id_str: '77', text: '@AcmeCare hi', user: { id_str: '9', screen_name: 'pat' }, timestamp_ms: t, created_at: createdAt }, me, { now })!;
      expect(tweet.createdAt, String(t)).toBe(Date.parse(createdAt));
      const dm = normalizeV1DmEvent({ type: 'message_create', id: '78', created_timestamp: t, message_create: { target: { recipient_id: me.userId }, sender_id: '9', message_data: { text: 'hi' } } }, {}, me, { now })!;
      expect(dm.createdAt, String(t)).toBe(now);
      expect(validateMessage(dm).ok).toBe(true);
    }
    expect(normalizeV1Tweet({ id_str: '77', text: 'hi', user: { id_str: '9', screen_name: 'pat' }, timestamp_ms: '1700000000000' }, me, { now })!.createdAt).toBe(1_700_000_000_000);
  });

  it('marks the brand\'s own posts and DMs as fromBrand outbound, and drops reposts', () => {
    const own = normalizeV1Tweet({ ...longform, user: { id_str: me.userId, screen_name: me.username } }, me)!;
    expect(own).toMatchObject({ fromBrand: true, direction: 'outbound' });
    expect(normalizeV1Tweet({ ...longform, retweeted_status: { id_str: '1' } }, me)).toBeNull();
    expect(normalizeV2Tweet({ id: '5', text: 'RT', author_id: '9', referenced_tweets: [{ type: 'retweeted', id: '4' }] }, undefined, me)).toBeNull();
    const outDm = normalizeV1DmEvent({ ...dmDelivery.direct_message_events[0], message_create: { ...dmDelivery.direct_message_events[0]!.message_create, sender_id: me.userId } }, {}, me)!;
    expect(outDm).toMatchObject({ fromBrand: true, direction: 'outbound' });
  });

  it('keeps hostile text verbatim: markup, huge text, odd Unicode', () => {
    const nasty = '<script>alert("x")</script><img src=x onerror=alert(1)> \u202Egnp.exe \u0000 👩‍👩‍👧‍👦 \uD800 e\u0301 ﷽';
    const escaped = nasty.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    const m = normalizeV2Tweet({ id: '1', text: escaped, author_id: '2' }, undefined, me)!;
    expect(m.text).toBe(nasty);
    expect(validateMessage(m).ok).toBe(true);
    // a customer who typed an entity keeps it: X sends "&amp;lt;" for "&lt;"
    expect(decodeXText('&amp;lt;b&amp;gt; &amp;amp;')).toBe('&lt;b&gt; &amp;');
    const huge = 'a'.repeat(2_000_000);
    const big = normalizeV1Tweet({ ...longform, extended_tweet: { full_text: huge } }, me)!;
    expect(big.text.length).toBe(2_000_000);
    const v = validateMessage(big);
    expect(v.ok).toBe(false); // quarantined with a reason, not dropped
    expect(!v.ok && v.reason).toMatch(/text longer than/);
  });

  it('turns malformed items into messages the pipeline quarantines, without throwing', () => {
    const m = normalizeV1Tweet({ text: 'no id, no user' }, me)!;
    const v = validateMessage(m);
    expect(v.ok).toBe(false);
    expect(!v.ok && v.reason).toMatch(/networkMessageId/);
    expect(!v.ok && v.raw).toContain('no id, no user');
    expect(normalizeV1Tweet(null, me)).toBeNull();
    expect(normalizeV1DmEvent({ type: 'message_create' }, undefined, me)).not.toBeNull();
  });

  it('compares sent and posted text across X\'s rewriting (escapes, t.co, reply @mentions)', () => {
    const want = sentText('Track it: https://acme.test/t?a=1&b=2  now');
    const posted = postedText('@cust Track it: https://t.co/abc now', [{ url: 'https://t.co/abc', expanded_url: 'https://acme.test/t?a=1&b=2' }]);
    expect(matchesSent(posted, want)).toBe(true);
    expect(matchesSent(postedText('@cust @other Track it'), sentText('Track it'))).toBe(true);
    expect(matchesSent(postedText('Not quite Track it'), sentText('Track it'))).toBe(false);
    expect(matchesSent(postedText('5 &amp;&amp; 6'), sentText('5 && 6'))).toBe(true);
  });
});

describe('x webhook security', () => {
  const body = Buffer.from(JSON.stringify({ for_user_id: me.userId, tweet_create_events: [] }));
  it('answers the CRC as documented', () => {
    // the example pair from X's CRC sample code
    expect(crcResponseToken('z3ZX4v7mAAUGykl3EcmkqbartmuW8VFOOzCloLx9Q45P0hLrFu', '9b4507b3-9040-4669-9ca3-6b94edb50553')).toMatch(/^sha256=[A-Za-z0-9+/]{43}=$/);
    const r = handleXWebhook({ method: 'GET', query: { crc_token: 'abc' }, headers: {}, rawBody: Buffer.alloc(0) }, 'secret', me, 0);
    expect(r.response).toMatchObject({ status: 200, body: { response_token: crcResponseToken('secret', 'abc') } });
  });
  it('rejects a bad signature with AUTH_REVOKED (the route answers 401)', () => {
    const bad = () => handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('other', body) }, rawBody: body }, 'secret', me, 0);
    expect(bad).toThrow(ChannelError);
    expect(() => bad()).toThrow(/signature/);
    const ok = handleXWebhook({ method: 'POST', query: {}, headers: { 'x-twitter-webhooks-signature': signXWebhook('secret', body) }, rawBody: body }, 'secret', me, 0);
    expect(ok.response.status).toBe(200);
  });
});

describe('x error mapping', () => {
  const response = (code: number, data: unknown, rateLimit?: { limit: number; remaining: number; reset: number; day?: { limit: number; remaining: number; reset: number } }) =>
    new ApiResponseError(`Request failed with code ${code}`, { code, data: data as never, headers: {}, rateLimit, request: {} as never, response: {} as never });

  it('maps statuses and problem types', () => {
    const reset = Math.floor(Date.now() / 1000) + 900;
    const rl = mapXError(response(429, { title: 'Too Many Requests', type: 'about:blank', status: 429 }, { limit: 300, remaining: 0, reset }), 'write', 'post');
    expect(rl).toMatchObject({ code: 'RATE_LIMITED', opts: { retryAt: reset * 1000 } });
    // the 24-hour app cap resets later than the 15-minute window: wait for the later one
    const day = mapXError(response(429, {}, { limit: 300, remaining: 5, reset, day: { limit: 17, remaining: 0, reset: reset + 80_000 } }), 'write', 'post');
    expect(day.opts.retryAt).toBe((reset + 80_000) * 1000);
    expect(mapXError(response(401, { title: 'Unauthorized', status: 401 }), 'read', 'r').code).toBe('AUTH_REVOKED');
    expect(mapXError(response(403, { title: 'Forbidden', detail: 'You are not allowed to create a Tweet with duplicate content.' }), 'write', 'w').code).toBe('INVALID_REQUEST');
    expect(mapXError(response(403, { title: 'Forbidden', type: 'https://api.x.com/2/problems/client-forbidden' }), 'read', 'r').code).toBe('PERMISSION_DENIED');
    expect(mapXError(response(404, {}), 'write', 'w').code).toBe('NOT_FOUND');
    expect(mapXError(response(400, { errors: [{ parameters: { pagination_token: ['x'] }, message: 'bad' }] }), 'read', 'r').code).toBe('CURSOR_INVALID');
    expect(mapXError(response(400, { errors: [{ parameters: { text: ['x'] }, message: 'bad' }] }), 'write', 'w').code).toBe('INVALID_REQUEST');
    expect(mapXError(response(500, {}), 'write', 'w').code).toBe('TIMEOUT'); // may have been applied
    expect(mapXError(response(503, {}), 'write', 'w').code).toBe('TEMPORARY');
    expect(mapXError(response(500, {}), 'read', 'r').code).toBe('TEMPORARY');
  });

  it('maps transport failures by whether the request may have reached X', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(mapXError(new ApiRequestError('Request failed.', { request: {} as never, error: refused }), 'write', 'w').code).toBe('TEMPORARY');
    expect(mapXError(new ApiRequestError('Request failed.', { request: {} as never, error: new Error('Request timeout.') }), 'write', 'w').code).toBe('TIMEOUT');
    expect(mapXError(new ApiRequestError('Request failed.', { request: {} as never, error: new Error('Request timeout.') }), 'read', 'r').code).toBe('TEMPORARY');
    expect(mapXError(new ApiPartialResponseError('cut', { request: {} as never, response: {} as never, responseError: new Error('x'), rawContent: '' }), 'write', 'w').code).toBe('TIMEOUT');
    expect(mapXError(new Error('weird'), 'read', 'r').code).toBe('TEMPORARY');
  });
});
