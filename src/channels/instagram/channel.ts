/**
 * The Instagram connector (Instagram API with Facebook Login, over the shared Graph
 * client in src/channels/facebook/graph.ts). The professional account is linked to a
 * Facebook Page; messaging goes through that Page (Messenger Platform for Instagram).
 *  - Ingest: the Instagram webhook (`comments`, `mentions`, `messages`) and polling as
 *    catch-up (the latest media with their comments and replies, Instagram conversations).
 *  - Send: reply to a comment (`POST /{ig-comment-id}/replies`), reply where we were
 *    @mentioned (`POST /{ig-user-id}/mentions`), private reply to a commenter
 *    (`POST /{page-id}/messages`, `recipient: {comment_id}`; within 7 days), DMs,
 *    hide/unhide (`POST /{ig-comment-id}?hide=…`) and delete comments.
 *  - Deletions: Instagram tells nobody when a comment is deleted; `goneFrom` (./gone.ts) reads
 *    the stored comments back, batched, and reports only the documented "does not exist" answer
 *    vouched for by a control read of the account in the same batch, for a comment whose media
 *    still exists (one on the brand's media that went with it is kept). DMs are never reported.
 *    A comment gone because the brand blocked or restricted its author reads the same; where
 *    Parley has that moderation on record it is kept and marked, not redacted (./gone.ts,
 *    src/pipeline/deletions.ts).
 * Credentials: `accessToken` (a Page access token for the linked Page, or the user token
 * with instagram_* permissions), `appSecret`, `verifyToken`. `externalId` is the Instagram
 * professional account id. Settings: `pageId` (the linked Page, needed for messaging),
 * `apiBaseUrl`, `graphVersion`, `requestTimeoutMs`, `backfillHours`, `mediaPerPoll`, `linkDmReplies`.
 */
import type { AuthorIdentity, NormalizedMessage } from '../../core/types.js';
import {
  ChannelError,
  type ChannelErrorCode,
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
import { exactId, ItemRejected, normalizeItem, urlSegment, type RejectedItem } from '../errorPolicy.js';
import { answerVerification, credentialString, GraphClient, graphTime, metaEntries, readMetaDelivery, settingString } from '../facebook/graph.js';
import { findSentMessage, linkDirectMessages, pollConversations, sendApi } from '../facebook/messaging.js';
import { comparable, normalizeMessagingEvent } from '../facebook/normalize.js';
import { normalizeIgCommentChange, normalizeIgMention, normalizeIgPolledComment, type IgAccountRef } from './normalize.js';
import { commentPresence, goneComments } from './gone.js';

const COMMENT_FIELDS = 'id,text,timestamp,username,from,parent_id';

/** Graph errors that pass: the delivery is answered 503 so that Meta delivers it again. */
const TRANSIENT = new Set<ChannelErrorCode>(['TEMPORARY', 'RATE_LIMITED', 'TIMEOUT']);

interface IgCursor {
  v: 1;
  comments?: number;
  dms?: number;
}

function parseCursor(cursor: string | null): IgCursor {
  if (!cursor) return { v: 1 };
  try {
    const c = JSON.parse(cursor) as IgCursor;
    if (c && c.v === 1) return c;
  } catch {
    /* fall through */
  }
  throw new ChannelError('CURSOR_INVALID', 'the stored Instagram sync position is not one this connector wrote');
}

export class InstagramChannel implements Channel {
  readonly network = 'instagram' as const;
  readonly capabilities: Capabilities;
  readonly graph: GraphClient;
  private readonly me: IgAccountRef;
  private readonly pageId: string | null;
  private readonly appSecret: string | null;
  private readonly verifyToken: string | null;
  private readonly settings: Record<string, unknown>;

  constructor(account: ChannelAccountConfig, private readonly deps: ChannelDeps) {
    const c = account.credentials ?? {};
    this.settings = account.settings ?? {};
    this.appSecret = credentialString(c, 'appSecret');
    this.verifyToken = credentialString(c, 'verifyToken');
    this.me = { igUserId: account.externalId, username: account.handle.replace(/^@/, '') };
    this.pageId = settingString(this.settings, 'pageId') ?? null;
    this.graph = new GraphClient({
      baseUrl: settingString(this.settings, 'apiBaseUrl'),
      version: settingString(this.settings, 'graphVersion'),
      accessToken: credentialString(c, 'accessToken'),
      appSecret: this.appSecret,
      fetch: deps.fetch,
      now: deps.now,
      timeoutMs: typeof this.settings.requestTimeoutMs === 'number' ? this.settings.requestTimeoutMs : undefined,
    });
    const noPage = 'set settings.pageId to the Facebook Page linked to this Instagram account to use Instagram messaging';
    this.capabilities = {
      publicReply: true,
      privateMessage: this.pageId ? true : noPage,
      hide: true,
      delete: true,
      block: 'the Instagram Graph API has no block endpoint; hide or delete the comments',
      mute: 'the Instagram Graph API has no mute endpoint',
      like: 'the Instagram Graph API cannot like comments',
      fetchProfile: this.pageId ? true : noPage,
      fetchThread: 'comments arrive with their media and parent ids; the whole thread is not re-read',
      search: 'Instagram hashtag search needs a separate approved feature; not used',
      webhook: true,
      poll: true,
      stream: 'Meta delivers through webhooks, not streams',
    };
  }

  private get self() {
    return { id: this.me.igUserId, name: this.me.username };
  }

  private requirePage(): string {
    if (!this.pageId) throw new ChannelError('INVALID_REQUEST', 'Instagram messaging goes through the linked Facebook Page: set settings.pageId');
    return this.pageId;
  }

  // ---- ingest ----------------------------------------------------------------

  async handleWebhook(req: WebhookRequest): Promise<WebhookResult> {
    if (req.method.toUpperCase() === 'GET') return answerVerification(req, this.verifyToken);
    const body = readMetaDelivery(req, this.appSecret);
    const now = this.deps.now();
    const messages: NormalizedMessage[] = [];
    // what is not the documented shape, or cannot be read, is kept in quarantine with the reason; the rest is stored
    const rejected: RejectedItem[] = [];
    // a mention Graph could not be asked about right now: the rest is stored, and Meta is asked to redeliver
    let retry: ChannelError | null = null;
    for (const entry of metaEntries(body, 'instagram', this.me.igUserId, now, rejected)) {
      for (const ch of entry.changes) {
        const { field, value } = ch.value;
        if (field !== 'comments' && field !== 'live_comments' && field !== 'mentions') continue;
        if (!value || typeof value !== 'object' || Array.isArray(value)) {
          rejected.push({ reason: `${ch.where}: the ${field} change value is ${value === undefined ? 'missing' : 'not an object'}`, raw: ch.value });
          continue;
        }
        if (field !== 'mentions') {
          const m = normalizeItem(rejected, value, ch.where, () => normalizeIgCommentChange(value, this.me, entry.time));
          if (m) messages.push(m);
          continue;
        }
        // the notification holds only ids: read the comment
        try {
          messages.push(await this.mentionedComment(value, entry.time));
        } catch (err) {
          if (err instanceof ChannelError && TRANSIENT.has(err.code)) {
            retry ??= err;
            continue;
          }
          // permanent (the comment is gone, or never was one we can read): kept with the reason
          const reason = err instanceof ChannelError || err instanceof ItemRejected ? err.message : `could not be read (${String(err)})`;
          rejected.push({ reason: `${ch.where}: ${reason}`, raw: value });
        }
      }
      for (const ev of entry.messaging) {
        const m = normalizeItem(rejected, ev.value, ev.where, () => normalizeMessagingEvent(ev.value, this.self, 'instagram', entry.time));
        if (m) messages.push(m);
      }
    }
    if (this.pageId && this.settings.linkDmReplies !== false) await linkDirectMessages(messages, this.graph, this.pageId, 'instagram', this.me.igUserId);
    const extra = rejected.length ? { rejected } : {};
    if (retry) {
      // what was read is stored now, and the redelivery's copies are dropped by dedupe (network id)
      const s = retry.opts.retryAt ? Math.max(1, Math.ceil((retry.opts.retryAt - now) / 1000)) : 60;
      return { response: { status: 503, body: `could not read a mentioned comment yet: ${retry.message}`, headers: { 'content-type': 'text/plain; charset=utf-8', 'retry-after': String(s) } }, messages, ...extra };
    }
    return { response: { status: 200, body: 'EVENT_RECEIVED', headers: { 'content-type': 'text/plain; charset=utf-8' } }, messages, ...extra };
  }

  /** The comment a `mentions` change names, read from Graph (throws ChannelError when Graph refuses, ItemRejected for a change without a usable comment id). */
  private async mentionedComment(change: Record<string, any>, at: number): Promise<NormalizedMessage> {
    const commentId = exactId(change.comment_id, 'comment_id');
    // it goes into the Graph field expansion: only a comment id (digits) may
    if (!commentId) throw new ItemRejected('the mentions change has no comment_id');
    if (!/^\d{1,40}$/.test(commentId)) throw new ItemRejected(`comment_id ${JSON.stringify(commentId.slice(0, 100))} is not an Instagram comment id (digits)`);
    const mediaId = exactId(change.media_id, 'media_id');
    const r = await this.graph.get<{ mentioned_comment?: any }>(
      this.me.igUserId,
      { fields: `mentioned_comment.comment_id(${commentId}){id,text,timestamp,like_count,from,username,media{id,permalink}}` },
      `read the comment ${commentId} the account was mentioned in`,
    );
    const comment = r?.mentioned_comment && typeof r.mentioned_comment === 'object' ? r.mentioned_comment : { id: commentId };
    return normalizeIgMention({ ...change, comment_id: commentId, ...(mediaId ? { media_id: mediaId } : {}) }, comment, this.me, at);
  }

  async sync(cursor: string | null): Promise<SyncResult> {
    const state = parseCursor(cursor);
    const now = this.deps.now();
    const backfill = now - (typeof this.settings.backfillHours === 'number' ? this.settings.backfillHours : 24) * 3_600_000;
    const since = state.comments ?? backfill;
    const limit = typeof this.settings.mediaPerPoll === 'number' ? Math.max(1, Math.min(100, this.settings.mediaPerPoll)) : 10;
    const media = await this.graph.get<{ data?: any[] }>(
      `${this.me.igUserId}/media`,
      { fields: `id,caption,permalink,timestamp,comments.limit(50){${COMMENT_FIELDS},replies{${COMMENT_FIELDS}}}`, limit },
      'read the account\'s media and comments',
    );
    const messages: NormalizedMessage[] = [];
    // each item on its own: one that cannot be read is rejected with the reason, the page goes on
    const rejected: RejectedItem[] = [];
    const list = (v: any): any[] => (Array.isArray(v) ? v : []);
    let newest = since;
    for (const m of list(media?.data)) {
      for (const c of list(m?.comments?.data)) {
        for (const item of [c, ...list(c?.replies?.data).map((r: any) => ({ ...r, parent_id: r?.parent_id ?? c?.id }))]) {
          const msg = normalizeItem(rejected, item, `comment ${item?.id ?? ''} on media ${m?.id ?? ''}`, () => normalizeIgPolledComment(item, m, this.me, now));
          if (msg && msg.createdAt >= since) {
            messages.push(msg);
            newest = Math.max(newest, msg.createdAt);
          }
        }
      }
    }
    let dmsNewest = state.dms ?? backfill;
    if (this.pageId) {
      const dms = await pollConversations(this.graph, this.pageId, 'instagram', this.self, 'instagram', dmsNewest, now);
      messages.push(...dms.messages);
      rejected.push(...dms.rejected);
      dmsNewest = dms.newest;
    }
    return {
      messages: messages.sort((a, b) => a.createdAt - b.createdAt),
      cursor: JSON.stringify({ v: 1, comments: newest, dms: dmsNewest } satisfies IgCursor),
      more: false,
      ...(rejected.length ? { rejected } : {}),
    };
  }

  /**
   * Every read in a Graph batch counts against the account's rate limit (Instagram's Business
   * Use Case limit grows with the account's impressions: small for a small account), and the
   * replies must not run out of it: asked hourly, 50 at most (~1,250 reads a day).
   */
  readonly goneCheck = { everyMs: 3_600_000, max: 50 };

  /** Stored comments and mentions Instagram certainly no longer has (./gone.ts); a token, permission or outage problem reports none. */
  goneFrom(networkMessageIds: readonly string[], known?: GoneContext): Promise<string[]> {
    return goneComments(this.graph, this.me.igUserId, networkMessageIds, this.deps.now, known);
  }

  /** The same check, telling also which comments are hidden (by the brand or Instagram) or went with their media, and which are shown (./gone.ts). */
  presenceOf(networkMessageIds: readonly string[], known?: GoneContext): Promise<PresenceReport> {
    return commentPresence(this.graph, this.me.igUserId, networkMessageIds, this.deps.now, known);
  }

  // ---- send ------------------------------------------------------------------

  /** Instagram comment ids are numeric; message ids (`mid`) are not. */
  private isDirectMessage(id: string, raw: any): boolean {
    return raw?.message?.mid === id || !/^\d+$/.test(id);
  }

  /**
   * Where a public reply to a stored comment goes. A mention on someone else's media is answered
   * through `/{ig-user-id}/mentions` with its media id, kept in the payload (also past raw
   * retention: ./retain.ts); any other comment through `/{ig-comment-id}/replies`. A stored comment
   * on media whose payload is gone entirely (cleared before retention kept the mention's ids) may
   * be either, and the wrong edge either fails or answers elsewhere: it is refused with the reason.
   */
  private replyEdge(req: SendRequest, target: string): { path: string; params: Record<string, string>; what: string } {
    const raw = req.inReplyTo?.raw as any;
    if (raw?.mention && typeof raw.mention === 'object') {
      // normalize.ts sets the thread root of a mention to the same change's media_id
      const mediaId = typeof raw.mention.media_id === 'string' && raw.mention.media_id ? raw.mention.media_id : req.inReplyTo?.threadRootNetworkId;
      if (!mediaId) throw new ChannelError('INVALID_REQUEST', `the mention ${target} has no media id to answer it through the mentions edge`);
      return { path: `${this.me.igUserId}/mentions`, params: { media_id: mediaId, comment_id: target, message: req.text }, what: 'reply to the mention' };
    }
    if (raw == null && req.inReplyTo?.threadRootNetworkId) {
      throw new ChannelError('INVALID_REQUEST', `the stored payload of the comment ${target} is gone: Parley cannot tell whether it is a mention on someone else's media or a comment on the account's own, so it does not guess; answer it on Instagram`);
    }
    return { path: `${target}/replies`, params: { message: req.text }, what: 'reply to the comment' };
  }

  async sendPublicReply(req: SendRequest): Promise<SendResult> {
    const target = req.inReplyTo?.networkMessageId;
    if (!target) throw new ChannelError('INVALID_REQUEST', 'Parley answers Instagram comments; it does not publish new media');
    if (this.isDirectMessage(target, req.inReplyTo?.raw)) throw new ChannelError('INVALID_REQUEST', 'an Instagram direct message cannot get a public reply; answer it privately');
    if (!req.text.trim()) throw new ChannelError('INVALID_REQUEST', 'an Instagram comment needs text');
    const edge = this.replyEdge(req, target);
    const r = await this.graph.post<{ id?: string }>(edge.path, edge.params, edge.what);
    if (!r?.id) throw new ChannelError('TIMEOUT', 'Meta accepted the reply but returned no id');
    return { networkMessageId: r.id, url: null, createdAt: this.deps.now(), raw: r };
  }

  async sendPrivateMessage(req: SendRequest): Promise<SendResult> {
    const pageId = this.requirePage();
    const target = req.inReplyTo?.networkMessageId;
    if (!req.text.trim()) throw new ChannelError('INVALID_REQUEST', 'an Instagram message needs text');
    const now = this.deps.now();
    if (target && !this.isDirectMessage(target, req.inReplyTo?.raw)) {
      return sendApi(this.graph, pageId, { recipient: { comment_id: target }, message: { text: req.text } }, 'send the private reply', now);
    }
    const igsid = req.recipient?.networkUserId;
    if (!igsid) throw new ChannelError('INVALID_REQUEST', 'an Instagram message needs the person\'s Instagram-scoped id');
    return sendApi(this.graph, pageId, { recipient: { id: igsid }, messaging_type: 'RESPONSE', message: { text: req.text } }, 'send the Instagram message', now);
  }

  /**
   * Public: our reply with the same text among the comment's replies. Private (DM or private
   * reply): our message with the same text in the conversation with the person (the
   * commenter's id is the same Instagram-scoped id they have in DMs). Residual risk: the
   * same text sent twice on purpose is taken as already sent.
   */
  async findSent(req: SendRequest): Promise<SendResult | null> {
    const want = comparable(req.text);
    if (req.visibility === 'public') {
      const target = req.inReplyTo?.networkMessageId;
      if (!target) return null;
      const r = await this.graph.get<{ data?: any[] }>(`${target}/replies`, { fields: COMMENT_FIELDS }, 'look for the reply');
      const hit = (r?.data ?? []).find((c) => (c?.from?.id === this.me.igUserId || c?.username === this.me.username) && comparable(String(c?.text ?? '')) === want);
      return hit ? { networkMessageId: hit.id, url: null, createdAt: graphTime(hit.timestamp, 0) || undefined, raw: hit } : null;
    }
    const igsid = req.recipient?.networkUserId;
    if (!igsid || !this.pageId) return null;
    return findSentMessage(this.graph, this.pageId, 'instagram', igsid, this.me.igUserId, req.text);
  }

  // ---- moderation and lookups ------------------------------------------------

  async hide(networkMessageId: string, hidden: boolean): Promise<void> {
    await this.graph.post(networkMessageId, { hide: hidden }, hidden ? 'hide the comment' : 'unhide the comment');
  }

  async delete(networkMessageId: string): Promise<void> {
    await this.graph.delete(networkMessageId, {}, 'delete the comment');
  }

  /** Instagram user profile for messaging (name, username, picture, followers, verified). */
  async fetchProfile(networkUserId: string): Promise<AuthorIdentity> {
    this.requirePage();
    const r = await this.graph.get<{ name?: string; username?: string; profile_pic?: string; follower_count?: number; is_verified_user?: boolean }>(
      networkUserId,
      { fields: 'name,username,profile_pic,follower_count,is_verified_user' },
      'look up the person',
    );
    return {
      networkUserId, handle: r?.username ?? networkUserId, displayName: r?.name ?? null, avatarUrl: r?.profile_pic ?? null,
      followers: typeof r?.follower_count === 'number' ? r.follower_count : null, verified: typeof r?.is_verified_user === 'boolean' ? r.is_verified_user : null,
      profileUrl: urlSegment(r?.username) ? `https://www.instagram.com/${urlSegment(r?.username)}/` : null,
    };
  }
}
