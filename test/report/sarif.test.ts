/** -o sarif: SARIF 2.1.0 that the published schema accepts, and what code scanning reads from it. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import AjvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';
import { CHECKS } from '../../checks/index.js';
import { renderReportAs, renderScanAs } from '../../src/report/formats.js';
import { sarifText } from '../../src/report/sarif.js';
import { demoScan, FORMAT_OPTIONS, hostile } from './demo-reports.js';

// CommonJS modules: their `default` export is the one TypeScript's NodeNext types name.
const { default: Ajv } = AjvDraft04;
const { default: addFormats } = ajvFormats;
// The published schema (draft-04) has a pattern that is invalid under the u flag.
const ajv = new Ajv({ strict: false, unicodeRegExp: false, allErrors: true });
addFormats(ajv);
const validate = ajv.compile(JSON.parse(readFileSync('node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json', 'utf8')) as object);

function assertValid(doc: unknown, what: string): void {
  assert.equal(validate(doc), true, `${what}: ${ajv.errorsText(validate.errors)}`);
}

interface SarifResult {
  ruleId: string; ruleIndex: number; level: string; message: { text: string };
  partialFingerprints: Record<string, string>;
  locations: { logicalLocations: LogicalLocation[]; physicalLocation: { artifactLocation: { uri: string } } }[];
  relatedLocations: { id: number; logicalLocations: LogicalLocation[] }[];
}
interface LogicalLocation { name: string; fullyQualifiedName: string; kind: string }
interface SarifLog { runs: { tool: { driver: { name: string; rules: { id: string; helpUri?: string; defaultConfiguration: { level: string } }[] } }; results: SarifResult[] }[] }

test('each demo Service\'s report and the whole scan validate against the published SARIF 2.1.0 schema', async () => {
  const reports = await demoScan();
  assert.equal(reports.length, 4);
  for (const r of reports) assertValid(JSON.parse(renderReportAs('sarif', r, FORMAT_OPTIONS)), `${r.target.namespace}/${r.target.service}`);
  const scan = JSON.parse(renderScanAs('sarif', reports, FORMAT_OPTIONS)) as SarifLog;
  assertValid(scan, 'scan');
  assertValid(JSON.parse(renderScanAs('sarif', reports.map(hostile), FORMAT_OPTIONS)), 'scan with hostile strings');
  assertValid(JSON.parse(renderScanAs('sarif', [], FORMAT_OPTIONS)), 'a scan of no Services');

  // One run; every check a rule, with its page and its default level; a result per finding.
  assert.equal(scan.runs.length, 1);
  const run = scan.runs[0]!;
  assert.equal(run.tool.driver.name, 'np-doctor');
  assert.deepEqual(run.tool.driver.rules.map((r) => r.id), CHECKS.map((c) => c.id));
  for (const [i, c] of CHECKS.entries()) {
    assert.equal(run.tool.driver.rules[i]!.helpUri, `https://np-doctor.dev/checks/${c.id}`);
    assert.equal(run.tool.driver.rules[i]!.defaultConfiguration.level, { error: 'error', warning: 'warning', info: 'note' }[c.severity]);
  }
  const findings = reports.flatMap((r) => r.findings.map((f) => ({ r, f })));
  assert.ok(findings.length >= 3, 'the demo has findings to show');
  assert.equal(run.results.length, findings.length);
  for (const [i, { r, f }] of findings.entries()) {
    const res = run.results[i]!;
    assert.equal(res.ruleId, f.id);
    assert.equal(run.tool.driver.rules[res.ruleIndex]!.id, f.id);
    assert.equal(res.level, { error: 'error', warning: 'warning', info: 'note' }[f.severity]);
    assert.equal(res.message.text, f.message.replace(/[\\[\]]/g, '\\$&'));
    assert.deepEqual(Object.values(res.partialFingerprints), [f.fingerprint]);
    // The location is the Service (GitHub code scanning needs a physical one: its manifest's path
    // in a k8s/NS/service/NAME layout); each rule the evidence names is a related location.
    assert.equal(res.locations.length, 1);
    const [loc] = res.locations;
    assert.equal(loc?.physicalLocation.artifactLocation.uri, `k8s/${r.target.namespace}/service/${r.target.service}`);
    assert.deepEqual(loc?.logicalLocations, [{ name: r.target.service, fullyQualifiedName: `${r.target.namespace}/${r.target.service}`, kind: 'resource' }]);
    const rules = f.evidence.filter((e) => e.kind === 'rule');
    assert.deepEqual(res.relatedLocations.map((l) => [l.id, l.logicalLocations.map((x) => x.fullyQualifiedName)]),
      rules.map((e, id) => [id, [`${e.node}/${e.family ? `${e.family} ` : ''}${e.table}/${e.chain}/${e.handle !== undefined ? `handle ${e.handle}` : `line ${e.line}`}`]]));
  }
});

test('the validator rejects a broken SARIF document, so the test above can fail', async () => {
  const [r] = await demoScan();
  const good = JSON.parse(renderReportAs('sarif', r!, FORMAT_OPTIONS)) as SarifLog & { version: string };
  assertValid(good, 'the unbroken document');
  const badLevel = structuredClone(good);
  badLevel.runs[0]!.tool.driver.rules[0]!.defaultConfiguration.level = 'fatal';
  assert.equal(validate(badLevel), false, 'a level SARIF does not have');
  const badVersion = { ...structuredClone(good), version: '2.0.0' };
  assert.equal(validate(badVersion), false, 'another version');
  const noDriver = structuredClone(good) as unknown as { runs: { tool: Record<string, unknown> }[] };
  delete noDriver.runs[0]!.tool.driver;
  assert.equal(validate(noDriver), false, 'a run without its tool driver');
});

test('a plugin\'s check is a rule without a help page, and a finding of a check not listed still has its rule', async () => {
  const [r] = await demoScan();
  const plugin = { id: 'my-plugin-check', title: 'Mine', description: 'A plugin check.', severity: 'warning' as const };
  const log = JSON.parse(renderReportAs('sarif', r!, { ...FORMAT_OPTIONS, checks: [plugin] })) as SarifLog;
  assertValid(log, 'plugin rules');
  const rules = log.runs[0]!.tool.driver.rules;
  assert.equal(rules[0]!.id, 'my-plugin-check');
  assert.equal(rules[0]!.helpUri, undefined);
  for (const res of log.runs[0]!.results) assert.equal(rules[res.ruleIndex]!.id, res.ruleId);
  assert.equal(rules.length, 1 + new Set(r!.findings.map((f) => f.id)).size);
});

test('a message is SARIF plain text: brackets and backslashes escaped, so a cluster name is no embedded link', () => {
  assert.equal(sarifText('Service [click](https://evil.example) \\x'), 'Service \\[click\\](https://evil.example) \\\\x');
  // ESC shown as the four characters \x1b, whose backslash is then escaped like any other.
  assert.equal(sarifText('a\x1b]0;title\x07b'), 'a\\\\x1b\\]0;title\\\\x07b');
});
