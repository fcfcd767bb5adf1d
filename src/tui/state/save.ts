/**
 * `s` in the session: the snapshot and the open diagnosis's JSON report, side by side.
 *
 * The default name is built from the snapshot's namespace and Service, which a hostile snapshot
 * chooses (`x/../../../tmp/owned`), so a name keeps only characters that mean nothing to a path or
 * a shell. A typed name stays in the session's directory; only an absolute path goes elsewhere,
 * because the person typed it. Files are 0600, created exclusively: an existing file is replaced
 * only after the person says so.
 */
import { access } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { Report } from '../../report/model.js';
import { OutputFileError, writePrivateFile } from '../../snapshot/private-file.js';
import { saveSnapshot } from '../../snapshot/stream-write.js';
import type { Snapshot } from '../../snapshot/schema.js';

/** What a saved file's name may hold. */
const NAME = /^[A-Za-z0-9._-]+$/;
const MAX_NAME = 120;

export type SaveResult =
  | { kind: 'saved'; files: string[] }
  /** Nothing was written: these files exist; save again with overwrite to replace them. */
  | { kind: 'exists'; files: string[] };

/** A typed name np-doctor will not write to, with what to type instead. */
export class SaveNameError extends Error {
  override readonly name = 'SaveNameError';
}

/** `text` reduced to a name's characters: anything else becomes `_`, and it never starts with a dot. */
export function safeName(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[.]+/, '_').slice(0, 60);
}

/** The default name: what was asked and when, so saved files from one incident sort together. */
export function defaultSaveBase(snapshot: Snapshot, report: Report | null): string {
  const what = report ? `${safeName(report.target.namespace)}-${safeName(report.target.service)}` : safeName(snapshot.target.namespace ?? 'cluster');
  const when = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `np-doctor-${what}-${when}`;
}

/** Where BASE.snapshot.json and BASE.report.json go: in `cwd`, or where an absolute path says. */
export function saveStem(cwd: string, typed: string): string {
  const text = typed.trim().replace(/(\.snapshot)?\.json$/, '');
  if (text === '') throw new SaveNameError('give a file name');
  const absolute = isAbsolute(text);
  if (!absolute && /[/\\]/.test(text)) throw new SaveNameError('a name, not a path: it is saved in this directory (type an absolute path to save elsewhere)');
  const name = absolute ? basename(text) : text;
  if (!NAME.test(name) || name.startsWith('.') || name.length > MAX_NAME) {
    throw new SaveNameError(`a name may hold letters, digits, . _ and -, up to ${MAX_NAME}, and not start with a dot`);
  }
  return absolute ? join(dirname(text), name) : join(cwd, name);
}

const exists = (file: string) => access(file).then(() => true, () => false);

/**
 * Writes BASE.snapshot.json (replay it with --snapshot) and, when a Service is open,
 * BASE.report.json. Without `overwrite`, nothing is written when either exists.
 */
export async function saveSession(cwd: string, typed: string, snapshot: Snapshot, report: Report | null, overwrite = false): Promise<SaveResult> {
  const stem = saveStem(cwd, typed);
  const files = [`${stem}.snapshot.json`, ...(report !== null ? [`${stem}.report.json`] : [])];
  if (!overwrite) {
    const there = (await Promise.all(files.map(async (f) => ((await exists(f)) ? f : null)))).filter((f): f is string => f !== null);
    if (there.length > 0) return { kind: 'exists', files: there.map((f) => basename(f)) };
  }
  try {
    await saveSnapshot(snapshot, files[0]!, { overwrite });
    if (report !== null) await writePrivateFile(files[1]!, `${JSON.stringify(report, null, 2)}\n`, { overwrite });
  } catch (e) {
    // Created between the look and the write: ask, as for any existing file.
    if (e instanceof OutputFileError && e.code === 'EEXIST') return { kind: 'exists', files: [basename(e.file)] };
    throw e;
  }
  return { kind: 'saved', files: files.map((f) => (isAbsolute(typed.trim()) ? f : basename(f))) };
}
