/**
 * Lock files that say which lab process owns a shared resource (a LAN subnet in the machine's own
 * namespace). Created exclusively; a lock whose owner died is taken over, so a crashed run never
 * blocks the next one.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_DIR = '/run/np-doctor-lab';

/** True while `pid` runs (EPERM: it exists but is someone else's). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** LOCK_DIR/NAME, created with our pid, or taken over from a dead owner; null when a live lab holds it. */
export function claimLock(name: string): string | null {
  mkdirSync(LOCK_DIR, { recursive: true });
  const file = join(LOCK_DIR, name);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, 'wx', 0o644);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return file;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = NaN;
    try {
      owner = Number(readFileSync(file, 'utf8').trim());
    } catch {
      // removed meanwhile: try again
    }
    if (Number.isInteger(owner) && alive(owner)) return null;
    rmSync(file, { force: true });
  }
  return null;
}

/** Removes a lock we hold (synchronous, for Ctrl-C too); a lock taken over by another lab stays. */
export function releaseLock(file: string): void {
  try {
    if (Number(readFileSync(file, 'utf8').trim()) === process.pid) rmSync(file, { force: true });
  } catch {
    // already gone
  }
}
