/** The shape every `parley <command>` module exports as default. */
export interface Command {
  /** One line for `parley help`. */
  summary: string;
  /** Usage text shown by `parley <command> --help` and on bad arguments. */
  usage: string;
  /** Returns the process exit code. Long-running commands resolve when they stop. */
  run(argv: string[]): Promise<number>;
}

/** Thrown for bad command-line input; main prints the message and the usage. */
export class UsageError extends Error {}

/** An expected failure that is not about the arguments' form (no such brand, …): main prints the message alone and exits 1. */
export class CliError extends Error {}
