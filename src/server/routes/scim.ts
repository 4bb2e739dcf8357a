/**
 * SCIM 2.0 provisioning (docs/sso.md, "Provisioning with SCIM"; the commands:
 * ../../commands/scim.ts, the protocol's parsing: ../../core/scim.ts):
 *  - `/api/scim-tokens`: the admins' SCIM tokens (made from a session, shown once);
 *  - `/scim/v2/*`: the service provider an identity provider (Okta, Entra ID…) calls with a SCIM
 *    token, in an encapsulated context of its own: its bearer token is the only credential there
 *    (the desk's authentication hook covers /api/ only, and a session or API token is not a SCIM
 *    token), its bodies are `application/scim+json` or `application/json`, and every refusal is
 *    RFC 7644's error (`urn:ietf:params:scim:api:messages:2.0:Error`), never problem+json or HTML.
 *    Users and Groups (the brand's teams SCIM provisions); a single resource is answered with its
 *    version as `ETag`, `If-None-Match` on a GET is a 304 when it has not changed, and `If-Match`
 *    on PUT, PATCH and DELETE a 412 when it has. `/Bulk` runs many of those writes in one request
 *    (RFC 7644 §3.7), each as its own request would (../../commands/scim.ts, `scimWrite`).
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  asScimError, authenticateScim, createScimToken, getScimGroup, getScimUser, listScimGroups, listScimTokens, listScimUsers, revokeScimToken, runScimBulk, scimWrite, SCIM_ROLES, type ScimClient, type ScimWrite,
} from '../../commands/scim.js';
import {
  etagMatches, parseBulk, parseFilter, parseGroupFilter, ScimError, scimErrorBody, SCIM_BULK, SCIM_GROUP_SCHEMA, SCIM_LIST_SCHEMA, SCIM_MAX, SCIM_USER_SCHEMA,
} from '../../core/scim.js';
import { AppError } from '../../errors.js';
import { requireRole } from '../auth.js';
import { deskOrigin } from '../origin.js';
import { scanJson, type App } from '../http.js';

export const SCIM_BASE_PATH = '/scim/v2';
const SCIM_TYPE = 'application/scim+json; charset=utf-8';

const tokenSchema = z.object({
  id: z.number(), label: z.string(), prefix: z.string().describe('the token\'s first characters (never the secret)'), role: z.enum(SCIM_ROLES).describe('the role of the people it creates'),
  createdAt: z.string(), lastUsedAt: z.string().nullable(), revokedAt: z.string().nullable(),
  teamIds: z.array(z.number()).describe('the teams it provisions as SCIM groups'),
});

declare module 'fastify' {
  interface FastifyRequest {
    scim?: ScimClient;
  }
}

export function scimRoutes(app: App) {
  const s = app.services;
  const deps = s;
  const baseUrl = (req: FastifyRequest) => `${deskOrigin(s.config, req)}${SCIM_BASE_PATH}`;

  // -- the admins' tokens

  app.get('/api/scim-tokens', {
    schema: { tags: ['admin'], summary: 'The brand\'s SCIM tokens (never the secret) and the SCIM base URL to give the identity provider', response: { 200: z.object({ baseUrl: z.string(), items: z.array(tokenSchema) }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    return { baseUrl: baseUrl(req), items: (await listScimTokens(s.store.db, a.user.brand_id)) as z.infer<typeof tokenSchema>[] };
  });

  app.post('/api/scim-tokens', {
    schema: {
      tags: ['admin'], summary: 'Create a SCIM token for the brand\'s identity provider (shown once): it authenticates /scim/v2 of this brand only; the people it creates get `role` (never admin)',
      body: z.strictObject({ label: z.string().trim().min(1).max(100), role: z.enum(SCIM_ROLES).default('agent') }),
      response: { 201: tokenSchema.extend({ token: z.string(), baseUrl: z.string() }) },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    if (a.via !== 'session') throw new AppError(403, 'forbidden', 'SCIM tokens are created by a signed-in admin, not by a token');
    const now = s.clock.now();
    const made = await s.store.db.transaction().execute((trx) => createScimToken(trx, { brandId: a.user.brand_id, label: req.body.label, role: req.body.role, actor: a.actor }, now));
    const item = (await listScimTokens(s.store.db, a.user.brand_id)).find((t) => t.id === made.id)! as z.infer<typeof tokenSchema>;
    return reply.code(201).send({ ...item, token: made.token, baseUrl: baseUrl(req) });
  });

  app.delete('/api/scim-tokens/:id', {
    schema: { tags: ['admin'], summary: 'Revoke a SCIM token (it stops working at once; revoking it again is a no-op)', params: z.object({ id: z.coerce.number().int().positive() }), response: { 200: z.object({ item: tokenSchema }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    await s.store.db.transaction().execute((trx) => revokeScimToken(trx, { brandId: a.user.brand_id, id: req.params.id, actor: a.actor }, s.clock.now()));
    return { item: (await listScimTokens(s.store.db, a.user.brand_id)).find((t) => t.id === req.params.id)! as z.infer<typeof tokenSchema> };
  });

  // -- the service provider

  void app.register(async (scim) => {
    const send = (reply: FastifyReply, status: number, body: unknown) => reply.code(status).type(SCIM_TYPE).send(JSON.stringify(body));
    /** One resource, with its version as ETag (RFC 7644 §3.14). */
    const sendOne = (reply: FastifyReply, status: number, r: { meta: { version: string; location: string } }) => send(reply.header('etag', r.meta.version), status, r);
    /** A GET of one resource: 304 when the client's If-None-Match names its version. */
    const sendRead = (req: FastifyRequest, reply: FastifyReply, r: { meta: { version: string; location: string } }) => {
      if (etagMatches(header(req, 'if-none-match'), r.meta.version)) return reply.code(304).header('etag', r.meta.version).send();
      return sendOne(reply, 200, r);
    };
    const ifMatch = (req: FastifyRequest) => header(req, 'if-match');
    const bad = (reply: FastifyReply, status: number, detail: string, scimType?: string) => send(reply, status, scimErrorBody(status, detail, scimType));

    scim.addContentTypeParser('application/scim+json', { parseAs: 'buffer' }, (_req, body: Buffer, done) => {
      if (body.length === 0) return done(null, undefined);
      const scan = scanJson(body);
      if (scan.tooDeep) return done(new ScimError(400, 'the request body nests too deep', 'invalidSyntax'), undefined);
      if (scan.nul) return done(new ScimError(400, 'text may not contain the NUL character (U+0000)', 'invalidValue'), undefined);
      try {
        done(null, JSON.parse(body.toString('utf8')));
      } catch {
        done(new ScimError(400, 'the request body is not valid JSON', 'invalidSyntax'), undefined);
      }
    });

    scim.setErrorHandler((err: FastifyError | AppError | ScimError | Error, req, reply) => {
      const refusal = asScimError(err);
      if (refusal) return bad(reply, refusal.status, refusal.detail, refusal.scimType);
      const status = (err as FastifyError).statusCode;
      // RFC 7644 §3.7.4: a Bulk request over a limit names it
      const tooLarge = req.routeOptions.url === `${SCIM_BASE_PATH}/Bulk` ? `the request is larger than maxPayloadSize (${SCIM_BULK.maxPayloadSize} bytes)` : 'the request body is too large';
      if (status && status >= 400 && status < 500) return bad(reply, status, status === 413 ? tooLarge : err.message, status === 400 ? 'invalidSyntax' : undefined);
      req.log.error({ err }, 'unhandled error in SCIM');
      return bad(reply, 500, 'something went wrong on our side; it has been logged');
    });

    // the SCIM token is the only credential here: read before the body is
    scim.addHook('onRequest', async (req) => {
      req.scim = await authenticateScim(s.store.db, req.headers.authorization, s.clock.now());
    });

    const client = (req: FastifyRequest) => req.scim!;
    const opts = { schema: { hide: true }, bodyLimit: 256 * 1024 } as const;
    type IdReq = FastifyRequest<{ Params: { id: string } }>;
    /** A write of one resource: its status, the resource with its version (none after a DELETE). */
    const write = async (req: FastifyRequest, reply: FastifyReply, w: ScimWrite) => {
      const out = await scimWrite(deps, client(req), w, baseUrl(req));
      if (!out.resource) return reply.code(out.status).send();
      if (w.method === 'POST') reply.header('location', out.resource.meta.location);
      return sendOne(reply, out.status, out.resource);
    };
    const idOf = (req: FastifyRequest) => (req.params as { id: string }).id;

    scim.get('/ServiceProviderConfig', opts, async (req, reply) => send(reply, 200, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig'],
      patch: { supported: true },
      bulk: { supported: true, maxOperations: SCIM_BULK.maxOperations, maxPayloadSize: SCIM_BULK.maxPayloadSize },
      filter: { supported: true, maxResults: 200 },
      changePassword: { supported: false },
      sort: { supported: false },
      etag: { supported: true },
      authenticationSchemes: [{ type: 'oauthbearertoken', name: 'OAuth Bearer Token', description: 'A SCIM token an admin of the brand creates in Parley (Settings → Single sign-on → Provisioning)', primary: true }],
      meta: { resourceType: 'ServiceProviderConfig', location: `${baseUrl(req)}/ServiceProviderConfig` },
    }));

    scim.get('/ResourceTypes', opts, async (req, reply) => send(reply, 200, {
      schemas: [SCIM_LIST_SCHEMA], totalResults: 2, startIndex: 1, itemsPerPage: 2,
      Resources: [{
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'User', name: 'User', endpoint: '/Users', description: 'A person of the brand', schema: SCIM_USER_SCHEMA,
        meta: { resourceType: 'ResourceType', location: `${baseUrl(req)}/ResourceTypes/User` },
      }, {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:ResourceType'], id: 'Group', name: 'Group', endpoint: '/Groups', description: 'A team of the brand (its members are Users)', schema: SCIM_GROUP_SCHEMA,
        meta: { resourceType: 'ResourceType', location: `${baseUrl(req)}/ResourceTypes/Group` },
      }],
    }));

    scim.get('/Schemas', opts, async (req, reply) => {
      const attr = (name: string, type: string, over: Record<string, unknown> = {}) => ({ name, type, multiValued: false, required: false, caseExact: false, mutability: 'readWrite', returned: 'default', uniqueness: 'none', ...over });
      const user = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'], id: SCIM_USER_SCHEMA, name: 'User', description: 'A person of the brand',
        attributes: [
          attr('userName', 'string', { required: true, uniqueness: 'server', description: 'The person\'s email address (lower-cased)' }),
          attr('name', 'complex', { subAttributes: [attr('formatted', 'string'), attr('givenName', 'string'), attr('familyName', 'string')] }),
          attr('displayName', 'string'),
          attr('active', 'boolean'),
          attr('externalId', 'string', { caseExact: true }),
          attr('emails', 'complex', { multiValued: true, description: 'The same address as userName', subAttributes: [attr('value', 'string'), attr('type', 'string'), attr('primary', 'boolean')] }),
        ],
        meta: { resourceType: 'Schema', location: `${baseUrl(req)}/Schemas/${SCIM_USER_SCHEMA}` },
      };
      const group = {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:Schema'], id: SCIM_GROUP_SCHEMA, name: 'Group', description: 'A team of the brand: a queue routing fills, or an expert group',
        attributes: [
          attr('displayName', 'string', { required: true, uniqueness: 'server', description: `The team's name (unique in the brand, in any case; at most ${SCIM_MAX.groupName} characters)` }),
          attr('externalId', 'string', { caseExact: true }),
          attr('members', 'complex', {
            multiValued: true, description: `The team's members: Users of the brand (at most ${SCIM_MAX.members} in one request)`,
            subAttributes: [attr('value', 'string', { mutability: 'immutable' }), attr('display', 'string', { mutability: 'readOnly' }), attr('type', 'string', { mutability: 'immutable', canonicalValues: ['User'] }), attr('$ref', 'reference', { mutability: 'immutable', referenceTypes: ['User'] })],
          }),
        ],
        meta: { resourceType: 'Schema', location: `${baseUrl(req)}/Schemas/${SCIM_GROUP_SCHEMA}` },
      };
      return send(reply, 200, { schemas: [SCIM_LIST_SCHEMA], totalResults: 2, startIndex: 1, itemsPerPage: 2, Resources: [user, group] });
    });

    scim.get('/Users', opts, async (req: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
      const q = req.query ?? {};
      if (q.filter !== undefined && typeof q.filter !== 'string') throw new ScimError(400, 'one filter at most', 'invalidFilter');
      const filter = typeof q.filter === 'string' && q.filter.trim() ? parseFilter(q.filter) : undefined;
      return send(reply, 200, await listScimUsers(deps, client(req), { filter, startIndex: one(q.startIndex), count: one(q.count) }, baseUrl(req)));
    });

    scim.get('/Users/:id', opts, async (req: IdReq, reply) => sendRead(req, reply, await getScimUser(deps, client(req), req.params.id, baseUrl(req))));

    scim.post('/Users', opts, async (req, reply) => write(req, reply, { method: 'POST', resource: 'Users', body: req.body }));
    scim.put('/Users/:id', opts, async (req, reply) => write(req, reply, { method: 'PUT', resource: 'Users', id: idOf(req), body: req.body, ifMatch: ifMatch(req) }));
    scim.patch('/Users/:id', opts, async (req, reply) => write(req, reply, { method: 'PATCH', resource: 'Users', id: idOf(req), body: req.body, ifMatch: ifMatch(req) }));
    scim.delete('/Users/:id', opts, async (req, reply) => write(req, reply, { method: 'DELETE', resource: 'Users', id: idOf(req), ifMatch: ifMatch(req) }));

    scim.get('/Groups', opts, async (req: FastifyRequest<{ Querystring: Record<string, unknown> }>, reply) => {
      const q = req.query ?? {};
      if (q.filter !== undefined && typeof q.filter !== 'string') throw new ScimError(400, 'one filter at most', 'invalidFilter');
      const filter = typeof q.filter === 'string' && q.filter.trim() ? parseGroupFilter(q.filter) : undefined;
      const list = await listScimGroups(deps, client(req), { filter, startIndex: one(q.startIndex), count: one(q.count) }, baseUrl(req));
      // Entra ID asks excludedAttributes=members when it only looks a group up
      if (withoutMembers(q)) for (const g of list.Resources as { members?: unknown }[]) delete g.members;
      return send(reply, 200, list);
    });

    scim.get('/Groups/:id', opts, async (req: FastifyRequest<{ Params: { id: string }; Querystring: Record<string, unknown> }>, reply) => {
      const group = await getScimGroup(deps, client(req), req.params.id, baseUrl(req));
      if (withoutMembers(req.query ?? {})) {
        const { members: _m, ...rest } = group;
        return sendRead(req, reply, rest);
      }
      return sendRead(req, reply, group);
    });

    scim.post('/Groups', opts, async (req, reply) => write(req, reply, { method: 'POST', resource: 'Groups', body: req.body }));
    scim.put('/Groups/:id', opts, async (req, reply) => write(req, reply, { method: 'PUT', resource: 'Groups', id: idOf(req), body: req.body, ifMatch: ifMatch(req) }));
    scim.patch('/Groups/:id', opts, async (req, reply) => write(req, reply, { method: 'PATCH', resource: 'Groups', id: idOf(req), body: req.body, ifMatch: ifMatch(req) }));
    scim.delete('/Groups/:id', opts, async (req, reply) => write(req, reply, { method: 'DELETE', resource: 'Groups', id: idOf(req), ifMatch: ifMatch(req) }));

    // RFC 7644 §3.7: many writes in one request; 200 with a BulkResponse (each operation's own status in it)
    scim.post('/Bulk', { ...opts, bodyLimit: SCIM_BULK.maxPayloadSize }, async (req, reply) => {
      const bulk = parseBulk(req.body);
      return send(reply, 200, await runScimBulk(deps, client(req), bulk, baseUrl(req), (err) => req.log.error({ err }, 'unhandled error in a SCIM bulk operation')));
    });

    // anything else here (/Me…) is a SCIM 404, never the web UI's page (its wildcard would serve it);
    // Fastify's printRoutes leaves this wildcard out, so the route sweeps (tenant isolation, hostile input) do not list it
    scim.route({ method: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'], url: '/*', ...opts, handler: async (req) => {
      throw new ScimError(404, `no SCIM endpoint ${req.method} ${req.url.split('?')[0]!.slice(0, 100)} (Users, Groups and Bulk only: /Me is not supported)`);
    } });
  }, { prefix: SCIM_BASE_PATH });
}

/** A query parameter given once (repeated: the first). */
const one = (v: unknown) => (Array.isArray(v) ? v[0] : v);

/** A request header given once (repeated: joined, as HTTP lists are). */
const header = (req: FastifyRequest, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
};

/** Whether `excludedAttributes` names members (RFC 7644 §3.9). */
const withoutMembers = (q: Record<string, unknown>) => {
  const v = one(q.excludedAttributes);
  return typeof v === 'string' && v.split(',').some((a) => /^\s*(urn:ietf:params:scim:schemas:core:2\.0:Group:)?members\s*$/i.test(a));
};
