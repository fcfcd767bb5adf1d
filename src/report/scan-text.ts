/**
 * `np-doctor scan` for a person: a table with the TUI's service-list columns (health, namespace,
 * name, type, nodePorts, externalTrafficPolicy) and, last, the top finding and what a client sees.
 * Rows are printed as each Service finishes, so the columns are sized from the Service list known
 * before the first diagnosis, never from a later row; the last column takes the rest of the width
 * and is cut with `…`, so no row is wider than the terminal.
 */
import { outcome, topFinding } from './headline.js';
import { HEALTH_MARK, HEALTH_TONE, healthOf } from './health.js';
import type { Report } from './model.js';
import type { ServiceInfo } from '../model/kube.js';
import { sanitize } from '../text/sanitize.js';
import { displayWidth, padEnd, truncate, widthOf } from '../text/wrap.js';

/** What the table shows of a Service before it is diagnosed. */
export type ScanService = Pick<ServiceInfo, 'namespace' | 'name' | 'type' | 'externalTrafficPolicy' | 'ports'>;

export interface ScanTextOptions {
  color: boolean;
  /** Columns to fit (the terminal's, or 80 when piped); default 80. */
  width?: number;
}

export interface ScanTable {
  /** The header line, printed before the first row. */
  readonly header: string;
  /** One Service's row, as soon as its diagnosis is done. */
  row(service: ScanService, report: Report): string;
}

interface Column {
  title: string;
  cell: (s: ScanService) => string;
  /** Narrowest it is cut to when the table does not fit. */
  min: number;
}

/** `30080/TCP,30443/TCP`: the nodePorts, as the TUI's list shows them. */
const nodePorts = (s: ScanService): string => sanitize(s.ports.filter((p) => p.nodePort !== null).map((p) => `${p.nodePort}/${p.protocol}`).join(','));

const COLUMNS: readonly Column[] = [
  { title: 'NAMESPACE', cell: (s) => sanitize(s.namespace), min: 9 },
  { title: 'NAME', cell: (s) => sanitize(s.name), min: 12 },
  // Type and policy are short words from Kubernetes' fixed sets, but a snapshot is untrusted: cut too.
  { title: 'TYPE', cell: (s) => sanitize(s.type), min: 12 },
  { title: 'NODEPORTS', cell: nodePorts, min: 9 },
  { title: 'ETP', cell: (s) => sanitize(s.externalTrafficPolicy), min: 7 },
];
const LAST = 'TOP FINDING: RESULT';
/** The room the last column keeps before the others are cut to make it. */
const LAST_MIN = 24;
const GAP = 2;

/**
 * Column widths from the Services the scan will diagnose: each column as wide as its widest cell,
 * then, while the last column would get less than its share, the widest cut down (never below its
 * minimum).
 */
function columnWidths(services: readonly ScanService[], width: number): number[] {
  const widths = COLUMNS.map((c) => Math.max(displayWidth(c.title), ...services.map((s) => displayWidth(c.cell(s)))));
  const fixed = () => 2 + widths.reduce((a, w) => a + w + GAP, 0);
  const spare = (k: number) => widths[k]! - (COLUMNS[k]!.min);
  while (width - fixed() < LAST_MIN) {
    const i = widths.reduce((best, _w, k) => (spare(k) > spare(best) ? k : best), 0);
    if (spare(i) <= 0) break;
    widths[i] = widths[i]! - 1;
  }
  return widths;
}

/** The table for these Services (those the scan will diagnose, in its order), fitted to the width. */
export function scanTable(services: readonly ScanService[], opts: ScanTextOptions): ScanTable {
  const width = widthOf(opts.width);
  const widths = columnWidths(services, width);
  const paint = (code: string, s: string) => (opts.color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const cells = (values: readonly string[], last: string) => {
    const fixed = values.map((v, i) => padEnd(truncate(v, widths[i]!), widths[i]! + GAP)).join('');
    // Tiny terminals: the whole row is cut to the width.
    return truncate(`${fixed}${truncate(last, Math.max(1, width - 2 - displayWidth(fixed)))}`, width - 2);
  };
  return {
    header: `${paint('2', `  ${cells(COLUMNS.map((c) => c.title), LAST)}`)}\n`,
    row(service, report) {
      const health = healthOf(report);
      const top = topFinding(report);
      const last = `${top ? `${sanitize(top.id)}: ` : ''}${outcome(report)}`;
      return `${paint(HEALTH_TONE[health], HEALTH_MARK[health])} ${cells(COLUMNS.map((c) => c.cell(service)), last)}\n`;
    },
  };
}

export const noServicesText = (scope: string | null): string => `no NodePort Services in ${scope === null ? 'the cluster' : `namespace ${sanitize(scope)}`}\n`;
