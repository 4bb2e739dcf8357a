/**
 * The API shows a post the network keeps but hides (`networkHidden: { since, reason } | null` on
 * each message, src/server/presenters.ts), as the deletion check records it
 * (src/pipeline/deletions.ts `applyNetworkVisibility`): hidden with its reason, replaced by a new
 * reason, cleared when shown again, audited once per change; documented in the OpenAPI schema.
 * A real desk on SQLite and PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { applyNetworkVisibility } from '../src/pipeline/deletions.js';
import { systemClock } from '../src/lib/clock.js';
import { DIALECTS } from './db.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

for (const dialect of DIALECTS) {
  describe(`network-hidden posts in the API [${dialect}]`, () => {
    let desk: TestDesk;
    let ana: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect);
      ana = await Client.signIn(desk.url, 'ana@acme.test');
    });
    afterAll(async () => desk?.stop());

    it('presents networkHidden with its reason and since, replaces and clears it, audits each change once, and documents it', async () => {
      const admin = await Client.signIn(desk.url, 'admin@acme.test');
      const m = mention({ text: '@AcmeCare where is my refund?' });
      const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [m] })).json.outcomes[0];
      const deps = { store: desk.db.store, bus: desk.parley.services.bus, clock: systemClock };
      const batch = { brandId: desk.brandId, network: 'x', actor: 'system:sync:x' };
      const shownMessage = async () => {
        const r = await ana.get(`/api/conversations/${o.conversationId}`);
        expect(r.status).toBe(200);
        return (r.json.messages as any[]).find((x) => x.networkMessageId === m.networkMessageId);
      };
      expect((await shownMessage()).networkHidden).toBeNull();

      const before = Date.now();
      expect((await applyNetworkVisibility(deps, { ...batch, hidden: new Map([[m.networkMessageId!, 'author_suspended']]), shown: [] })).hidden).toHaveLength(1);
      const hidden = (await shownMessage()).networkHidden;
      expect(hidden).toEqual({ since: expect.any(String), reason: 'author_suspended' });
      expect(Date.parse(hidden.since)).toBeGreaterThanOrEqual(before - 1000);
      // the text is kept: hidden is not deleted
      expect((await shownMessage()).text).toBe('@AcmeCare where is my refund?');
      // the same state again changes nothing
      expect((await applyNetworkVisibility(deps, { ...batch, hidden: new Map([[m.networkMessageId!, 'author_suspended']]), shown: [] })).hidden).toEqual([]);
      expect((await shownMessage()).networkHidden).toEqual(hidden);
      // a new reason replaces it
      await applyNetworkVisibility(deps, { ...batch, hidden: new Map([[m.networkMessageId!, 'server_defederated']]), shown: [] });
      expect((await shownMessage()).networkHidden).toMatchObject({ reason: 'server_defederated' });
      // shown again: cleared; shown once more: nothing to do
      expect((await applyNetworkVisibility(deps, { ...batch, hidden: new Map(), shown: [m.networkMessageId!] })).shown).toHaveLength(1);
      expect((await applyNetworkVisibility(deps, { ...batch, hidden: new Map(), shown: [m.networkMessageId!] })).shown).toEqual([]);
      expect((await shownMessage()).networkHidden).toBeNull();

      const audit = (await admin.get(`/api/audit?conversationId=${o.conversationId}&limit=200`)).json.items as any[];
      const changes = audit.filter((e) => e.action.startsWith('message.network_')).map((e) => [e.action, e.data]).reverse();
      expect(changes).toEqual([
        ['message.network_hidden', { reason: 'author_suspended' }],
        ['message.network_hidden', { reason: 'server_defederated', was: 'author_suspended' }],
        ['message.network_shown', { was: 'server_defederated' }],
      ]);

      const doc = JSON.stringify(await (await fetch(`${desk.url}/api/openapi.json`)).json());
      expect(doc).toContain('"networkHidden"');
      expect(doc).toContain('author_suspended | server_defederated');
    });
  });
}
