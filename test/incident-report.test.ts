/**
 * The incident report (GET /api/incidents/:id/report, JSON and CSV) and the suggested personal
 * reply from the statement (GET /api/conversations/:id/incident-reply), through the HTTP API on
 * SQLite and PostgreSQL, on a constructed incident with exact expected numbers: four customers
 * (one writes twice), a statement posted and updated, three answered at 5, 20 and 30 minutes,
 * one still waiting.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/lib/clock.js';
import type { TriageFn } from '../src/pipeline/ingest.js';
import { DIALECTS } from './db.js';
import { Client, markerTriageOf, mention, startDesk, type TestDesk } from './helpers/parley.js';

// Tuesday 17 November 2026, 10:00 London (GMT)
const T = Date.UTC(2026, 10, 17, 10, 0);
const MIN = 60_000;

/** The marker triage, with `#pos` a positive message that is no complaint. */
const triage: TriageFn = (reqs) =>
  reqs.map((r) => {
    const t = markerTriageOf(r.message.text);
    if (!t || !r.message.text.includes('#pos')) return t;
    return { ...t, sentiment: { value: 'positive', confidence: 1, reason: 'test' }, complaint: { value: false, confidence: 1, reason: 'test' } };
  });

for (const dialect of DIALECTS) {
  describe(`incident report [${dialect}]`, () => {
    let desk: TestDesk;
    let clock: ManualClock;
    let admin: Client;
    let ana: Client;
    let expert: Client;
    beforeAll(async () => {
      clock = new ManualClock(T);
      desk = await startDesk(dialect, { clock, workers: false, triage });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      ana = await Client.signIn(desk.url, 'ana@acme.test');
      expert = await Client.signIn(desk.url, 'eli@acme.test');
      // replies and statements go straight out in this test (the sign-off rules have tests of their own)
      expect((await admin.req('PATCH', '/api/settings/workflow', { approval: { incident: { requireDuringIncident: false, publicOnly: true, statementSignOff: false } } })).status).toBe(200);
    });
    afterAll(async () => desk?.stop());

    const at = (min: number) => clock.set(T + min * MIN);
    const write = async (min: number, author: { networkUserId: string; handle: string; displayName: string }, text: string) => {
      at(min);
      const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: clock.now(), author: { ...author, followers: 10 }, text })] });
      expect(r.json.outcomes[0].status).toBe('stored');
      return { conv: r.json.outcomes[0].conversationId as number, msg: r.json.outcomes[0].messageId as number };
    };
    const reply = async (min: number, conv: number, msg: number, text: string) => {
      at(min);
      const r = await ana.post(`/api/conversations/${conv}/replies`, { text, visibility: 'public', replyToMessageId: msg });
      expect(r.status, JSON.stringify(r.json)).toBeLessThan(300);
      await desk.parley.services.outbox.runOnce();
    };
    const statement = async (min: number, inc: number, text: string, nextUpdateAt?: string) => {
      at(min);
      const r = await admin.post(`/api/incidents/${inc}/statement`, { channelAccountId: desk.accountId, text, ...(nextUpdateAt ? { nextUpdateAt } : {}) });
      expect(r.status, JSON.stringify(r.json)).toBe(202);
      await desk.parley.services.outbox.runOnce();
      return r.json.message.id as number;
    };

    it('reports the timeline, 15-minute volume, people, personal answers with median/p90, sentiment, complaints and who waits; CSV too; suggests a personal reply', async () => {
      at(0);
      const inc = (await admin.post('/api/incidents', { title: 'Checkout is down', reason: 'card payments fail' })).json.id as number;
      const jane = { networkUserId: 'jane1', handle: 'jane_d', displayName: 'Dr. Jane Doe' };
      const a = await write(1, jane, '@AcmeCare I cannot pay for my order, card declined');
      const b = await write(4, { networkUserId: 'bob1', handle: 'bob', displayName: 'Bob' }, '@AcmeCare checkout seems down, no rush #pos');
      const c = await write(16, { networkUserId: 'cy1', handle: 'cy', displayName: 'Cy' }, '@AcmeCare payment page errors out');
      const d = await write(35, { networkUserId: 'dee1', handle: 'dee', displayName: 'Dee' }, '@AcmeCare hello? #untriaged');
      for (const x of [a, b, c, d]) expect((await ana.req('PUT', `/api/conversations/${x.conv}/incident`, { incidentId: inc })).status).toBe(200);
      // before any statement: no suggestion
      expect((await ana.get(`/api/conversations/${a.conv}/incident-reply`)).json).toEqual({ suggestion: null });

      await reply(6, a.conv, a.msg, 'Hi Jane, we are looking into the payments problem right now.'); // 5 min after her message
      const st1 = await statement(10, inc, "We're sorry! Card payments at checkout are failing since 09:55. Orders already placed are safe. #AcmeStatus");
      // she writes again in her conversation (a reply to ours threads there)
      // no next update promised yet: none in the timeline
      expect((await ana.get(`/api/incidents/${inc}/report`)).json.timeline.map((t: { kind: string }) => t.kind)).toEqual(['declared', 'statement_posted']);
      const a2 = await write(18, jane, '@AcmeCare still failing for me');
      expect(a2.conv).toBe(a.conv);
      await reply(24, b.conv, b.msg, 'Thanks Bob, payments are being fixed now.'); // 20 min
      const st2 = await statement(30, inc, 'Update: card payments work again for most customers. A fix for the rest is rolling out.', new Date(T + 90 * MIN).toISOString());
      await reply(46, c.conv, c.msg, 'Hi Cy, payments should work again: could you try once more?'); // 30 min
      at(60);
      expect((await admin.post(`/api/incidents/${inc}/close`)).status).toBe(200);

      const r = await ana.get(`/api/incidents/${inc}/report`);
      expect(r.status).toBe(200);
      expect(r.json.incident).toMatchObject({ id: inc, title: 'Checkout is down', status: 'closed', openedAt: T, closedAt: T + 60 * MIN });
      expect(r.json.timeline).toEqual([
        { at: T, kind: 'declared' },
        { at: T + 10 * MIN, kind: 'statement_posted', messageId: st1 },
        { at: T + 30 * MIN, kind: 'statement_updated', messageId: st2 },
        { at: T + 60 * MIN, kind: 'resolved' },
        // the next update promised with the second statement, at the time promised
        { at: T + 90 * MIN, kind: 'next_update_promised' },
      ]);
      expect(r.json.volume).toEqual([
        { start: T, messages: 2 },
        { start: T + 15 * MIN, messages: 2 },
        { start: T + 30 * MIN, messages: 1 },
      ]);
      expect(r.json.conversations).toBe(4);
      expect(r.json.people).toBe(4);
      expect(r.json.answered).toBe(3);
      expect(r.json.firstResponse).toEqual({ n: 3, medianMin: 20, p90Min: 30 });
      expect(r.json.sentiment).toEqual({ negative: 3, neutral: 0, positive: 1, unknown: 1 });
      expect(r.json.complaintShare).toBe(0.75);
      expect(r.json.unanswered).toEqual([{ conversationId: d.conv, status: expect.any(String), since: T + 35 * MIN, contactId: expect.any(Number) }]);

      const csv = await ana.req('GET', `/api/incidents/${inc}/report?format=csv`);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toContain('text/csv');
      expect(csv.headers.get('content-disposition')).toContain(`parley-incident-${inc}.csv`);
      const lines = String(csv.json).replace(/^\uFEFF/, '').split('\r\n');
      expect(lines[0]).toBe('section,key,value');
      expect(lines).toEqual(expect.arrayContaining(['summary,people,4', 'summary,answered,3', 'summary,unanswered,1', 'summary,first_response_median_min,20', 'summary,first_response_p90_min,30', 'summary,complaint_share,0.75', `timeline,statement_updated,${new Date(T + 30 * MIN).toISOString()}`, `timeline,next_update_promised,${new Date(T + 90 * MIN).toISOString()}`, `volume_15min,${new Date(T + 15 * MIN).toISOString()},2`]));

      // the suggestion is built from the latest posted statement, greets Jane by her first name, fits X
      const s = (await ana.get(`/api/conversations/${a.conv}/incident-reply`)).json.suggestion;
      expect(s).toMatchObject({ incidentId: inc, incidentTitle: 'Checkout is down', statementMessageId: st2 });
      expect(s.suggestion.text.startsWith("Hi Jane, sorry you've been hit by this (Checkout is down)")).toBe(true);
      expect(s.suggestion.facts).toEqual(['Update: card payments work again for most customers.', 'A fix for the rest is rolling out.']);
      expect(s.suggestion.limit).toBe(280);
      // the next update said with the statement, in the brand's zone (London, GMT in November); audited with the statement
      expect(s.suggestion.text).toContain('Our next update is due at 11:30 GMT.');
      const said = await desk.db.store.db.selectFrom('audit_event').select('data').where('action', '=', 'incident.statement').where('subject_id', '=', String(inc)).orderBy('id', 'desc').executeTakeFirstOrThrow();
      expect(JSON.parse(String(said.data)).nextUpdateAt).toBe(T + 90 * MIN);
      expect(s.suggestion.length).toBeLessThanOrEqual(280);
      // it is only a suggestion: nothing was written to the conversation
      const detail = (await ana.get(`/api/conversations/${a.conv}`)).json;
      expect(detail.messages.filter((m: any) => m.direction === 'outbound')).toHaveLength(1);
    });

    it('refuses clearly: an unknown incident is 404, experts get 403, a bad format is 400', async () => {
      const doc = (await (await fetch(`${desk.url}/api/openapi.json`)).json()) as { paths: Record<string, unknown> };
      expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/incidents/{id}/report', '/api/conversations/{id}/incident-reply']));
      const missing = await ana.get('/api/incidents/999999/report');
      expect(missing.status).toBe(404);
      expect(missing.json.code).toBeTruthy();
      expect((await expert.get('/api/incidents/1/report')).status).toBe(403);
      expect((await ana.get('/api/incidents/1/report?format=xml')).status).toBe(400);
      expect((await expert.get('/api/conversations/1/incident-reply')).status).toBe(403);
      expect((await ana.get('/api/conversations/999999/incident-reply')).status).toBe(404);
    });
  });
}
