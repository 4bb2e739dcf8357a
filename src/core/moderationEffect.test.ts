import { describe, expect, it } from 'vitest';
import { moderationEffect } from './moderationEffect.js';

describe('moderationEffect', () => {
  it('keeps the latest of hide/unhide, block/unblock and mute/unmute, and a delete for good', () => {
    const e = moderationEffect([
      { action: 'hide', message_id: 1, identity_id: 10 },
      { action: 'block', message_id: 1, identity_id: 10 },
      { action: 'unhide', message_id: 1, identity_id: 10 },
      { action: 'mute', message_id: 2, identity_id: 20 },
      { action: 'delete', message_id: 3, identity_id: 20 },
      { action: 'unblock', message_id: 4, identity_id: 10 },
      { action: 'hide', message_id: 5, identity_id: null },
    ]);
    expect([...e.hidden]).toEqual([[1, false], [5, true]]);
    expect([...e.deleted]).toEqual([3]);
    expect([...e.blocked]).toEqual([[10, false]]);
    expect([...e.muted]).toEqual([[20, true]]);
    // an author action without an author changes nobody
    expect(moderationEffect([{ action: 'block', message_id: 1, identity_id: null }]).blocked.size).toBe(0);
  });
});
