/**
 * How a command ends: its exit code (DESIGN.md §2), and the errors main() reports for it. A
 * UserError is a problem the user can act on (a flag, a file, the kubeconfig, a cluster that cannot
 * be read, Ctrl-C): main() catches it once, prints `np-doctor COMMAND: MESSAGE` and exits with its
 * code. Any other error is np-doctor's own bug and keeps its stack trace. This module sits on the
 * lowest floor so that every layer may throw one.
 */

/** Exit codes shared by every command. */
export const EXIT = { ok: 0, findings: 1, usage: 2, cannotDecide: 3, interrupted: 130 } as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Each code in a few words, for messages that report one. */
export const EXIT_MEANING: Record<ExitCode, string> = {
  0: 'nothing at or above --fail-on',
  1: 'findings',
  2: 'usage error',
  3: 'could not decide',
  130: 'interrupted',
};

export abstract class UserError extends Error {
  abstract readonly exitCode: ExitCode;
  /** main() follows the message with `Run "np-doctor COMMAND --help" for usage.` */
  abstract readonly pointsToHelp: boolean;
}
