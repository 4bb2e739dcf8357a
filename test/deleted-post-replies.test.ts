/**
 * A post deleted on the network gets no reply sent to it, on SQLite and PostgreSQL, through a
 * real desk (the deletion as the webhook route applies it, src/pipeline/deletions.ts):
 *  - a public reply queued in the outbox is withdrawn with the reason, audited, its author
 *    told, and the worker sends nothing; a second notice changes nothing;
 *  - a reply waiting for sign-off is withdrawn the same way, and approving it is refused (409);
 *  - a reply a worker is sending, or whose last attempt timed out, is left to the worker;
 *  - a private reply in the same conversation is not touched;
 *  - a reply to a post already deleted is refused when it is written (409), nothing queued;
 *  - PostgreSQL: a reply written, or approved, while the deletion's transaction runs is never
 *    sent (withdrawn with the rest, or by the outbox worker); many replies written at once while
 *    the outbox sends do not deadlock.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withdrawRepliesToDeleted } from '../src/outbox/deletedPost.js';
import { applyNetworkDeletions } from '../src/pipeline/deletions.js';
import { redactMessages } from '../src/store/redact.js';
import { DIALECTS } from './db.js';
import { Client, mention, signOffDesk, type TestDesk } from './helpers/parley.js';

const REASON = 'withdrawn: the post was deleted before the reply was sent';

for (const dialect of DIALECTS) {
  describe(`replies to a deleted post [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let ben: Client;
    let cleo: Client;
    const db = () => desk.db.store.db;

    beforeAll(async () => {
      ({ desk, admin, ana, ben, cleo } = await signOffDesk(dialect, 'ben'));
    });
    afterAll(async () => desk?.stop());

    const post = async () => {
      const m = mention();
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] });
      expect(r.status, JSON.stringify(r.json)).toBe(200);
      const o = r.json.outcomes[0];
      return { conv: o.conversationId as number, id: o.messageId as number, networkId: m.networkMessageId! };
    };
    const reply = async (c: Client, conv: number, text: string, visibility: 'public' | 'private' = 'public', replyToMessageId?: number) => {
      const r = await c.post(`/api/conversations/${conv}/replies`, { text, visibility, ...(replyToMessageId != null ? { replyToMessageId } : {}) });
      expect([200, 202], JSON.stringify(r.json)).toContain(r.status);
      return r.json.message as { id: number; status: string };
    };
    const deleted = (networkId: string) => applyNetworkDeletions(desk.parley.services, { brandId: desk.brandId, network: 'x', networkMessageIds: [networkId], actor: 'system:webhook:x' });
    const outboxOf = (id: number) => db().selectFrom('outbox').selectAll().where('message_id', '=', id).executeTakeFirst();
    const messageOf = (id: number) => db().selectFrom('message').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
    const audits = async (id: number, action: string) => (await db().selectFrom('audit_event').select('action').where('subject_type', '=', 'message').where('subject_id', '=', String(id)).where('action', '=', action).execute()).length;
    const notices = async (c: Client, kind: string) => (await c.get('/api/notifications')).json.items.filter((n: any) => n.kind === kind);

    it('withdraws a queued public reply: never sent, the reason shown, audited, its author told; once', async () => {
      const p = await post();
      const r = await reply(ana, p.conv, 'Sorry to hear that! Your parcel leaves today.');
      expect(r.status).toBe('queued');
      const before = (await notices(ana, 'reply.withdrawn')).length;

      const d = await deleted(p.networkId);
      expect(d.redacted).toEqual([p.id]);
      expect(await outboxOf(r.id)).toMatchObject({ status: 'withdrawn', last_error: 'the post was deleted before the reply was sent' });
      expect(d.withdrawnReplies).toEqual([r.id]);
      // the agent (not an admin) reads the reason as stored
      const detail = (await ana.get(`/api/conversations/${p.conv}`)).json;
      expect(detail.messages.find((m: any) => m.id === r.id)).toMatchObject({ status: 'withdrawn', error: REASON });
      expect(await audits(r.id, 'reply.withdrawn')).toBe(1);
      const told = await notices(ana, 'reply.withdrawn');
      expect(told).toHaveLength(before + 1);
      expect(told[0]).toMatchObject({ conversationId: p.conv, title: expect.stringMatching(/not sent: the post it answers was deleted/) });

      // the worker has nothing to send
      expect(await desk.parley.services.outbox.runOnce()).toBe(0);
      expect((await messageOf(r.id)).status).toBe('withdrawn');

      // the network's notice again: nothing more
      expect((await deleted(p.networkId)).withdrawnReplies).toEqual([]);
      expect(await audits(r.id, 'reply.withdrawn')).toBe(1);
      expect(await notices(ana, 'reply.withdrawn')).toHaveLength(before + 1);
    });

    it('withdraws a reply waiting for sign-off: approving it is refused with the reason', async () => {
      const p = await post();
      const r = await reply(ben, p.conv, 'Sorry about that! A refund is on its way.');
      expect(r.status).toBe('pending_approval');
      expect((await cleo.get('/api/approvals')).json.items.map((x: any) => x.id)).toContain(r.id);

      const d = await deleted(p.networkId);
      expect((await cleo.get('/api/approvals')).json.items.map((x: any) => x.id)).not.toContain(r.id);
      expect(d.withdrawnReplies).toEqual([r.id]);
      const late = await cleo.post(`/api/approvals/${r.id}`, { decision: 'approve' });
      expect(late.status).toBe(409);
      expect(late.json.code).toBe('reply.post_deleted');
      expect(late.json.detail).toMatch(/post was deleted/);
      expect(await outboxOf(r.id)).toBeUndefined();
      expect(await messageOf(r.id)).toMatchObject({ status: 'withdrawn', error: REASON });
      expect(await audits(r.id, 'reply.withdrawn')).toBe(1);
      expect((await notices(ben, 'reply.withdrawn')).some((n: any) => n.conversationId === p.conv && /sign-off was withdrawn/.test(n.title))).toBe(true);
    });

    it('refuses to approve a waiting reply whose post was deleted (one that escaped the withdrawal)', async () => {
      const p = await post();
      const r = await reply(ben, p.conv, 'Sorry about that! We are on it.');
      // the post redacted by a path that withdraws nothing (as before this change)
      await db().updateTable('message').set({ redacted_at: Date.now(), redacted_reason: 'deleted_by_author', text: '' }).where('id', '=', p.id).execute();
      const late = await cleo.post(`/api/approvals/${r.id}`, { decision: 'approve' });
      expect(late.status).toBe(409);
      expect(late.json.code).toBe('reply.post_deleted');
      expect(await outboxOf(r.id)).toBeUndefined();
      expect((await messageOf(r.id)).status).toBe('pending_approval');
    });

    it('leaves a reply a worker is sending, or whose last attempt timed out, to the worker', async () => {
      const p = await post();
      const sending = await reply(ana, p.conv, 'Sorry! Checking with the courier now.');
      const timedOut = await reply(ana, p.conv, 'Sorry! One more thing about your parcel.');
      // a worker's claim (src/outbox/outbox.ts `claim`), and an attempt that timed out (it may have gone out)
      await db().updateTable('outbox').set({ status: 'sending', locked_by: 'outbox-other', locked_until: Date.now() + 120_000, attempts: 1 }).where('message_id', '=', sending.id).execute();
      await db().updateTable('message').set({ status: 'sending' }).where('id', '=', sending.id).execute();
      await db().updateTable('outbox').set({ last_error_code: 'TIMEOUT', last_error: 'no answer', attempts: 1 }).where('message_id', '=', timedOut.id).execute();

      expect((await deleted(p.networkId)).withdrawnReplies).toEqual([]);
      expect(await outboxOf(sending.id)).toMatchObject({ status: 'sending', locked_by: 'outbox-other' });
      expect((await messageOf(sending.id)).status).toBe('sending');
      expect((await outboxOf(timedOut.id))!.status).toBe('queued');
      expect((await messageOf(timedOut.id)).status).toBe('queued');
      expect(await audits(sending.id, 'reply.withdrawn')).toBe(0);
    });

    it('the worker withdraws, and does not send, a reply left to it whose post was deleted (a timed-out attempt, a claim that came back)', async () => {
      const p = await post();
      const timedOut = await reply(ana, p.conv, 'Sorry! Your parcel is on its way.');
      const claimed = await reply(ana, p.conv, 'Sorry! We have rebooked the courier.');
      await db().updateTable('outbox').set({ last_error_code: 'TIMEOUT', last_error: 'no answer', attempts: 1 }).where('message_id', '=', timedOut.id).execute();
      await db().updateTable('outbox').set({ status: 'sending', locked_by: 'outbox-other', locked_until: Date.now() + 120_000, attempts: 1 }).where('message_id', '=', claimed.id).execute();
      await db().updateTable('message').set({ status: 'sending' }).where('id', '=', claimed.id).execute();
      expect((await deleted(p.networkId)).withdrawnReplies).toEqual([]);
      // the other worker's attempt failed for a while (rate limited): the row is due again
      await db().updateTable('outbox').set({ status: 'queued', locked_by: null, locked_until: null, last_error_code: 'RATE_LIMITED', last_error: 'slow down', next_attempt_at: 0 }).where('message_id', '=', claimed.id).execute();
      await db().updateTable('message').set({ status: 'queued' }).where('id', '=', claimed.id).execute();
      await db().updateTable('outbox').set({ next_attempt_at: 0 }).where('message_id', '=', timedOut.id).execute();
      const toldHere = async () => (await notices(ana, 'reply.withdrawn')).filter((n: any) => n.conversationId === p.conv).length;
      expect(await toldHere()).toBe(0);

      await desk.parley.services.outbox.runOnce(100);
      for (const r of [timedOut, claimed]) {
        expect(await outboxOf(r.id)).toMatchObject({ status: 'withdrawn', last_error: 'the post was deleted before the reply was sent' });
        expect(await messageOf(r.id)).toMatchObject({ status: 'withdrawn', error: REASON, network_message_id: null });
        expect(await audits(r.id, 'reply.withdrawn')).toBe(1);
      }
      expect(await toldHere()).toBe(2);
      // nothing told twice
      await desk.parley.services.outbox.runOnce(100);
      expect(await toldHere()).toBe(2);
    });

    it('does not touch a private reply to the person', async () => {
      const p = await post();
      const pub = await reply(ana, p.conv, 'Sorry to hear that! Sending you a DM.');
      const dm = await reply(ana, p.conv, 'Hi! Could you send me your order number?', 'private');
      expect(dm.status).toBe('queued');
      expect((await deleted(p.networkId)).withdrawnReplies).toEqual([pub.id]);
      expect((await messageOf(dm.id)).status).toBe('queued');
      expect((await outboxOf(dm.id))!.status).toBe('queued');
    });

    it('refuses a public reply to a post already deleted when it is written: nothing queued', async () => {
      const p = await post();
      await deleted(p.networkId);
      const count = async () => Number((await db().selectFrom('message').select((eb) => eb.fn.countAll().as('n')).where('conversation_id', '=', p.conv).where('direction', '=', 'outbound').executeTakeFirstOrThrow()).n);
      const n0 = await count();
      for (const body of [{ text: 'Sorry to hear that!', visibility: 'public' }, { text: 'Sorry to hear that, again!', visibility: 'public', replyToMessageId: p.id }]) {
        const r = await ana.post(`/api/conversations/${p.conv}/replies`, body);
        expect(r.status, JSON.stringify(r.json)).toBe(409);
        expect(r.json.code).toBe('reply.post_deleted');
        expect(r.json.detail).toMatch(/deleted by its author/);
      }
      // also when it would wait for sign-off
      const b = await ben.post(`/api/conversations/${p.conv}/replies`, { text: 'Sorry to hear that!', visibility: 'public' });
      expect(b.status).toBe(409);
      expect(await count()).toBe(n0);
      // a private message to the person is still possible
      expect((await reply(ana, p.conv, 'Hi! Could you DM us your order number?', 'private')).status).toBe('queued');
    });

    if (dialect === 'postgres') {
      it('a reply written or approved while the deletion runs is never sent: withdrawn with the rest, or by the worker', async () => {
        const p = await post();
        const waiting = await reply(ben, p.conv, 'Sorry about that! A refund is on its way.');
        const store = desk.db.store;
        const lockWaiters = async () => Number((await sql<{ n: string }>`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`.execute(db())).rows[0]!.n);
        // the deletion's steps, its transaction open while a reply is written and the waiting one approved
        const held = await db().transaction().execute(async (trx) => {
          const now = Date.now();
          await redactMessages(trx, store, { brandId: desk.brandId, messageIds: [p.id], reason: 'deleted_by_author', actor: 'system:test', now });
          const requests = { written: ana.post(`/api/conversations/${p.conv}/replies`, { text: 'Sorry to hear that! Looking into it.', visibility: 'public' }), approved: cleo.post(`/api/approvals/${waiting.id}`, { decision: 'approve' }) };
          // they read the post as it was, then wait for the conversation the deletion updated
          for (let i = 0; i < 200 && (await lockWaiters()) < 1; i++) await new Promise((r) => setTimeout(r, 25));
          await new Promise((r) => setTimeout(r, 200));
          await withdrawRepliesToDeleted(trx, store, { brandId: desk.brandId, messageIds: [p.id], actor: 'system:test', now });
          return requests;
        });
        const written = await held.written;
        const approved = await held.approved;
        // refused, or let through on the post as it was before the deletion committed
        expect([202, 409], JSON.stringify(written.json)).toContain(written.status);
        expect([200, 409], JSON.stringify(approved.json)).toContain(approved.status);
        // what got through is the worker's to withdraw: none is sent
        await desk.parley.services.outbox.runOnce(100);
        expect(await db().selectFrom('message').select('id').where('conversation_id', '=', p.conv).where('status', 'in', ['queued', 'sending', 'sent', 'pending_approval']).execute()).toEqual([]);
        expect((await messageOf(waiting.id)).status).toBe('withdrawn');
        if (written.status === 202) expect((await messageOf(written.json.message.id)).status).toBe('withdrawn');
      });

      it('many replies written at once to the same post, while the outbox sends, all go out (no deadlock)', async () => {
        const p = await post();
        const outbox = desk.parley.services.outbox;
        const sending = (async () => {
          for (let i = 0; i < 20; i++) await outbox.runOnce(100);
        })();
        const rs = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? ana : cleo).post(`/api/conversations/${p.conv}/replies`, { text: `Reply ${i}: it is on its way.`, visibility: 'public' })));
        await sending;
        expect(rs.map((r) => r.status)).toEqual(Array(8).fill(202));
      });
    }
  });
}
