import { describe, expect, it } from 'vitest';
import {
  chooseAgent,
  drainQueue,
  EMPTY_ROUTING_STATE,
  pickTeam,
  queueOrder,
  type BrandRouting,
  type QueuedConversation,
  type RoutingAgent,
  type RoutingContext,
  type TeamAssignmentConfig,
} from './routing.js';

const routing: BrandRouting = {
  brandId: 'acme',
  rules: [
    { id: 'junk', teamId: 'moderation', when: { categories: ['spam', 'abuse'] } },
    { id: 'money', teamId: 'billing', when: { intents: ['refund', 'Billing'] } },
    { id: 'spanish', teamId: 'es', when: { languages: ['es'] } },
    { id: 'vip', teamId: 'escalations', when: { minPriority: 80, visibility: 'public' } },
    { id: 'insta', teamId: 'social-ig', when: { channelAccountIds: ['acc-ig'], networks: ['instagram'] } },
  ],
  defaultTeamId: 'general',
};

describe('pickTeam', () => {
  const ctx = (patch: Partial<RoutingContext>): RoutingContext => ({ channelAccountId: 'acc-x', network: 'x', category: 'customer_service', ...patch });
  it.each<[string, Partial<RoutingContext>, string, string | null]>([
    ['spam goes to moderation before anything else', { category: 'spam', intent: 'refund' }, 'moderation', 'junk'],
    ['intent match (case-insensitive)', { intent: 'billing' }, 'billing', 'money'],
    ['language by primary subtag', { language: 'es-MX' }, 'es', 'spanish'],
    ['first matching rule wins', { intent: 'refund', language: 'es' }, 'billing', 'money'],
    ['priority threshold with visibility', { priority: 85, visibility: 'public' }, 'escalations', 'vip'],
    ['priority threshold, wrong visibility', { priority: 85, visibility: 'private' }, 'general', null],
    ['unknown priority does not meet a minimum', { priority: null }, 'general', null],
    ['channel account and network', { channelAccountId: 'acc-ig', network: 'instagram' }, 'social-ig', 'insta'],
    ['account without the network', { channelAccountId: 'acc-ig', network: 'facebook' }, 'general', null],
    ['nothing matches: default team', { intent: 'delivery' }, 'general', null],
  ])('%s', (_label, patch, teamId, ruleId) => {
    const choice = pickTeam(routing, ctx(patch));
    expect(choice.teamId).toBe(teamId);
    expect(choice.ruleId).toBe(ruleId);
  });
});

const agent = (id: string, patch: Partial<RoutingAgent> = {}): RoutingAgent => ({
  id,
  availability: 'online',
  teamIds: ['care'],
  maxOpen: 3,
  openCount: 0,
  ...patch,
});
const item = (conversationId: string, patch: Partial<QueuedConversation> = {}): QueuedConversation => ({
  conversationId,
  teamId: 'care',
  priority: 10,
  queuedAt: 1_000,
  ...patch,
});
const rr: TeamAssignmentConfig = { teamId: 'care', strategy: 'round_robin' };

describe('chooseAgent', () => {
  it('round robin follows the pointer, wraps, and skips full or unavailable agents', () => {
    const agents = [agent('a'), agent('b', { openCount: 3 }), agent('c'), agent('d', { availability: 'away' })];
    let state = EMPTY_ROUTING_STATE;
    const picked: string[] = [];
    for (let i = 0; i < 4; i++) {
      const choice = chooseAgent(item(`c${i}`), agents, state, rr);
      picked.push(choice.assignment!.agentId);
      state = choice.state;
    }
    expect(picked).toEqual(['a', 'c', 'a', 'c']);
    expect(state.roundRobin.care).toBe('c');
  });

  it('round robin continues after a pointer to an agent who left the team', () => {
    const choice = chooseAgent(item('c1'), [agent('a'), agent('c')], { roundRobin: { care: 'b' } }, rr);
    expect(choice.assignment!.agentId).toBe('c');
  });

  it('least loaded picks the fewest open conversations, then who waited longest for work', () => {
    const agents = [
      agent('a', { openCount: 2 }),
      agent('b', { openCount: 1, lastAssignedAt: 5_000 }),
      agent('c', { openCount: 1, lastAssignedAt: 3_000 }),
    ];
    expect(chooseAgent(item('c1'), agents).assignment).toMatchObject({ agentId: 'c', reason: 'least_loaded' });
  });

  it('skills prefer the best match (language, then intent, then network), then least loaded', () => {
    const team: TeamAssignmentConfig = { teamId: 'care', strategy: 'skills' };
    const agents = [
      agent('generalist', { openCount: 0 }),
      agent('spanish-busy', { openCount: 2, skills: { languages: ['es'] } }),
      agent('spanish-free', { openCount: 1, skills: { languages: ['es-ES'] } }),
      agent('refunds', { openCount: 0, skills: { intents: ['refund'], networks: ['x'] } }),
    ];
    expect(chooseAgent(item('c1', { language: 'es' }), agents, EMPTY_ROUTING_STATE, team).assignment!.agentId).toBe('spanish-free');
    expect(chooseAgent(item('c2', { intent: 'refund', network: 'x' }), agents, EMPTY_ROUTING_STATE, team).assignment!.agentId).toBe('refunds');
    expect(chooseAgent(item('c3', { language: 'fr' }), agents, EMPTY_ROUTING_STATE, team).assignment!.agentId).toBe('generalist');
  });

  it('skills with a required language wait rather than misroute', () => {
    const team: TeamAssignmentConfig = { teamId: 'care', strategy: 'skills', requireLanguageMatch: true };
    const agents = [agent('en', { skills: { languages: ['en'] } }), agent('de', { openCount: 3, skills: { languages: ['de'] } })];
    expect(chooseAgent(item('c1', { language: 'fr' }), agents, EMPTY_ROUTING_STATE, team)).toMatchObject({
      assignment: null,
      waitingReason: 'no_language_match',
    });
    expect(chooseAgent(item('c2', { language: 'de' }), agents, EMPTY_ROUTING_STATE, team).waitingReason).toBe('at_capacity');
  });

  it('only assigns to online agents of the team', () => {
    const agents = [agent('a', { availability: 'away' }), agent('b', { availability: 'offline' }), agent('c', { teamIds: ['other'] })];
    expect(chooseAgent(item('c1'), agents)).toMatchObject({ assignment: null, waitingReason: 'no_agent_online' });
  });

  it('sends follow-ups to the agent who has the customer, even at capacity', () => {
    const agents = [agent('owner', { openCount: 3, availability: 'away' }), agent('free')];
    expect(chooseAgent(item('c1', { stickyAgentId: 'owner' }), agents).assignment).toMatchObject({ agentId: 'owner', reason: 'sticky' });
    // ...but not to an agent who is offline.
    const offline = [agent('owner', { availability: 'offline' }), agent('free')];
    expect(chooseAgent(item('c1', { stickyAgentId: 'owner' }), offline).assignment).toMatchObject({ agentId: 'free', reason: 'least_loaded' });
  });

  it('never auto-assigns in a manual team (except sticky follow-ups)', () => {
    const manual: TeamAssignmentConfig = { teamId: 'care', strategy: 'manual' };
    expect(chooseAgent(item('c1'), [agent('a')], EMPTY_ROUTING_STATE, manual).waitingReason).toBe('manual_team');
    expect(chooseAgent(item('c1', { stickyAgentId: 'a' }), [agent('a')], EMPTY_ROUTING_STATE, manual).assignment!.reason).toBe('sticky');
  });
});

describe('drainQueue', () => {
  it('orders by priority then age', () => {
    const q = [
      item('old-low', { priority: 5, queuedAt: 1 }),
      item('new-high', { priority: 90, queuedAt: 50 }),
      item('old-high', { priority: 90, queuedAt: 10 }),
      item('mid', { priority: 40, queuedAt: 5 }),
    ];
    expect([...q].sort(queueOrder).map((i) => i.conversationId)).toEqual(['old-high', 'new-high', 'mid', 'old-low']);
  });

  it('saturates capacity, queues the rest, and assigns the moment capacity frees', () => {
    const agents = [agent('a', { maxOpen: 2 }), agent('b', { maxOpen: 1 })];
    const queue = [
      item('p10', { priority: 10, queuedAt: 100 }),
      item('p50-late', { priority: 50, queuedAt: 300 }),
      item('p50-early', { priority: 50, queuedAt: 200 }),
      item('p90', { priority: 90, queuedAt: 400 }),
      item('p30', { priority: 30, queuedAt: 50 }),
    ];
    const first = drainQueue(queue, agents, EMPTY_ROUTING_STATE, { now: 1_000 });
    expect(first.assignments.map((a) => [a.conversationId, a.agentId])).toEqual([
      ['p90', 'a'],
      ['p50-early', 'b'],
      ['p50-late', 'a'],
    ]);
    expect(first.waiting.map((w) => [w.conversationId, w.waitingReason])).toEqual([
      ['p30', 'at_capacity'],
      ['p10', 'at_capacity'],
    ]);
    expect(first.agents.map((a) => [a.id, a.openCount, a.lastAssignedAt])).toEqual([
      ['a', 2, 1_000],
      ['b', 1, 1_000],
    ]);
    // The inputs are untouched.
    expect(agents[0]!.openCount).toBe(0);

    // Nothing frees up: nothing moves.
    const stuck = drainQueue(first.waiting, first.agents, first.state);
    expect(stuck.assignments).toEqual([]);

    // Agent b resolves a conversation: the highest priority waiting one goes to b at once.
    const released = first.agents.map((a) => (a.id === 'b' ? { ...a, openCount: 0 } : a));
    const second = drainQueue(first.waiting, released, first.state);
    expect(second.assignments.map((a) => [a.conversationId, a.agentId])).toEqual([['p30', 'b']]);
    expect(second.waiting.map((w) => w.conversationId)).toEqual(['p10']);

    // A sticky follow-up for a full agent still goes to them, ahead of capacity.
    const third = drainQueue([...second.waiting, item('follow-up', { priority: 1, stickyAgentId: 'a' })], second.agents, second.state);
    expect(third.assignments).toEqual([{ conversationId: 'follow-up', teamId: 'care', agentId: 'a', reason: 'sticky' }]);
    expect(third.agents.find((x) => x.id === 'a')!.openCount).toBe(3);
  });

  it('spreads work evenly with round robin across a drain', () => {
    const agents = [agent('a'), agent('b'), agent('c')];
    const queue = Array.from({ length: 6 }, (_, i) => item(`c${i}`, { queuedAt: i }));
    const result = drainQueue(queue, agents, EMPTY_ROUTING_STATE, { teams: [rr] });
    expect(result.assignments.map((a) => a.agentId)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(result.state.roundRobin.care).toBe('c');
  });

  it('spreads ties with least loaded across a drain', () => {
    const agents = [agent('a', { openCount: 1 }), agent('b', { openCount: 1 }), agent('c', { openCount: 0 })];
    const result = drainQueue(Array.from({ length: 4 }, (_, i) => item(`c${i}`, { queuedAt: i })), agents);
    expect(result.assignments.map((a) => a.agentId)).toEqual(['c', 'a', 'b', 'c']);
  });

  it('routes each team with its own strategy', () => {
    const agents = [agent('care-1'), agent('vip-1', { teamIds: ['vip'] }), agent('vip-2', { teamIds: ['vip'] })];
    const result = drainQueue(
      [item('v1', { teamId: 'vip', priority: 99 }), item('v2', { teamId: 'vip', priority: 98 }), item('c1')],
      agents,
      EMPTY_ROUTING_STATE,
      { teams: [{ teamId: 'vip', strategy: 'round_robin' }] },
    );
    expect(result.assignments.map((a) => [a.conversationId, a.agentId, a.reason])).toEqual([
      ['v1', 'vip-1', 'round_robin'],
      ['v2', 'vip-2', 'round_robin'],
      ['c1', 'care-1', 'least_loaded'],
    ]);
  });
});
