/** Brand administration: people (and your own password and two-factor sign-in), teams, channel accounts, API tokens, quarantine. */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { issuePasswordReset, resetLinkUrl } from '../../commands/passwordReset.js';
import { addTeamMember, createTeam, createUser, passwordProblem, teamExists, ValidationError } from '../../commands/setup.js';
import { replaceTeamMembers, teamChanged } from '../../commands/teams.js';
import { beginTwoFactorSetup, disableTwoFactor, enableTwoFactor, renewRecoveryCodes, resetTwoFactor } from '../../commands/twoFactor.js';
import { MAX_EXPERT_TARGET_MIN } from '../../core/expertRequests.js';
import { ROLES } from '../../core/types.js';
import { AppError, notFound } from '../../errors.js';
import { hashPassword, verifyPassword } from '../../lib/password.js';
import { audit } from '../../store/audit.js';
import type { Tx } from '../../store/util.js';
import { groupExpertTargetMin } from '../../workflow/settings.js';
import { createApiToken, endSessionsOf, requireRole, revokeTokensOf, type AuthContext, type LoginGuard } from '../auth.js';
import { announceSessionsEnded } from './events.js';
import { passwordConfirmation } from '../confirm.js';
import { deskOrigin } from '../origin.js';
import type { App } from '../http.js';
import { healthViewFor } from '../../channels/healthSummary.js';
import { presentChannelAccount, presentUser } from '../presenters.js';
import { channelAccountSchema, idParams, userSchema } from '../schemas.js';

const ROUTING_STRATEGY = z.enum(['round_robin', 'least_loaded', 'skills', 'manual']);
const TEAM_MEMBERS = z.array(z.object({ userId: z.number().int(), isLead: z.boolean().default(false) }));
/** A team's name, trimmed: one of only spaces is no name. */
const TEAM_NAME = z.string().trim().min(1, 'a team needs a name').max(100);
/** A password someone is given or chooses: the same rule everywhere (not only spaces, see `passwordProblem`). */
export const NEW_PASSWORD = z.string().max(1024).superRefine((pw, ctx) => {
  const problem = passwordProblem(pw);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});
/** As an expert group, the team's own answer target in minutes; null: the brand's default. */
const EXPERT_TARGET = z.number().int().min(1).max(MAX_EXPERT_TARGET_MIN).nullable();

/** team.settings with the expert target (null removes it) and/or the language rule changed; what is not given stays. */
function withTeamSettings(settings: string | null, p: { expertTargetMin?: number | null; requireLanguageMatch?: boolean }): string {
  let raw: Record<string, unknown> = {};
  try {
    raw = settings ? JSON.parse(settings) : {};
  } catch {
    raw = {};
  }
  if (p.expertTargetMin === null) delete raw.expertTargetMin;
  else if (p.expertTargetMin !== undefined) raw.expertTargetMin = p.expertTargetMin;
  if (p.requireLanguageMatch !== undefined) raw.requireLanguageMatch = p.requireLanguageMatch;
  return JSON.stringify(raw);
}

/** Whether routing gives this team's conversations only to agents who speak the customer's language (team.settings). */
const requiresLanguage = (settings: string | null): boolean => {
  try {
    return settings ? JSON.parse(settings).requireLanguageMatch === true : false;
  } catch {
    return false;
  }
};
/** Routing gives the team's conversations only to agents whose skills list the customer's language. */
const LANGUAGE_MATCH = z.boolean();

/** A team's members must be people of the brand (one query for all of them). */
async function assertBrandUsers(trx: Tx, brandId: number, members: { userId: number }[]): Promise<void> {
  const ids = [...new Set(members.map((m) => m.userId))];
  if (!ids.length) return;
  const found = new Set((await trx.selectFrom('app_user').select('id').where('brand_id', '=', brandId).where('id', 'in', ids).execute()).map((u) => u.id));
  const missing = ids.find((id) => !found.has(id));
  if (missing !== undefined) throw new AppError(400, 'team.unknown_user', `no user ${missing} in this brand`);
}

/** `guard`: the sign-in counters, which also count tries at confirming a change with one's password (../confirm.ts). */
export function adminRoutes(app: App, guard: LoginGuard) {
  const s = app.services;

  app.get('/api/users', { schema: { tags: ['admin'], summary: 'People of the brand', response: { 200: z.object({ items: z.array(userSchema) }) } } }, async (req) => {
    const a = requireRole(req, 'agent', 'approver', 'admin');
    const rows = await s.store.db.selectFrom('app_user').selectAll().where('brand_id', '=', a.user.brand_id).orderBy('name').execute();
    return { items: rows.map(presentUser) };
  });

  app.post('/api/users', {
    schema: {
      tags: ['admin'], summary: 'Add a person (admin) with the password they first sign in with (at least 8 characters other than spaces)',
      body: z.object({ email: z.string().max(320), name: z.string().trim().min(1, 'a person needs a name').max(200), role: z.enum(ROLES), password: NEW_PASSWORD, capacity: z.number().int().min(0).max(1000).optional(), skills: z.record(z.string(), z.unknown()).optional() }),
      response: { 201: userSchema },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    try {
      const id = await createUser(s.store.db, { brandId: a.user.brand_id, ...req.body, actor: a.actor.name }, s.clock.now());
      const u = await s.store.db.selectFrom('app_user').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
      return reply.code(201).send(presentUser(u));
    } catch (err) {
      if (err instanceof ValidationError) throw new AppError(err.code === 'user.exists' ? 409 : 400, err.code, err.message);
      throw err;
    }
  });

  // a change to one's own account needs the current password (or a recent sign-in with the provider): ../confirm.ts
  const confirmed = passwordConfirmation(s, guard.limits);

  app.post('/api/me/password', {
    schema: {
      tags: ['auth'], summary: 'Change your own password: the current one, then the new one (at least 8 characters other than spaces); your other sessions are signed out and your API tokens revoked',
      body: z.strictObject({ currentPassword: z.string().max(1024).optional().describe('left out by someone who has no password (made by a single sign-on provider), who sets one after a sign-in with the provider within the last 10 minutes (403 auth.reauthenticate otherwise)'), newPassword: NEW_PASSWORD }),
      response: { 204: z.null() },
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    if (a.via !== 'session') throw new AppError(403, 'forbidden', 'a password is changed by the person signed in, not by an API token');
    await confirmed(a, reply, req.body.currentPassword, async () => {
      const now = s.clock.now();
      const hash = await hashPassword(req.body.newPassword);
      await s.store.db.transaction().execute(async (trx) => {
        await trx.updateTable('app_user').set({ password_hash: hash }).where('id', '=', a.user.id).execute();
        // this browser stays signed in; every other one signs in again with the new password
        await endSessionsOf(trx, a.user.id, a.sessionId);
        // and every API token made as them: one made with a stolen session must not outlive the new password
        const tokensRevoked = await revokeTokensOf(trx, a.user.id, now);
        await audit(trx, { brandId: a.user.brand_id, actor: a.actor.name, action: 'user.password_changed', subjectType: 'user', subjectId: a.user.id, data: tokensRevoked ? { tokensRevoked } : undefined }, now);
      });
      await announceSessionsEnded(s.store, s.bus, [a.user.id]);
    });
    return reply.code(204).send(null);
  });

  /**
   * Two-factor sign-in, by the person signed in (a session: an API token cannot set it up or
   * turn it off). Whatever changes it needs the password again, counted with the password
   * change's tries: a stolen session guesses neither the password nor the code.
   */
  const sessionOnly = (a: AuthContext) => {
    if (a.via !== 'session') throw new AppError(403, 'forbidden', 'two-factor sign-in is set by the person signed in, not by an API token');
  };
  const twoFactorDeps = { db: s.store.db, secrets: s.secrets };
  const CURRENT_PASSWORD = z.string().max(1024).optional().describe('your current password; left out by someone who has none (made by a single sign-on provider): a sign-in with the provider within the last 10 minutes confirms instead (403 auth.reauthenticate otherwise)');
  const CODE = z.string().max(64).describe('a 6-digit code from the authenticator app (spaces allowed), or an unused recovery code xxxxx-xxxxx');
  const RECOVERY_CODES = z.object({ recoveryCodes: z.array(z.string()).describe('10 single-use recovery codes, shown this once') });
  const publishUser = async (brandId: number, userId: number) => {
    const u = await s.store.db.selectFrom('app_user').selectAll().where('id', '=', userId).executeTakeFirstOrThrow();
    s.bus.publish(brandId, 'user.updated', presentUser(u));
  };

  app.post('/api/me/two-factor/setup', {
    config: { allowWithoutSecondFactor: true },
    schema: {
      tags: ['auth'], summary: 'Begin two-factor sign-in: your current password, then a new secret for your authenticator app (base32, and as an otpauth:// URI for a QR code), pending until /enable sees a code from it. Calling again replaces a pending secret; 409 two_factor.enabled when it is on',
      body: z.object({ currentPassword: CURRENT_PASSWORD }),
      response: { 200: z.object({ secret: z.string(), uri: z.string() }) },
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    sessionOnly(a);
    return confirmed(a, reply, req.body.currentPassword, () => beginTwoFactorSetup(twoFactorDeps, { actor: a.actor, user: a.user }));
  });

  app.post('/api/me/two-factor/enable', {
    config: { allowWithoutSecondFactor: true },
    schema: {
      tags: ['auth'], summary: 'Turn two-factor sign-in on with a code from the app just set up: answers your 10 recovery codes, once. Your other sessions are signed out. 409 two_factor.not_set_up without a pending setup, 403 two_factor.wrong_code',
      body: z.object({ code: CODE }),
      response: { 200: RECOVERY_CODES },
    },
  }, async (req) => {
    const a = requireRole(req);
    sessionOnly(a);
    const out = await enableTwoFactor(twoFactorDeps, { actor: a.actor, userId: a.user.id, code: req.body.code, keepSessionId: a.sessionId }, s.clock.now());
    await publishUser(a.user.brand_id, a.user.id);
    return out;
  });

  app.post('/api/me/two-factor/disable', {
    schema: {
      tags: ['auth'], summary: 'Turn two-factor sign-in off: your current password and a code (from the app, or a recovery code). 403 auth.wrong_password, 403 two_factor.wrong_code, 409 two_factor.not_enabled',
      body: z.object({ currentPassword: CURRENT_PASSWORD, code: CODE }),
      response: { 204: z.null() },
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    sessionOnly(a);
    await confirmed(a, reply, req.body.currentPassword, () => disableTwoFactor(twoFactorDeps, { actor: a.actor, userId: a.user.id, code: req.body.code }, s.clock.now()));
    await publishUser(a.user.brand_id, a.user.id);
    return reply.code(204).send(null);
  });

  app.post('/api/me/two-factor/recovery-codes', {
    schema: {
      tags: ['auth'], summary: 'New recovery codes (the old ones stop working): your current password and a code (from the app, or a recovery code); answers the 10 new codes, once',
      body: z.object({ currentPassword: CURRENT_PASSWORD, code: CODE }),
      response: { 200: RECOVERY_CODES },
    },
  }, async (req, reply) => {
    const a = requireRole(req);
    sessionOnly(a);
    return confirmed(a, reply, req.body.currentPassword, () => renewRecoveryCodes(twoFactorDeps, { actor: a.actor, userId: a.user.id, code: req.body.code }, s.clock.now()));
  });

  app.post('/api/users/:id/two-factor/reset', {
    schema: {
      tags: ['admin'], params: idParams, summary: 'Clear a person\'s two-factor sign-in (they lost their phone) and sign them out everywhere; they sign in with their password and set it up again (admin; not your own: turn yours off with your password and a code). 409 two_factor.not_enabled when it is off',
      response: { 204: z.null() },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    if (req.params.id === a.user.id) throw new AppError(403, 'forbidden', 'your own two-factor sign-in is turned off with your password and a code, not reset');
    await resetTwoFactor(s.store.db, { actor: a.actor, userId: req.params.id }, s.clock.now());
    await publishUser(a.user.brand_id, req.params.id);
    return reply.code(204).send(null);
  });

  app.post('/api/users/:id/password-reset', {
    schema: {
      tags: ['admin'], params: idParams,
      summary: 'A one-time link with which a person who forgot their password chooses a new one (admin; not your own: change yours with your current one). Hand it to them privately: it works once, for 24 hours; the token is in the URL fragment and is shown only now. A new link voids their earlier one. Their password and sessions stay as they are until it is used. 409 user.disabled for a disabled person',
      response: { 200: z.object({ url: z.string().describe('<public base>/reset-password#token=<token>; the base is PARLEY_PUBLIC_URL, else this request\'s origin'), token: z.string(), expiresAt: z.number().describe('ms since the epoch') }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const { token, expiresAt } = await issuePasswordReset(s.store, { actor: a.actor, userId: req.params.id }, s.clock.now());
    // Fastify reads X-Forwarded-Proto and -Host only from a trusted proxy (trustProxyOption)
    return { url: resetLinkUrl(deskOrigin(s.config, req), token), token, expiresAt };
  });

  app.get('/api/teams', { schema: { tags: ['admin'], summary: 'Teams (queues, expert groups) and their members; expertTargetMin null means the brand\'s expert target applies', response: { 200: z.object({ items: z.array(z.object({ id: z.number(), name: z.string(), routingStrategy: z.string(), expertTargetMin: z.number().nullable(), requireLanguageMatch: z.boolean(), members: z.array(z.object({ userId: z.number(), isLead: z.boolean() })) })) }) } } }, async (req) => {
    const a = requireRole(req);
    const teams = await s.store.db.selectFrom('team').selectAll().where('brand_id', '=', a.user.brand_id).orderBy('name').execute();
    const members = teams.length ? await s.store.db.selectFrom('team_member').selectAll().where('team_id', 'in', teams.map((t) => t.id)).execute() : [];
    return { items: teams.map((t) => ({ id: t.id, name: t.name, routingStrategy: t.routing_strategy, expertTargetMin: groupExpertTargetMin(t.settings), requireLanguageMatch: requiresLanguage(t.settings), members: members.filter((m) => m.team_id === t.id).map((m) => ({ userId: m.user_id, isLead: m.is_lead === 1 })) })) };
  });

  app.post('/api/teams', {
    schema: { tags: ['admin'], summary: 'Create a team (admin)', body: z.object({ name: TEAM_NAME, routingStrategy: ROUTING_STRATEGY.default('round_robin'), members: TEAM_MEMBERS.default([]), expertTargetMin: EXPERT_TARGET.optional(), requireLanguageMatch: LANGUAGE_MATCH.optional() }), response: { 201: z.object({ id: z.number() }) } },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    const now = s.clock.now();
    const id = await s.store.db.transaction().execute(async (trx) => {
      await assertBrandUsers(trx, a.user.brand_id, req.body.members);
      const id = await createTeam(trx, { brandId: a.user.brand_id, name: req.body.name, routingStrategy: req.body.routingStrategy }, now);
      if (req.body.expertTargetMin != null || req.body.requireLanguageMatch !== undefined) {
        await trx.updateTable('team').set({ settings: withTeamSettings(null, { expertTargetMin: req.body.expertTargetMin ?? undefined, requireLanguageMatch: req.body.requireLanguageMatch }) }).where('id', '=', id).execute();
      }
      for (const m of req.body.members) await addTeamMember(trx, id, m.userId, m.isLead);
      await audit(trx, { brandId: a.user.brand_id, actor: a.actor.name, action: 'team.created', subjectType: 'team', subjectId: id, data: req.body }, now);
      return id;
    });
    return reply.code(201).send({ id });
  });

  app.patch('/api/teams/:id', {
    schema: {
      tags: ['admin'], summary: 'Rename a team, change how it assigns (strategy; requireLanguageMatch: only to agents whose skills list the customer\'s language), its expert answer target (null: the brand\'s), or replace its members and leads (admin)', params: idParams,
      body: z.object({ name: TEAM_NAME.optional(), routingStrategy: ROUTING_STRATEGY.optional(), members: TEAM_MEMBERS.optional(), expertTargetMin: EXPERT_TARGET.optional(), requireLanguageMatch: LANGUAGE_MATCH.optional() }),
      response: { 200: z.object({ id: z.number() }) },
    },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const now = s.clock.now();
    const b = req.body;
    await s.store.db.transaction().execute(async (trx) => {
      const team = await trx.selectFrom('team').selectAll().where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
      if (!team) throw new AppError(404, 'not_found', 'team not found');
      const before = { name: team.name, routingStrategy: team.routing_strategy, expertTargetMin: groupExpertTargetMin(team.settings), requireLanguageMatch: requiresLanguage(team.settings), members: await trx.selectFrom('team_member').select(['user_id', 'is_lead']).where('team_id', '=', team.id).orderBy('user_id').execute() };
      if (b.name !== undefined || b.routingStrategy !== undefined || b.expertTargetMin !== undefined || b.requireLanguageMatch !== undefined) {
        await trx.updateTable('team').set({
          ...(b.name !== undefined ? { name: b.name } : {}),
          ...(b.routingStrategy !== undefined ? { routing_strategy: b.routingStrategy } : {}),
          ...(b.expertTargetMin !== undefined || b.requireLanguageMatch !== undefined ? { settings: withTeamSettings(team.settings, { expertTargetMin: b.expertTargetMin, requireLanguageMatch: b.requireLanguageMatch }) } : {}),
        }).where('id', '=', team.id).execute().catch(teamExists(b.name ?? team.name));
      }
      if (b.members) {
        await assertBrandUsers(trx, a.user.brand_id, b.members);
        await replaceTeamMembers(trx, team.id, b.members);
      }
      await audit(trx, { brandId: a.user.brand_id, actor: a.actor.name, action: 'team.updated', subjectType: 'team', subjectId: team.id, data: { before, after: b } }, now);
    });
    // new members or a new strategy may free capacity for waiting work
    await teamChanged(s, a.user.brand_id);
    return { id: req.params.id };
  });

  app.get('/api/channel-accounts', { schema: { tags: ['channels'], summary: 'Connected accounts with their health (credentials are never returned; what the network answered only to admins, a plain summary to everyone else)', response: { 200: z.object({ items: z.array(channelAccountSchema) }) } } }, async (req) => {
    const a = requireRole(req);
    const rows = await s.store.db.selectFrom('channel_account').selectAll().where('brand_id', '=', a.user.brand_id).orderBy('network').orderBy('handle').execute();
    return {
      items: rows.map((r) => {
        const channel = s.registry.forAccount(r);
        return { ...presentChannelAccount(r, channel?.capabilities ?? null, healthViewFor(a.user.role)), hidesOnlyReplies: channel?.hidesOnlyReplies ?? null };
      }),
    };
  });

  const tokenSchema = z.object({ id: z.number(), name: z.string(), prefix: z.string(), userId: z.number(), userName: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable(), expiresAt: z.string().nullable(), revokedAt: z.string().nullable() });
  const iso = (t: number | string | null) => (t == null ? null : new Date(Number(t)).toISOString());

  app.post('/api/tokens', {
    schema: {
      tags: ['admin'], summary: 'Create an API token acting as you (shown once); it lasts until revoked, or expiresInDays',
      body: z.strictObject({ name: z.string().trim().min(1).max(100), expiresInDays: z.number().int().min(1).max(3650).optional() }),
      response: { 201: z.object({ token: z.string(), id: z.number(), name: z.string(), expiresAt: z.string().nullable() }) },
    },
  }, async (req, reply) => {
    const a = requireRole(req, 'admin');
    if (a.via !== 'session') throw new AppError(403, 'forbidden', 'tokens are created by a signed-in admin, not by another token');
    const now = s.clock.now();
    const expiresAt = req.body.expiresInDays ? now + req.body.expiresInDays * 86_400_000 : null;
    const { raw, id } = await createApiToken(s.store, a.user, req.body.name, now, expiresAt);
    await audit(s.store.db, { brandId: a.user.brand_id, actor: a.actor.name, action: 'token.created', subjectType: 'api_token', subjectId: id, data: { name: req.body.name, expiresAt: iso(expiresAt) } }, now);
    return reply.code(201).send({ token: raw, id, name: req.body.name, expiresAt: iso(expiresAt) });
  });

  app.get('/api/tokens', {
    schema: { tags: ['admin'], summary: 'The brand\'s API tokens (never the secret: its first characters), whose they are, when last used, expired or revoked', response: { 200: z.object({ items: z.array(tokenSchema) }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const rows = await s.store.db.selectFrom('api_token').innerJoin('app_user', 'app_user.id', 'api_token.user_id')
      .select(['api_token.id', 'api_token.name', 'api_token.prefix', 'api_token.user_id', 'app_user.name as user_name', 'api_token.created_at', 'api_token.last_used_at', 'api_token.expires_at', 'api_token.revoked_at'])
      .where('api_token.brand_id', '=', a.user.brand_id).orderBy('api_token.id', 'desc').limit(1000).execute();
    return { items: rows.map((r) => ({ id: r.id, name: r.name, prefix: r.prefix, userId: r.user_id, userName: r.user_name, createdAt: iso(r.created_at)!, lastUsedAt: iso(r.last_used_at), expiresAt: iso(r.expires_at), revokedAt: iso(r.revoked_at) })) };
  });

  app.delete('/api/tokens/:id', {
    schema: { tags: ['admin'], summary: 'Revoke an API token (it stops working at once; revoking it again is a no-op)', params: z.object({ id: z.coerce.number().int().positive() }), response: { 200: z.object({ item: tokenSchema }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const now = s.clock.now();
    const row = await s.store.db.transaction().execute(async (trx) => {
      const t = await trx.selectFrom('api_token').select(['id', 'revoked_at']).where('id', '=', req.params.id).where('brand_id', '=', a.user.brand_id).executeTakeFirst();
      if (!t) throw notFound('API token');
      if (t.revoked_at == null) {
        await trx.updateTable('api_token').set({ revoked_at: now }).where('id', '=', t.id).execute();
        await audit(trx, { brandId: a.user.brand_id, actor: a.actor.name, action: 'token.revoked', subjectType: 'api_token', subjectId: t.id }, now);
      }
      return trx.selectFrom('api_token').innerJoin('app_user', 'app_user.id', 'api_token.user_id')
        .select(['api_token.id', 'api_token.name', 'api_token.prefix', 'api_token.user_id', 'app_user.name as user_name', 'api_token.created_at', 'api_token.last_used_at', 'api_token.expires_at', 'api_token.revoked_at'])
        .where('api_token.id', '=', t.id).executeTakeFirstOrThrow();
    });
    return { item: { id: row.id, name: row.name, prefix: row.prefix, userId: row.user_id, userName: row.user_name, createdAt: iso(row.created_at)!, lastUsedAt: iso(row.last_used_at), expiresAt: iso(row.expires_at), revokedAt: iso(row.revoked_at) } };
  });

  app.get('/api/quarantine', {
    schema: { tags: ['admin'], summary: 'Items that failed validation, with the reason and raw payload', querystring: z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) }), response: { 200: z.object({ items: z.array(z.object({ id: z.number(), source: z.string(), reason: z.string(), line: z.number().nullable(), raw: z.string(), createdAt: z.string() })) }) } },
  }, async (req) => {
    const a = requireRole(req, 'admin');
    const rows = await s.store.db.selectFrom('quarantine').selectAll().where('brand_id', '=', a.user.brand_id).orderBy('id', 'desc').limit(req.query.limit).execute();
    return { items: rows.map((r) => ({ id: r.id, source: r.source, reason: r.reason, line: r.line, raw: r.raw.length > 20_000 ? r.raw.slice(0, 20_000) + '…' : r.raw, createdAt: new Date(r.created_at).toISOString() })) };
  });

  /** The caller's unread notifications, all of them (the list is a page; the badge is not). */
  const unreadOf = async (userId: number) =>
    Number((await s.store.db.selectFrom('notification').select((eb) => eb.fn.countAll<number>().as('n')).where('user_id', '=', userId).where('read_at', 'is', null).executeTakeFirst())?.n ?? 0);

  app.get('/api/notifications', {
    schema: { tags: ['auth'], summary: 'Your in-app notifications, newest first (the latest 100), and how many of all of yours are unread', response: { 200: z.object({ items: z.array(z.object({ id: z.number(), kind: z.string(), title: z.string(), body: z.string(), conversationId: z.number().nullable(), createdAt: z.string(), read: z.boolean() })), unread: z.number() }) } },
  }, async (req) => {
    const a = requireRole(req);
    const rows = await s.store.db.selectFrom('notification').selectAll().where('user_id', '=', a.user.id).orderBy('id', 'desc').limit(100).execute();
    return { items: rows.map((r) => ({ id: r.id, kind: r.kind, title: r.title, body: r.body, conversationId: r.conversation_id, createdAt: new Date(r.created_at).toISOString(), read: r.read_at != null })), unread: await unreadOf(a.user.id) };
  });

  app.post('/api/notifications/read', {
    schema: {
      tags: ['auth'], summary: 'Mark your notifications read: these ids (others\' ids are left alone) or all of them; answers how many changed and how many stay unread',
      body: z.union([z.strictObject({ ids: z.array(z.number().int().positive()).min(1).max(500) }), z.strictObject({ all: z.literal(true) })]),
      response: { 200: z.object({ read: z.number(), unread: z.number() }) },
    },
  }, async (req) => {
    const a = requireRole(req);
    const now = s.clock.now();
    let q = s.store.db.updateTable('notification').set({ read_at: now }).where('user_id', '=', a.user.id).where('read_at', 'is', null);
    if ('ids' in req.body) q = q.where('id', 'in', [...new Set(req.body.ids)]);
    const read = Number((await q.executeTakeFirst()).numUpdatedRows);
    // the person's other tabs and devices update their badge
    if (read) s.bus.publish(a.user.brand_id, 'notification.read', 'ids' in req.body ? { ids: req.body.ids } : { all: true }, { userIds: [a.user.id] });
    return { read, unread: await unreadOf(a.user.id) };
  });
}
