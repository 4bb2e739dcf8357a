/**
 * Whether a Bluesky post the AppView no longer shows was deleted, asked of the only party that
 * knows: the author's own repository, on the PDS their DID document names.
 *
 * The AppView (app.bsky.feed.getPosts, and com.atproto.repo.getRecord when proxied to it) leaves
 * out a post for several reasons that are not its author deleting it: a block either way, a
 * moderation takedown of the post or of the account, a deactivated account. Its getRecord
 * answers `RecordNotFound` for a taken-down record as for a deleted one, and "Could not find
 * repo" (no error name) for a taken-down, deactivated or deleted account alike. So:
 *
 *  1. The author's DID document (did:plc from the PLC directory, did:web from its host's
 *     /.well-known/did.json) gives their PDS and signing key. A did:plc the directory answers
 *     404 or 410 for (tombstoned) is an identity that is gone: its posts count as deleted.
 *  2. That PDS's com.atproto.sync.getRecord (public) answers with a CAR file: the signed commit
 *     and the path through the repository's tree to where the record is, or would be. Checked
 *     with @atproto/repo's verifyProofs against the signing key: the record proven absent is a
 *     deletion by its author; proven present, it exists (hidden from us by a block, or taken
 *     down by moderation: a takedown leaves the record in the repository).
 *  3. The PDS's error names: `RecordNotFound` counts as deleted (older PDSes answered it for a
 *     missing record); `RepoTakendown`, `RepoSuspended` and `RepoDeactivated` do not (the
 *     account may come back, and moderation is not its author deleting).
 *  4. `RepoNotFound` says only that this PDS holds no such repository: the account was deleted,
 *     or the PDS lost it (restored from an old backup, wiped, migrated badly). The hosting status
 *     tells them apart (com.atproto.sync.getRepoStatus, "expected to be implemented by PDS and
 *     Relay": `active`, and when false a `status` of takendown | suspended | deleted |
 *     deactivated | desynchronized | throttled). Asked of the PDS first; a PDS that answers
 *     `RepoNotFound` there too (the reference PDS forgets a deleted account entirely) is asked
 *     of the relay (setting `relayUrl`, default https://bsky.network), which keeps the status the
 *     PDS announced in its `#account` event. Only `status: "deleted"` is a deletion by the
 *     author; takendown, suspended and deactivated are accounts that exist (not shown, not
 *     redacted); desynchronized, throttled, an active repository, no status, or no answer are
 *     "unknown" — a lost repository is never taken for a deleted account.
 *  5. `verdict` says which hiding it is where the repository or hosting status names one
 *     (takendown → `repo_takedown`, suspended → `account_suspended`, deactivated →
 *     `account_deactivated`): the sync worker marks such posts hidden by the network, and unmarks
 *     them once the AppView shows them again (src/pipeline/deletions.ts).
 *
 * Anything else (a PDS or directory down, a malformed answer, a proof that does not verify) is
 * "unknown": the post is not redacted, and is asked again in a later round. It never fails the
 * check of the other posts.
 */
import { didDocument, getKey, getPds } from '@atproto/identity';
import { verifyProofs } from '@atproto/repo';
import type { NetworkHiddenReason } from '../types.js';

export const DEFAULT_PLC = 'https://plc.directory';
/** The relay asked for an account's hosting status when its PDS no longer knows it. */
export const DEFAULT_RELAY = 'https://bsky.network';

export type PostFate = 'deleted' | 'exists' | 'unknown';

/**
 * A post's fate, telling an account the network keeps but hides (taken down, suspended or
 * deactivated by its host: the repository's error name, or its hosting status) from one whose
 * post merely exists. `exists` is then a record proven in its repository (the AppView may still
 * leave it out: the AppView's own takedown of the whole account, a block, or a takedown of that
 * record alone, none of which the repository says; the connector tells them apart by what the
 * AppView says of the account and by the brand's relationships with the author, ./index.ts
 * `presenceOf`, and marks the first `account_taken_down`, the third `post_taken_down`).
 */
export type PostVerdict = PostFate | { hidden: NetworkHiddenReason };

/** A hosting status (getRepoStatus `status`) of an account kept but hidden, and what it is called. */
const HIDDEN_STATUS = new Map<unknown, NetworkHiddenReason>([['takendown', 'repo_takedown'], ['suspended', 'account_suspended'], ['deactivated', 'account_deactivated']]);
/** The same, as a PDS's error name for the repository. */
const HIDDEN_ERROR = new Map<unknown, NetworkHiddenReason>([['RepoTakendown', 'repo_takedown'], ['RepoSuspended', 'account_suspended'], ['RepoDeactivated', 'account_deactivated']]);

interface AuthorRepo {
  pds: string;
  signingKey: string;
}

/** What the author's repository says of each post (at:// URIs of app.bsky.feed.post records, parsed). */
export class AuthorRepositories {
  /** Per DID: its repository, null for an identity that is gone, undefined while unknown. */
  private readonly repos = new Map<string, Promise<AuthorRepo | null | undefined>>();

  /** Per DID: what its hosting status says of the account when its PDS holds no repository for it. */
  private readonly statuses = new Map<string, Promise<PostVerdict>>();

  constructor(private readonly fetch: typeof globalThis.fetch, private readonly plcUrl: string, private readonly relayUrl: string = DEFAULT_RELAY) {}

  async fate(post: { did: string; collection: string; rkey: string }): Promise<PostFate> {
    const v = await this.verdict(post);
    return typeof v === 'object' ? 'exists' : v;
  }

  /** `fate`, with why an account that exists is hidden (see PostVerdict). */
  async verdict(post: { did: string; collection: string; rkey: string }): Promise<PostVerdict> {
    const repo = await this.repo(post.did);
    if (repo === null) return 'deleted';
    if (repo === undefined) return 'unknown';
    const url = new URL('/xrpc/com.atproto.sync.getRecord', repo.pds);
    url.searchParams.set('did', post.did);
    url.searchParams.set('collection', post.collection);
    url.searchParams.set('rkey', post.rkey);
    let res: Response;
    try {
      res = await this.fetch(url);
    } catch {
      return 'unknown';
    }
    if (res.ok) {
      try {
        const proof = new Uint8Array(await res.arrayBuffer());
        const { verified } = await verifyProofs(proof, [{ collection: post.collection, rkey: post.rkey, cid: null }], post.did, repo.signingKey);
        return verified.length ? 'deleted' : 'exists';
      } catch {
        return 'unknown';
      }
    }
    const name = await errorName(res);
    if (name === 'RecordNotFound') return 'deleted';
    if (name === 'RepoNotFound') return this.accountFate(post.did, repo.pds);
    const hidden = HIDDEN_ERROR.get(name);
    return hidden ? { hidden } : 'unknown';
  }

  /** A repository its PDS does not hold: the hosting status says why (see the header, 4). */
  private accountFate(did: string, pds: string): Promise<PostVerdict> {
    let r = this.statuses.get(did);
    if (!r) {
      r = (async () => {
        const atPds = await this.hostingStatus(pds, did);
        if (atPds !== 'RepoNotFound') return atPds;
        const atRelay = await this.hostingStatus(this.relayUrl, did);
        return atRelay === 'RepoNotFound' ? 'unknown' : atRelay;
      })();
      this.statuses.set(did, r);
    }
    return r;
  }

  /** One host's com.atproto.sync.getRepoStatus, read as a post's fate; `RepoNotFound` when the host does not know the DID. */
  private async hostingStatus(host: string, did: string): Promise<PostVerdict | 'RepoNotFound'> {
    const url = new URL('/xrpc/com.atproto.sync.getRepoStatus', host);
    url.searchParams.set('did', did);
    let res: Response;
    try {
      res = await this.fetch(url);
    } catch {
      return 'unknown';
    }
    if (!res.ok) return (await errorName(res)) === 'RepoNotFound' ? 'RepoNotFound' : 'unknown';
    let body: { did?: unknown; active?: unknown; status?: unknown };
    try {
      body = (await res.json()) as typeof body;
    } catch {
      return 'unknown';
    }
    if (body?.did !== did || body.active !== false) return 'unknown';
    if (body.status === 'deleted') return 'deleted';
    const hidden = HIDDEN_STATUS.get(body.status);
    return hidden ? { hidden } : 'unknown';
  }

  private repo(did: string): Promise<AuthorRepo | null | undefined> {
    let r = this.repos.get(did);
    if (!r) {
      r = this.resolve(did);
      this.repos.set(did, r);
    }
    return r;
  }

  private async resolve(did: string): Promise<AuthorRepo | null | undefined> {
    let url: URL;
    if (/^did:plc:[a-z2-7]+$/.test(did)) url = new URL(`/${did}`, this.plcUrl);
    else if (/^did:web:[a-zA-Z0-9.%-]+$/.test(did)) url = new URL(`https://${decodeURIComponent(did.slice('did:web:'.length))}/.well-known/did.json`);
    else return undefined;
    let res: Response;
    try {
      res = await this.fetch(url);
    } catch {
      return undefined;
    }
    // the directory's answer for an unknown or tombstoned did:plc; a web host's 404 may be a passing fault
    if (did.startsWith('did:plc:') && (res.status === 404 || res.status === 410)) return null;
    if (!res.ok) return undefined;
    try {
      const parsed = didDocument.safeParse(await res.json());
      if (!parsed.success || parsed.data.id !== did) return undefined;
      const doc = parsed.data;
      const pds = getPds(doc);
      const signingKey = getKey(doc);
      return pds && signingKey ? { pds, signingKey } : undefined;
    } catch {
      return undefined;
    }
  }
}

async function errorName(res: Response): Promise<string | null> {
  try {
    const body = (await res.json()) as { error?: unknown };
    return typeof body.error === 'string' ? body.error : null;
  } catch {
    return null;
  }
}
