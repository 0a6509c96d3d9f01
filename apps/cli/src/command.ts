/** Where a command writes: injected so commands are testable without touching the real stdout/env. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  /** The clock (tests move it forward; there is no flag for that). Default: the system clock. */
  clock?: () => Date;
}

/**
 * One `audit-ledger <name>` command. To add one: create `commands/<name>.command.ts` exporting a
 * CliCommand and add it to `commands/registry.ts`.
 */
export interface CliCommand {
  name: string;
  summary: string;
  /** Full help text, with an example. */
  help: string;
  /** Returns the process exit code. */
  run(args: string[], io: CliIo): Promise<number>;
}

/** A usage error: printed with the command's help, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
