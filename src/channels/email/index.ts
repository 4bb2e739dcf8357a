/**
 * The email connector: a support mailbox over IMAP (imapflow) and SMTP (nodemailer).
 *
 * Inbound: `sync` fetches new mail by UID; the cursor is `<UIDVALIDITY>:<last UID>`
 * and a changed UIDVALIDITY (the mailbox was recreated, UIDs restarted) is
 * CURSOR_INVALID, after which the sync worker backfills (`settings.backfillDays`,
 * default 7). `stream` keeps an IDLE connection on the mailbox and emits new
 * mail on EXISTS; polling stays the fallback. See ./parse.ts for normalization.
 *
 * Outbound: a reply is an email to the customer (Reply-To, else From of the
 * answered mail), threaded with In-Reply-To/References, from the account's
 * address, with a Message-ID derived from the outbox's idempotency key and an
 * X-Parley-Ref token a bounce of it returns (./ref.ts, ./threading.ts). Sending
 * follows a write-ahead rule, so a reply is never sent twice:
 *   1. look for that Message-ID in the Sent mailbox — found: it went out already;
 *   2. APPEND the message to Sent flagged `$ParleyPending` (as mail clients keep
 *      a copy of what they send);
 *   3. SMTP; on success remove the flag; on a definite refusal (4xx, 5xx, no
 *      connection, auth) delete the copy and report the error; on a timeout
 *      after the message was handed over keep the copy (TIMEOUT: it may have
 *      been accepted).
 * `findSent` is step 1: after an ambiguous failure the outbox asks it first, and
 * a pending copy counts as sent (at most once; the rare price is a reply the
 * server never took, after a crash between steps 2 and 3).
 * Sending therefore needs the IMAP server too: without it a reply waits (TEMPORARY).
 */
import { PassThrough } from 'node:stream';
import { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import type { NormalizedMessage } from '../../core/types.js';
import { ChannelError, type Capabilities, type Channel, type ChannelAccountConfig, type ChannelDeps, type ChannelFactory, type SendRequest, type SendResult, type SyncResult } from '../types.js';
import { composeReply, messageIdFor, parentFromRaw, replyAddress, type ReplyParent } from './compose.js';
import { imapError, smtpError } from './errors.js';
import { AUTO_SENDER, normalizeEmail, type MailboxPosition } from './parse.js';
import { REF_PURPOSE, refToken } from './ref.js';

const CAPS: Capabilities = {
  publicReply: true,
  privateMessage: true,
  hide: 'email has no public posts to hide',
  delete: 'a sent email cannot be taken back',
  block: 'blocking senders is done in the mail server\'s filters',
  mute: 'muting senders is done in the mail server\'s filters',
  like: 'email has no likes',
  fetchProfile: 'an email address has no profile to fetch',
  fetchThread: 'threads are rebuilt from Message-ID, In-Reply-To and References as mail arrives',
  search: 'email has no public posts to listen to',
  webhook: 'IMAP has no webhooks: new mail arrives through IDLE and polling',
  poll: true,
  stream: true,
};

/** The Sent copy of a reply whose SMTP outcome is not known yet. */
export const PENDING_FLAG = '$ParleyPending';
const DAY_MS = 86_400_000;
/** Bigger mails are fetched up to this many bytes (the text parts come first; attachments are not stored). */
const FETCH_LIMIT = 8 * 1024 * 1024;

export interface EmailSettings {
  imapHost: string;
  imapPort: number;
  imapSecure: boolean;
  smtpHost: string;
  smtpPort: number;
  smtpSecure: boolean;
  /** The support address customers write to; replies come from it. */
  address: string;
  /** The mailbox to read, default INBOX. */
  mailbox: string;
  /** Where sent replies are kept; default: the server's \Sent mailbox, else "Sent" (created if missing). */
  sentMailbox: string | null;
  /** Display name on replies (default: the account's display name or handle). */
  fromName: string | null;
  /** How far back the first sync (or one after a UIDVALIDITY change) reads. */
  backfillDays: number;
  /** Mails per sync call. */
  pageSize: number;
  /** Connection and command timeout for IMAP and SMTP, ms. */
  timeoutMs: number;
  /** How long after a rate limit without a hint to try again, ms. */
  rateLimitRetryMs: number;
}

/** The account's settings with defaults; throws INVALID_REQUEST naming what is missing or wrong (also the connect/edit check). */
export function readSettings(account: Pick<ChannelAccountConfig, 'settings' | 'handle'>): EmailSettings {
  const s = account.settings ?? {};
  const str = (k: string) => (typeof s[k] === 'string' && (s[k] as string).trim() ? (s[k] as string).trim() : null);
  const num = (k: string, d: number, min: number, max: number) => {
    const v = typeof s[k] === 'number' ? (s[k] as number) : typeof s[k] === 'string' && s[k] !== '' ? Number(s[k]) : d;
    return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : d;
  };
  const bool = (k: string, d: boolean) => (typeof s[k] === 'boolean' ? (s[k] as boolean) : s[k] === 'true' ? true : s[k] === 'false' ? false : d);
  const missing = ['imapHost', 'smtpHost', 'address'].filter((k) => !str(k));
  if (missing.length) throw new ChannelError('INVALID_REQUEST', `email account settings lack ${missing.join(', ')}`);
  const address = str('address')!;
  if (!/^[^\s@<>]+@[^\s@<>]+$/.test(address)) throw new ChannelError('INVALID_REQUEST', `settings.address "${address}" is not an email address`);
  const imapSecure = bool('imapSecure', false);
  const smtpSecure = bool('smtpSecure', false);
  return {
    imapHost: str('imapHost')!,
    imapPort: num('imapPort', imapSecure ? 993 : 143, 1, 65535),
    imapSecure,
    smtpHost: str('smtpHost')!,
    smtpPort: num('smtpPort', smtpSecure ? 465 : 587, 1, 65535),
    smtpSecure,
    address,
    mailbox: str('mailbox') ?? 'INBOX',
    sentMailbox: str('sentMailbox'),
    fromName: str('fromName') ?? account.handle ?? null,
    backfillDays: num('backfillDays', 7, 0, 365),
    pageSize: num('pageSize', 50, 1, 500),
    timeoutMs: num('timeoutMs', 30_000, 200, 600_000),
    rateLimitRetryMs: num('rateLimitRetryS', 60, 1, 86_400) * 1000,
  };
}

/** Bytes of mail sources fetched at once: a page of big mails is read a few at a time, not all into memory together. */
export const FETCH_BUDGET = 16 * 1024 * 1024;

/**
 * The UIDs of a page in groups fetched one after the other, in order, each holding at most
 * `budget` bytes of sources (a mail counts at most `limit`, what is read of it); a mail larger
 * than the budget is a group of its own. Sizes unknown count as `limit`.
 */
export function fetchGroups(mails: readonly { uid: number; size: number | null | undefined }[], budget = FETCH_BUDGET, limit = FETCH_LIMIT): number[][] {
  const groups: number[][] = [];
  let group: number[] = [];
  let bytes = 0;
  for (const m of [...mails].sort((a, b) => a.uid - b.uid)) {
    const b = Math.min(m.size ?? limit, limit);
    if (group.length && bytes + b > budget) {
      groups.push(group);
      group = [];
      bytes = 0;
    }
    group.push(m.uid);
    bytes += b;
  }
  if (group.length) groups.push(group);
  return groups;
}

/** `<UIDVALIDITY>:<last UID seen>` */
export function parseCursor(cursor: string): { validity: string; uid: number } | null {
  const m = /^(\d{1,20}):(\d{1,10})$/.exec(cursor);
  return m ? { validity: m[1]!, uid: Number(m[2]) } : null;
}

/**
 * What the connector is built with: the shared deps, and keys derived from the instance secret
 * (`SecretBox.deriveKey`, passed by the registry). Without `deriveKey` (a bare test) replies
 * carry no X-Parley-Ref and no bounce proves it returns ours.
 */
export type EmailDeps = ChannelDeps & { deriveKey?: (purpose: string) => Buffer };

export class EmailChannel implements Channel {
  readonly network = 'email' as const;
  readonly capabilities = CAPS;
  /** True while the IDLE connection is open on the mailbox. */
  streaming = false;
  private sentPath: string | null = null;
  private readonly live = new Set<ImapFlow>();
  private closed = false;

  private readonly refKey: Buffer | null;

  constructor(readonly account: ChannelAccountConfig, private readonly deps: EmailDeps) {
    this.refKey = deps.deriveKey?.(REF_PURPOSE) ?? null;
  }

  private get settings(): EmailSettings {
    return readSettings(this.account);
  }

  private credentials(): { user: string; pass: string } {
    const c = this.account.credentials ?? {};
    if (typeof c.user !== 'string' || typeof c.password !== 'string' || !c.user) {
      throw new ChannelError('AUTH_REVOKED', 'the email account has no user and password: reconnect it with the mailbox credentials');
    }
    return { user: c.user, pass: c.password };
  }

  private imap(opts: { idle: boolean }): ImapFlow {
    const s = this.settings;
    const client = new ImapFlow({
      host: s.imapHost,
      port: s.imapPort,
      secure: s.imapSecure,
      auth: this.credentials(),
      logger: false,
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: opts.idle ? Math.max(s.timeoutMs, 10 * 60_000) : Math.max(s.timeoutMs, 60_000),
      disableAutoIdle: !opts.idle,
      ...(opts.idle ? { autoIdleDelay: 250, maxIdleTime: 5 * 60_000 } : {}),
      clientInfo: { name: 'Parley' },
    });
    // imapflow reports a broken connection as an 'error' event too; the failing command carries it.
    client.on('error', () => {});
    return client;
  }

  /** One short IMAP session. */
  private async withImap<T>(fn: (c: ImapFlow) => Promise<T>): Promise<T> {
    const c = this.imap({ idle: false });
    this.live.add(c);
    try {
      await c.connect();
      return await fn(c);
    } catch (err) {
      throw imapError(err, this.deps.now());
    } finally {
      this.live.delete(c);
      if (c.usable) await c.logout().catch(() => c.close());
      else c.close();
    }
  }

  private async fetchNormalized(c: ImapFlow, uids: number[], mailbox: string, uidValidity: string): Promise<NormalizedMessage[]> {
    if (!uids.length) return [];
    const s = this.settings;
    const out: NormalizedMessage[] = [];
    // a page that fits one budget whatever its sizes (a new mail from IDLE) is fetched at once; a bigger
    // one by its sizes first (cheap), then a budget at a time: 50 mails of 8 MB are never all in memory
    const groups = uids.length * FETCH_LIMIT <= FETCH_BUDGET
      ? [uids]
      : fetchGroups((await c.fetchAll(uids.join(','), { uid: true, size: true }, { uid: true })).map((m) => ({ uid: m.uid, size: m.size })));
    for (const group of groups) {
      const fetched = await c.fetchAll(group.join(','), { uid: true, source: { maxLength: FETCH_LIMIT }, internalDate: true, size: true }, { uid: true });
      fetched.sort((a, b) => a.uid - b.uid);
      for (const m of fetched) {
        if (!m.source) continue;
        const internalDate = m.internalDate instanceof Date ? m.internalDate : m.internalDate ? new Date(m.internalDate) : null;
        const position: MailboxPosition = { mailbox, uid: m.uid, uidValidity, internalDate, size: m.size ?? null };
        out.push(await normalizeEmail(m.source, { accountAddress: s.address, position, now: this.deps.now(), refKey: this.refKey }));
      }
    }
    return out;
  }

  async sync(cursor: string | null): Promise<SyncResult> {
    const s = this.settings;
    return this.withImap(async (c) => {
      const mb = await c.mailboxOpen(s.mailbox, { readOnly: true });
      const validity = String(mb.uidValidity);
      let after = 0;
      if (cursor) {
        const parsed = parseCursor(cursor);
        if (!parsed) throw new ChannelError('CURSOR_INVALID', `"${cursor.slice(0, 40)}" is not an email sync position`);
        if (parsed.validity !== validity) {
          throw new ChannelError('CURSOR_INVALID', `the UIDVALIDITY of ${s.mailbox} changed from ${parsed.validity} to ${validity} (the mailbox was recreated and its UIDs restarted): reading it again from a backfill`);
        }
        after = parsed.uid;
      }
      const uidNext = Number(mb.uidNext);
      let uids: number[] = [];
      if (!cursor) {
        const found = await c.search({ since: new Date(this.deps.now() - s.backfillDays * DAY_MS) }, { uid: true });
        uids = found || [];
      } else if (!(uidNext > 0) || uidNext > after + 1) {
        const found = await c.search({ uid: `${after + 1}:*` }, { uid: true });
        uids = found || [];
      }
      uids = [...new Set(uids)].filter((u) => u > after).sort((a, b) => a - b);
      const page = uids.slice(0, s.pageSize);
      const messages = await this.fetchNormalized(c, page, s.mailbox, validity);
      const last = page.length ? page[page.length - 1]! : Math.max(after, uidNext > 0 ? uidNext - 1 : 0);
      return { messages, cursor: `${validity}:${last}`, more: uids.length > page.length };
    });
  }

  async stream(emit: (messages: NormalizedMessage[]) => Promise<void>, signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.closed) return;
    const s = this.settings;
    const c = this.imap({ idle: true });
    this.live.add(c);
    let failure: unknown = null;
    try {
      await c.connect();
      const mb = await c.mailboxOpen(s.mailbox, { readOnly: true });
      const validity = String(mb.uidValidity);
      let last = Math.max(0, Number(mb.uidNext) - 1);
      let chain = Promise.resolve();
      const pull = () => {
        chain = chain.then(async () => {
          const found = (await c.search({ uid: `${last + 1}:*` }, { uid: true })) || [];
          const uids = found.filter((u) => u > last).sort((a, b) => a - b);
          if (!uids.length) return;
          const messages = await this.fetchNormalized(c, uids, s.mailbox, validity);
          last = uids[uids.length - 1]!;
          if (messages.length) await emit(messages);
        }).catch((err) => {
          failure ??= err;
          c.close();
        });
      };
      c.on('exists', pull);
      this.streaming = true;
      void c.idle().catch(() => {});
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
        c.once('close', () => resolve());
      });
      await chain;
      if (failure) throw failure;
      if (!signal.aborted && !this.closed) throw new ChannelError('TEMPORARY', 'the IMAP server closed the IDLE connection');
    } catch (err) {
      throw imapError(err, this.deps.now());
    } finally {
      this.streaming = false;
      this.live.delete(c);
      if (c.usable) await c.logout().catch(() => c.close());
      else c.close();
    }
  }

  /** The Sent mailbox: settings.sentMailbox, else the server's \Sent special-use mailbox, else "Sent" (created). */
  private async sentMailbox(c: ImapFlow): Promise<string> {
    if (this.sentPath) return this.sentPath;
    const s = this.settings;
    const list = await c.list();
    let path = s.sentMailbox ?? list.find((m) => m.specialUse === '\\Sent')?.path ?? 'Sent';
    if (!list.some((m) => m.path === path)) {
      await c.mailboxCreate(path).catch((err) => {
        if (!/ALREADYEXISTS/i.test(String((err as { serverResponseCode?: string }).serverResponseCode ?? err))) throw err;
      });
      path = s.sentMailbox ?? path;
    }
    this.sentPath = path;
    return path;
  }

  /** UIDs in the open mailbox with this Message-ID. */
  private async searchMessageId(c: ImapFlow, messageId: string): Promise<number[]> {
    const found = await c.search({ header: { 'message-id': messageId } }, { uid: true });
    return found || [];
  }

  private async findInSent(c: ImapFlow, messageId: string): Promise<SendResult | null> {
    const sent = await this.sentMailbox(c);
    await c.mailboxOpen(sent, { readOnly: true });
    const uids = await this.searchMessageId(c, messageId);
    if (!uids.length) return null;
    const [m] = await c.fetchAll(String(uids[0]), { uid: true, flags: true, internalDate: true }, { uid: true });
    const internal = m?.internalDate ? new Date(m.internalDate).getTime() : NaN;
    return {
      networkMessageId: messageId,
      url: null,
      createdAt: Number.isFinite(internal) ? internal : undefined,
      raw: { kind: 'email-sent', messageId, sentMailbox: sent, uid: uids[0], pending: m?.flags?.has(PENDING_FLAG) ?? false },
    };
  }

  /** The answered mail, looked up in the mailbox when the request does not carry it (e.g. imported history). */
  private async lookupParent(c: ImapFlow, messageId: string): Promise<ReplyParent | null> {
    const s = this.settings;
    const mb = await c.mailboxOpen(s.mailbox, { readOnly: true });
    const uids = await this.searchMessageId(c, messageId);
    if (!uids.length) return null;
    const [msg] = await this.fetchNormalized(c, [uids[0]!], s.mailbox, String(mb.uidValidity));
    return msg ? parentFromRaw(msg.raw) : null;
  }

  private async smtpSend(raw: Buffer, to: string, onBodySent: () => void): Promise<void> {
    const s = this.settings;
    const { user, pass } = this.credentials();
    const transport = nodemailer.createTransport({
      host: s.smtpHost,
      port: s.smtpPort,
      secure: s.smtpSecure,
      auth: { user, pass },
      connectionTimeout: s.timeoutMs,
      greetingTimeout: s.timeoutMs,
      socketTimeout: s.timeoutMs,
      name: s.address.split('@')[1],
      logger: false,
    });
    const body = new PassThrough();
    body.on('end', onBodySent);
    body.end(raw);
    try {
      await transport.sendMail({ envelope: { from: s.address, to: [to] }, raw: body });
    } finally {
      transport.close();
    }
  }

  private async send(req: SendRequest): Promise<SendResult> {
    const s = this.settings;
    if (!req.text.trim()) throw new ChannelError('INVALID_REQUEST', 'an email reply needs some text');
    const messageId = messageIdFor(req.idempotencyKey, s.address);
    return this.withImap(async (c) => {
      const prior = await this.findInSent(c, messageId);
      if (prior) return prior;
      let parent = parentFromRaw(req.inReplyTo?.raw);
      if (!parent && req.inReplyTo?.networkMessageId) parent = await this.lookupParent(c, req.inReplyTo.networkMessageId);
      const to = replyAddress(parent, req.recipient?.networkUserId ?? null, s.address);
      if (!to || !/^[^\s@<>]+@[^\s@<>]+$/.test(to)) throw new ChannelError('INVALID_REQUEST', 'no email address to reply to (the answered mail is unknown and the recipient has no address)');
      // a bounce's sender is a mail system: a reply to it is read by nobody (and may bounce again)
      if (AUTO_SENDER.test(to)) throw new ChannelError('INVALID_REQUEST', `${to} is a mail system, not a person (the answered mail is a delivery report): answer the customer's own mail instead`);
      const now = this.deps.now();
      const raw = await composeReply({
        from: { address: s.address, name: s.fromName },
        to,
        messageId,
        text: req.text,
        parent,
        subject: `Message from ${s.fromName ?? s.address}`,
        date: new Date(now),
        automatic: req.automatic === true,
        ref: this.refKey ? refToken(this.refKey, messageId, to) : null,
      });

      const sent = await this.sentMailbox(c);
      const appended = await c.append(sent, raw, ['\\Seen', PENDING_FLAG], new Date(now));
      const uid = appended ? appended.uid : undefined;
      let bodySent = false;
      try {
        await this.smtpSend(raw, to, () => {
          bodySent = true;
        });
      } catch (err) {
        const e = smtpError(err, { now: this.deps.now(), bodySent, rateLimitRetryMs: s.rateLimitRetryMs });
        // Certainly not sent: remove the write-ahead copy, so the next attempt sends.
        if (e.code !== 'TIMEOUT' && uid) {
          await c.mailboxOpen(sent);
          await c.messageDelete(String(uid), { uid: true }).catch(() => {});
        }
        throw e;
      }
      if (uid) {
        await c.mailboxOpen(sent);
        await c.messageFlagsRemove(String(uid), [PENDING_FLAG], { uid: true }).catch(() => {});
      }
      const normalized = await normalizeEmail(raw, { accountAddress: s.address, now });
      return { networkMessageId: messageId, url: null, createdAt: now, raw: normalized.raw };
    });
  }

  /** An email reply (email has no public posts: the reply goes to the customer's address). */
  sendPublicReply(req: SendRequest): Promise<SendResult> {
    return this.send(req);
  }

  sendPrivateMessage(req: SendRequest): Promise<SendResult> {
    return this.send(req);
  }

  /** Is the reply with this idempotency key in the Sent mailbox (sent, or handed to SMTP with the outcome unknown)? */
  async findSent(req: SendRequest): Promise<SendResult | null> {
    const messageId = messageIdFor(req.idempotencyKey, this.settings.address);
    return this.withImap((c) => this.findInSent(c, messageId));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const c of this.live) c.close();
    this.live.clear();
  }
}

export const createChannel: ChannelFactory = (account, deps) => new EmailChannel(account, deps);
