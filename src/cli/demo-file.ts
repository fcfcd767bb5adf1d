/**
 * `--snapshot demo`: the demo snapshot shipped with np-doctor (examples/demo.json in the package),
 * found from this file's own place, so it works from any directory and from a global install.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The word --snapshot takes for the bundled file (a file of that name is ./demo). */
export const DEMO = 'demo';

/**
 * This module is src/cli/ under tsx, dist/src/ or dist/src/chunks/ once built: the package root
 * is at most this many directories up.
 */
const MAX_UP = 4;

export function demoSnapshotFile(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up <= MAX_UP; up++, dir = dirname(dir)) {
    const file = join(dir, 'examples', 'demo.json');
    if (existsSync(file)) return file;
  }
  throw new Error(`np-doctor is installed without its examples/demo.json (looked up to ${MAX_UP} directories above ${fileURLToPath(import.meta.url)})`);
}

/** --snapshot's value as a path: `demo` is the bundled file. */
export function snapshotPath(value: string): string {
  return value === DEMO ? demoSnapshotFile() : value;
}
