/**
 * A Service's health in a word (scan's marks, the TUI's badges) and scan's text lines, case by
 * case: the worst finding decides, else whether every node delivers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { HEALTH_MARK, healthOf, type Health } from '../../src/report/health.js';
import type { Report } from '../../src/report/model.js';
import { renderScanText } from '../../src/report/scan-text.js';
import { diagnose } from '../../src/diagnose.js';
import { baseCluster, buildScenarioSnapshot, updateService } from '../support/scenario-kit/index.js';

const ask = { namespace: 'shop', service: 'frontend', allNodes: true };
/** A healthy three-node report to vary: no finding, every node delivered. */
const healthy = await diagnose(buildScenarioSnapshot(baseCluster()), ask, { checks: CHECKS });
/** A real finding to copy with other severities (eTP Local without a local pod on node-1). */
const FINDING = (await diagnose(buildScenarioSnapshot(updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' })), ask, { checks: CHECKS })).findings[0]!;

type Severity = Report['findings'][number]['severity'];
type NodeResult = Report['verdict']['nodes'][number]['result'];

function variant(severities: Severity[], results: NodeResult[], target = healthy.target): Report {
  const r = structuredClone(healthy);
  r.findings = severities.map((severity, i) => ({ ...FINDING, id: `check-${i}`, severity }));
  r.verdict.nodes = results.map((result, i) => ({ ...healthy.verdict.nodes[0]!, node: `node-${i + 1}`, result }));
  r.target = target;
  return r;
}

const HEALTH_CASES: [string, Severity[], NodeResult[], Health][] = [
  ['no finding, every node delivers', [], ['delivered', 'delivered'], 'ok'],
  ['no finding, a node undecided', [], ['delivered', 'indeterminate'], 'undecided'],
  ['no finding, a node times out (no check explains it)', [], ['timeout'], 'undecided'],
  ['no node replayed at all', [], [], 'ok'],
  ['an info finding does not count', ['info'], ['delivered'], 'ok'],
  ['a warning', ['info', 'warning'], ['delivered'], 'warning'],
  ['a warning and an error: the error', ['warning', 'error'], ['delivered'], 'error'],
  ['an error even when every node delivers', ['error'], ['delivered', 'delivered'], 'error'],
];

describe('healthOf', () => {
  test('the reports varied from: healthy, and one with an error finding', () => {
    assert.equal(healthOf(healthy), 'ok');
    assert.equal(FINDING.severity, 'error');
  });
  for (const [name, severities, results, want] of HEALTH_CASES) {
    test(`${name}: ${want}`, () => assert.equal(healthOf(variant(severities, results)), want));
  }
  test('each health has its own mark', () => {
    assert.deepEqual(HEALTH_MARK, { error: '✗', warning: '!', ok: '✓', undecided: '?' });
  });
});

describe('renderScanText', () => {
  const CASES: [string, Report[], string | null, string][] = [
    ['nothing in a namespace', [], 'shop', 'no NodePort Services in namespace shop\n'],
    ['nothing anywhere', [], null, 'no NodePort Services in the cluster\n'],
    ['a healthy Service: its mark and verdict', [healthy], 'shop', `✓ shop/frontend  ${healthy.verdict.summary}\n`],
    [
      'names padded to the longest, the top finding first on a failing line',
      [variant(['error'], ['timeout']), variant([], ['delivered'], { ...healthy.target, namespace: 'payments-eu', service: 'api' })],
      null,
      `✗ shop/frontend    check-0: ${healthy.verdict.summary}\n✓ payments-eu/api  ${healthy.verdict.summary}\n`,
    ],
    [
      'a name with a control character is shown escaped',
      [variant([], ['delivered'], { ...healthy.target, service: 'web\x1b[2J' })],
      'shop',
      `✓ shop/web\\x1b[2J  ${healthy.verdict.summary}\n`,
    ],
  ];
  for (const [name, reports, scope, want] of CASES) {
    test(name, () => assert.equal(renderScanText(reports, scope), want));
  }
});
