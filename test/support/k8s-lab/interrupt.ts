/**
 * Ctrl-C and SIGTERM during a real-cluster test. Node's default for both is to exit at once, which
 * skips every `after` hook and leaves network namespaces, the machine-namespace veth and the
 * LAN lock behind. A lab registers a synchronous clean-up here; the first signal runs them all
 * (the last registered first) and exits 128 + the signal's number, the shell's convention. The
 * lab processes die with the 'exit' event (Processes' hook).
 */
import { constants } from 'node:os';

const cleanups = new Set<() => void>();
let installed = false;

function install(): void {
  if (installed) return;
  installed = true;
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      for (const fn of [...cleanups].reverse()) {
        try {
          fn();
        } catch (e) {
          console.error(`lab clean-up after ${sig} failed: ${(e as Error).message}`);
        }
      }
      process.exit(128 + constants.signals[sig]);
    });
  }
}

/** Runs `fn` if the process is interrupted; the returned function unregisters it. */
export function onInterrupt(fn: () => void): () => void {
  install();
  cleanups.add(fn);
  return () => {
    cleanups.delete(fn);
  };
}
