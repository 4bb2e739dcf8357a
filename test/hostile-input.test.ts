/**
 * Hostile input, swept over every route the server registers (Fastify's own route list, checked
 * against the OpenAPI document, so a route added later is swept without being listed here):
 *  - bodies derived from the route's OpenAPI schema, one field spoiled at a time (wrong JSON types,
 *    nulls, missing required fields, NULs, lone surrogates, RTL overrides and zero-width characters,
 *    1 MB strings, numbers out of range), and whole bodies that are hostile (extra fields,
 *    `__proto__`/`constructor`/`prototype` keys, 10,000 levels of nesting, 1 MB and 10 MB bodies,
 *    invalid UTF-8, malformed JSON, an empty JSON body, a non-JSON content type, a body on GET);
 *  - path parameters that are not ids (non-numeric, negative, huge, `..%2f`, `%00`, very long);
 *  - querystrings with repeated keys, wrong types, huge values and unknown parameters.
 * Authenticated routes are called as the brand's admin (so no role check hides the handler); public
 * ones (login, webhooks, web chat) as the public calls them. Every answer is below 500, a refusal is
 * problem+json with a stable code and no stack or HTML, nothing hangs, the desk still answers
 * /api/health, a refused request changes no table (no row added, removed or updated: a trigger on
 * every table notes each change, so an UPDATE of one text column that keeps every count is caught;
 * only the columns below that authentication itself keeps current are left out), and no
 * prototype of the server's process is polluted. The generator is deterministic (no randomness), so
 * a failure names the request that reproduces it.
 */
import http from 'node:http';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { createChannelAccount } from '../src/commands/setup.js';
import { GraphContractServer } from './contract-servers/graph.js';
import { XContractServer } from './contract-servers/x.js';
import { Client, mention, startDesk, type TestDesk } from './helpers/parley.js';
import { registeredRoutes, routeKey, type Route } from './helpers/routes.js';

const NO_SUCH = 987_654_321;
const MB = 1024 * 1024;

/**
 * Columns a refused request may change by design, each with why (every other column of every table,
 * the job queue's included, must keep its value). The audit log records what was done, not what
 * was refused; refused sign-ins are counted in MAY_WRITE's table.
 */
const MAY_CHANGE: Record<string, { columns: string[]; why: string }> = {
  session: { columns: ['last_seen_at', 'expires_at'], why: 'authentication slides the session on (src/server/auth.ts, at most once a minute), before validation can refuse' },
  app_user: { columns: ['last_seen_at'], why: 'presence: the same step of authentication marks the person seen, and so does an open /api/events stream (src/server/routes/events.ts), in its own time; seen changing under a refused GET /api/events on PostgreSQL' },
};

/**
 * Tables a refused request writes by design, each with why: not watched. Only the count of
 * attempts: a sign-in, a reset link's try and a discovery are counted when they start, before they
 * are checked, in the database so that every process shares the count (src/server/auth.ts,
 * LoginGuard), and a refused one stays counted.
 */
const MAY_WRITE: Record<string, string> = {
  sign_in_attempt: 'attempts are counted when they start, before they are checked; refused ones stay counted (src/server/auth.ts, SignInLimits)',
  passkey_challenge: 'a passkey ceremony\'s challenge is taken (once) by the answer that names it, refused or not, and expired ones are pruned when one begins (src/commands/passkeys.ts)',
};

/** The table the sweep's triggers note every change in (created by the sweep, swept by nothing). */
const CHANGE_LOG = 'zz_sweep_change';

/** SCIM (src/server/routes/scim.ts): only a SCIM token is let in, and its refusals are RFC 7644 errors, not problem+json. */
const SCIM_NOT_SWEPT = 'a SCIM route: its hostile input is swept with a SCIM token in test/scim.test.ts, test/scim-groups.test.ts and test/scim-bulk.test.ts';

/** Routes not swept, each with why. */
const NOT_SWEPT: Record<string, string> = {
  'POST /api/auth/logout': 'it ends the admin\'s session the sweep runs in (it has no body or parameters to spoil)',
  'GET /scim/v2/ServiceProviderConfig': SCIM_NOT_SWEPT,
  'GET /scim/v2/ResourceTypes': SCIM_NOT_SWEPT,
  'GET /scim/v2/Schemas': SCIM_NOT_SWEPT,
  'GET /scim/v2/Users': SCIM_NOT_SWEPT,
  'POST /scim/v2/Users': SCIM_NOT_SWEPT,
  'GET /scim/v2/Users/:id': SCIM_NOT_SWEPT,
  'PUT /scim/v2/Users/:id': SCIM_NOT_SWEPT,
  'PATCH /scim/v2/Users/:id': SCIM_NOT_SWEPT,
  'DELETE /scim/v2/Users/:id': SCIM_NOT_SWEPT,
  'GET /scim/v2/Groups': SCIM_NOT_SWEPT,
  'POST /scim/v2/Groups': SCIM_NOT_SWEPT,
  'GET /scim/v2/Groups/:id': SCIM_NOT_SWEPT,
  'PUT /scim/v2/Groups/:id': SCIM_NOT_SWEPT,
  'PATCH /scim/v2/Groups/:id': SCIM_NOT_SWEPT,
  'DELETE /scim/v2/Groups/:id': SCIM_NOT_SWEPT,
  'POST /scim/v2/Bulk': SCIM_NOT_SWEPT,
};

/** Path parameters that are not record ids: a value the route knows, to reach its handler. */
const PATH_VALUES: Record<string, (x: Seeded) => string> = {
  network: () => 'x',
  name: () => 'volume',
};

/** Records the path ids name, so spoiled bodies and queries reach the handlers behind the lookup. */
interface Seeded { conversation: number; message: number; contact: number; account: number; webchat: number; team: number; user: number; incident: number; guideline: number; snippet: number; token: number; expertRequest: number }
const PATH_IDS: Record<string, (x: Seeded) => number> = {
  '/api/conversations/:id': (x) => x.conversation,
  '/api/contacts/:id': (x) => x.contact,
  '/api/messages/:id': (x) => x.message,
  '/api/channel-accounts/:id': (x) => x.account,
  '/api/teams/:id': (x) => x.team,
  '/api/users/:id': (x) => x.user,
  '/api/incidents/:id': (x) => x.incident,
  '/api/guidelines/:id': (x) => x.guideline,
  '/api/snippets/:id': (x) => x.snippet,
  '/api/tokens/:id': (x) => x.token,
  '/api/expert-requests/:id': (x) => x.expertRequest,
  '/webchat/:accountId': (x) => x.webchat,
};

/**
 * Networks whose connectors take webhooks: each webhook route is swept once for an account of each.
 * X and Facebook accounts are connected to their contract servers and every delivery is signed with
 * the app's secret, so hostile bodies pass the signature check and reach the connector's reading of
 * them; the others are swept unsigned (refused at the signature, as the public would be).
 */
const WEBHOOK_NETWORKS = ['instagram', 'mastodon', 'bluesky', 'email'] as const;

type Schema = { type?: string | string[]; properties?: Record<string, Schema>; required?: string[]; items?: Schema; enum?: unknown[]; const?: unknown; anyOf?: Schema[]; oneOf?: Schema[]; allOf?: Schema[]; format?: string; minLength?: number; maxLength?: number; minimum?: number; maximum?: number; exclusiveMinimum?: number; minItems?: number; default?: unknown; $ref?: string; pattern?: string; additionalProperties?: unknown };
interface Op { parameters?: { in: string; name: string; required?: boolean; schema: Schema }[]; requestBody?: { required?: boolean; content?: Record<string, { schema: Schema }> } }

/** A hostile request: what it is, and what to send. */
interface Case {
  what: string;
  path: string;
  method: string;
  /** Raw body (already serialized) and its content type. */
  body?: string | Buffer;
  type?: string;
  /** A correct desk refuses it (4xx); otherwise accepting it is fine too (stripped, stored verbatim). */
  mustRefuse: boolean;
}

const key = routeKey;

const typesOf = (s: Schema): string[] => {
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf)!.flatMap(typesOf);
  if (s.allOf) return s.allOf.flatMap(typesOf);
  if (s.const !== undefined) return [s.const === null ? 'null' : typeof s.const];
  if (s.enum) return [...new Set(s.enum.map((v) => (v === null ? 'null' : typeof v)))];
  if (s.type === undefined) return ['any'];
  return Array.isArray(s.type) ? s.type : [s.type];
};
const jsonType = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v);
/** Whether a JSON value's type is one the schema admits (nothing about its range). */
const admits = (s: Schema, v: unknown) => {
  const t = typesOf(s);
  const j = jsonType(v);
  return t.includes('any') || t.includes(j) || (j === 'integer' && t.includes('number')) || (j === 'string' && t.includes('string'));
};

/** A value the schema admits: required fields only, the first of each choice. */
function sample(s: Schema, depth = 0, name = ''): unknown {
  if (depth > 8) return null;
  if (s.const !== undefined) return s.const;
  if (s.enum) return s.enum[0];
  if (s.default !== undefined) return s.default;
  const alts = s.anyOf ?? s.oneOf;
  if (alts) return sample(alts.find((a) => !typesOf(a).every((t) => t === 'null')) ?? alts[0]!, depth + 1, name);
  if (s.allOf) return Object.assign({}, ...s.allOf.map((x) => sample(x, depth + 1)));
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      const o: Record<string, unknown> = {};
      for (const k of s.required ?? []) if (s.properties?.[k]) o[k] = sample(s.properties[k]!, depth + 1, k);
      return o;
    }
    case 'array': return Array.from({ length: s.minItems ?? 0 }, () => sample(s.items ?? {}, depth + 1));
    case 'integer':
    case 'number': return s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : Math.min(1, s.maximum ?? 1));
    case 'boolean': return false;
    case 'null': return null;
    case 'string': {
      if (s.format === 'date-time') return new Date(Date.UTC(2026, 0, 1)).toISOString();
      if (s.format === 'email' || /email/i.test(name)) return 'sweep@acme.test';
      if (/handle/i.test(name)) return 'sweephandle';
      if (s.format === 'uri' || s.format === 'url') return 'https://example.test/';
      return 'sweep-value-words'.padEnd(s.minLength ?? 0, 'x').slice(0, s.maxLength ?? 100);
    }
    default: return 'sweep';
  }
}

/** The fields of a body schema, to depth 2 (an array's first item stands for its items). */
function fieldsOf(s: Schema, at: (string | number)[] = [], depth = 0): { at: (string | number)[]; schema: Schema; required: boolean }[] {
  const obj = [s, ...(s.anyOf ?? s.oneOf ?? []), ...(s.allOf ?? [])].find((x) => x.properties);
  if (!obj || depth > 1) return [];
  return Object.entries(obj.properties!).flatMap(([k, v]) => {
    const here = { at: [...at, k], schema: v, required: (obj.required ?? []).includes(k) };
    const inner = [v, ...(v.anyOf ?? v.oneOf ?? [])];
    const items = inner.find((x) => x.items?.properties)?.items;
    return [here, ...fieldsOf(v, [...at, k], depth + 1), ...(items ? fieldsOf(items, [...at, k, 0], depth + 1) : [])];
  });
}

/** `base` with the value at `at` replaced (or removed: `undefined`), creating the parents it lacks. */
function withField(base: unknown, at: (string | number)[], value: unknown, parent: Schema): unknown {
  const copy = structuredClone(base ?? {}) as any;
  let o = copy;
  let s = parent;
  for (const k of at.slice(0, -1)) {
    const sub = typeof k === 'number' ? s.items ?? {} : [s, ...(s.anyOf ?? s.oneOf ?? [])].find((x) => x.properties?.[k])?.properties?.[k] ?? {};
    if (o[k] === null || typeof o[k] !== 'object') o[k] = typeof at[at.indexOf(k) + 1] === 'number' ? [sample(sub.items ?? {})] : sample(sub) ?? {};
    if (o[k] === null || typeof o[k] !== 'object') o[k] = {};
    o = o[k];
    s = sub;
  }
  const last = at[at.length - 1]!;
  if (value === undefined) delete o[last];
  else o[last] = value;
  return copy;
}

const nested = (n: number, open: string, close: string, inner = '1') => open.repeat(n) + inner + close.repeat(n);
/** JSON text whose own keys are `__proto__`, `constructor` and `prototype` (an object literal or JSON.stringify would drop them). */
const POLLUTE = '"__proto__":{"polluted":"yes","isAdmin":true,"role":"admin"},"constructor":{"prototype":{"polluted":"yes"}},"prototype":{"polluted":"yes"}';
const withPollution = (json: string) => (json.startsWith('{') && json !== '{}' ? `{${POLLUTE},${json.slice(1)}` : `{${POLLUTE}}`);

/** A field's spoiled values: [what, JSON text of the value, must a correct desk refuse it]. */
function spoiled(s: Schema, required: boolean): [string, string | undefined, boolean][] {
  const t = typesOf(s);
  const out: [string, string | undefined, boolean][] = [];
  if (required) out.push(['missing', undefined, true]);
  for (const [what, v] of [['null', null], ['a boolean', true], ['a number', 12345], ['a string', 'sweep'], ['an array', []], ['an object', {}]] as const) {
    if (!admits(s, v)) out.push([what, JSON.stringify(v), true]);
  }
  if (t.includes('string') || t.includes('any')) {
    out.push(['a NUL byte', JSON.stringify('before\u0000after'), false]);
    out.push(['a lone surrogate', '"lone \\ud800 surrogate \\udfff"', false]);
    out.push(['RTL overrides and zero-width characters', JSON.stringify('\u202egnp.exe\u202c\u200b\u200d\ufeff\u2066x\u2069'), false]);
    out.push(['1 MB', JSON.stringify('x'.repeat(MB)), false]);
  }
  if (t.includes('number') || t.includes('integer') || t.includes('any')) {
    for (const [what, v] of [['1e308', '1e308'], ['-1e308', '-1e308'], ['-0', '-0'], ['2^63', '9223372036854775808'], ['1.5', '1.5'], ['-1', '-1'], ['"NaN"', '"NaN"'], ['"1e999"', '"1e999"']] as const) {
      out.push([what, v, !t.includes('string') && v.startsWith('"')]);
    }
  }
  if (t.includes('object')) out.push(['an object with __proto__ keys', `{${POLLUTE}}`, false]);
  if (t.includes('array')) out.push(['10,000 nested arrays', nested(10_000, '[', ']'), false]);
  return out;
}

/** JSON text of `base` with the field at `at` set to the JSON text `value` (a marker, swapped in). */
function spoil(base: unknown, at: (string | number)[], value: string | undefined, schema: Schema): string {
  const marker = '\u0001spoiled\u0001';
  const body = withField(base, at, value === undefined ? undefined : marker, schema);
  return JSON.stringify(body).replace(JSON.stringify(marker), () => value ?? '');
}

/** Path parameter values that are not ids. */
const BAD_PATH = [
  ['non-numeric', 'abc'], ['negative', '-1'], ['zero', '0'], ['huge', '99999999999999999999'], ['a fraction', '1.5'], ['hex', '0x10'], ['exponent', '1e3'],
  ['..%2f', '..%2f..%2f..%2fetc%2fpasswd'], ['a percent-encoded NUL', '1%00'], ['a lone %', '%'], ['very long', '9'.repeat(4000)], ['an encoded lone surrogate', '%ED%A0%80'],
] as const;

function* casesFor(r: Route, op: Op | undefined, doc: { components?: { schemas?: Record<string, Schema> } }, fill: (bad?: [string, string]) => string): Generator<Case> {
  const deref = (s: Schema): Schema => (s.$ref ? deref(doc.components!.schemas![s.$ref.split('/').pop()!]!) : s);
  const path = fill();
  const write = r.method !== 'GET';
  const schema = op?.requestBody?.content?.['application/json']?.schema;
  const bodySchema = schema ? deref(schema) : undefined;
  const requiresBody = !!bodySchema && (op?.requestBody?.required ?? false) && (bodySchema.required?.length ?? 0) > 0;
  const base = bodySchema ? sample(bodySchema) : undefined;
  const json = (what: string, body: string | Buffer, mustRefuse: boolean, type = 'application/json'): Case => ({ what, path, method: r.method, body, type, mustRefuse });
  // the body, one field at a time (after the body as the schema describes it, which may well be accepted)
  if (bodySchema) {
    yield json('the sampled body', JSON.stringify(base), false);
    for (const f of fieldsOf(bodySchema)) {
      for (const [what, value, mustRefuse] of spoiled(deref(f.schema), f.required)) {
        yield json(`body ${f.at.join('.')}: ${what}`, spoil(base, f.at, value, bodySchema), mustRefuse);
      }
    }
  }
  // the body as a whole
  if (write) {
    const b = JSON.stringify(base ?? {});
    for (const [what, v] of [['null', 'null'], ['an array', '[]'], ['a string', '"sweep"'], ['a number', '1e308'], ['true', 'true']] as const) {
      yield json(`body ${what}`, v, requiresBody);
    }
    yield json('body {}', '{}', requiresBody);
    yield json('an extra field', `${b.slice(0, -1)}${b === '{}' ? '' : ','}"zzExtra":{"nested":[1,2,3]}}`, false);
    yield json('__proto__, constructor and prototype keys', withPollution(b), false);
    yield json('__proto__ keys nested in every field', JSON.stringify(base ?? {}, (_k, v) => (v && typeof v === 'object' && !Array.isArray(v) ? { ...v, zzNested: 'here' } : v)).replaceAll('"zzNested":"here"', POLLUTE), false);
    yield json('10,000 nested objects', nested(10_000, '{"a":', '}'), requiresBody);
    yield json('10,000 nested arrays', nested(10_000, '[', ']'), requiresBody);
    yield json('a field nested 10,000 levels', `${b.slice(0, -1)}${b === '{}' ? '' : ','}"zzDeep":${nested(10_000, '{"a":[', ']}')}}`, false);
    yield json('a 1 MB body', `${b.slice(0, -1)}${b === '{}' ? '' : ','}"zzPad":"${'x'.repeat(MB)}"}`, false);
    yield json('a 10 MB body', `${b.slice(0, -1)}${b === '{}' ? '' : ','}"zzPad":"${'x'.repeat(10 * MB)}"}`, false);
    yield json('invalid UTF-8 bytes', Buffer.concat([Buffer.from(b.slice(0, -1) + (b === '{}' ? '' : ',') + '"zzBytes":"'), Buffer.from([0xff, 0xfe, 0xc0, 0x80, 0xed, 0xa0, 0x80]), Buffer.from('"}')]), false);
    yield json('a UTF-8 BOM', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(b)]), false);
    yield json('malformed JSON', '{"a": ', true);
    yield json('a trailing comma', `${b.slice(0, -1)},}`, true);
    yield json('an empty body with a JSON content type', '', requiresBody);
    yield json('a non-JSON content type', b, requiresBody, 'text/plain');
    yield json('a form body', 'a=1&b=2', requiresBody, 'application/x-www-form-urlencoded');
    yield json('a JSON content type with a strange charset', b, false, 'application/json; charset=utf-7');
  } else {
    yield json('a body on GET', '{"a":1}', false);
  }
  // path parameters (and, for the UI's wildcard, the path itself)
  if (r.url === '*') for (const [what, v] of BAD_PATH) yield { what: `path: ${what}`, path: `/${v}`, method: r.method, mustRefuse: false };
  for (const p of r.url.match(/:(\w+)/g) ?? []) {
    for (const [what, v] of BAD_PATH) yield { what: `path ${p}: ${what}`, path: fill([p.slice(1), v]), method: r.method, mustRefuse: false, ...(write && base !== undefined ? { body: JSON.stringify(base), type: 'application/json' } : {}) };
  }
  // the querystring
  const query = (op?.parameters ?? []).filter((p) => p.in === 'query');
  const q = (what: string, qs: string, mustRefuse = false): Case => ({ what: `query ${what}`, path: `${path}${path.includes('?') ? '&' : '?'}${qs}`, method: r.method, mustRefuse, ...(write && base !== undefined ? { body: JSON.stringify(base), type: 'application/json' } : {}) });
  for (const p of query) {
    const n = encodeURIComponent(p.name);
    yield q(`${p.name} repeated`, `${n}=1&${n}=2&${n}=abc`);
    yield q(`${p.name} as an array`, `${n}[]=1&${n}[0]=2`);
    yield q(`${p.name} empty`, `${n}=`);
    yield q(`${p.name} non-numeric`, `${n}=abc`);
    yield q(`${p.name} huge number`, `${n}=99999999999999999999`);
    yield q(`${p.name} 1e308`, `${n}=1e308`);
    yield q(`${p.name} negative`, `${n}=-1`);
    yield q(`${p.name} NaN`, `${n}=NaN`);
    yield q(`${p.name} a NUL`, `${n}=a%00b`);
    yield q(`${p.name} an encoded lone surrogate`, `${n}=%ED%A0%80`);
    yield q(`${p.name} a lone %`, `${n}=%`);
    yield q(`${p.name} 8 KB`, `${n}=${'x'.repeat(8000)}`);
    yield q(`${p.name} a date far away`, `${n}=275760-09-13T00:00:00.001Z`);
  }
  yield q('unknown parameters', 'zzUnknown=1&__proto__[polluted]=yes&constructor[prototype][polluted]=yes');
}

/**
 * One request, sent as written (node:http, not fetch: fetch refuses a body on GET and normalizes
 * paths), with a 15 s limit: no answer by then is a hang.
 */
function request(base: string, c: Case, headers: Record<string, string>): Promise<{ status: number; type: string; text: string }> {
  const url = new URL(base);
  return new Promise((resolve) => {
    const req = http.request({ host: url.hostname, port: url.port, method: c.method, path: c.path, headers: { ...headers, ...(c.body !== undefined ? { 'content-length': String(Buffer.byteLength(c.body)) } : {}) } }, (res) => {
      const type = String(res.headers['content-type'] ?? '');
      if (type.includes('event-stream')) {
        req.destroy();
        return resolve({ status: res.statusCode!, type, text: '' });
      }
      const chunks: Buffer[] = [];
      res.on('data', (d: Buffer) => chunks.push(d));
      res.on('end', () => resolve({ status: res.statusCode!, type, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (err) => resolve({ status: 0, type: '', text: `the answer broke off: ${err.message}` }));
    });
    req.setTimeout(15_000, () => {
      req.destroy();
      resolve({ status: 0, type: '', text: 'no answer in 15 s' });
    });
    req.on('error', (err) => resolve({ status: 0, type: '', text: `the connection failed: ${err.message}` }));
    req.end(c.body);
  });
}

for (const dialect of DIALECTS) {
  describe(`hostile input on every route [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    let routes: Route[];
    let ops: Map<string, Op>;
    let doc: { paths: Record<string, Record<string, Op>>; components?: { schemas?: Record<string, Schema> } };
    let seeded: Seeded;
    const webhookAccounts: { network: string; id: number; sign?: (body: Buffer | string) => Record<string, string> }[] = [];
    let xServer: XContractServer | undefined;
    let graph: GraphContractServer | undefined;
    let visitorToken = '';
    let visitorUses = 0;
    let tables: string[];
    let hop = 0;

    /**
     * A trigger on every table notes each row inserted, deleted or updated (an update only when a
     * column other than MAY_CHANGE's took a different value, with the columns named) in CHANGE_LOG.
     * Cheaper than fingerprinting every table around every request, and exact: an UPDATE of one
     * text column that keeps every count is seen, an UPDATE that writes the same values is not.
     */
    async function watchChanges(db: Kysely<any>, all: { schema?: string; name: string; columns: { name: string }[] }[]) {
      const q = (x: string) => `"${x.replaceAll('"', '""')}"`;
      const lit = (x: string) => `'${x.replaceAll("'", "''")}'`;
      const nameOf = (t: { schema?: string; name: string }) => (t.schema && t.schema !== 'public' ? `${t.schema}.${t.name}` : t.name);
      if (dialect === 'sqlite') {
        await sql.raw(`create table ${CHANGE_LOG} (id integer primary key autoincrement, tbl text not null, op text not null, cols text)`).execute(db);
        // SQLite takes no trigger on a virtual table (the full-text index, message_fts) nor on its own
        // shadow tables: the index is derived from message rows and filled together with the
        // kv row 'fts.watermark', both watched, so a refusal that indexed anything is still seen
        const virtual = (await sql<{ name: string }>`select name from sqlite_master where type = 'table' and sql like 'CREATE VIRTUAL TABLE%'`.execute(db)).rows.map((r) => r.name);
        for (const t of all) {
          if (virtual.some((v) => t.name === v || t.name.startsWith(`${v}_`))) continue;
          const name = nameOf(t);
          if (MAY_WRITE[name]) continue;
          const watched = t.columns.map((c) => c.name).filter((c) => !MAY_CHANGE[name]?.columns.includes(c));
          const note = (op: string, cols = 'null') => `begin insert into ${CHANGE_LOG} (tbl, op, cols) values (${lit(name)}, '${op}', ${cols}); end`;
          await sql.raw(`create trigger ${q(`zz_sweep_i_${name}`)} after insert on ${q(t.name)} ${note('insert')}`).execute(db);
          await sql.raw(`create trigger ${q(`zz_sweep_d_${name}`)} after delete on ${q(t.name)} ${note('delete')}`).execute(db);
          const differs = (c: string) => `old.${q(c)} is not new.${q(c)}`;
          const cols = `trim(${watched.map((c) => `(case when ${differs(c)} then ${lit(` ${c}`)} else '' end)`).join(' || ')})`;
          await sql.raw(`create trigger ${q(`zz_sweep_u_${name}`)} after update on ${q(t.name)} when ${watched.map(differs).join(' or ')} ${note('update', cols)}`).execute(db);
        }
        return;
      }
      await sql.raw(`create table public.${CHANGE_LOG} (id bigserial primary key, tbl text not null, op text not null, cols text)`).execute(db);
      // to_jsonb compares every type (json columns have no equality operator); TG_ARGV holds the columns MAY_CHANGE leaves out
      await sql.raw(`create function public.zz_sweep_note() returns trigger language plpgsql as $$
        declare cols text;
        begin
          if tg_op = 'UPDATE' then
            select string_agg(n.key, ' ' order by n.key) into cols from jsonb_each(to_jsonb(new)) n
              where n.value is distinct from to_jsonb(old) -> n.key and not (n.key = any (coalesce(tg_argv, '{}')));
            if cols is null then return null; end if;
          end if;
          insert into public.${CHANGE_LOG} (tbl, op, cols)
            values (case when tg_table_schema = 'public' then tg_table_name else tg_table_schema || '.' || tg_table_name end, lower(tg_op), cols);
          return null;
        end $$`).execute(db);
      for (const t of all) {
        if (MAY_WRITE[nameOf(t)]) continue;
        const args = (MAY_CHANGE[nameOf(t)]?.columns ?? []).map(lit).join(', ');
        await sql.raw(`create trigger zz_sweep_change after insert or update or delete on ${t.schema ? `${q(t.schema)}.` : ''}${q(t.name)} for each row execute function public.zz_sweep_note(${args})`).execute(db);
      }
    }
    /** Where CHANGE_LOG stands now. */
    const mark = async () => Number((await sql<{ m: number | string | null }>`select max(id) as m from ${sql.table(CHANGE_LOG)}`.execute(desk.db.store.db)).rows[0]?.m ?? 0);
    /**
     * Wait until the work a request set off is done, by the desk's own signals, not a quiet
     * interval: the ingest queue (webhooks, web chat, the ingest API), then the work the workflow
     * sets off by itself after a command has answered (a triage correction's SLA re-evaluation,
     * which writes `conversation.sla` and the `sla:<id>` timer job once the correction's 200 is
     * sent). Waited for before each request, so an accepted request's after-work is never blamed
     * on the next one, and after a refused one before its changes are read, so work a refusal
     * set off is blamed on it.
     */
    async function settle() {
      await desk.parley.services.queue.idle();
      await desk.parley.services.workflow.idle();
    }
    /** The changes noted after `since`: `table insert ×2`, `table update col1 col2`. */
    const changesSince = async (since: number) => {
      const rows = (await sql<{ tbl: string; op: string; cols: string | null; n: number | string }>`select tbl, op, cols, count(*) as n from ${sql.table(CHANGE_LOG)} where id > ${since} group by tbl, op, cols order by tbl, op, cols`.execute(desk.db.store.db)).rows;
      return rows.map((r) => `${r.tbl} ${r.op}${r.cols ? ` ${r.cols}` : ''}${Number(r.n) > 1 ? ` ×${r.n}` : ''}`);
    };

    async function newVisitor() {
      const res = await fetch(`${desk.url}/webchat/${seeded.webchat}/sessions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-forwarded-for': `10.9.${(hop >> 8) & 255}.${hop++ & 255}` }, body: '{}' });
      const j = (await res.json()) as { token?: string };
      expect(res.status, JSON.stringify(j)).toBeLessThan(300);
      visitorToken = j.token!;
      visitorUses = 0;
    }

    /** Send as the route's caller would: the admin's session, a web chat visitor's token, or nobody. */
    async function send(r: Route, c: Case, sign?: (body: Buffer | string) => Record<string, string>) {
      const headers: Record<string, string> = { 'x-forwarded-for': `10.${(hop >> 16) & 255}.${(hop >> 8) & 255}.${hop++ & 255}` };
      if (c.type) headers['content-type'] = c.type;
      if (r.url.startsWith('/api/') && !r.url.startsWith('/api/webhooks/') && r.url !== '/api/auth/login') {
        headers.cookie = admin.cookie;
        headers['x-csrf-token'] = admin.csrf;
      }
      if (r.url.startsWith('/webchat/') && r.url.endsWith('/messages')) headers.authorization = `Bearer ${visitorToken}`;
      if (sign) Object.assign(headers, sign(c.body ?? ''));
      return request(desk.url, c, headers);
    }

    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false, config: { trustProxy: 1 } });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
      const ingested = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare my parcel is lost' })] });
      expect(ingested.status, JSON.stringify(ingested.json)).toBe(200);
      const { conversationId, messageId } = ingested.json.outcomes[0];
      const detail = await admin.get(`/api/conversations/${conversationId}`);
      const chat = await admin.post('/api/channel-accounts', { network: 'webchat', handle: 'Acme chat', externalId: 'acme-hostile-chat', settings: { allowedOrigins: [] } });
      expect(chat.status, JSON.stringify(chat.json)).toBeLessThan(300);
      const made = async (path: string, body: unknown) => {
        const res = await admin.post(path, body);
        expect(res.status, `${path}: ${JSON.stringify(res.json)}`).toBeLessThan(300);
        return res.json.id as number;
      };
      seeded = {
        conversation: conversationId, message: messageId, contact: detail.json.contact.id, account: desk.accountId, webchat: chat.json.id, team: desk.teamId, user: desk.users.ben,
        incident: await made('/api/incidents', { title: 'Hostile outage', reason: 'made by the sweep' }),
        guideline: await made('/api/guidelines', { code: 'hostile-rule', title: 'Hostile rule', description: 'No personal attacks', allowedActions: ['hide'] }),
        snippet: await made('/api/snippets', { shortcut: 'hostile', title: 'Hostile', body: 'A snippet for the sweep' }),
        token: await made('/api/tokens', { name: 'hostile token' }),
        expertRequest: await made(`/api/conversations/${conversationId}/expert-requests`, { expertId: desk.users.expert, question: 'Is this covered?' }),
      };
      xServer = await XContractServer.start();
      graph = await GraphContractServer.start();
      const x = await admin.post('/api/channel-accounts', { network: 'x', handle: xServer.brand.username, externalId: xServer.brand.id, credentials: xServer.credentials(), settings: { apiBaseUrl: xServer.url } });
      const fb = await admin.post('/api/channel-accounts', { network: 'facebook', handle: graph.page.name, externalId: graph.page.id, credentials: graph.credentials('facebook'), settings: { apiBaseUrl: graph.url } });
      expect([x.status, fb.status], JSON.stringify([x.json, fb.json])).toEqual([201, 201]);
      webhookAccounts.push({ network: 'x', id: x.json.id, sign: (b) => ({ 'x-twitter-webhooks-signature': xServer!.sign(b) }) });
      webhookAccounts.push({ network: 'facebook', id: fb.json.id, sign: (b) => ({ 'x-hub-signature-256': graph!.sign(b) }) });
      for (const network of WEBHOOK_NETWORKS) {
        webhookAccounts.push({ network, id: await createChannelAccount(desk.db.store.db, { brandId: desk.brandId, network, handle: `hostile_${network}`, driver: network }, Date.now()) });
      }
      await newVisitor();

      routes = registeredRoutes(desk.parley.app.printRoutes({ commonPrefix: false }));
      doc = desk.parley.app.swagger() as typeof doc;
      ops = new Map();
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) ops.set(`${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`, op);
      }
      // every table, the job queue's included (graphile-worker's on PostgreSQL): a refused request enqueues nothing either
      const all = (await desk.db.store.db.introspection.getTables()).filter((t) => !t.isView);
      tables = all.map((t) => (t.schema && t.schema !== 'public' ? `${t.schema}.${t.name}` : t.name));
      await watchChanges(desk.db.store.db, all);
    }, 60_000);
    afterAll(async () => {
      await desk?.stop();
      await xServer?.stop();
      await graph?.stop();
    });

    it('knows every registered route, and the OpenAPI document describes each /api/ one', () => {
      const registered = routes.map(key);
      expect(registered.length).toBeGreaterThan(80);
      for (const documented of ops.keys()) expect(registered, `the route list misses ${documented}`).toContain(documented);
      expect(registered.filter((k) => k.includes(' /api/') && !ops.has(k) && k !== 'GET /api/openapi.json'), 'routes the OpenAPI document does not describe').toEqual([]);
      expect(Object.keys(NOT_SWEPT).filter((k) => !registered.includes(k)), 'routes listed as not swept that the server no longer has').toEqual([]);
      expect(Object.keys(MAY_CHANGE).filter((t) => !tables.includes(t)), 'tables MAY_CHANGE names that the database no longer has').toEqual([]);
      expect(Object.keys(MAY_WRITE).filter((t) => !tables.includes(t)), 'tables MAY_WRITE names that the database no longer has').toEqual([]);
    });

    it('sees a refusal change nothing but the columns MAY_CHANGE names: an UPDATE of one text column is seen though every count stays', async () => {
      const db = desk.db.store.db;
      for (const [t, { columns }] of Object.entries(MAY_CHANGE)) {
        const have = (await db.introspection.getTables()).find((x) => x.name === t)!.columns.map((c) => c.name);
        expect(columns.filter((c) => !have.includes(c)), `${t}: columns MAY_CHANGE names that it no longer has`).toEqual([]);
      }
      const at = await mark();
      await sql`update contact set display_name = display_name where id = ${seeded.contact}`.execute(db);
      await sql`update session set last_seen_at = last_seen_at + 1`.execute(db);
      expect(await changesSince(at), 'the same values written again, and a session seen').toEqual([]);
      const { display_name: was } = await db.selectFrom('contact').select('display_name').where('id', '=', seeded.contact).executeTakeFirstOrThrow();
      const count = async () => Number((await sql<{ n: number | string }>`select count(*) as n from contact`.execute(db)).rows[0]!.n);
      const n = await count();
      await sql`update contact set display_name = ${'Mallory <b>'}, crm_customer_id = crm_customer_id where id = ${seeded.contact}`.execute(db);
      expect(await count(), 'the row count the sweep checked before').toBe(n);
      expect(await changesSince(at)).toEqual(['contact update display_name']);
      // put it back (a change too), so the sweep runs on the seeded records as they were
      const back = await mark();
      await db.updateTable('contact').set({ display_name: was }).where('id', '=', seeded.contact).execute();
      expect(await changesSince(back)).toEqual(['contact update display_name']);
    });

    it('reads brackets and quotes inside strings as text, not nesting: a note of 1,000 brackets is kept as written', async () => {
      const text = `${'[{'.repeat(500)} \\" ${'}]'.repeat(10)}`;
      const res = await admin.post(`/api/conversations/${seeded.conversation}/notes`, { text });
      expect(res.status, JSON.stringify(res.json)).toBe(201);
      const detail = await admin.get(`/api/conversations/${seeded.conversation}`);
      expect(JSON.stringify(detail.json)).toContain(JSON.stringify(text).slice(1, -1));
    });

    it('answers every hostile request below 500, as problem+json when it refuses, changes nothing when it refuses, and keeps answering', async () => {
      const wrong: string[] = [];
      const accepted: string[] = [];
      /** Routes whose body, as sampled from the schema, fails validation (their handlers are reached only by what passes). */
      const unsampled: string[] = [];
      let requests = 0;
      let swept = 0;
      /** The request sent before this one (a refusal's failure names it: after-work it left is blamed on the next). */
      let previous = 'none';
      for (const r of routes) {
        if (NOT_SWEPT[key(r)]) continue;
        swept++;
        const webhook = r.url.startsWith('/api/webhooks/');
        for (const target of webhook ? webhookAccounts : [undefined]) {
          const fill = (bad?: [string, string]) => r.url.replace(/:(\w+)/g, (_m, name: string, offset: number) => {
            if (bad?.[0] === name) return bad[1];
            if (target) return String(name === 'network' ? target.network : target.id);
            const known = PATH_VALUES[name] ?? PATH_IDS[r.url.slice(0, offset) + `:${name}`];
            return String(known ? known(seeded) : NO_SUCH);
          }).replace(/^\*$/, '/sweep/page');
          for (const c of casesFor(r, ops.get(key(r)), doc, fill)) {
            const write = c.method !== 'GET';
            if (r.url.startsWith('/webchat/') && r.url.endsWith('/messages') && visitorUses++ >= 15) await newVisitor();
            await settle();
            const before = await mark();
            const res = await send(r, c, target?.sign);
            requests++;
            if (c.what === 'the sampled body' && res.status === 400 && /"code":"validation"/.test(res.text)) unsampled.push(`${key(r)}: ${res.text.slice(0, 160)}`);
            const what = `${key(r)} ${c.what} (${c.method} ${c.path.slice(0, 120)}): ${res.status}`;
            const prior = previous;
            previous = what;
            const ui = r.url === '*';
            // the UI's wildcard answers 503 with how to build the UI when it is not built (another process may be building it)
            const unbuilt = ui && res.status === 503 && /web UI is not built/.test(res.text);
            if (res.status === 0 || (res.status >= 500 && !unbuilt)) {
              wrong.push(`${what} ${res.text.slice(0, 300)}`);
              continue;
            }
            if (!ui && res.type.startsWith('text/html')) wrong.push(`${what}: an API route answers HTML: ${res.text.slice(0, 200)}`);
            if (res.status >= 400 && !ui) {
              if (/\bat [\w.<>]+ \(|node_modules|\/src\/|\.ts:\d+|Error: /.test(res.text)) wrong.push(`${what}: the refusal leaks a stack trace: ${res.text.slice(0, 300)}`);
              const body = (() => { try { return JSON.parse(res.text); } catch { return null; } })();
              const webhookOwn = r.url.startsWith('/api/webhooks/') && res.status !== 400 && res.status !== 404 && res.status !== 413 && res.status !== 415;
              if (!webhookOwn && (!res.type.startsWith('application/problem+json') || body?.status !== res.status || typeof body?.code !== 'string' || typeof body?.detail !== 'string')) {
                wrong.push(`${what}: a refusal that is not problem+json with a code: ${res.type} ${res.text.slice(0, 200)}`);
              }
            }
            if (res.status >= 400) {
              // a refusal changes nothing (a refused GET neither), nor sets off work that does
              await settle();
              const changed = await changesSince(before);
              if (changed.length) wrong.push(`${what}: refused, but the database changed: ${changed.join(', ')} (the request before: ${prior})`);
            } else {
              if (c.mustRefuse) wrong.push(`${what}: accepted a request a correct desk refuses: ${res.text.slice(0, 200)}`);
              accepted.push(`${key(r)} ${c.what}`);
            }
          }
        }
        const health = await fetch(`${desk.url}/api/health`);
        if (health.status !== 200) wrong.push(`after ${key(r)}: /api/health answers ${health.status}`);
      }
      console.log(`hostile input [${dialect}]: ${swept} routes, ${requests} requests, ${accepted.length} accepted (stripped or stored verbatim); sampled bodies failing validation: ${unsampled.length}\n${unsampled.join('\n')}`);
      expect(swept).toBeGreaterThan(80);
      expect(wrong).toEqual([]);
      // no prototype of the server's process was polluted
      for (const proto of [Object.prototype, Array.prototype, Function.prototype, String.prototype]) {
        for (const k of ['polluted', 'isAdmin', 'role', 'nested', 'a']) expect(Object.prototype.hasOwnProperty.call(proto, k), `${k} on a prototype`).toBe(false);
      }
      expect(({} as any).polluted).toBeUndefined();
      expect(({} as any).isAdmin).toBeUndefined();
      expect(([] as any).polluted).toBeUndefined();
      // and the desk still works
      const me = await admin.get('/api/me');
      expect(me.status).toBe(200);
    }, 300_000);
  });
}
