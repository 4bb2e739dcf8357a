/**
 * A desk for tests of live streams ending with their session (test/live-session-end.test.ts,
 * test/sse-session-end.test.ts): the periodic session check set to `period` for the block,
 * streams opened as a signed-in client or with an API token (closed after the block), and new
 * people made by the admin, each signed in.
 */
import { afterAll, beforeAll, expect } from 'vitest';
import type { Dialect } from '../../src/store/db.js';
import { sse } from '../../src/server/routes/events.js';
import { ManualClock } from '../../src/lib/clock.js';
import { Client, openEventStream, PASSWORD, startDesk, type EventStream, type TestDesk } from './parley.js';

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stream got `signed-out` with this data as its last event, once, and the server ended it within `within` ms. */
export async function expectSignedOut(s: EventStream, why: { code: string; reason: string }, within: number): Promise<void> {
  expect(await s.endedWithin(within)).toBe(true);
  const events = s.events();
  expect(events.at(-1)).toEqual({ type: 'signed-out', data: why });
  expect(events.filter((e) => e.type === 'signed-out')).toHaveLength(1);
}

export interface SessionDesk {
  desk: TestDesk;
  clock: ManualClock;
  admin: Client;
  /** A live stream as `c` (a signed-in client, or a raw API token), closed after the block. */
  stream(c: Client | string): Promise<EventStream>;
  /** Close these streams after the block too (opened otherwise than by `stream`). */
  track(...streams: EventStream[]): void;
  /** A new person made by the admin, signed in. */
  person(role?: 'agent' | 'admin'): Promise<{ id: number; email: string; client: Client }>;
}

/** Call inside a `describe`: the desk is started before its tests and stopped after; read it in tests only. */
export function sessionDesk(dialect: Dialect, o: { period: number; at: number }): SessionDesk {
  const open: EventStream[] = [];
  let people = 0;
  const d = {} as SessionDesk;
  beforeAll(async () => {
    sse.pingMs = o.period;
    d.clock = new ManualClock(o.at);
    d.desk = await startDesk(dialect, { clock: d.clock, workers: false });
    d.admin = await Client.signIn(d.desk.url, 'admin@acme.test');
  });
  afterAll(async () => {
    for (const s of open) s.close();
    sse.pingMs = 15_000;
    await d.desk?.stop();
  });
  d.stream = async (c) => {
    const s = await openEventStream(d.desk.url, typeof c === 'string' ? { authorization: `Bearer ${c}` } : { cookie: c.cookie });
    open.push(s);
    return s;
  };
  d.track = (...streams) => void open.push(...streams);
  d.person = async (role = 'agent') => {
    const email = `p${++people}@acme.test`;
    const made = await d.admin.post('/api/users', { email, name: `Person ${people}`, role, password: PASSWORD });
    expect(made.status).toBe(201);
    return { id: made.json.id as number, email, client: await Client.signIn(d.desk.url, email) };
  };
  return d;
}
