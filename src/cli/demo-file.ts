/**
 * `--snapshot demo`: the demo snapshot shipped with np-doctor (examples/demo.json in the package),
 * found in the package's root, so it works from any directory and from a global install.
 */
import { PackageFileMissingError, packageFile } from './package-root.js';

/** The word --snapshot takes for the bundled file (a file of that name is ./demo). */
export const DEMO = 'demo';

const DEMO_FILE = 'examples/demo.json';

export function demoSnapshotFile(): string {
  const file = packageFile(DEMO_FILE);
  if (file === undefined) throw new PackageFileMissingError(`np-doctor is installed without its ${DEMO_FILE} (the demo snapshot): reinstall np-doctor`);
  return file;
}

/** --snapshot's value as a path: `demo` is the bundled file. */
export function snapshotPath(value: string): string {
  return value === DEMO ? demoSnapshotFile() : value;
}
