/**
 * `-o sarif`: SARIF 2.1.0 for GitHub code scanning and other static-analysis dashboards. One run:
 * the driver np-doctor with every check as a rule, each finding a result. np-doctor reads a
 * cluster, not files, but GitHub code scanning refuses a result without a physical location: each
 * result's location is the Service, as a path `k8s/NAMESPACE/service/NAME` (where a repository
 * that keeps its manifests in that layout gets a link) and as a logical location; each rule of a
 * node's ruleset the evidence names is a related location (logical locations of one location are
 * names of the same place).
 */
import type { Check } from '../check-kit/define.js';
import type { Evidence, Severity } from '../check-kit/model.js';
import { sanitize } from '../text/sanitize.js';
import { VERSION } from '../version.js';
import type { Report, ReportFinding } from './model.js';

/** What SARIF's rules list shows of each check; docsUrl: its page (none for a plugin's check). */
export type RuleInfo = Pick<Check, 'id' | 'title' | 'description' | 'severity'> & { docsUrl?: string };

const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { error: 'error', warning: 'warning', info: 'note' };
/** partialFingerprints key: the finding's own fingerprint, versioned as its hash input is. */
const FINGERPRINT_KEY = 'npDoctorFinding/v1';

/** `checks`: every check that ran (built-in and plugins), each a rule. */
export function renderSarif(reports: readonly Report[], checks: readonly RuleInfo[]): string {
  const rules = rulesFor(reports, checks);
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const log = {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'np-doctor',
          version: VERSION,
          informationUri: 'https://np-doctor.dev/',
          rules: rules.map(rule),
        },
      },
      results: reports.flatMap((r) => r.findings.map((f) => result(r, f, index.get(f.id)!))),
      columnKind: 'unicodeCodePoints',
    }],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

/** Every check given, and (should a finding name one that is not) the finding's own check. */
function rulesFor(reports: readonly Report[], checks: readonly RuleInfo[]): RuleInfo[] {
  const rules = [...checks];
  const known = new Set(rules.map((c) => c.id));
  for (const f of reports.flatMap((r) => r.findings)) {
    if (known.has(f.id)) continue;
    known.add(f.id);
    rules.push({ id: f.id, title: f.title, description: f.title, severity: f.severity, ...(f.docsUrl === undefined ? {} : { docsUrl: f.docsUrl }) });
  }
  return rules;
}

function rule(c: RuleInfo): Record<string, unknown> {
  return {
    id: c.id,
    name: ruleName(c.id),
    shortDescription: { text: c.title },
    fullDescription: { text: c.description },
    ...(c.docsUrl === undefined ? {} : { helpUri: c.docsUrl }),
    defaultConfiguration: { level: LEVEL[c.severity] },
  };
}

/** SARIF's rule name is an identifier in PascalCase (`EtpLocalNoLocalEndpoint`). */
function ruleName(id: string): string {
  return id.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join('');
}

function result(r: Report, f: ReportFinding, ruleIndex: number): Record<string, unknown> {
  const service = `${r.target.namespace}/${r.target.service}`;
  return {
    ruleId: f.id,
    ruleIndex,
    level: LEVEL[f.severity],
    message: { text: sarifText(f.message) },
    partialFingerprints: { [FINGERPRINT_KEY]: f.fingerprint },
    locations: [{
      physicalLocation: { artifactLocation: { uri: ['k8s', r.target.namespace, 'service', r.target.service].map(uriSegment).join('/') } },
      logicalLocations: [{ name: r.target.service, fullyQualifiedName: service, kind: 'resource' }],
    }],
    relatedLocations: f.evidence.flatMap(ruleLocation).map((logical, id) => ({ id, logicalLocations: [logical] })),
    properties: {
      service,
      stage: f.stage,
      ...(f.node === undefined ? {} : { node: f.node }),
      ...(f.workingNodes === undefined ? {} : { workingNodes: f.workingNodes }),
      ...(f.family === undefined ? {} : { family: f.family }),
      fix: f.remediation.summary,
      commands: f.remediation.commands,
    },
  };
}

/**
 * A finding's message as SARIF plain text. SARIF reads `[text](target)` in a message as an embedded
 * link and asks for literal `[`, `]` and `\\` to be backslash-escaped: a Service named
 * `[click](https://evil.example)` then shows as those characters, not as a link. Control
 * characters become visible escapes, for viewers that print to a terminal.
 */
export function sarifText(s: string): string {
  return sanitize(s, true).replace(/[\\[\]]/g, '\\$&');
}

/** A path segment of a URI: percent-encoded, a lone surrogate (which encodeURIComponent refuses) as U+FFFD. */
function uriSegment(s: string): string {
  return encodeURIComponent(s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD'));
}

/** A rule line the evidence points at: node, table, chain and line (an nftables handle). */
function ruleLocation(e: Evidence): Record<string, unknown>[] {
  if (e.kind !== 'rule') return [];
  const where = e.handle !== undefined ? `handle ${e.handle}` : `line ${e.line}`;
  const table = e.family ? `${e.family} ${e.table}` : e.table;
  return [{ name: `${e.chain} ${where}`, fullyQualifiedName: `${e.node}/${table}/${e.chain}/${where}`, kind: 'element' }];
}
