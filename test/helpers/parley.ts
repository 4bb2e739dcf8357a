/**
 * Start a real Parley (HTTP server, pipeline, outbox) on a loopback port against
 * a fresh SQLite or PostgreSQL database, with a brand, people and a demo-driven
 * care account, plus a tiny HTTP client that signs in like the browser does.
 */
import { sql } from 'kysely';
import { expect } from 'vitest';
import { createParley, type Parley } from '../../src/app.js';
import { createBrand, createChannelAccount, createTeam, addTeamMember, createUser } from '../../src/commands/setup.js';
import { loadConfig } from '../../src/config.js';
import type { NormalizedMessage, TriageResult } from '../../src/core/types.js';
import type { Clock } from '../../src/lib/clock.js';
import { hashPassword } from '../../src/lib/password.js';
import type { TriageFn } from '../../src/pipeline/ingest.js';
import type { Dialect } from '../../src/store/db.js';
import { createTestDatabase, type TestDatabase } from '../db.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const PASSWORD = 'correct horse battery';

export interface TestDesk {
  parley: Parley;
  db: TestDatabase;
  url: string;
  brandId: number;
  accountId: number;
  teamId: number;
  users: { admin: number; ana: number; ben: number; approver: number; expert: number };
  stop(): Promise<void>;
}

let passwordHash: Promise<string> | undefined;

export async function startDesk(dialect: Dialect = 'sqlite', opts: { clock?: Clock; workers?: boolean; ingestQueueMax?: number; triage?: TriageFn; config?: Record<string, unknown> } = {}): Promise<TestDesk> {
  const db = await createTestDatabase(dialect);
  const now = opts.clock?.now() ?? Date.now();
  const brandId = await createBrand(db.store.db, { slug: 'acme', name: 'Acme', timezone: 'Europe/London' }, now);
  const accountId = await createChannelAccount(db.store.db, { brandId, network: 'x', handle: 'AcmeCare', driver: 'demo' }, now);
  const mk = (email: string, name: string, role: 'admin' | 'agent' | 'approver' | 'expert') => createUser(db.store.db, { brandId, email, name, role, availability: 'online' }, now);
  const users = { admin: await mk('admin@acme.test', 'Ada Admin', 'admin'), ana: await mk('ana@acme.test', 'Ana Agent', 'agent'), ben: await mk('ben@acme.test', 'Ben Agent', 'agent'), approver: await mk('cleo@acme.test', 'Cleo Approver', 'approver'), expert: await mk('eli@acme.test', 'Eli Expert', 'expert') };
  // one real hash of PASSWORD a test process, shared by the five (a hash costs ~175 ms)
  await db.store.db.updateTable('app_user').set({ password_hash: await (passwordHash ??= hashPassword(PASSWORD)) }).where('brand_id', '=', brandId).execute();
  const teamId = await createTeam(db.store.db, { brandId, name: 'Care' }, now);
  for (const u of [users.ana, users.ben]) await addTeamMember(db.store.db, teamId, u);
  await addTeamMember(db.store.db, teamId, users.approver, true);
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-data-'));
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', demo: false, logLevel: 'warn', dataDir, ingestQueueMax: opts.ingestQueueMax, ...opts.config });
  const parley = await createParley({ config, store: db.store, clock: opts.clock, workers: opts.workers ?? true, ...(opts.triage ? { triage: opts.triage } : {}) });
  const url = await parley.listen();
  return {
    parley, db, url, brandId, accountId, teamId, users,
    async stop() {
      await parley.stop();
      await db.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A signed-in HTTP client (cookie + CSRF header, like the web UI). */
export class Client {
  cookie = '';
  csrf = '';
  constructor(readonly base: string) {}

  static async signIn(base: string, email: string, password = PASSWORD): Promise<Client> {
    const c = new Client(base);
    const res = await fetch(`${base}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
    if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
    c.cookie = (res.headers.get('set-cookie') ?? '').split(';')[0]!;
    c.csrf = ((await res.json()) as { csrfToken: string }).csrfToken;
    return c;
  }

  async req(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), cookie: this.cookie, 'x-csrf-token': this.csrf, ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers };
  }

  get(path: string) {
    return this.req('GET', path);
  }
  post(path: string, body: unknown = {}) {
    return this.req('POST', path, body);
  }
}

let seq = 0;
/** A normalized inbound mention for the ingest API. */
/**
 * A desk (background workers off) with admin, Ana, Ben and Cleo signed in, where `needsSignOff`'s
 * replies wait for approval (Cleo, a lead, signs off) and the others' go straight out.
 */
export async function signOffDesk(dialect: Dialect, needsSignOff: 'ana' | 'ben') {
  const desk = await startDesk(dialect, { workers: false });
  const [admin, ana, ben, cleo] = await Promise.all(['admin', 'ana', 'ben', 'cleo'].map((n) => Client.signIn(desk.url, `${n}@acme.test`)));
  expect((await admin!.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [String(desk.users[needsSignOff])] } } })).status).toBe(200);
  return { desk, admin: admin!, ana: ana!, ben: ben!, cleo: cleo! };
}

export function mention(over: Partial<NormalizedMessage> = {}): NormalizedMessage {
  seq++;
  return {
    network: 'x',
    networkMessageId: `t${Date.now()}${seq}`,
    direction: 'inbound',
    visibility: 'public',
    kind: 'mention',
    author: { networkUserId: `u${seq}`, handle: `customer${seq}`, displayName: `Customer ${seq}`, followers: 10 },
    text: `@AcmeCare my order #${seq} has not arrived`,
    createdAt: Date.now(),
    raw: { seq },
    ...over,
  };
}

/** `n` new customers' conversations (mentions dated `at`, through the ingest API), each assigned to `userId` by `admin`; their ids. */
export async function conversationsAssignedTo(desk: TestDesk, admin: Client, userId: number, n: number, at: number): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = (await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ createdAt: at })] })).json.outcomes[0];
    expect((await admin.post(`/api/conversations/${o.conversationId}/assign`, { assigneeId: userId })).status).toBe(200);
    ids.push(o.conversationId);
  }
  return ids;
}

/** When a conversation's pending `sla:<id>` timer runs (null: none pending), on either engine's job table. */
export async function pendingSlaTimer(desk: TestDesk, id: number): Promise<number | null> {
  const db = desk.db.store.db;
  if (desk.db.store.dialect === 'sqlite') {
    const j = await db.selectFrom('job').select('run_at').where('key', '=', `sla:${id}`).executeTakeFirst();
    return j ? Number(j.run_at) : null;
  }
  const r = await sql<{ run_at: Date }>`select run_at from graphile_worker.jobs where key = ${`sla:${id}`}`.execute(db);
  return r.rows[0] ? new Date(r.rows[0].run_at).getTime() : null;
}

/** Read `/api/events` as `client` until `until` holds (or `ms` pass), running `act` once connected. */
export async function collectEvents(desk: TestDesk, client: Client, until: (events: { type: string; data: any }[]) => boolean, act: () => Promise<void>, ms = 5000) {
  const ctrl = new AbortController();
  const res = await fetch(`${desk.url}/api/events`, { headers: { cookie: client.cookie }, signal: ctrl.signal });
  expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
  const events: { type: string; data: any }[] = [];
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const deadline = Date.now() + ms;
  let acted = false;
  try {
    while (Date.now() < deadline) {
      const { value, done } = await Promise.race([reader.read(), new Promise<{ value: undefined; done: true }>((r) => setTimeout(() => r({ value: undefined, done: true }), deadline - Date.now()))]);
      if (value) buf += dec.decode(value, { stream: true });
      let i;
      while ((i = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, i);
        buf = buf.slice(i + 2);
        const type = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (type && data) events.push({ type, data: JSON.parse(data) });
      }
      if (!acted && buf.includes(': connected') || !acted && events.length === 0 && value) {
        acted = true;
        await act();
      }
      if (until(events)) break;
      if (done) break;
    }
  } finally {
    ctrl.abort();
  }
  return events;
}

/** An open live stream (`/api/events`), read as it comes. */
export interface EventStream {
  /** What came so far, as sent. */
  text: () => string;
  /** What came so far, as SSE frames (`event:` and JSON `data:`). */
  events: () => { type: string; data: any }[];
  /** Whether the server ended it, or dropped the connection (not this side's `close`). */
  ended: () => boolean;
  /** Resolves true once the server ended the stream, false after `ms`. */
  endedWithin: (ms: number) => Promise<boolean>;
  close: () => void;
}

/** Open `path` (the live stream, by default) with these headers (a session's cookie, or a bearer token). */
export async function openEventStream(url: string, headers: Record<string, string>, path = '/api/events'): Promise<EventStream> {
  const ctrl = new AbortController();
  const res = await fetch(`${url}${path}`, { headers, signal: ctrl.signal });
  expect(res.status).toBe(200);
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  let ended = false;
  let closedHere = false;
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += dec.decode(value, { stream: true });
      }
      ended = true;
    } catch {
      // the server dropped the connection (a process that exits), or `close` here
      ended = !closedHere;
    }
  })();
  return {
    text: () => text,
    events: () => sseFrames(text),
    ended: () => ended,
    endedWithin: (ms) => Promise.race([pump.then(() => ended), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]),
    close: () => {
      closedHere = true;
      ctrl.abort();
    },
  };
}

/** The frames of an SSE text that carry an event and JSON data. */
function sseFrames(text: string): { type: string; data: any }[] {
  return text.split('\n\n').flatMap((block) => {
    const type = /^event: (.*)$/m.exec(block)?.[1];
    const data = /^data: (.*)$/m.exec(block)?.[1];
    return type && data ? [{ type, data: JSON.parse(data) }] : [];
  });
}

/** Every event on `client`'s live stream for `ms` (frames split as a browser's EventSource does). */
export async function streamFor(desk: TestDesk, client: Client, ms: number): Promise<{ type: string; data: any }[]> {
  const ctrl = new AbortController();
  const res = await fetch(`${desk.url}/api/events`, { headers: { cookie: client.cookie }, signal: ctrl.signal });
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  const stop = setTimeout(() => ctrl.abort(), ms);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
    }
  } catch {
    /* aborted */
  } finally {
    clearTimeout(stop);
  }
  return sseFrames(buf);
}

/** Triage by marker, for tests of what follows triage: `#spam` ignore, `#troll` monitor (abuse), `#untriaged` none, anything else respond. */
export function markerTriageOf(text: string): TriageResult | null {
  if (text.includes('#untriaged')) return null;
  const scored = <V>(value: V) => ({ value, confidence: 1, reason: 'test' });
  const action = text.includes('#spam') ? 'ignore' : text.includes('#troll') ? 'monitor' : 'respond';
  return {
    action: scored(action), category: scored(action === 'ignore' ? 'spam' : action === 'monitor' ? 'abuse' : 'customer_service'), complaint: scored(action === 'respond'),
    sentiment: scored('negative'), accolade: scored(false), chaser: scored(false), intent: null, language: scored('en'),
    priority: { value: action === 'respond' ? 40 : action === 'monitor' ? 5 : 0, factors: [] }, model: 'test',
  };
}
export const markerTriage: TriageFn = (reqs) => reqs.map((r) => markerTriageOf(r.message.text));

/**
 * The customer's consent to a CRM link "in their own message", given the way the desk accepts it
 * (src/commands/contacts.ts): `agent` asks in `conversationId` (POST crm-consent-ask), the outbox
 * sends the question, and `author` (the customer of the conversation, as ingested) answers `text`
 * in the same conversation, ingested by `admin`. The id of their answer, for
 * `consent: { method: 'customer_message', messageId }`. Throws when the question cannot go out
 * (e.g. it waits for sign-off) or their answer threads into another conversation.
 */
export async function consentGiven(desk: TestDesk, agent: Client, admin: Client, conversationId: number, author: NormalizedMessage['author'], text = 'Yes, go ahead', channelAccountId = desk.accountId): Promise<number> {
  const ask = await agent.post(`/api/conversations/${conversationId}/crm-consent-ask`, {});
  if (ask.status !== 202) throw new Error(`consent question not accepted: ${ask.status} ${JSON.stringify(ask.json)}`);
  const askId = Number(ask.json.ask.messageId);
  const db = desk.db.store.db;
  const sentAt = async () => (await db.selectFrom('outbox').select('sent_at').where('message_id', '=', askId).where('status', '=', 'sent').executeTakeFirst())?.sent_at;
  let sent = await sentAt();
  for (let i = 0; sent == null && i < 20; i++) {
    if (ask.json.message.status === 'pending_approval') throw new Error(`the consent question #${askId} waits for sign-off`);
    await desk.parley.services.outbox.runOnce();
    sent = await sentAt();
    if (sent == null) await new Promise((r) => setTimeout(r, 50)); // the background outbox may hold it
  }
  if (sent == null) throw new Error(`the consent question #${askId} was not sent`);
  // written after it went out (on the desk's clock, which may not be the wall clock)
  const createdAt = Math.max(Date.now(), Number(sent));
  // the way they wrote before (a Facebook comment, a DM...), so it threads into the conversation
  const before = await db.selectFrom('message').select(['network', 'kind', 'visibility']).where('conversation_id', '=', conversationId).where('direction', '=', 'inbound').orderBy('id', 'desc').executeTakeFirst();
  const how = before ? { network: before.network as NormalizedMessage['network'], kind: before.kind as NormalizedMessage['kind'], visibility: before.visibility as NormalizedMessage['visibility'] } : {};
  const r = await admin.post('/api/ingest/messages', { channelAccountId, messages: [mention({ ...how, author, text, createdAt })] });
  const o = r.json?.outcomes?.[0];
  if (!o?.messageId) throw new Error(`their answer was not ingested: ${r.status} ${JSON.stringify(r.json)}`);
  if (o.conversationId !== conversationId) throw new Error(`their answer threaded into conversation #${o.conversationId}, not #${conversationId}`);
  return Number(o.messageId);
}
