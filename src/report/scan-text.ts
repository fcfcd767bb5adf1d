/** `np-doctor scan` for a person: one line per Service, its health mark, top finding and verdict. */
import { HEALTH_MARK, healthOf } from './health.js';
import type { Report } from './model.js';
import { sanitize, sanitizeDeep } from '../text/sanitize.js';

export function renderScanText(reports: readonly Report[], scope: string | null): string {
  if (reports.length === 0) return noServicesText(scope);
  const width = scanNameWidth(reports.map((r) => r.target));
  return reports.map((r) => renderScanLine(r, width)).join('');
}

export const noServicesText = (scope: string | null): string => `no NodePort Services in ${scope === null ? 'the cluster' : `namespace ${sanitize(scope)}`}\n`;

/**
 * The width of the name column, from the Services' names alone: they are known before the first
 * is diagnosed, so `scan` prints each line as its Service finishes, aligned as the whole table.
 */
export function scanNameWidth(targets: readonly { namespace: string; service: string }[]): number {
  // Names come from the snapshot: measured as printed, control characters escaped.
  return Math.max(0, ...targets.map((t) => `${sanitize(t.namespace, true)}/${sanitize(t.service, true)}`.length));
}

/** One Service's line: its health mark, name, top finding and verdict. */
export function renderScanLine(report: Report, width: number): string {
  const r = sanitizeDeep(report);
  const top = r.findings[0];
  return `${HEALTH_MARK[healthOf(r)]} ${`${r.target.namespace}/${r.target.service}`.padEnd(width)}  ${top ? `${top.id}: ` : ''}${r.verdict.summary}\n`;
}
