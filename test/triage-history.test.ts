/**
 * Triage learns from the team: explicit corrections and implicit labels
 * (answered, dismissed) are recorded, and `parley train --from-history`
 * retrains a model that then agrees with the team.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { triage } from '../src/core/triage/triage.js';
import { loadModel, loadShippedModel } from '../src/triage/model-io.js';
import { teamModelPath } from '../src/triage/history.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const PROMO = (i: number) => `@AcmeCare exclusive crypto airdrop for loyal customers claim your bonus at moon-gains.example code ${i}`;

describe('learning from the team', () => {
  let desk: TestDesk;
  let admin: Client;
  let ana: Client;
  beforeAll(async () => {
    desk = await startDesk('sqlite');
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    ana = await Client.signIn(desk.url, 'ana@acme.test');
  });
  afterAll(async () => desk?.stop());

  it('records corrections and implicit labels, and retrains a model that agrees with the team', async () => {
    const base = loadShippedModel();
    const probe = { text: PROMO(999), network: 'x' as const, visibility: 'public' as const, kind: 'mention' as const, createdAt: Date.now(), context: { brandHandles: ['AcmeCare'] } };
    const before = triage(probe, Date.now(), base);

    const msgs = Array.from({ length: 12 }, (_, i) => mention({ text: PROMO(i), author: { networkUserId: `promo${i}`, handle: `promo${i}` } }));
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: msgs });
    for (const o of r.json.outcomes) {
      const c = await ana.post(`/api/messages/${o.messageId}/triage`, { category: 'spam' });
      expect(c.status).toBe(200);
      expect(c.json.triage.category.value).toBe('spam');
      expect(c.json.triage.action.value).toBe('ignore');
      // the corrected message is the message as the conversation shows it: its author too
      expect(c.json.author).toMatchObject({ handle: expect.stringMatching(/^promo\d+$/) });
      // the rest of what triage said is kept (the pipeline stores it compactly; a correction rewrites it)
      expect(c.json.triage.corrected.by).toBeGreaterThan(0);
      expect(c.json.triage.model).toMatch(/^builtin-linear@/);
      expect(typeof c.json.triage.sentiment.value).toBe('string');
      expect(Object.keys(c.json.triage.scores)).toEqual(expect.arrayContaining(['negative', 'spam', 'care']));
    }
    const d = (await ana.get(`/api/conversations/${r.json.outcomes[0].conversationId}`)).json;
    expect(d.conversation.category).toBe('spam');
    expect(d.audit.map((e: any) => e.action)).toContain('triage.corrected');

    // implicit labels: answered → respond; resolved without a word → ignore
    const [q1, q2] = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare where is my refund?' }), mention({ text: '@AcmeCare lol' })] })).json.outcomes;
    await ana.post(`/api/conversations/${q1.conversationId}/replies`, { text: 'Hi! Your refund went out this morning, it should land within 3 days.' });
    await ana.post(`/api/conversations/${q2.conversationId}/status`, { status: 'resolved' });
    const rows = await desk.db.store.db.selectFrom('triage_correction').select(['message_id', 'source', 'labels']).execute();
    expect(rows.filter((x) => x.source === 'agent')).toHaveLength(12);
    expect(rows).toEqual(expect.arrayContaining([
      { message_id: q1.messageId, source: 'implicit', labels: JSON.stringify({ action: 'respond' }) },
      { message_id: q2.messageId, source: 'implicit', labels: JSON.stringify({ action: 'ignore' }) },
    ]));

    // retrain from history through the CLI, on this desk's database
    const dataDir = dirname(desk.db.sqliteFile!);
    const out = execFileSync(process.execPath, ['bin/parley.js', 'train', '--from-history'], { env: { ...process.env, PARLEY_DATA_DIR: dataDir }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    void out;
    expect(existsSync(teamModelPath(dataDir))).toBe(true);
    const team = loadModel(teamModelPath(dataDir));
    const after = triage(probe, Date.now(), team);
    expect(before.category.value).not.toBe('spam');
    expect(after.category.value).toBe('spam');
    expect(after.action.value).toBe('ignore');
    // an ordinary complaint is still a complaint
    const normal = triage({ ...probe, text: '@AcmeCare my parcel is two weeks late and nobody answers' }, Date.now(), team);
    expect(normal.category.value).toBe('customer_service');
  }, 120_000);
});
