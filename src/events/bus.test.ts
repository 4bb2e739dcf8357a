import { describe, expect, it } from 'vitest';
import { EventBus } from './bus.js';

describe('EventBus.since (what a reconnecting client missed)', () => {
  it('replays what came after an id this process gave', () => {
    const bus = new EventBus();
    const a = bus.publish(1, 'x', { n: 1 });
    bus.publish(1, 'x', { n: 2 });
    bus.publish(2, 'x', { n: 3 });
    expect(bus.since(1, a.id)!.map((e) => (e.data as { n: number }).n)).toEqual([2]);
    expect(bus.since(1, bus.lastId())).toEqual([]);
  });

  it('asks for a reset for an id it never gave: another process’s, or one from before a restart', () => {
    const bus = new EventBus();
    bus.publish(1, 'x', {});
    const later = new EventBus(); // a process started after this one: its ids are higher
    for (let i = 0; i < 5; i++) later.publish(1, 'x', {});
    expect(bus.since(1, later.lastId() + 1_000_000)).toBeNull();
    expect(bus.since(1, 1)).toBeNull();
  });

  it('forgets a brand\'s kept events when a person is erased: a client resuming from before refetches', () => {
    const bus = new EventBus();
    const before = bus.publish(1, 'message.created', { text: 'my card number is 4111' });
    bus.publish(2, 'message.created', { text: 'another brand' });
    const other = bus.lastId();
    bus.publish(1, 'message.updated', { id: 7, text: '', redacted: 'erasure' });
    // from another process, through the bridge, as from this one
    const erased = bus.publishRemote({ brandId: 1, type: 'contact.updated', data: { contactId: 3, erased: true }, at: Date.now() });
    expect(bus.since(1, before.id)).toBeNull();
    // one that had every event up to the erasure's (it saw them live) gets just that one
    expect(bus.since(1, erased.id - 1)).toEqual([erased]);
    expect(bus.since(1, erased.id)).toEqual([]);
    const after = bus.publish(1, 'x', {});
    expect(bus.since(1, erased.id)).toEqual([after]);
    // another brand's buffer is untouched; a contact update that is not an erasure forgets nothing
    expect(bus.since(2, other - 1)!.map((e) => e.data)).toEqual([{ text: 'another brand' }]);
    bus.publish(1, 'contact.updated', { contactId: 4, crmCustomerId: 'c-9' });
    expect(bus.since(1, erased.id)!.length).toBe(2);
  });
});
