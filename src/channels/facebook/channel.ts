/**
 * The Facebook Pages connector (Meta Graph API over `deps.fetch`).
 *  - Ingest: the Page webhook (`feed`: comments and visitor posts; `messages`/`message_echoes`:
 *    Messenger), and polling as catch-up — the latest posts with their comments
 *    (`/{page-id}/feed`) and the latest Messenger conversations.
 *  - Send: reply to a comment or visitor post (`POST /{object-id}/comments`), private reply
 *    to a comment (`POST /{page-id}/messages` with `recipient: {comment_id}`: the DM lands
 *    in the comment's Parley conversation, and the customer's answer follows it there),
 *    Messenger replies (`messaging_type: RESPONSE`, or the HUMAN_AGENT tag after 24 hours
 *    when `settings.humanAgentTag` is on), hide/unhide, delete, like, ban from the Page.
 *  - Deleted and hidden: `feed` changes with `verb: remove` redact, `hide` / `unhide` mark and
 *    unmark a comment hidden; the periodic check (`presenceOf`, ./gone.ts) reads stored items
 *    back for what the webhook missed.
 * Credentials: `pageAccessToken`, `appSecret` (webhook signatures, appsecret_proof),
 * `verifyToken` (webhook verification). `externalId` is the Page id.
 * Settings: `apiBaseUrl` (default https://graph.facebook.com), `graphVersion` (v21.0),
 * `requestTimeoutMs`, `backfillHours` (first poll, default 24), `postsPerPoll` (10),
 * `linkDmReplies` (default true), `humanAgentTag` (default false).
 */
import type { AuthorIdentity, NormalizedMessage } from '../../core/types.js';
import {
  ChannelError,
  type Capabilities,
  type Channel,
  type ChannelAccountConfig,
  type ChannelDeps,
  type GoneContext,
  type PresenceReport,
  type SendRequest,
  type SendResult,
  type SyncResult,
  type WebhookRequest,
  type WebhookResult,
} from '../types.js';
import { normalizeItem, type RejectedItem } from '../errorPolicy.js';
import { answerVerification, credentialString, GraphClient, graphTime, metaEntries, readMetaDelivery, settingString } from './graph.js';
import { ageOf, findSentMessage, linkDirectMessages, pollConversations, sendApi } from './messaging.js';
import { feedPresence } from './gone.js';
import { comparable, feedRemoval, feedVisibility, normalizeFeedChange, normalizeMessagingEvent, normalizePolledComment, normalizePolledPost, type PageRef } from './normalize.js';

const CAPABILITIES: Capabilities = {
  publicReply: true,
  privateMessage: true,
  hide: true,
  delete: true,
  block: true,
  mute: 'Facebook Pages cannot mute a person; hide their comments or ban them from the Page',
  like: true,
  fetchProfile: true,
  fetchThread: 'comments arrive with their post and parent ids; the whole post thread is not re-read',
  search: 'the Graph API has no public post search',
  webhook: true,
  poll: true,
  stream: 'Meta delivers through webhooks, not streams',
};

const COMMENT_FIELDS = 'id,message,created_time,from{id,name},parent{id},permalink_url';

interface FbCursor {
  v: 1;
  /** Newest created_time seen on the feed (ms). */
  feed?: number;
  /** Newest Messenger message time seen (ms). */
  dms?: number;
}

function parseCursor(cursor: string | null): FbCursor {
  if (!cursor) return { v: 1 };
  try {
    const c = JSON.parse(cursor) as FbCursor;
    if (c && c.v === 1) return c;
  } catch {
    /* fall through */
  }
  throw new ChannelError('CURSOR_INVALID', 'the stored Facebook sync position is not one this connector wrote');
}

export class FacebookChannel implements Channel {
  readonly network = 'facebook' as const;
  readonly capabilities = CAPABILITIES;
  readonly graph: GraphClient;
  private readonly page: PageRef;
  private readonly appSecret: string | null;
  private readonly verifyToken: string | null;
  private readonly settings: Record<string, unknown>;

  constructor(account: ChannelAccountConfig, private readonly deps: ChannelDeps) {
    const c = account.credentials ?? {};
    this.settings = account.settings ?? {};
    this.appSecret = credentialString(c, 'appSecret');
    this.verifyToken = credentialString(c, 'verifyToken');
    this.page = { pageId: account.externalId, name: account.handle };
    this.graph = new GraphClient({
      baseUrl: settingString(this.settings, 'apiBaseUrl'),
      version: settingString(this.settings, 'graphVersion'),
      accessToken: credentialString(c, 'pageAccessToken'),
      appSecret: this.appSecret,
      fetch: deps.fetch,
      now: deps.now,
      timeoutMs: typeof this.settings.requestTimeoutMs === 'number' ? this.settings.requestTimeoutMs : undefined,
    });
  }

  private get self() {
    return { id: this.page.pageId, name: this.page.name };
  }

  // ---- ingest ----------------------------------------------------------------

  async handleWebhook(req: WebhookRequest): Promise<WebhookResult> {
    if (req.method.toUpperCase() === 'GET') return answerVerification(req, this.verifyToken);
    const body = readMetaDelivery(req, this.appSecret);
    const now = this.deps.now();
    const messages: NormalizedMessage[] = [];
    // what is not the documented shape is kept in quarantine with the reason; the rest is stored
    const rejected: RejectedItem[] = [];
    const deletions: { networkMessageId: string }[] = [];
    const visible = new Map<string, boolean>();
    for (const entry of metaEntries(body, 'page', this.page.pageId, now, rejected)) {
      for (const ch of entry.changes) {
        if (ch.value.field !== 'feed') continue;
        const value: unknown = ch.value.value;
        if (!value || typeof value !== 'object' || Array.isArray(value)) {
          rejected.push({ reason: `${ch.where}: the feed change value is ${value === undefined ? 'missing' : 'not an object'}`, raw: ch.value });
          continue;
        }
        // a comment or visitor post removed by its author: honoured, per Meta's platform terms
        const removed = normalizeItem(rejected, value, ch.where, () => feedRemoval(value));
        if (removed) {
          deletions.push({ networkMessageId: removed });
          continue;
        }
        // a comment hidden or shown again (the Page's filters, an admin in Facebook's UI, or Parley)
        const seen = normalizeItem(rejected, value, ch.where, () => feedVisibility(value));
        if (seen) {
          // the last change for a comment in the delivery is its state
          visible.delete(seen.networkMessageId);
          visible.set(seen.networkMessageId, !seen.hidden);
          continue;
        }
        const m = normalizeItem(rejected, value, ch.where, () => normalizeFeedChange(value, this.page, entry.time));
        if (m) messages.push(m);
      }
      for (const ev of entry.messaging) {
        const m = normalizeItem(rejected, ev.value, ev.where, () => normalizeMessagingEvent(ev.value, this.self, 'facebook', entry.time));
        if (m) messages.push(m);
      }
    }
    if (this.settings.linkDmReplies !== false) await linkDirectMessages(messages, this.graph, this.page.pageId, 'messenger', this.page.pageId);
    const visibility: NonNullable<WebhookResult['visibility']> = {
      hidden: [...visible].filter(([, shown]) => !shown).map(([networkMessageId]) => ({ networkMessageId, reason: 'hidden_comment' as const })),
      shown: [...visible].filter(([, shown]) => shown).map(([id]) => id),
    };
    return { response: { status: 200, body: 'EVENT_RECEIVED', headers: { 'content-type': 'text/plain; charset=utf-8' } }, messages, ...(rejected.length ? { rejected } : {}), ...(deletions.length ? { deletions } : {}), ...(visibility.hidden.length || visibility.shown.length ? { visibility } : {}) };
  }

  /**
   * Catch-up polling: the latest `postsPerPoll` posts with their newest comments, and the
   * latest Messenger conversations, keeping what is newer than the cursor (the first run
   * looks back `backfillHours`). Webhooks are the primary path; this closes gaps.
   */
  async sync(cursor: string | null): Promise<SyncResult> {
    const state = parseCursor(cursor);
    const now = this.deps.now();
    const backfill = now - (typeof this.settings.backfillHours === 'number' ? this.settings.backfillHours : 24) * 3_600_000;
    const feedSince = state.feed ?? backfill;
    const limit = typeof this.settings.postsPerPoll === 'number' ? Math.max(1, Math.min(100, this.settings.postsPerPoll)) : 10;
    const feed = await this.graph.get<{ data?: any[] }>(
      `${this.page.pageId}/feed`,
      { fields: `id,message,created_time,from{id,name},permalink_url,comments.filter(stream).order(reverse_chronological).limit(50){${COMMENT_FIELDS}}`, limit },
      'read the Page feed',
    );
    const messages: NormalizedMessage[] = [];
    // each item on its own: one that cannot be read is rejected with the reason, the page goes on
    const rejected: RejectedItem[] = [];
    let newestFeed = feedSince;
    for (const post of Array.isArray(feed?.data) ? feed.data : []) {
      const p = normalizeItem(rejected, post, `feed post ${post?.id ?? ''}`.trim(), () => normalizePolledPost(post, this.page, now));
      if (p && p.createdAt >= feedSince) {
        messages.push(p);
        newestFeed = Math.max(newestFeed, p.createdAt);
      }
      const comments = post?.comments?.data;
      for (const c of Array.isArray(comments) ? comments : []) {
        const m = normalizeItem(rejected, c, `comment ${c?.id ?? ''} on post ${post?.id ?? ''}`, () => normalizePolledComment(c, post, this.page, now));
        if (m && m.createdAt >= feedSince) {
          messages.push(m);
          newestFeed = Math.max(newestFeed, m.createdAt);
        }
      }
    }
    const dms = await pollConversations(this.graph, this.page.pageId, 'messenger', this.self, 'facebook', state.dms ?? backfill, now);
    messages.push(...dms.messages);
    rejected.push(...dms.rejected);
    // timestamps are second-granular: keep the boundary second (the pipeline drops repeats)
    return {
      messages: messages.sort((a, b) => a.createdAt - b.createdAt),
      cursor: JSON.stringify({ v: 1, feed: newestFeed, dms: dms.newest } satisfies FbCursor),
      more: false,
      ...(rejected.length ? { rejected } : {}),
    };
  }

  // ---- send ------------------------------------------------------------------

  /** Is this id a Messenger message (`m_…`, older `mid.…`) rather than a comment or post (`{id}_{id}`)? */
  private isDirectMessage(id: string, raw: any): boolean {
    return id.startsWith('m_') || id.startsWith('mid.') || raw?.message?.mid === id;
  }

  async sendPublicReply(req: SendRequest): Promise<SendResult> {
    const target = req.inReplyTo?.networkMessageId;
    if (!target) throw new ChannelError('INVALID_REQUEST', 'Parley answers comments and visitor posts on Facebook; it does not publish new Page posts');
    if (this.isDirectMessage(target, req.inReplyTo?.raw)) throw new ChannelError('INVALID_REQUEST', 'a Messenger message cannot get a public reply; answer it privately');
    if (!req.text.trim()) throw new ChannelError('INVALID_REQUEST', 'a Facebook comment needs text');
    const r = await this.graph.post<{ id?: string }>(`${target}/comments`, { message: req.text }, 'post the comment reply');
    if (!r?.id) throw new ChannelError('TIMEOUT', 'Meta accepted the comment but returned no id');
    return { networkMessageId: r.id, url: null, createdAt: this.deps.now(), raw: r };
  }

  async sendPrivateMessage(req: SendRequest): Promise<SendResult> {
    const target = req.inReplyTo?.networkMessageId;
    const raw = req.inReplyTo?.raw;
    if (!req.text.trim()) throw new ChannelError('INVALID_REQUEST', 'a Messenger message needs text');
    const now = this.deps.now();
    if (target && !this.isDirectMessage(target, raw)) {
      // private reply: one message to the author of the comment or visitor post, opening a Messenger conversation
      const recipient = target.startsWith(`${this.page.pageId}_`) ? { post_id: target } : { comment_id: target };
      return sendApi(this.graph, this.page.pageId, { recipient, message: { text: req.text } }, 'send the private reply', now);
    }
    const psid = req.recipient?.networkUserId;
    if (!psid) throw new ChannelError('INVALID_REQUEST', 'a Messenger message needs the person\'s page-scoped id');
    const age = ageOf(req, now);
    const late = age !== null && age > 24 * 3_600_000;
    const type = late && this.settings.humanAgentTag === true ? { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' } : { messaging_type: 'RESPONSE' };
    return sendApi(this.graph, this.page.pageId, { recipient: { id: psid }, ...type, message: { text: req.text } }, 'send the Messenger message', now);
  }

  /**
   * Is this request already on Facebook? Public: a comment by the Page with the same text
   * under the same object. Private reply: the Page's message with the same text in the
   * comment's `private_reply_conversation`. Messenger: the Page's message with the same text
   * in the conversation with the person. Residual risk: the same text sent twice on purpose
   * to the same place is taken as already sent.
   */
  async findSent(req: SendRequest): Promise<SendResult | null> {
    const target = req.inReplyTo?.networkMessageId;
    const want = comparable(req.text);
    if (req.visibility === 'public') {
      if (!target) return null;
      const r = await this.graph.get<{ data?: any[] }>(`${target}/comments`, { filter: 'stream', order: 'reverse_chronological', limit: 50, fields: 'id,message,from{id},created_time' }, 'look for the comment');
      const hit = (r?.data ?? []).find((c) => c?.from?.id === this.page.pageId && comparable(String(c?.message ?? '')) === want);
      return hit ? { networkMessageId: hit.id, url: null, createdAt: graphTime(hit.created_time, 0) || undefined, raw: hit } : null;
    }
    if (target && !this.isDirectMessage(target, req.inReplyTo?.raw)) {
      const c = await this.graph.get<{ private_reply_conversation?: { id?: string } }>(target, { fields: 'private_reply_conversation' }, 'look for the private reply');
      const conv = c?.private_reply_conversation?.id;
      if (!conv) return null;
      const msgs = await this.graph.get<{ data?: any[] }>(`${conv}/messages`, { fields: 'id,message,from,created_time', limit: 25 }, 'read the private reply conversation');
      const hit = (msgs?.data ?? []).find((m) => m?.from?.id === this.page.pageId && comparable(String(m?.message ?? '')) === want);
      return hit ? { networkMessageId: hit.id, url: null, createdAt: graphTime(hit.created_time, 0) || undefined, raw: hit } : null;
    }
    const psid = req.recipient?.networkUserId;
    if (!psid) return null;
    return findSentMessage(this.graph, this.page.pageId, 'messenger', psid, this.page.pageId, req.text);
  }

  // ---- deletions and hidden comments -----------------------------------------------

  /**
   * The sync worker's check (./gone.ts): one Graph batch (49 reads and the control) an hour.
   * Graph's app and Page rate limits count each operation of a batch; the `feed` webhook carries
   * removals and hides as they happen, so this is the backstop for what it missed.
   */
  readonly goneCheck = { everyMs: 3_600_000, max: 49 };

  async goneFrom(networkMessageIds: readonly string[], known?: GoneContext): Promise<string[]> {
    return (await this.presenceOf(networkMessageIds, known)).gone;
  }

  /** Which stored comments and visitor posts are deleted, kept but hidden (and why), or shown (./gone.ts). */
  presenceOf(networkMessageIds: readonly string[], known?: GoneContext): Promise<PresenceReport> {
    return feedPresence(this.graph, this.page.pageId, networkMessageIds, () => this.deps.now(), known);
  }

  // ---- moderation and lookups ------------------------------------------------

  async hide(networkMessageId: string, hidden: boolean): Promise<void> {
    await this.graph.post(networkMessageId, { is_hidden: hidden }, hidden ? 'hide the comment' : 'unhide the comment');
  }

  async delete(networkMessageId: string): Promise<void> {
    await this.graph.delete(networkMessageId, {}, 'delete the comment');
  }

  /** Ban the person from the Page (Page blocked users). */
  async block(user: AuthorIdentity): Promise<void> {
    await this.graph.post(`${this.page.pageId}/blocked`, { user: user.networkUserId }, 'ban the person from the Page');
  }

  /** Lift the ban (Page blocked users, deleting). */
  async unblock(user: AuthorIdentity): Promise<void> {
    await this.graph.delete(`${this.page.pageId}/blocked`, { user: user.networkUserId }, 'lift the ban from the Page');
  }

  async like(networkMessageId: string): Promise<void> {
    await this.graph.post(`${networkMessageId}/likes`, {}, 'like the comment');
  }

  /** Messenger user profile (name and picture) for a page-scoped id. */
  async fetchProfile(networkUserId: string): Promise<AuthorIdentity> {
    const r = await this.graph.get<{ id?: string; name?: string; first_name?: string; last_name?: string; profile_pic?: string }>(networkUserId, { fields: 'first_name,last_name,name,profile_pic' }, 'look up the person');
    const name = r?.name ?? ([r?.first_name, r?.last_name].filter(Boolean).join(' ') || null);
    return { networkUserId, handle: name ?? networkUserId, displayName: name, avatarUrl: r?.profile_pic ?? null };
  }
}
