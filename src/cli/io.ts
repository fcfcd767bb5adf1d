import { EXIT, UserError } from '../exit.js';

/** What a command may touch besides its arguments, so tests can run main() in-process. */
export interface Io {
  stdout(text: string): void;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  isTTY: boolean;
  /** Present only when stdin and stdout are both a terminal: where Ink may draw and read keys. */
  terminal?: { stdin: NodeJS.ReadStream; stdout: NodeJS.WriteStream };
  /** Where spinners draw (stderr in a terminal); absent: no progress display. */
  progressStream?: NodeJS.WriteStream;
  /** Aborted on the first Ctrl-C/SIGTERM: commands stop, clean up (debug pods) and return 130. */
  interrupt?: AbortSignal;
  /**
   * Takes over Ctrl-C/SIGTERM and returns the signal they abort. main() calls it only for commands
   * that clean up after themselves; the others keep the default (the process ends at once).
   */
  trapInterrupts?: () => AbortSignal;
  /** The terminal's columns when stdout is one; absent when piped. */
  columns?: number;
  /** --no-color. */
  noColor?: true;
  /** --quiet: no progress (progressStream is taken away) and no notes; errors are still written. */
  quiet?: true;
}

/** Colours only on a terminal, and never under NO_COLOR (no-color.org) or --no-color. */
export function colorOn(io: Io): boolean {
  return io.isTTY && io.env.NO_COLOR === undefined && io.noColor !== true;
}

/** Columns text is wrapped to: the terminal's, or 80 when piped (what `less` and CI logs show). */
export function outputWidth(io: Io): number {
  return io.isTTY && io.columns !== undefined && io.columns > 0 ? io.columns : 80;
}

/**
 * Under CI, as Ink decides it (is-in-ci: CI or CONTINUOUS_INTEGRATION set, and not "0" or "false"):
 * Ink then draws only the last frame, so nothing interactive or animated may start.
 */
export function inCi(env: NodeJS.ProcessEnv): boolean {
  const set = (key: string) => env[key] !== undefined && env[key] !== '0' && env[key] !== 'false';
  return set('CI') || set('CONTINUOUS_INTEGRATION');
}

/** A mistake in how the command was called: printed with the usage, exit 2. */
export class UsageError extends UserError {
  override readonly name = 'UsageError';
  readonly exitCode = EXIT.usage;
  readonly pointsToHelp = true;
}
