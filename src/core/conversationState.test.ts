import { describe, expect, it } from 'vitest';
import { applyMessage, applyStatus, asHistory, HISTORY_AFTER_MS, isHistory, isStoredHistory, newConversationState, resumeHistory, type ConversationState } from './conversationState.js';

const MIN = 60_000;
const inbound = (t: number, priority = 10) => ({ direction: 'inbound' as const, createdAt: t, isAuto: false, priority });
const reply = (t: number, isAuto = false) => ({ direction: 'outbound' as const, createdAt: t, isAuto });

function run(events: Parameters<typeof applyMessage>[1][], start = 0) {
  let s: ConversationState = newConversationState(start);
  const facts = [];
  for (const e of events) {
    const r = applyMessage(s, e);
    s = r.state;
    facts.push(...r.facts);
  }
  return { s, facts: facts.filter((f) => f.kind !== 'inbound') };
}

describe('conversation state', () => {
  it('measures the first response from the first unanswered inbound message', () => {
    const { s, facts } = run([inbound(0), inbound(5 * MIN), reply(12 * MIN)]);
    expect(facts).toEqual([{ kind: 'first_response', occurredAt: 12 * MIN, from: 0, to: 12 * MIN }]);
    expect(s.status).toBe('open');
    expect(s.waitingSince).toBeNull();
    expect(s.firstResponseAt).toBe(12 * MIN);
  });

  it('never counts an auto-acknowledgement as a response', () => {
    const { s, facts } = run([inbound(0), reply(1 * MIN, true), reply(40 * MIN)]);
    expect(facts).toEqual([{ kind: 'first_response', occurredAt: 40 * MIN, from: 0, to: 40 * MIN }]);
    expect(s.firstResponseAt).toBe(40 * MIN);
  });

  it('measures next responses from the next unanswered message', () => {
    const { facts } = run([inbound(0), reply(10 * MIN), inbound(20 * MIN), reply(50 * MIN), reply(55 * MIN)]);
    expect(facts.map((f) => [f.kind, f.from, f.to])).toEqual([
      ['first_response', 0, 10 * MIN],
      ['next_response', 20 * MIN, 50 * MIN],
    ]);
  });

  it('measures a reopened conversation from the reopening, not the first message', () => {
    let { s } = run([inbound(0), reply(10 * MIN)]);
    const resolved = applyStatus(s, 'resolved', 15 * MIN);
    expect(resolved.facts).toEqual([{ kind: 'resolution', occurredAt: 15 * MIN, from: 0, to: 15 * MIN }]);
    s = resolved.state;
    const day = 24 * 60 * MIN;
    const r1 = applyMessage(s, inbound(day));
    expect(r1.state.status).toBe('open');
    expect(r1.state.reopenedCount).toBe(1);
    expect(r1.facts.map((f) => f.kind)).toEqual(['inbound', 'reopen']);
    const r2 = applyMessage(r1.state, reply(day + 7 * MIN));
    expect(r2.facts).toEqual([{ kind: 'first_response', occurredAt: day + 7 * MIN, from: day, to: day + 7 * MIN }]);
    expect(r2.state.firstResponseAt).toBe(10 * MIN); // the conversation's very first response is kept
  });

  it("keeps the brand's own post out of the open inbox, and makes a customer's first answer to it a first contact", () => {
    const post = run([reply(0)]);
    expect(post.s.status).toBe('resolved');
    expect(post.s.firstResponseAt).toBeNull(); // a post answers nobody
    expect(post.facts).toEqual([]);
    const r = applyMessage(post.s, inbound(30 * MIN, 40));
    expect(r.state).toMatchObject({ status: 'new', reopenedCount: 0, waitingSince: 30 * MIN, cycleStartedAt: 30 * MIN, resolvedAt: null, priority: 40 });
    expect(r.facts.map((f) => f.kind)).toEqual(['inbound']); // not a reopening
    const answered = applyMessage(r.state, reply(40 * MIN));
    expect(answered.facts).toEqual([{ kind: 'first_response', occurredAt: 40 * MIN, from: 30 * MIN, to: 40 * MIN }]);
    expect(answered.state.status).toBe('open');
    // an auto-acknowledgement alone leaves a new conversation as it was
    expect(run([reply(0, true)]).s.status).toBe('new');
  });

  it('moves a conversation waiting on the customer back to open when they write', () => {
    let { s } = run([inbound(0), reply(MIN)]);
    s = applyStatus(s, 'waiting', 2 * MIN, 10 * MIN).state;
    expect(s.snoozedUntil).toBe(10 * MIN);
    const r = applyMessage(s, inbound(3 * MIN));
    expect(r.state.status).toBe('open');
    expect(r.state.snoozedUntil).toBeNull();
  });

  it('raises priority while waiting and resets it after a response', () => {
    let { s } = run([inbound(0, 20), inbound(MIN, 70)]);
    expect(s.priority).toBe(70);
    s = applyMessage(s, reply(2 * MIN)).state;
    s = applyMessage(s, inbound(3 * MIN, 15)).state;
    expect(s.priority).toBe(15);
  });

  it('raises the priority of a chased conversation above where it stood, once per unanswered stretch', () => {
    // a complaint scores 49; "hello??" scores 44 on its own text (its chaser points included)
    const chaser = (t: number, priority = 44) => ({ ...inbound(t, priority), chaserPoints: 20 });
    let { s } = run([inbound(0, 49)]);
    expect(s.priority).toBe(49);
    s = applyMessage(s, chaser(30 * MIN)).state;
    expect(s.priority).toBe(69); // 49 + 20, not max(49, 44)
    // the same wait chased again: the caller passes no more points, and the own score does not lower it
    s = applyMessage(s, { ...chaser(60 * MIN), chaserPoints: 0 }).state;
    expect(s.priority).toBe(69);
    // a chaser whose own text scores more than the standing priority plus its points keeps its own
    expect(applyMessage(run([inbound(0, 20)]).s, chaser(MIN, 80)).state.priority).toBe(80);
    // bounded by the scale
    expect(applyMessage(run([inbound(0, 95)]).s, chaser(MIN)).state.priority).toBe(100);
    // nothing awaited a reply: a chaser starts the wait and is scored on its own
    const answered = applyMessage(run([inbound(0, 49)]).s, reply(MIN)).state;
    expect(applyMessage(answered, chaser(2 * MIN)).state.priority).toBe(44);
  });

  it('records a "thanks, all sorted" after resolving without reopening; a message that needs an answer still reopens', () => {
    const { s } = run([inbound(0, 49), reply(10 * MIN)]);
    const resolved = applyStatus(s, 'resolved', 15 * MIN).state;
    const thanks = applyMessage(resolved, { ...inbound(20 * MIN, 0), closesOnly: true });
    expect(thanks.state).toMatchObject({ status: 'resolved', resolvedAt: 15 * MIN, reopenedCount: 0, cycleStartedAt: 0, waitingSince: null, lastInboundAt: 20 * MIN, messageCount: 3, lastMessageAt: 20 * MIN });
    expect(thanks.facts.map((f) => f.kind)).toEqual(['inbound']); // counted as volume, not as a reopening
    const again = applyMessage(thanks.state, inbound(40 * MIN, 30));
    expect(again.state).toMatchObject({ status: 'open', reopenedCount: 1, cycleStartedAt: 40 * MIN, waitingSince: 40 * MIN });
    expect(again.facts.map((f) => f.kind)).toEqual(['inbound', 'reopen']);
    // a closing message on an open conversation is an inbound message like any other
    expect(applyMessage(run([inbound(0, 49)]).s, { ...inbound(MIN, 0), closesOnly: true }).state).toMatchObject({ status: 'new', waitingSince: 0, priority: 49 });
  });

  it('stores imported history resolved at its last message, and resumes it when more history follows', () => {
    const now = 1_000 * HISTORY_AFTER_MS;
    expect(isHistory(now - HISTORY_AFTER_MS - 1, now)).toBe(true);
    expect(isHistory(now - HISTORY_AFTER_MS + 1, now)).toBe(false);
    const { s, facts } = run([inbound(0, 49)]);
    const h = asHistory(s);
    expect(h).toMatchObject({ status: 'resolved', resolvedAt: 0, waitingSince: 0, reopenedCount: 0 });
    expect(isStoredHistory(h)).toBe(true);
    expect(facts).toEqual([]); // no resolution measured: nobody at the desk resolved it
    // the brand's answer in the next batch is its first response, not a reply to a resolved conversation
    const r = applyMessage(resumeHistory(h), reply(12 * MIN));
    expect(r.facts).toEqual([{ kind: 'first_response', occurredAt: 12 * MIN, from: 0, to: 12 * MIN }]);
    expect(isStoredHistory(asHistory(r.state))).toBe(true);
    // resolved by a person, or the brand's own post: not history
    expect(isStoredHistory(applyStatus(s, 'resolved', 5 * MIN).state)).toBe(false);
    expect(isStoredHistory(run([reply(0)]).s)).toBe(false);
  });
});
