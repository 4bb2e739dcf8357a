/**
 * Routing decisions: which team (queue) a conversation belongs to, and which agent gets it.
 *
 * - `pickTeam`: per brand, ordered rules match on channel account, network, triage
 *   category, intent, language, priority and visibility; the first match wins, otherwise
 *   the brand's default team.
 * - `chooseAgent`: a team's auto-assignment strategy — round robin (the pointer is plain
 *   state passed in and returned), least loaded, or skills (best match on language, intent
 *   and network, then least loaded) — among agents who are `online` and below their
 *   capacity (max open conversations). Follow-ups from a customer go to the agent who
 *   already has them (sticky), even when that agent is at capacity.
 * - `drainQueue`: when everyone is at capacity, conversations wait; whenever capacity frees
 *   up the queue is drained in priority-then-age order.
 *
 * Pure: agents' loads and the round-robin pointers come in and go out as data; the caller
 * persists them.
 */

import type { Availability, Network, TriageCategory, Visibility } from './types.js';

export interface RoutingContext {
  channelAccountId: string;
  network?: Network | null;
  category?: TriageCategory | null;
  intent?: string | null;
  /** BCP 47 tag; rules and skills compare the primary language (`en-GB` ~ `en`). */
  language?: string | null;
  priority?: number | null;
  visibility?: Visibility | null;
}

/** A routing rule: every listed condition must hold; an omitted condition always holds. */
export interface TeamRule {
  id?: string;
  teamId: string;
  when: {
    channelAccountIds?: string[] | null;
    networks?: Network[] | null;
    categories?: TriageCategory[] | null;
    intents?: string[] | null;
    languages?: string[] | null;
    minPriority?: number | null;
    maxPriority?: number | null;
    visibility?: Visibility | null;
  };
}

export interface BrandRouting {
  brandId?: string;
  /** Evaluated in order; the first matching rule wins. */
  rules: TeamRule[];
  defaultTeamId: string;
}

export interface TeamChoice {
  teamId: string;
  /** Index of the matching rule, null when the default team was used. */
  ruleIndex: number | null;
  ruleId: string | null;
}

const primary = (lang: string | null | undefined) => (lang ? lang.trim().toLowerCase().split(/[-_]/)[0]! : '');
const lower = (s: string | null | undefined) => (s ?? '').trim().toLowerCase();

function listed<T extends string>(list: readonly T[] | null | undefined, value: T | null | undefined, norm: (v: string) => string = (v) => v): boolean {
  if (!list || list.length === 0) return true;
  if (value === null || value === undefined) return false;
  const v = norm(value);
  return list.some((x) => norm(x) === v);
}

/** Whether a rule's conditions all hold for the context. */
export function ruleMatches(rule: TeamRule, ctx: RoutingContext): boolean {
  const w = rule.when ?? {};
  if (!listed(w.channelAccountIds, ctx.channelAccountId)) return false;
  if (!listed(w.networks, ctx.network)) return false;
  if (!listed(w.categories, ctx.category)) return false;
  if (!listed(w.intents, ctx.intent, lower)) return false;
  if (!listed(w.languages, ctx.language, primary)) return false;
  if (w.visibility && ctx.visibility !== w.visibility) return false;
  const p = ctx.priority;
  if (w.minPriority !== null && w.minPriority !== undefined && !(typeof p === 'number' && p >= w.minPriority)) return false;
  if (w.maxPriority !== null && w.maxPriority !== undefined && !(typeof p === 'number' && p <= w.maxPriority)) return false;
  return true;
}

/** The team for a conversation: the first matching rule's team, else the brand default. */
export function pickTeam(routing: BrandRouting, ctx: RoutingContext): TeamChoice {
  for (let i = 0; i < routing.rules.length; i++) {
    const rule = routing.rules[i]!;
    if (ruleMatches(rule, ctx)) return { teamId: rule.teamId, ruleIndex: i, ruleId: rule.id ?? null };
  }
  return { teamId: routing.defaultTeamId, ruleIndex: null, ruleId: null };
}

export type AssignmentStrategy = 'round_robin' | 'least_loaded' | 'skills' | 'manual';

export interface TeamAssignmentConfig {
  teamId: string;
  strategy: AssignmentStrategy;
  /** With `skills`: only agents speaking the conversation's language (when it is known). */
  requireLanguageMatch?: boolean | null;
}

export interface AgentSkills {
  languages?: string[] | null;
  networks?: Network[] | null;
  intents?: string[] | null;
}

export interface RoutingAgent {
  id: string;
  availability: Availability;
  teamIds: readonly string[];
  /** Capacity: most open conversations auto-assignment may give this agent. */
  maxOpen: number;
  openCount: number;
  skills?: AgentSkills | null;
  /** Tie-breaker for least-loaded: whoever got work longest ago goes first. */
  lastAssignedAt?: number | null;
}

export interface RoutingState {
  /** Per team, the id of the agent who got the last round-robin assignment. */
  roundRobin: Record<string, string | null>;
}

export interface QueuedConversation {
  conversationId: string;
  teamId: string;
  priority: number;
  /** When it started waiting (ms since epoch): the age in priority-then-age order. */
  queuedAt: number;
  language?: string | null;
  network?: Network | null;
  intent?: string | null;
  /**
   * The agent who already has this customer's conversation: follow-ups stick to them
   * even at capacity (unless they are offline).
   */
  stickyAgentId?: string | null;
}

export type AssignmentReason = 'sticky' | 'round_robin' | 'least_loaded' | 'skills';
export type WaitingReason = 'manual_team' | 'no_agent_online' | 'at_capacity' | 'no_language_match';

export interface Assignment {
  conversationId: string;
  teamId: string;
  agentId: string;
  reason: AssignmentReason;
}

export interface AgentChoice {
  assignment: Assignment | null;
  /** Why nothing was assigned (null when assigned). */
  waitingReason: WaitingReason | null;
  state: RoutingState;
}

export const EMPTY_ROUTING_STATE: RoutingState = { roundRobin: {} };

/** Queue order: higher priority first, then longer waiting, then id (stable). */
export function queueOrder(a: QueuedConversation, b: QueuedConversation): number {
  return b.priority - a.priority || a.queuedAt - b.queuedAt || (a.conversationId < b.conversationId ? -1 : a.conversationId > b.conversationId ? 1 : 0);
}

function hasCapacity(agent: RoutingAgent): boolean {
  return agent.openCount < agent.maxOpen;
}

function skillScore(agent: RoutingAgent, item: QueuedConversation): number {
  const s = agent.skills ?? {};
  let score = 0;
  if (item.language && (s.languages ?? []).some((l) => primary(l) === primary(item.language))) score += 4;
  if (item.intent && (s.intents ?? []).some((i) => lower(i) === lower(item.intent))) score += 2;
  if (item.network && (s.networks ?? []).includes(item.network)) score += 1;
  return score;
}

interface Recency {
  /** Assignments made earlier in this drain rank as most recent. */
  seq: Map<string, number>;
}

function leastLoadedCompare(recency: Recency) {
  return (a: RoutingAgent, b: RoutingAgent): number => {
    if (a.openCount !== b.openCount) return a.openCount - b.openCount;
    const sa = recency.seq.get(a.id);
    const sb = recency.seq.get(b.id);
    if (sa !== undefined || sb !== undefined) {
      if (sa === undefined) return -1;
      if (sb === undefined) return 1;
      if (sa !== sb) return sa - sb;
    }
    const la = a.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
    const lb = b.lastAssignedAt ?? Number.NEGATIVE_INFINITY;
    if (la !== lb) return la < lb ? -1 : 1;
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
  };
}

function choose(
  item: QueuedConversation,
  agents: readonly RoutingAgent[],
  state: RoutingState,
  team: TeamAssignmentConfig,
  recency: Recency,
): AgentChoice {
  if (item.stickyAgentId) {
    const owner = agents.find((a) => a.id === item.stickyAgentId);
    if (owner && owner.availability !== 'offline') {
      return {
        assignment: { conversationId: item.conversationId, teamId: item.teamId, agentId: owner.id, reason: 'sticky' },
        waitingReason: null,
        state,
      };
    }
  }
  if (team.strategy === 'manual') return { assignment: null, waitingReason: 'manual_team', state };
  const online = agents.filter((a) => a.availability === 'online' && a.teamIds.includes(item.teamId));
  if (online.length === 0) return { assignment: null, waitingReason: 'no_agent_online', state };
  let candidates = online.filter(hasCapacity);
  if (candidates.length === 0) return { assignment: null, waitingReason: 'at_capacity', state };
  const assign = (agent: RoutingAgent, reason: AssignmentReason, next: RoutingState = state): AgentChoice => ({
    assignment: { conversationId: item.conversationId, teamId: item.teamId, agentId: agent.id, reason },
    waitingReason: null,
    state: next,
  });

  switch (team.strategy) {
    case 'round_robin': {
      const ordered = [...online].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const last = state.roundRobin[item.teamId] ?? null;
      // Start after the last assigned agent's position (by id, so a departed agent still works as a pointer).
      let startIdx = last === null ? 0 : ordered.findIndex((a) => a.id > last);
      if (startIdx < 0) startIdx = 0;
      for (let k = 0; k < ordered.length; k++) {
        const agent = ordered[(startIdx + k) % ordered.length]!;
        if (hasCapacity(agent)) {
          return assign(agent, 'round_robin', { ...state, roundRobin: { ...state.roundRobin, [item.teamId]: agent.id } });
        }
      }
      return { assignment: null, waitingReason: 'at_capacity', state };
    }
    case 'skills': {
      if (team.requireLanguageMatch && item.language) {
        const speakers = candidates.filter((a) => (a.skills?.languages ?? []).some((l) => primary(l) === primary(item.language)));
        if (speakers.length === 0) {
          const anySpeaker = online.some((a) => (a.skills?.languages ?? []).some((l) => primary(l) === primary(item.language)));
          return { assignment: null, waitingReason: anySpeaker ? 'at_capacity' : 'no_language_match', state };
        }
        candidates = speakers;
      }
      const byLoad = leastLoadedCompare(recency);
      const best = [...candidates].sort((a, b) => skillScore(b, item) - skillScore(a, item) || byLoad(a, b))[0]!;
      return assign(best, 'skills');
    }
    case 'least_loaded':
    default: {
      const best = [...candidates].sort(leastLoadedCompare(recency))[0]!;
      return assign(best, 'least_loaded');
    }
  }
}

const DEFAULT_TEAM = (teamId: string): TeamAssignmentConfig => ({ teamId, strategy: 'least_loaded' });

/**
 * Picks an agent for one conversation under its team's strategy (least loaded when the
 * team is not configured). Does not change the agents; the returned state carries the new
 * round-robin pointer.
 */
export function chooseAgent(
  item: QueuedConversation,
  agents: readonly RoutingAgent[],
  state: RoutingState = EMPTY_ROUTING_STATE,
  team: TeamAssignmentConfig = DEFAULT_TEAM(item.teamId),
): AgentChoice {
  return choose(item, agents, state, team, { seq: new Map() });
}

export interface DrainResult {
  /** In the order they were made (priority, then age). */
  assignments: Assignment[];
  /** Still waiting, in queue order, with the reason. */
  waiting: Array<QueuedConversation & { waitingReason: WaitingReason }>;
  /** The agents with their open counts (and `lastAssignedAt` when `now` was given) updated. */
  agents: RoutingAgent[];
  state: RoutingState;
}

export interface DrainOptions {
  teams?: readonly TeamAssignmentConfig[] | null;
  /** Stamped as `lastAssignedAt` on agents who get work. */
  now?: number | null;
}

/**
 * Assigns waiting conversations in priority-then-age order while agents have capacity —
 * call it whenever capacity frees up (a conversation resolved, an agent comes online) or
 * new conversations arrive. Sticky follow-ups go to their owner even at capacity.
 */
export function drainQueue(
  queue: readonly QueuedConversation[],
  agents: readonly RoutingAgent[],
  state: RoutingState = EMPTY_ROUTING_STATE,
  options: DrainOptions = {},
): DrainResult {
  const teams = new Map((options.teams ?? []).map((t) => [t.teamId, t]));
  const working = agents.map((a) => ({ ...a }));
  const byId = new Map(working.map((a) => [a.id, a]));
  const recency: Recency = { seq: new Map() };
  const assignments: Assignment[] = [];
  const waiting: DrainResult['waiting'] = [];
  let current = state;
  let seq = 0;
  for (const item of [...queue].sort(queueOrder)) {
    const team = teams.get(item.teamId) ?? DEFAULT_TEAM(item.teamId);
    const choice = choose(item, working, current, team, recency);
    current = choice.state;
    if (!choice.assignment) {
      waiting.push({ ...item, waitingReason: choice.waitingReason ?? 'at_capacity' });
      continue;
    }
    const agent = byId.get(choice.assignment.agentId)!;
    agent.openCount += 1;
    if (typeof options.now === 'number') agent.lastAssignedAt = options.now;
    recency.seq.set(agent.id, seq++);
    assignments.push(choice.assignment);
  }
  return { assignments, waiting, agents: working, state: current };
}
