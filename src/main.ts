import { inCi, type Io } from './cli/io.js';
import { commandNamed, COMMANDS, COMPLETE_COMMAND } from './cli/commands.js';
import { didYouMean } from './cli/suggest.js';
import { EXIT, UserError } from './exit.js';
import { sanitizeOutput } from './text/sanitize.js';

export const HELP = `np-doctor: why does this Kubernetes NodePort not answer?

Usage:
  np-doctor <command> [flags]
  kubectl np-doctor <command> [flags]

Commands:
${Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`).join('\n')}
  help CMD   a command's help (as np-doctor CMD --help)

Flags:
  -h, --help      show help (also: np-doctor <command> --help)
      --version   print the version

Try it without a cluster:
  np-doctor demo
  np-doctor scan --snapshot demo

Exit codes: 0 ok, 1 findings, 2 usage error or unreadable input, 3 could not gather enough to decide, 130 interrupted.
`;

export async function main(argv: string[], rawIo: Io): Promise<number> {
  // Everything a command prints passes one gate: renderers sanitise their data, and here only
  // np-doctor's own colour sequences may still reach the terminal (DESIGN §3a).
  const io: Io = { ...rawIo, stdout: (s) => rawIo.stdout(sanitizeOutput(s)), stderr: (s) => rawIo.stderr(sanitizeOutput(s)) };
  // In a terminal, np-doctor alone opens the session on the cluster; piped, it prints the help.
  const session = argv.length === 0 && io.terminal !== undefined && !inCi(io.env);
  if (session) {
    const { noClusterMessage } = await import('./cli/first-run.js');
    const message = await noClusterMessage(io);
    if (message !== null) {
      io.stderr(message);
      return EXIT.usage;
    }
  }
  const [first, ...rest] = session ? ['tui'] : argv;
  if (first === undefined) {
    io.stdout(HELP);
    io.stderr('np-doctor: no command given (np-doctor alone opens the interactive session only in a terminal)\n');
    return EXIT.usage;
  }
  if (first === '-h' || first === '--help') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  // `help diagnose` is `diagnose --help`; `--version` is `version`.
  const [command, args] = first === 'help' && rest[0] !== undefined ? [rest[0], ['--help']] : first === '--version' ? ['version', rest] : [first, rest];
  if (command === 'help') {
    io.stdout(HELP);
    return EXIT.ok;
  }
  if (command === COMPLETE_COMMAND) {
    const { completeWords } = await import('./cli/completion.js');
    io.stdout(await completeWords(args));
    return EXIT.ok;
  }
  const entry = commandNamed(command);
  if (!entry) {
    io.stderr(`np-doctor: unknown command "${command.slice(0, 60)}"${didYouMean(command, Object.keys(COMMANDS))}\nRun "np-doctor --help" for the commands.\n`);
    return EXIT.usage;
  }
  try {
    const mod = await entry.load();
    const cmdIo = entry.interruptible && io.trapInterrupts ? { ...io, interrupt: io.trapInterrupts() } : io;
    return await mod.run(args, cmdIo);
  } catch (e) {
    // The one place user errors become a message and an exit code; anything else is a bug and keeps its stack.
    if (!(e instanceof UserError)) throw e;
    io.stderr(`np-doctor ${command}: ${e.message}\n${e.pointsToHelp ? `Run "np-doctor ${command} --help" for usage.\n` : ''}`);
    return e.exitCode;
  }
}
