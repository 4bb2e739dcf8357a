/**
 * BlueskyRelayContractServer — test support, not shipped behaviour. @atproto/dev-env runs no
 * relay (its AppView reads the PDS's firehose directly), so the Bluesky tests put this one in
 * its place for the one method Parley asks of a relay: com.atproto.sync.getRepoStatus.
 *
 * What it knows comes from the real PDS, as a relay's does: the events that PDS sequenced for
 * its com.atproto.sync.subscribeRepos stream (read here from its sequencer rather than over the
 * WebSocket). A DID it has seen in any event is hosted; the last `#account` event decides
 * `active` and `status` (takendown | suspended | deleted | deactivated), as the relay keeps
 * them. Answers follow the lexicon: `{did, active, status?}`, and the error `RepoNotFound` for
 * a DID it never saw. `forget(did)` drops what it knows of a DID (a relay that never crawled it).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The sequenced events a PDS streams (the shape of @atproto/pds's sequencer `SeqEvt`, the parts read here). */
export type SequencedEvent = { seq: number; type: string; evt: { did?: string; repo?: string; active?: boolean; status?: string } };

export class BlueskyRelayContractServer {
  private server: Server | null = null;
  private readonly forgotten = new Set<string>();
  url = '';

  /** `events`: every event the PDS sequenced so far, oldest first. */
  constructor(private readonly events: () => Promise<SequencedEvent[]>) {}

  forget(did: string): void {
    this.forgotten.add(did);
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      const url = new URL(req.url ?? '/', 'http://relay');
      if (req.method !== 'GET' || url.pathname !== '/xrpc/com.atproto.sync.getRepoStatus') return send(404, { error: 'MethodNotImplemented', message: 'Method Not Implemented' });
      const did = url.searchParams.get('did');
      if (!did || !did.startsWith('did:')) return send(400, { error: 'InvalidRequest', message: 'Error: Params must have the property "did"' });
      this.statusOf(did).then(
        (s) => (s ? send(200, { did, ...s }) : send(400, { error: 'RepoNotFound', message: `Could not find repo for DID: ${did}` })),
        (err) => send(500, { error: 'InternalServerError', message: String(err) }),
      );
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private async statusOf(did: string): Promise<{ active: boolean; status?: string } | null> {
    if (this.forgotten.has(did)) return null;
    let state: { active: boolean; status?: string } | null = null;
    for (const e of await this.events()) {
      if ((e.evt.did ?? e.evt.repo) !== did) continue;
      if (e.type === 'account') state = { active: e.evt.active === true, ...(e.evt.active === false && e.evt.status ? { status: e.evt.status } : {}) };
      else state ??= { active: true };
    }
    return state;
  }
}
