/**
 * Facebook normalization on Meta's documented webhook payloads (Page `feed` comment and
 * visitor-post changes, Messenger `messages`, echoes, attachments), hostile text, malformed
 * items (quarantined, never thrown), and the shared Graph helpers: error mapping,
 * rate-limit reset from the usage headers, webhook signature and verification.
 */
import { describe, expect, it } from 'vitest';
import { validateMessage } from '../../pipeline/validate.js';
import { ChannelError } from '../types.js';
import { answerVerification, graphTime, mapGraphError, readMetaDelivery, signMetaWebhook, usageRetryAt, verifyMetaSignature } from './graph.js';
import { normalizeConversationMessage, normalizeFeedChange, normalizeMessagingEvent, normalizePolledComment, normalizePolledPost } from './normalize.js';

const page = { pageId: '44444444', name: 'Acme Care' };

// Webhooks for Pages, `feed` field, comment sample (Meta docs)
const commentChange = {
  from: { id: '1100000000001', name: 'Cinderella Hoover' },
  post: { status_type: 'mobile_status_update', is_published: true, updated_time: '2021-04-09T15:50:11+0000', permalink_url: 'https://www.facebook.com/44444444/posts/444444444', promotion_status: 'inactive', id: '44444444_444444444' },
  message: 'Example post content.',
  post_id: '44444444_444444444',
  comment_id: '444444444_555555555',
  created_time: 1617983411,
  item: 'comment',
  parent_id: '44444444_444444444',
  verb: 'add',
};

// Messenger Platform `messages` webhook event (Meta docs)
const messengerEvent = { sender: { id: '1254459154682919' }, recipient: { id: '44444444' }, timestamp: 1458692752478, message: { mid: 'mid.1457764197618:41d102a3e1ae206a38', text: 'hello, world!', quick_reply: { payload: 'DEVELOPER_DEFINED_PAYLOAD' } } };

describe('facebook normalization', () => {
  it('normalizes the documented feed comment change', () => {
    const m = normalizeFeedChange(commentChange, page, 0)!;
    expect(m).toMatchObject({
      network: 'facebook', networkMessageId: '444444444_555555555', direction: 'inbound', visibility: 'public', kind: 'comment',
      author: { networkUserId: '1100000000001', handle: 'Cinderella Hoover', displayName: 'Cinderella Hoover' },
      text: 'Example post content.', inReplyToNetworkId: '44444444_444444444', threadRootNetworkId: '44444444_444444444', createdAt: 1617983411000,
      url: 'https://www.facebook.com/44444444/posts/444444444',
    });
    expect(m.raw).toEqual(commentChange);
    expect(validateMessage(m).ok).toBe(true);
    // a reply to a comment answers that comment
    expect(normalizeFeedChange({ ...commentChange, parent_id: '444444444_1' }, page, 0)!.inReplyToNetworkId).toBe('444444444_1');
  });

  it('keeps visitor posts, skips the Page\'s own posts, removals and reactions', () => {
    const visitor = normalizeFeedChange({ from: { id: '77', name: 'Visitor' }, message: 'Hi', post_id: '44444444_9', created_time: 1617983411, item: 'status', published: 1, verb: 'add' }, page, 0)!;
    expect(visitor).toMatchObject({ kind: 'post', networkMessageId: '44444444_9', inReplyToNetworkId: null });
    expect(normalizeFeedChange({ from: { id: page.pageId }, message: 'Ours', post_id: '44444444_8', item: 'status', verb: 'add' }, page, 0)).toBeNull();
    expect(normalizeFeedChange({ ...commentChange, verb: 'remove' }, page, 0)).toBeNull();
    expect(normalizeFeedChange({ item: 'reaction', verb: 'add', reaction_type: 'like', from: { id: '1' } }, page, 0)).toBeNull();
    // the Page's own comment (made in Business Suite) is a brand message
    expect(normalizeFeedChange({ ...commentChange, from: { id: page.pageId, name: page.name } }, page, 0)).toMatchObject({ fromBrand: true, direction: 'outbound' });
  });

  it('normalizes Messenger messages, echoes and attachments', () => {
    expect(normalizeMessagingEvent(messengerEvent, { id: page.pageId, name: page.name }, 'facebook', 0)).toMatchObject({
      networkMessageId: 'mid.1457764197618:41d102a3e1ae206a38', visibility: 'private', kind: 'dm', direction: 'inbound', text: 'hello, world!', createdAt: 1458692752478,
      author: { networkUserId: '1254459154682919' },
    });
    const echo = normalizeMessagingEvent({ sender: { id: page.pageId }, recipient: { id: '1254459154682919' }, timestamp: 1457764197627, message: { is_echo: true, app_id: 1517776481860111, metadata: 'x', mid: 'mid.echo', text: 'from the Page' } }, { id: page.pageId, name: page.name }, 'facebook', 0)!;
    expect(echo).toMatchObject({ fromBrand: true, direction: 'outbound', author: { networkUserId: page.pageId } });
    const pic = normalizeMessagingEvent({ ...messengerEvent, message: { mid: 'm_pic', attachments: [{ type: 'image', payload: { url: 'https://scontent.example/x.jpg' } }] } }, { id: page.pageId, name: '' }, 'facebook', 0)!;
    expect(pic.text).toBe('[image]');
    expect(normalizeMessagingEvent({ ...messengerEvent, message: undefined, read: { watermark: 1 } }, { id: page.pageId, name: '' }, 'facebook', 0)).toBeNull();
    expect(normalizeMessagingEvent({ ...messengerEvent, message: { ...messengerEvent.message, reply_to: { mid: 'm_prev' } } }, { id: page.pageId, name: '' }, 'facebook', 0)!.inReplyToNetworkId).toBe('m_prev');
  });

  it('normalizes polled comments, posts and conversation messages', () => {
    const post = { id: '44444444_1', message: 'Visitor says hi', created_time: '2024-01-15T10:30:00+0000', from: { id: '9', name: 'V' }, permalink_url: 'https://www.facebook.com/44444444_1', comments: { data: [] } };
    expect(normalizePolledPost(post, page, 0)).toMatchObject({ kind: 'post', createdAt: Date.parse('2024-01-15T10:30:00Z'), raw: { id: '44444444_1' } });
    expect((normalizePolledPost(post, page, 0)!.raw as any).comments).toBeUndefined();
    const c = normalizePolledComment({ id: '1_2', message: 'reply', created_time: '2024-01-15T10:31:00+0000', from: { id: '8', name: 'W' }, parent: { id: '1_1' } }, post, page, 0);
    expect(c).toMatchObject({ inReplyToNetworkId: '1_1', threadRootNetworkId: '44444444_1', kind: 'comment' });
    const dm = normalizeConversationMessage({ id: 'm_1', message: 'hi', created_time: '2024-01-15T10:32:00+0000', from: { id: '5', name: 'Pat', email: '5@facebook.com' } }, { id: page.pageId, name: page.name }, 'facebook', 'm_0', 0);
    expect(dm).toMatchObject({ visibility: 'private', author: { networkUserId: '5', handle: 'Pat' }, inReplyToNetworkId: 'm_0' });
  });

  it('keeps hostile text verbatim (Meta does not escape), and malformed items become quarantinable messages', () => {
    const nasty = '<script>alert(1)</script> &amp; stays &amp; \u202E\u0000 👩‍💻 \uDC00';
    const m = normalizeFeedChange({ ...commentChange, message: nasty }, page, 0)!;
    expect(m.text).toBe(nasty);
    const huge = normalizeFeedChange({ ...commentChange, message: 'x'.repeat(1_500_000) }, page, 0)!;
    const v = validateMessage(huge);
    expect(!v.ok && v.reason).toMatch(/text longer than/);
    const broken = normalizeFeedChange({ item: 'comment', verb: 'add', message: 'no ids' }, page, 0)!;
    const b = validateMessage(broken);
    expect(b.ok).toBe(false);
    expect(!b.ok && b.raw).toContain('no ids');
  });

  it('reads Graph times in seconds, milliseconds and ISO with +0000', () => {
    expect(graphTime(1617983411, 0)).toBe(1617983411000);
    expect(graphTime(1458692752478, 0)).toBe(1458692752478);
    expect(graphTime('2017-08-31T18:10:30+0000', 0)).toBe(Date.parse('2017-08-31T18:10:30Z'));
    expect(graphTime('garbage', 42)).toBe(42);
  });

  it('puts the fallback in for a time no network sends (negative, zero, 1970, the year 9999), so a comment keeps a real time', () => {
    const page = { pageId: '1', name: 'Acme' };
    const entryTime = Date.UTC(2026, 0, 2);
    for (const t of [-1, -9_999_999_999_999, 0, 12345, 253402300799000, '253402300799000', '9999-12-31T23:59:59Z', '1969-12-31T00:00:00Z']) {
      expect(graphTime(t, entryTime), String(t)).toBe(entryTime);
      const m = normalizeFeedChange({ item: 'comment', verb: 'add', comment_id: '1_2', post_id: '1_3', from: { id: '9', name: 'Pat' }, message: 'hi', created_time: t }, page, entryTime)!;
      expect(m.createdAt, String(t)).toBe(entryTime);
      expect(validateMessage(m).ok).toBe(true);
    }
    expect(graphTime(Date.UTC(2099, 11, 31) / 1000, 0)).toBe(Date.UTC(2099, 11, 31));
  });
});

describe('graph errors and webhooks', () => {
  const h = (o: Record<string, string> = {}) => new Headers(o);
  const now = 1_700_000_000_000;

  it('maps documented error codes', () => {
    const code = (status: number, error: object, op: 'read' | 'write' = 'write') => mapGraphError(status, error, h(), op, 'x', now).code;
    expect(code(400, { code: 190, error_subcode: 460, type: 'OAuthException' })).toBe('AUTH_REVOKED');
    expect(code(400, { code: 190, error_subcode: 463 })).toBe('AUTH_REVOKED');
    expect(code(400, { code: 102 })).toBe('AUTH_REVOKED');
    expect(code(400, { code: 100, message: 'Invalid appsecret_proof provided in the API argument' })).toBe('AUTH_REVOKED');
    for (const c of [4, 17, 32, 613, 80001, 80002, 80006]) expect(code(400, { code: c })).toBe('RATE_LIMITED');
    expect(code(403, { code: 10 })).toBe('PERMISSION_DENIED');
    expect(code(403, { code: 200 })).toBe('PERMISSION_DENIED');
    expect(code(403, { code: 299 })).toBe('PERMISSION_DENIED');
    expect(code(400, { code: 368 })).toBe('PERMISSION_DENIED');
    expect(code(400, { code: 10, error_subcode: 2018278 })).toBe('INVALID_REQUEST'); // outside the messaging window: this reply only
    expect(code(400, { code: 551 })).toBe('INVALID_REQUEST');
    expect(code(400, { code: 10900 })).toBe('INVALID_REQUEST');
    expect(code(400, { code: 100 })).toBe('INVALID_REQUEST');
    expect(code(400, { code: 100, error_subcode: 33 })).toBe('NOT_FOUND');
    expect(code(500, { code: 2, is_transient: true })).toBe('TIMEOUT');
    expect(code(500, { code: 2, is_transient: true }, 'read')).toBe('TEMPORARY');
    expect(code(400, { code: 1 }, 'read')).toBe('TEMPORARY');
    expect(code(502, {}, 'read')).toBe('TEMPORARY');
  });

  it('takes the reset from x-business-use-case-usage (minutes), else Retry-After', () => {
    const buc = JSON.stringify({ 112233: [{ type: 'pages', call_count: 100, total_cputime: 25, total_time: 25, estimated_time_to_regain_access: 19 }] });
    expect(usageRetryAt(h({ 'x-business-use-case-usage': buc }), now)).toBe(now + 19 * 60_000);
    expect(mapGraphError(400, { code: 80001 }, h({ 'x-business-use-case-usage': buc }), 'write', 'x', now).opts.retryAt).toBe(now + 19 * 60_000);
    expect(usageRetryAt(h({ 'retry-after': '30' }), now)).toBe(now + 30_000);
    expect(usageRetryAt(h({ 'x-app-usage': '{"call_count":100}' }), now)).toBeUndefined();
    expect(usageRetryAt(h({ 'x-business-use-case-usage': 'not json' }), now)).toBeUndefined();
  });

  it('checks X-Hub-Signature-256 over the exact bytes', () => {
    const body = Buffer.from('{"object":"page","entry":[]}');
    expect(verifyMetaSignature('secret', body, signMetaWebhook('secret', body))).toBe(true);
    expect(verifyMetaSignature('secret', body, signMetaWebhook('secret', body).toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
    expect(verifyMetaSignature('secret', Buffer.from(`${body} `), signMetaWebhook('secret', body))).toBe(false);
    expect(verifyMetaSignature('secret', body, undefined)).toBe(false);
    expect(() => readMetaDelivery({ method: 'POST', query: {}, headers: {}, rawBody: body }, 'secret')).toThrow(ChannelError);
    expect(() => readMetaDelivery({ method: 'POST', query: {}, headers: { 'x-hub-signature-256': signMetaWebhook('secret', body) }, rawBody: body }, null)).toThrow(/appSecret/);
    const bad = Buffer.from('not json');
    expect(() => readMetaDelivery({ method: 'POST', query: {}, headers: { 'x-hub-signature-256': signMetaWebhook('secret', bad) }, rawBody: bad }, 'secret')).toThrow(/not JSON/);
  });

  it('answers the verification handshake', () => {
    const q = (o: Record<string, string>) => ({ method: 'GET', query: o, headers: {}, rawBody: Buffer.alloc(0) });
    expect(answerVerification(q({ 'hub.mode': 'subscribe', 'hub.verify_token': 'meatyhamhock', 'hub.challenge': '1158201444' }), 'meatyhamhock').response).toMatchObject({ status: 200, body: '1158201444' });
    expect(answerVerification(q({ 'hub.mode': 'subscribe', 'hub.verify_token': 'wrong', 'hub.challenge': '1' }), 'meatyhamhock').response.status).toBe(403);
    expect(answerVerification(q({ 'hub.mode': 'subscribe', 'hub.verify_token': '', 'hub.challenge': '1' }), null).response.status).toBe(403);
    expect(() => answerVerification(q({}), 'x')).toThrow(ChannelError);
  });
});
