/**
 * QA (routing/SLA/hours pass): what an agent sees of a conversation's SLA clocks in the side
 * panel between the server's sweeps. A clock the server last reported in `warning` that is
 * now past due reads as breached ("was due … (5m ago)"), not "Warning · due in 5m" — the
 * minutes are overdue ones. Running, met and paused clocks read as before.
 */
import { describe, expect, it } from 'vitest';
import { clockRowView } from '../web/src/workflow/slaClockView.js';

const due = Date.UTC(2026, 10, 16, 10, 30);
const iso = (t: number) => new Date(t).toISOString();
const MIN = 60_000;

describe('SLA clock row in the side panel', () => {
  it('a warning clock past its due time reads as breached, with how long ago it was due', () => {
    const v = clockRowView({ state: 'warning', dueAt: iso(due), stoppedAt: null }, due + 5 * MIN);
    expect(v.state).toBe('breached');
    expect(v.when).toMatch(/^was due .* \(5m ago\)$/);
    expect(v.when).not.toMatch(/due in/);
  });
  it('an active clock past due reads as breached too', () => {
    expect(clockRowView({ state: 'active', dueAt: iso(due), stoppedAt: null }, due + MIN).state).toBe('breached');
  });
  it('a warning clock before its due time says how long is left', () => {
    const v = clockRowView({ state: 'warning', dueAt: iso(due), stoppedAt: null }, due - 7 * MIN);
    expect(v.state).toBe('warning');
    expect(v.when).toMatch(/^due in 7m · /);
  });
  it('a met clock stays met whatever the time', () => {
    const v = clockRowView({ state: 'met', dueAt: iso(due), stoppedAt: iso(due - MIN) }, due + 60 * MIN);
    expect(v.state).toBe('met');
    expect(v.when).toMatch(/^stopped /);
  });
});
