/**
 * The demo channel: "delivers" replies into Parley's own database, so the
 * demo brand and tests can exercise the whole outbox without a network. It
 * remembers what it posted (by idempotency key) in the kv table, so findSent
 * answers truthfully after a crash, like a real network would.
 */
import type { Store } from '../../store/db.js';
import type { Capabilities, Channel, ChannelAccountConfig, SendRequest, SendResult } from '../types.js';

const CAPS: Capabilities = {
  publicReply: true,
  privateMessage: true,
  hide: 'the demo network has no moderation',
  delete: 'the demo network has no moderation',
  block: 'the demo network has no moderation',
  mute: 'the demo network has no moderation',
  like: 'the demo network has no likes',
  fetchProfile: 'profiles come with each replayed message',
  fetchThread: 'threads come with each replayed message',
  search: 'the demo replays a fixed excerpt',
  webhook: 'the demo replays in-process',
  poll: 'the demo replays in-process',
  stream: 'the demo replays in-process',
};

export class DemoChannel implements Channel {
  readonly capabilities = CAPS;
  constructor(readonly account: ChannelAccountConfig, private readonly store: Store, private readonly now: () => number) {}

  get network() {
    return this.account.network;
  }

  private async post(req: SendRequest): Promise<SendResult> {
    const existing = await this.findSent(req);
    if (existing) return existing;
    const id = `demo-${this.account.id}-${req.idempotencyKey}`;
    const result: SendResult = { networkMessageId: id, url: null, createdAt: this.now() };
    await this.store.db
      .insertInto('kv')
      .values({ key: `demo.posted.${req.idempotencyKey}`, value: JSON.stringify(result), updated_at: this.now() })
      .onConflict((oc) => oc.column('key').doNothing())
      .execute();
    return result;
  }

  sendPublicReply(req: SendRequest): Promise<SendResult> {
    return this.post(req);
  }

  sendPrivateMessage(req: SendRequest): Promise<SendResult> {
    return this.post(req);
  }

  async findSent(req: SendRequest): Promise<SendResult | null> {
    const row = await this.store.db.selectFrom('kv').select('value').where('key', '=', `demo.posted.${req.idempotencyKey}`).executeTakeFirst();
    return row ? (JSON.parse(row.value) as SendResult) : null;
  }
}
