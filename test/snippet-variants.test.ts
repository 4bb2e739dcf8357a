/**
 * Saved replies worded per network and per language, through the real HTTP API on SQLite and
 * PostgreSQL: the render picks the variant that fits the conversation (exact network and
 * language, then language, then network, then the default) and says which, the agent can switch;
 * saving warns when a variant is longer than its network allows (as the network counts) or uses a
 * variable Parley never fills, refuses bad keys, and is audited; the migration makes every
 * existing snippet's text its default variant.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { up } from '../src/store/migrations/20261207T1740_snippet_variants.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`snippet variants [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    /** A conversation on the desk's X account, in `language` (null: unknown). */
    const conversation = async (language: string | null) => {
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ author: { networkUserId: `u${Math.random()}`, handle: `h${Date.now()}`, displayName: 'Marta López', followers: 3 } })] });
      const id = r.json.outcomes[0].conversationId as number;
      await desk.db.store.db.updateTable('conversation').set({ language }).where('id', '=', id).execute();
      return id;
    };

    const VARIANTS = [
      { network: 'x', language: 'es', body: 'Hola {{customer.name}}, lo revisamos por DM.' },
      { network: 'any', language: 'es-ES', body: 'Hola {{customer.name}}, gracias por escribirnos. Lo revisamos y te contamos.' },
      { network: 'x', language: 'any', body: 'Hi {{customer.name}}, checking now — DM us?' },
      { network: 'email', language: 'en', body: 'Dear {{customer.name}},\n\nThank you for your message...' },
    ];

    it('renders the variant that fits the conversation, says which, and lets the agent switch', async () => {
      const saved = await admin.post('/api/snippets', { shortcut: 'check', title: 'We are checking', body: 'Hi {{customer.name}}, thanks for reaching out. We are looking into it.', variants: VARIANTS });
      expect(saved.status).toBe(201);
      expect(saved.json.warnings).toEqual([]);
      const sid = saved.json.id as number;

      const list = (await ana.get('/api/snippets')).json.items.find((s: { id: number }) => s.id === sid);
      // the default first; es-ES kept as its primary subtag
      expect(list.variants.map((v: { network: string; language: string }) => `${v.network}/${v.language}`)).toEqual(['any/any', 'x/es', 'any/es', 'x/any', 'email/en']);
      const idOf = (key: string) => list.variants.find((v: { network: string; language: string }) => `${v.network}/${v.language}` === key).id as number;

      const es = await conversation('es');
      const r = await ana.post(`/api/snippets/${sid}/render`, { conversationId: es });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ ok: true, text: 'Hola Marta, lo revisamos por DM.', variant: { id: idOf('x/es'), network: 'x', language: 'es', match: 'exact' } });
      expect(r.json.variants).toHaveLength(5);

      // an X conversation in German: the X wording; one in an unknown language: the same
      expect((await ana.post(`/api/snippets/${sid}/render`, { conversationId: await conversation('de') })).json).toMatchObject({ text: 'Hi Marta, checking now — DM us?', variant: { match: 'network' } });
      expect((await ana.post(`/api/snippets/${sid}/render`, { conversationId: await conversation(null) })).json.variant).toMatchObject({ network: 'x', language: 'any', match: 'network' });

      // the agent switches to the e-mail wording: used, and the best one still named
      const sw = await ana.post(`/api/snippets/${sid}/render`, { conversationId: es, variantId: idOf('email/en') });
      expect(sw.json).toMatchObject({ ok: true, variant: { id: idOf('email/en'), match: 'chosen' }, best: { id: idOf('x/es'), match: 'exact' } });
      expect(sw.json.text).toContain('Dear Marta,');

      // another snippet's variant is not this one's
      const other = (await admin.post('/api/snippets', { shortcut: 'other', title: 'Other', body: 'Other', variants: [{ network: 'x', language: 'es', body: 'Otro' }] })).json.id as number;
      const foreign = (await ana.get('/api/snippets')).json.items.find((s: { id: number }) => s.id === other).variants[1].id as number;
      const bad = await ana.post(`/api/snippets/${sid}/render`, { conversationId: es, variantId: foreign });
      expect(bad.status).toBe(404);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      expect(bad.json.code).toBe('not_found');
    });

    it('falls back to the language on another network, then to the default', async () => {
      const sid = (await admin.post('/api/snippets', { shortcut: 'lang', title: 'Lang', body: 'Default text', variants: [{ network: 'any', language: 'es', body: 'Texto en español' }, { network: 'facebook', language: 'any', body: 'Facebook text' }] })).json.id as number;
      expect((await ana.post(`/api/snippets/${sid}/render`, { conversationId: await conversation('es-MX') })).json).toMatchObject({ text: 'Texto en español', variant: { match: 'language' } });
      expect((await ana.post(`/api/snippets/${sid}/render`, { conversationId: await conversation('fr') })).json).toMatchObject({ text: 'Default text', variant: { network: 'any', language: 'any', match: 'default' } });
    });

    it('warns about a variant longer than its network allows and about unknown variables, and refuses bad keys', async () => {
      // 150 CJK characters weigh 300 on X (twitter-text), though only 150 code points
      const long = '漢'.repeat(150);
      const r = await admin.post('/api/snippets', { shortcut: 'long', title: 'Long', body: long, variants: [{ network: 'x', language: 'ja', body: long }, { network: 'facebook', language: 'ja', body: long }, { network: 'any', language: 'en', body: 'Order {{order.number}}' }] });
      expect(r.status).toBe(201);
      expect(r.json.warnings).toEqual([
        expect.objectContaining({ network: 'x', language: 'ja', code: 'snippet.too_long', length: 300, limit: 280, use: 'public' }),
        expect.objectContaining({ network: 'any', language: 'en', code: 'snippet.unknown_variable', variable: 'order.number' }),
      ]);
      // a saved reply is used in private messages too: 2,001 characters fit a Facebook comment, not a Messenger message
      const dm = await admin.post('/api/snippets', { shortcut: 'long-dm', title: 'Long DM', body: 'Hi', variants: [{ network: 'facebook', language: 'any', body: 'a'.repeat(2001) }] });
      expect(dm.status).toBe(201);
      expect(dm.json.warnings).toEqual([expect.objectContaining({ network: 'facebook', language: 'any', code: 'snippet.too_long', length: 2001, limit: 2000, use: 'private', message: expect.stringContaining('too long for a private message (DM) there') })]);
      expect((await admin.get('/api/snippets')).json.items.find((s: { id: number }) => s.id === dm.json.id).variants[1].issues).toMatchObject([{ code: 'snippet.too_long', use: 'private', limit: 2000 }]);
      const listed = (await admin.get('/api/snippets')).json.items.find((s: { id: number }) => s.id === r.json.id);
      expect(listed.variants.find((v: { network: string }) => v.network === 'x').issues).toMatchObject([{ code: 'snippet.too_long' }]);

      const before = (await admin.get('/api/snippets')).json.items.length;
      for (const [variants, code] of [
        [[{ network: 'twitter', language: 'en', body: 'x' }], 'snippet.invalid_variant'],
        [[{ network: 'x', language: 'english', body: 'x' }], 'snippet.invalid_variant'],
        [[{ network: 'any', language: 'any', body: 'x' }], 'snippet.invalid_variant'],
        [[{ network: 'x', language: 'es', body: 'a' }, { network: 'X', language: 'es-AR', body: 'b' }], 'snippet.duplicate_variant'],
        [[{ network: 'x', language: 'es', body: 'Hola {{ no es }}' }], 'snippet.syntax'],
      ] as const) {
        const bad = await admin.post('/api/snippets', { shortcut: 'bad', title: 'Bad', body: 'Fine', variants });
        expect(bad.status, JSON.stringify(variants)).toBe(400);
        expect(bad.json.code).toBe(code);
      }
      // nothing saved by the refused requests
      expect((await admin.get('/api/snippets')).json.items.length).toBe(before);
      // agents read, never write
      expect((await ana.post('/api/snippets', { shortcut: 'mine', title: 'Mine', body: 'Mine' })).status).toBe(403);
    });

    it('audits edits: variants added, changed and removed; a save without variants keeps them', async () => {
      const first = await admin.post('/api/snippets', { shortcut: 'audited', title: 'Audited', body: 'One', variants: [{ network: 'x', language: 'es', body: 'Uno' }, { network: 'email', language: 'any', body: 'One, at length' }] });
      const sid = first.json.id as number;
      await admin.post('/api/snippets', { shortcut: 'audited', title: 'Audited', body: 'One', variants: [{ network: 'x', language: 'es', body: 'Uno!' }, { network: 'bluesky', language: 'any', body: 'One on Bluesky' }] });
      // no variants given: the old clients' save changes the default only
      await admin.post('/api/snippets', { shortcut: 'audited', title: 'Audited again', body: 'One again' });
      // saving the same again is no edit
      await admin.post('/api/snippets', { shortcut: 'audited', title: 'Audited again', body: 'One again' });
      const events = await desk.db.store.db.selectFrom('audit_event').select(['action', 'actor_user_id', 'data']).where('subject_type', '=', 'snippet').where('subject_id', '=', String(sid)).orderBy('id').execute();
      expect(events.map((e) => [e.action, JSON.parse(e.data)])).toEqual([
        ['snippet.created', { shortcut: 'audited', added: ['any/any', 'x/es', 'email/any'], changed: [], removed: [] }],
        ['snippet.updated', { shortcut: 'audited', added: ['bluesky/any'], changed: ['x/es'], removed: ['email/any'] }],
        ['snippet.updated', { shortcut: 'audited', title: { from: 'Audited', to: 'Audited again' }, added: [], changed: ['any/any'], removed: [] }],
      ]);
      expect(events.every((e) => Number(e.actor_user_id) === desk.users.admin)).toBe(true);
      const listed = (await admin.get('/api/snippets')).json.items.find((s: { id: number }) => s.id === sid);
      expect(listed.body).toBe('One again');
      expect(listed.variants.map((v: { network: string; language: string; body: string }) => [`${v.network}/${v.language}`, v.body])).toEqual([['any/any', 'One again'], ['x/es', 'Uno!'], ['bluesky/any', 'One on Bluesky']]);
    });

    it('the migration makes every existing snippet its default variant', async () => {
      const db = desk.db.store.db;
      // the state before the migration: no variants table, snippets with their one text
      await db.schema.dropTable('snippet_variant').execute();
      await db.deleteFrom('snippet').execute();
      await db.insertInto('snippet').values([
        { brand_id: desk.brandId, shortcut: 'old-a', title: 'Old A', body: 'Hello {{customer.name | there}}', created_at: 1000 },
        { brand_id: desk.brandId, shortcut: 'old-b', title: 'Old B', body: 'Bye', created_at: 2000 },
      ]).execute();
      await up(db, { dialect, id: dialect === 'sqlite' ? ['integer', (c) => c.primaryKey()] : ['bigint', (c) => c.primaryKey().generatedByDefaultAsIdentity()] });
      const items = (await ana.get('/api/snippets')).json.items;
      expect(items.map((s: { shortcut: string; variants: { network: string; language: string; body: string }[] }) => [s.shortcut, s.variants.map((v) => [v.network, v.language, v.body])])).toEqual([
        ['old-a', [['any', 'any', 'Hello {{customer.name | there}}']]],
        ['old-b', [['any', 'any', 'Bye']]],
      ]);
      // and they render as before, and take variants afterwards
      expect((await ana.post(`/api/snippets/${items[0].id}/render`, { conversationId: await conversation('es') })).json).toMatchObject({ ok: true, text: 'Hello Marta', variant: { match: 'default' } });
      const r = await admin.post('/api/snippets', { shortcut: 'old-b', title: 'Old B', body: 'Bye', variants: [{ network: 'x', language: 'es', body: 'Adiós' }] });
      expect(r.status).toBe(201);
      expect(Number((await sql<{ n: number }>`SELECT COUNT(*) AS n FROM snippet_variant WHERE snippet_id = ${items[1].id}`.execute(db)).rows[0]!.n)).toBe(2);
    });
  });
}
