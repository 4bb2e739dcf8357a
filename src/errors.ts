/**
 * Coded errors. Every error a user can see has a stable `code` (documented in
 * the OpenAPI description) and becomes problem+json (RFC 9457) at the HTTP edge.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const forbidden = (why = 'you are not allowed to do this') => new AppError(403, 'forbidden', why);
export const badRequest = (code: string, message: string, extra?: Record<string, unknown>) => new AppError(400, code, message, extra);
export const conflict = (code: string, message: string, extra?: Record<string, unknown>) => new AppError(409, code, message, extra);

/** A unique-index violation on either engine (PostgreSQL 23505, SQLite's UNIQUE constraint). */
export function isUniqueViolation(err: unknown): boolean {
  const e = err as { code?: string; message?: string };
  return e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || /UNIQUE constraint failed/.test(e?.message ?? '');
}

/**
 * For `.catch` on a write a unique index guards (a team's name, a person's email): a
 * violation becomes a 409 with `code` and `message`, any other error is thrown as it is.
 * Checking first is not enough: two requests can both pass the check before either
 * inserts. On PostgreSQL the violation also ends the transaction, so throw it out of it.
 */
export const conflictOnUnique = (code: string, message: string) => (err: unknown): never => {
  throw isUniqueViolation(err) ? conflict(code, message) : err;
};

/**
 * A disabled channel account acts on nothing: no reply, statement, acknowledgement or
 * moderation goes out from it until an admin enables it again (409 `channel.disabled`).
 */
export const disabledAccount = (handle: string) =>
  conflict('channel.disabled', `@${handle} is disabled: Parley sends nothing from it and takes no action on the network until an admin enables it in Settings → Channels`);
