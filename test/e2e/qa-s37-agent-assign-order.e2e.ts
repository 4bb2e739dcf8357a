/**
 * QA as a care agent (session 37): the Assign dialog lists who can take a conversation now
 * first. On the demo desk its ~180 offline history agents ("Care Agent 01" …) came before the
 * online lead, the team and "Unassign", in the server's order ("Care Agent 10", then
 * "Care Agent 100"); now: me, the people online or away, the teams and the ways out, then
 * everyone offline, each group by name with numbers in counting order.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../../src/commands/setup.js';
import { Client, mention, type TestDesk } from '../helpers/parley.js';
import { deskInBrowser, openConversationAt, signIn } from './browser.js';

let desk: TestDesk;
let admin: Client;
const { open } = deskInBrowser((d) => (desk = d));

beforeAll(async () => {
  admin = await Client.signIn(desk.url, 'admin@acme.test');
  const now = Date.now();
  // offline colleagues whose names sort wrongly as text
  for (const n of ['10', '9', '100', '1']) await createUser(desk.db.store.db, { brandId: desk.brandId, email: `desk-${n}@acme.test`, name: `Desk Agent ${n}`, role: 'agent', availability: 'offline' }, now);
  // Ben is away: still someone who can be handed work before those offline
  await desk.db.store.db.updateTable('app_user').set({ availability: 'away' }).where('id', '=', desk.users.ben).execute();
});

describe('QA s37: Assign dialog order', () => {
  it('lists me, people online or away, teams and Unassign, then offline people in counting order', async () => {
    const r = await admin.post('/api/ingest/messages', { channelAccountId: desk.accountId, messages: [mention({ text: '@AcmeCare who can help me', author: { networkUserId: 's37-assign', handle: 's37_assign', displayName: null, followers: 5 } })] });
    const id = r.json.outcomes[0].conversationId as number;
    expect((await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana, teamId: desk.teamId })).status).toBe(200);
    for (const width of [1280, 390]) {
      const w = await open({ viewport: { width, height: 844 } });
      await signIn(w.page, desk.url, 'ana@acme.test');
      await openConversationAt(w.page, desk.url, id);
      await w.page.locator('.conversation .conv-title h2').focus();
      await w.page.keyboard.press('a');
      const dialog = w.page.getByRole('dialog', { name: 'Assign conversation' });
      const options = (await dialog.getByRole('option').locator('span:first-child').allTextContents()).map((t) => t.trim());
      expect(options).toEqual([
        'Assign to me',
        'Ada Admin',
        'Ben Agent',
        'Cleo Approver',
        'Team: Care',
        'Unassign',
        'Remove from team',
        'Desk Agent 1',
        'Desk Agent 9',
        'Desk Agent 10',
        'Desk Agent 100',
      ]);
      // keyboard still picks what is highlighted: down twice is Ben
      await w.page.keyboard.press('ArrowDown');
      await w.page.keyboard.press('ArrowDown');
      await w.page.keyboard.press('Enter');
      await dialog.waitFor({ state: 'hidden' });
      expect((await admin.get(`/api/conversations/${id}`)).json.conversation.assigneeId).toBe(desk.users.ben);
      expect((await admin.post(`/api/conversations/${id}/assign`, { assigneeId: desk.users.ana })).status).toBe(200);
      expect(w.errors).toEqual([]);
      expect(w.consoleErrors).toEqual([]);
    }
  });
});
