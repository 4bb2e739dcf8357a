/**
 * The admin API gives a webhook URL only for accounts the network posts events to: those
 * whose connector declares the `webhook` capability and handles deliveries (X, Facebook,
 * Instagram). Mastodon (streamed and polled), Bluesky, email, web chat and the demo replay
 * have none, in the answers of connect, read and edit alike; and every URL handed out is
 * one the webhook route serves.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

/** One account of each network, with the settings connecting requires. */
const ACCOUNTS = [
  { network: 'x', handle: 'AcmeX' },
  { network: 'facebook', handle: 'AcmePage', externalId: '1000001' },
  { network: 'instagram', handle: 'acme.ig', externalId: '1000002' },
  { network: 'mastodon', handle: 'acme', settings: { instanceUrl: 'https://mastodon.invalid' } },
  { network: 'bluesky', handle: 'acme.bsky.social' },
  { network: 'email', handle: 'care@acme.test', settings: { imapHost: 'imap.acme.invalid', smtpHost: 'smtp.acme.invalid', address: 'care@acme.test' } },
  { network: 'webchat', handle: 'acme-chat' },
] as const;

describe('webhook URLs of channel accounts', () => {
  let desk: TestDesk;
  let admin: Client;
  const ids = new Map<string, number>();
  /** What connecting each account answered. */
  const connected = new Map<string, Record<string, unknown>>();
  beforeAll(async () => {
    desk = await startDesk('sqlite', { workers: false });
    admin = await Client.signIn(desk.url, 'admin@acme.test');
    for (const a of ACCOUNTS) {
      const r = await admin.post('/api/channel-accounts', a);
      expect(r.status, `${a.network}: ${JSON.stringify(r.json)}`).toBe(201);
      ids.set(a.network, r.json.id);
      connected.set(a.network, r.json);
    }
  });
  afterAll(async () => desk?.stop());

  /** What the account's connector declares, as the account list reports it. */
  async function declaresWebhooks(): Promise<Map<number, boolean>> {
    const list = (await admin.get('/api/channel-accounts')).json.items as { id: number; capabilities: Record<string, unknown> | null }[];
    return new Map(list.map((a) => [a.id, a.capabilities?.webhook === true]));
  }

  it('gives X, Facebook and Instagram accounts one, and Mastodon, Bluesky, email and web chat none', async () => {
    const withUrl: string[] = [];
    for (const [network, id] of ids) {
      const r = await admin.get(`/api/channel-accounts/${id}`);
      expect(r.status).toBe(200);
      if ('webhookUrl' in r.json) {
        expect(r.json.webhookUrl).toBe(`/api/webhooks/${network}/${id}`);
        withUrl.push(network);
      }
    }
    expect(withUrl.sort()).toEqual(['facebook', 'instagram', 'x']);
  });

  it('follows the connector\'s declared capability, on connect, read and edit', async () => {
    const declared = await declaresWebhooks();
    for (const a of ACCOUNTS) {
      const id = ids.get(a.network)!;
      const read = await admin.get(`/api/channel-accounts/${id}`);
      const edited = await admin.req('PATCH', `/api/channel-accounts/${id}`, { displayName: `${a.network} desk` });
      expect(edited.status).toBe(200);
      for (const [what, body] of [['connect', connected.get(a.network)!], ['read', read.json], ['edit', edited.json]] as const) {
        expect('webhookUrl' in body, `${a.network} ${what}`).toBe(declared.get(id));
      }
    }
    // the demo replay (an X account on the demo driver) receives no webhooks either
    expect('webhookUrl' in (await admin.get(`/api/channel-accounts/${desk.accountId}`)).json).toBe(false);
  });

  it('hands out no URL the webhook route would refuse as not receiving webhooks', async () => {
    for (const [network, id] of [...ids, ['x', desk.accountId] as const]) {
      const body = (await admin.get(`/api/channel-accounts/${id}`)).json;
      const res = await fetch(`${desk.url}/api/webhooks/${network}/${id}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
      const problem = res.status === 404 ? ((await res.json()) as { detail?: string; title?: string }) : null;
      const refused = problem != null && /do not receive webhooks/.test(JSON.stringify(problem));
      expect(refused, `${network} #${id}: ${res.status}`).toBe(!('webhookUrl' in body));
    }
  });
});
