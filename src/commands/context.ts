/** Who is acting, passed to every command. */
import type { Role } from '../core/types.js';

export interface Actor {
  brandId: number;
  userId: number | null;
  role: Role | 'system';
  /** `user:<id>`, `token:<id>`, `system:<what>` — written to the audit trail. */
  name: string;
}

export const systemActor = (brandId: number, what = 'system'): Actor => ({ brandId, userId: null, role: 'system', name: what === 'system' ? 'system' : `system:${what}` });
