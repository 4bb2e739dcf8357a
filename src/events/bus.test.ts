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
});
