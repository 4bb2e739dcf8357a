/**
 * Settings the admin pages write, through the HTTP API on SQLite and PostgreSQL:
 *  - a name or address a unique index guards (a team's name, a person's email, a
 *    connected account) taken already is a 409 with a clear message, never a 500 —
 *    also when two requests race past the check before the insert;
 *  - team and people's names are trimmed and a blank one is refused; so are channel
 *    accounts' handles (and an X handle must be one X allows); an account has
 *    credentials only when at least one is stored;
 *  - the brand always keeps an active admin: the last one cannot be demoted or
 *    disabled, not even by two admins demoting each other at once;
 *  - answering an expert question returns the request as stored;
 *  - a refused SLA target is explained in the units the settings page uses.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY } from '../src/core/sla.js';
import { createBrand } from '../src/commands/setup.js';
import * as nocase from '../src/store/migrations/20261205T0600_team_name_nocase.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`admin settings [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    let eli: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      eli = await Client.signIn(desk.url, 'eli@acme.test');
    });
    afterAll(async () => desk?.stop());

    const db = () => desk.db.store.db;
    const teamNames = async () => (await admin.get('/api/teams')).json.items.map((t: any) => t.name).sort();

    describe('teams', () => {
      it('refuses a second team of the same name with 409, on create and on rename, and changes nothing', async () => {
        const dup = await admin.post('/api/teams', { name: 'Care' });
        expect(dup.status).toBe(409);
        expect(dup.json).toMatchObject({ code: 'team.exists', detail: 'a team named "Care" already exists' });
        expect((await admin.post('/api/teams', { name: '  Care ' })).status).toBe(409); // trimmed first
        // whatever the case: routing rules, the assign dialog and reports could not tell them apart
        const lower = await admin.post('/api/teams', { name: 'care' });
        expect(lower.status).toBe(409);
        expect(lower.json).toMatchObject({ code: 'team.exists', detail: 'a team named "care" already exists' });

        const billing = await admin.post('/api/teams', { name: 'Billing' });
        expect(billing.status).toBe(201);
        const rename = await admin.req('PATCH', `/api/teams/${billing.json.id}`, { name: 'Care', routingStrategy: 'manual' });
        expect(rename.status).toBe(409);
        expect(rename.json).toMatchObject({ code: 'team.exists', detail: 'a team named "Care" already exists' });
        expect((await admin.req('PATCH', `/api/teams/${billing.json.id}`, { name: 'CARE' })).status).toBe(409);
        const team = (await admin.get('/api/teams')).json.items.find((t: any) => t.id === billing.json.id);
        expect(team).toMatchObject({ name: 'Billing', routingStrategy: 'round_robin' });
        const audits = await db().selectFrom('audit_event').select('action').where('subject_type', '=', 'team').where('subject_id', '=', String(billing.json.id)).execute();
        expect(audits.map((a) => a.action)).toEqual(['team.created']);
        expect(await teamNames()).toEqual(['Billing', 'Care']);
      });

      it('trims team names and refuses a blank one with 400', async () => {
        const blank = await admin.post('/api/teams', { name: '   ' });
        expect(blank.status).toBe(400);
        expect(blank.json.code).toBe('validation');
        expect(blank.json.detail).toMatch(/name/i);
        const created = await admin.post('/api/teams', { name: '  Escalations  ' });
        expect(created.status).toBe(201);
        expect((await admin.req('PATCH', `/api/teams/${created.json.id}`, { name: ' \t ' })).status).toBe(400);
        expect((await admin.req('PATCH', `/api/teams/${created.json.id}`, { name: ' Escalations 2 ' })).status).toBe(200);
        expect(await teamNames()).toEqual(['Billing', 'Care', 'Escalations 2']);
        // a change of case only is the same team renamed, not a second one
        expect((await admin.req('PATCH', `/api/teams/${created.json.id}`, { name: 'ESCALATIONS 2' })).status).toBe(200);
        expect(await teamNames()).toEqual(['Billing', 'Care', 'ESCALATIONS 2']);
      });

      it('sets a team to give work only to agents who speak the customer’s language, keeping its other settings', async () => {
        const t = await admin.post('/api/teams', { name: 'Spanish desk', expertTargetMin: 45, requireLanguageMatch: true });
        expect(t.status).toBe(201);
        const get = async () => (await admin.get('/api/teams')).json.items.find((x: any) => x.id === t.json.id);
        expect(await get()).toMatchObject({ expertTargetMin: 45, requireLanguageMatch: true });
        expect((await admin.req('PATCH', `/api/teams/${t.json.id}`, { requireLanguageMatch: false })).status).toBe(200);
        expect(await get()).toMatchObject({ expertTargetMin: 45, requireLanguageMatch: false });
        expect((await admin.req('PATCH', `/api/teams/${t.json.id}`, { expertTargetMin: null, requireLanguageMatch: true })).status).toBe(200);
        expect(await get()).toMatchObject({ expertTargetMin: null, requireLanguageMatch: true });
        // what routing reads
        const row = await db().selectFrom('team').select('settings').where('id', '=', t.json.id).executeTakeFirstOrThrow();
        expect(JSON.parse(row.settings!)).toEqual({ requireLanguageMatch: true });
        expect((await admin.req('PATCH', `/api/teams/${t.json.id}`, { requireLanguageMatch: 'yes' })).status).toBe(400);
      });

      it('migrates teams whose names differed only in case: the later one renamed with its id, then unique', async () => {
        const other = await createBrand(db(), { slug: `nocase-${dialect}`, name: 'Other' }, Date.now());
        await db().schema.dropIndex('team_brand_name_nocase').execute();
        const ids: number[] = [];
        for (const name of ['Support', 'SUPPORT', 'support', 'Sales']) ids.push((await db().insertInto('team').values({ brand_id: other, name, routing_strategy: 'manual', settings: '{}', created_at: 0 }).returning('id').executeTakeFirstOrThrow()).id);
        await nocase.up(db(), { dialect } as never);
        const names = await db().selectFrom('team').select(['id', 'name']).where('brand_id', '=', other).orderBy('id').execute();
        expect(names.map((t) => t.name)).toEqual(['Support', `SUPPORT (${ids[1]})`, `support (${ids[2]})`, 'Sales']);
        // the other brand's "Care" is untouched, and a case variant is refused by the database itself
        expect(await teamNames()).toContain('Care');
        await expect(db().insertInto('team').values({ brand_id: other, name: 'sales', routing_strategy: 'manual', settings: '{}', created_at: 0 }).execute()).rejects.toThrow(/unique/i);
      });
    });

    describe('people', () => {
      it('answers two requests adding the same email at once with one 201 and one 409', async () => {
        const add = () => admin.post('/api/users', { email: 'dup@acme.test', name: 'Dup Licate', role: 'agent', password: 'long enough password' });
        const statuses = (await Promise.all([add(), add()])).map((r) => r.status).sort();
        expect(statuses).toEqual([201, 409]);
        expect(await db().selectFrom('app_user').select('id').where('email', '=', 'dup@acme.test').execute()).toHaveLength(1);
      });

      it('trims a person\'s name and refuses a blank one with 400', async () => {
        const blank = await admin.post('/api/users', { email: 'blank@acme.test', name: '   ', role: 'agent', password: 'long enough password' });
        expect(blank.status).toBe(400);
        expect(blank.json.detail).toMatch(/name/i);
        const ok = await admin.post('/api/users', { email: 'gus@acme.test', name: ' Gus Agent ', role: 'agent', password: 'long enough password' });
        expect(ok.status).toBe(201);
        expect(ok.json.name).toBe('Gus Agent');
      });
    });

    describe('channel accounts', () => {
      it('answers concurrent connections of the same account with one 201 and 409s', async () => {
        const connect = () => admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeRace', driver: 'demo' });
        const statuses = (await Promise.all([connect(), connect(), connect(), connect()])).map((r) => r.status).sort();
        expect(statuses).toEqual([201, 409, 409, 409]);
      });

      it('trims the handle, refuses a blank one or one the network does not allow with 400, and connects nothing', async () => {
        const count = async () => Number((await db().selectFrom('channel_account').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
        const before = await count();
        for (const [network, handle, message] of [
          ['x', '   ', /handle is needed/],
          ['x', ' @ ', /handle is needed/],
          ['webchat', '\t', /handle is needed/],
          ['x', '<img src=x onerror=alert(1)>', /X handle is 1 to 15 letters, digits or underscores/],
          ['x', 'Acme Care', /X handle/],
          ['webchat', 'Acme\nchat', /control characters/],
        ] as const) {
          const r = await admin.post('/api/channel-accounts', { network, handle, driver: 'demo' });
          expect(r.status, JSON.stringify(handle)).toBe(400);
          expect(r.json.code).toBe('validation');
          expect(r.json.errors).toEqual([{ path: 'body/handle', message: expect.stringMatching(message) }]);
        }
        expect(await count()).toBe(before);
        // the same check when editing
        const edit = await admin.req('PATCH', `/api/channel-accounts/${desk.accountId}`, { handle: 'Acme Care' });
        expect(edit.status).toBe(400);
        expect(edit.json.errors[0]).toMatchObject({ path: 'body/handle' });

        const ok = await admin.post('/api/channel-accounts', { network: 'x', handle: '  @AcmeTrim ', driver: 'demo' });
        expect(ok.status).toBe(201);
        expect(ok.json.handle).toBe('AcmeTrim');
        // other networks keep names with spaces (a web chat, a Facebook page)
        const chat = await admin.post('/api/channel-accounts', { network: 'webchat', handle: ' Acme chat ', externalId: 'acme-trim-chat', settings: { allowedOrigins: [] } });
        expect(chat.status, JSON.stringify(chat.json)).toBe(201);
        expect(chat.json.handle).toBe('Acme chat');
      });

      it('says an account has credentials only when at least one is stored', async () => {
        const none = await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeNoCreds', driver: 'demo' });
        expect(none.status).toBe(201);
        expect(none.json).toMatchObject({ hasCredentials: false, credentialNames: [] });
        const empty = await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeEmptyCreds', driver: 'demo', credentials: {} });
        expect(empty.status).toBe(201);
        expect(empty.json).toMatchObject({ hasCredentials: false, credentialNames: [] });
        expect((await admin.get('/api/channel-accounts')).json.items.find((a: any) => a.id === empty.json.id).hasCredentials).toBe(false);
        const some = await admin.post('/api/channel-accounts', { network: 'x', handle: 'AcmeWithCreds', credentials: { apiKey: 'k' } });
        expect(some.status).toBe(201);
        expect(some.json).toMatchObject({ hasCredentials: true, credentialNames: ['apiKey'] });
      });
    });

    describe('expert requests', () => {
      it('returns the answered request as stored: when, and the note that answers it', async () => {
        const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0];
        const asked = await ana.post(`/api/conversations/${o.conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'Can we waive the FX fee here?' });
        expect(asked.status).toBe(201);
        const ans = await eli.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Yes, under £10.' });
        expect(ans.status).toBe(200);
        expect(ans.json.request.status).toBe('answered');
        expect(ans.json.request.answeredAt).not.toBeNull();
        expect(ans.json.request.answerNoteId).toBe(ans.json.note.id);
        const listed = (await ana.get(`/api/expert-requests?conversation=${o.conversationId}`)).json.items.find((r: any) => r.id === asked.json.id);
        const { conversationSubject: _, ...stored } = listed;
        expect(ans.json.request).toEqual(stored);
      });

      it('answers a question answered twice at once only once', async () => {
        const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention()] })).json.outcomes[0];
        const asked = await ana.post(`/api/conversations/${o.conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'Can we waive the FX fee here?' });
        const [a, b] = await Promise.all([eli.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'Yes.' }), eli.post(`/api/expert-requests/${asked.json.id}/answer`, { text: 'No.' })]);
        expect([a.status, b.status].sort()).toEqual([200, 409]);
        const facts = await db().selectFrom('reporting_fact').select('id').where('kind', '=', 'expert_wait').where('conversation_id', '=', o.conversationId).execute();
        expect(facts).toHaveLength(1);
        const won = a.status === 200 ? a : b;
        const stored = await db().selectFrom('expert_request').select('answer_note_id').where('id', '=', asked.json.id).executeTakeFirstOrThrow();
        expect(stored.answer_note_id).toBe(won.json.note.id);
      });
    });

    describe('SLA settings', () => {
      it('explains a refused target in minutes and a warning share in percent, as the settings page takes them', async () => {
        const r = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, warningRatio: 1.5, targets: [{ metric: 'first_response', targetMs: -5 * 60_000 }, { metric: 'resolution', targetMs: 24 * 3600_000 }] } });
        expect(r.status).toBe(400);
        expect(r.json.code).toBe('settings.invalid');
        expect(r.json.errors).toEqual(['First response target must be a positive duration (got -5 min)', 'The warning share must be more than 0 % and at most 100 % of the target (got 150 %)']);
        expect(r.json.detail).not.toMatch(/targetMs|ms\b/);
        // what is stored stays in milliseconds
        const ok = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'first_response', targetMs: 20 * 60_000 }] } });
        expect(ok.status).toBe(200);
        expect(ok.json.sla.targets).toEqual([{ metric: 'first_response', targetMs: 20 * 60_000 }]);
      });
    });

    // last: it changes who is admin
    describe('the last admin', () => {
      it('never leaves the brand without an active admin', async () => {
        const me = desk.users.admin;
        for (const change of [{ role: 'agent' }, { role: 'approver' }, { disabled: true }, { role: 'expert', disabled: true }]) {
          const r = await admin.req('PATCH', `/api/users/${me}`, change);
          expect(r.status, JSON.stringify(change)).toBe(409);
          expect(r.json.code).toBe('user.last_admin');
          expect(r.json.detail).toMatch(/last active admin/);
        }
        const row = await db().selectFrom('app_user').select(['role', 'disabled_at']).where('id', '=', me).executeTakeFirstOrThrow();
        expect(row).toEqual({ role: 'admin', disabled_at: null });
        // what keeps them an active admin is fine, and so is anything for others
        expect((await admin.req('PATCH', `/api/users/${me}`, { role: 'admin', capacity: 5, disabled: false })).status).toBe(200);
        expect((await admin.req('PATCH', `/api/users/${desk.users.ana}`, { role: 'approver' })).status).toBe(200);
        expect((await admin.req('PATCH', `/api/users/${desk.users.ana}`, { role: 'agent' })).status).toBe(200);

        // a second admin: either may go, but a disabled admin does not count
        const dora = await admin.post('/api/users', { email: 'dora@acme.test', name: 'Dora Admin', role: 'admin', password: 'correct horse battery' });
        expect(dora.status).toBe(201);
        expect((await admin.req('PATCH', `/api/users/${dora.json.id}`, { disabled: true })).status).toBe(200);
        expect((await admin.req('PATCH', `/api/users/${me}`, { role: 'agent' })).status).toBe(409);
        expect((await admin.req('PATCH', `/api/users/${dora.json.id}`, { disabled: false })).status).toBe(200);

        // two admins demoting each other at once: one of them stays admin
        const doraClient = await Client.signIn(desk.url, 'dora@acme.test');
        const race = () => Promise.all([admin.req('PATCH', `/api/users/${dora.json.id}`, { role: 'agent' }), doraClient.req('PATCH', `/api/users/${me}`, { role: 'agent' })]);
        let results: Awaited<ReturnType<typeof race>>;
        if (dialect === 'postgres') {
          // hold both rows until both requests wait inside their change: each has checked (or
          // waits to check) that the other is still admin before either demotion is written
          const holder = new pg.Client({ connectionString: desk.db.databaseUrl });
          await holder.connect();
          try {
            await holder.query('begin');
            await holder.query('select id from app_user where id = any($1) for update', [[me, dora.json.id]]);
            const pending = race();
            const waiting = async () => {
              await holder.query('select pg_stat_clear_snapshot()'); // a transaction sees one snapshot of the activity otherwise
              return Number((await holder.query(`select count(*) as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`)).rows[0].n);
            };
            for (let i = 0; i < 200 && (await waiting()) < 2; i++) await new Promise((r) => setTimeout(r, 25));
            expect(await waiting()).toBe(2);
            await holder.query('commit');
            results = await pending;
          } finally {
            await holder.end();
          }
          expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
        } else {
          results = await race();
          // SQLite runs one change after the other: the second is refused as the last admin's
          // demotion, or as no longer an admin's when it was authenticated after the first
          expect(results.map((r) => r.status).sort()).toSatisfy((st: number[]) => st[0] === 200 && [403, 409].includes(st[1]!));
        }
        const admins = await db().selectFrom('app_user').select('id').where('brand_id', '=', desk.brandId).where('role', '=', 'admin').where('disabled_at', 'is', null).execute();
        expect(admins).toHaveLength(1);
      });
    });
  });
}
