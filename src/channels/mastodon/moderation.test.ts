/**
 * What the Mastodon connector's presence check learns from the brand account's own moderation
 * notices (./moderation.ts), through the real `masto` client against MastodonContractServer:
 * the brand's own status a moderator removed (a `moderation_warning`, `delete_statuses`) is
 * hidden `post_taken_down`, not gone; one removed without notice, or the brand's own deletion, is
 * gone; a customer's status a moderator removed stays unknowable (gone); a suspended author's
 * server is named defederated by a `severed_relationships` notice where the instance's domain
 * list is not shown; a pre-3.3 server's 410 for a suspended author leaves that status undecided.
 * Plus the notices' parsing on its own, bad input included.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MastodonContractServer } from '../../../test/contract-servers/mastodon.js';
import { MastodonChannel } from './index.js';
import { domainsSevered, statusesRemovedByModerators, withinDomain } from './moderation.js';

describe('moderation notices (parsing)', () => {
  it('takes the ids of `delete_statuses` warnings only, and `domain_block` severances only; ignores malformed notices', () => {
    const notices = [
      { type: 'moderation_warning', moderationWarning: { action: 'delete_statuses', statusIds: ['111', '222'] } },
      { type: 'moderation_warning', moderationWarning: { action: 'mark_statuses_as_sensitive', statusIds: ['333'] } },
      { type: 'moderation_warning', moderationWarning: { action: 'delete_statuses', statusIds: 'nope' } },
      { type: 'moderation_warning', moderationWarning: { action: 'delete_statuses', statusIds: [444, '../x', '555'] } },
      { type: 'moderation_warning', moderationWarning: null },
      { type: 'mention' },
      { type: 'severed_relationships', event: { type: 'domain_block', targetName: 'Spam.Example ' } },
      { type: 'severed_relationships', event: { type: 'user_domain_block', targetName: 'mine.example' } },
      { type: 'severed_relationships', event: { type: 'account_suspension', targetName: 'someone@else.example' } },
      { type: 'severed_relationships', event: null },
      null as never,
    ];
    expect([...statusesRemovedByModerators(notices)].sort()).toEqual(['111', '222', '555']);
    expect([...domainsSevered(notices)]).toEqual(['spam.example']);
    expect(withinDomain('eu.spam.example', new Set(['spam.example']))).toBe(true);
    expect(withinDomain('notspam.example', new Set(['spam.example']))).toBe(false);
  });
});

describe('the presence check and the brand\'s moderation notices (MastodonContractServer)', () => {
  let server: MastodonContractServer;
  beforeAll(async () => {
    server = new MastodonContractServer();
    await server.start();
  });
  afterAll(async () => server?.stop());

  const connect = (brand: { id: string; token: string; acct: string }) =>
    new MastodonChannel({ handle: brand.acct, externalId: brand.id, credentials: { accessToken: brand.token }, settings: { instanceUrl: server.url, timeoutMs: 3000 } } as never, { fetch: globalThis.fetch, now: Date.now });
  const post = async (token: string, status: string) => {
    const res = await fetch(`${server.url}/api/v1/statuses`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ status, visibility: 'public' }) });
    expect(res.status).toBe(200);
    return ((await res.json()) as { id: string }).id;
  };

  it('the brand\'s own status a moderator removed with a warning is hidden as taken down, not gone; without a warning, or deleted by the brand, it is gone', async () => {
    const brand = server.createAccount({ username: 'modbrand' });
    const alice = server.createAccount({ username: 'modalice' });
    const channel = connect(brand);
    const question = await post(alice.token, '@modbrand where is my parcel?');
    const warned = await post(brand.token, '@modalice a reply a moderator removes, telling the brand');
    const unwarned = await post(brand.token, '@modalice a reply a moderator removes silently');
    const own = await post(brand.token, '@modalice a reply the brand deletes itself');
    const kept = await post(brand.token, '@modalice a reply that stays');
    server.moderatorDeleteStatus(warned, { text: 'Please do not post links to that site' });
    server.moderatorDeleteStatus(unwarned, { notify: false });
    const del = await fetch(`${server.url}/api/v1/statuses/${own}`, { method: 'DELETE', headers: { authorization: `Bearer ${brand.token}` } });
    expect(del.status).toBe(200);

    // the stream's `delete` path asks without a stored author (the brand's own replies have none)
    const r = await channel.presenceOf([warned, unwarned, own, kept, question]);
    expect(r.hidden).toEqual(new Map([[warned, 'post_taken_down']]));
    expect(r.gone.sort()).toEqual([unwarned, own].sort());
    expect(r.shown.sort()).toEqual([kept, question].sort());
    expect((await channel.goneFrom([warned, own])).sort()).toEqual([own]);
    // with the brand as the stored author the same
    expect((await channel.presenceOf([warned], { authors: new Map([[warned, brand.id]]) })).hidden).toEqual(new Map([[warned, 'post_taken_down']]));
  });

  it('a customer\'s status a moderator removed stays gone (only its author is warned), and nothing of the brand\'s warnings applies to it', async () => {
    const brand = server.createAccount({ username: 'modbrand2' });
    const bob = server.createAccount({ username: 'modbob' });
    const channel = connect(brand);
    const own = await post(brand.token, 'the brand\'s post a moderator removes');
    const theirs = await post(bob.token, '@modbrand2 something a moderator removes');
    server.moderatorDeleteStatus(own);
    server.moderatorDeleteStatus(theirs);
    // a strike of the brand naming the customer's id could not exist: even with no author stored, only the brand's warnings count
    const r = await channel.presenceOf([theirs], { authors: new Map([[theirs, bob.id]]) });
    expect(r).toEqual({ gone: [theirs], hidden: new Map(), shown: [] });
    expect(await channel.presenceOf([theirs, own])).toEqual({ gone: [theirs], hidden: new Map([[own, 'post_taken_down']]), shown: [] });
    const before = server.requests.length;
    await channel.presenceOf([theirs], { authors: new Map([[theirs, bob.id]]) });
    // the brand's notifications are not read for a customer's status (it costs a request)
    expect(server.requests.slice(before).some((q) => q.path.startsWith('/api/v1/notifications'))).toBe(false);
  });

  it('a server before 3.3 answers a suspended author 410 Gone: that status is left undecided (neither gone nor hidden), and the rest is still decided', async () => {
    const brand = server.createAccount({ username: 'oldbrand' });
    const carl = server.createAccount({ username: 'oldcarl', domain: 'old.example' });
    const dan = server.createAccount({ username: 'olddan' });
    const fromCarl = await post(carl.token, '@oldbrand hello from an account soon suspended');
    const fromDan = await post(dan.token, '@oldbrand a question I then delete');
    expect((await fetch(`${server.url}/api/v1/statuses/${fromDan}`, { method: 'DELETE', headers: { authorization: `Bearer ${dan.token}` } })).status).toBe(200);
    server.suspendAccount(carl.id);
    server.suspendedAccountsGone = true;
    try {
      const known = { authors: new Map([[fromCarl, carl.id], [fromDan, dan.id]]) };
      expect(await connect(brand).presenceOf([fromCarl, fromDan], known)).toEqual({ gone: [fromDan], hidden: new Map(), shown: [] });
    } finally {
      server.suspendedAccountsGone = false;
    }
  });

  it('a suspended author\'s server is named defederated by the brand\'s `severed_relationships` notice when the instance hides its domain list; a failing notice read decides nothing', async () => {
    const brand = server.createAccount({ username: 'sevbrand' });
    const other = server.createAccount({ username: 'sevbrand2' });
    const remote = server.createAccount({ username: 'far', domain: 'severed.example' });
    const elsewhere = server.createAccount({ username: 'near', domain: 'suspended-alone.example' });
    const a = await post(remote.token, '@sevbrand from a server soon cut off');
    const b = await post(elsewhere.token, '@sevbrand from an account soon suspended');
    server.domainBlocksShown = false;
    try {
      server.blockDomain('severed.example', { severs: [brand.id] });
      server.purgeAccount(remote.id);
      server.suspendAccount(elsewhere.id);
      const known = { authors: new Map([[a, remote.id], [b, elsewhere.id]]) };
      expect(await connect(brand).presenceOf([a, b], known)).toEqual({ gone: [], hidden: new Map([[a, 'server_defederated'], [b, 'author_suspended']]), shown: [] });
      // another brand on the same instance had no follows there: no notice, the suspension is what is known
      const knownOther = { authors: new Map([[a, remote.id]]) };
      expect((await connect(other).presenceOf([a], knownOther)).hidden).toEqual(new Map([[a, 'author_suspended']]));
      // the notices cannot be read now: nothing is decided (the worker asks again)
      server.failRequests(/^\/api\/v1\/notifications$/, 503);
      await expect(connect(brand).presenceOf([a], known)).rejects.toMatchObject({ code: 'TEMPORARY' });
    } finally {
      server.domainBlocksShown = true;
      server.clearRequestFaults();
      server.unblockDomain('severed.example');
    }
  });
});
