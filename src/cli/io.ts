/** What a command may touch besides its arguments, so tests can run main() in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Where spinners draw (stderr in a terminal); absent: no progress display. */
  progressStream?: NodeJS.WriteStream;
  /** Aborted on the first Ctrl-C/SIGTERM: commands stop, clean up (debug pods) and return 130. */
  interrupt?: AbortSignal;
  /**
   * Takes over Ctrl-C/SIGTERM and returns the signal they abort. main() calls it only for commands
   * that clean up after themselves; the others keep the default (the process ends at once).
   */
  trapInterrupts?: () => AbortSignal;
}

/** Exit codes shared by every command (DESIGN.md §2). */
export const EXIT = { ok: 0, findings: 1, usage: 2, cannotDecide: 3, interrupted: 130 } as const;

/** A mistake in how the command was called: printed with the usage, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
