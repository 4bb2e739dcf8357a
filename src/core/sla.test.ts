import { describe, expect, it } from 'vitest';
import { businessMsBetween, type BusinessCalendar, type HoursInterval } from './businessHours.js';
import { seededRandom } from './staffing/simulate.js';
import {
  compactSlaTimeline,
  countedTimeline,
  deskFirstSaw,
  DEFAULT_SLA_POLICY,
  evaluateSla,
  MAX_SLA_TARGET_MS,
  priorityBand,
  resolveTarget,
  SlaError,
  usableSlaPolicy,
  validateSlaPolicy,
  type SlaClock,
  type SlaConversation,
  type SlaEvent,
  type SlaPolicy,
} from './sla.js';

const t = (iso: string) => Date.parse(iso);
const M = 60_000;
const H = 60 * M;
const nineToFive: HoursInterval[] = [{ start: '09:00', end: '17:00' }];
const londonHours: BusinessCalendar = {
  timeZone: 'Europe/London',
  weekly: { mon: nineToFive, tue: nineToFive, wed: nineToFive, thu: nineToFive, fri: nineToFive },
};

function businessPolicy(calendar: BusinessCalendar, extra: Partial<SlaPolicy> = {}): SlaPolicy {
  return {
    businessHours: true,
    calendar,
    targets: [
      { metric: 'first_response', visibility: 'public', targetMs: 30 * M },
      { metric: 'first_response', visibility: 'private', targetMs: 60 * M },
      { metric: 'next_response', targetMs: 30 * M },
      { metric: 'resolution', targetMs: 8 * H },
    ],
    ...extra,
  };
}

const conv = (events: SlaEvent[], visibility: 'public' | 'private' = 'public', priority = 10): SlaConversation => ({
  visibility,
  priority,
  events,
});

describe('golden: 30-minute first response in business hours', () => {
  it.each([
    ['Friday 16:45 → Monday 09:15', londonHours, '2026-03-20T16:45:00Z', '2026-03-23T09:15:00Z', '2026-03-23T09:07:30Z'],
    ['over the spring-forward weekend', londonHours, '2026-03-27T16:45:00Z', '2026-03-30T08:15:00Z', '2026-03-30T08:07:30Z'],
    ['over the fall-back weekend', londonHours, '2026-10-23T15:45:00Z', '2026-10-26T09:15:00Z', '2026-10-26T09:07:30Z'],
    [
      'a holiday Monday pushes it to Tuesday',
      { ...londonHours, holidays: [{ date: '2026-05-04', name: 'Early May bank holiday' }] },
      '2026-05-01T15:45:00Z',
      '2026-05-05T08:15:00Z',
      '2026-05-05T08:07:30Z',
    ],
  ])('%s', (_label, calendar, received, due, warning) => {
    const policy = businessPolicy(calendar);
    const events: SlaEvent[] = [{ type: 'inbound', at: t(received) }];

    const friday = evaluateSla(policy, conv(events), t(received) + 30 * M);
    expect(friday.firstResponse).toMatchObject({
      metric: 'first_response',
      startedAt: t(received),
      dueAt: t(due),
      warningAt: t(warning),
      state: 'active',
      elapsedMs: 15 * M,
      remainingMs: 15 * M,
    });
    expect(friday.nextChangeAt).toBe(t(warning));

    const inWarning = evaluateSla(policy, conv(events), t(warning));
    expect(inWarning.firstResponse!.state).toBe('warning');
    expect(inWarning.nextChangeAt).toBe(t(due));

    const justBefore = evaluateSla(policy, conv(events), t(due) - 1);
    expect(justBefore.firstResponse!.state).toBe('warning');
    const atDue = evaluateSla(policy, conv(events), t(due));
    expect(atDue.firstResponse!.state).toBe('breached');
    expect(atDue.firstResponse!.nextChangeAt).toBeNull();

    const answered = evaluateSla(policy, conv([...events, { type: 'outbound', at: t(due) - M }]), t(due) + H);
    expect(answered.firstResponse).toMatchObject({ state: 'met', stoppedAt: t(due) - M, stopReason: 'responded' });
    const late = evaluateSla(policy, conv([...events, { type: 'outbound', at: t(due) + M }]), t(due) + H);
    expect(late.firstResponse!.state).toBe('breached');
  });

  it('a reply after closing on Friday still breaches the Friday deadline', () => {
    const policy = businessPolicy(londonHours);
    const events: SlaEvent[] = [
      { type: 'inbound', at: t('2026-03-20T16:30:00Z') },
      { type: 'outbound', at: t('2026-03-20T17:20:00Z') },
    ];
    const r = evaluateSla(policy, conv(events), t('2026-03-20T18:00:00Z'));
    expect(r.firstResponse).toMatchObject({ dueAt: t('2026-03-20T17:00:00Z'), state: 'breached', elapsedMs: 30 * M });
  });
});

describe('responses', () => {
  const policy = DEFAULT_SLA_POLICY;
  const at = (hhmm: string) => t(`2026-03-23T${hhmm}:00Z`);

  it('uses 30 minutes for public mentions and 60 for private messages by default', () => {
    const pub = evaluateSla(policy, conv([{ type: 'inbound', at: at('10:00') }], 'public'), at('10:01'));
    const priv = evaluateSla(policy, conv([{ type: 'inbound', at: at('10:00') }], 'private'), at('10:01'));
    expect(pub.firstResponse!.dueAt).toBe(at('10:30'));
    expect(priv.firstResponse!.dueAt).toBe(at('11:00'));
    expect(pub.firstResponse!.businessHours).toBe(false);
  });

  it('never counts an auto-acknowledgement as a response', () => {
    const r = evaluateSla(
      policy,
      conv([
        { type: 'inbound', at: at('10:00') },
        { type: 'outbound', at: at('10:00'), autoAck: true },
      ]),
      at('10:31'),
    );
    expect(r.firstResponse).toMatchObject({ state: 'breached', stoppedAt: null });
  });

  it('a chaser restarts nothing', () => {
    const r = evaluateSla(
      policy,
      conv([
        { type: 'inbound', at: at('10:00') },
        { type: 'inbound', at: at('10:20'), chaser: true },
        { type: 'inbound', at: at('10:25') },
      ]),
      at('10:26'),
    );
    expect(r.firstResponse).toMatchObject({ startedAt: at('10:00'), dueAt: at('10:30'), state: 'warning' });
    expect(r.nextResponse).toBeNull();
    expect(r.history).toHaveLength(2); // first response + resolution
  });

  it('starts a next-response clock when the customer writes again after our reply', () => {
    const events: SlaEvent[] = [
      { type: 'inbound', at: at('10:00') },
      { type: 'outbound', at: at('10:10') },
      { type: 'inbound', at: at('11:00') },
      { type: 'inbound', at: at('11:20') }, // chaser
    ];
    const open = evaluateSla(policy, conv(events), at('11:23'));
    expect(open.firstResponse).toMatchObject({ state: 'met', stoppedAt: at('10:10') });
    expect(open.nextResponse).toMatchObject({ startedAt: at('11:00'), dueAt: at('11:30'), state: 'warning' });
    expect(open.nextChangeAt).toBe(at('11:30'));

    const late = evaluateSla(policy, conv([...events, { type: 'outbound', at: at('11:40') }]), at('12:00'));
    expect(late.nextResponse).toMatchObject({ state: 'breached', stoppedAt: at('11:40') });
  });

  it('orders unsorted events and ignores events after now', () => {
    const r = evaluateSla(
      policy,
      conv([
        { type: 'outbound', at: at('10:10') },
        { type: 'inbound', at: at('10:00') },
        { type: 'inbound', at: at('12:00') },
      ]),
      at('10:20'),
    );
    expect(r.firstResponse!.state).toBe('met');
    expect(r.nextResponse).toBeNull();
  });

  it('picks targets by priority band', () => {
    const banded: SlaPolicy = {
      targets: [
        { metric: 'first_response', bands: ['urgent'], targetMs: 10 * M },
        { metric: 'first_response', targetMs: 60 * M },
      ],
    };
    expect(priorityBand(banded, 95)).toBe('urgent');
    expect(priorityBand(banded, 60)).toBe('high');
    expect(priorityBand(banded, -5)).toBe('normal');
    const urgent = evaluateSla(banded, conv([{ type: 'inbound', at: at('10:00') }], 'public', 90), at('10:01'));
    expect(urgent.band).toBe('urgent');
    expect(urgent.firstResponse!.dueAt).toBe(at('10:10'));
    expect(urgent.resolution).toBeNull(); // no resolution target in this policy
    const normal = evaluateSla(banded, conv([{ type: 'inbound', at: at('10:00') }], 'public', 20), at('10:01'));
    expect(normal.firstResponse!.dueAt).toBe(at('11:00'));
    expect(resolveTarget(banded, 'next_response', 'normal', 'public')).toBeNull();
  });
});

describe('reopening', () => {
  const policy = DEFAULT_SLA_POLICY;
  const base: SlaEvent[] = [
    { type: 'inbound', at: t('2026-03-23T10:00:00Z') },
    { type: 'outbound', at: t('2026-03-23T10:05:00Z') },
    { type: 'status', at: t('2026-03-23T10:30:00Z'), status: 'resolved' },
  ];

  it('measures a reopened conversation from the reopening, not the first message', () => {
    const reopenAt = t('2026-03-25T14:00:00Z');
    const events: SlaEvent[] = [
      ...base,
      { type: 'inbound', at: reopenAt },
      { type: 'reopened', at: reopenAt + 50 },
      { type: 'status', at: reopenAt + 50, status: 'open' },
    ];
    const r = evaluateSla(policy, conv(events), reopenAt + 10 * M);
    expect(r.firstResponse).toMatchObject({ cycle: 2, startedAt: reopenAt, dueAt: reopenAt + 30 * M, state: 'active' });
    expect(r.resolution).toMatchObject({ cycle: 2, startedAt: reopenAt, state: 'active' });
    expect(r.nextResponse).toBeNull();
    // The first cycle stays in the history for reports.
    expect(r.history.filter((c) => c.cycle === 1).map((c) => [c.metric, c.state])).toEqual([
      ['resolution', 'met'],
      ['first_response', 'met'],
    ]);
  });

  it('an agent reopening without an owed reply starts only the resolution clock', () => {
    const reopenAt = t('2026-03-25T14:00:00Z');
    const r = evaluateSla(policy, conv([...base, { type: 'reopened', at: reopenAt }]), reopenAt + M);
    expect(r.firstResponse).toBeNull();
    expect(r.resolution).toMatchObject({ startedAt: reopenAt, cycle: 2 });
    // The customer's next message then starts the cycle's first response.
    const r2 = evaluateSla(
      policy,
      conv([...base, { type: 'reopened', at: reopenAt }, { type: 'inbound', at: reopenAt + H }]),
      reopenAt + H + M,
    );
    expect(r2.firstResponse).toMatchObject({ startedAt: reopenAt + H, cycle: 2 });
  });

  it('reopening an unanswered resolved conversation owes a reply from the reopening', () => {
    const reopenAt = t('2026-03-25T14:00:00Z');
    const r = evaluateSla(
      policy,
      conv([
        { type: 'inbound', at: t('2026-03-23T10:00:00Z') },
        { type: 'status', at: t('2026-03-23T10:10:00Z'), status: 'resolved' },
        { type: 'status', at: reopenAt, status: 'open' },
      ]),
      reopenAt + M,
    );
    expect(r.history[1]).toMatchObject({ metric: 'first_response', cycle: 1, stopReason: 'resolved', state: 'met' });
    expect(r.firstResponse).toMatchObject({ startedAt: reopenAt, cycle: 2 });
  });
});

describe('a message delivered late across a resolve', () => {
  const policy = DEFAULT_SLA_POLICY;
  const resolvedAt = t('2026-03-23T10:30:00Z');
  const base: SlaEvent[] = [
    { type: 'inbound', at: t('2026-03-23T10:00:00Z'), receivedAt: t('2026-03-23T10:00:05Z') },
    { type: 'outbound', at: t('2026-03-23T10:05:00Z') },
    { type: 'status', at: resolvedAt, status: 'resolved' },
  ];
  const received = resolvedAt + 20 * M;

  it('reopens the conversation at its receipt, with a first-response clock from there that breaches at the target after it', () => {
    const events: SlaEvent[] = [...base, { type: 'inbound', at: resolvedAt - 2 * M, receivedAt: received }];
    const r = evaluateSla(policy, conv(events), received + 5 * M);
    expect(r.cycle).toBe(2);
    expect(r.firstResponse).toMatchObject({ cycle: 2, startedAt: received, dueAt: received + 30 * M, warningAt: received + 22.5 * M, state: 'active' });
    expect(r.resolution).toMatchObject({ cycle: 2, startedAt: received, state: 'active' });
    expect(r.nextChangeAt).toBe(received + 22.5 * M);
    expect(evaluateSla(policy, conv(events), received + 30 * M).firstResponse).toMatchObject({ state: 'breached' });
    // the first cycle is as it was when resolved: the late message made no wait in it
    const before = evaluateSla(policy, conv(base), received + 5 * M);
    expect(r.history.filter((c) => c.cycle === 1)).toEqual(before.history);
    // without its receipt (as before): it falls before the resolve, and the conversation has no clock
    const unknown = evaluateSla(policy, conv([...base, { type: 'inbound', at: resolvedAt - 2 * M }]), received + 5 * M);
    expect([unknown.cycle, unknown.nextResponse?.stoppedAt, unknown.nextChangeAt]).toEqual([1, resolvedAt, null]);
  });

  it('leaves a late closing-only message (thanks) resolved: no cycle, no clock', () => {
    const r = evaluateSla(policy, conv([...base, { type: 'inbound', at: resolvedAt - 2 * M, receivedAt: received, reopens: false }]), received + 5 * M);
    expect(r).toEqual(evaluateSla(policy, conv(base), received + 5 * M));
  });

  it('counts a message written after the resolve from when it was written, however late it arrives', () => {
    const r = evaluateSla(policy, conv([...base, { type: 'inbound', at: resolvedAt + 5 * M, receivedAt: received }]), received + M);
    expect(r.firstResponse).toMatchObject({ cycle: 2, startedAt: resolvedAt + 5 * M, dueAt: resolvedAt + 35 * M });
  });

  it('counts from the receipt only what crossed a resolve: received before it, or never resolved, at its network time', () => {
    const before: SlaEvent = { type: 'inbound', at: resolvedAt - 2 * M, receivedAt: resolvedAt - M };
    expect(countedTimeline([...base, before])[3]).toEqual({ type: 'inbound', at: resolvedAt - 2 * M });
    const open: SlaEvent[] = [...base.slice(0, 2), { type: 'inbound', at: resolvedAt - 2 * M, receivedAt: received }];
    expect(countedTimeline(open)).toBe(open);
    // a resolve in the same millisecond as the receipt counts as after it
    expect(countedTimeline([...base, { type: 'inbound', at: resolvedAt - 2 * M, receivedAt: resolvedAt }])[3]).toEqual({ type: 'inbound', at: resolvedAt - 2 * M });
    // written at the instant of the resolve: before it was seen
    expect(countedTimeline([...base, { type: 'inbound', at: resolvedAt, receivedAt: received }])[3]).toEqual({ type: 'inbound', at: received });
  });

  it('reads the latest resolve that changed the status: a repeated resolve changes nothing, one before any customer message does not count', () => {
    const repeated: SlaEvent[] = [...base, { type: 'status', at: resolvedAt + 10 * M, status: 'resolved' }, { type: 'inbound', at: resolvedAt + 5 * M, receivedAt: received }];
    expect(countedTimeline(repeated)[4]).toEqual({ type: 'inbound', at: resolvedAt + 5 * M });
    // resolved again after a reopening: the later resolve is the one crossed
    const again: SlaEvent[] = [...base, { type: 'inbound', at: resolvedAt + 5 * M }, { type: 'status', at: resolvedAt + 10 * M, status: 'resolved' }, { type: 'inbound', at: resolvedAt + 8 * M, receivedAt: received }];
    expect(countedTimeline(again)[5]).toEqual({ type: 'inbound', at: received, });
    // the brand's own post, resolved as written: the customer's first message is a first contact at its time
    const post: SlaEvent[] = [{ type: 'outbound', at: resolvedAt - 10 * M }, { type: 'status', at: resolvedAt, status: 'resolved' }, { type: 'inbound', at: resolvedAt - 5 * M, receivedAt: received }];
    expect(countedTimeline(post)[2]).toEqual({ type: 'inbound', at: resolvedAt - 5 * M });
  });

  it('keeps a late message where the latest resolve put it after a reopening by hand: a wait of the reopened cycle from the receipt', () => {
    const events: SlaEvent[] = [...base, { type: 'status', at: resolvedAt + 5 * M, status: 'open' }, { type: 'inbound', at: resolvedAt - 2 * M, receivedAt: received }];
    const r = evaluateSla(policy, conv(events), received + M);
    expect(r.firstResponse).toMatchObject({ cycle: 2, startedAt: received, dueAt: received + 30 * M });
    expect(r.resolution).toMatchObject({ cycle: 2, startedAt: resolvedAt + 5 * M });
  });

  it('gives the same from the shortened timeline carried after it (no receipt left to decide)', () => {
    const events: SlaEvent[] = [...base, { type: 'inbound', at: resolvedAt - 2 * M, receivedAt: received }];
    const c = compactSlaTimeline(events, received + M);
    expect(c.events.every((e) => !('receivedAt' in e))).toBe(true);
    const later: SlaEvent = { type: 'outbound', at: received + 10 * M };
    const whole = evaluateSla(policy, conv([...events, later]), received + 11 * M);
    const carried = evaluateSla(policy, conv([...c.events, later]), received + 11 * M);
    expect([carried.firstResponse, carried.nextResponse, carried.resolution]).toEqual([whole.firstResponse, whole.nextResponse, whole.resolution]);
    expect(whole.firstResponse).toMatchObject({ startedAt: received, stoppedAt: received + 10 * M, state: 'met' });
  });
});

describe('pausing while waiting on the customer', () => {
  const day = (d: number, hhmm: string) => t(`2026-03-${String(d).padStart(2, '0')}T${hhmm}:00Z`);
  const events: SlaEvent[] = [
    { type: 'inbound', at: day(23, '10:00') },
    { type: 'outbound', at: day(23, '10:05') },
    { type: 'status', at: day(23, '10:05'), status: 'waiting' },
    { type: 'inbound', at: day(24, '10:05') },
  ];
  const pausing: SlaPolicy = { ...DEFAULT_SLA_POLICY, pauseWhileWaitingOnCustomer: true };

  it('shows paused with no deadline while waiting', () => {
    const r = evaluateSla(pausing, conv(events.slice(0, 3)), day(23, '12:00'));
    expect(r.resolution).toMatchObject({ state: 'paused', dueAt: null, elapsedMs: 5 * M, nextChangeAt: null });
    expect(r.nextChangeAt).toBeNull();
  });

  it('extends the deadline by the paused time once the customer answers', () => {
    const r = evaluateSla(pausing, conv(events), day(24, '10:06'));
    expect(r.resolution).toMatchObject({ state: 'active', dueAt: day(25, '10:00'), elapsedMs: 6 * M });
    expect(r.nextResponse).toMatchObject({ startedAt: day(24, '10:05'), dueAt: day(24, '10:35') });
    expect(r.nextChangeAt).toBe(day(24, '10:27') + 30_000);
  });

  it('does not pause when the policy does not say so', () => {
    const r = evaluateSla(DEFAULT_SLA_POLICY, conv(events), day(24, '10:06'));
    expect(r.resolution).toMatchObject({ state: 'breached', dueAt: day(24, '10:00') });
  });

  it('pauses business-hours clocks too', () => {
    const policy = businessPolicy(londonHours, { pauseWhileWaitingOnCustomer: true });
    const r = evaluateSla(policy, conv(events), day(24, '10:06'));
    // 8 business hours: 5 min on Monday before the pause, 6h55 on Tuesday from 10:05, 1h on Wednesday.
    expect(r.resolution).toMatchObject({ state: 'active', dueAt: day(25, '10:00'), elapsedMs: 6 * M });
  });
});

describe('resolution', () => {
  it('stops at resolved and is met when in time; a first response not given is stopped too', () => {
    const r = evaluateSla(
      DEFAULT_SLA_POLICY,
      conv([
        { type: 'inbound', at: t('2026-03-23T10:00:00Z') },
        { type: 'status', at: t('2026-03-23T10:20:00Z'), status: 'resolved' },
      ]),
      t('2026-03-24T12:00:00Z'),
    );
    expect(r.resolution).toMatchObject({ state: 'met', stopReason: 'resolved', elapsedMs: 20 * M });
    expect(r.firstResponse).toMatchObject({ state: 'met', stopReason: 'resolved' });
    expect(r.nextChangeAt).toBeNull();
  });
});

describe('validation', () => {
  it('rejects a policy with a bad target and events without timestamps', () => {
    expect(validateSlaPolicy({ targets: [{ metric: 'first_response', targetMs: -1 }] })[0]!.code).toBe('sla.invalid_target');
    expect(() => evaluateSla({ targets: [{ metric: 'nope' as never, targetMs: 5 }] }, conv([]), 0)).toThrow(SlaError);
    expect(() => evaluateSla(DEFAULT_SLA_POLICY, conv([{ type: 'inbound', at: Number.NaN }]), 0)).toThrow(/timestamp/);
  });

  it('says what is wrong in the units targets are set in (minutes, the warning share in percent)', () => {
    const messages = (policy: Partial<SlaPolicy>) => validateSlaPolicy({ targets: [], ...policy }).map((i) => i.message);
    expect(messages({ targets: [{ metric: 'first_response', targetMs: -5 * M }] })).toEqual(['First response target must be a positive duration (got -5 min)']);
    expect(messages({ targets: [{ metric: 'resolution', targetMs: 0 }, { metric: 'next_response', targetMs: -90_000 }, { metric: 'next_response', targetMs: -1500 }] })).toEqual([
      'Resolution target must be a positive duration (got 0 min)',
      'Next response target must be a positive duration (got -1.5 min)',
      'Next response target must be a positive duration (got -1.5 s)',
    ]);
    // an emptied field reaches the server as null (NaN in JSON)
    expect(messages({ targets: [{ metric: 'first_response', targetMs: JSON.parse(JSON.stringify(Number.NaN)) }] })).toEqual(['First response target must be a positive duration (got nothing)']);
    expect(messages({ targets: [{ metric: 'nope' as never, targetMs: '30' as never }] })).toEqual(['Unknown SLA metric "nope"', 'A target must be a positive duration (got "30")']);
    expect(messages({ warningRatio: 1.5 })).toEqual(['The warning share must be more than 0 % and at most 100 % of the target (got 150 %)']);
    expect(validateSlaPolicy({ targets: [{ metric: 'first_response', targetMs: -5 * M }] })[0]!.path).toBe('targets[0].targetMs');
  });

  it('returns no clocks for an empty timeline', () => {
    const r = evaluateSla(DEFAULT_SLA_POLICY, conv([]), 0);
    expect(r).toMatchObject({ firstResponse: null, nextResponse: null, resolution: null, history: [], nextChangeAt: null });
  });
});

describe('compacting a timeline', () => {
  const policies: [string, SlaPolicy][] = [
    ['default', DEFAULT_SLA_POLICY],
    ['pausing while waiting', { ...DEFAULT_SLA_POLICY, pauseWhileWaitingOnCustomer: true }],
    ['business hours, pausing', businessPolicy(londonHours, { pauseWhileWaitingOnCustomer: true })],
    ['no next-response target', { targets: [{ metric: 'first_response', targetMs: 20 * M }, { metric: 'resolution', targetMs: 4 * H }] }],
    ['no first-response target', { targets: [{ metric: 'next_response', targetMs: 20 * M }, { metric: 'resolution', targetMs: 4 * H }] }],
  ];
  const clockId = (c: SlaClock) => `${c.metric}:${c.cycle}:${c.startedAt}`;

  /** Random conversations fed a few events at a time, each step evaluated from the compacted timeline carried from the step before and from the whole one. */
  it.each(policies.flatMap(([label, policy]) => [[label, policy, false], [`${label}, messages delivered late`, policy, true]] as const))('gives what the whole timeline gives, step by step (%s)', (_label, policy, late) => {
    const rnd = seededRandom(20261204);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!;
    let dropped = 0;
    let total = 0;
    let moved = 0;
    for (let run = 0; run < 300; run++) {
      let now = t('2026-03-16T08:00:00Z') + Math.floor(rnd() * 7 * 24) * H;
      const all: SlaEvent[] = [];
      let carried: SlaEvent[] = [];
      let foldedUntil = -Infinity;
      const priority = pick([10, 60, 90]);
      const visibility = pick(['public', 'private'] as const);
      for (let step = 0; step < 12; step++) {
        const settledAt = now;
        let at = now;
        const fresh: SlaEvent[] = [];
        for (let k = 1 + Math.floor(rnd() * 4); k > 0; k--) {
          at += 1_000 + Math.floor(rnd() * (rnd() < 0.3 ? 3 * H : 20 * M));
          const r = rnd();
          // delivered late: written up to three hours earlier (but after what the carried timeline dropped), received now
          const written = late && r < 0.4 && rnd() < 0.5 ? Math.max(Number.isFinite(foldedUntil) ? foldedUntil + 1 : -Infinity, at - Math.floor(rnd() * 3 * H)) : at;
          fresh.push(
            r < 0.4 ? { type: 'inbound', at: written, chaser: rnd() < 0.3, ...(written < at ? { receivedAt: at } : {}), ...(rnd() < 0.2 ? { reopens: false } : {}) }
            : r < 0.75 ? { type: 'outbound', at, autoAck: rnd() < 0.15 }
            : r < 0.95 ? { type: 'status', at, status: pick(['resolved', 'open', 'waiting', 'new', 'resolved'] as const) }
            : { type: 'reopened', at },
          );
        }
        // now mostly after the new events, sometimes before the last of them (kept for later)
        now = rnd() < 0.85 ? at + Math.floor(rnd() * 2 * H) : at - 1_000;
        expect(fresh.every((e) => e.at > foldedUntil)).toBe(true);
        all.push(...fresh);
        const full = evaluateSla(policy, conv(all, visibility, priority), now);
        const fromCarried = evaluateSla(policy, conv([...carried, ...fresh], visibility, priority), now);
        expect(fromCarried.firstResponse).toEqual(full.firstResponse);
        expect(fromCarried.nextResponse).toEqual(full.nextResponse);
        expect(fromCarried.resolution).toEqual(full.resolution);
        expect(fromCarried.nextChangeAt).toBe(full.nextChangeAt);
        // the clocks that are left are the whole timeline's; the ones gone were over when the step before settled them
        const inFull = new Map(full.history.map((c) => [clockId(c), c]));
        for (const c of fromCarried.history) expect(c).toEqual(inFull.get(clockId(c)));
        const kept = new Set(fromCarried.history.map(clockId));
        for (const c of full.history) if (!kept.has(clockId(c))) expect(c.stoppedAt).not.toBeNull(), expect(c.stoppedAt!).toBeLessThanOrEqual(settledAt);
        const compacted = compactSlaTimeline([...carried, ...fresh], now);
        dropped += carried.length + fresh.length - compacted.events.length;
        total += fresh.length;
        carried = compacted.events;
        if (compacted.foldedUntil !== null) {
          expect(compacted.foldedUntil).toBeLessThanOrEqual(now);
          foldedUntil = Math.max(foldedUntil, compacted.foldedUntil);
        }
      }
      const counted = countedTimeline(all);
      moved += counted.filter((e, i) => e.at !== all[i]!.at).length;
    }
    // it does shorten them
    expect(dropped / total).toBeGreaterThan(0.3);
    // and late messages did cross resolves
    if (late) expect(moved).toBeGreaterThan(100);
    else expect(moved).toBe(0);
  });

  it('keeps a long back-and-forth to a handful of events', () => {
    const start = t('2026-03-17T10:00:00Z');
    const events: SlaEvent[] = [];
    for (let i = 0; i < 200; i++) {
      events.push({ type: 'inbound', at: start + i * 10 * M, chaser: false });
      events.push({ type: 'inbound', at: start + i * 10 * M + M, chaser: true });
      events.push({ type: 'outbound', at: start + i * 10 * M + 5 * M, autoAck: false });
    }
    events.push({ type: 'inbound', at: start + 2000 * M });
    const now = start + 2010 * M;
    const c = compactSlaTimeline(events, now);
    // the first message and the first reply (first response), the last wait (next response)
    expect(c.events).toEqual([events[0], events[2], events[events.length - 1]]);
    expect(c.foldedUntil).toBe(events[events.length - 2]!.at);
    const full = evaluateSla(DEFAULT_SLA_POLICY, conv(events), now);
    const short = evaluateSla(DEFAULT_SLA_POLICY, conv(c.events), now);
    expect([short.firstResponse, short.nextResponse, short.resolution]).toEqual([full.firstResponse, full.nextResponse, full.resolution]);
    expect(full.nextResponse).toMatchObject({ startedAt: start + 2000 * M, state: 'active' });
  });

  it('keeps the events after now, and a resolved cycle as what reopening needs', () => {
    const start = t('2026-03-17T10:00:00Z');
    const events: SlaEvent[] = [
      { type: 'inbound', at: start },
      { type: 'outbound', at: start + M },
      { type: 'inbound', at: start + 2 * M },
      { type: 'outbound', at: start + 3 * M },
      { type: 'status', at: start + 4 * M, status: 'resolved' },
      { type: 'status', at: start + 5 * M, status: 'resolved' },
      { type: 'inbound', at: start + 6 * M },
      { type: 'inbound', at: start + 99 * M },
    ];
    const c = compactSlaTimeline(events, start + 10 * M);
    expect(c.events).toEqual([events[0], events[1], events[4], events[6], events[7]]);
    expect(c.foldedUntil).toBe(start + 5 * M);
  });
});

describe('a conversation the brand began', () => {
  const post = t('2026-03-17T09:00:00Z');
  const reply = t('2026-03-17T10:00:00Z');
  /** Its own post (resolved at once: nobody waits), then the customer's first message. */
  const began = (extra: SlaEvent[] = []): SlaEvent[] => [
    { type: 'outbound', at: post },
    { type: 'status', at: post, status: 'resolved' },
    { type: 'inbound', at: reply },
    ...extra,
  ];
  /** The same messages in a conversation the customer began: the clocks to match. */
  const customerBegan = (extra: SlaEvent[] = []): SlaEvent[] => [{ type: 'inbound', at: reply }, ...extra];
  const clocks = (r: ReturnType<typeof evaluateSla>) => ({ firstResponse: r.firstResponse, nextResponse: r.nextResponse, resolution: r.resolution, history: r.history, nextChangeAt: r.nextChangeAt });

  it('runs no clock for the post alone: it answers nobody', () => {
    const r = evaluateSla(DEFAULT_SLA_POLICY, conv(began().slice(0, 2)), post + H);
    expect(r).toMatchObject({ firstResponse: null, nextResponse: null, resolution: null, history: [], nextChangeAt: null });
  });

  it("starts the first-response clock at the customer's first message, as if the customer had begun it", () => {
    for (const withStatus of [true, false]) {
      // ingest gives the timeline without the status event; a row resolved by hand has it
      const events = withStatus ? began() : began().filter((e) => e.type !== 'status');
      const r = evaluateSla(DEFAULT_SLA_POLICY, conv(events), reply + 5 * M);
      expect(r.firstResponse).toMatchObject({ metric: 'first_response', cycle: 1, startedAt: reply, dueAt: reply + 30 * M, warningAt: reply + 22.5 * M, state: 'active', stoppedAt: null, elapsedMs: 5 * M });
      expect(r.resolution).toMatchObject({ startedAt: reply, dueAt: reply + 24 * H, state: 'active' });
      // the post stopped nothing: no clock before the customer wrote
      expect(r.history.every((c) => c.startedAt >= reply && c.stopReason === null)).toBe(true);
      expect(clocks(r)).toEqual(clocks(evaluateSla(DEFAULT_SLA_POLICY, conv(customerBegan()), reply + 5 * M)));
      expect(r.nextChangeAt).toBe(reply + 22.5 * M);
    }
    // a private reply gets the private target
    expect(evaluateSla(DEFAULT_SLA_POLICY, conv(began(), 'private'), reply + 5 * M).firstResponse).toMatchObject({ startedAt: reply, dueAt: reply + 60 * M });
  });

  it("stops it as met at the agent's reply, late as breached", () => {
    const answered = evaluateSla(DEFAULT_SLA_POLICY, conv(began([{ type: 'outbound', at: reply + 20 * M }])), reply + H);
    expect(answered.firstResponse).toMatchObject({ state: 'met', stoppedAt: reply + 20 * M, stopReason: 'responded', dueAt: reply + 30 * M });
    expect(answered.nextResponse).toBeNull();
    expect(clocks(answered)).toEqual(clocks(evaluateSla(DEFAULT_SLA_POLICY, conv(customerBegan([{ type: 'outbound', at: reply + 20 * M }])), reply + H)));
    const late = evaluateSla(DEFAULT_SLA_POLICY, conv(began([{ type: 'outbound', at: reply + 45 * M }])), reply + H);
    expect(late.firstResponse).toMatchObject({ state: 'breached', stoppedAt: reply + 45 * M });
  });

  it('counts in business hours as configured: a reply on Friday 16:45 is due Monday 09:15', () => {
    const policy = businessPolicy(londonHours);
    const friday = t('2026-03-20T16:45:00Z');
    const events: SlaEvent[] = [
      { type: 'outbound', at: t('2026-03-20T12:00:00Z') },
      { type: 'status', at: t('2026-03-20T12:00:00Z'), status: 'resolved' },
      { type: 'inbound', at: friday },
    ];
    const r = evaluateSla(policy, conv(events), t('2026-03-21T10:00:00Z'));
    expect(r.firstResponse).toMatchObject({ startedAt: friday, dueAt: t('2026-03-23T09:15:00Z'), warningAt: t('2026-03-23T09:07:30Z'), state: 'active', businessHours: true });
  });

  it('gives the same from the timeline shortened before the customer wrote (the carried memo)', () => {
    const shortened = compactSlaTimeline(began().slice(0, 2), post + M);
    const whole = evaluateSla(DEFAULT_SLA_POLICY, conv(began()), reply + 5 * M);
    const carried = evaluateSla(DEFAULT_SLA_POLICY, conv([...shortened.events, began()[2]!]), reply + 5 * M);
    expect(clocks(carried)).toEqual(clocks(whole));
  });

  it('looks again when a message stamped ahead of the clock comes due, and starts its clock then', () => {
    // the customer's message is stamped two minutes after the evaluating clock (a network's clock ahead of ours)
    const before = evaluateSla(DEFAULT_SLA_POLICY, conv(began()), reply - 2 * M);
    expect(before).toMatchObject({ firstResponse: null, resolution: null, nextChangeAt: reply });
    const then = evaluateSla(DEFAULT_SLA_POLICY, conv(began()), reply);
    expect(then.firstResponse).toMatchObject({ startedAt: reply, dueAt: reply + 30 * M, state: 'active' });
    // the earliest of a running clock's change and an upcoming message
    const running = evaluateSla(DEFAULT_SLA_POLICY, conv(customerBegan([{ type: 'inbound', at: reply + H }])), reply + 5 * M);
    expect(running.nextChangeAt).toBe(reply + 22.5 * M);
    const soon = evaluateSla(DEFAULT_SLA_POLICY, conv(customerBegan([{ type: 'outbound', at: reply + 6 * M }, { type: 'inbound', at: reply + 10 * M }])), reply + 8 * M);
    expect(soon.nextChangeAt).toBe(reply + 10 * M);
  });
});

describe('targets no date can hold', () => {
  const start = t('2026-03-17T10:00:00Z');
  const huge = (targetMs: number, extra: Partial<SlaPolicy> = {}): SlaPolicy => ({
    ...DEFAULT_SLA_POLICY,
    targets: [{ metric: 'first_response', targetMs }, { metric: 'next_response', targetMs }, { metric: 'resolution', targetMs: 24 * H }],
    ...extra,
  });

  it('are refused for saving, in the minutes the page takes, up to 365 days allowed', () => {
    expect(validateSlaPolicy(huge(1_000_000_000_000 * M)).map((i) => i.message)).toEqual([
      'First response target must be at most 365 days (got 1000000000000 min)',
      'Next response target must be at most 365 days (got 1000000000000 min)',
    ]);
    expect(validateSlaPolicy(huge(1e20))[0]).toMatchObject({ code: 'sla.target_too_long', path: 'targets[0].targetMs' });
    expect(validateSlaPolicy({ targets: [{ metric: 'resolution', targetMs: 365 * 24 * H + M }] }).map((i) => i.message)).toEqual(['Resolution target must be at most 365 days (got 525601 min)']);
    expect(validateSlaPolicy({ targets: [{ metric: 'resolution', targetMs: MAX_SLA_TARGET_MS }] })).toEqual([]);
    expect(MAX_SLA_TARGET_MS).toBe(365 * 24 * H);
  });

  it('are evaluated all the same (a stored policy from before the bound): a deadline past what a date can hold is none', () => {
    for (const targetMs of [1_000_000_000_000 * M, 1e20, Number.MAX_VALUE]) {
      const r = evaluateSla(huge(targetMs), conv([{ type: 'inbound', at: start }]), start + H);
      expect(r.firstResponse).toMatchObject({ startedAt: start, dueAt: null, warningAt: null, state: 'active', nextChangeAt: null, elapsedMs: H });
      expect(r.resolution).toMatchObject({ dueAt: start + 24 * H });
      expect(r.nextChangeAt).toBe(r.resolution!.warningAt);
      const answered = evaluateSla(huge(targetMs), conv([{ type: 'inbound', at: start }, { type: 'outbound', at: start + 2 * H }]), start + 3 * H);
      expect(answered.firstResponse).toMatchObject({ state: 'met', dueAt: null, stoppedAt: start + 2 * H });
    }
  });

  it('warn when the warning instant can be held though the deadline cannot', () => {
    const policy = huge(1.2e16, { warningRatio: 0.5 });
    const warnAt = start + 0.6e16;
    const r = evaluateSla(policy, conv([{ type: 'inbound', at: start }]), start + H);
    expect(r.firstResponse).toMatchObject({ warningAt: warnAt, dueAt: null, state: 'active', nextChangeAt: warnAt });
    expect(evaluateSla(policy, conv([{ type: 'inbound', at: start }]), warnAt).firstResponse).toMatchObject({ state: 'warning', nextChangeAt: null });
  });

  it('in business hours, give up past a ten-year search instead of walking the calendar for ages', () => {
    for (const targetMs of [1_000_000_000_000 * M, 1e15, 20 * 365 * 24 * H]) {
      const r = evaluateSla(huge(targetMs, { businessHours: true, calendar: londonHours }), conv([{ type: 'inbound', at: start }]), start + H);
      expect(r.firstResponse).toMatchObject({ dueAt: null, warningAt: null, state: 'active' });
    }
    // longer than can be saved, but found within the search: the real deadline
    const twoYears = 2 * 365 * 24 * H;
    const r = evaluateSla(huge(twoYears, { businessHours: true, calendar: londonHours }), conv([{ type: 'inbound', at: start }]), start + H);
    expect(r.firstResponse!.dueAt).not.toBeNull();
    expect(businessMsBetween(londonHours, start, r.firstResponse!.dueAt!)).toBe(twoYears);
  });
});

describe('a stored policy that no longer passes', () => {
  it('is evaluated as far as it can be: refused targets left out, defaults for the rest', () => {
    const broken = {
      targets: [{ metric: 'first_response', targetMs: -5 }, null, { metric: 'nope', targetMs: 5 }, { metric: 'resolution', targetMs: 8 * H }],
      warningRatio: 7,
      priorityBands: 5,
    } as unknown as SlaPolicy;
    expect(() => evaluateSla(broken, conv([]), 0)).toThrow(SlaError);
    const usable = usableSlaPolicy(broken);
    expect(usable.targets).toEqual([{ metric: 'resolution', targetMs: 8 * H }]);
    expect(usable).toMatchObject({ warningRatio: 0.75, priorityBands: DEFAULT_SLA_POLICY.priorityBands });
    const start = t('2026-03-17T10:00:00Z');
    const r = evaluateSla(usable, conv([{ type: 'inbound', at: start }]), start + M);
    expect(r.firstResponse).toBeNull();
    expect(r.resolution).toMatchObject({ dueAt: start + 8 * H, warningAt: start + 6 * H });
    expect(usableSlaPolicy(null as never)).toBe(DEFAULT_SLA_POLICY);
    expect(usableSlaPolicy({ targets: 'all' } as never)).toBe(DEFAULT_SLA_POLICY);
  });

  it('is the policy itself when it passes, a too-long target included (it is evaluated)', () => {
    expect(usableSlaPolicy(DEFAULT_SLA_POLICY)).toBe(DEFAULT_SLA_POLICY);
    const long: SlaPolicy = { targets: [{ metric: 'first_response', targetMs: 6e16 }] };
    expect(usableSlaPolicy(long)).toBe(long);
  });

  it('says what is wrong with priority bands that are not a list of bands', () => {
    expect(validateSlaPolicy({ targets: [], priorityBands: 5 as never }).map((i) => i.code)).toEqual(['sla.invalid_bands']);
    expect(validateSlaPolicy({ targets: [], priorityBands: [{ name: 'vip', minPriority: '90' as never }] }).map((i) => i.code)).toEqual(['sla.invalid_bands']);
    expect(validateSlaPolicy({ targets: [], priorityBands: [{ name: 'vip', minPriority: 90 }, { name: 'rest', minPriority: null }] })).toEqual([]);
  });
});

describe('backfilled messages count from when the desk first saw the conversation', () => {
  const MIN = 60_000;
  const DAY = 24 * 60 * MIN;
  const now = Date.UTC(2026, 10, 17, 10, 0);
  const received = now - 5 * MIN;
  const conv = (events: SlaEvent[]): SlaConversation => ({ visibility: 'public', priority: 0, events });
  const policy = DEFAULT_SLA_POLICY;

  it('starts a two-day-old backfilled mention\'s clocks at its receipt, not breached', () => {
    const ev = evaluateSla(policy, conv([{ type: 'inbound', at: now - 2 * DAY, receivedAt: received, backfill: true }]), now);
    expect(ev.firstResponse).toMatchObject({ startedAt: received, dueAt: received + 30 * MIN, state: 'active' });
    expect(ev.resolution).toMatchObject({ startedAt: received, dueAt: received + DAY });
    // the same message, live (delivered late): counted from when it was written, as before
    expect(evaluateSla(policy, conv([{ type: 'inbound', at: now - 2 * DAY, receivedAt: received }]), now).firstResponse!.state).toBe('breached');
  });

  it('keeps the network order: a backfilled reply answers there, a live message written before the receipt starts the wait', () => {
    const answered = evaluateSla(policy, conv([
      { type: 'inbound', at: now - 2 * DAY, receivedAt: received, backfill: true },
      { type: 'outbound', at: now - DAY, receivedAt: received, backfill: true },
    ]), now);
    expect(answered.firstResponse).toMatchObject({ startedAt: received, stoppedAt: received, state: 'met' });
    // a live follow-up written a minute before the backfill was received: the desk saw the wait from then
    const live = received - MIN;
    const ev = evaluateSla(policy, conv([
      { type: 'inbound', at: now - 2 * DAY, receivedAt: received, backfill: true },
      { type: 'inbound', at: live, receivedAt: live },
    ]), now);
    expect(ev.firstResponse).toMatchObject({ startedAt: live, dueAt: live + 30 * MIN });
    expect(deskFirstSaw([{ type: 'inbound', at: now - 2 * DAY, receivedAt: received, backfill: true }, { type: 'inbound', at: live }])).toBe(live);
    expect(deskFirstSaw([{ type: 'inbound', at: live, receivedAt: received }])).toBeNull();
  });

  it('is shortened where it counts: the carried timeline evaluates as the full one', () => {
    const events: SlaEvent[] = [
      { type: 'inbound', at: now - 2 * DAY, receivedAt: received, backfill: true },
      { type: 'outbound', at: now - DAY, receivedAt: received, backfill: true },
      { type: 'inbound', at: now - DAY + MIN, receivedAt: received, backfill: true },
    ];
    const full = evaluateSla(policy, conv(events), now);
    const short = compactSlaTimeline(events, now).events;
    expect(short.every((e) => !('backfill' in e))).toBe(true);
    expect(evaluateSla(policy, conv(short), now).nextResponse).toEqual(full.nextResponse);
    expect(full.nextResponse).toMatchObject({ startedAt: received, dueAt: received + 30 * MIN });
  });
});
