/**
 * Tenant and role isolation, swept over every route the server registers (Fastify's own route
 * list, so a route added later is covered or fails this test until it is classified):
 *  - two brands on one desk, each with people of every role and real data made through the API
 *    (conversations, messages, contacts, notes, teams, incidents and statements, approvals,
 *    moderation actions and guidelines, CRM links, channel accounts, expert questions, snippets,
 *    playbooks, API tokens, quarantine, notifications);
 *  - every route with an id in its path answers brand A's people 404 (or 403) for brand B's ids;
 *    an id of brand B's in a body is refused, or (a filter, a batch) answered as an id no record
 *    has, and so is one in a querystring; brand B's rows are the same after the sweep (a customer
 *    writing to both brands, erased by brand A, included), and no answer (every list in each of
 *    its views, search, reports and their CSV, audit, exports, the live event stream and its
 *    replay, metrics) ever carries brand B's words, nor do brand A's counts move with B's work;
 *  - every route is classified below with the roles it admits: each other role gets 403, and an
 *    expert reaches only the conversations they were asked about.
 */
import type { Capabilities, Channel } from '../src/channels/types.js';
import type { Role } from '../src/core/types.js';
import { ROLES } from '../src/core/types.js';
import { createBrand, createChannelAccount, createUser } from '../src/commands/setup.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DIALECTS } from './db.js';
import { Client, mention, PASSWORD, startDesk, streamFor, type TestDesk } from './helpers/parley.js';
import { registeredRoutes, routeKey, type Route } from './helpers/routes.js';

/** Brand B's words: every record of brand B carries it, so an answer to brand A never may. */
const MARK = 'zqbrandb';
const NO_SUCH = 987_654_321;

/** The records a brand has, by kind; a route's ids are taken from here. */
interface Ids {
  admin: number; agent: number; approver: number; expert: number;
  account: number; team: number; conversation: number; message: number; contact: number; note: number;
  approval: number; expertRequest: number; incident: number; guideline: number; snippet: number; playbook: number; token: number; notification: number;
  /** The brand's single sign-on provider. */
  ssoProvider: number;
  /** The brand's SCIM token. */
  scimToken: number;
  /** A passkey of the brand's agent. */
  passkey: number;
  /** The brand's outbound webhook endpoint, and a delivery of it. */
  webhook: number; webhookDelivery: number;
  /** A customer who writes to both brands (the same person on the same network). */
  sharedConversation: number; sharedContact: number;
  /** The brand's page on a network that moderates. */
  page: number;
}
type Kind = keyof Ids;

/** Ids no record has. */
const NOBODY = new Proxy({} as Ids, { get: () => NO_SUCH });

/** Which record a path's id names, by the route's path up to that parameter. */
const PATH_IDS: Record<string, Kind> = {
  '/api/conversations/:id': 'conversation',
  '/api/contacts/:id': 'contact',
  '/api/channel-accounts/:id': 'account',
  '/api/teams/:id': 'team',
  '/api/tokens/:id': 'token',
  '/api/users/:id': 'agent',
  '/api/approvals/:id': 'approval',
  '/api/expert-requests/:id': 'expertRequest',
  '/api/snippets/:id': 'snippet',
  '/api/incidents/:id': 'incident',
  '/api/guidelines/:id': 'guideline',
  '/api/messages/:id': 'message',
  '/api/sso/providers/:id': 'ssoProvider',
  '/api/scim-tokens/:id': 'scimToken',
  '/api/me/passkeys/:id': 'passkey',
  '/api/integrations/webhooks/:id': 'webhook',
  '/api/integrations/webhooks/:id/deliveries/:deliveryId': 'webhookDelivery',
};

/** Which record a querystring parameter names; every other parameter is listed as not an id. */
const QUERY_IDS: Record<string, Kind> = {
  assignee: 'agent', team: 'team', channel: 'account', incident: 'incident', agent: 'agent', conversation: 'conversation', conversationId: 'conversation', actorUserId: 'admin', subjectId: 'conversation',
};
const QUERY_NOT_IDS = new Set([
  'view', 'status', 'network', 'priorityMin', 'label', 'sentiment', 'category', 'dueWithinMin', 'q', 'sort', 'cursor', 'limit', 'triageAction', 'origin', 'total', 'before', 'lastEventId',
  'from', 'to', 'visibility', 'business', 'format', 'ahtS', 'ahtSource', 'ahtMinSamples', 'serviceLevel', 'answerWithinS', 'shrinkage', 'maxOccupancy', 'concurrency', 'patienceS', 'action', 'subjectType',
  'next', 'code', 'state', 'iss', 'session_state', 'error', 'error_description',
  // SAML single logout (HTTP-Redirect binding)
  'SAMLRequest', 'SAMLResponse', 'RelayState', 'SigAlg', 'Signature',
]);

const WORKERS: Role[] = ['agent', 'approver', 'admin'];
const ANYONE: Role[] = [...ROLES];

interface RouteSpec {
  /** Who may call it: roles (a signed-in person of another role gets 403), or public (no sign-in; authenticated otherwise, e.g. by signature). */
  roles: Role[] | 'public';
  /** A valid body naming the given brand's records (validation runs before authorization). */
  body?: (x: Ids) => unknown;
  /** A querystring the route needs (not naming records). */
  query?: string;
  /** Fixed path parameters that are not record ids. */
  params?: Record<string, string>;
  /** Ids in the body that are not the brand's are skipped or filter to nothing, not refused: 2xx is fine if nothing of brand B changed or shows. */
  foreignBodyIdsIgnored?: true;
  /** Why a role that may call it is not probed (the call would end the caller's session). */
  noProbe?: string;
}

/** Every route of the server, with who may call it. A route missing here fails the sweep. */
const ROUTES: Record<string, RouteSpec> = {
  'GET *': { roles: 'public' },
  'GET /api/health': { roles: 'public' },
  'GET /api/openapi.json': { roles: 'public' },
  'GET /metrics': { roles: 'public' },
  'POST /api/auth/login': { roles: 'public' },
  'POST /api/auth/password-reset/lookup': { roles: 'public' },
  'POST /api/auth/password-reset': { roles: 'public' },
  'GET /api/auth/sso/providers': { roles: 'public' },
  'POST /api/auth/passkey/options': { roles: 'public' },
  'POST /api/auth/passkey': { roles: 'public' },
  'GET /api/auth/sso/:id/start': { roles: 'public' },
  'GET /api/auth/sso/callback': { roles: 'public' },
  'POST /api/auth/sso/code': { roles: 'public' },
  'POST /api/auth/sso/discover': { roles: 'public' },
  'POST /api/auth/sso/backchannel-logout': { roles: 'public' },
  'GET /api/auth/sso/saml/metadata': { roles: 'public' },
  'GET /api/auth/sso/saml/:id/metadata': { roles: 'public' },
  'POST /api/auth/sso/saml/acs': { roles: 'public' },
  'GET /api/auth/sso/saml/slo': { roles: 'public' },
  'POST /api/auth/sso/saml/slo': { roles: 'public' },
  'GET /api/auth/sso/saml/:id/slo': { roles: 'public' },
  'POST /api/auth/sso/saml/:id/slo': { roles: 'public' },
  'GET /api/sso/providers': { roles: ['admin'] },
  // nothing listens at that issuer: the admin's call ends at the discovery (400), nothing is made
  'POST /api/sso/providers': { roles: ['admin'], body: () => ({ label: 'Sweep IdP', issuer: 'http://127.0.0.1:9', clientId: 'sweep', clientSecret: 'sweep secret', allowedDomains: [], autoProvisionRole: null, passwordSignIn: 'everyone', trustsMfa: false, enabled: true }) },
  'PATCH /api/sso/providers/:id': { roles: ['admin'], body: () => ({ label: 'Swept IdP' }) },
  'DELETE /api/sso/providers/:id': { roles: ['admin'] },
  'POST /api/sso/providers/:id/check': { roles: ['admin'] },
  'GET /api/sso/providers/:id/saml/idp-initiated': { roles: ['admin'] },
  'PUT /api/sso/providers/:id/saml/idp-initiated': { roles: ['admin'], body: () => ({ allowed: false }) },
  'GET /api/scim-tokens': { roles: ['admin'] },
  'POST /api/scim-tokens': { roles: ['admin'], body: () => ({ label: 'Sweep SCIM' }) },
  'DELETE /api/scim-tokens/:id': { roles: ['admin'] },
  // SCIM: a SCIM token is the only credential there (no session or API token is one); brands kept apart in test/scim.test.ts and test/scim-groups.test.ts
  'GET /scim/v2/ServiceProviderConfig': { roles: 'public' },
  'GET /scim/v2/ResourceTypes': { roles: 'public' },
  'GET /scim/v2/Schemas': { roles: 'public' },
  'GET /scim/v2/Users': { roles: 'public' },
  'POST /scim/v2/Users': { roles: 'public' },
  'GET /scim/v2/Users/:id': { roles: 'public' },
  'PUT /scim/v2/Users/:id': { roles: 'public' },
  'PATCH /scim/v2/Users/:id': { roles: 'public' },
  'DELETE /scim/v2/Users/:id': { roles: 'public' },
  'GET /scim/v2/Groups': { roles: 'public' },
  'POST /scim/v2/Groups': { roles: 'public' },
  'GET /scim/v2/Groups/:id': { roles: 'public' },
  'PUT /scim/v2/Groups/:id': { roles: 'public' },
  'PATCH /scim/v2/Groups/:id': { roles: 'public' },
  'DELETE /scim/v2/Groups/:id': { roles: 'public' },
  'POST /scim/v2/Bulk': { roles: 'public' },
  'GET /api/webhooks/:network/:accountId': { roles: 'public' },
  'POST /api/webhooks/:network/:accountId': { roles: 'public' },
  'GET /webchat/widget.js': { roles: 'public' },
  'GET /webchat/:accountId/config': { roles: 'public' },
  'POST /webchat/:accountId/sessions': { roles: 'public' },
  'POST /webchat/:accountId/messages': { roles: 'public' },
  'GET /webchat/:accountId/messages': { roles: 'public' },

  'POST /api/auth/logout': { roles: ANYONE, noProbe: 'signs the caller out' },
  'GET /api/me': { roles: ANYONE },
  'GET /api/session': { roles: 'public' },
  'PATCH /api/me': { roles: ANYONE, body: () => ({ availability: 'online' }) },
  'POST /api/me/password': { roles: ANYONE, body: () => ({ currentPassword: 'not the password', newPassword: 'another long password' }) },
  'POST /api/me/two-factor/setup': { roles: ANYONE, body: () => ({ currentPassword: 'not the password' }) },
  'POST /api/me/two-factor/enable': { roles: ANYONE, body: () => ({ code: '123456' }) },
  'POST /api/me/two-factor/disable': { roles: ANYONE, body: () => ({ currentPassword: 'not the password', code: '123456' }) },
  'POST /api/me/two-factor/recovery-codes': { roles: ANYONE, body: () => ({ currentPassword: 'not the password', code: '123456' }) },
  // one's own passkeys only: another's id (another brand's included) is one no record has
  'GET /api/me/passkeys': { roles: ANYONE },
  'POST /api/me/passkeys/options': { roles: ANYONE, body: () => ({ currentPassword: 'not the password' }) },
  'POST /api/me/passkeys': { roles: ANYONE, body: () => ({ name: 'sweep', response: { id: 'c3dlZXA', rawId: 'c3dlZXA', type: 'public-key', response: { clientDataJSON: 'e30', attestationObject: 'oA' }, clientExtensionResults: {} } }) },
  'POST /api/me/passkeys/:id/remove': { roles: ANYONE, body: () => ({ currentPassword: PASSWORD }) },
  'PATCH /api/me/passkeys/:id': { roles: ANYONE, body: () => ({ name: 'sweep' }) },
  'GET /api/events': { roles: ANYONE },
  'GET /api/notifications': { roles: ANYONE },
  'POST /api/notifications/read': { roles: ANYONE, body: (x) => ({ ids: [x.notification] }), foreignBodyIdsIgnored: true },

  'GET /api/conversations': { roles: WORKERS },
  'GET /api/conversations/counts': { roles: WORKERS },
  'GET /api/conversations/:id': { roles: ANYONE },
  'POST /api/conversations/:id/assign': { roles: WORKERS, body: (x) => ({ assigneeId: x.agent, teamId: x.team }) },
  'POST /api/conversations/:id/status': { roles: WORKERS, body: () => ({ status: 'open' }) },
  'POST /api/conversations/:id/priority': { roles: WORKERS, body: () => ({ priority: 55 }) },
  'POST /api/conversations/:id/labels': { roles: WORKERS, body: () => ({ add: ['swept'] }) },
  'PUT /api/conversations/:id/incident': { roles: WORKERS, body: (x) => ({ incidentId: x.incident }) },
  'POST /api/conversations/:id/notes': { roles: ANYONE, body: () => ({ text: 'a note from the sweep' }) },
  'POST /api/conversations/:id/replies': { roles: WORKERS, body: (x) => ({ text: 'A reply from the sweep, thanks for waiting.', visibility: 'public', replyToMessageId: x.message }) },
  'POST /api/conversations/:id/presence': { roles: ANYONE, body: () => ({ state: 'viewing' }) },
  'POST /api/conversations/bulk': { roles: WORKERS, body: (x) => ({ ids: [x.conversation], action: { type: 'priority', priority: 60 } }), foreignBodyIdsIgnored: true },
  'GET /api/conversations/:id/sla': { roles: ANYONE },
  'GET /api/conversations/:id/playbooks': { roles: WORKERS },
  'POST /api/conversations/:id/expert-requests': { roles: WORKERS, body: (x) => ({ expertId: x.expert, question: 'Is this covered by the sweep?' }) },
  'POST /api/conversations/:id/take-private': { roles: WORKERS, body: () => ({ reason: 'account' }) },
  'GET /api/search': { roles: WORKERS, query: 'q=parcel' },
  'POST /api/reply-checks': { roles: WORKERS, body: (x) => ({ conversationId: x.conversation, text: 'Checking this reply', visibility: 'public' }) },

  'POST /api/messages/:id/moderation': { roles: WORKERS, body: (x) => ({ action: 'hide', guidelineId: x.guideline, evidence: 'swept' }) },
  'POST /api/messages/:id/triage': { roles: WORKERS, body: () => ({ category: 'other' }) },
  'GET /api/guidelines': { roles: ANYONE },
  'GET /api/moderation/policy': { roles: ANYONE },
  'POST /api/guidelines': { roles: ['admin'], body: () => ({ code: 'sweep-rule', title: 'Sweep rule', description: 'A rule made by the sweep', allowedActions: ['hide'] }) },
  'POST /api/guidelines/:id/retire': { roles: ['admin'], body: () => ({ reason: 'swept away' }) },
  'PUT /api/guidelines/:id/report-reason': { roles: ['admin'], body: () => ({ reportReason: 'spam' }) },
  'GET /api/messages/:id/network-report': { roles: WORKERS },
  'POST /api/messages/:id/network-report': { roles: WORKERS, body: (x) => ({ subject: 'post', guidelineId: x.guideline, evidence: 'swept', reason: 'spam' }) },

  'GET /api/contacts/:id/crm-consent': { roles: WORKERS },
  'POST /api/conversations/:id/crm-consent-ask': { roles: WORKERS, body: () => ({ text: 'May we link this profile to your account? Reply YES to agree.' }) },
  'GET /api/conversations/:id/crm-consent-candidates': { roles: WORKERS },
  'GET /api/crm/consent-ask-text': { roles: WORKERS },
  'PUT /api/crm/consent-ask-text': { roles: ['admin'], body: () => ({ text: 'Swept: may we link your profile? Reply YES.' }) },
  'POST /api/contacts/:id/crm-link': { roles: WORKERS, body: (x) => ({ crmCustomerId: 'SWEEP-1', consent: { method: 'customer_message', messageId: x.message } }) },
  'POST /api/contacts/:id/crm-unlink': { roles: WORKERS, body: () => ({ reason: 'swept away' }) },
  'POST /api/contacts/:id/erase': { roles: ['admin'], body: () => ({ reason: 'swept away' }) },
  'GET /api/contacts/:id/export': { roles: ['admin'] },
  'GET /api/contacts': { roles: WORKERS, query: 'q=customer' },
  'POST /api/contacts/:id/merge': { roles: WORKERS, body: (x) => ({ otherContactId: x.sharedContact, reason: 'swept together' }) },
  'POST /api/contacts/:id/split': { roles: WORKERS, body: (x) => ({ identityId: x.sharedContact }) },
  'GET /api/contacts/:id/merges': { roles: WORKERS },

  'POST /api/ingest/messages': { roles: ['admin'], body: (x) => ({ channelAccountId: x.account, messages: [mention({ text: '@someone from the sweep' })] }) },
  'GET /api/channel-networks': { roles: ['admin'] },
  'GET /api/channel-accounts': { roles: ANYONE },
  'POST /api/channel-accounts': { roles: ['admin'], body: () => ({ network: 'x', handle: fresh('Sweep'), driver: 'demo' }) },
  'GET /api/channel-accounts/:id': { roles: ['admin'] },
  'PATCH /api/channel-accounts/:id': { roles: ['admin'], body: () => ({ displayName: 'Swept' }) },
  'POST /api/channel-accounts/:id/sync': { roles: ['admin'] },
  'PUT /api/channel-accounts/:id/calendar': { roles: ['admin'], body: () => ({ calendar: null }) },
  'GET /api/channel-accounts/:id/availability': { roles: ANYONE },

  'GET /api/users': { roles: WORKERS },
  'POST /api/users': { roles: ['admin'], body: () => ({ email: `${fresh('sweep')}@acme.test`, name: 'Swept Person', role: 'agent', password: 'a long enough password' }) },
  'PATCH /api/users/:id': { roles: ['admin'], body: () => ({ capacity: 7 }) },
  'POST /api/users/:id/two-factor/reset': { roles: ['admin'] },
  'POST /api/users/:id/password-reset': { roles: ['admin'] },
  'GET /api/users/flags': { roles: ['approver', 'admin'] },
  'GET /api/teams': { roles: ANYONE },
  'POST /api/teams': { roles: ['admin'], body: (x) => ({ name: fresh('Sweep '), members: [{ userId: x.agent }] }) },
  'PATCH /api/teams/:id': { roles: ['admin'], body: (x) => ({ members: [{ userId: x.agent, isLead: true }] }) },
  'GET /api/tokens': { roles: ['admin'] },
  'POST /api/tokens': { roles: ['admin'], body: () => ({ name: 'sweep token' }) },
  'DELETE /api/tokens/:id': { roles: ['admin'] },
  'GET /api/integrations/webhooks': { roles: ['admin'] },
  'POST /api/integrations/webhooks': { roles: ['admin'], body: () => ({ url: 'https://hooks.example.com/sweep', events: ['message.received'] }) },
  'PATCH /api/integrations/webhooks/:id': { roles: ['admin'], body: () => ({ description: 'swept' }) },
  'DELETE /api/integrations/webhooks/:id': { roles: ['admin'] },
  'POST /api/integrations/webhooks/:id/rotate-secret': { roles: ['admin'] },
  'POST /api/integrations/webhooks/:id/test': { roles: ['admin'] },
  'GET /api/integrations/webhooks/:id/deliveries': { roles: ['admin'] },
  'POST /api/integrations/webhooks/:id/deliveries/:deliveryId/retry': { roles: ['admin'] },
  'GET /api/quarantine': { roles: ['admin'] },
  'GET /api/audit': { roles: ['approver', 'admin'], query: 'subjectType=conversation' },

  'GET /api/settings/workflow': { roles: ['approver', 'admin'] },
  'PATCH /api/settings/workflow': { roles: ['admin'], body: (x) => ({ routing: { rules: [], defaultTeamId: String(x.team) } }) },
  'GET /api/queues': { roles: WORKERS },
  'GET /api/approvals': { roles: WORKERS },
  'POST /api/approvals/:id': { roles: ['approver', 'admin'], body: () => ({ decision: 'reject', note: 'swept' }) },
  'POST /api/approvals/:id/withdraw': { roles: WORKERS },
  'GET /api/approvals/:id/sign-off': { roles: WORKERS },
  'GET /api/expert-requests': { roles: ANYONE },
  'POST /api/expert-requests/:id/answer': { roles: ANYONE, body: () => ({ text: 'An answer from the sweep' }) },
  'GET /api/expert-requests/:id/answers': { roles: ANYONE },
  'POST /api/expert-requests/:id/cancel': { roles: WORKERS, body: () => ({ reason: 'withdrawn by the sweep' }) },
  'POST /api/expert-requests/:id/reassign': { roles: WORKERS, body: (x) => ({ expertId: x.expert }) },
  'PUT /api/expert-requests/:id/answer': { roles: ANYONE, body: () => ({ text: 'A corrected answer from the sweep' }) },
  'GET /api/playbooks': { roles: ANYONE },
  'POST /api/playbooks': { roles: ['approver', 'admin'], body: (x) => ({ id: x.playbook, title: 'Swept playbook', match: {}, outline: ['a step from the sweep'] }) },
  'GET /api/snippets': { roles: ANYONE },
  'POST /api/snippets': { roles: ['approver', 'admin'], body: () => ({ shortcut: 'sweep', title: 'Sweep', body: 'A snippet from the sweep' }) },
  'POST /api/snippets/:id/render': { roles: WORKERS, body: (x) => ({ conversationId: x.conversation }) },
  'GET /api/incidents': { roles: ANYONE },
  'POST /api/incidents': { roles: ['approver', 'admin'], body: () => ({ title: 'Sweep incident', reason: 'made by the sweep' }) },
  'POST /api/incidents/:id/close': { roles: ['approver', 'admin'] },
  'POST /api/incidents/:id/statement': { roles: ['approver', 'admin'], body: (x) => ({ channelAccountId: x.account, text: 'A statement from the sweep about the incident' }) },
  'GET /api/incidents/:id/report': { roles: WORKERS },
  'GET /api/conversations/:id/incident-reply': { roles: WORKERS },

  'GET /api/reports/:name': { roles: WORKERS, params: { name: 'volume' } },
  'GET /api/staffing/plan': { roles: WORKERS },
  'PUT /api/staffing/roster': { roles: ['approver', 'admin'], body: () => ({ roster: null }) },
  'POST /api/staffing/simulate': { roles: WORKERS, foreignBodyIdsIgnored: true, body: (x) => ({ from: new Date(Date.now() - 7 * 86_400_000).toISOString(), to: new Date().toISOString(), channel: x.account }) },
};


const key = routeKey;
/** An answer without what moves with the clock (ages, times) and without the ids it echoes. */
const still = (v: unknown) => JSON.stringify(v, (k, x) => (/min$|_min|age|At$|_at$|seconds|generated|^id$/i.test(k) ? undefined : x));
let unique = 0;
const fresh = (s: string) => `${s}${++unique}`;

/** The path with its ids filled from `ids` (`none`: an id no record has), and the querystring. */
function pathFor(r: Route, spec: RouteSpec, ids: Ids | 'none', query = ''): string {
  const q = [spec.query, query].filter(Boolean).join('&');
  return fill(r, spec, ids) + (q ? `?${q}` : '');
}

function fill(r: Route, spec: RouteSpec, ids: Ids | 'none'): string {
  return r.url.replace(/:(\w+)/g, (_m, name: string, offset: number) => {
    if (spec.params?.[name]) return spec.params[name]!;
    const kind = PATH_IDS[r.url.slice(0, offset) + `:${name}`];
    if (!kind) throw new Error(`${key(r)}: the test does not know which record :${name} names; add it to PATH_IDS`);
    return String(ids === 'none' ? NO_SUCH : ids[kind]);
  });
}

/** Fill each query parameter that names a record with brand `ids`'s record. */
function queryFor(params: string[], ids: Ids): string {
  const q = new URLSearchParams();
  for (const p of params) if (QUERY_IDS[p]) q.set(p, String(ids[QUERY_IDS[p]!]));
  return q.toString();
}

for (const dialect of DIALECTS) {
  describe(`tenant and role isolation over every route [${dialect}]`, () => {
    let desk: TestDesk;
    let A: Ids;
    let B: Ids;
    /** Each brand's people by role, signed in. */
    const a: Partial<Record<Role, Client>> = {};
    const b: Partial<Record<Role, Client>> = {};
    let routes: Route[];
    let queryParams: Map<string, string[]>;
    /** Each value of each enumerated query parameter, one at a time (every view of the inbox, every status...). */
    let queryEnums: Map<string, string[]>;
    const leaks: string[] = [];

    /** Send as `c`; every answer to brand A is scanned for brand B's words. */
    const send = async (c: Client, method: string, path: string, body?: unknown) => {
      if (path.startsWith('/api/events')) {
        const ctrl = new AbortController();
        const res = await fetch(`${desk.url}${path}`, { headers: { cookie: c.cookie }, signal: ctrl.signal });
        const text = res.headers.get('content-type')?.includes('event-stream') ? '' : await res.text();
        ctrl.abort();
        return { status: res.status, json: text ? JSON.parse(text) : null, text };
      }
      const r = await c.req(method, path, body);
      const text = typeof r.json === 'string' ? r.json : JSON.stringify(r.json);
      return { ...r, text };
    };
    const scan = (who: string, what: string, text: string) => {
      if (text.toLowerCase().includes(MARK)) leaks.push(`${who} ${what}: the answer carries brand B's data: ${text.slice(0, 300)}`);
    };

    /** The same data in a brand, made through the API by its people. */
    async function seed(c: Partial<Record<Role, Client>>, users: Pick<Ids, 'admin' | 'agent' | 'approver' | 'expert'>, account: number, mark: string): Promise<Ids> {
      const ok = (r: { status: number; json: any }, what: string) => {
        expect(r.status, `${mark} ${what}: ${JSON.stringify(r.json)}`).toBeLessThan(300);
        return r.json;
      };
      const admin = c.admin!;
      const team = ok(await admin.post('/api/teams', { name: `${mark} Care`, members: [{ userId: users.agent }, { userId: users.approver, isLead: true }] }), 'team').id;
      ok(await admin.req('PATCH', '/api/settings/workflow', { approval: { agents: { agentIds: [String(users.agent)] } } }), 'approval policy');
      // a page whose network can moderate (a fake driver: no network is called)
      const page = ok(await admin.post('/api/channel-accounts', { network: 'facebook', handle: `${mark}Page`, driver: 'modnet' }), 'page').id as number;
      const ingest = async (text: string, n: number) => ok(await admin.post('/api/ingest/messages', {
        channelAccountId: page, messages: [mention({ network: 'facebook', kind: 'comment', text, author: { networkUserId: `${mark}-${n}`, handle: `${mark}_customer${n}`, displayName: `${mark} Customer ${n}`, followers: 3 } })],
      }), 'ingest').outcomes[0] as { conversationId: number; messageId: number };
      const first = await ingest(`@care ${mark} my parcel is lost, order 41`, 1);
      // conversations in every state: assigned, resolved, waiting (views over history read other tables)
      const second = await ingest(`@care ${mark} second conversation`, 2);
      ok(await c.agent!.post(`/api/conversations/${second.conversationId}/status`, { status: 'resolved' }), 'resolve');
      const third = await ingest(`@care ${mark} third conversation`, 3);
      ok(await c.agent!.post(`/api/conversations/${third.conversationId}/status`, { status: 'waiting', snoozeUntil: new Date(Date.now() + 3_600_000).toISOString() }), 'snooze');
      ok(await admin.post(`/api/conversations/${first.conversationId}/assign`, { assigneeId: users.agent, teamId: team }), 'assign');
      const shared = ok(await admin.post('/api/ingest/messages', {
        channelAccountId: page, messages: [mention({ network: 'facebook', kind: 'comment', text: `@care ${mark} I write to both brands`, author: { networkUserId: 'both-brands-1', handle: 'both_brands', displayName: 'Both Brands', followers: 3 } })],
      }), 'ingest shared').outcomes[0] as { conversationId: number };
      const sharedContact = ok(await admin.get(`/api/conversations/${shared.conversationId}`), 'shared detail').contact.id as number;
      ok(await admin.post('/api/ingest/messages', { channelAccountId: account, messages: [{ network: 'x', text: `${mark} quarantined` }] }), 'quarantine');
      const contact = ok(await admin.get(`/api/conversations/${first.conversationId}`), 'detail').contact.id as number;
      const note = ok(await c.agent!.post(`/api/conversations/${first.conversationId}/notes`, { text: `${mark} private note for @${mark}` }), 'note').id;
      const approval = ok(await c.agent!.post(`/api/conversations/${first.conversationId}/replies`, { text: `Sorry ${mark}, a refund is on its way.`, visibility: 'public' }), 'reply').message.id;
      const expertRequest = ok(await c.agent!.post(`/api/conversations/${first.conversationId}/expert-requests`, { expertId: users.expert, question: `${mark}: can we waive the fee?` }), 'expert request').id;
      const incident = ok(await c.approver!.post('/api/incidents', { title: `${mark} outage`, reason: `${mark} many reports` }), 'incident').id;
      ok(await c.agent!.req('PUT', `/api/conversations/${first.conversationId}/incident`, { incidentId: incident }), 'incident link');
      ok(await c.approver!.post(`/api/incidents/${incident}/statement`, { channelAccountId: account, text: `${mark} we know about the outage and are on it` }), 'statement');
      const guideline = ok(await admin.post('/api/guidelines', { code: `${mark}-rule`, title: `${mark} rule`, description: `${mark}: no personal attacks`, allowedActions: ['hide', 'block'] }), 'guideline').id;
      ok(await c.agent!.post(`/api/messages/${first.messageId}/moderation`, { action: 'hide', guidelineId: guideline, evidence: `Threatens a named member of staff at home (${mark}).` }), 'moderation');
      ok(await c.agent!.post(`/api/contacts/${contact}/crm-link`, { crmCustomerId: `${mark}-CRM-1`, consent: { method: 'verbal', note: `${mark} agreed` } }), 'crm link');
      const snippet = ok(await c.approver!.post('/api/snippets', { shortcut: `${mark}s`, title: `${mark} snippet`, body: `${mark} snippet body` }), 'snippet').id;
      const playbook = ok(await c.approver!.post('/api/playbooks', { title: `${mark} playbook`, match: {}, outline: [`${mark} first step`] }), 'playbook').id;
      const token = ok(await admin.post('/api/tokens', { name: `${mark} token` }), 'token').id;
      const scimToken = ok(await admin.post('/api/scim-tokens', { label: `${mark} SCIM` }), 'SCIM token').id;
      const webhook = ok(await admin.post('/api/integrations/webhooks', { url: `https://${mark}.example.com/hook`, description: `${mark} hook`, events: ['message.received'] }), 'webhook').item.id;
      const webhookDelivery = ok(await admin.post(`/api/integrations/webhooks/${webhook}/test`), 'webhook test').item.id;
      ok(await c.approver!.req('PUT', '/api/staffing/roster', { roster: new Array(168).fill(2) }), 'roster');
      // a provider (made in the database: the API would fetch its discovery document first)
      const brandOf = await desk.db.store.db.selectFrom('app_user').select('brand_id').where('id', '=', users.admin).executeTakeFirstOrThrow();
      const ssoProvider = (await desk.db.store.db.insertInto('sso_provider').values({ brand_id: brandOf.brand_id, label: `${mark} IdP`, issuer: 'https://idp.example.test', client_id: `${mark}-client`, client_secret: null, allowed_domains: '[]', auto_provision_role: null, password_sign_in: 'everyone', trusts_mfa: 0, enabled: 0, created_at: Date.now(), updated_at: Date.now() }).returning('id').executeTakeFirstOrThrow()).id;
      // a passkey of the agent's (made in the database: the API would need an authenticator)
      const passkey = (await desk.db.store.db.insertInto('passkey').values({ brand_id: brandOf.brand_id, user_id: users.agent, credential_id: `${mark}-credential`, public_key: 'pQECAyYgASFYIA', sign_count: 0, transports: '[]', name: `${mark} passkey`, created_at: Date.now(), last_used_at: null }).returning('id').executeTakeFirstOrThrow()).id;
      const notifications = ok(await c.approver!.get('/api/notifications'), 'notifications').items as { id: number }[];
      expect(notifications.length, `${mark}: the approver is told of the draft`).toBeGreaterThan(0);
      return { ...users, account, team, conversation: first.conversationId, message: first.messageId, contact, note, approval, expertRequest, incident, guideline, snippet, playbook, token, notification: notifications[0]!.id, ssoProvider, scimToken, passkey, webhook, webhookDelivery, sharedConversation: shared.conversationId, sharedContact, page };
    }

    /** Brand B's rows in every table (the brand's own, and its teams' members and conversations' labels). */
    async function brandRows(brandId: number) {
      const db = desk.db.store.db;
      const tables = (await db.introspection.getTables()).filter((t) => !t.name.startsWith('kysely_') && !t.isView);
      const out: Record<string, string[]> = {};
      for (const t of tables) {
        const cols = t.columns.map((c) => c.name);
        let q = db.selectFrom(t.name as any).selectAll() as any;
        if (t.name === 'brand') q = q.where('id', '=', brandId);
        else if (cols.includes('brand_id')) q = q.where('brand_id', '=', brandId);
        else if (t.name === 'team_member') q = q.where('team_id', 'in', db.selectFrom('team').select('id').where('brand_id', '=', brandId));
        else if (t.name === 'conversation_label') q = q.where('conversation_id', 'in', db.selectFrom('conversation').select('id').where('brand_id', '=', brandId));
        else if (t.name === 'session' || t.name === 'password_reset') q = q.where('user_id', 'in', db.selectFrom('app_user').select('id').where('brand_id', '=', brandId));
        else continue;
        out[t.name] = ((await q.execute()) as unknown[]).map((r) => JSON.stringify(r)).sort();
      }
      return out;
    }

    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      const caps = { publicReply: true, privateMessage: true, hide: true, delete: 'not here', block: true, mute: true, like: true, fetchProfile: true, fetchThread: true, search: true, webhook: true, poll: true, stream: true } as Capabilities;
      desk.parley.services.registry.register('modnet', (account) => ({ network: account.network, capabilities: caps, async sendPublicReply() { return { networkMessageId: 'r' }; }, async hide() {}, async block() {} }) as unknown as Channel);
      const db = desk.db.store.db;
      const now = Date.now();
      const brandB = await createBrand(db, { slug: MARK, name: `${MARK} Brand`, timezone: 'Europe/Paris' }, now);
      const accountB = await createChannelAccount(db, { brandId: brandB, network: 'x', handle: `${MARK}Care`, driver: 'demo' }, now);
      const adminB = await createUser(db, { brandId: brandB, email: `admin@${MARK}.test`, name: `${MARK} Admin`, role: 'admin', availability: 'online' }, now);
      const hash = (await db.selectFrom('app_user').select('password_hash').where('id', '=', desk.users.admin).executeTakeFirstOrThrow()).password_hash;
      await db.updateTable('app_user').set({ password_hash: hash }).where('id', '=', adminB).execute();
      b.admin = await Client.signIn(desk.url, `admin@${MARK}.test`);
      const usersB = { admin: adminB, agent: 0, approver: 0, expert: 0 };
      for (const role of ['agent', 'approver', 'expert'] as const) {
        const r = await b.admin.post('/api/users', { email: `${role}@${MARK}.test`, name: `${MARK} ${role}`, role, password: PASSWORD });
        expect(r.status, JSON.stringify(r.json)).toBe(201);
        usersB[role] = r.json.id;
        b[role] = await Client.signIn(desk.url, `${role}@${MARK}.test`);
      }
      a.admin = await Client.signIn(desk.url, 'admin@acme.test');
      a.agent = await Client.signIn(desk.url, 'ana@acme.test');
      a.approver = await Client.signIn(desk.url, 'cleo@acme.test');
      a.expert = await Client.signIn(desk.url, 'eli@acme.test');
      const u = desk.users;
      A = await seed(a, { admin: u.admin, agent: u.ana, approver: u.approver, expert: u.expert }, desk.accountId, 'acmeside');
      B = await seed(b, usersB, accountB, MARK);

      routes = registeredRoutes(desk.parley.app.printRoutes({ commonPrefix: false }));
      type Schema = { enum?: string[]; anyOf?: Schema[] };
      const doc = desk.parley.app.swagger() as { paths: Record<string, Record<string, { parameters?: { in: string; name: string; schema: Schema }[] }>> };
      queryParams = new Map();
      queryEnums = new Map();
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          const k = `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
          const query = (op.parameters ?? []).filter((p) => p.in === 'query');
          queryParams.set(k, query.map((p) => p.name));
          queryEnums.set(k, query.flatMap((p) => (p.schema.enum ?? p.schema.anyOf?.flatMap((x) => x.enum ?? []) ?? []).map((v) => `${p.name}=${encodeURIComponent(v)}`)));
        }
      }
    }, 60_000);
    afterAll(async () => desk?.stop());
    beforeEach(() => void leaks.splice(0));

    it('knows every registered route: each is classified, the route list is whole, and no classified route is gone', () => {
      const registered = new Set(routes.map(key));
      for (const documented of queryParams.keys()) expect(registered, `the route list misses ${documented}`).toContain(documented);
      expect([...registered].filter((k) => !ROUTES[k]), 'routes without a classification in ROUTES (which roles may call it, a valid body)').toEqual([]);
      expect(Object.keys(ROUTES).filter((k) => !registered.has(k)), 'classified routes the server no longer has').toEqual([]);
      for (const [k, params] of queryParams) {
        expect(params.filter((p) => !QUERY_IDS[p] && !QUERY_NOT_IDS.has(p)), `${k}: classify its query parameters (QUERY_IDS or QUERY_NOT_IDS)`).toEqual([]);
      }
      expect(routes.length).toBeGreaterThan(80);
    });

    it('gives brand A\'s people nothing of brand B, by any id in a path, a body or a querystring, and changes nothing of brand B', async () => {
      const brandB = Number((await desk.db.store.db.selectFrom('app_user').select('brand_id').where('id', '=', B.admin).executeTakeFirstOrThrow()).brand_id);
      const before = await brandRows(brandB);
      const wrong: string[] = [];
      let calls = 0;
      for (const r of routes) {
        const spec = ROUTES[key(r)]!;
        if (spec.roles === 'public') continue;
        const hasPathIds = r.url.split('/').some((seg) => seg.startsWith(':') && !spec.params?.[seg.slice(1)]);
        const named = new Set<string | symbol>();
        spec.body?.(new Proxy(A, { get: (t, k) => (named.add(k), t[k as Kind]) }));
        const bodyNamesIds = named.size > 0;
        const query = queryParams.get(key(r)) ?? [];
        for (const role of spec.roles) {
          const c = a[role]!;
          const who = `A's ${role}`;
          // B's ids in the path (and body)
          if (hasPathIds) {
            const res = await send(c, r.method, pathFor(r, spec, B), spec.body?.(B));
            calls++;
            scan(who, key(r), res.text);
            if (res.status !== 404 && res.status !== 403) wrong.push(`${who} ${key(r)} with B's ids: ${res.status} ${res.text.slice(0, 200)}`);
          }
          // A's own record in the path, B's ids in the body
          if (bodyNamesIds && !spec.noProbe) {
            const res = await send(c, r.method, pathFor(r, spec, A), spec.body!(B));
            calls++;
            scan(who, key(r), res.text);
            const refused = res.status >= 400 && res.status < 500;
            if (!refused && !spec.foreignBodyIdsIgnored) wrong.push(`${who} ${key(r)} with B's ids in the body: ${res.status} ${res.text.slice(0, 200)}`);
            // skipped or filtered away: the same answer as for ids no record has (no count, no sum of brand B's shows)
            if (spec.foreignBodyIdsIgnored) {
              const none = await send(c, r.method, pathFor(r, spec, A), spec.body!(NOBODY));
              if (still(res.json) !== still(none.json)) wrong.push(`${who} ${key(r)} answers B's ids in the body otherwise than ids of nothing: ${res.text.slice(0, 200)} / ${none.text.slice(0, 200)}`);
            }
          }
          // B's ids in the querystring, and every list as it is
          if (r.method === 'GET' && !hasPathIds) {
            for (const q of ['', queryFor(query, B), ...(queryEnums.get(key(r)) ?? [])]) {
              const path = pathFor(r, spec, A, q);
              const res = await send(c, 'GET', path, undefined);
              calls++;
              scan(who, path, res.text);
              if (res.status >= 500 || res.status === 400) wrong.push(`${who} GET ${path}: ${res.status} ${res.text.slice(0, 200)}`);
              if (q && q === queryFor(query, B)) {
                const none = await send(c, 'GET', pathFor(r, spec, A, queryFor(query, NOBODY)), undefined);
                if (still(res.json) !== still(none.json)) wrong.push(`${who} GET ${path} answers otherwise than for ids of nothing: ${res.text.slice(0, 200)} / ${none.text.slice(0, 200)}`);
              }
            }
          }
        }
      }
      // the reports, each of them, and their CSV
      const reports = (await import('../src/reports/reports.js')).REPORTS;
      for (const name of reports) {
        for (const fmt of ['', '&format=csv']) {
          const res = await send(a.admin!, 'GET', `/api/reports/${name}?from=${new Date(Date.now() - 86_400_000).toISOString()}${fmt}`, undefined);
          calls++;
          scan("A's admin", `report ${name}${fmt}`, res.text);
        }
      }
      // search for B's words, audit as CSV
      for (const path of [`/api/search?q=${MARK}`, `/api/conversations?q=${MARK}`, '/api/audit?format=csv', '/api/audit?limit=200']) {
        const res = await send(a.admin!, 'GET', path, undefined);
        calls++;
        scan("A's admin", path, res.text);
      }
      // a customer who writes to both brands: brand A's view of them, their export, their erasure
      for (const path of [`/api/conversations/${A.sharedConversation}`, `/api/contacts/${A.sharedContact}/export`, `/api/contacts/${A.sharedContact}/crm-consent`]) {
        const res = await send(a.admin!, 'GET', path, undefined);
        calls++;
        expect(res.status, path).toBe(200);
        scan("A's admin", path, res.text);
      }
      // a post that answers brand B's post (by its network id) starts a conversation of brand A's, never joins brand B's
      const bPost = await desk.db.store.db.selectFrom('message').select('network_message_id').where('id', '=', B.message).executeTakeFirstOrThrow();
      const answer = await send(a.admin!, 'POST', '/api/ingest/messages', { channelAccountId: A.page, messages: [mention({ network: 'facebook', kind: 'comment', text: '@care answering that post', inReplyToNetworkId: bPost.network_message_id!, threadRootNetworkId: bPost.network_message_id!, author: { networkUserId: `${MARK}-1`, handle: 'someone', displayName: 'Someone', followers: 1 } })] });
      expect(answer.status, answer.text).toBe(200);
      expect(await desk.db.store.db.selectFrom('conversation').select('brand_id').where('id', '=', answer.json.outcomes[0].conversationId).executeTakeFirstOrThrow()).toMatchObject({ brand_id: desk.brandId });
      expect((await send(a.admin!, 'POST', `/api/contacts/${A.sharedContact}/erase`, { reason: 'asked to be forgotten' })).status).toBeLessThan(300);
      expect(calls).toBeGreaterThan(150);
      expect(leaks).toEqual([]);
      expect(wrong).toEqual([]);
      const after = await brandRows(brandB);
      for (const table of Object.keys(before)) expect(after[table], `brand B's ${table} rows changed`).toEqual(before[table]);
    }, 60_000);

    it('lets each role call only the routes it is classified for: every other role gets 403', async () => {
      const wrong: string[] = [];
      for (const r of routes) {
        const spec = ROUTES[key(r)]!;
        if (spec.roles === 'public') continue;
        for (const role of ROLES) {
          const allowed = spec.roles.includes(role);
          if (allowed && spec.noProbe) continue;
          const c = a[role]!;
          // a role that may not call it is refused even for its own brand's records; one that may is not refused by role (probed with an id that does not exist, to change nothing)
          const res = await send(c, r.method, pathFor(r, spec, allowed ? 'none' : A), spec.body?.(A));
          scan(`A's ${role}`, key(r), res.text);
          const byRole = res.status === 403 && res.json?.code === 'forbidden' && /needs the/.test(res.json?.detail ?? '');
          if (!allowed && res.status !== 403) wrong.push(`${role} ${key(r)}: ${res.status}, not 403 (${res.text.slice(0, 160)})`);
          if (allowed && byRole) wrong.push(`${role} ${key(r)}: refused by role, but classified as allowed`);
          if (res.status === 401 || res.status >= 500) wrong.push(`${role} ${key(r)}: ${res.status} ${res.text.slice(0, 160)}`);
        }
      }
      expect(leaks).toEqual([]);
      expect(wrong).toEqual([]);
    }, 60_000);

    it('keeps an expert to the conversations they were asked about, on every route that admits experts by a conversation', async () => {
      const wrong: string[] = [];
      let probed = 0;
      for (const r of routes) {
        const spec = ROUTES[key(r)]!;
        if (spec.roles === 'public' || !spec.roles.includes('expert') || !r.url.startsWith('/api/conversations/:id')) continue;
        // asked about A.conversation (seed), never about the customer who writes to both brands
        const res = await send(a.expert!, r.method, pathFor(r, spec, { ...A, conversation: A.sharedConversation }), spec.body?.(A));
        probed++;
        if (res.status !== 403 && res.status !== 404) wrong.push(`expert ${key(r)} on a conversation they were not asked about: ${res.status} ${res.text.slice(0, 160)}`);
        const asked = await send(a.expert!, r.method, pathFor(r, spec, A), spec.body?.(A));
        if (asked.status >= 400) wrong.push(`expert ${key(r)} on the conversation they were asked about: ${asked.status} ${asked.text.slice(0, 160)}`);
      }
      expect(probed).toBeGreaterThanOrEqual(4);
      expect(wrong).toEqual([]);
    });

    it('shows brand B its own data (the sweep would see it, were it leaked)', async () => {
      for (const path of ['/api/conversations', '/api/conversations?view=resolved', '/api/conversations?view=waiting', '/api/conversations?view=all', `/api/search?q=${MARK}`, '/api/audit', `/api/contacts/${B.contact}/export`, '/api/incidents', '/api/snippets', '/api/tokens', '/api/guidelines']) {
        const res = await b.admin!.get(path);
        expect(res.status, path).toBe(200);
        expect(JSON.stringify(res.json).toLowerCase(), path).toContain(MARK);
      }
    });

    it('streams brand A\'s people none of brand B\'s live events while brand B works, and brand B\'s work moves none of brand A\'s counts', async () => {
      const from = new Date(Date.now() - 86_400_000).toISOString();
      const to = new Date(Date.now() + 86_400_000).toISOString();
      const counted = ['/api/conversations/counts', '/api/queues', `/api/reports/volume?from=${from}&to=${to}`, `/api/reports/backlog?from=${from}&to=${to}`, '/api/approvals', '/api/notifications', '/api/expert-requests', '/api/incidents', '/api/users/flags'];
      const countsOf = async () => {
        const out: Record<string, unknown> = {};
        // (ages and times move with the clock; counts, ids and rows must not)
        for (const role of ['admin', 'approver'] as const) for (const path of counted) out[`${role} ${path}`] = JSON.parse(still((await a[role]!.get(path)).json));
        return out;
      };
      const before = await countsOf();
      const streams = (['admin', 'agent', 'approver', 'expert'] as const).map((role) => streamFor(desk, a[role]!, 2500).then((events) => ({ role, events })));
      const own = streamFor(desk, b.admin!, 2500);
      // and what a reconnecting client is replayed
      const replays = (['admin', 'agent', 'approver', 'expert'] as const).map(async (role) => {
        const ctrl = new AbortController();
        const res = await fetch(`${desk.url}/api/events?lastEventId=1`, { headers: { cookie: a[role]!.cookie }, signal: ctrl.signal });
        setTimeout(() => ctrl.abort(), 2500);
        let text = '';
        try {
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) text += Buffer.from(chunk).toString('utf8');
        } catch { /* aborted */ }
        return { role, text };
      });
      await new Promise((r) => setTimeout(r, 300));
      await b.agent!.post(`/api/conversations/${B.conversation}/notes`, { text: `${MARK} a live note` });
      await b.agent!.post(`/api/conversations/${B.conversation}/priority`, { priority: 77 });
      await b.admin!.post('/api/ingest/messages', { channelAccountId: B.page, messages: [mention({ network: 'facebook', kind: 'comment', text: `@care ${MARK} live one` }), mention({ network: 'facebook', kind: 'comment', text: `@care ${MARK} live two` })] });
      await b.agent!.post(`/api/conversations/${B.sharedConversation}/replies`, { text: `Sorry ${MARK}, we are on it.`, visibility: 'public' });
      await b.approver!.post('/api/incidents', { title: `${MARK} live incident`, reason: `${MARK} live` });
      for (const { role, events } of await Promise.all(streams)) scan(`A's ${role}`, 'GET /api/events', JSON.stringify(events));
      for (const { role, text } of await Promise.all(replays)) scan(`A's ${role}`, 'GET /api/events?lastEventId=1', text);
      expect(JSON.stringify(await own).toLowerCase(), 'brand B\'s admin sees the work live').toContain(MARK);
      expect(leaks).toEqual([]);
      expect(await countsOf()).toEqual(before);
      // nothing public names brand B either
      for (const path of ['/metrics', '/api/health']) {
        const res = await fetch(`${desk.url}${path}`);
        scan('anyone', path, await res.text());
      }
      expect(leaks).toEqual([]);
    });
  });
}
