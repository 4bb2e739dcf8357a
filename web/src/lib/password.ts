/** The server's password rule (`passwordProblem` in src/commands/setup.ts), checked before a form is sent. */

/** At least this many characters other than spaces. */
export const MIN_PASSWORD_CHARS = 8;

/** What is wrong with `pw` as a new password, in a sentence, or null. */
export const passwordProblem = (pw: string): string | null =>
  [...pw.replace(/\s+/gu, '')].length < MIN_PASSWORD_CHARS ? `A password needs at least ${MIN_PASSWORD_CHARS} characters other than spaces.` : null;
