/** Runs np-doctor's main() in-process with a captured Io, as the CLI tests need it. */
import type { Io } from '../../src/cli/io.js';
import { main } from '../../src/main.js';

export interface MainRun {
  code: number;
  out: string;
  err: string;
}

/** Piped (no TTY), with only the environment given (HOME for a clean ~/.kube and ~/.ssh). */
export async function runMain(args: string[], env: NodeJS.ProcessEnv = {}): Promise<MainRun> {
  let out = '';
  let err = '';
  const io: Io = { stdout: (s) => (out += s), stderr: (s) => (err += s), env, isTTY: false };
  const code = await main(args, io);
  return { code, out, err };
}
