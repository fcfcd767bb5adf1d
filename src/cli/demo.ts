/**
 * `np-doctor demo`: diagnose svc/frontend in namespace shop of the bundled demo snapshot, a first
 * run that needs no cluster, no kubeconfig and no file path. Any diagnose flag may follow.
 */
import { parseArgs } from 'node:util';
import { EXIT, EXIT_MEANING, type ExitCode } from '../exit.js';
import { COMMON_HELP, type CommandRun } from './command.js';
import { DEMO } from './demo-file.js';
import { run as diagnose } from './diagnose.js';
import type { Io } from './io.js';

export const DEMO_HELP = `Usage: np-doctor demo [diagnose flags]

Runs np-doctor diagnose svc/frontend -n shop --snapshot demo: a Service in a 3-node snapshot that
ships with np-doctor, where connections through some nodes time out. Nothing is read from a cluster.
The exit code is diagnose's: 1, because the demo has findings (as a CI gate would see it).

Examples:
  np-doctor demo
  np-doctor demo -v
  np-doctor demo -o json
  np-doctor scan --snapshot demo
  np-doctor tui --snapshot demo

${COMMON_HELP}`;

const DEMO_ARGS = ['svc/frontend', '-n', 'shop', '--snapshot', DEMO];

/** -q, --quiet, or -q among bundled short flags (-qv), as diagnose's parser reads them. */
function quietIn(argv: readonly string[]): boolean {
  const { values } = parseArgs({ args: [...argv], options: diagnose.flags, allowPositionals: true, strict: false });
  return values.quiet === true;
}

export const run: CommandRun = Object.assign(async (argv: string[], io: Io): Promise<number> => {
  if (argv.includes('-h') || argv.includes('--help')) {
    io.stdout(DEMO_HELP);
    return EXIT.ok;
  }
  const code = await diagnose([...DEMO_ARGS, ...argv], io);
  if (!quietIn(argv)) {
    io.stderr(`\nThat was the bundled demo snapshot (exit ${code}: ${EXIT_MEANING[code as ExitCode] ?? 'see np-doctor diagnose --help'}). Next: np-doctor scan --snapshot demo, or np-doctor tui --snapshot demo in a terminal; on your cluster: np-doctor diagnose svc/NAME -n NAMESPACE\n`);
  }
  return code;
}, { flags: diagnose.flags });
