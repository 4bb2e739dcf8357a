/**
 * A subject access export cut short by the database (src/commands/export.ts) must not look
 * complete: the HTTP response is aborted after its 200 and first bytes (the client sees an error,
 * never a truncated document as if whole), and the audit says the export failed, not that it was
 * made. The database really fails mid-export: a table the later lists read is renamed away while
 * the document is being produced. SQLite and PostgreSQL.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportContact } from '../src/commands/export.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`an interrupted contact export [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let contactId: number;

    beforeAll(async () => {
      desk = await startDesk(dialect);
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const author = { networkUserId: 'sam-1', handle: 'sam', displayName: 'Sam', followers: 1 };
      for (let i = 0; i < 3; i++) {
        const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ author, text: `@AcmeCare parcel ${i} is lost` })] });
        expect(r.json.outcomes[0].status).toBe('stored');
      }
      const db = desk.db.store.db;
      const i = await db.selectFrom('contact_identity').select('contact_id').where('network_user_id', '=', 'sam-1').executeTakeFirstOrThrow();
      contactId = Number(i.contact_id);
    });
    afterAll(async () => {
      await desk?.stop();
    });

    /** Runs `fn` while the `note` table (read after the messages) is gone. */
    const withoutNotes = async <T>(fn: () => Promise<T>): Promise<T> => {
      const db = desk.db.store.db;
      await sql`ALTER TABLE note RENAME TO note_gone`.execute(db);
      try {
        return await fn();
      } finally {
        await sql`ALTER TABLE note_gone RENAME TO note`.execute(db);
      }
    };
    const exportAudits = async () => (await desk.db.store.db.selectFrom('audit_event').select(['action', 'actor', 'data']).where('subject_type', '=', 'contact').where('subject_id', '=', String(contactId)).orderBy('id').execute())
      .map((a) => ({ action: a.action, actor: a.actor, data: JSON.parse(a.data) }));

    it('aborts the HTTP response after its first bytes, and audits the export as failed', async () => {
      const before = (await exportAudits()).length;
      const { status, received, error } = await withoutNotes(async () => {
        const res = await fetch(`${desk.url}/api/contacts/${contactId}/export`, { headers: { cookie: admin.cookie } });
        let received = '';
        let error: unknown = null;
        try {
          const reader = res.body!.getReader();
          const dec = new TextDecoder();
          for (;;) {
            const { done, value } = await reader.read();
            if (done) break;
            received += dec.decode(value, { stream: true });
          }
        } catch (err) {
          error = err;
        }
        return { status: res.status, received, error };
      });
      // streaming had started: the status and the first lists were sent
      expect(status).toBe(200);
      expect(received).toContain('"messagesWritten":[');
      expect(received).toContain('parcel 2 is lost');
      // and the client is told it did not get the whole document
      expect(error, `the response ended as if complete: ${received.slice(-80)}`).toBeInstanceOf(Error);
      expect(() => JSON.parse(received)).toThrow();
      const audits = (await exportAudits()).slice(before);
      expect(audits.map((a) => [a.action, a.actor])).toEqual([['contact.export_started', `user:${desk.users.admin}`], ['contact.export_failed', `user:${desk.users.admin}`]]);
      expect(audits[1]!.data.error).toMatch(/note/);

      // with the table back, the same export completes, and is audited as made
      const ok = await fetch(`${desk.url}/api/contacts/${contactId}/export`, { headers: { cookie: admin.cookie } });
      expect(ok.status).toBe(200);
      expect(JSON.parse(await ok.text()).messagesWritten).toHaveLength(3);
      expect((await exportAudits()).slice(before + 2).map((a) => a.action)).toEqual(['contact.export_started', 'contact.exported']);
    });

    it('the command itself throws after its first page when the database fails', async () => {
      const actor = { brandId: desk.brandId, userId: desk.users.admin, role: 'admin' as const, name: `user:${desk.users.admin}` };
      const before = (await exportAudits()).length;
      const doc = await exportContact(desk.db.store, actor, contactId, Date.now(), 1);
      let text = '';
      const it = doc.chunks[Symbol.asyncIterator]();
      // the head and the first message, then the database loses a table the rest reads
      while (!text.includes('"messagesWritten":[')) text += (await it.next()).value;
      text += (await it.next()).value;
      expect(text).toContain('parcel 0 is lost');
      const err = await withoutNotes(async () => {
        try {
          for (let r = await it.next(); !r.done; r = await it.next()) text += r.value;
          return null;
        } catch (e) {
          return e as Error;
        }
      });
      expect(err?.message).toMatch(/note/);
      expect((await exportAudits()).slice(before).map((a) => a.action)).toEqual(['contact.export_started', 'contact.export_failed']);
    });
  });
}
