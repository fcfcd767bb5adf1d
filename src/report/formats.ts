/**
 * The output formats of `diagnose` and `scan` (`-o FORMAT`), and one entry point for every format
 * but text (report/text.ts and scan-text.ts, which fit a terminal). JSON and YAML are the Report
 * itself (schema/report.v1.json; a scan is a ScanReport); SARIF, JUnit and Markdown are views of it
 * for CI systems and tickets.
 */
import { REPORT_API_VERSION, type Report } from './model.js';
import { renderJunit, type FailThreshold } from './junit.js';
import { renderMarkdown, renderScanMarkdown } from './markdown.js';
import { renderSarif, type RuleInfo } from './sarif.js';
import { renderYaml } from './yaml.js';

export const OUTPUT_FORMATS = ['text', 'json', 'yaml', 'sarif', 'junit', 'markdown'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];
/** Every format this file renders: all but text. */
export type DocumentFormat = Exclude<OutputFormat, 'text'>;

export interface FormatOptions {
  /** Every check that ran, built-in and plugins (SARIF lists each as a rule): diagnose.ts's catalogue(checks). */
  checks: readonly RuleInfo[];
  /** --fail-on: findings at or above it fail their JUnit test case. */
  failOn: FailThreshold;
}

/** One Service's Report in `format`, ending in a newline. */
export function renderReportAs(format: DocumentFormat, report: Report, opts: FormatOptions): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(report, null, 2)}\n`;
    case 'yaml':
      return renderYaml(report);
    case 'sarif':
      return renderSarif([report], opts.checks);
    case 'junit':
      return renderJunit([report], opts.failOn);
    case 'markdown':
      return renderMarkdown(report);
  }
}

/** A scan's Reports, one per Service, in `format` (JSON and YAML: a ScanReport). */
export function renderScanAs(format: DocumentFormat, reports: readonly Report[], opts: FormatOptions): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(scanReport(reports), null, 2)}\n`;
    case 'yaml':
      return renderYaml(scanReport(reports));
    case 'sarif':
      return renderSarif(reports, opts.checks);
    case 'junit':
      return renderJunit(reports, opts.failOn);
    case 'markdown':
      return renderScanMarkdown(reports);
  }
}

const scanReport = (reports: readonly Report[]) => ({ apiVersion: REPORT_API_VERSION, kind: 'ScanReport' as const, reports });
