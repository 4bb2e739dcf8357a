/**
 * CSV exports open in Excel as UTF-8: every text/csv body (each report's CSV, the audit
 * log's) starts with exactly one byte-order mark and says `charset=utf-8`, so "≤ 5 min"
 * and non-Latin names survive. The bytes are read as they arrive (fetch's text() would
 * drop the mark and hide its absence).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPORTS } from '../src/reports/reports.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';

const BOM = [0xef, 0xbb, 0xbf];

describe('CSV exports carry a UTF-8 byte-order mark', () => {
  let desk: TestDesk;
  let admin: Client;
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    // something for the reports and the audit log to hold, with text beyond ASCII
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare ma commande n’est pas arrivée', author: { networkUserId: 'zoë', handle: 'zoe', displayName: 'Zoë Łukasz 山田' } })] });
    expect(r.status).toBe(200);
    expect((await admin.post('/api/guidelines', { code: 'abuse', title: 'Abus envers l’équipe', description: 'Les insultes sont masquées.', allowedActions: ['hide'] })).status).toBe(201);
  });
  afterAll(async () => desk?.stop());

  /** The raw bytes of a CSV export, with its content type. */
  async function csv(path: string) {
    const res = await fetch(`${desk.url}${path}`, { headers: { cookie: admin.cookie } });
    expect(res.status).toBe(200);
    const bytes = new Uint8Array(await res.arrayBuffer());
    return { type: res.headers.get('content-type'), bytes, text: new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes) };
  }

  it.each(REPORTS)('report %s', async (name) => {
    const { type, bytes, text } = await csv(`/api/reports/${name}?format=csv`);
    expect(type).toBe('text/csv; charset=utf-8');
    expect([...bytes.slice(0, 3)]).toEqual(BOM);
    // once, at the start: the header row follows it directly
    expect(text.indexOf('\uFEFF', 1)).toBe(-1);
    expect(text.slice(1, 2)).toMatch(/^[a-z_"]/);
  });

  it('the backlog\'s age buckets, "≤ 5 min" included, read back as written', async () => {
    const { text } = await csv('/api/reports/backlog?format=csv');
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text).toContain('≤ 5 min');
  });

  it('the audit log', async () => {
    const { type, bytes, text } = await csv('/api/audit?format=csv');
    expect(type).toBe('text/csv; charset=utf-8');
    expect([...bytes.slice(0, 3)]).toEqual(BOM);
    expect(text.slice(1).startsWith('id,created_at,actor,')).toBe(true);
    expect(text.indexOf('\uFEFF', 1)).toBe(-1);
    expect(text).toContain('Abus envers l’équipe');
  });
});
