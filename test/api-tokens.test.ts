/**
 * API tokens, on SQLite and PostgreSQL: admins list the brand's tokens (never the secret) and
 * revoke one, which stops it at once; a token may expire; changing your password revokes the
 * tokens made as you (one made with a stolen session does not outlive the new password);
 * everything is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, PASSWORD, startDesk, type TestDesk } from './helpers/parley.js';

const DAY = 86_400_000;

for (const dialect of DIALECTS) {
  describe(`API tokens [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    beforeAll(async () => {
      clock = new ManualClock(Date.UTC(2026, 11, 1, 10));
      desk = await startDesk(dialect, { clock, workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    const asToken = (token: string, path = '/api/me') => fetch(`${desk.url}${path}`, { headers: { authorization: `Bearer ${token}` } });

    it('lists the brand\'s tokens without their secret, and revokes one at once', async () => {
      const made = await admin.post('/api/tokens', { name: 'zapier' });
      expect(made.status).toBe(201);
      expect(made.json).toMatchObject({ id: expect.any(Number), name: 'zapier', expiresAt: null });
      const token = made.json.token as string;
      expect((await asToken(token)).status).toBe(200);
      const list = await admin.get('/api/tokens');
      expect(list.status).toBe(200);
      const item = list.json.items.find((t: any) => t.id === made.json.id);
      expect(item).toMatchObject({ name: 'zapier', prefix: token.slice(0, 8), userName: 'Ada Admin', revokedAt: null, lastUsedAt: expect.any(String) });
      expect(JSON.stringify(list.json)).not.toContain(token);

      const revoked = await admin.req('DELETE', `/api/tokens/${made.json.id}`);
      expect(revoked.status).toBe(200);
      expect(revoked.json.item.revokedAt).toBe(new Date(clock.now()).toISOString());
      expect((await asToken(token)).status).toBe(401);
      // again: nothing changes, one audit entry
      expect((await admin.req('DELETE', `/api/tokens/${made.json.id}`)).status).toBe(200);
      const audits = await desk.db.store.db.selectFrom('audit_event').select('action').where('subject_type', '=', 'api_token').where('subject_id', '=', String(made.json.id)).execute();
      expect(audits.map((a) => a.action).sort()).toEqual(['token.created', 'token.revoked']);
      expect((await admin.req('DELETE', '/api/tokens/999999')).status).toBe(404);
    });

    it('lets only admins see or revoke tokens', async () => {
      const made = await admin.post('/api/tokens', { name: 'ci' });
      const ana = await Client.signIn(desk.url, 'ana@acme.test');
      expect((await ana.get('/api/tokens')).status).toBe(403);
      expect((await ana.req('DELETE', `/api/tokens/${made.json.id}`)).status).toBe(403);
      expect((await asToken(made.json.token)).status).toBe(200);
    });

    it('stops a token at its expiry', async () => {
      const made = await admin.post('/api/tokens', { name: 'week', expiresInDays: 7 });
      expect(made.json.expiresAt).toBe(new Date(clock.now() + 7 * DAY).toISOString());
      expect((await asToken(made.json.token)).status).toBe(200);
      clock.advance(7 * DAY);
      const res = await asToken(made.json.token);
      expect(res.status).toBe(401);
      expect(((await res.json()) as { code: string }).code).toBe('auth.token_expired');
      expect((await admin.post('/api/tokens', { name: 'bad', expiresInDays: 0 })).status).toBe(400);
    });

    it('revokes the tokens made as you when you change your password, not those of others', async () => {
      const mine = (await admin.post('/api/tokens', { name: 'made with a stolen session' })).json.token as string;
      // another admin's token
      await admin.post('/api/users', { email: 'dee@acme.test', name: 'Dee Admin', role: 'admin', password: PASSWORD });
      const dee = await Client.signIn(desk.url, 'dee@acme.test');
      const theirs = (await dee.post('/api/tokens', { name: 'dee' })).json.token as string;
      const changed = await admin.post('/api/me/password', { currentPassword: PASSWORD, newPassword: 'a new long password' });
      expect(changed.status).toBe(204);
      expect((await asToken(mine)).status).toBe(401);
      expect((await asToken(theirs)).status).toBe(200);
      expect((await admin.get('/api/me')).status).toBe(200); // this session stays
      const e = await desk.db.store.db.selectFrom('audit_event').select('data').where('action', '=', 'user.password_changed').orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(JSON.parse(e.data!).tokensRevoked).toBeGreaterThanOrEqual(1);
    });
  });
}
