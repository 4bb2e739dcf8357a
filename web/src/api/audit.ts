/**
 * Server state of the audit trail: the brand's audit log (Settings → Audit log), paged
 * newest first with the server's cursor, its CSV export, and the consent behind a
 * contact's CRM link (the contact card).
 */
import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { api, qs } from './client.js';
import type { AuditEvent } from './types.js';

/** The filters `GET /api/audit` takes; all optional. `action` ending in `.` or `*` is a prefix. */
export interface AuditFilters {
  action?: string;
  subjectType?: string;
  subjectId?: string;
  actorUserId?: number;
  conversationId?: number;
  /** ISO times; `from` inclusive, `to` exclusive. */
  from?: string;
  to?: string;
}

export interface AuditLogEntry extends AuditEvent {
  /** The person, the API token (with its owner) or Parley itself. */
  actorName: string;
}

export interface AuditPage {
  items: AuditLogEntry[];
  nextCursor: string | null;
}

export const AUDIT_PAGE_SIZE = 50;

export const akeys = {
  log: (f: AuditFilters) => ['audit', 'log', f] as const,
  consent: (contactId: number, linkedAt: string | null | undefined) => ['contacts', contactId, 'crm-consent', linkedAt ?? null] as const,
};

const filterParams = (f: AuditFilters) => ({ action: f.action, subjectType: f.subjectType, subjectId: f.subjectId, actorUserId: f.actorUserId, conversationId: f.conversationId, from: f.from, to: f.to });

export function useAuditLog(f: AuditFilters, enabled = true) {
  return useInfiniteQuery({
    queryKey: akeys.log(f),
    queryFn: ({ pageParam, signal }) => api<AuditPage>('GET', `/api/audit${qs({ ...filterParams(f), cursor: pageParam, limit: AUDIT_PAGE_SIZE })}`, undefined, { signal }),
    initialPageParam: null as string | null,
    getNextPageParam: (last) => last.nextCursor,
    enabled,
    staleTime: 15_000,
  });
}

/** The CSV export of everything the filters match (a plain link: the session cookie signs it). */
export const auditCsvHref = (f: AuditFilters) => `/api/audit${qs({ ...filterParams(f), format: 'csv' })}`;

export interface CrmConsent {
  contactId: number;
  crmCustomerId: string | null;
  consent: {
    crmCustomerId: string;
    method: string;
    note: string | null;
    grantedAt: string;
    recordedBy: { id: number; name: string | null };
    /** The customer's own message, when that is how they consented. */
    evidenceMessage: { id: number; conversationId: number; text: string; createdAt: string } | null;
  } | null;
}

/**
 * The consent behind a contact's CRM link. Keyed on when the link was recorded, so a new
 * link (or its removal) reads the new consent without further wiring.
 */
export function useCrmConsent(contactId: number, linkedAt: string | null | undefined, enabled = true) {
  return useQuery({
    queryKey: akeys.consent(contactId, linkedAt),
    queryFn: ({ signal }) => api<CrmConsent>('GET', `/api/contacts/${contactId}/crm-consent`, undefined, { signal }),
    enabled,
    staleTime: 60_000,
  });
}
