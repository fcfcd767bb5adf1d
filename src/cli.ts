#!/usr/bin/env node
import module from 'node:module';

// Node >= 22.1 can keep the V8 code it compiled for np-doctor's modules on disk (in the OS temp
// dir, keyed by file content) and reuse it on the next start, instead of compiling each module
// again; older Node has no such function and starts as before. It must run before the modules
// load, hence the dynamic import below. @types/node 20 does not declare it.
(module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
const { main } = await import('./main.js');

/**
 * For commands that clean up after themselves: the first Ctrl-C (or SIGTERM) asks the command to
 * stop and clean up (debug pods are deleted); a second one leaves at once.
 */
function trapInterrupts(): AbortSignal {
  const interrupt = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => {
    if (interrupt.signal.aborted) {
      process.stderr.write(`np-doctor: ${signal} again, leaving without cleaning up (np-doctor cleanup removes leftover debug pods)\n`);
      process.exit(130);
    }
    interrupt.abort(new Error(`interrupted by ${signal}`));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return interrupt.signal;
}

// The only place that touches process exit state: main() returns the code.
process.exitCode = await main(process.argv.slice(2), {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  isTTY: process.stdout.isTTY === true,
  ...(process.stdout.isTTY && process.stdout.columns > 0 ? { columns: process.stdout.columns } : {}),
  ...(process.stdin.isTTY && process.stdout.isTTY ? { terminal: { stdin: process.stdin, stdout: process.stdout } } : {}),
  ...(process.stderr.isTTY ? { progressStream: process.stderr } : {}),
  trapInterrupts,
});
