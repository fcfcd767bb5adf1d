/**
 * What the Report carries for CI: the same bytes for the same snapshot (durations only under
 * `timings`), a fingerprint per finding that stays put across runs, a docs URL, summary counts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { CHECKS } from '../../checks/index.js';
import { defineCheck, sh } from '../../src/check-kit/index.js';
import { SEVERITIES } from '../../src/check-kit/model.js';
import { runDiagnosis } from '../../src/diagnose.js';
import { fingerprintOf } from '../../src/report/fingerprint.js';
import { renderReportAs, renderScanAs } from '../../src/report/formats.js';
import type { Report } from '../../src/report/model.js';
import { loadSnapshot } from '../../src/snapshot/file.js';
import { demoScan, demoSnapshot, FORMAT_OPTIONS, hostile } from './demo-reports.js';

test('two runs on the same snapshot give identical JSON bytes, and durations appear only with timings', async () => {
  // Each run loads the file afresh and builds its own model: nothing carried from one to the other.
  const run = async (timings?: boolean) => (await runDiagnosis(await loadSnapshot('examples/demo.json'), { namespace: 'shop', service: 'payments' },
    { checks: CHECKS, snapshotFile: 'examples/demo.json', ...(timings === undefined ? {} : { timings }) })).report;
  const [a, b] = [await run(), await run()];
  assert.equal(renderReportAs('json', a, FORMAT_OPTIONS), renderReportAs('json', b, FORMAT_OPTIONS));
  assert.doesNotMatch(renderReportAs('json', a, FORMAT_OPTIONS), /durationMs/);
  assert.equal(renderScanAs('json', await demoScan(), FORMAT_OPTIONS), renderScanAs('json', await demoScan(), FORMAT_OPTIONS));
  const timed = await run(true);
  assert.ok(timed.checks.every((c) => typeof c.durationMs === 'number'), 'every check timed');
  assert.deepEqual({ ...timed, checks: timed.checks.map(({ durationMs: _d, ...c }) => c) }, a);
});

test('YAML is the same document as JSON, hostile strings included', async () => {
  const reports = await demoScan();
  for (const r of [...reports, ...reports.map(hostile)]) {
    assert.deepEqual(yaml.load(renderReportAs('yaml', r, FORMAT_OPTIONS)), JSON.parse(renderReportAs('json', r, FORMAT_OPTIONS)));
  }
  assert.deepEqual(yaml.load(renderScanAs('yaml', reports, FORMAT_OPTIONS)), JSON.parse(renderScanAs('json', reports, FORMAT_OPTIONS)));
});

test('summary counts agree with the findings, checks and nodes they count', async () => {
  for (const r of await demoScan()) {
    const count = <K extends string>(keys: readonly K[], values: K[]) => Object.fromEntries(keys.map((k) => [k, values.filter((v) => v === k).length]));
    assert.deepEqual(r.summary.findings, count(SEVERITIES, r.findings.map((f) => f.severity)));
    assert.deepEqual(r.summary.checks, count(['passed', 'failed', 'skipped', 'error', 'timeout'], r.checks.map((c) => c.status)));
    assert.deepEqual(r.summary.nodes, count(['delivered', 'refused', 'timeout', 'blocked', 'indeterminate'], r.verdict.nodes.map((n) => n.result)));
    assert.equal(r.summary.checks.passed + r.summary.checks.failed, r.checks.length);
  }
});

test('every finding of a built-in check links its page (test/checks/meta.test.ts holds every check to having one)', async () => {
  const findings = (await demoScan()).flatMap((r) => r.findings);
  assert.ok(findings.length > 0);
  for (const f of findings) assert.equal(f.docsUrl, `https://np-doctor.dev/checks/${f.id}`);
});

test('a plugin\'s finding has a fingerprint but no np-doctor docs URL', async () => {
  const plugin = defineCheck({
    id: 'my-plugin', title: 'mine', description: 'a plugin', severity: 'warning', stage: 'service', requires: [], messages: { m: 'seen' },
    run: () => [{ messageId: 'm', evidence: [], remediation: { summary: 'none', commands: [sh`true`] } }],
  });
  const { report } = await runDiagnosis(demoSnapshot(), { namespace: 'shop', service: 'frontend' }, { checks: [plugin] });
  const [f] = report.findings;
  assert.equal(f?.id, 'my-plugin');
  assert.match(f.fingerprint, /^[0-9a-f]{32}$/);
  assert.equal(f.docsUrl, undefined);
});

test('fingerprints: one per finding, the same across runs and wording, different for another node, Service or rule', async () => {
  const scan = await demoScan();
  const all = scan.flatMap((r) => r.findings.map((f) => f.fingerprint));
  assert.equal(new Set(all).size, all.length, 'no two findings share one');
  assert.deepEqual((await demoScan()).flatMap((r) => r.findings.map((f) => f.fingerprint)), all);

  const r = scan.find((x) => x.target.service === 'frontend')!;
  const f = r.findings[0]!;
  const scope = { namespace: r.target.namespace, service: r.target.service, port: r.target.port };
  assert.equal(fingerprintOf(f, scope), f.fingerprint);
  const rule = f.evidence.find((e) => e.kind === 'rule')!;
  assert.ok(rule.kind === 'rule');
  // What moves between runs leaves it alone: the message (counts, shares), the rule's line number,
  // a walk's summary, the order of the evidence.
  const moved = structuredClone(f);
  moved.message = 'reworded: 17 connections in 3.2 s';
  moved.evidence = [...moved.evidence.reverse().map((e) => (e.kind === 'rule' ? { ...e, line: e.line + 12 } : e)), { kind: 'path', node: 'node-1', summary: '40% of connections' }];
  const withPath = { ...f, evidence: [...f.evidence, { kind: 'path' as const, node: 'node-1', summary: '10% of connections' }] };
  assert.equal(fingerprintOf(moved, scope), fingerprintOf(withPath, scope));
  const changed: [string, Report['findings'][number], typeof scope][] = [
    ['another node', { ...f, node: 'node-2' }, scope],
    ['another Service', f, { ...scope, service: 'other' }],
    ['another port', f, { ...scope, port: { ...scope.port!, port: 8443 } }],
    ['another family', { ...f, family: 6 }, scope],
    ['another rule', { ...f, evidence: f.evidence.map((e) => (e === rule ? { ...rule, rule: `${rule.rule} -j ACCEPT` } : e)) }, scope],
    ['another check', { ...f, id: 'x' }, scope],
  ];
  for (const [what, g, s] of changed) assert.notEqual(fingerprintOf(g, s), f.fingerprint, what);
});

test('fingerprints: an nft rule\'s live counters and quota use do not move it', () => {
  const scope = { namespace: 'shop', service: 'frontend', port: { name: 'http', port: 80, protocol: 'TCP' } };
  const at = (rule: string) => fingerprintOf({ id: 'host-firewall-drop', node: 'node-1', evidence: [{ kind: 'rule', node: 'node-1', source: 'node-1:nft-ruleset', family: 'inet', table: 'filter', chain: 'input', line: 7, handle: 7, rule, action: 'drop' }] }, scope);
  const first = at('tcp dport 30080 counter packets 12 bytes 720 quota over 1 mbytes used 40 kbytes drop');
  assert.equal(at('tcp dport 30080 counter packets 9031 bytes 541860 quota over 1 mbytes used 2 mbytes drop'), first);
  assert.notEqual(at('tcp dport 30081 counter packets 12 bytes 720 quota over 1 mbytes used 40 kbytes drop'), first, 'another port is another rule');
});
