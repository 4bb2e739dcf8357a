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
