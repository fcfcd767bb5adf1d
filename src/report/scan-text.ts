/** `np-doctor scan` for a person: one line per Service, its health mark, top finding and verdict. */
import { HEALTH_MARK, healthOf } from './health.js';
import type { Report } from './model.js';
import { sanitize, sanitizeDeep } from '../text/sanitize.js';

export function renderScanText(reports: readonly Report[], scope: string | null): string {
  if (reports.length === 0) return `no NodePort Services in ${scope === null ? 'the cluster' : `namespace ${sanitize(scope)}`}\n`;
  // Names and verdicts come from the snapshot: escape control characters first.
  const clean = sanitizeDeep(reports);
  const width = Math.max(...clean.map((r) => `${r.target.namespace}/${r.target.service}`.length));
  return clean.map((r) => {
    const top = r.findings[0];
    return `${HEALTH_MARK[healthOf(r)]} ${`${r.target.namespace}/${r.target.service}`.padEnd(width)}  ${top ? `${top.id}: ` : ''}${r.verdict.summary}\n`;
  }).join('');
}
