/**
 * Who deleted a post the network reports gone, on SQLite and PostgreSQL (src/pipeline/deletions.ts):
 * the brand, when the network confirmed Parley's delete or it is still in flight; nobody we can
 * name (`deleted`) when Parley's delete went unanswered (unknown): the network may have done it,
 * or its author may have deleted the post first; its author otherwise (no delete asked, or one
 * the network refused). A public reply to any of them is refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyNetworkDeletions, deletionReason } from '../src/pipeline/deletions.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

describe('deletionReason', () => {
  it('names the brand only for a delete the network confirmed or that is in flight, and nobody for one it never answered', () => {
    expect(deletionReason(['done'])).toBe('deleted_by_brand');
    expect(deletionReason(['pending'])).toBe('deleted_by_brand');
    expect(deletionReason(['unknown'])).toBe('deleted');
    expect(deletionReason(['failed', 'unknown'])).toBe('deleted');
    expect(deletionReason(['unknown', 'done'])).toBe('deleted_by_brand');
    expect(deletionReason(['failed'])).toBe('deleted_by_author');
    expect(deletionReason([])).toBe('deleted_by_author');
  });
});

for (const dialect of DIALECTS) {
  describe(`the label of a post deleted on the network [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    const db = () => desk.db.store.db;

    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    /** A stored mention whose brand delete ended with `status` (none: no delete asked). */
    const post = async (status: 'done' | 'pending' | 'unknown' | 'failed' | null) => {
      const m = mention();
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const { conversationId, messageId } = r.json.outcomes[0];
      if (status) {
        await db().insertInto('moderation_action').values({
          brand_id: desk.brandId, message_id: messageId, conversation_id: conversationId, identity_id: null, action: 'delete',
          guideline_id: 0, evidence: 'Advertises a scam pharmacy link', actor_user_id: desk.users.ana, status,
          error: status === 'unknown' ? 'TIMEOUT: the network did not answer in 10 s' : status === 'failed' ? 'NOT_FOUND: no such post' : null, created_at: Date.now(),
        }).execute();
      }
      return { conv: conversationId as number, id: messageId as number, networkId: m.networkMessageId! };
    };

    it('labels a post whose brand delete went unanswered `deleted` (no one named), and the others as before', async () => {
      const posts = { done: await post('done'), pending: await post('pending'), unknown: await post('unknown'), failed: await post('failed'), none: await post(null) };
      const d = await applyNetworkDeletions(desk.parley.services, { brandId: desk.brandId, network: 'x', networkMessageIds: Object.values(posts).map((p) => p.networkId), actor: 'system:webhook:x' });
      expect(d.redacted.sort((a, b) => a - b)).toEqual(Object.values(posts).map((p) => p.id).sort((a, b) => a - b));

      const reasons: Record<string, unknown> = {};
      for (const [k, p] of Object.entries(posts)) {
        const row = await db().selectFrom('message').select(['text', 'redacted_reason']).where('id', '=', p.id).executeTakeFirstOrThrow();
        expect(row.text).toBe('');
        reasons[k] = row.redacted_reason;
      }
      expect(reasons).toEqual({ done: 'deleted_by_brand', pending: 'deleted_by_brand', unknown: 'deleted', failed: 'deleted_by_author', none: 'deleted_by_author' });

      // audited with the same reason
      const audit = await db().selectFrom('audit_event').select('data').where('action', '=', 'message.redacted').where('subject_id', '=', String(posts.unknown.id)).execute();
      expect(audit.map((a) => JSON.parse(a.data))).toEqual([{ reason: 'deleted' }]);

      // the API says so (and its response schema admits it)
      const detail = await admin.get(`/api/conversations/${posts.unknown.conv}`);
      expect(detail.status, JSON.stringify(detail.json)).toBe(200);
      expect(detail.json.messages.find((m: { id: number }) => m.id === posts.unknown.id)).toMatchObject({ text: '', redacted: 'deleted' });

      // the moderation record is left as it was: whether the network did it is still unknown
      const action = await db().selectFrom('moderation_action').select('status').where('message_id', '=', posts.unknown.id).executeTakeFirstOrThrow();
      expect(action.status).toBe('unknown');
    });

    it('refuses a public reply to a post deleted on the network by someone unnamed, as to any deleted post', async () => {
      const p = await post('unknown');
      await applyNetworkDeletions(desk.parley.services, { brandId: desk.brandId, network: 'x', networkMessageIds: [p.networkId], actor: 'system:webhook:x' });
      const r = await ana.post(`/api/conversations/${p.conv}/replies`, { text: 'Sorry to hear that! Your parcel leaves today.', visibility: 'public', replyToMessageId: p.id });
      expect(r.status, JSON.stringify(r.json)).toBe(409);
      expect(r.json).toMatchObject({ code: 'reply.post_deleted' });
      expect(r.json.detail).toMatch(/deleted on the network/);
    });
  });
}
