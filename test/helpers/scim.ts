/**
 * SCIM 2.0 requests for tests (test/scim*.test.ts): one request with a bearer token as an
 * identity provider sends it, and the check of an RFC 7644 §3.12 error answer.
 */
import { expect } from 'vitest';
import { Client } from './parley.js';

export const SCIM_ERROR = 'urn:ietf:params:scim:api:messages:2.0:Error';
export const SCIM_USER = 'urn:ietf:params:scim:schemas:core:2.0:User';
export const SCIM_GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
export const SCIM_PATCH = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

export interface ScimAnswer { status: number; json: any; type: string; location: string | null; etag: string | null }

/** `method` `/scim/v2<path>` on the desk at `url` with `token`; a body goes as application/scim+json unless `type` says otherwise. */
export async function scimRequest(url: string, token: string, method: string, path: string, body?: unknown, opts: { headers?: Record<string, string>; type?: string } = {}): Promise<ScimAnswer> {
  const res = await new Client(url).req(method, `/scim/v2${path}`, body, { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': opts.type ?? 'application/scim+json' } : {}), ...opts.headers });
  return { status: res.status, json: res.json, type: res.headers.get('content-type') ?? '', location: res.headers.get('location'), etag: res.headers.get('etag') };
}

/** A SCIM error (RFC 7644 §3.12) with this status (and scimType). */
export function isScimError(res: { status: number; json: any; type: string }, status: number, scimType?: string): void {
  expect(res.status, JSON.stringify(res.json)).toBe(status);
  expect(res.type).toMatch(/^application\/scim\+json/);
  expect(res.json.schemas).toEqual([SCIM_ERROR]);
  expect(res.json.status).toBe(String(status));
  expect(typeof res.json.detail).toBe('string');
  if (scimType) expect(res.json.scimType).toBe(scimType);
}
