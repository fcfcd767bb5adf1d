import { inCi, type Io } from './cli/io.js';
import { EXIT, UserError } from './exit.js';
import { sanitizeOutput } from './text/sanitize.js';
import { VERSION } from './version.js';

/** Commands load lazily so `--help` and each command start only what they use. */
interface Command {
  summary: string;
  /** Handles Ctrl-C itself (io.interrupt) to clean up; other commands end at once. */
  interruptible?: true;
  load: () => Promise<{ run(argv: string[], io: Io): number | Promise<number> }>;
}

const COMMANDS: Record<string, Command> = {
  diagnose: { summary: 'name the root cause when a NodePort Service does not answer, with evidence and the fix', interruptible: true, load: () => import('./cli/diagnose.js') },
  scan: { summary: 'diagnose every NodePort Service in a namespace or the cluster, one line each (for CI)', interruptible: true, load: () => import('./cli/scan.js') },
  checks: { summary: 'list every check: id, severity, what it finds', load: () => import('./cli/checks.js') },
  trace: { summary: 'replay one packet through iptables-save dumps (or a snapshot) and show every path it can take', load: () => import('./cli/trace.js') },
  snapshot: { summary: 'gather a Service\'s cluster objects and its nodes\' rules into a snapshot file', interruptible: true, load: () => import('./cli/snapshot.js') },
  tui: { summary: 'the interactive session: Services, findings, the packet\'s path, what-if (np-doctor alone in a terminal)', interruptible: true, load: () => import('./cli/tui.js') },
  cleanup: { summary: 'delete debug pods an interrupted np-doctor left behind', load: () => import('./cli/cleanup.js') },
};

export const HELP = `np-doctor: why does this Kubernetes NodePort not answer?

Usage:
  np-doctor <command> [flags]
  kubectl np-doctor <command> [flags]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join('\n')}

Flags:
  -h, --help      show help (also: np-doctor <command> --help)
      --version   print the version

Exit codes: 0 ok, 1 findings, 2 usage error or unreadable input, 3 could not gather enough to decide, 130 interrupted.
`;

export async function main(argv: string[], rawIo: Io): Promise<number> {
  // Everything a command prints passes one gate: renderers sanitise their data, and here only
  // np-doctor's own colour sequences may still reach the terminal (DESIGN §3a).
  const io: Io = { ...rawIo, stdout: (s) => rawIo.stdout(sanitizeOutput(s)), stderr: (s) => rawIo.stderr(sanitizeOutput(s)) };
  // In a terminal, np-doctor alone opens the session; piped, it prints the help.
  const [command, ...rest] = argv.length === 0 && io.terminal !== undefined && !inCi(io.env) ? ['tui'] : argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    io.stdout(HELP);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  if (command === '--version') {
    io.stdout(`np-doctor ${VERSION}\n`);
    return EXIT.ok;
  }
  const entry = COMMANDS[command];
  if (!entry) {
    io.stderr(`np-doctor: unknown command "${command}"\n\n${HELP}`);
    return EXIT.usage;
  }
  try {
    const mod = await entry.load();
    const cmdIo = entry.interruptible && io.trapInterrupts ? { ...io, interrupt: io.trapInterrupts() } : io;
    return await mod.run(rest, cmdIo);
  } catch (e) {
    // The one place user errors become a message and an exit code; anything else is a bug and keeps its stack.
    if (!(e instanceof UserError)) throw e;
    io.stderr(`np-doctor ${command}: ${e.message}\n${e.pointsToHelp ? `Run "np-doctor ${command} --help" for usage.\n` : ''}`);
    return e.exitCode;
  }
}
