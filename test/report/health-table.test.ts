/**
 * A Service's health in a word (scan's marks, the TUI's badges) and scan's table rows, case by
 * case: the worst finding decides, else whether every node delivers.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { HEALTH_MARK, healthOf, type Health } from '../../src/report/health.js';
import type { Report } from '../../src/report/model.js';
import { noServicesText, scanTable, type ScanService } from '../../src/report/scan-text.js';
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

describe('scan\'s table rows', () => {
  const svc = (namespace: string, name: string): ScanService => ({ namespace, name, type: 'NodePort', externalTrafficPolicy: 'Cluster', ports: [{ name: 'http', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }] });
  const frontend = svc('shop', 'frontend');
  const CASES: [string, ScanService[], [ScanService, Report][], string][] = [
    ['a healthy Service: its mark, columns and what a client sees', [frontend], [[frontend, healthy]],
      '  NAMESPACE  NAME      TYPE      NODEPORTS  ETP      TOP FINDING: RESULT\n✓ shop       frontend  NodePort  30080/TCP  Cluster  answers via node-1, node-2, node-3\n'],
    [
      'columns as wide as the widest name of every Service, the top finding first on a failing row',
      [frontend, svc('payments-eu', 'api')],
      [[frontend, variant(['error'], ['timeout'])], [svc('payments-eu', 'api'), variant([], ['delivered'])]],
      '  NAMESPACE    NAME      TYPE      NODEPORTS  ETP      TOP FINDING: RESULT\n'
      + '✗ shop         frontend  NodePort  30080/TCP  Cluster  check-0: times out via node-1\n'
      + '✓ payments-eu  api       NodePort  30080/TCP  Cluster  answers via node-1\n',
    ],
    [
      'a name with a control character is shown escaped, and measured as shown',
      [svc('shop', 'web\x1b[2J')],
      [[svc('shop', 'web\x1b[2J'), variant([], ['delivered'])]],
      '  NAMESPACE  NAME        TYPE      NODEPORTS  ETP      TOP FINDING: RESULT\n✓ shop       web\\x1b[2J  NodePort  30080/TCP  Cluster  answers via node-1\n',
    ],
  ];
  for (const [name, services, rows, want] of CASES) {
    test(name, () => {
      // Wide: the rows whole (cutting to the width is test/report/fit.test.ts's).
      const table = scanTable(services, { color: false, width: 200 });
      assert.equal(table.header + rows.map(([s, r]) => table.row(s, r)).join(''), want);
    });
  }
  test('no Service: said in a line, for a namespace or the cluster', () => {
    assert.equal(noServicesText('shop'), 'no NodePort Services in namespace shop\n');
    assert.equal(noServicesText(null), 'no NodePort Services in the cluster\n');
  });
});
