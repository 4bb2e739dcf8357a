import { describe, expect, it } from 'vitest';
import {
  bestPlaybook,
  DEFAULT_PLAYBOOKS,
  matchPlaybooks,
  renderSnippet,
  renderSnippetOrThrow,
  SnippetError,
  snippetVariables,
  type Playbook,
  type PlaybookContext,
} from './playbooks.js';

describe('matchPlaybooks', () => {
  it.each<[string, PlaybookContext, string[]]>([
    [
      'a public negative complaint about a refund',
      { category: 'customer_service', intent: 'Refund', sentiment: 'negative', complaint: true, visibility: 'public' },
      ['account-specific', 'public-complaint', 'how-to-question', 'out-of-hours'],
    ],
    ['the same complaint in private', { category: 'customer_service', intent: 'refund', sentiment: 'negative', complaint: true, visibility: 'private' }, ['account-specific', 'how-to-question', 'out-of-hours']],
    ['an outage report', { category: 'customer_service', intent: 'outage' }, ['outage', 'how-to-question', 'out-of-hours']],
    ['praise', { category: 'brand', sentiment: 'positive', complaint: false }, ['praise', 'out-of-hours']],
    ['spam', { category: 'spam' }, ['trolling', 'out-of-hours']],
    ['nothing known', {}, ['out-of-hours']],
  ])('%s', (_label, ctx, ids) => {
    expect(matchPlaybooks(DEFAULT_PLAYBOOKS, ctx).map((s) => s.playbook.id)).toEqual(ids);
  });

  it('reports specificity and what matched; priority breaks ties', () => {
    const a: Playbook = { id: 'a', name: 'A', match: { categories: ['customer_service'] }, outline: ['x'] };
    const b: Playbook = { ...a, id: 'b', priority: 5 };
    const suggestions = matchPlaybooks([a, b], { category: 'customer_service' });
    expect(suggestions.map((s) => [s.playbook.id, s.score, s.matchedOn])).toEqual([
      ['b', 4, ['category']],
      ['a', 4, ['category']],
    ]);
    expect(bestPlaybook([a], { category: 'spam' })).toBeNull();
  });

  it('requires every listed criterion', () => {
    const pb: Playbook = { id: 'x', name: 'X', match: { intents: ['refund'], networks: ['x'] }, outline: ['y'] };
    expect(bestPlaybook([pb], { intent: 'refund', network: 'x' })?.id).toBe('x');
    expect(bestPlaybook([pb], { intent: 'refund', network: 'facebook' })).toBeNull();
    expect(bestPlaybook([pb], { intent: 'refund' })).toBeNull();
  });

  it('ships outlines, not verbatim replies', () => {
    for (const pb of DEFAULT_PLAYBOOKS) {
      expect(pb.outline.length).toBeGreaterThan(0);
      for (const s of pb.snippets ?? []) expect(snippetVariables(s.body)).toContain('customer.name');
    }
  });

  it('words its guidance without snippet variables (the playbook panel shows it as written)', () => {
    for (const pb of DEFAULT_PLAYBOOKS) {
      for (const text of [...pb.outline, ...(pb.dos ?? []), ...(pb.donts ?? [])]) expect(text, pb.id).not.toMatch(/\{\{|\}\}/);
    }
  });
});

describe('renderSnippet', () => {
  const vars = { customer: { name: 'Jane', orders: 3 }, hours: 'Mon–Fri 9am–5pm GMT', agent: { signature: '^JS' } };

  it('fills nested and flat variables', () => {
    expect(renderSnippet("Hi {{customer.name}}, we're here {{ hours }}. {{agent.signature}}", vars)).toEqual({
      ok: true,
      text: "Hi Jane, we're here Mon–Fri 9am–5pm GMT. ^JS",
      variables: ['customer.name', 'hours', 'agent.signature'],
    });
    expect(renderSnippet('You have {{customer.orders}} orders, {{ticket.id}}', { ...vars, 'ticket.id': 'T-9' })).toMatchObject({
      ok: true,
      text: 'You have 3 orders, T-9',
    });
  });

  it('uses fallbacks for missing values', () => {
    expect(renderSnippet('Hi {{customer.nickname | there}}!', vars)).toMatchObject({ ok: true, text: 'Hi there!' });
    expect(renderSnippet('Hi {{customer.nickname | "dear customer"}}!', vars)).toMatchObject({ ok: true, text: 'Hi dear customer!' });
  });

  it.each<[string, Record<string, unknown>, string, Array<[string, string | null]>]>([
    ['Hi {{customer.name}}, {{hours}}', { customer: {} }, 'Hi {{customer.name}}, {{hours}}', [['snippet.missing_variable', 'customer.name'], ['snippet.missing_variable', 'hours']]],
    ['Hi {{customer.name}}', { customer: { name: '   ' } }, 'Hi {{customer.name}}', [['snippet.missing_variable', 'customer.name']]],
    ['Hi {{customer.name}}', { customer: { name: null } }, 'Hi {{customer.name}}', [['snippet.missing_variable', 'customer.name']]],
    ['Hi {{customer}}', { customer: { name: 'Jane' } }, 'Hi {{customer}}', [['snippet.not_text', 'customer']]],
    ['Hi {{customer.name', vars, 'Hi {{customer.name', [['snippet.syntax', null]]],
    ['Hi {{ 1st }} and {{}}', vars, 'Hi {{ 1st }} and {{}}', [['snippet.syntax', null], ['snippet.syntax', null]]],
    ['{{ toString }} {{constructor.name}}', {}, '{{ toString }} {{constructor.name}}', [['snippet.missing_variable', 'toString'], ['snippet.missing_variable', 'constructor.name']]],
  ])('reports problems in %j', (template, values, text, errors) => {
    const r = renderSnippet(template, values);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.text).toBe(text);
    expect(r.errors.map((e) => [e.code, e.variable])).toEqual(errors);
  });

  it('keeps escaped braces literal', () => {
    expect(renderSnippet('Use \\{{customer.name}} in templates, {{customer.name}}.', vars)).toMatchObject({
      ok: true,
      text: 'Use {{customer.name}} in templates, Jane.',
    });
  });

  it('throws a SnippetError listing every problem when asked to', () => {
    expect(renderSnippetOrThrow('Hi {{customer.name}}', vars)).toBe('Hi Jane');
    try {
      renderSnippetOrThrow('Hi {{customer.first}} {{hours}} {{x}}', vars);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(SnippetError);
      expect((e as SnippetError).code).toBe('snippet.missing_variable');
      expect((e as SnippetError).issues.map((i) => i.variable)).toEqual(['customer.first', 'x']);
    }
  });

  it('handles hostile templates', () => {
    const r = renderSnippet(`${'{{'.repeat(30_000)}\u0000\uD800 {{customer.name}}`, vars);
    expect(r.ok).toBe(false);
    expect(renderSnippet(undefined as never, vars)).toEqual({ ok: true, text: '', variables: [] });
  });
});
