/**
 * A brand's care-workflow settings (routing rules, SLA policy, approval policy,
 * reply-check severities, auto-acknowledgement) and its security policy (two-factor
 * sign-in for everyone), kept in brand.settings as JSON, validated when saved, with
 * safe defaults, and cached per process.
 */
import { parseObject } from '../lib/json.js';
import { z } from 'zod';
import type { ApprovalPolicy } from '../core/approval.js';
import { validateCalendar, type BusinessCalendar } from '../core/businessHours.js';
import { MAX_EXPERT_TARGET_MIN } from '../core/expertRequests.js';
import { DEFAULT_HANDOVER_AFTER_MIN, handoverAfterMin, MAX_HANDOVER_AFTER_MIN } from '../core/followUpHandover.js';
import type { BrandRouting } from '../core/routing.js';
import { DEFAULT_SLA_POLICY, validateSlaPolicy, type SlaPolicy } from '../core/sla.js';
import { REPLY_CHECK_CODES } from '../core/replyChecks.js';
import type { Store } from '../store/db.js';
import type { ChannelAccount } from '../store/schema.js';
import type { Tx } from '../store/util.js';
import { badRequest } from '../errors.js';

export interface WorkflowSettings {
  routing: BrandRouting | null;
  sla: SlaPolicy;
  approval: ApprovalPolicy;
  replyChecks: Record<string, 'block' | 'warn' | 'hint' | 'off'>;
  /** Minutes within which a question to an expert should be answered, unless the expert group sets its own. */
  expertTargetMin: number;
  incidents: { autoDetect: boolean };
  /** Network payloads (`message.raw`) of messages older than this many days are cleared by housekeeping; null: kept. */
  retention: { rawPayloadDays: number | null };
  /** The brand's sign-in policy: with `twoFactorRequired`, a session of someone without two-factor sign-in can only set it up or sign out (../commands/twoFactorPolicy.ts). */
  security: { twoFactorRequired: boolean };
  /** Who may hide, delete, block, restrict or mute (and undo it): refused roles get 403 moderation.role_not_allowed. Admins always may. */
  moderation: { allowedRoles: ModerationRole[] };
  /** A customer's follow-up goes back to routing when its assignee has been unreachable (offline) this many minutes of working time; 0 = never (src/core/followUpHandover.ts). */
  handoverAfterMin: number;
}

/** The roles that can be allowed to take moderation actions (experts never moderate). */
export const MODERATION_ROLES = ['agent', 'approver', 'admin'] as const;
export type ModerationRole = (typeof MODERATION_ROLES)[number];

/** The longest raw payload retention an admin can set (ten years): beyond it, keep them (null). */
export const MAX_RAW_PAYLOAD_DAYS = 3650;

export const DEFAULT_APPROVAL_POLICY: ApprovalPolicy = {
  exemptRoles: ['approver', 'admin'],
  agents: { flags: ['in_training'] },
  audience: { followersAtLeast: 100_000, publicNegativeComplaint: false },
  content: { keywords: null, refundTerms: false, amountLimits: null },
  incident: { requireDuringIncident: true, publicOnly: true, statementSignOff: true },
};

/**
 * A saved policy that never mentions incident statements (saved before they were covered)
 * keeps the safe default: a second person signs a statement off. Only an explicit `false`
 * turns that off.
 */
export function withStatementDefault(policy: ApprovalPolicy): ApprovalPolicy {
  if (policy.incident?.statementSignOff != null) return policy;
  return { ...policy, incident: { ...(policy.incident ?? {}), statementSignOff: DEFAULT_APPROVAL_POLICY.incident!.statementSignOff } };
}

export const DEFAULT_SETTINGS: WorkflowSettings = {
  routing: null,
  sla: DEFAULT_SLA_POLICY,
  approval: DEFAULT_APPROVAL_POLICY,
  replyChecks: {},
  expertTargetMin: 120,
  incidents: { autoDetect: true },
  retention: { rawPayloadDays: null },
  security: { twoFactorRequired: false },
  // today's behaviour: front-line agents may hide spam too; brands that want leads only set ['approver', 'admin']
  moderation: { allowedRoles: ['agent', 'approver', 'admin'] },
  handoverAfterMin: DEFAULT_HANDOVER_AFTER_MIN,
};

const interval = z.object({ start: z.string().regex(/^\d{2}:\d{2}$/), end: z.string().regex(/^\d{2}:\d{2}$/) });
export const calendarSchema = z.object({
  timeZone: z.string().min(1),
  weekly: z.partialRecord(z.enum(['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']), z.array(interval)),
  holidays: z.array(z.object({ date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/), name: z.string().optional(), hours: z.array(interval).optional() })).optional(),
});

export const settingsPatchSchema = z.object({
  routing: z
    .object({
      rules: z.array(z.object({ id: z.string().optional(), teamId: z.coerce.string(), when: z.record(z.string(), z.unknown()) })),
      defaultTeamId: z.coerce.string(),
    })
    .nullable()
    .optional(),
  sla: z.record(z.string(), z.unknown()).optional(),
  approval: z.record(z.string(), z.unknown()).optional(),
  replyChecks: z.partialRecord(z.enum(REPLY_CHECK_CODES), z.enum(['block', 'warn', 'hint', 'off'])).optional(),
  // bounded like the SLA targets (see `validateSlaPolicy`), the message in the page's unit (minutes)
  expertTargetMin: z
    .number()
    .int({ error: (iss) => `Experts' answer target must be a whole number of minutes (got ${String(iss.input)} min)` })
    .min(1, { error: (iss) => `Experts' answer target must be at least 1 min (got ${String(iss.input)} min)` })
    .max(MAX_EXPERT_TARGET_MIN, { error: (iss) => `Experts' answer target must be at most ${MAX_EXPERT_TARGET_MIN / (24 * 60)} days (got ${String(iss.input)} min)` })
    .optional(),
  incidents: z.object({ autoDetect: z.boolean() }).optional(),
  retention: z.object({
    rawPayloadDays: z
      .number()
      .int({ error: (iss) => `Raw payload retention must be a whole number of days (got ${String(iss.input)})` })
      .min(1, { error: (iss) => `Raw payload retention must be at least 1 day (got ${String(iss.input)})` })
      .max(MAX_RAW_PAYLOAD_DAYS, { error: (iss) => `Raw payload retention must be at most ${MAX_RAW_PAYLOAD_DAYS} days; leave it empty to keep payloads (got ${String(iss.input)})` })
      .nullable(),
  }).optional(),
  moderation: z.object({
    allowedRoles: z
      .array(z.enum(MODERATION_ROLES, { error: (iss) => `Moderation: ${JSON.stringify(iss.input)} is not a role that can moderate (agent, approver or admin)` }))
      .min(1, { error: 'Moderation: name at least one role that may moderate (admins always may)' })
      .refine((r) => r.includes('admin'), { error: 'Moderation: admins always may moderate (they can change this setting); include admin' })
      .describe('who may hide, delete, block, restrict or mute and undo it; others get 403 moderation.role_not_allowed. Must include admin'),
  }).optional(),
  handoverAfterMin: z
    .number()
    .int({ error: (iss) => `Hand-over of follow-ups: the time must be a whole number of minutes (got ${String(iss.input)})` })
    .min(0, { error: (iss) => `Hand-over of follow-ups: the time cannot be negative; 0 turns it off (got ${String(iss.input)} min)` })
    .max(MAX_HANDOVER_AFTER_MIN, { error: (iss) => `Hand-over of follow-ups: the time must be at most ${MAX_HANDOVER_AFTER_MIN / (24 * 60)} days (${MAX_HANDOVER_AFTER_MIN} min); 0 turns it off (got ${String(iss.input)} min)` })
    .describe('minutes of working time an assignee may be unreachable (offline, signed out) before a customer waiting on them is handed to the next available agent of the team; 0 = never')
    .optional(),
  security: z.object({ twoFactorRequired: z.boolean().describe('everyone of the brand signs in with two-factor sign-in: a session without it may only set it up or sign out (403 two_factor.required); API tokens are not affected') }).optional(),
});

/** Told after a brand's settings were saved (`WorkflowSettingsStore.onSaved`). */
export type SettingsListener = (brandId: number, before: WorkflowSettings, after: WorkflowSettings) => Promise<void>;

/** The settings from their stored JSON (`brand.settings.workflow`), each part defaulted or cleaned. */
function settingsOf(stored: unknown): WorkflowSettings {
  const wf = (stored ?? {}) as Partial<WorkflowSettings>;
  return {
    routing: wf.routing ?? null,
    sla: wf.sla ?? DEFAULT_SETTINGS.sla,
    approval: wf.approval ? withStatementDefault(wf.approval) : DEFAULT_SETTINGS.approval,
    replyChecks: wf.replyChecks ?? {},
    expertTargetMin: wf.expertTargetMin ?? DEFAULT_SETTINGS.expertTargetMin,
    incidents: wf.incidents ?? DEFAULT_SETTINGS.incidents,
    retention: { rawPayloadDays: rawPayloadDays(wf.retention?.rawPayloadDays) },
    security: securityOf(wf.security),
    moderation: moderationOf(wf.moderation),
    handoverAfterMin: handoverAfterMin(wf.handoverAfterMin),
  };
}

export class WorkflowSettingsStore {
  private readonly cache = new Map<number, { at: number; settings: WorkflowSettings }>();
  private readonly calendars = new Map<number, { raw: string | null; cal: BusinessCalendar | null }>();

  constructor(private readonly store: Store, private readonly ttlMs = 5_000) {}

  /** Pass the transaction when calling from inside one (SQLite has a single connection). */
  async get(brandId: number, db: Tx = this.store.db): Promise<WorkflowSettings> {
    const c = this.cache.get(brandId);
    if (c && Date.now() - c.at < this.ttlMs) return c.settings;
    const row = await db.selectFrom('brand').select('settings').where('id', '=', brandId).executeTakeFirst();
    const settings = settingsOf(parseObject(row?.settings).workflow);
    this.cache.set(brandId, { at: Date.now(), settings });
    return settings;
  }

  /** Validate and save part of the settings; returns the whole, and what was saved before (read with the save, not cached). Throws 400 with every problem. */
  async update(brandId: number, patch: z.infer<typeof settingsPatchSchema>): Promise<{ before: WorkflowSettings; after: WorkflowSettings }> {
    const problems: string[] = [];
    if (patch.sla) {
      // the messages name the target and speak in the page's units; `targets[0].targetMs` would tell the admin nothing.
      // Targets are bounded above too (a year): a deadline beyond what a date can hold once made every ingest fail.
      for (const p of validateSlaPolicy(patch.sla as unknown as SlaPolicy)) problems.push(p.message);
    }
    if (patch.routing) {
      const teams = new Set((await this.store.db.selectFrom('team').select('id').where('brand_id', '=', brandId).execute()).map((t) => String(t.id)));
      for (const t of [patch.routing.defaultTeamId, ...patch.routing.rules.map((r) => r.teamId)]) if (!teams.has(t)) problems.push(`routing: team ${t} does not exist in this brand`);
    }
    if (problems.length) throw badRequest('settings.invalid', problems.join('; '), { errors: problems });
    const row = await this.store.db.selectFrom('brand').select('settings').where('id', '=', brandId).executeTakeFirstOrThrow();
    const raw = parseObject(row.settings);
    const before = settingsOf(raw.workflow);
    raw.workflow = { ...(raw.workflow ?? {}), ...patch };
    const stored = JSON.stringify(raw);
    await this.store.db.updateTable('brand').set({ settings: stored }).where('id', '=', brandId).execute();
    // what was just written, as a read of it gives (no second read)
    const after = settingsOf(parseObject(stored).workflow);
    this.cache.set(brandId, { at: Date.now(), settings: after });
    for (const l of this.listeners) await l(brandId, before, after);
    return { before, after };
  }

  private readonly listeners: SettingsListener[] = [];

  /**
   * Be told after each save, with the settings before and after it (awaited: what follows from a
   * change, such as hand-over timers started, exists when the save returns). A listener handles
   * its own failures: the settings are saved either way.
   */
  onSaved(listener: SettingsListener): void {
    this.listeners.push(listener);
  }

  /**
   * Teams the routing sends conversations to that have nobody to take them: no members, or only
   * disabled people or experts (routing never assigns to those). Saving such routing is allowed
   * (the admin may be building the team next), but the admin is told, naming the teams.
   */
  async routingWarnings(brandId: number, routing: { rules: { teamId: string }[]; defaultTeamId: string } | null | undefined): Promise<{ teamId: string; team: string; message: string }[]> {
    if (!routing) return [];
    const ids = [...new Set([routing.defaultTeamId, ...routing.rules.map((r) => r.teamId)])].map(Number).filter((n) => Number.isInteger(n));
    if (!ids.length) return [];
    const db = this.store.db;
    const teams = await db.selectFrom('team').select(['id', 'name']).where('brand_id', '=', brandId).where('id', 'in', ids).execute();
    const members = await db
      .selectFrom('team_member')
      .innerJoin('app_user', 'app_user.id', 'team_member.user_id')
      .select(['team_member.team_id', 'app_user.disabled_at', 'app_user.role'])
      .where('team_member.team_id', 'in', ids)
      .execute();
    const out: { teamId: string; team: string; message: string }[] = [];
    for (const id of ids) {
      const t = teams.find((x) => x.id === id);
      if (!t) continue;
      const of = members.filter((m) => m.team_id === id);
      const working = of.filter((m) => m.disabled_at == null && m.role !== 'expert');
      if (working.length) continue;
      const why = of.length === 0 ? 'has no members' : of.every((m) => m.disabled_at != null) ? 'has only disabled members' : 'has no members who take conversations (only disabled people or experts)';
      out.push({ teamId: String(id), team: t.name, message: `Team "${t.name}" ${why}: conversations routed to it will wait in its queue until someone joins it` });
    }
    return out;
  }

  /** The channel account's business-hours calendar (null: open 24/7). */
  calendarOf(account: Pick<ChannelAccount, 'id' | 'calendar'>): BusinessCalendar | null {
    const c = this.calendars.get(account.id);
    if (c && c.raw === account.calendar) return c.cal;
    let cal: BusinessCalendar | null = null;
    if (account.calendar) {
      try {
        const parsed = JSON.parse(account.calendar) as BusinessCalendar;
        cal = validateCalendar(parsed).length ? null : parsed;
      } catch {
        cal = null;
      }
    }
    this.calendars.set(account.id, { raw: account.calendar, cal });
    return cal;
  }

  private readonly autoAck = new Map<number, { at: number; any: boolean }>();

  /** Whether any account of the brand sends out-of-hours acknowledgements (cached; cleared by `invalidate`). */
  async anyAutoAck(brandId: number): Promise<boolean> {
    const c = this.autoAck.get(brandId);
    if (c && Date.now() - c.at < this.ttlMs) return c.any;
    const rows = await this.store.db.selectFrom('channel_account').select(['settings']).where('brand_id', '=', brandId).where('calendar', 'is not', null).execute();
    const any = rows.some((r) => parseObject(r.settings).autoAck?.enabled === true);
    this.autoAck.set(brandId, { at: Date.now(), any });
    return any;
  }

  invalidate(brandId?: number) {
    if (brandId == null) this.cache.clear();
    else this.cache.delete(brandId);
    this.calendars.clear();
    this.autoAck.clear();
  }
}

/** Validate a calendar for saving (400 with every problem). */
export function checkCalendar(cal: unknown): BusinessCalendar {
  const parsed = calendarSchema.safeParse(cal);
  if (!parsed.success) throw badRequest('calendar.invalid', parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  const issues = validateCalendar(parsed.data as BusinessCalendar);
  if (issues.length) throw badRequest('calendar.invalid', issues.map((i) => `${i.path}: ${i.message}`).join('; '));
  return parsed.data as BusinessCalendar;
}

/** A stored security policy; anything but an explicit `true` leaves two-factor sign-in each person's choice. */
export function securityOf(v: unknown): WorkflowSettings['security'] {
  return { twoFactorRequired: (v as { twoFactorRequired?: unknown } | null | undefined)?.twoFactorRequired === true };
}

/** A stored moderation policy; anything not a valid list of roles keeps the default (agents, approvers and admins), and admins are always in it. */
export function moderationOf(v: unknown): WorkflowSettings['moderation'] {
  const roles = (v as { allowedRoles?: unknown } | null | undefined)?.allowedRoles;
  if (!Array.isArray(roles)) return DEFAULT_SETTINGS.moderation;
  const valid = MODERATION_ROLES.filter((r) => roles.includes(r));
  if (!valid.length) return DEFAULT_SETTINGS.moderation;
  return { allowedRoles: valid.includes('admin') ? valid : [...valid, 'admin'] };
}

/** A stored retention in days, or null (keep) when absent or not a whole number in range: a bad value never clears anything. */
export function rawPayloadDays(v: unknown): number | null {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_RAW_PAYLOAD_DAYS ? v : null;
}

/** An expert group's own answer target in minutes (team.settings `expertTargetMin`), or null: the brand's applies. */
export function groupExpertTargetMin(teamSettings: string | null | undefined): number | null {
  const v = parseObject(teamSettings).expertTargetMin;
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_EXPERT_TARGET_MIN ? v : null;
}
