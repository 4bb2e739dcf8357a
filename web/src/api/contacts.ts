/**
 * One customer, several profiles: finding the brand's customers by handle, name or email
 * address, merging two of them (src/commands/contactMerge.ts) and splitting a profile back out.
 * Both change whose conversations are whose: every conversation's detail and the lists refresh.
 * A customer's merges and splits are read for the author card, so every one of their
 * conversations shows them (not only the one each was recorded on).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, qs } from './client.js';
import { keys } from './queries.js';
import type { AuditEvent, ConsentMethod } from './types.js';

export interface ContactSearchItem {
  id: number;
  displayName: string | null;
  crmLinked: boolean;
  identities: { identityId: number; network: string; handle: string; displayName: string | null }[];
}

export function useContactSearch(q: string) {
  const term = q.trim();
  return useQuery({
    queryKey: ['contacts', 'search', term] as const,
    queryFn: ({ signal }) => api<{ items: ContactSearchItem[] }>('GET', `/api/contacts${qs({ q: term, limit: 8 })}`, undefined, { signal }),
    enabled: term.replace(/^@/, '').length >= 2,
    staleTime: 10_000,
  });
}

export interface MergeInput {
  contactId: number;
  otherContactId: number;
  reason: string;
  evidenceMessageId?: number | null;
  crmConsent?: { method: ConsentMethod; messageId?: number | null; note?: string | null } | null;
}

export function useMergeContact() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ contactId, ...body }: MergeInput) =>
      api<{ contactId: number; mergedContactId: number; identitiesMoved: number[]; conversationsMoved: number[]; crmCustomerId: string | null }>('POST', `/api/contacts/${contactId}/merge`, body),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.details });
      void qc.invalidateQueries({ queryKey: keys.lists });
      void qc.invalidateQueries({ queryKey: ['contacts'] });
    },
  });
}

export interface ContactMerges {
  items: AuditEvent[];
  /** The CRM link that came with a merge, and the profiles whose split may remove it with them. */
  crmLinkFromMerge: { crmCustomerId: string; identityIds: number[] } | null;
}

/** `version`: what the conversation's detail says of the customer (profiles, link), so a change there reads them again. */
export function useContactMerges(contactId: number, version: string, enabled = true) {
  return useQuery({
    enabled,
    queryKey: ['contacts', 'merges', contactId, version] as const,
    queryFn: ({ signal }) => api<ContactMerges>('GET', `/api/contacts/${contactId}/merges`, undefined, { signal }),
    staleTime: 10_000,
  });
}

export function useSplitIdentity() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { contactId: number; identityId: number; reason?: string | null; removeCrmLink?: { reason: string } | null }) =>
      api<{ contactId: number; newContactId: number; identityId: number; conversationsMoved: number[]; crmLinkRemoved: boolean }>('POST', `/api/contacts/${v.contactId}/split`, { identityId: v.identityId, reason: v.reason ?? null, removeCrmLink: v.removeCrmLink ?? null }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.details });
      void qc.invalidateQueries({ queryKey: keys.lists });
      void qc.invalidateQueries({ queryKey: ['contacts'] });
    },
  });
}
