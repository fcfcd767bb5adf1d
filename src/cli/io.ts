/** What a command may touch besides its arguments, so tests can run main() in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
}

/** Exit codes shared by every command (DESIGN.md §2). */
export const EXIT = { ok: 0, findings: 1, usage: 2, cannotDecide: 3, interrupted: 130 } as const;

/** A mistake in how the command was called: printed with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
