/** Small presentational pieces: avatars (initials only: no remote images), badges, icons. */
import { useId, type ReactNode, type SelectHTMLAttributes } from 'react';
import { hueOf, initials, networkLabel } from '../lib/format.js';

export function Avatar({ name, seed, size = 'md' }: { name: string | null | undefined; seed?: string; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <span className={`avatar avatar-${size} hue-${hueOf(seed ?? name ?? '')}`} aria-hidden="true">
      {initials(name)}
    </span>
  );
}

export function NetworkBadge({ network }: { network: string }) {
  return <span className={`badge net net-${/^[a-z]+$/.test(network) ? network : 'other'}`}>{networkLabel(network)}</span>;
}

export function VisibilityBadge({ visibility }: { visibility: string }) {
  return visibility === 'private' ? (
    <span className="badge vis-private" title="Private: only the customer sees it">
      <LockIcon /> Private
    </span>
  ) : (
    <span className="badge vis-public" title="Public: anyone can see it">
      <GlobeIcon /> Public
    </span>
  );
}

export function StatusBadge({ status }: { status: string }) {
  const label = { new: 'New', open: 'Open', waiting: 'Waiting', resolved: 'Resolved' }[status] ?? status;
  return <span className={`badge status status-${/^[a-z_]+$/.test(status) ? status : 'other'}`}>{label}</span>;
}

export function VerifiedIcon() {
  return (
    <svg className="icon verified" viewBox="0 0 16 16" role="img" aria-label="Verified">
      <path d="M8 1l1.8 1.4 2.3-.2.6 2.2 2 1.2-.8 2.1.8 2.2-2 1.1-.6 2.3-2.3-.2L8 15l-1.8-1.4-2.3.2-.6-2.3-2-1.1.8-2.2-.8-2.1 2-1.2.6-2.2 2.3.2z" fill="currentColor" />
      <path d="M5 8.2l2 2 4-4.2" stroke="#fff" strokeWidth="1.6" fill="none" />
    </svg>
  );
}

export function LockIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" aria-hidden="true">
      <rect x="3" y="7" width="10" height="7" rx="1.5" fill="currentColor" />
      <path d="M5 7V5a3 3 0 016 0v2" stroke="currentColor" strokeWidth="1.6" fill="none" />
    </svg>
  );
}

export function GlobeIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" aria-hidden="true">
      <circle cx="8" cy="8" r="6.2" stroke="currentColor" strokeWidth="1.4" fill="none" />
      <path d="M1.8 8h12.4M8 1.8c2 2 2 10.4 0 12.4M8 1.8c-2 2-2 10.4 0 12.4" stroke="currentColor" strokeWidth="1.2" fill="none" />
    </svg>
  );
}

export function EyeIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M1 8s2.6-4.5 7-4.5S15 8 15 8s-2.6 4.5-7 4.5S1 8 1 8z" stroke="currentColor" strokeWidth="1.4" fill="none" />
      <circle cx="8" cy="8" r="2" fill="currentColor" />
    </svg>
  );
}

export function WarningIcon() {
  return (
    <svg className="icon" viewBox="0 0 16 16" aria-hidden="true">
      <path d="M8 1.5l7 12.5H1z" fill="currentColor" />
      <path d="M8 6v4M8 11.5v1" stroke="#fff" strokeWidth="1.6" />
    </svg>
  );
}

export function Kbd({ children }: { children: ReactNode }) {
  return <kbd className="kbd">{children}</kbd>;
}

export function Spinner({ label = 'Loading' }: { label?: string }) {
  return (
    <span className="spinner" role="status">
      <span className="visually-hidden">{label}</span>
    </span>
  );
}

/** A labelled <select> (label tied by id, so its name is just the label). */
export function SelectField({ label, hideLabel, children, ...rest }: { label: string; hideLabel?: boolean; children: ReactNode } & Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'>) {
  const id = useId();
  return (
    <span className="inline-field">
      <label htmlFor={id} className={hideLabel ? 'visually-hidden' : undefined}>
        {label}
      </label>
      <select id={id} {...rest}>
        {children}
      </select>
    </span>
  );
}
