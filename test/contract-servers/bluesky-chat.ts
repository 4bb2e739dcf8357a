/**
 * BlueskyChatContractServer — test support, not shipped behaviour. Bluesky's
 * chat service (did:web:api.bsky.chat) is not open source and cannot run here,
 * so the Bluesky tests put this server behind the *real* PDS from
 * @atproto/dev-env: the PDS resolves the chat DID to this server (the one
 * mocked resolution, as dev-env itself does for PDS endpoints), proxies
 * `atproto-proxy: did:web:api.bsky.chat#bsky_chat` requests to it and signs
 * them with a service-auth JWT, exactly as in production. The server answers
 * the chat.bsky.convo.* methods Parley uses, shaped by the lexicons
 * (chat.bsky.convo.defs#convoView / #messageView), which the AT client
 * validates on every response.
 *
 * Service-auth JWTs are checked for audience, method (`lxm`) and expiry; the
 * signature is not verified (that is the PDS ↔ chat service's concern, not
 * Parley's).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tidClock } from '../../src/channels/bluesky/rkey.js';

export interface ChatProfile {
  did: string;
  handle: string;
  displayName?: string;
}

interface StoredMessage {
  id: string;
  rev: string;
  text: string;
  facets?: unknown[];
  senderDid: string;
  sentAt: string;
}

interface Convo {
  id: string;
  rev: string;
  members: string[];
  messages: StoredMessage[];
  /** Members who accepted (sent a message or started it); the rest see it as a request. */
  accepted: Set<string>;
}

class XrpcFailure extends Error {
  constructor(readonly status: number, readonly error: string, message: string) {
    super(message);
  }
}

export class BlueskyChatContractServer {
  readonly did: string;
  private server: Server | null = null;
  private readonly profiles = new Map<string, ChatProfile>();
  private readonly allowIncoming = new Map<string, 'all' | 'following' | 'none'>();
  private readonly convos = new Map<string, Convo>();
  private readonly nextRev = tidClock();
  private seq = 0;
  url = '';

  constructor(opts: { did?: string } = {}) {
    this.did = opts.did ?? 'did:web:api.bsky.chat';
  }

  /** The DID document a resolver should return for the chat service. */
  didDocument(): Record<string, unknown> {
    return {
      '@context': ['https://www.w3.org/ns/did/v1'],
      id: this.did,
      service: [{ id: '#bsky_chat', type: 'BskyChatService', serviceEndpoint: this.url }],
    };
  }

  addProfile(p: ChatProfile, allowIncoming: 'all' | 'following' | 'none' = 'all'): void {
    this.profiles.set(p.did, p);
    this.allowIncoming.set(p.did, allowIncoming);
  }

  /** What the service holds for a message (for reading back what Parley sent). */
  findMessage(convoId: string, messageId: string): (StoredMessage & { convoId: string }) | null {
    const m = this.convos.get(convoId)?.messages.find((x) => x.id === messageId);
    return m ? { ...m, convoId } : null;
  }

  countMessages(senderDid: string, text: string): number {
    let n = 0;
    for (const c of this.convos.values()) n += c.messages.filter((m) => m.senderDid === senderDid && m.text === text).length;
    return n;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  private profileView(did: string) {
    const p = this.profiles.get(did);
    return { did, handle: p?.handle ?? 'handle.invalid', ...(p?.displayName ? { displayName: p.displayName } : {}) };
  }

  private messageView(m: StoredMessage) {
    return {
      $type: 'chat.bsky.convo.defs#messageView',
      id: m.id,
      rev: m.rev,
      text: m.text,
      ...(m.facets ? { facets: m.facets } : {}),
      sender: { did: m.senderDid },
      sentAt: m.sentAt,
    };
  }

  private convoView(c: Convo, viewer: string) {
    const last = c.messages[c.messages.length - 1];
    let unread = 0;
    for (let i = c.messages.length - 1; i >= 0 && c.messages[i]!.senderDid !== viewer; i--) unread++;
    return {
      id: c.id,
      rev: c.rev,
      members: c.members.map((d) => this.profileView(d)),
      ...(last ? { lastMessage: this.messageView(last) } : {}),
      muted: false,
      status: c.accepted.has(viewer) ? 'accepted' : 'request',
      unreadCount: unread,
    };
  }

  /** The caller's DID from the PDS's service-auth JWT. */
  private caller(req: IncomingMessage, nsid: string): string {
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    const part = token.split('.')[1];
    if (!part) throw new XrpcFailure(401, 'AuthMissing', 'Authentication Required');
    let payload: { iss?: unknown; aud?: unknown; lxm?: unknown; exp?: unknown };
    try {
      payload = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    } catch {
      throw new XrpcFailure(401, 'BadJwt', 'malformed service auth token');
    }
    if (payload.aud !== this.did) throw new XrpcFailure(401, 'BadJwtAudience', `jwt audience does not match service did: ${String(payload.aud)}`);
    if (payload.lxm !== undefined && payload.lxm !== nsid) throw new XrpcFailure(401, 'BadJwtLexiconMethod', 'bad jwt lexicon method ("lxm")');
    if (typeof payload.exp !== 'number' || payload.exp * 1000 < Date.now()) throw new XrpcFailure(401, 'JwtExpired', 'jwt expired');
    if (typeof payload.iss !== 'string' || !payload.iss.startsWith('did:')) throw new XrpcFailure(401, 'BadJwt', 'jwt issuer is not a DID');
    return payload.iss.split('#')[0]!;
  }

  private convoOf(id: unknown, viewer: string): Convo {
    const c = typeof id === 'string' ? this.convos.get(id) : undefined;
    if (!c || !c.members.includes(viewer)) throw new XrpcFailure(400, 'InvalidConvo', 'Convo not found');
    return c;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const nsid = url.pathname.replace(/^\/xrpc\//, '');
      const viewer = this.caller(req, nsid);
      const q = url.searchParams;
      const limit = (def: number) => Math.min(100, Math.max(1, Number(q.get('limit') ?? def) || def));
      switch (`${req.method} ${nsid}`) {
        case 'GET chat.bsky.convo.getConvoForMembers': {
          const members = [...new Set([viewer, ...q.getAll('members')])];
          if (members.length !== 2) throw new XrpcFailure(400, 'InvalidRequest', 'direct conversations have exactly two members');
          const other = members.find((d) => d !== viewer)!;
          let convo = [...this.convos.values()].find((c) => c.members.length === 2 && members.every((d) => c.members.includes(d)));
          if (!convo) {
            if (!this.profiles.has(other)) throw new XrpcFailure(400, 'RecipientNotFound', 'recipient not found');
            const allow = this.allowIncoming.get(other) ?? 'all';
            if (allow === 'none') throw new XrpcFailure(400, 'MessagesDisabled', 'recipient has disabled incoming messages');
            if (allow === 'following') throw new XrpcFailure(400, 'NotFollowedBySender', 'recipient requires incoming messages to come from someone they follow');
            convo = { id: `c${++this.seq}${Math.random().toString(36).slice(2, 8)}`, rev: this.nextRev(), members, messages: [], accepted: new Set([viewer]) };
            this.convos.set(convo.id, convo);
          }
          return json(res, 200, { convo: this.convoView(convo, viewer) });
        }
        case 'GET chat.bsky.convo.getConvo':
          return json(res, 200, { convo: this.convoView(this.convoOf(q.get('convoId'), viewer), viewer) });
        case 'GET chat.bsky.convo.listConvos': {
          const cursor = q.get('cursor');
          const mine = [...this.convos.values()]
            .filter((c) => c.members.includes(viewer) && c.messages.length > 0)
            .sort((a, b) => (a.rev < b.rev ? 1 : -1))
            .filter((c) => !cursor || c.rev < cursor);
          const page = mine.slice(0, limit(50));
          const more = mine.length > page.length;
          return json(res, 200, { convos: page.map((c) => this.convoView(c, viewer)), ...(more ? { cursor: page[page.length - 1]!.rev } : {}) });
        }
        case 'GET chat.bsky.convo.getMessages': {
          const convo = this.convoOf(q.get('convoId'), viewer);
          const cursor = q.get('cursor');
          const older = [...convo.messages].reverse().filter((m) => !cursor || m.rev < cursor);
          const page = older.slice(0, limit(50));
          const more = older.length > page.length;
          return json(res, 200, { messages: page.map((m) => this.messageView(m)), ...(more ? { cursor: page[page.length - 1]!.rev } : {}) });
        }
        case 'POST chat.bsky.convo.sendMessage': {
          const body = (await readJson(req)) as { convoId?: unknown; message?: { text?: unknown; facets?: unknown } };
          const convo = this.convoOf(body.convoId, viewer);
          const text = body.message?.text;
          if (typeof text !== 'string' || text.length === 0) throw new XrpcFailure(400, 'InvalidRequest', 'Input/message/text must be a non-empty string');
          if ([...new Intl.Segmenter().segment(text)].length > 1000) throw new XrpcFailure(400, 'InvalidRequest', 'Input/message/text must not be longer than 1000 graphemes');
          const m: StoredMessage = {
            id: `m${++this.seq}`,
            rev: this.nextRev(),
            text,
            ...(Array.isArray(body.message?.facets) ? { facets: body.message!.facets as unknown[] } : {}),
            senderDid: viewer,
            sentAt: new Date().toISOString(),
          };
          convo.messages.push(m);
          convo.rev = m.rev;
          convo.accepted.add(viewer);
          return json(res, 200, this.messageView(m));
        }
        default:
          throw new XrpcFailure(501, 'MethodNotImplemented', `Method Not Implemented: ${nsid}`);
      }
    } catch (err) {
      if (err instanceof XrpcFailure) return json(res, err.status, { error: err.error, message: err.message });
      return json(res, 500, { error: 'InternalServerError', message: 'Internal Server Error' });
    }
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new XrpcFailure(400, 'InvalidRequest', 'request body is not JSON');
  }
}
