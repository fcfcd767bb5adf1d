/**
 * The files np-doctor ships beside its code (examples/demo.json, docs/checks/), found from the
 * package's root. The root is where np-doctor's own package.json resolves (its "exports" lists
 * it): exact from the bundle (dist/src/cli.js and its chunks), from source under tsx, and from a
 * global or local install, whatever the working directory.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { EXIT, UserError } from '../exit.js';

/** A file the package ships is not installed: the install is incomplete, not the command wrong. */
export class PackageFileMissingError extends UserError {
  override readonly name = 'PackageFileMissingError';
  readonly exitCode = EXIT.usage;
  readonly pointsToHelp = false;
}

/** The package's root folder, or undefined when np-doctor's package.json cannot be resolved. */
export function packageRoot(): string | undefined {
  try {
    return fileURLToPath(new URL('.', import.meta.resolve('np-doctor/package.json')));
  } catch {
    return undefined;
  }
}

/** The path of `relative` (e.g. examples/demo.json) in the package, or undefined when it is not installed. */
export function packageFile(relative: string): string | undefined {
  const root = packageRoot();
  const path = root === undefined ? undefined : join(root, relative);
  return path !== undefined && existsSync(path) ? path : undefined;
}
