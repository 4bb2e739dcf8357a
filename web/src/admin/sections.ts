/** The settings sections, one per URL (`/admin/<section>`); kept apart so the router need not load the pages. */
export const ADMIN_SECTIONS = ['channels', 'people', 'teams', 'workflow', 'guidelines', 'playbooks', 'snippets', 'quarantine', 'tokens', 'integrations', 'sso', 'audit'] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];
export const isAdminSection = (s: string): s is AdminSection => (ADMIN_SECTIONS as readonly string[]).includes(s);
