import { describe, expect, it } from 'vitest';
import {
  DEFAULT_LEGAL_TERMS,
  parseAmounts,
  requiresApproval,
  rewriteAtSignOff,
  signOffRefusal,
  type ApprovalInput,
  type ApprovalPolicy,
} from './approval.js';

const base: ApprovalInput = {
  agent: { id: 'a1', roles: ['agent'], flags: [] },
  reply: { text: 'Hi Jane, sorry about the delay – your parcel is on its way today.', visibility: 'public' },
  author: { followers: 120, verified: false },
  triage: { sentiment: 'neutral', complaint: false },
  incidentOpen: false,
};
const withInput = (patch: Partial<ApprovalInput>): ApprovalInput => ({ ...base, ...patch });
const text = (t: string, visibility: 'public' | 'private' = 'public') => withInput({ reply: { text: t, visibility } });

const full: ApprovalPolicy = {
  exemptRoles: ['approver', 'admin'],
  agents: { agentIds: ['a-new'], flags: ['in_training'] },
  audience: { followersAtLeast: 10_000, verifiedAuthors: true, publicNegativeComplaint: true },
  content: { keywords: [...DEFAULT_LEGAL_TERMS], refundTerms: true, amountLimits: { USD: 100, EUR: 90, '*': 50 } },
  incident: { requireDuringIncident: true, publicOnly: true },
};

describe('requiresApproval: policy matrix', () => {
  it.each<[string, ApprovalPolicy, ApprovalInput, string[]]>([
    ['nothing configured', {}, base, []],
    ['an ordinary reply under the full policy', full, base, []],
    ['listed agent', full, withInput({ agent: { id: 'a-new' } }), ['approval.agent_listed']],
    ['agent in training', full, withInput({ agent: { id: 'a2', flags: ['in_training'] } }), ['approval.agent_flagged']],
    ['flag not in the policy', full, withInput({ agent: { id: 'a2', flags: ['night_shift'] } }), []],
    ['author with many followers', full, withInput({ author: { followers: 25_000 } }), ['approval.high_reach']],
    ['exactly at the follower threshold', full, withInput({ author: { followers: 10_000 } }), ['approval.high_reach']],
    ['below the follower threshold', full, withInput({ author: { followers: 9_999 } }), []],
    ['unknown follower count', full, withInput({ author: { followers: null } }), []],
    ['verified author', full, withInput({ author: { followers: 5, verified: true } }), ['approval.verified_author']],
    [
      'public reply on a negative complaint',
      full,
      withInput({ triage: { sentiment: 'negative', complaint: true } }),
      ['approval.public_negative_complaint'],
    ],
    [
      'private reply on a negative complaint',
      full,
      withInput({ triage: { sentiment: 'negative', complaint: true }, reply: { text: 'Sorry!', visibility: 'private' } }),
      [],
    ],
    ['positive complaint (mixed)', full, withInput({ triage: { sentiment: 'positive', complaint: true } }), []],
    ['legal term', full, text('Our legal team says you could talk to a lawyer.'), ['approval.keyword']],
    ['legal term inside another word does not count', full, text('We pursue every issue and sued… no: pursued it.'), []],
    ['refund language', full, text('We have refunded your order.'), ['approval.refund']],
    ['amount within the USD limit', full, text('That will be $80 in total.'), []],
    ['amount above the USD limit', full, text('We will send $120 back to you.'), ['approval.amount_over_limit']],
    ['refund above the EUR limit', full, text('Sie erhalten 95,50 € zurück als Erstattung.'), ['approval.amount_over_limit']],
    ['other currency uses the * limit', full, text('We can offer 60 CHF.'), ['approval.amount_over_limit']],
    ['ambiguous currency uses the * limit', full, text('Du får 60 kr tilbake.'), ['approval.amount_over_limit']],
    ['incident open, public reply', full, withInput({ incidentOpen: true }), ['approval.incident']],
    ['incident open, private reply (policy is public only)', full, withInput({ incidentOpen: true, reply: { text: 'Hi!', visibility: 'private' } }), []],
    [
      'several reasons at once',
      full,
      withInput({
        agent: { id: 'a2', flags: ['in_training'] },
        author: { followers: 50_000 },
        reply: { text: 'We will refund $500 – no need for a lawyer.', visibility: 'public' },
      }),
      ['approval.agent_flagged', 'approval.high_reach', 'approval.keyword', 'approval.refund', 'approval.amount_over_limit'],
    ],
    [
      'approver is exempt from everything',
      full,
      withInput({ agent: { id: 'a-new', roles: ['approver'], flags: ['in_training'] }, incidentOpen: true }),
      [],
    ],
  ])('%s', (_label, policy, input, codes) => {
    const decision = requiresApproval(policy, input);
    expect(decision.reasons.map((r) => r.code)).toEqual(codes);
    expect(decision.required).toBe(codes.length > 0);
    for (const r of decision.reasons) expect(r.message.length).toBeGreaterThan(5);
  });

  it('reports what triggered a reason', () => {
    const d = requiresApproval(full, text('We can refund $1,200 via your lawyer or in court.'));
    expect(d.reasons.find((r) => r.code === 'approval.keyword')!.data).toEqual({ keywords: ['lawyer', 'court'] });
    expect(d.reasons.find((r) => r.code === 'approval.amount_over_limit')!.data).toEqual({
      amounts: [{ amount: 1200, currency: 'USD', text: '$1,200' }],
    });
  });
});

describe('requiresApproval: incident statements', () => {
  const statement = (patch: Partial<ApprovalInput> = {}, text = 'We know checkout is failing and are fixing it. Updates here.'): ApprovalInput => ({
    agent: { id: 'lead-1', roles: ['approver'], flags: [] },
    reply: { text, visibility: 'public', kind: 'statement' },
    incidentOpen: true,
    ...patch,
  });
  const withStatements: ApprovalPolicy = { ...full, incident: { ...full.incident, statementSignOff: true } };
  const codes = (policy: ApprovalPolicy, input: ApprovalInput) => requiresApproval(policy, input).reasons.map((r) => r.code);

  it('needs a second person whoever writes it, exempt roles included', () => {
    expect(codes(withStatements, statement())).toEqual(['approval.incident_statement']);
    expect(codes(withStatements, statement({ agent: { id: 'admin-1', roles: ['admin'] } }))).toEqual(['approval.incident_statement']);
    expect(requiresApproval(withStatements, statement()).required).toBe(true);
  });

  it('without the statement rule an exempt author posts directly', () => {
    expect(requiresApproval(full, statement())).toEqual({ required: false, reasons: [] });
    expect(requiresApproval({ ...full, incident: { ...full.incident, statementSignOff: false } }, statement())).toEqual({ required: false, reasons: [] });
  });

  it('the statement rule concerns statements only: an approver\'s ordinary reply stays exempt', () => {
    expect(codes(withStatements, withInput({ agent: { id: 'lead-1', roles: ['approver'] }, incidentOpen: true }))).toEqual([]);
  });

  it('a non-exempt author also meets the content rules, not the during-an-incident rule', () => {
    const open: ApprovalPolicy = { ...withStatements, exemptRoles: [] };
    expect(codes(open, statement({}, 'Everyone affected gets a refund of $150 within a week.'))).toEqual(['approval.incident_statement', 'approval.refund', 'approval.amount_over_limit']);
    expect(codes({ ...open, incident: { requireDuringIncident: true, publicOnly: false, statementSignOff: false } }, statement())).toEqual([]);
  });

  it('has no author, so audience rules never apply to it', () => {
    const open: ApprovalPolicy = { ...full, exemptRoles: [], incident: null };
    const input = statement({ author: { followers: 1_000_000, verified: true }, triage: { sentiment: 'negative', complaint: true } });
    expect(codes(open, input)).toEqual([]);
  });
});

describe('signOffRefusal', () => {
  it.each<[string, number | null, { userId: number | null; role: string }, string | null]>([
    ['an approver on a colleague\'s draft', 7, { userId: 3, role: 'approver' }, null],
    ['an admin on a colleague\'s draft', 7, { userId: 1, role: 'admin' }, null],
    ['the author, even as an approver', 3, { userId: 3, role: 'approver' }, 'approval.own_draft'],
    ['the author, even as an admin', 1, { userId: 1, role: 'admin' }, 'approval.own_draft'],
    ['an agent', 7, { userId: 4, role: 'agent' }, 'approval.not_reviewer'],
    ['an expert', 7, { userId: 5, role: 'expert' }, 'approval.not_reviewer'],
    ['an approver on a draft without a person as author', null, { userId: 3, role: 'approver' }, null],
  ])('%s', (_label, authorUserId, reviewer, code) => {
    expect(signOffRefusal({ authorUserId }, reviewer)?.code ?? null).toBe(code);
  });
});

describe('rewriteAtSignOff: a reviewer\'s edit is a new draft', () => {
  const ANA = 4;
  const CLEO = 3;
  const ADA = 1;
  const draft = { authorUserId: ANA, authorName: 'Ana Agent', reasons: [{ code: 'approval.agent_flagged' as const, message: 'Replies from agents flagged “in_training” are signed off' }] };

  it('makes the reviewer who rewrote the text its author, with the rewrite first among the reasons', () => {
    const r = rewriteAtSignOff(draft, { userId: CLEO, name: 'Cleo Approver' });
    expect(r.authorUserId).toBe(CLEO);
    expect(r.reasons.map((x) => x.code)).toEqual(['approval.rewritten_at_sign_off', 'approval.agent_flagged']);
    expect(r.reasons[0]!.message).toBe('Cleo Approver rewrote Ana Agent’s draft at sign-off: someone other than Cleo Approver signs the new text off');
    expect(r.reasons[0]!.data).toEqual({ editedBy: CLEO, editedByName: 'Cleo Approver', previousAuthorUserId: ANA, previousAuthorName: 'Ana Agent' });
  });

  it('so the reviewer who rewrote it may not sign it off, and whoever wrote the previous text may', () => {
    const r = rewriteAtSignOff(draft, { userId: CLEO, name: 'Cleo Approver' });
    expect(signOffRefusal({ authorUserId: r.authorUserId }, { userId: CLEO, role: 'approver' })?.code).toBe('approval.own_draft');
    expect(signOffRefusal({ authorUserId: r.authorUserId }, { userId: ADA, role: 'admin' })).toBeNull();
    // a statement's author is a lead: they did not write the new words, so they may sign them off
    const statement = rewriteAtSignOff({ authorUserId: CLEO, authorName: 'Cleo Approver', reasons: [] }, { userId: ADA, name: 'Ada Admin' });
    expect(signOffRefusal({ authorUserId: statement.authorUserId }, { userId: CLEO, role: 'approver' })).toBeNull();
    expect(signOffRefusal({ authorUserId: statement.authorUserId }, { userId: ADA, role: 'admin' })?.code).toBe('approval.own_draft');
  });

  it('rewritten twice: the latest rewrite is recorded once, and the one before it may sign off', () => {
    const once = rewriteAtSignOff(draft, { userId: CLEO, name: 'Cleo Approver' });
    const twice = rewriteAtSignOff({ authorUserId: once.authorUserId, authorName: 'Cleo Approver', reasons: once.reasons }, { userId: ADA, name: 'Ada Admin' });
    expect(twice.authorUserId).toBe(ADA);
    expect(twice.reasons.map((x) => x.code)).toEqual(['approval.rewritten_at_sign_off', 'approval.agent_flagged']);
    expect(twice.reasons[0]!.data).toMatchObject({ editedBy: ADA, previousAuthorUserId: CLEO });
    expect(signOffRefusal({ authorUserId: twice.authorUserId }, { userId: CLEO, role: 'approver' })).toBeNull();
  });
});

describe('parseAmounts', () => {
  it.each<[string, Array<[number, string | null]>]>([
    ['$1,200', [[1200, 'USD']]],
    ['refund of $49.99 today', [[49.99, 'USD']]],
    ['49,99 €', [[49.99, 'EUR']]],
    ['€1.500', [[1500, 'EUR']]],
    ['1.234,56 EUR', [[1234.56, 'EUR']]],
    ['GBP 300 and £12.5', [[300, 'GBP'], [12.5, 'GBP']]],
    ['US$20 or CA$25', [[20, 'USD'], [25, 'CAD']]],
    ['$2k', [[2000, 'USD']]],
    ["CHF 1'250.00", [[1250, 'CHF']]],
    ['10 000 EUR', [[10000, 'EUR']]],
    ['200 dollars', [[200, 'USD']]],
    ['40 kr', [[40, null]]],
    ['order 12345 and 3 items', []],
    ['', []],
  ])('%j', (input, expected) => {
    expect(parseAmounts(input).map((a) => [a.amount, a.currency])).toEqual(expected);
  });

  it('survives hostile text', () => {
    expect(parseAmounts(`$${'1,'.repeat(30_000)}`).length).toBeGreaterThanOrEqual(0);
    expect(parseAmounts('\uD800$5\u0000')).toEqual([{ amount: 5, currency: 'USD', text: '$5', start: 1, end: 3 }]);
  });
});
