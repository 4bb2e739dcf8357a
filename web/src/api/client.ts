/**
 * The one way the UI talks to the server: same-origin fetch with the session cookie,
 * the CSRF token on every write, and problem+json errors turned into `ApiError`
 * (with the stable `code` the UI branches on, never the message). A session that has ended
 * (401) and a desk that requires two-factor sign-in of someone without it (403
 * `two_factor.required`) are told to whoever set a handler for them.
 */

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;
let onSecondFactorRequired: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when the session is gone (401 on anything but sign-in). */
export function setUnauthorizedHandler(fn: () => void): void {
  onUnauthorized = fn;
}

/**
 * Called when the brand requires two-factor sign-in and this person has not set it up (403
 * `two_factor.required` on anything): the desk then shows the screen that sets it up.
 */
export function setSecondFactorRequiredHandler(fn: (() => void) | null): void {
  onSecondFactorRequired = fn;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly body: Record<string, unknown>;
  constructor(status: number, code: string, detail: string, body: Record<string, unknown>) {
    super(detail);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export async function api<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, init: { keepalive?: boolean; signal?: AbortSignal } = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && csrfToken) headers['x-csrf-token'] = csrfToken;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin', keepalive: init.keepalive, signal: init.signal });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'cannot reach the Parley server; check your connection', {});
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const p = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
    const code = typeof p.code === 'string' ? p.code : `http.${res.status}`;
    const detail = typeof p.detail === 'string' ? p.detail : `${res.status} ${res.statusText}`;
    if (res.status === 401 && !path.startsWith('/api/auth/login')) onUnauthorized?.();
    // (a 409 of the same code, turning it off while required, is a refusal to say, not this)
    if (res.status === 403 && code === 'two_factor.required') onSecondFactorRequired?.();
    throw new ApiError(res.status, code, detail, p);
  }
  return json as T;
}

/** A query string from defined, non-empty values. */
export function qs(params: Record<string, string | number | boolean | null | undefined>): string {
  const u = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') u.set(k, String(v));
  const s = u.toString();
  return s ? `?${s}` : '';
}

/** A random idempotency key (8–128 of [\w.:-]). */
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === 'function') return `ui-${crypto.randomUUID()}`;
  const b = crypto.getRandomValues(new Uint8Array(16));
  return `ui-${[...b].map((x) => x.toString(16).padStart(2, '0')).join('')}`;
}
