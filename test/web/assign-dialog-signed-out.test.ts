/**
 * The "Assign to…" dialog (web/src/inbox/AssignDialog.tsx) with no one signed in: the session
 * ended elsewhere (signed out in another tab, expired) while a page that holds the dialog is
 * still up. It offers nothing and does not throw (it once read the signed-in person's id
 * without a guard). Signed in, it offers "Assign to me" and the others. Rendered with React's
 * server renderer, which needs no DOM: the very component the desk runs, with the query cache
 * holding what the desk's queries would.
 */
import { createElement, type FunctionComponent } from 'react';
import { renderToString } from 'react-dom/server';
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { describe, expect, it } from 'vitest';

// (imported at run time: the web UI is type-checked with its own tsconfig, JSX and DOM types)
const web = (path: string) => new URL(`../../web/src/${path}`, import.meta.url).href;

const user = (id: number, name: string, role = 'agent') => ({ id, brandId: 1, email: `${name.toLowerCase().replace(/ /g, '.')}@acme.test`, name, role, availability: 'online', capacity: 5, lastSeenAt: null, disabled: false, twoFactor: false, hasPassword: true });
const ANA = user(1, 'Ana Agent');
const BEN = user(2, 'Ben Agent');

async function renderDialog(me: unknown): Promise<string> {
  const { AssignDialog } = (await import(/* @vite-ignore */ web('inbox/AssignDialog.tsx'))) as { AssignDialog: FunctionComponent<Record<string, unknown>> };
  const { keys } = (await import(/* @vite-ignore */ web('api/queries.ts'))) as { keys: { me: readonly unknown[]; users: readonly unknown[]; teams: readonly unknown[] } };
  const qc = new QueryClient({ defaultOptions: { queries: { retry: false, staleTime: Infinity } } });
  // what signedOut() (web/src/api/queries.ts) leaves: "no one" (null) signed in
  qc.setQueryData(keys.me, me);
  qc.setQueryData(keys.users, [ANA, BEN]);
  qc.setQueryData(keys.teams, [{ id: 7, name: 'Billing', members: [1, 2] }]);
  const dialog = createElement(AssignDialog, { open: true, onClose: () => {}, onPick: () => {}, currentAssigneeId: 2 });
  return renderToString(createElement(QueryClientProvider, { client: qc }, dialog));
}

describe('the Assign dialog', () => {
  it('signed in: offers the person themselves, the others and the teams', async () => {
    const html = await renderDialog({ user: ANA, twoFactorRequired: false, csrfToken: 'x', teams: [] });
    expect(html).toContain('Assign to me');
    expect(html).toContain('Ben Agent');
    expect(html).toContain('Team: Billing');
  });

  it('with the session gone: renders without throwing and offers no one', async () => {
    for (const me of [null, undefined]) {
      const html = await renderDialog(me);
      expect(html).not.toContain('Assign to me');
      expect(html).not.toContain('Ben Agent');
      expect(html).not.toContain('role="option"');
    }
  });
});
