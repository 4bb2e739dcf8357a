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

const RELAY = 'https://relay.test';

function repos(answer: (url: URL) => Response | Promise<Response>) {
  const asked: string[] = [];
  const f: typeof fetch = async (input) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    asked.push(`${url.origin}${url.pathname}`);
    return answer(url);
  };
  return { repos: new AuthorRepositories(f, PLC, RELAY), asked };
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

  it('reads the PDS\'s error names: a deleted record, or an account that may come back', async () => {
    const cases = [['RecordNotFound', 'deleted'], ['RepoTakendown', 'exists'], ['RepoSuspended', 'exists'], ['RepoDeactivated', 'exists'], ['InternalServerError', 'unknown']] as const;
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

  /**
   * RepoNotFound from getRecord: the PDS holds no repository for the DID. The hosting status
   * (com.atproto.sync.getRepoStatus) of the PDS, else of the relay, says whether the account was
   * deleted or the PDS lost it. Answers as the lexicon defines them: {did, active, status?}, and
   * the error RepoNotFound for a DID the host does not know.
   */
  const notFound = () => json(400, { error: 'RepoNotFound', message: `Could not find repo for DID: ${DID}` });
  const status = (active: boolean, st?: string) => json(200, { did: DID, active, ...(st ? { status: st } : {}) });
  function hosts(pds: () => Response, relay: () => Response) {
    return repos((url) => {
      if (url.origin === PLC) return json(200, doc(DID));
      if (url.pathname === '/xrpc/com.atproto.sync.getRecord') return notFound();
      if (url.pathname === '/xrpc/com.atproto.sync.getRepoStatus') {
        expect(url.searchParams.get('did')).toBe(DID);
        return url.origin === RELAY ? relay() : pds();
      }
      return json(404, {});
    });
  }
  const getRecord = 'https://pds.test/xrpc/com.atproto.sync.getRecord';
  const pdsStatus = 'https://pds.test/xrpc/com.atproto.sync.getRepoStatus';
  const relayStatus = `${RELAY}/xrpc/com.atproto.sync.getRepoStatus`;

  it('a repository its PDS no longer holds is deleted only when the relay says the account was deleted; a PDS that lost it is no deletion', async () => {
    // the PDS lost the repository: the relay still hosts an active account, or one it cannot sync, or knows nothing
    for (const relay of [() => status(true), () => status(false, 'desynchronized'), () => status(false, 'throttled'), () => status(false), notFound, () => json(502, {}), () => json(200, { did: 'did:plc:someoneelse', active: false, status: 'deleted' })]) {
      expect(await hosts(notFound, relay).repos.fate(POST)).toBe('unknown');
    }
    // the reference PDS forgets a deleted account (RepoNotFound on getRepoStatus too); the relay kept its #account status
    const deleted = hosts(notFound, () => status(false, 'deleted'));
    expect(await deleted.repos.fate(POST)).toBe('deleted');
    expect(deleted.asked).toEqual([`${PLC}/${DID}`, getRecord, pdsStatus, relayStatus]);
    // a moderation decision or a resting account, as the relay knows it, is an account that exists
    for (const st of ['takendown', 'suspended', 'deactivated']) expect(await hosts(notFound, () => status(false, st)).repos.fate(POST)).toBe('exists');
  });

  it('a PDS that still knows the account answers for it itself; the relay is not asked', async () => {
    const cases = [['deleted', 'deleted'], ['takendown', 'exists'], ['suspended', 'exists'], ['deactivated', 'exists'], ['desynchronized', 'unknown'], ['throttled', 'unknown']] as const;
    for (const [st, fate] of cases) {
      const h = hosts(() => status(false, st), () => status(false, 'deleted'));
      expect(await h.repos.fate(POST)).toBe(fate);
      expect(h.asked).toEqual([`${PLC}/${DID}`, getRecord, pdsStatus]);
    }
    // active on the PDS yet RepoNotFound on getRecord: a contradiction, not a deletion
    expect(await hosts(() => status(true), () => status(false, 'deleted')).repos.fate(POST)).toBe('unknown');
    // a PDS that fails: unknown, the relay is not asked in its place
    const failing = hosts(() => json(500, { error: 'InternalServerError' }), () => status(false, 'deleted'));
    expect(await failing.repos.fate(POST)).toBe('unknown');
    expect(failing.asked).not.toContain(relayStatus);
  });

  it('an account kept but hidden says why: taken down, suspended or deactivated, from the PDS\'s error name or the hosting status (PDS or relay)', async () => {
    const names = [['RepoTakendown', 'repo_takedown'], ['RepoSuspended', 'account_suspended'], ['RepoDeactivated', 'account_deactivated']] as const;
    for (const [error, reason] of names) {
      const { repos: r } = repos((url) => (url.origin === PLC ? json(200, doc(DID)) : json(400, { error, message: 'Repo is not available' })));
      expect(await r.verdict(POST)).toEqual({ hidden: reason });
    }
    const statuses = [['takendown', 'repo_takedown'], ['suspended', 'account_suspended'], ['deactivated', 'account_deactivated']] as const;
    for (const [st, reason] of statuses) {
      expect(await hosts(() => status(false, st), () => status(false, 'deleted')).repos.verdict(POST)).toEqual({ hidden: reason });
      expect(await hosts(notFound, () => status(false, st)).repos.verdict(POST)).toEqual({ hidden: reason });
    }
    // what is not a hiding keeps its fate: deleted, unknown
    expect(await hosts(notFound, () => status(false, 'deleted')).repos.verdict(POST)).toBe('deleted');
    for (const st of ['desynchronized', 'throttled']) expect(await hosts(() => status(false, st), notFound).repos.verdict(POST)).toBe('unknown');
  });

  it('the hosting status is asked once per account, whatever the number of its posts', async () => {
    const h = hosts(notFound, () => status(false, 'deleted'));
    expect(await h.repos.fate(POST)).toBe('deleted');
    expect(await h.repos.fate({ ...POST, rkey: '3kdef' })).toBe('deleted');
    expect(h.asked.filter((u) => u === relayStatus)).toHaveLength(1);
  });
});
