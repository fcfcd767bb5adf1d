/**
 * Files named by flags, checked before anything is gathered: a missing --ssh-key found only when
 * each node is read is one failure per node, minutes later. Missing or unreadable: exit 2, naming
 * the flag and the path.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { EXIT, UserError } from '../exit.js';
import { DEMO } from './demo-file.js';

/** Flags (of any command) whose value is a file np-doctor reads. */
export const FILE_FLAGS = ['kubeconfig', 'ssh-key', 'ssh-config', 'ssh-known-hosts', 'plugin', 'snapshot', 'iptables', 'nft', 'ipvs', 'ipset'] as const;

export class InputFileError extends UserError {
  override readonly name = 'InputFileError';
  readonly exitCode = EXIT.usage;
  readonly pointsToHelp = false;
}

/** Throws InputFileError for the first named file that cannot be read. */
export function checkInputFiles(values: Record<string, unknown>): void {
  for (const flag of FILE_FLAGS) {
    for (const file of listOf(values[flag])) {
      if (flag === 'snapshot' && file === DEMO) continue;
      checkReadable(`--${flag}`, file);
    }
  }
  // NODE=FILE: a malformed item is the gather flags' to explain.
  for (const item of listOf(values['node-dump'])) {
    const eq = item.indexOf('=');
    if (eq > 0 && eq < item.length - 1) checkReadable('--node-dump', item.slice(eq + 1));
  }
}

function listOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function checkReadable(flag: string, file: string): void {
  let why: string | undefined;
  try {
    accessSync(file, constants.R_OK);
    if (statSync(file).isDirectory()) why = 'is a directory, not a file';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'not readable (permission denied)' : `cannot be read (${code ?? (e as Error).message})`;
  }
  if (why !== undefined) throw new InputFileError(`${flag} ${file}: ${why}`);
}
