/**
 * QA (helper h): publishing a community guideline with a missing part answers in words an
 * admin can act on, not the validator's own ("Too small: expected array to have >=1 items").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, startDesk, type TestDesk } from './helpers/parley.js';

describe('POST /api/guidelines: clear refusals', () => {
  let desk: TestDesk;
  let admin: Client;
  beforeAll(async () => {
    desk = await startDesk('sqlite');
    admin = await Client.signIn(desk.url, 'admin@acme.test');
  });
  afterAll(async () => desk?.stop());

  it('names what is missing: an action the rule allows, a title, a description', async () => {
    const base = { code: 'spam-links', title: 'No spam links', description: 'Posts that only advertise unrelated links.' };
    const noAction = await admin.post('/api/guidelines', { ...base, allowedActions: [] });
    expect(noAction.status).toBe(400);
    expect(noAction.json.detail).toMatch(/name at least one action the rule allows: hide, delete, block, restrict or mute/);
    expect(noAction.json.detail).not.toMatch(/Too small/);
    expect((await admin.post('/api/guidelines', { ...base, title: 'x' })).json.detail).toMatch(/give the rule a title of at least 3 characters/);
    expect((await admin.post('/api/guidelines', { ...base, description: 'short' })).json.detail).toMatch(/describe what the rule forbids/);
    expect((await admin.post('/api/guidelines', base)).status).toBe(201);
  });
});
