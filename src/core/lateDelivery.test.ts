/**
 * A customer message delivered late across a resolve (written before it, received after) counts
 * from its receipt, in the conversation's state (`countsFrom` of `applyMessage`, which ingest
 * sets) and in its SLA clocks (`countedTimeline`, which reads the receipt) alike: the reopening,
 * the wait, the first response measured and the clock all start there, while the message's own
 * times (last message, volume) stay the network's.
 */
import { describe, expect, it } from 'vitest';
import { applyMessage, applyStatus, newConversationState, type ConversationState } from './conversationState.js';
import { DEFAULT_SLA_POLICY, evaluateSla, type SlaEvent } from './sla.js';

const MIN = 60_000;
const T = Date.UTC(2026, 10, 17, 10, 0);

/** A complaint at T, answered at T+10, resolved at T+15: the state, and the same as SLA events. */
function resolvedCase(): { s: ConversationState; events: SlaEvent[]; resolvedAt: number } {
  let s = newConversationState(T);
  s = applyMessage(s, { direction: 'inbound', createdAt: T, isAuto: false, priority: 40 }).state;
  s = applyMessage(s, { direction: 'outbound', createdAt: T + 10 * MIN, isAuto: false }).state;
  s = applyStatus(s, 'resolved', T + 15 * MIN).state;
  return { s, events: [{ type: 'inbound', at: T }, { type: 'outbound', at: T + 10 * MIN }, { type: 'status', at: T + 15 * MIN, status: 'resolved' }], resolvedAt: T + 15 * MIN };
}

describe('a message delivered late across a resolve', () => {
  it('reopens the conversation as of its receipt, where its SLA clock starts too; the first response is measured from there', () => {
    const { s, events, resolvedAt } = resolvedCase();
    const written = resolvedAt - 2 * MIN;
    const received = resolvedAt + 20 * MIN;
    const r = applyMessage(s, { direction: 'inbound', createdAt: written, isAuto: false, priority: 40, countsFrom: received });
    expect(r.state).toMatchObject({ status: 'open', reopenedCount: 1, cycleStartedAt: received, waitingSince: received, resolvedAt: null, lastInboundAt: written, lastMessageAt: written });
    // volume where the network dated it; the reopening when the desk received it
    expect(r.facts).toEqual([{ kind: 'inbound', occurredAt: written, from: null, to: null }, { kind: 'reopen', occurredAt: received, from: null, to: null }]);
    const ev = evaluateSla(DEFAULT_SLA_POLICY, { visibility: 'public', priority: 40, events: [...events, { type: 'inbound', at: written, receivedAt: received }] }, received + MIN);
    expect(ev.firstResponse).toMatchObject({ cycle: 2, startedAt: r.state.waitingSince, dueAt: received + 30 * MIN });
    expect(ev.resolution).toMatchObject({ cycle: 2, startedAt: r.state.cycleStartedAt });

    const answered = applyMessage(r.state, { direction: 'outbound', createdAt: received + 40 * MIN, isAuto: false });
    expect(answered.facts).toEqual([{ kind: 'first_response', occurredAt: received + 40 * MIN, from: received, to: received + 40 * MIN }]);

    // a second one as old, received later still: the wait it joins began at the first receipt
    const again = applyMessage(r.state, { direction: 'inbound', createdAt: written + MIN, isAuto: false, priority: 40, countsFrom: received + 10 * MIN });
    expect(again.state).toMatchObject({ waitingSince: received, cycleStartedAt: received, reopenedCount: 1 });
  });

  it('leaves the conversation resolved on a late closing-only message, as the SLA timeline does', () => {
    const { s, events, resolvedAt } = resolvedCase();
    const r = applyMessage(s, { direction: 'inbound', createdAt: resolvedAt - 2 * MIN, isAuto: false, priority: 0, closesOnly: true, countsFrom: resolvedAt + 20 * MIN });
    expect(r.state).toMatchObject({ status: 'resolved', reopenedCount: 0, resolvedAt, waitingSince: null });
    const policy = DEFAULT_SLA_POLICY;
    const conv = (e: SlaEvent[]) => ({ visibility: 'public' as const, priority: 0, events: e });
    expect(evaluateSla(policy, conv([...events, { type: 'inbound', at: resolvedAt - 2 * MIN, receivedAt: resolvedAt + 20 * MIN, reopens: false }]), resolvedAt + 30 * MIN))
      .toEqual(evaluateSla(policy, conv(events), resolvedAt + 30 * MIN));
  });

  it('without a receipt to count from, a message reopens where it was written (as before)', () => {
    const { s, resolvedAt } = resolvedCase();
    const r = applyMessage(s, { direction: 'inbound', createdAt: resolvedAt + 5 * MIN, isAuto: false, priority: 40 });
    expect(r.state).toMatchObject({ status: 'open', cycleStartedAt: resolvedAt + 5 * MIN, waitingSince: resolvedAt + 5 * MIN });
  });
});
