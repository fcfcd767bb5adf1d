/**
 * A snapshot of more than DEFAULT_REPLAY_NODES nodes: a question without --node, --node-ip or
 * --all-nodes replays the nodes running the Service's endpoints and one running none, and the
 * report says how many it left out and why; --all-nodes replays every node. A snapshot of up to
 * DEFAULT_REPLAY_NODES nodes is replayed whole, as before.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../checks/index.js';
import { generateScaleSnapshot, materialize } from '../../bench/gen-snapshot.js';
import { diagnose } from '../../src/diagnose.js';
import { renderReport } from '../../src/report/text.js';
import { DEFAULT_REPLAY_NODES } from '../../src/run/question.js';

const nodes = DEFAULT_REPLAY_NODES + 4;
const generated = generateScaleSnapshot({ nodes, services: 40, endpointsPerService: 2 });
const snapshot = materialize(generated);
const local = generated.cases.find((c) => c.expect.health === 'error')!;
const ask = { namespace: local.namespace, service: local.service };
const endpointNodes = [...new Set(snapshot.cluster.endpointSlices
  .filter((s) => s.metadata.namespace === local.namespace && s.metadata.labels?.['kubernetes.io/service-name'] === local.service)
  .flatMap((s) => (s.endpoints as { nodeName: string }[]).map((e) => e.nodeName)))].sort();

test(`${nodes} nodes: by default the endpoint nodes and one without, and the report says the rest were not replayed`, async () => {
  assert.ok(endpointNodes.length > 0 && endpointNodes.length < nodes - 1, 'the case has endpoints on some nodes only');
  const report = await diagnose(snapshot, ask, { checks: CHECKS, snapshotFile: null });
  const replayed = [...new Set(report.paths.map((p) => p.node))].sort();
  const without = replayed.filter((n) => !endpointNodes.includes(n));
  assert.equal(without.length, 1, `one node without endpoints is replayed (got ${replayed.join(', ')})`);
  assert.deepEqual(replayed.filter((n) => endpointNodes.includes(n)), endpointNodes);
  assert.equal(report.verdict.notReplayed?.count, nodes - replayed.length);
  assert.match(report.verdict.notReplayed?.why ?? '', new RegExp(`more than ${DEFAULT_REPLAY_NODES} nodes .* and one running none \\(${without[0]}\\); --all-nodes replays every node`));
  const check = local.expect.health === 'error' ? local.expect.check : '';
  assert.ok(report.findings.some((f) => f.id === check && f.severity === 'error' && f.node === without[0]),
    `the node without endpoints is where the eTP=Local Service drops, and ${check} names it: ${report.findings.map((f) => `${f.id} ${f.node ?? ''}`).join('; ')}`);
  assert.match(renderReport(report, { color: false }), new RegExp(`\\n  ${nodes - replayed.length} more nodes not replayed: `));
});

test(`${nodes} nodes with --all-nodes: every node, nothing left out`, async () => {
  const report = await diagnose(snapshot, { ...ask, allNodes: true }, { checks: CHECKS, snapshotFile: null });
  assert.equal(new Set(report.paths.map((p) => p.node)).size, nodes);
  assert.equal(report.verdict.notReplayed, undefined);
});

test(`${DEFAULT_REPLAY_NODES} nodes or fewer: every node by default`, async () => {
  const small = materialize(generateScaleSnapshot({ nodes: 3, services: 40, endpointsPerService: 2 }));
  const c = generateScaleSnapshot({ nodes: 3, services: 40, endpointsPerService: 2 }).cases[0]!;
  const report = await diagnose(small, { namespace: c.namespace, service: c.service }, { checks: CHECKS, snapshotFile: null });
  assert.equal(new Set(report.paths.map((p) => p.node)).size, 3);
  assert.equal(report.verdict.notReplayed, undefined);
});
