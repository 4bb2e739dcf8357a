/**
 * One customer, several profiles: finding the brand's customers by handle, name or email
 * address, merging two of them (src/commands/contactMerge.ts) and splitting a profile back out.
 * Both change whose conversations are whose: every conversation's detail and the lists refresh.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, qs } from './client.js';
import { keys } from './queries.js';
import type { ConsentMethod } from './types.js';

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

export function useSplitIdentity() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: { contactId: number; identityId: number; reason?: string | null }) =>
      api<{ contactId: number; newContactId: number; identityId: number; conversationsMoved: number[] }>('POST', `/api/contacts/${v.contactId}/split`, { identityId: v.identityId, reason: v.reason ?? null }),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: keys.details });
      void qc.invalidateQueries({ queryKey: keys.lists });
      void qc.invalidateQueries({ queryKey: ['contacts'] });
    },
  });
}
