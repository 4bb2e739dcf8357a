/**
 * The answers of a PLC directory and a PDS that the local AT Protocol network in
 * bluesky.test.ts cannot produce: a tombstoned identity (the directory's 410), a directory or
 * PDS that fails, a did:web host without its document, a suspended repository. The answers
 * follow the PLC directory's API (GET /{did}: 404 unknown, 410 tombstoned) and the
 * com.atproto.sync.getRecord lexicon's error names.
 */
import { describe, expect, it } from 'vitest';
import { AuthorRepositories } from './gone.js';

const PLC = 'https://plc.test';
const DID = 'did:plc:ewvi7nxzyoun6zhxrhs64oiz';
const POST = { did: DID, collection: 'app.bsky.feed.post', rkey: '3kabc' };
const doc = (id: string) => ({
  '@context': ['https://www.w3.org/ns/did/v1'],
  id,
  alsoKnownAs: ['at://alice.test'],
  verificationMethod: [{ id: `${id}#atproto`, type: 'Multikey', controller: id, publicKeyMultibase: 'zQ3shhUBVWyydkn71tPoJwtuXHJFWA3hp2r2N5cUxGcTjABUP' }],
  service: [{ id: '#atproto_pds', type: 'AtprotoPersonalDataServer', serviceEndpoint: 'https://pds.test' }],
});
const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

function repos(answer: (url: URL) => Response | Promise<Response>) {
  const asked: string[] = [];
  const f: typeof fetch = async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    asked.push(`${url.origin}${url.pathname}`);
    return answer(url);
  };
  return { repos: new AuthorRepositories(f, PLC), asked };
}

describe('AuthorRepositories', () => {
  it('a tombstoned or unknown did:plc is an identity that is gone; a failing directory is unknown', async () => {
    for (const [status, fate] of [[410, 'deleted'], [404, 'deleted'], [500, 'unknown'], [429, 'unknown']] as const) {
      const { repos: r, asked } = repos(() => json(status, { message: 'DID not available' }));
      expect(await r.fate(POST)).toBe(fate);
      expect(asked).toEqual([`${PLC}/${DID}`]); // the PDS is never asked
    }
    const { repos: down } = repos(() => Promise.reject(new TypeError('fetch failed')));
    expect(await down.fate(POST)).toBe('unknown');
  });

  it('a did:web host without its document is a passing fault, not a deletion', async () => {
    const web = { ...POST, did: 'did:web:alice.example.com' };
    const { repos: r, asked } = repos(() => json(404, {}));
    expect(await r.fate(web)).toBe('unknown');
    expect(asked).toEqual(['https://alice.example.com/.well-known/did.json']);
  });

  it('a document for another DID, or without a PDS, is not trusted', async () => {
    expect(await repos(() => json(200, doc('did:plc:someoneelse'))).repos.fate(POST)).toBe('unknown');
    expect(await repos(() => json(200, { ...doc(DID), service: [] })).repos.fate(POST)).toBe('unknown');
    expect(await repos(() => json(200, { hello: 'world' })).repos.fate(POST)).toBe('unknown');
  });

  it('reads the PDS\'s error names: deleted repository or record, or an account that may come back', async () => {
    const cases = [['RepoNotFound', 'deleted'], ['RecordNotFound', 'deleted'], ['RepoTakendown', 'exists'], ['RepoSuspended', 'exists'], ['RepoDeactivated', 'exists'], ['InternalServerError', 'unknown']] as const;
    for (const [error, fate] of cases) {
      const { repos: r, asked } = repos((url) => (url.origin === PLC ? json(200, doc(DID)) : json(400, { error, message: error })));
      expect(await r.fate(POST)).toBe(fate);
      expect(asked).toEqual([`${PLC}/${DID}`, 'https://pds.test/xrpc/com.atproto.sync.getRecord']);
    }
  });

  it('a proof that is not a signed CAR file is unknown; each DID is resolved once', async () => {
    const { repos: r, asked } = repos((url) => (url.origin === PLC ? json(200, doc(DID)) : new Response(new Uint8Array([1, 2, 3]), { status: 200 })));
    expect(await r.fate(POST)).toBe('unknown');
    expect(await r.fate({ ...POST, rkey: '3kdef' })).toBe('unknown');
    expect(asked.filter((u) => u.startsWith(PLC))).toHaveLength(1);
  });
});
