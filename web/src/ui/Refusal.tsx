/** A server's refusal of an action, shown as it is: its code (for tests and support) and its words. */
import { ApiError } from '../api/client.js';

export interface RefusalInfo {
  code: string;
  detail: string;
}

export const refusalOf = (err: unknown): RefusalInfo => (err instanceof ApiError ? { code: err.code, detail: err.message } : { code: 'error', detail: String(err) });

export function Refusal({ refusal, lead }: { refusal: RefusalInfo | null; lead: string }) {
  if (!refusal) return null;
  return (
    <div className="form-error" role="alert" data-code={refusal.code}>
      <strong>{lead}</strong> {refusal.detail}
    </div>
  );
}
