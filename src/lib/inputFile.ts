/**
 * Files a person hands to the CLI (`parley import twcs <file>`, `parley report
 * response-times --twcs <file>`): when one cannot be used — missing, a directory,
 * unreadable, empty, or not the format asked for — the command says so in one line
 * naming the file, and exits non-zero, with no stack trace (src/cli/main.ts).
 */
import { accessSync, constants, statSync } from 'node:fs';

/** A user's input file that cannot be used; its message is the whole story (file and reason), shown without a stack. */
export class InputFileError extends Error {
  override readonly name = 'InputFileError';
}

/** Throws an InputFileError unless `file` is a regular file this process may read. */
export function assertReadableFile(file: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new InputFileError(code === 'ENOENT' || code === 'ENOTDIR' ? `${file}: no such file` : `${file}: cannot be read (${code ?? (err as Error).message})`);
  }
  if (!isFile) throw new InputFileError(`${file}: not a file (a directory?)`);
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new InputFileError(`${file}: cannot be read (permission denied)`);
  }
}
