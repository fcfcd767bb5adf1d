/**
 * What gathering reports while it works. The CLI shows it with ora on stderr when that is a
 * terminal, whatever -o is (src/cli/spinner.ts); tests, CI and --quiet use SILENT.
 * Several steps can run at once (nodes in parallel), so a step is named by an id.
 */
export interface Progress {
  start(id: string, text: string): void;
  succeed(id: string, text: string): void;
  warn(id: string, text: string): void;
  fail(id: string, text: string): void;
  /** Ends the display, whatever steps are still open (after a fatal error or an interrupt). */
  stop(): void;
}

export const SILENT: Progress = { start() {}, succeed() {}, warn() {}, fail() {}, stop() {} };
