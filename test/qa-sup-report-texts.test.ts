/**
 * QA (supervisor flows), the reports' texts: a reversed custom period from a shared URL is one
 * clear problem (with the dates swapped to offer), not "starts after today" plus a failed load;
 * an empty people table blames imported history only when there is some in the period, and a new
 * team with no members says so. Pure functions of web/src/reports/.
 */
import { describe, expect, it } from 'vitest';
import { customPeriodProblem } from '../web/src/reports/customPeriod.js';
import { emptyText } from '../web/src/reports/peopleText.js';

describe('a reversed custom period', () => {
  it('is reversed (not in the future), with the swapped dates to offer', () => {
    expect(customPeriodProblem('2026-12-10', '2026-12-01', '2026-12-07')).toEqual({ kind: 'reversed', swapped: { from: '2026-12-01', to: '2026-12-10' } });
    expect(customPeriodProblem('2026-12-10', '2026-12-12', '2026-12-07')).toEqual({ kind: 'future' });
    expect(customPeriodProblem('2026-12-01', '2026-12-07', '2026-12-07')).toBeNull();
    expect(customPeriodProblem('2026-12-07', '2026-12-07', '2026-12-07')).toBeNull();
  });
});

describe('the empty people table', () => {
  const period = { kind: 'custom' as const, label: '1 – 7 Dec' };
  it('says a team without members has none, without blaming imported history', () => {
    const t = emptyText('team', { by: 'team', rows: [], team_members: 0, history_resolutions: 0 }, period);
    expect(t).toMatch(/no members/);
    expect(t).not.toMatch(/Imported history/);
  });
  it('mentions imported history only when the period has some', () => {
    expect(emptyText('agent', { by: 'agent', rows: [], team_members: null, history_resolutions: 0 }, period)).not.toMatch(/Imported history/);
    expect(emptyText('agent', { by: 'agent', rows: [], team_members: null, history_resolutions: 12 }, period)).toMatch(/Imported history has no agents/);
  });
});
