/**
 * How a customer is named, the same in the inbox row and in the conversation's header: their
 * display name, else their handle written as their network writes it (`@handle` on networks
 * with handles; an email address as it is, a web chat visitor's name as it is), else
 * "Unknown customer".
 */
import { clip } from '../lib/format.js';

/** Networks whose "handle" is not an @handle: an email address, a web chat visitor's name. */
const NOT_AT_HANDLES = new Set(['email', 'webchat']);

/** A customer's handle as their network writes it: `@handle`, or an email address as it is. */
export function handleText(network: string, handle: string): string {
  return NOT_AT_HANDLES.has(network) ? handle : `@${handle}`;
}

/**
 * The name a customer goes by: their own display name, else the written handle (the contact's, else the
 * first author's, which the header knows from the thread), else "Unknown customer"; `max` clips it.
 */
export function customerName(network: string, contact: { displayName: string | null; handle: string | null } | null | undefined, max: number, authorHandle?: string | null): string {
  const handle = contact?.handle || authorHandle;
  return clip(ownName(contact) ?? (handle ? handleText(network, handle) : 'Unknown customer'), max);
}

/**
 * A contact's own display name: not their handle, which stands in for the name of a
 * customer who gave none (ingest names a new contact so) and is written as a handle.
 */
export function ownName(contact: { displayName: string | null; handle: string | null } | null | undefined): string | null {
  const name = contact?.displayName;
  return name && name !== contact?.handle ? name : null;
}
