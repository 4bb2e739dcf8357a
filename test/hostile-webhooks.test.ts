/**
 * Hostile values inside well-formed, correctly signed webhook deliveries, for every network whose
 * connector takes webhooks (X's Account Activity API; Facebook's and Instagram's Graph webhooks),
 * through Parley's real HTTP route against the contract servers, on SQLite and PostgreSQL.
 * (test/hostile-input.test.ts sends these routes hostile whole bodies; web chat has no webhook,
 * its visitor messages are swept field by field there.)
 *
 * Each case is one delivery of three events of one kind (a tweet, an X direct message, a Page
 * comment, a Messenger message, an Instagram comment, an Instagram direct message) whose middle
 * one carries one hostile value: markup and script in the text and the names, 1 MB of text,
 * right-to-left overrides and zero-width joiners, lone surrogates (as `\ud800` escapes, valid
 * JSON), NUL, 10,000 combining marks, a number, array, null or object where a string is
 * expected, a missing, huge, empty or non-id id, one id twice in a delivery, and timestamps that
 * are negative, zero, absurd or not a time. For each:
 *  - the answer is 2xx (the delivery is well-formed: a 4xx would lose its good events), never 500;
 *  - the two good events are stored, once each; the bad one is stored once (its value kept as
 *    data, or normalized to something safe) or quarantined with a reason, never silently dropped;
 *  - the same delivery sent again stores nothing and quarantines nothing more;
 *  - what is stored comes back from the API as JSON data, exactly as sent when it is valid text
 *    (no HTML escaping or interpretation on the server; the web UI renders text as text).
 * The cases are deterministic: a failure names the delivery that reproduces it.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { XContractServer } from './contract-servers/x.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

const MB = 1024 * 1024;
/** Reasons the ingest pipeline's validation gives (src/pipeline/validate.ts), as opposed to a connector's. */
const PIPELINE_REASON = /^(text|networkMessageId|createdAt|author\.\w+)(: | longer)|^raw payload larger/;
type Network = 'x' | 'facebook' | 'instagram';

/** A value put into one field: its JSON text (raw, so ids can be bare numbers beyond 2^53). */
interface Hostile { what: string; json: string | undefined; /** The string a store of the event must show, when the value is one it must keep as it came. */ keeps?: string }
const s = (what: string, v: string, keeps = true): Hostile => ({ what, json: JSON.stringify(v), ...(keeps ? { keeps: v } : {}) });
/** X's text arrives with &, < and > as entities; Parley shows them as the person typed them. */
const unescapeX = (t: string) => t.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
/** A name as the desk may keep it: lone surrogates as U+FFFD, no NUL. */
const wellFormedName = (t: string) => t.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd').replaceAll('\u0000', '');
const XSS = '<script>alert(1)</script><img src=x onerror="alert(2)"><a href="javascript:alert(3)">x</a>&amp;&lt;';

/** Hostile values for a text field (the customer's words) and for a name. */
const STRINGS: Hostile[] = [
  s('markup and script', XSS),
  s('1 MB of text', 'x'.repeat(MB)),
  s('an RTL override and zero-width joiners', '\u202egnp.exe\u202c \u200b\u200d\ufeff\u2066x\u2069 👩\u200d👩\u200d👧'),
  // JSON.stringify writes a lone surrogate as a \ud800 escape: valid JSON, valid UTF-8. Text is kept
  // verbatim on both databases (escaped where the database cannot hold it, src/store/text.ts) and the
  // API gives it back as JSON escapes, so these come back as sent too
  s('lone surrogates', 'lone \ud800 and \udfff'),
  s('a NUL', 'before\u0000after'),
  s('10,000 combining marks', `e${'\u0301'.repeat(10_000)}`),
];
const WRONG_TYPES: Hostile[] = [
  { what: 'a number', json: '12345' },
  { what: 'an array', json: '["a","b"]' },
  { what: 'null', json: 'null' },
  { what: 'an object', json: '{"text":"nested"}' },
];
/** Hostile ids, unique to the case `n` (a hostile id stored by one case must not stand in for another's). */
const IDS = (n: number): Hostile[] => [
  { what: 'missing', json: undefined },
  { what: 'empty', json: '""' },
  { what: 'huge (4,000 digits)', json: JSON.stringify(`${n}`.padEnd(4000, '9')) },
  { what: 'a bare number beyond 2^53', json: `123456789012345678901234567${n}` },
  { what: 'negative', json: `-${n}` },
  { what: 'markup', json: JSON.stringify(`<script>alert(${n})</script>`) },
  { what: 'a lone surrogate', json: `"${n}\\ud800${n}"` },
  ...WRONG_TYPES.filter((h) => h.what !== 'a number'),
];
const TIMES: Hostile[] = [
  { what: 'negative', json: '-1' },
  { what: 'hugely negative', json: '-9999999999999' },
  { what: 'zero', json: '0' },
  { what: 'in the year 9999', json: '"253402300799000"' },
  { what: 'in the year 9999 as a number', json: '253402300799000' },
  { what: 'absurd (1e20)', json: '1e20' },
  { what: 'absurd digits', json: '"99999999999999999999999"' },
  { what: 'not a time', json: '"yesterday-ish"' },
  ...WRONG_TYPES,
];

/** One kind of event a network delivers: a well-formed event, where its fields are, and the delivery around a list of them. */
interface Kind {
  network: Network;
  name: string;
  event(id: string, n: number): Record<string, any>;
  fields: { text: (string | number)[]; name?: (string | number)[]; id: (string | number)[]; time: (string | number)[] };
  delivery(events: unknown[]): string;
  /** The text a store shows for text sent as `sent` (X escapes &, < and > in text, and Parley undoes it). */
  shows?: (sent: string) => string;
}

describe.each(DIALECTS)('hostile values inside signed webhook deliveries [%s]', (dialect) => {
  let desk: TestDesk;
  let admin: Client;
  let xs: XContractServer;
  let graph: GraphContractServer;
  const hook = { x: '', facebook: '', instagram: '' };
  let seq = 0;
  // ids unique across both databases' runs and the cases (digits, as the networks' are)
  const uid = () => String(5_100_000_000 + ++seq);

  beforeAll(async () => {
    xs = await XContractServer.start();
    graph = await GraphContractServer.start();
    desk = await startDesk(dialect, { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    const connect = async (network: Network, body: Record<string, unknown>) => {
      const r = await admin.post('/api/channel-accounts', { network, ...body });
      expect(r.status, JSON.stringify(r.json)).toBe(201);
      hook[network] = `${desk.url}${new URL(r.json.webhookUrl, 'http://x').pathname}`;
    };
    await connect('x', { handle: xs.brand.username, externalId: xs.brand.id, credentials: xs.credentials(), settings: { apiBaseUrl: xs.url } });
    await connect('facebook', { handle: graph.page.name, externalId: graph.page.id, credentials: graph.credentials('facebook'), settings: { apiBaseUrl: graph.url, linkDmReplies: false } });
    await connect('instagram', { handle: graph.ig.username, externalId: graph.ig.id, credentials: graph.credentials('instagram'), settings: { apiBaseUrl: graph.url, linkDmReplies: false } });
  }, 60_000);
  afterAll(async () => {
    await desk?.stop();
    await xs?.stop();
    await graph?.stop();
  });

  const KINDS: Kind[] = [
    {
      network: 'x', name: 'a tweet',
      event: (id, n) => ({ id_str: id, text: `@${xs.brand.username} tweet ${n}`, user: { id_str: String(4200 + n), screen_name: `tweeter${n}`, name: `Tweeter ${n}` }, timestamp_ms: '1764000000000' }),
      fields: { text: ['text'], name: ['user', 'name'], id: ['id_str'], time: ['timestamp_ms'] },
      delivery: (events) => JSON.stringify({ for_user_id: xs.brand.id, tweet_create_events: events }),
      shows: unescapeX,
    },
    {
      network: 'x', name: 'an X direct message',
      event: (id, n) => ({ type: 'message_create', id, created_timestamp: '1764000000000', message_create: { target: { recipient_id: xs.brand.id }, sender_id: String(4300 + n), message_data: { text: `dm ${n}` } } }),
      fields: { text: ['message_create', 'message_data', 'text'], id: ['id'], time: ['created_timestamp'] },
      delivery: (events) => JSON.stringify({ for_user_id: xs.brand.id, direct_message_events: events, users: Object.fromEntries([1, 2, 3].map((n) => [String(4300 + n), { id: String(4300 + n), name: `Sender ${n}`, screen_name: `sender${n}` }])) }),
      shows: unescapeX,
    },
    {
      network: 'facebook', name: 'a Page comment',
      event: (id, n) => ({ item: 'comment', verb: 'add', comment_id: id, post_id: `${graph.page.id}_77`, parent_id: `${graph.page.id}_77`, from: { id: String(900 + n), name: `Pat ${n}` }, message: `comment ${n}`, created_time: 1764000000 }),
      fields: { text: ['message'], name: ['from', 'name'], id: ['comment_id'], time: ['created_time'] },
      delivery: (events) => JSON.stringify({ object: 'page', entry: [{ id: graph.page.id, time: 1764000000, changes: events.map((value) => ({ field: 'feed', value })) }] }),
    },
    {
      network: 'facebook', name: 'a Messenger message',
      event: (id, n) => ({ sender: { id: String(600 + n) }, recipient: { id: graph.page.id }, timestamp: 1764000000000, message: { mid: id, text: `messenger ${n}` } }),
      fields: { text: ['message', 'text'], id: ['message', 'mid'], time: ['timestamp'] },
      delivery: (events) => JSON.stringify({ object: 'page', entry: [{ id: graph.page.id, time: 1764000000000, messaging: events }] }),
    },
    {
      network: 'instagram', name: 'an Instagram comment',
      event: (id, n) => ({ id, text: `ig comment ${n}`, from: { id: String(700 + n), username: `igfan${n}` }, media: { id: '17900000077', media_product_type: 'FEED' } }),
      fields: { text: ['text'], name: ['from', 'username'], id: ['id'], time: [] },
      delivery: (events) => JSON.stringify({ object: 'instagram', entry: [{ id: graph.ig.id, time: 1764000000, changes: events.map((value) => ({ field: 'comments', value })) }] }),
    },
    {
      network: 'instagram', name: 'an Instagram direct message',
      event: (id, n) => ({ sender: { id: String(800 + n) }, recipient: { id: graph.ig.id }, timestamp: 1764000000000, message: { mid: `aWdf${id}`, text: `ig dm ${n}` } }),
      fields: { text: ['message', 'text'], id: ['message', 'mid'], time: ['timestamp'] },
      delivery: (events) => JSON.stringify({ object: 'instagram', entry: [{ id: graph.ig.id, time: 1764000000000, messaging: events }] }),
    },
  ];

  /** `event` as JSON text with the field at `at` set to the JSON text `json` (removed when undefined). */
  function spoil(event: Record<string, any>, at: (string | number)[], json: string | undefined): Record<string, any> & { toJSON?: never } {
    const copy = structuredClone(event);
    let o: any = copy;
    for (const k of at.slice(0, -1)) o = o[k];
    const marker = `\u0001spoiled${seq}\u0001`;
    if (json === undefined) delete o[at[at.length - 1]!];
    else o[at[at.length - 1]!] = marker;
    return { __json: JSON.stringify(copy).replace(JSON.stringify(marker), () => json ?? '') } as any;
  }
  /** The delivery's JSON text, events given as objects or as already spoiled JSON text. */
  const deliveryOf = (k: Kind, events: unknown[]) => {
    const markers = events.map((e, i) => `\u0001event${i}\u0001`);
    let body = k.delivery(events.map((e, i) => ((e as any).__json ? markers[i] : e)));
    events.forEach((e, i) => { if ((e as any).__json) body = body.replace(JSON.stringify(markers[i]), () => (e as any).__json); });
    return body;
  };

  async function post(network: Network, body: string) {
    const sig: Record<string, string> = network === 'x' ? { 'x-twitter-webhooks-signature': xs.sign(body) } : { 'x-hub-signature-256': graph.sign(body) };
    const res = await fetch(hook[network], { method: 'POST', headers: { 'content-type': 'application/json', ...sig }, body });
    const text = await res.text();
    await desk.parley.services.queue.idle();
    return { status: res.status, type: res.headers.get('content-type') ?? '', text };
  }
  const db = () => desk.db.store.db;
  const marks = async () => {
    const m = await sql<{ m: number | string | null; q: number | string | null }>`select (select max(id) from message) as m, (select max(id) from quarantine) as q`.execute(db());
    return { message: Number(m.rows[0]?.m ?? 0), quarantine: Number(m.rows[0]?.q ?? 0) };
  };
  const since = async (at: { message: number; quarantine: number }) => ({
    messages: await db().selectFrom('message').select(['id', 'network', 'network_message_id', 'conversation_id', 'text', 'created_at']).where('id', '>', at.message).orderBy('id').execute(),
    quarantined: await db().selectFrom('quarantine').select(['id', 'source', 'reason']).where('id', '>', at.quarantine).orderBy('id').execute(),
  });
  /** The message as the API shows it (the conversation's detail, as JSON). */
  async function shown(conversationId: number, networkMessageId: string) {
    const res = await fetch(`${desk.url}/api/conversations/${conversationId}`, { headers: { cookie: admin.cookie } });
    const type = res.headers.get('content-type') ?? '';
    const detail = JSON.parse(await res.text());
    const all = [...(detail.messages ?? []), ...(detail.timeline ?? []).map((t: any) => t.message ?? t)];
    return { status: res.status, type, message: all.find((m: any) => m?.networkMessageId === networkMessageId), detail };
  }

  /** The network id of a well-formed event. */
  const idOf = (k: Kind, e: Record<string, any>) => String(k.fields.id.reduce((o: any, key) => o[key], e));

  let idCase = 0;
  /** Items the pipeline (not the connector) quarantined again on a redelivery: the known bug below. */
  const requarantined: string[] = [];
  /** Every case: the kind, what is spoiled, and the middle event (spoiled) beside two good ones. */
  const cases = () => KINDS.flatMap((k) => [
    ...[...STRINGS, ...WRONG_TYPES].map((h) => ({ k, what: `text: ${h.what}`, at: k.fields.text, h })),
    ...(k.fields.name ? [...STRINGS, ...WRONG_TYPES].map((h) => ({ k, what: `name: ${h.what}`, at: k.fields.name!, h })) : []),
    ...IDS(++idCase).map((h) => ({ k, what: `id: ${h.what}`, at: k.fields.id, h })),
    ...(k.fields.time.length ? TIMES.map((h) => ({ k, what: `timestamp: ${h.what}`, at: k.fields.time, h })) : []),
  ]);

  it('stores the good events of each delivery once, the hostile one once or in quarantine with a reason, as data, however often it comes', async () => {
    const wrong: string[] = [];
    let deliveries = 0;
    const outcomes = { stored: 0, quarantined: 0 };
    const list = cases();
    for (const { k, what, at, h } of list) {
      const [g1, bad, g2] = [uid(), uid(), uid()];
      const name = `${k.network} ${k.name}, ${what}`;
      const body = deliveryOf(k, [k.event(g1, 1), spoil(k.event(bad, 2), at, h.json), k.event(g2, 3)]);
      const before = await marks();
      const res = await post(k.network, body);
      deliveries++;
      if (res.status < 200 || res.status >= 300) {
        wrong.push(`${name}: answered ${res.status} ${res.type} ${res.text.slice(0, 200)} (a well-formed delivery must be taken: its good events are lost otherwise)`);
        continue;
      }
      const first = await since(before);
      const ids = first.messages.map((m) => m.network_message_id ?? '');
      const goodIds = [idOf(k, k.event(g1, 1)), idOf(k, k.event(g2, 3))];
      for (const g of goodIds) if (ids.filter((x) => x === g).length !== 1) wrong.push(`${name}: the good event ${g} is stored ${ids.filter((x) => x === g).length} times`);
      const others = first.messages.filter((m) => !goodIds.includes(m.network_message_id ?? ''));
      if (others.length + first.quarantined.length !== 1) {
        wrong.push(`${name}: the hostile event is stored ${others.length} times (${others.map((m) => JSON.stringify(String(m.network_message_id).slice(0, 40))).join(', ')}) and quarantined ${first.quarantined.length} times (${first.quarantined.map((q) => q.reason.slice(0, 120)).join(' | ')})`);
      }
      for (const q of first.quarantined) if (!q.reason.trim()) wrong.push(`${name}: quarantined without a reason`);
      outcomes.stored += others.length;
      outcomes.quarantined += first.quarantined.length;
      // what was stored of the hostile event comes back as JSON data, as sent when the value is valid text
      for (const m of others) {
        const view = await shown(Number(m.conversation_id), m.network_message_id ?? '');
        if (view.status !== 200 || !view.type.startsWith('application/json')) wrong.push(`${name}: its conversation answers ${view.status} ${view.type}`);
        else if (!view.message) wrong.push(`${name}: the stored message ${String(m.network_message_id).slice(0, 40)} is not in its conversation's detail`);
        else {
          if (typeof view.message.text !== 'string') wrong.push(`${name}: the API shows text as ${typeof view.message.text}`);
          if (h.keeps !== undefined && at === k.fields.text && view.message.text !== (k.shows ?? String)(h.keeps)) wrong.push(`${name}: the API shows the text changed: ${JSON.stringify(String(view.message.text).slice(0, 120))}`);
          // a name is kept as sent, or (a handle, a display name) made well-formed: lone surrogates as U+FFFD, NULs dropped
          const author = JSON.stringify(view.message.author ?? {});
          if (h.keeps !== undefined && at === k.fields.name && ![h.keeps, wellFormedName(h.keeps)].some((n) => author.includes(JSON.stringify(n).slice(1, -1)))) wrong.push(`${name}: the API shows the author changed: ${JSON.stringify(view.message.author).slice(0, 200)}`);
        }
        // a time no network could have sent is not kept: the SLA clock, the queue's order and reports run on it
        if (!(Number(m.created_at) >= Date.UTC(2000, 0, 1) && Number(m.created_at) < Date.UTC(2100, 0, 1))) wrong.push(`${name}: stored with created_at ${m.created_at} (${new Date(Number(m.created_at)).toISOString?.() ?? 'not a date'})`);
      }
      // the same delivery again: nothing more stored, nothing more quarantined
      const again = await marks();
      const res2 = await post(k.network, body);
      if (res2.status !== res.status) wrong.push(`${name}: the redelivery answered ${res2.status}, the delivery ${res.status}`);
      const second = await since(again);
      if (second.messages.length) wrong.push(`${name}: the redelivery stored ${second.messages.length} messages again`);
      // an item the connector rejects is quarantined once (src/channels/quarantine.ts); one the pipeline refuses, each time (below)
      const again2 = second.quarantined.map((q) => `${name}: the redelivery quarantined it again (${q.source}: ${q.reason.slice(0, 100)})`);
      if (again2.length && first.quarantined.length && second.quarantined.every((q) => PIPELINE_REASON.test(q.reason))) requarantined.push(...again2);
      else wrong.push(...again2);
    }
    console.log(`hostile webhooks [${dialect}]: ${list.length} cases, ${deliveries * 2} deliveries; hostile events stored ${outcomes.stored}, quarantined ${outcomes.quarantined}`);
    expect(wrong).toEqual([]);
  }, 300_000);

  // KNOWN BUG (src/pipeline/ingest.ts, not this sweep's to fix; the patch is in the report of
  // 2026-12-06): the pipeline quarantines a webhook item its validation refuses (text over
  // 1,000,000 characters, no id, an id over 512 characters, a negative or absurd time, a name
  // over 512/2,048 characters) again on every redelivery, and Meta redelivers for a day and a
  // half. Marked as failing until the pipeline dedupes like quarantineOnce; then drop `.fails`.
  it('quarantines an item the pipeline refuses once, however often the delivery comes again', () => {
    expect(requarantined).toEqual([]);
  });

  it('one id twice in a delivery is stored once, and not again when the delivery comes again', async () => {
    const wrong: string[] = [];
    for (const k of KINDS) {
      const [a, b] = [uid(), uid()];
      const body = deliveryOf(k, [k.event(a, 1), k.event(a, 2), k.event(b, 3)]);
      const before = await marks();
      for (let i = 0; i < 2; i++) {
        const res = await post(k.network, body);
        if (res.status !== 200) wrong.push(`${k.network} ${k.name}: answered ${res.status} ${res.text.slice(0, 200)}`);
      }
      const got = await since(before);
      const counts: Record<string, number> = {};
      for (const m of got.messages) counts[String(m.network_message_id)] = (counts[String(m.network_message_id)] ?? 0) + 1;
      if (Object.keys(counts).length !== 2 || Object.values(counts).some((n) => n !== 1)) wrong.push(`${k.network} ${k.name}: stored ${JSON.stringify(counts)}`);
      if (got.quarantined.length > 1) wrong.push(`${k.network} ${k.name}: quarantined ${got.quarantined.length} times: ${got.quarantined.map((q) => q.reason).join(' | ')}`);
    }
    expect(wrong).toEqual([]);
  }, 60_000);
});
