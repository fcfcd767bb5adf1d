/** `s` in the session: the snapshot and the open diagnosis's JSON report, side by side. */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Report } from '../../report/model.js';
import { saveSnapshot } from '../../snapshot/file.js';
import type { Snapshot } from '../../snapshot/schema.js';

export interface Saved {
  files: string[];
}

/** The default name: what was asked and when, so saved files from one incident sort together. */
export function defaultSaveBase(snapshot: Snapshot, report: Report | null): string {
  const what = report ? `${report.target.namespace}-${report.target.service}` : snapshot.target.namespace ?? 'cluster';
  const when = new Date().toISOString().slice(0, 19).replace(/[-:]/g, '').replace('T', '-');
  return `np-doctor-${what}-${when}`;
}

/** BASE.snapshot.json (replay it with --snapshot) and, when a Service is open, BASE.report.json. */
export async function saveSession(cwd: string, base: string, snapshot: Snapshot, report: Report | null): Promise<Saved> {
  const stem = base.trim().replace(/(\.snapshot)?\.json$/, '');
  if (stem === '') throw new Error('give a file name');
  const files = [`${stem}.snapshot.json`];
  await saveSnapshot(snapshot, resolve(cwd, files[0]!));
  if (report !== null) {
    files.push(`${stem}.report.json`);
    await writeFile(resolve(cwd, files[1]!), `${JSON.stringify(report, null, 2)}\n`);
  }
  return { files };
}
