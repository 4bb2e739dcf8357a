/** The audit trail: append-only, who did what to which record, when. */
import type { Tx } from './util.js';

export interface AuditEntry {
  brandId: number;
  /** `user:<id>`, `token:<id>`, `system`, `system:<job>` */
  actor: string;
  action: string;
  subjectType: string;
  subjectId: number | string;
  conversationId?: number | null;
  data?: Record<string, unknown>;
}

export function actorUserId(actor: string): number | null {
  const m = /^user:(\d+)$/.exec(actor);
  return m ? Number(m[1]) : null;
}

export async function audit(db: Tx, e: AuditEntry, now: number): Promise<void> {
  await db
    .insertInto('audit_event')
    .values({
      brand_id: e.brandId,
      actor_user_id: actorUserId(e.actor),
      actor: e.actor,
      action: e.action,
      subject_type: e.subjectType,
      subject_id: String(e.subjectId),
      conversation_id: e.conversationId ?? null,
      data: JSON.stringify(e.data ?? {}),
      created_at: now,
    })
    .execute();
}
