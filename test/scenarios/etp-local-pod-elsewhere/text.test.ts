/**
 * Acceptance: for an externalTrafficPolicy Local drop, the text report names the node that drops,
 * kube-proxy's rule line in KUBE-EXTERNAL-SERVICES, and the nodes that would answer.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CHECKS } from '../../../checks/index.js';
import { renderReport } from '../../../src/report/text.js';
import { diagnose } from '../../../src/diagnose.js';
import { loadSnapshot } from '../../../src/snapshot/file.js';

test('the eTP Local finding names the dropping node, the DROP rule line and the nodes that work', async () => {
  const file = 'test/scenarios/etp-local-pod-elsewhere/snapshot.json';
  const report = await diagnose(await loadSnapshot(file), { namespace: 'shop', service: 'frontend' }, { checks: CHECKS, snapshotFile: file });
  // Wide enough that the evidence line is not wrapped: its words are the subject here.
  const text = renderReport(report, { color: false, width: 400 });
  const f = report.findings.find((x) => x.id === 'etp-local-no-local-endpoint');
  assert.ok(f, text);
  assert.equal(f.node, 'node-1');
  assert.match(f.message, /^Node node-1 drops connections to 192\.168\.1\.101:30080/);
  assert.match(f.message, /Nodes that would answer \(they run a ready endpoint\): node-2 \(192\.168\.1\.102\) and node-3 \(192\.168\.1\.103\)/);
  assert.match(text, /node-1 filter\/KUBE-EXTERNAL-SERVICES line \d+ \(node-1:iptables-nft-save\): -A KUBE-EXTERNAL-SERVICES .*"shop\/frontend:http has no local endpoints".*--dport 30080 -j DROP/);
  assert.match(text, /\$ kubectl -n shop patch svc frontend -p '\{"spec":\{"externalTrafficPolicy":"Cluster"\}\}'/);
});
