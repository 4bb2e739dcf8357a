/** The per-network check of channel account input that connect and edit share. */
import { describe, expect, it } from 'vitest';
import { NETWORKS } from '../core/types.js';
import { changedPositionSettings, checkCredentialNames, checkSettings, describeSettings } from './settings.js';

describe('checkSettings', () => {
  it('stores listening terms as one trimmed list without repeats, from a list or a typed string', () => {
    expect(checkSettings('x', { keywords: ' acme rocket ,anvil\n\nAnvil ' })).toEqual({ settings: { keywords: ['acme rocket', 'anvil'] }, problems: [] });
    expect(checkSettings('bluesky', { keywords: ['a', ' b ', ''] }).settings.keywords).toEqual(['a', 'b']);
    expect(checkSettings('mastodon', { instanceUrl: 'https://m.example', hashtags: '#acme, ##help' }).settings.hashtags).toEqual(['acme', 'help']);
  });

  it('refuses a setting the connector does not read, naming the ones it does', () => {
    const r = checkSettings('x', { keyword: 'anvil', apiBaseUrl: 'https://api.x.com' });
    expect(r.problems).toEqual([{ path: 'settings/keyword', message: expect.stringMatching(/"keyword" is not a setting of x accounts \(they read .*keywords.*pollIntervalS.*\)/) }]);
    // a setting of another network is just as unknown here
    expect(checkSettings('facebook', { keywords: ['anvil'] }).problems.map((p) => p.path)).toEqual(['settings/keywords']);
  });

  it('checks types and ranges, with every problem listed', () => {
    const r = checkSettings('x', { pageSize: 500, requestTimeoutMs: 'fast', apiBaseUrl: 'javascript:alert(1)', pollIntervalS: 1, autoAck: { enabled: 'yes' } });
    expect(r.problems.map((p) => p.path).sort()).toEqual(['settings/apiBaseUrl', 'settings/autoAck/enabled', 'settings/pageSize', 'settings/pollIntervalS', 'settings/requestTimeoutMs']);
    expect(checkSettings('x', { keywords: Array.from({ length: 26 }, (_, i) => `k${i}`) }).problems[0]!.message).toMatch(/at most 25/);
    expect(checkSettings('webchat', { allowedOrigins: ['https://shop.example', 'not a url'], color: 'red' }).problems.map((p) => p.path)).toEqual(['settings/allowedOrigins/1', 'settings/color']);
  });

  it('applies the connector\'s own cross-field rules (email: hosts and address required; Mastodon: its server)', () => {
    expect(checkSettings('email', { imapHost: 'imap.example' }).problems).toEqual([{ path: 'settings', message: 'email account settings lack smtpHost, address' }]);
    expect(checkSettings('email', { imapHost: 'imap.example', smtpHost: 'smtp.example', address: 'not-an-address' }).problems[0]!.message).toMatch(/is not an email address/);
    expect(checkSettings('email', { imapHost: 'imap.example', smtpHost: 'smtp.example', address: 'care@acme.example', imapPort: 993, imapSecure: true }).problems).toEqual([]);
    expect(checkSettings('mastodon', { keywords: ['acme'] }).problems[0]!.message).toMatch(/instanceUrl/);
  });

  it('checks only what an edit names, so a setting stored before these checks does not block it; cross-field rules see the whole', () => {
    const stored = { legacyThing: 1, keywords: ['old'] };
    expect(checkSettings('x', { ...stored, keywords: 'new' }, ['keywords'])).toEqual({ settings: { legacyThing: 1, keywords: ['new'] }, problems: [] });
    expect(checkSettings('x', { ...stored, legacyThing: 2 }, ['legacyThing']).problems.map((p) => p.path)).toEqual(['settings/legacyThing']);
    expect(checkSettings('mastodon', { keywords: ['a'] }, ['keywords']).problems).toEqual([{ path: 'settings', message: expect.stringMatching(/instanceUrl/) }]);
  });

  it('keeps ids as strings when a form sends digits as a number', () => {
    expect(checkSettings('instagram', { pageId: 1234567890 }).settings.pageId).toBe('1234567890');
  });

  it('knows every network, and the settings every account carries', () => {
    for (const n of NETWORKS) expect(describeSettings(n).settings).toEqual(expect.arrayContaining(['pollIntervalS', 'autoAck']));
    expect(describeSettings('x')).toMatchObject({ listening: ['keywords', 'excludeKeywords'], credentials: expect.arrayContaining(['apiKey', 'oauth2AccessToken']) });
    expect(checkSettings('demo', { autoAck: { enabled: true, visibility: 'private', signature: '^Ana' }, pollIntervalS: 30 }).problems).toEqual([]);
  });
});

describe('checkCredentialNames', () => {
  it('checks names against the network connector, and leaves a stand-in driver to read its own', () => {
    expect(checkCredentialNames('x', null, ['apiKey', 'accessSecret'])).toEqual([]);
    expect(checkCredentialNames('bluesky', null, ['identifier', 'appPassword'])).toEqual([{ path: 'credentials/appPassword', message: expect.stringMatching(/not a credential of bluesky accounts \(they read identifier, password\)/) }]);
    expect(checkCredentialNames('bluesky', 'bluesky', ['appPassword'])).toHaveLength(1);
    expect(checkCredentialNames('bluesky', 'demo', ['appPassword'])).toEqual([]);
    expect(checkCredentialNames('webchat', null, ['token'])[0]!.message).toBe('webchat accounts take no credentials');
  });
});

describe('changedPositionSettings', () => {
  it('names the settings that point the account elsewhere, and only those', () => {
    expect(changedPositionSettings('mastodon', { instanceUrl: 'https://a.example', keywords: ['x'] }, { instanceUrl: 'https://a.example', keywords: ['y'] })).toEqual([]);
    expect(changedPositionSettings('mastodon', { instanceUrl: 'https://a.example' }, { instanceUrl: 'https://b.example' })).toEqual(['instanceUrl']);
    expect(changedPositionSettings('email', { mailbox: 'INBOX' }, {})).toEqual(['mailbox']);
    expect(changedPositionSettings('x', { keywords: ['a'] }, { keywords: ['b'] })).toEqual([]);
  });
});
