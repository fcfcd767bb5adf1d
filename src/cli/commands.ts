/** np-doctor's commands, for main() and for shell completion. */
import type { CommandRun } from './command.js';

/** Commands load lazily so `--help` and each command start only what they use. */
interface Command {
  summary: string;
  /** Handles Ctrl-C itself (io.interrupt) to clean up; other commands end at once. */
  interruptible?: true;
  load: () => Promise<{ run: CommandRun }>;
}

export const COMMANDS: Record<string, Command> = {
  diagnose: { summary: 'name the root cause when a NodePort Service does not answer, with evidence and the fix', interruptible: true, load: () => import('./diagnose.js') },
  scan: { summary: 'diagnose every NodePort Service in a namespace or the cluster, one line each (for CI)', interruptible: true, load: () => import('./scan.js') },
  demo: { summary: 'diagnose the bundled demo snapshot: a first run that needs no cluster', load: () => import('./demo.js') },
  checks: { summary: 'list every check: id, severity, what it finds', load: () => import('./checks.js') },
  trace: { summary: 'replay one packet through iptables-save dumps (or a snapshot) and show every path it can take', load: () => import('./trace.js') },
  snapshot: { summary: 'gather a Service\'s cluster objects and its nodes\' rules into a snapshot file', interruptible: true, load: () => import('./snapshot.js') },
  tui: { summary: 'the interactive session: Services, findings, the packet\'s path, what-if (np-doctor alone in a terminal)', interruptible: true, load: () => import('./tui.js') },
  cleanup: { summary: 'delete debug pods an interrupted np-doctor left behind', load: () => import('./cleanup.js') },
  version: { summary: 'print the version (-o json: name, version, Node.js, platform)', load: () => import('./version.js') },
  completion: { summary: 'print a shell completion script: bash, zsh or fish', load: () => import('./completion.js') },
};

/** The command called `name`, or undefined: only the table's own keys (`constructor` is no command). */
export function commandNamed(name: string): Command | undefined {
  return Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

/** What the shells' completion scripts (and kubectl's plugin completion) call: not listed in the help. */
export const COMPLETE_COMMAND = '__complete';
