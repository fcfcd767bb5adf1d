/** A Node whose InternalIP is not an IP address (a hostile or broken object): no crash, and the verdict says why. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { diagnose } from '../../src/diagnose.js';
import { baseCluster, buildScenarioSnapshot } from '../support/scenario-kit/index.js';

test('a node with no usable address is not replayed: indeterminate, naming the value; the others still are', async () => {
  const snapshot = buildScenarioSnapshot(baseCluster());
  (snapshot.cluster.nodes[0]!.status as { addresses: { type: string; address: string }[] }).addresses
    .filter((a) => a.type === 'InternalIP').forEach((a) => (a.address = 'node-1;reboot'));
  const reached = structuredClone(snapshot);
  const where = await diagnose(reached, { namespace: 'shop', service: 'frontend', node: 'node-1' }, { checks: CHECKS });
  assert.deepEqual(where.verdict.nodes.map((n) => [n.node, n.address, n.result]), [['node-1', '192.168.1.101', 'delivered']], 'dialled where np-doctor reached it');

  snapshot.nodes[0]!.address = null;
  const report = await diagnose(snapshot, { namespace: 'shop', service: 'frontend', allNodes: true }, { checks: CHECKS });
  assert.deepEqual(report.verdict.nodes.map((n) => [n.node, n.result]), [['node-1', 'indeterminate'], ['node-2', 'delivered'], ['node-3', 'delivered']]);
  assert.match(report.verdict.nodes[0]!.why, /node node-1 has no IP address to dial: "node-1;reboot" is not one/);
});
