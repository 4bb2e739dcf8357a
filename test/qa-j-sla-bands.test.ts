/**
 * QA (routing/SLA/hours pass): priority-dependent SLA targets. A target naming a priority band
 * the policy does not have ("Urgent" typed for `urgent`, or a band since renamed) never
 * applies: urgent conversations would silently get the normal target. Saving such a policy is
 * refused with a message that names the target and the bands there are; so is a visibility
 * other than public or private. A stored policy that has one still evaluates (the rule simply
 * does not match), so an old row never stops the desk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SLA_POLICY, evaluateSla, validateSlaPolicy, type SlaPolicy } from '../src/core/sla.js';
import { DIALECTS } from './db.js';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

const MIN = 60_000;

describe('validateSlaPolicy: bands and visibility a target names', () => {
  it('refuses a band the policy does not define, naming the target and the known bands', () => {
    const policy: SlaPolicy = { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'first_response', bands: ['Urgent'], targetMs: 10 * MIN }, ...DEFAULT_SLA_POLICY.targets] };
    const issues = validateSlaPolicy(policy);
    expect(issues.map((i) => i.code)).toEqual(['sla.unknown_band']);
    expect(issues[0]!.path).toBe('targets[0].bands');
    expect(issues[0]!.message).toMatch(/"Urgent"/);
    expect(issues[0]!.message).toMatch(/urgent, high, normal/);
  });
  it('checks against the policy\'s own bands', () => {
    const bands = [{ name: 'vip', minPriority: 70 }, { name: 'rest', minPriority: null }];
    expect(validateSlaPolicy({ targets: [{ metric: 'first_response', bands: ['vip'], targetMs: 5 * MIN }], priorityBands: bands })).toEqual([]);
    expect(validateSlaPolicy({ targets: [{ metric: 'first_response', bands: ['urgent'], targetMs: 5 * MIN }], priorityBands: bands }).map((i) => i.code)).toEqual(['sla.unknown_band']);
  });
  it('refuses a visibility that is neither public nor private', () => {
    const issues = validateSlaPolicy({ targets: [{ metric: 'first_response', visibility: 'dm' as never, targetMs: 5 * MIN }] });
    expect(issues.map((i) => i.code)).toEqual(['sla.invalid_visibility']);
  });
  it('a stored policy with an unknown band still evaluates: the rule does not match', () => {
    const policy: SlaPolicy = { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'first_response', bands: ['Urgent'], targetMs: 10 * MIN }, ...DEFAULT_SLA_POLICY.targets] };
    const ev = evaluateSla(policy, { visibility: 'public', priority: 90, events: [{ type: 'inbound', at: 0 }] }, 0);
    expect(ev.firstResponse!.targetMs).toBe(30 * MIN);
  });
});

for (const dialect of DIALECTS) {
  describe(`saving SLA targets with a misspelt band [${dialect}]`, () => {
    let desk: TestDesk;
    let admin: Client;
    beforeAll(async () => {
      desk = await startDesk(dialect, { workers: false });
      admin = await Client.signIn(desk.url, 'admin@acme.test');
    });
    afterAll(async () => desk?.stop());

    it('is a 400 naming the band, and the saved policy is unchanged', async () => {
      const before = (await admin.req('GET', '/api/settings/workflow')).json.sla;
      const r = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'first_response', bands: ['Urgent'], targetMs: 10 * MIN }, ...DEFAULT_SLA_POLICY.targets] } });
      expect(r.status).toBe(400);
      expect(JSON.stringify(r.json)).toMatch(/Urgent/);
      expect((await admin.req('GET', '/api/settings/workflow')).json.sla).toEqual(before);
      const ok = await admin.req('PATCH', '/api/settings/workflow', { sla: { ...DEFAULT_SLA_POLICY, targets: [{ metric: 'first_response', bands: ['urgent'], targetMs: 10 * MIN }, ...DEFAULT_SLA_POLICY.targets] } });
      expect(ok.status).toBe(200);
    });
  });
}
