/**
 * GraphContractServer: a local stand-in for graph.facebook.com, faithful to Meta's
 * documented Graph API (Pages API, Messenger Platform, Instagram API with Facebook Login,
 * Webhooks reference) for the endpoints Parley's Facebook and Instagram connectors use,
 * plus the signed webhooks Meta would send. Connectors talk to it with plain fetch.
 *
 * Implemented (versioned paths `/vNN.N/…`; parameters in the query, a form body or JSON):
 *  Facebook Page  GET  /{page-id}/feed (field expansion incl. `comments.filter(stream)
 *                        .order(reverse_chronological).limit(n){…}`), /{object-id}/comments,
 *                        /{node-id}?fields=… (comments incl. `private_reply_conversation`, posts,
 *                        PSID profiles), /{page-id}/conversations (platform, user_id),
 *                        /{conversation-id}/messages
 *                 POST /{object-id}/comments (message) → {id}; /{comment-id} (is_hidden) →
 *                        {success}; /{object-id}/likes; /{page-id}/blocked (user) → {"<id>": true};
 *                        /{page-id}/messages (Send API: recipient {id}|{comment_id}|{post_id},
 *                        messaging_type RESPONSE | MESSAGE_TAG+HUMAN_AGENT, 24-hour window,
 *                        one private reply per comment within 7 days) → {recipient_id, message_id}
 *                 DELETE /{comment-id} → {success}
 *  Instagram      GET  /{ig-user-id}/media (comments{…,replies{…}}), /{ig-comment-id}/replies,
 *                        /{ig-user-id}?fields=mentioned_comment.comment_id(…){…}, IGSID profiles
 *                 POST /{ig-comment-id}/replies (message), /{ig-user-id}/mentions (media_id,
 *                        comment_id, message), /{ig-comment-id} (hide), Send API via the Page
 *                 DELETE /{ig-comment-id}
 *                 GET  /{ig-comment-id} answers only for comments on the account's own media: a
 *                        comment it was @mentioned in elsewhere is read through mentioned_comment
 *                        (IG Comment reference, Limitations); a deleted comment is 100/33
 *  Batch          POST / with `batch=[{method, relative_url}]` (at most 50, `include_headers`):
 *                        `[{code, headers?, body: "<JSON string>"}]` in the order asked, each
 *                        operation authorized and answered as on its own (Graph API Batch Requests)
 *  Errors as documented: `{"error": {message, type: "OAuthException", code, error_subcode,
 *  fbtrace_id}}` — 190/460 for a revoked token, 80001/80002 (BUC rate limit) with
 *  `x-business-use-case-usage` `estimated_time_to_regain_access`, `is_transient` code 2 for
 *  5xx, 100 for unknown fields or parameters, 100/33 for unknown objects, 10/2018278
 *  outside the messaging window, 10900 for a second private reply; `appsecret_proof` checked.
 *  Webhooks: `{object: "page"|"instagram", entry: [...]}` signed with
 *  `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, body)>`; the verification GET
 *  (`hub.mode`, `hub.verify_token`, `hub.challenge`) can be run against a URL.
 * Comments hidden on Facebook's side (`fbHideComment`: the Page's filters, or an admin in Facebook's
 * UI) read `is_hidden: true` and send the `feed` webhook with `verb: hide` / `unhide`.
 * Test controls: customers comment, post on the Page, send Messenger/Instagram DMs and
 * @mention the Instagram account (each emitting the webhook Meta would send); delete an
 * Instagram comment as its author (no webhook: Instagram sends none); restrict or block an
 * Instagram user in the app (`igRestrict`, `igUnrestrict`, `igApproveComment`, `igBlock`: their
 * comments read 100/33, as deleted ones; no webhook, no Graph endpoint); fail the next write,
 * read or whole batch; revoke the token; withdraw a permission.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type GraphFailMode = 'rate_limit' | 'auth_revoked' | 'server_error' | 'timeout_after_accept';

export interface GraphWebhookDelivery {
  object: 'page' | 'instagram';
  body: Buffer;
  headers: Record<string, string>;
  status?: number;
}

interface FbUser {
  /** The id Graph shows on comments (app/page-scoped user id). */
  id: string;
  /** The page-scoped id the person has in Messenger (differs from `id`, as on Facebook). */
  psid: string;
  name: string;
}

interface IgUser {
  /** Instagram-scoped id: the same in comments and in DMs. */
  id: string;
  username: string;
  name: string;
  followers: number;
}

interface Post {
  id: string;
  message: string;
  fromId: string;
  createdAt: number;
  /** Hidden from the Page's timeline (Page Post `is_hidden`). */
  hidden?: boolean;
}

interface Comment {
  id: string;
  postId: string;
  /** Post id, or the top-level comment this one replies to. */
  parentId: string;
  message: string;
  fromId: string;
  createdAt: number;
  hidden: boolean;
  deleted: boolean;
  privateReplyConversation: string | null;
  likes: number;
}

interface Media {
  id: string;
  caption: string;
  createdAt: number;
  ownerId: string;
  ownerUsername: string;
  /** Deleted by its owner in the Instagram app (Graph has no media deletion). */
  deleted?: boolean;
}

interface IgComment {
  id: string;
  mediaId: string;
  parentId: string | null;
  text: string;
  fromId: string;
  username: string;
  createdAt: number;
  hidden: boolean;
  deleted: boolean;
  privateReplied: boolean;
  /** Held back by the author's restriction until the account approves it (`igRestrict`); undefined: never held. */
  approved?: boolean;
}

interface ConvMessage {
  id: string;
  text: string;
  fromId: string;
  toId: string;
  createdAt: number;
}

interface Conversation {
  id: string;
  platform: 'messenger' | 'instagram';
  /** PSID (Messenger) or IGSID (Instagram) of the person. */
  userId: string;
  messages: ConvMessage[];
}

/** A parsed Graph field list: `name.mod(v){children}`. */
interface FieldSpec {
  name: string;
  mods: Record<string, string>;
  children?: FieldSpec[];
}

export function parseFields(s: string): FieldSpec[] {
  let i = 0;
  const ident = () => {
    const start = i;
    while (i < s.length && /[A-Za-z0-9_]/.test(s[i]!)) i++;
    if (start === i) throw new Error(`Syntax error "Expected name." at character ${i}: ${s}`);
    return s.slice(start, i);
  };
  const paren = () => {
    i++;
    const start = i;
    while (i < s.length && s[i] !== ')') i++;
    const v = s.slice(start, i);
    i++;
    return v;
  };
  const field = (): FieldSpec => {
    const f: FieldSpec = { name: ident(), mods: {} };
    while (s[i] === '.') {
      i++;
      const mod = ident();
      f.mods[mod] = s[i] === '(' ? paren() : '';
    }
    if (s[i] === '{') {
      i++;
      f.children = list();
      if (s[i] !== '}') throw new Error(`Syntax error "Expected }" at character ${i}: ${s}`);
      i++;
    }
    return f;
  };
  const list = (): FieldSpec[] => {
    const out: FieldSpec[] = [];
    while (i < s.length && s[i] !== '}') {
      out.push(field());
      if (s[i] === ',') i++;
    }
    return out;
  };
  const out = list();
  if (i !== s.length) throw new Error(`Syntax error at character ${i}: ${s}`);
  return out;
}

class GraphError extends Error {
  constructor(readonly status: number, readonly body: Record<string, unknown>, readonly headers: Record<string, string> = {}) {
    super(String(body.message));
  }
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
const sec = (ms: number) => Math.floor(ms / 1000);

export class GraphContractServer {
  readonly appId = String(1_000_000_000_000 + Math.floor(Math.random() * 1e9));
  readonly appSecret = randomBytes(16).toString('hex');
  readonly verifyToken = `vt_${randomBytes(8).toString('hex')}`;
  readonly pageToken = `EAAG${randomBytes(24).toString('hex')}`;
  readonly page: { id: string; name: string };
  readonly ig: { id: string; username: string };
  readonly webhookUrls: { page: string | null; instagram: string | null } = { page: null, instagram: null };
  readonly pending: GraphWebhookDelivery[] = [];
  readonly delivered: GraphWebhookDelivery[] = [];
  readonly requests: { method: string; path: string; status: number; params: Record<string, string> }[] = [];
  /** Require appsecret_proof on every call (the App Dashboard setting). */
  requireProof = true;
  rateLimitMinutes = 1;
  url = '';

  private server!: Server;
  private seq = 1_000;
  private readonly fbUsers = new Map<string, FbUser>();
  private readonly igUsers = new Map<string, IgUser>();
  private readonly posts = new Map<string, Post>();
  private readonly comments = new Map<string, Comment>();
  private readonly media = new Map<string, Media>();
  private readonly igComments = new Map<string, IgComment>();
  private readonly conversations: Conversation[] = [];
  private readonly blocked = new Set<string>();
  /** Instagram users the account restricted in the Instagram app (`igRestrict`). */
  private readonly igRestricted = new Set<string>();
  private readonly failWrites: GraphFailMode[] = [];
  private readonly failReads: GraphFailMode[] = [];
  private readonly failBatches: GraphFailMode[] = [];
  /** Permissions the app user took back (Business Integrations settings), e.g. instagram_manage_comments. */
  private readonly withdrawn = new Set<string>();
  private revoked = false;
  private readonly hung = new Set<ServerResponse>();

  private constructor() {
    this.page = { id: this.num(), name: 'Acme Care' };
    this.ig = { id: `1784${this.num()}`, username: 'acmecare' };
  }

  static async start(): Promise<GraphContractServer> {
    const s = new GraphContractServer();
    s.server = createServer((req, res) => void s.handle(req, res));
    await new Promise<void>((resolve) => s.server.listen(0, '127.0.0.1', resolve));
    s.url = `http://127.0.0.1:${(s.server.address() as AddressInfo).port}`;
    return s;
  }

  async stop(): Promise<void> {
    for (const r of this.hung) r.destroy();
    this.hung.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private num(): string {
    return String(100_000_000_000_000 + ++this.seq * 7919);
  }

  /** Credentials as the Facebook connector expects them (`pageAccessToken`), or Instagram (`accessToken`). */
  credentials(kind: 'facebook' | 'instagram'): Record<string, string> {
    const common = { appSecret: this.appSecret, verifyToken: this.verifyToken };
    return kind === 'facebook' ? { pageAccessToken: this.pageToken, ...common } : { accessToken: this.pageToken, ...common };
  }

  // ---- the world -------------------------------------------------------------

  addFbUser(name = `Customer ${this.seq}`): FbUser {
    const u = { id: this.num(), psid: this.num(), name };
    this.fbUsers.set(u.id, u);
    return u;
  }

  addIgUser(username = `igcustomer${this.seq}`, followers = 150): IgUser {
    const u = { id: this.num(), username, name: username, followers };
    this.igUsers.set(u.id, u);
    return u;
  }

  /** A post by the Page (customers comment on it). */
  pagePost(message = 'Our new product is out!'): string {
    const [, n] = [this.page.id, this.num()];
    const p: Post = { id: `${this.page.id}_${n}`, message, fromId: this.page.id, createdAt: Date.now() };
    this.posts.set(p.id, p);
    return p.id;
  }

  /** A media object of the Instagram account (customers comment on it). */
  igMedia(caption = 'Fresh drop'): string {
    const m: Media = { id: `179${this.num()}`, caption, createdAt: Date.now(), ownerId: this.ig.id, ownerUsername: this.ig.username };
    this.media.set(m.id, m);
    return m.id;
  }

  private postNum(postId: string) {
    return postId.split('_')[1]!;
  }

  private addComment(postId: string, parentId: string, fromId: string, message: string): Comment {
    const c: Comment = { id: `${this.postNum(postId)}_${this.num()}`, postId, parentId, message, fromId, createdAt: Date.now(), hidden: false, deleted: false, privateReplyConversation: null, likes: 0 };
    this.comments.set(c.id, c);
    return c;
  }

  /** A customer comments on a Page post (or replies to a comment); Meta sends the `feed` webhook. */
  async fbComment(text: string, opts: { postId?: string; parentId?: string; author?: FbUser } = {}): Promise<string> {
    const author = opts.author ?? this.addFbUser();
    const postId = opts.postId ?? (opts.parentId ? this.comments.get(opts.parentId)!.postId : this.pagePost());
    const parent = opts.parentId ? this.topLevel(opts.parentId) : postId;
    const c = this.addComment(postId, parent, author.id, text);
    await this.emitFeedComment(c);
    return c.id;
  }

  /** The author removes their comment; Meta sends the `feed` webhook with `verb: remove` (Page webhooks reference). */
  async fbRemoveComment(id: string): Promise<void> {
    const c = this.comments.get(id);
    if (c) c.deleted = true;
    const from = c ? { id: c.fromId, name: this.fbUsers.get(c.fromId)?.name ?? 'Someone' } : undefined;
    await this.emit('page', {
      id: this.page.id, time: sec(Date.now()),
      changes: [{ field: 'feed', value: { ...(from ? { from } : {}), post_id: c?.postId ?? `${this.page.id}_0`, comment_id: id, ...(c ? { parent_id: c.parentId } : {}), created_time: sec(Date.now()), item: 'comment', verb: 'remove' } }],
    });
  }

  /**
   * A comment is hidden (or unhidden) on Facebook's side: by the Page's profanity filter or
   * blocked-words moderation, or by a Page admin in Facebook's own UI. Graph reads it with
   * `is_hidden: true` after; Meta sends the `feed` webhook with `verb: hide` / `unhide`.
   */
  async fbHideComment(id: string, hidden = true): Promise<void> {
    const c = this.comments.get(id);
    if (!c) throw new Error(`no comment ${id}`);
    c.hidden = hidden;
    await this.emit('page', {
      id: this.page.id, time: sec(Date.now()),
      changes: [{ field: 'feed', value: { from: { id: c.fromId, name: this.fbUsers.get(c.fromId)?.name ?? 'Someone' }, post_id: c.postId, comment_id: id, parent_id: c.parentId, created_time: sec(c.createdAt), item: 'comment', verb: hidden ? 'hide' : 'unhide' } }],
    });
  }

  /** A visitor post on the Page; Meta sends the `feed` webhook with `item: status`. */
  async fbVisitorPost(text: string, author = this.addFbUser()): Promise<string> {
    const p: Post = { id: `${this.page.id}_${this.num()}`, message: text, fromId: author.id, createdAt: Date.now() };
    this.posts.set(p.id, p);
    await this.emit('page', { id: this.page.id, time: sec(p.createdAt), changes: [{ field: 'feed', value: { from: { id: author.id, name: author.name }, message: text, post_id: p.id, created_time: sec(p.createdAt), item: 'status', published: 1, verb: 'add' } }] });
    return p.id;
  }

  /** A person messages the Page on Messenger; Meta sends the `messages` webhook. */
  async messengerDm(text: string, author = this.addFbUser()): Promise<string> {
    const m = this.addMessage('messenger', author.psid, author.psid, this.page.id, text);
    await this.emit('page', { id: this.page.id, time: m.createdAt, messaging: [{ sender: { id: author.psid }, recipient: { id: this.page.id }, timestamp: m.createdAt, message: { mid: m.id, text } }] });
    return m.id;
  }

  /** A person comments on the Instagram account's media (or replies to a comment); Meta sends the `comments` webhook. */
  async igComment(text: string, opts: { mediaId?: string; parentId?: string; author?: IgUser } = {}): Promise<string> {
    const author = opts.author ?? this.addIgUser();
    const parent = opts.parentId ? this.igComments.get(opts.parentId)! : null;
    const mediaId = opts.mediaId ?? parent?.mediaId ?? this.igMedia();
    const c: IgComment = { id: `179${this.num()}`, mediaId, parentId: parent ? parent.parentId ?? parent.id : null, text, fromId: author.id, username: author.username, createdAt: Date.now(), hidden: false, deleted: false, privateReplied: false, ...(this.igRestricted.has(author.id) ? { approved: false } : {}) };
    this.igComments.set(c.id, c);
    await this.emitIgComment(c);
    return c.id;
  }

  /** A person @mentions the account in a comment on their own media; Meta sends the `mentions` webhook. */
  async igMention(text: string, author = this.addIgUser()): Promise<string> {
    const m: Media = { id: `179${this.num()}`, caption: 'someone else\'s photo', createdAt: Date.now(), ownerId: author.id, ownerUsername: author.username };
    this.media.set(m.id, m);
    const c: IgComment = { id: `179${this.num()}`, mediaId: m.id, parentId: null, text, fromId: author.id, username: author.username, createdAt: Date.now(), hidden: false, deleted: false, privateReplied: false };
    this.igComments.set(c.id, c);
    await this.emit('instagram', { id: this.ig.id, time: sec(c.createdAt), changes: [{ field: 'mentions', value: { media_id: m.id, comment_id: c.id } }] });
    return c.id;
  }

  /** The author deletes their Instagram comment (or the comment the account was @mentioned in). Instagram sends no webhook for it. */
  igRemoveComment(id: string): void {
    const c = this.igComments.get(id);
    if (!c) throw new Error(`no Instagram comment ${id}`);
    c.deleted = true;
  }

  /**
   * The account deletes one of its media in the Instagram app (Graph has no media deletion; no
   * webhook says so): the media and every comment on it are gone, each read answering 100/33.
   */
  igDeleteMedia(mediaId: string): void {
    const m = this.media.get(mediaId);
    if (!m) throw new Error(`no Instagram media ${mediaId}`);
    m.deleted = true;
    for (const c of this.igComments.values()) if (c.mediaId === mediaId) c.deleted = true;
  }

  /**
   * The account restricts a person in the Instagram app (Graph has no restrict endpoint and no
   * webhook says so). Their comments are held back, from Graph too: "Comments created by IG users
   * who have been restricted by the app user will not be returned unless the IG user is
   * unrestricted and the comment is approved" (IG Comment reference, Limitations); a direct read
   * answers 100/33 as for a deleted comment, and no `hidden` field says otherwise.
   */
  igRestrict(userId: string): void {
    this.igRestricted.add(userId);
    for (const c of this.igComments.values()) if (c.fromId === userId && c.approved !== true) c.approved = false;
  }

  /** The account lifts a restriction; the comments it held stay held until approved (`igApproveComment`). */
  igUnrestrict(userId: string): void {
    this.igRestricted.delete(userId);
  }

  /** The account approves a held comment in the Instagram app: once its author is unrestricted, Graph returns it again. */
  igApproveComment(id: string): void {
    const c = this.igComments.get(id);
    if (!c) throw new Error(`no Instagram comment ${id}`);
    c.approved = true;
  }

  /**
   * The account blocks a person in the Instagram app (Graph has no block endpoint, no webhook):
   * Instagram removes their comments from the account's media (Instagram's help pages; nothing
   * documents them coming back on unblocking, and none does here); each reads 100/33 after, as a
   * deleted comment does.
   */
  igBlock(userId: string): void {
    for (const c of this.igComments.values()) if (c.fromId === userId && this.media.get(c.mediaId)?.ownerId === this.ig.id) c.deleted = true;
  }

  /** Whether Graph returns an Instagram comment: not deleted, and not held back by its author's restriction. */
  private igShown(c: IgComment): boolean {
    // a reply goes with the top-level comment it answers (IG Comment Replies reference, Limitations:
    // "You cannot get replies to a comment that has been deleted"; replies nest one level only)
    const parent = c.parentId ? this.igComments.get(c.parentId) : undefined;
    return !c.deleted && !parent?.deleted && !this.igRestricted.has(c.fromId) && c.approved !== false;
  }

  /** A person sends the Instagram account a DM; Meta sends the `messages` webhook. */
  async igDm(text: string, author = this.addIgUser()): Promise<string> {
    const m = this.addMessage('instagram', author.id, author.id, this.ig.id, text);
    await this.emit('instagram', { id: this.ig.id, time: m.createdAt, messaging: [{ sender: { id: author.id }, recipient: { id: this.ig.id }, timestamp: m.createdAt, message: { mid: m.id, text } }] });
    return m.id;
  }

  fbUserByPsid(psid: string) {
    return [...this.fbUsers.values()].find((u) => u.psid === psid);
  }

  comment(id: string) {
    const c = this.comments.get(id);
    return c && !c.deleted ? c : undefined;
  }

  igCommentById(id: string) {
    const c = this.igComments.get(id);
    return c && this.igShown(c) ? c : undefined;
  }

  message(id: string): (ConvMessage & { conversation: Conversation }) | undefined {
    for (const c of this.conversations) {
      const m = c.messages.find((x) => x.id === id);
      if (m) return { ...m, conversation: c };
    }
    return undefined;
  }

  isBlocked(id: string) {
    return this.blocked.has(id);
  }

  /** Items by the account (Page or Instagram account) carrying exactly this text: comments, replies, messages. */
  countBrandPosts(text: string): number {
    const selves = new Set([this.page.id, this.ig.id]);
    return [...this.comments.values()].filter((c) => !c.deleted && selves.has(c.fromId) && c.message === text).length
      + [...this.igComments.values()].filter((c) => !c.deleted && selves.has(c.fromId) && c.text === text).length
      + this.conversations.flatMap((c) => c.messages).filter((m) => selves.has(m.fromId) && m.text === text).length;
  }

  /** Fail the next write, the next read (also one inside a batch), or the next whole batch request. */
  failNext(mode: GraphFailMode, on: 'write' | 'read' | 'batch' = 'write') {
    (on === 'write' ? this.failWrites : on === 'read' ? this.failReads : this.failBatches).push(mode);
  }

  /** The app user removes a permission from the app (instagram_manage_comments: comments can no longer be read). */
  withdrawPermission(permission: string) {
    this.withdrawn.add(permission);
  }

  grantPermission(permission: string) {
    this.withdrawn.delete(permission);
  }

  revoke() {
    this.revoked = true;
  }

  restore() {
    this.revoked = false;
  }

  private topLevel(commentId: string): string {
    const c = this.comments.get(commentId)!;
    return this.comments.has(c.parentId) ? c.parentId : c.id;
  }

  private conversation(platform: 'messenger' | 'instagram', userId: string): Conversation {
    let c = this.conversations.find((x) => x.platform === platform && x.userId === userId);
    if (!c) this.conversations.push((c = { id: `t_${this.num()}`, platform, userId, messages: [] }));
    return c;
  }

  private addMessage(platform: 'messenger' | 'instagram', userId: string, fromId: string, toId: string, text: string): ConvMessage {
    const conv = this.conversation(platform, userId);
    const m: ConvMessage = { id: platform === 'messenger' ? `m_${randomBytes(18).toString('base64url')}` : `aWdfZAG${randomBytes(24).toString('base64url')}`, text, fromId, toId, createdAt: Date.now() };
    conv.messages.push(m);
    return m;
  }

  // ---- webhooks --------------------------------------------------------------

  sign(body: Buffer | string): string {
    return `sha256=${createHmac('sha256', this.appSecret).update(body).digest('hex')}`;
  }

  private async emit(object: 'page' | 'instagram', entry: Record<string, unknown>) {
    const body = Buffer.from(JSON.stringify({ object, entry: [entry] }));
    const d: GraphWebhookDelivery = {
      object, body,
      headers: { 'content-type': 'application/json', 'x-hub-signature-256': this.sign(body), 'x-hub-signature': `sha1=${createHmac('sha1', this.appSecret).update(body).digest('hex')}` },
    };
    const url = this.webhookUrls[object];
    if (url) {
      await this.post(d, url);
      this.delivered.push(d);
    } else {
      this.pending.push(d);
    }
  }

  async post(d: GraphWebhookDelivery, url = this.webhookUrls[d.object]!): Promise<number> {
    const res = await fetch(url, { method: 'POST', headers: d.headers, body: new Uint8Array(d.body) });
    await res.arrayBuffer();
    d.status = res.status;
    return res.status;
  }

  takePending(object?: 'page' | 'instagram'): GraphWebhookDelivery[] {
    const out: GraphWebhookDelivery[] = [];
    for (let i = 0; i < this.pending.length; ) {
      if (!object || this.pending[i]!.object === object) out.push(...this.pending.splice(i, 1));
      else i++;
    }
    return out;
  }

  /** Meta's verification request when the callback URL is saved: the challenge must come back verbatim. */
  async verifyWebhook(url: string, verifyToken = this.verifyToken): Promise<{ ok: boolean; status: number; body: string }> {
    const challenge = String(Math.floor(Math.random() * 1e10));
    const res = await fetch(`${url}?hub.mode=subscribe&hub.challenge=${challenge}&hub.verify_token=${encodeURIComponent(verifyToken)}`);
    const body = await res.text();
    return { ok: res.status === 200 && body === challenge, status: res.status, body };
  }

  private async emitFeedComment(c: Comment) {
    const from = c.fromId === this.page.id ? { id: this.page.id, name: this.page.name } : { id: c.fromId, name: this.fbUsers.get(c.fromId)?.name ?? 'Someone' };
    await this.emit('page', {
      id: this.page.id, time: sec(c.createdAt),
      changes: [{
        field: 'feed',
        value: {
          from,
          post: { status_type: 'mobile_status_update', is_published: true, updated_time: iso(c.createdAt), permalink_url: `https://www.facebook.com/${c.postId}`, promotion_status: 'inactive', id: c.postId },
          message: c.message, post_id: c.postId, comment_id: c.id, created_time: sec(c.createdAt), item: 'comment', parent_id: c.parentId, verb: 'add',
        },
      }],
    });
  }

  private async emitIgComment(c: IgComment) {
    const from = c.fromId === this.ig.id ? { id: this.ig.id, username: this.ig.username } : { id: c.fromId, username: c.username };
    await this.emit('instagram', {
      id: this.ig.id, time: sec(c.createdAt),
      changes: [{ field: 'comments', value: { from, media: { id: c.mediaId, media_product_type: 'FEED' }, id: c.id, ...(c.parentId ? { parent_id: c.parentId } : {}), text: c.text } }],
    });
  }

  // ---- HTTP ------------------------------------------------------------------

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    let json: any = undefined;
    const ctype = String(req.headers['content-type'] ?? '');
    if (raw && ctype.includes('application/x-www-form-urlencoded')) Object.assign(params, Object.fromEntries(new URLSearchParams(raw)));
    else if (raw && ctype.includes('json')) {
      try {
        json = JSON.parse(raw);
      } catch {
        json = undefined;
      }
    }
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '').replace(/^\/+|\/+$/g, '').split('/').filter(Boolean);
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method, path: url.pathname, status, params });
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...this.usage(0), ...headers });
      res.end(JSON.stringify(body));
    };
    const trace = () => randomBytes(8).toString('base64url');
    const fail = (status: number, error: Record<string, unknown>, headers: Record<string, string> = {}) => send(status, { error: { ...error, fbtrace_id: trace() } }, headers);

    // auth: access_token (+ appsecret_proof)
    const token = params.access_token ?? (String(req.headers.authorization ?? '').replace(/^(Bearer|OAuth) /, '') || undefined);
    if (this.revoked || !token || token !== this.pageToken) {
      return fail(400, { message: this.revoked ? 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.' : 'Invalid OAuth access token - Cannot parse access token', type: 'OAuthException', code: 190, ...(this.revoked ? { error_subcode: 460 } : {}) });
    }
    const proof = createHmac('sha256', this.appSecret).update(token).digest('hex');
    if ((this.requireProof && !params.appsecret_proof) || (params.appsecret_proof && params.appsecret_proof !== proof)) {
      return fail(400, { message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 });
    }
    if (method === 'POST' && path.length === 0 && params.batch !== undefined) {
      const forced = this.failBatches.shift();
      if (forced) {
        const f = this.forcedFailure(forced, path);
        return fail(f.status, f.error, f.headers);
      }
      try {
        return send(200, this.batch(params));
      } catch (err) {
        if (err instanceof GraphError) return fail(err.status, err.body, err.headers);
        return fail(500, { message: String(err), type: 'OAuthException', code: 1, is_transient: false });
      }
    }
    const r = this.operate(method, path, params, json);
    if (r.hang) {
      this.requests.push({ method, path: url.pathname, status: 0, params });
      this.hung.add(res);
      return;
    }
    send(r.status, r.body, r.headers);
  }

  /** The error body and headers of a forced failure (test control). */
  private forcedFailure(mode: GraphFailMode, path: string[]): { status: number; error: Record<string, unknown>; headers: Record<string, string> } {
    if (mode === 'rate_limit') {
      const ig = path[0] === this.ig.id || this.igComments.has(path[0] ?? '');
      return {
        status: 400,
        error: {
          message: ig ? 'Application request limit reached' : 'There have been too many calls to this Page account. Wait a bit and try again. For more info, please refer to https://developers.facebook.com/docs/graph-api/overview/rate-limiting.',
          type: 'OAuthException', code: ig ? 80002 : 80001, is_transient: true,
        },
        headers: this.usage(this.rateLimitMinutes),
      };
    }
    if (mode === 'auth_revoked') return { status: 400, error: { message: 'Error validating access token: The user has not authorized application.', type: 'OAuthException', code: 190, error_subcode: 458 }, headers: {} };
    return { status: 500, error: { message: 'An unexpected error has occurred. Please retry your request later.', type: 'OAuthException', is_transient: true, code: 2 }, headers: {} };
  }

  private usage(minutes: number): Record<string, string> {
    return {
      'x-app-usage': JSON.stringify({ call_count: 1, total_cputime: 1, total_time: 1 }),
      'x-business-use-case-usage': JSON.stringify({ [this.page.id]: [{ type: 'pages', call_count: minutes ? 100 : 1, total_cputime: 1, total_time: 1, estimated_time_to_regain_access: minutes }] }),
    };
  }

  /** One authorized operation (a request, or an operation of a batch): forced failures, then the route. */
  private operate(method: string, path: string[], params: Record<string, string>, json: any): { status: number; body: unknown; headers?: Record<string, string>; hang?: boolean } {
    const write = method !== 'GET';
    const forced = (write ? this.failWrites : this.failReads).shift();
    if (forced && forced !== 'timeout_after_accept') {
      const f = this.forcedFailure(forced, path);
      return { status: f.status, body: { error: { ...f.error, fbtrace_id: randomBytes(8).toString('base64url') } }, headers: f.headers };
    }
    try {
      const out = this.route(method, path, params, json);
      return forced === 'timeout_after_accept' ? { status: 0, body: null, hang: true } : { status: 200, body: out };
    } catch (err) {
      const body = err instanceof GraphError ? err.body : { message: String(err), type: 'OAuthException', code: 1, is_transient: false };
      return { status: err instanceof GraphError ? err.status : 500, body: { error: { ...body, fbtrace_id: randomBytes(8).toString('base64url') } }, headers: err instanceof GraphError ? err.headers : {} };
    }
  }

  /**
   * Graph API Batch Requests: `batch` is a JSON array of `{method, relative_url, body?}`, at most
   * 50; each operation runs as a request of its own with the batch's access token, and the answer
   * is the list of `{code, headers, body}` (body a JSON-encoded string) in the order asked;
   * `include_headers=false` leaves the headers out.
   */
  private batch(params: Record<string, string>): unknown[] {
    let ops: unknown;
    try {
      ops = JSON.parse(params.batch ?? '');
    } catch {
      this.invalid('(#100) The parameter batch must be a JSON-encoded array');
    }
    if (!Array.isArray(ops) || !ops.length) this.invalid('(#100) The parameter batch must be a non-empty JSON-encoded array');
    if (ops.length > 50) this.invalid('(#100) Too many requests in batch message. Maximum batch size is 50');
    const headers = params.include_headers !== 'false';
    return ops.map((op: any) => {
      const method = String(op?.method ?? 'GET').toUpperCase();
      if (typeof op?.relative_url !== 'string') this.invalid('(#100) relative_url is required for each operation of the batch');
      const u = new URL(op.relative_url.replace(/^\/+/, ''), 'http://graph.invalid/');
      const p: Record<string, string> = Object.fromEntries(u.searchParams);
      if (typeof op.body === 'string') Object.assign(p, Object.fromEntries(new URLSearchParams(op.body)));
      const path = u.pathname.replace(/^\/v\d+\.\d+/, '').replace(/^\/+|\/+$/g, '').split('/').filter(Boolean);
      const r = this.operate(method, path, p, undefined);
      this.requests.push({ method, path: `batch ${u.pathname}`, status: r.status, params: p });
      // an operation that does not complete in time is answered null
      if (r.hang) return null;
      return { code: r.status, ...(headers ? { headers: [{ name: 'Content-Type', value: 'text/javascript; charset=UTF-8' }] } : {}), body: JSON.stringify(r.body) };
    });
  }

  private invalid(message: string, extra: Record<string, unknown> = {}): never {
    throw new GraphError(400, { message, type: 'OAuthException', code: 100, ...extra });
  }

  private unknownObject(id: string): never {
    throw new GraphError(400, { message: `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`, type: 'GraphMethodException', code: 100, error_subcode: 33 });
  }

  private fields(params: Record<string, string>, defaults: string): FieldSpec[] {
    try {
      return parseFields(params.fields ?? defaults);
    } catch (err) {
      this.invalid(String((err as Error).message));
    }
  }

  /** Render `obj` with only the requested fields; an unknown field is error 100, as on Graph. */
  private render(nodeType: string, specs: FieldSpec[], getters: Record<string, (f: FieldSpec) => unknown>): Record<string, unknown> {
    const o: Record<string, unknown> = {};
    for (const f of specs) {
      const g = getters[f.name];
      if (!g) this.invalid(`(#100) Tried accessing nonexisting field (${f.name}) on node type (${nodeType})`);
      const v = g(f);
      if (v !== undefined) o[f.name] = v;
    }
    return o;
  }

  private edge<T>(items: T[], f: FieldSpec | null, render: (item: T, children: FieldSpec[]) => unknown, defaults: string): Record<string, unknown> {
    const limit = Number(f?.mods.limit ?? 25);
    const list = f?.mods.order === 'reverse_chronological' ? [...items].reverse() : items;
    const page = list.slice(0, limit);
    const children = f?.children ?? parseFields(defaults);
    const out: Record<string, unknown> = { data: page.map((x) => render(x, children)) };
    if (page.length) out.paging = { cursors: { before: Buffer.from('0').toString('base64url'), after: Buffer.from(String(page.length)).toString('base64url') } };
    return out;
  }

  private fbFrom(id: string, f: FieldSpec) {
    const base = id === this.page.id ? { id, name: this.page.name } : { id, name: this.fbUsers.get(id)?.name ?? 'Someone' };
    return f.children ? this.render('User', f.children, { id: () => base.id, name: () => base.name }) : base;
  }

  private renderComment(c: Comment, specs: FieldSpec[]): Record<string, unknown> {
    return this.render('Comment', specs, {
      id: () => c.id,
      message: () => c.message,
      created_time: () => iso(c.createdAt),
      from: (f) => this.fbFrom(c.fromId, f),
      parent: (f) => (this.comments.has(c.parentId) ? (f.children ? this.render('Comment', f.children, { id: () => c.parentId }) : { id: c.parentId, created_time: iso(this.comments.get(c.parentId)!.createdAt), message: this.comments.get(c.parentId)!.message }) : undefined),
      permalink_url: () => `https://www.facebook.com/${c.postId}?comment_id=${c.id.split('_')[1]}`,
      is_hidden: () => c.hidden,
      like_count: () => c.likes,
      can_reply_privately: () => !c.privateReplyConversation,
      private_reply_conversation: (f) => (c.privateReplyConversation ? (f.children ? this.render('Conversation', f.children, { id: () => c.privateReplyConversation }) : { id: c.privateReplyConversation }) : undefined),
      comments: (f) => this.edge(this.commentsUnder(c.id, f), f, (x, ch) => this.renderComment(x, ch), 'id,message,created_time,from'),
    });
  }

  private commentsUnder(objectId: string, f: FieldSpec | null): Comment[] {
    const stream = f?.mods.filter === 'stream';
    return [...this.comments.values()]
      .filter((c) => !c.deleted && (stream && this.posts.has(objectId) ? c.postId === objectId : c.parentId === objectId))
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  private renderPost(p: Post, specs: FieldSpec[]): Record<string, unknown> {
    return this.render('Post', specs, {
      id: () => p.id,
      message: () => p.message,
      created_time: () => iso(p.createdAt),
      from: (f) => this.fbFrom(p.fromId, f),
      permalink_url: () => `https://www.facebook.com/${p.id}`,
      is_hidden: () => p.hidden === true,
      comments: (f) => this.edge(this.commentsUnder(p.id, f), f, (x, ch) => this.renderComment(x, ch), 'id,message,created_time,from'),
    });
  }

  /** The account's own media, newest first. */
  private ownMedia(): Media[] {
    return [...this.media.values()].filter((m) => m.ownerId === this.ig.id && !m.deleted).sort((a, b) => b.createdAt - a.createdAt);
  }

  private renderIgMedia(m: Media, specs: FieldSpec[]): Record<string, unknown> {
    return this.render('IGMedia', specs, {
      id: () => m.id, caption: () => m.caption, timestamp: () => iso(m.createdAt), permalink: () => `https://www.instagram.com/p/${m.id}/`, username: () => m.ownerUsername,
      comments: (f) => {
        this.needPermission('instagram_manage_comments');
        return this.edge([...this.igComments.values()].filter((c) => this.igShown(c) && c.mediaId === m.id && !c.parentId).reverse(), f, (c, ch) => this.renderIgComment(c, ch), 'id,text,timestamp');
      },
    });
  }

  /** Handling Errors: 10 "API Permission Denied", the permission was not granted or has been removed. */
  private needPermission(permission: string) {
    if (this.withdrawn.has(permission)) throw new GraphError(400, { message: '(#10) Application does not have permission for this action', type: 'OAuthException', code: 10 });
  }

  private renderIgComment(c: IgComment, specs: FieldSpec[]): Record<string, unknown> {
    return this.render('IGComment', specs, {
      id: () => c.id,
      text: () => c.text,
      timestamp: () => iso(c.createdAt),
      username: () => c.username,
      from: () => ({ id: c.fromId, username: c.username }),
      parent_id: () => c.parentId ?? undefined,
      hidden: () => c.hidden,
      like_count: () => 0,
      media: (f) => {
        const m = this.media.get(c.mediaId)!;
        return f.children ? this.render('IGMedia', f.children, { id: () => m.id, permalink: () => `https://www.instagram.com/p/${m.id}/`, username: () => m.ownerUsername }) : { id: m.id };
      },
      replies: (f) => this.edge([...this.igComments.values()].filter((r) => this.igShown(r) && r.parentId === c.id), f, (x, ch) => this.renderIgComment(x, ch), 'id,text,timestamp'),
    });
  }

  private renderMessage(m: ConvMessage, conv: Conversation, specs: FieldSpec[]) {
    const party = (id: string) => {
      if (id === this.page.id) return { id, name: this.page.name, email: `${id}@facebook.com` };
      if (id === this.ig.id) return { id, username: this.ig.username };
      if (conv.platform === 'instagram') return { id, username: this.igUsers.get(id)?.username ?? id };
      const u = this.fbUserByPsid(id);
      return { id, name: u?.name ?? 'Someone', email: `${id}@facebook.com` };
    };
    return this.render('Message', specs, {
      id: () => m.id,
      message: () => m.text,
      created_time: () => iso(m.createdAt),
      from: () => party(m.fromId),
      to: () => ({ data: [party(m.toId)] }),
    });
  }

  private renderConversation(c: Conversation, specs: FieldSpec[]) {
    return this.render('Conversation', specs, {
      id: () => c.id,
      updated_time: () => iso(c.messages.at(-1)?.createdAt ?? Date.now()),
      message_count: () => c.messages.length,
      messages: (f) => this.edge([...c.messages].reverse(), f, (m, ch) => this.renderMessage(m, c, ch), 'id,created_time'),
      participants: () => ({ data: [{ id: c.userId }] }),
    });
  }

  private route(method: string, path: string[], params: Record<string, string>, json: any): unknown {
    const [id, edge, ...rest] = path;
    if (!id || rest.length) this.invalid('Unknown path components');
    const isPage = id === this.page.id;
    const isIg = id === this.ig.id;

    if (method === 'GET') {
      if (!edge) {
        if (isPage) return this.render('Page', this.fields(params, 'id,name'), { id: () => this.page.id, name: () => this.page.name });
        if (isIg) {
          return this.render('IGUser', this.fields(params, 'id'), {
            id: () => this.ig.id, username: () => this.ig.username,
            mentioned_comment: (f) => {
              const c = this.igCommentById(f.mods.comment_id ?? '');
              // without the comments permission, an existing comment "cannot be loaded due to missing permissions"
              if (!c || this.withdrawn.has('instagram_manage_comments')) this.unknownObject(f.mods.comment_id ?? '');
              return this.renderIgComment(c, f.children ?? parseFields('id'));
            },
            media: (f) => this.edge(this.ownMedia(), f, (m, ch) => this.renderIgMedia(m, ch), 'id'),
          });
        }
        const c = this.comment(id);
        if (c) return this.renderComment(c, this.fields(params, 'created_time,from,message,id'));
        const p = this.posts.get(id);
        if (p) return this.renderPost(p, this.fields(params, 'created_time,message,id'));
        const igc = this.igCommentById(id);
        // IG Comment, Limitations: a comment found through mentions is read only by its owner (the Mentioned Comment node otherwise)
        if (igc && this.media.get(igc.mediaId)?.ownerId === this.ig.id && !this.withdrawn.has('instagram_manage_comments')) return this.renderIgComment(igc, this.fields(params, 'id,text,timestamp'));
        if (igc) this.unknownObject(id);
        // IG Media: the account's own media, until its owner deletes it
        const igm = this.media.get(id);
        if (igm && !igm.deleted && igm.ownerId === this.ig.id) return this.renderIgMedia(igm, this.fields(params, 'id'));
        const fb = this.fbUserByPsid(id);
        if (fb) {
          const [first, ...last] = fb.name.split(' ');
          return this.render('User', this.fields(params, 'first_name,last_name,profile_pic'), { id: () => fb.psid, name: () => fb.name, first_name: () => first, last_name: () => last.join(' '), profile_pic: () => `https://platform-lookaside.fbsbx.com/platform/profilepic/?psid=${fb.psid}` });
        }
        const ig = this.igUsers.get(id);
        if (ig) return this.render('IGUser', this.fields(params, 'name,username'), { id: () => ig.id, name: () => ig.name, username: () => ig.username, profile_pic: () => `https://scontent.cdninstagram.com/${ig.id}.jpg`, follower_count: () => ig.followers, is_verified_user: () => false, is_user_follow_business: () => false });
        this.unknownObject(id);
      }
      if (isPage && edge === 'feed') {
        const limit = Number(params.limit ?? 25);
        const posts = [...this.posts.values()].sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
        const specs = this.fields(params, 'created_time,message,id');
        return { data: posts.map((p) => this.renderPost(p, specs)), paging: { cursors: { before: 'MAZDZD', after: 'MjQZD' } } };
      }
      if (edge === 'comments' && (this.posts.has(id) || this.comments.has(id))) {
        const f: FieldSpec = { name: 'comments', mods: { ...(params.filter ? { filter: params.filter } : {}), ...(params.order ? { order: params.order } : {}), limit: params.limit ?? '25' }, children: this.fields(params, 'created_time,from,message,id') };
        return this.edge(this.commentsUnder(id, f), f, (x, ch) => this.renderComment(x, ch), '');
      }
      if ((isPage || isIg) && edge === 'conversations') {
        const platform = params.platform ?? 'messenger';
        if (platform !== 'messenger' && platform !== 'instagram') this.invalid('(#100) Param platform must be one of {MESSENGER, INSTAGRAM}');
        const list = this.conversations.filter((c) => c.platform === platform && (!params.user_id || c.userId === params.user_id)).sort((a, b) => (b.messages.at(-1)?.createdAt ?? 0) - (a.messages.at(-1)?.createdAt ?? 0));
        const specs = this.fields(params, 'id,updated_time');
        return { data: list.slice(0, Number(params.limit ?? 25)).map((c) => this.renderConversation(c, specs)) };
      }
      const conv = this.conversations.find((c) => c.id === id);
      if (conv && edge === 'messages') {
        const f: FieldSpec = { name: 'messages', mods: { limit: params.limit ?? '25' }, children: this.fields(params, 'id,created_time') };
        return this.edge([...conv.messages].reverse(), f, (m, ch) => this.renderMessage(m, conv, ch), '');
      }
      if (isIg && edge === 'media') {
        const specs = this.fields(params, 'id');
        return { data: this.ownMedia().slice(0, Number(params.limit ?? 25)).map((m) => this.renderIgMedia(m, specs)) };
      }
      if (edge === 'replies' && this.igCommentById(id)) {
        this.needPermission('instagram_manage_comments');
        const f: FieldSpec = { name: 'replies', mods: {}, children: this.fields(params, 'id,text,timestamp') };
        return this.edge([...this.igComments.values()].filter((r) => this.igShown(r) && r.parentId === id), f, (x, ch) => this.renderIgComment(x, ch), '');
      }
      this.unknownObject(id);
    }

    if (method === 'POST') {
      if (edge === 'comments' && (this.posts.has(id) || this.comment(id))) {
        const message = params.message ?? '';
        if (!message && !params.attachment_url) this.invalid('(#100) Missing message or attachment');
        const postId = this.posts.has(id) ? id : this.comment(id)!.postId;
        const parent = this.posts.has(id) ? id : this.topLevel(id);
        const c = this.addComment(postId, parent, this.page.id, message);
        void this.emitFeedComment(c);
        return { id: c.id };
      }
      if (edge === 'replies' && this.igCommentById(id)) {
        const message = params.message ?? '';
        if (!message) this.invalid('(#100) The parameter message is required');
        const parent = this.igCommentById(id)!;
        const c: IgComment = { id: `179${this.num()}`, mediaId: parent.mediaId, parentId: parent.parentId ?? parent.id, text: message, fromId: this.ig.id, username: this.ig.username, createdAt: Date.now(), hidden: false, deleted: false, privateReplied: false };
        this.igComments.set(c.id, c);
        void this.emitIgComment(c);
        return { id: c.id };
      }
      if (isIg && edge === 'mentions') {
        const media = this.media.get(params.media_id ?? '');
        if (!media) this.invalid('(#100) The parameter media_id is required');
        if (!params.message) this.invalid('(#100) The parameter message is required');
        const parent = params.comment_id ? this.igCommentById(params.comment_id) : undefined;
        const c: IgComment = { id: `179${this.num()}`, mediaId: media.id, parentId: parent?.id ?? null, text: params.message, fromId: this.ig.id, username: this.ig.username, createdAt: Date.now(), hidden: false, deleted: false, privateReplied: false };
        this.igComments.set(c.id, c);
        return { id: c.id };
      }
      if (isPage && edge === 'messages') return this.sendApi(json ?? params);
      if (isPage && edge === 'blocked') {
        const user = params.user ?? params.psid ?? params.asid ?? params.uid;
        if (!user) this.invalid('(#100) The parameter user is required');
        if (!this.fbUsers.has(user) && !this.fbUserByPsid(user)) this.invalid(`(#100) Invalid user id ${user}`);
        this.blocked.add(user);
        return { [user]: true };
      }
      if (edge === 'likes' && (this.comment(id) || this.posts.has(id))) {
        const c = this.comment(id);
        if (c) c.likes++;
        return { success: true };
      }
      if (!edge) {
        const c = this.comment(id);
        if (c) {
          if (params.is_hidden === undefined) this.invalid('(#100) No fields to update');
          c.hidden = params.is_hidden === 'true';
          return { success: true };
        }
        const igc = this.igCommentById(id);
        if (igc) {
          if (params.hide === undefined) this.invalid('(#100) The parameter hide is required');
          igc.hidden = params.hide === 'true';
          return { success: true };
        }
      }
      this.unknownObject(id);
    }

    if (method === 'DELETE' && isPage && edge === 'blocked') {
      // Page blocked users, Deleting: DELETE /{page-id}/blocked with one of user, psid, asid, uid → {success}
      const user = params.user ?? params.psid ?? params.asid ?? params.uid;
      if (!user) this.invalid('(#100) The parameter user is required');
      this.blocked.delete(user);
      return { success: true };
    }

    if (method === 'DELETE' && !edge) {
      const c = this.comment(id);
      if (c) {
        c.deleted = true;
        return { success: true };
      }
      const igc = this.igCommentById(id);
      if (igc) {
        igc.deleted = true;
        return { success: true };
      }
      this.unknownObject(id);
    }
    this.invalid(`Unsupported ${method} request.`);
  }

  /** The Messenger Platform Send API (Messenger and Instagram through the Page). */
  private sendApi(body: any): unknown {
    const recipient = body?.recipient ?? {};
    const text = body?.message?.text;
    if (typeof text !== 'string' || !text) this.invalid('(#100) The parameter message[text] is required');
    const now = Date.now();
    if (recipient.comment_id) {
      const fb = this.comment(recipient.comment_id);
      const ig = this.igCommentById(recipient.comment_id);
      if (!fb && !ig) this.invalid('(#100) Invalid comment_id', { error_subcode: 2018001 });
      if (fb) {
        if (fb.privateReplyConversation) throw new GraphError(400, { message: '(#10900) Activity already replied to', type: 'OAuthException', code: 10900 });
        if (now - fb.createdAt > 7 * 86_400_000) throw new GraphError(400, { message: '(#10) This message is sent outside of allowed window.', type: 'OAuthException', code: 10, error_subcode: 2018278 });
        const user = this.fbUsers.get(fb.fromId)!;
        const m = this.addMessage('messenger', user.psid, this.page.id, user.psid, text);
        fb.privateReplyConversation = this.conversation('messenger', user.psid).id;
        void this.emitEcho('page', this.page.id, user.psid, m);
        return { recipient_id: user.psid, message_id: m.id };
      }
      if (ig!.privateReplied) throw new GraphError(400, { message: '(#10900) Activity already replied to', type: 'OAuthException', code: 10900 });
      ig!.privateReplied = true;
      const m = this.addMessage('instagram', ig!.fromId, this.ig.id, ig!.fromId, text);
      void this.emitEcho('instagram', this.ig.id, ig!.fromId, m);
      return { recipient_id: ig!.fromId, message_id: m.id };
    }
    if (recipient.post_id) {
      const p = this.posts.get(recipient.post_id);
      if (!p || p.fromId === this.page.id) this.invalid('(#100) Invalid post_id');
      const user = this.fbUsers.get(p.fromId)!;
      const m = this.addMessage('messenger', user.psid, this.page.id, user.psid, text);
      void this.emitEcho('page', this.page.id, user.psid, m);
      return { recipient_id: user.psid, message_id: m.id };
    }
    const to = String(recipient.id ?? '');
    const platform = this.fbUserByPsid(to) ? 'messenger' : this.igUsers.has(to) ? 'instagram' : null;
    if (!platform) throw new GraphError(400, { message: '(#100) No matching user found', type: 'OAuthException', code: 100, error_subcode: 2018001 });
    const conv = this.conversation(platform, to);
    const lastFromUser = [...conv.messages].reverse().find((m) => m.fromId === to)?.createdAt ?? 0;
    const tag = body?.messaging_type === 'MESSAGE_TAG' ? body?.tag : null;
    const window = tag === 'HUMAN_AGENT' ? 7 * 86_400_000 : 24 * 3_600_000;
    if (platform === 'messenger' && !['RESPONSE', 'UPDATE', 'MESSAGE_TAG'].includes(body?.messaging_type)) this.invalid('(#100) param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}');
    if (now - lastFromUser > window) throw new GraphError(400, { message: '(#10) This message is sent outside of allowed window.', type: 'OAuthException', code: 10, error_subcode: 2018278 });
    const self = platform === 'messenger' ? this.page.id : this.ig.id;
    const m = this.addMessage(platform, to, self, to, text);
    void this.emitEcho(platform === 'messenger' ? 'page' : 'instagram', self, to, m);
    return { recipient_id: to, message_id: m.id };
  }

  private async emitEcho(object: 'page' | 'instagram', self: string, to: string, m: ConvMessage) {
    await this.emit(object, { id: self, time: m.createdAt, messaging: [{ sender: { id: self }, recipient: { id: to }, timestamp: m.createdAt, message: { mid: m.id, is_echo: true, app_id: Number(this.appId), text: m.text } }] });
  }

  /** Move a message or comment back in time (for window and backfill tests). */
  age(id: string, ms: number) {
    const c = this.comments.get(id) ?? this.igComments.get(id);
    if (c) {
      c.createdAt -= ms;
      return;
    }
    for (const conv of this.conversations) for (const m of conv.messages) if (m.id === id) m.createdAt -= ms;
  }
}
