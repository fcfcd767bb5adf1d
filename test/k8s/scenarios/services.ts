/**
 * Services, each in its own Kubernetes namespace (they run concurrently on one cluster): one
 * healthy with an endpoint on each node (kube-proxy's real load balancing), the others broken.
 * For a broken one, np-doctor must name the cause as its top finding with the evidence the real
 * cluster holds, the real client must see what np-doctor says it sees, and where the fix is a
 * kubectl command, the command np-doctor printed, run with the real kubectl, must fix it.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReportFinding } from '../../../src/report/model.js';
import { CLIENT_NET } from '../../kernel/lab/addressing.js';
import type { RealCluster } from '../../support/k8s-lab/cluster.js';
import { expectConnections } from '../lib/connect.js';
import { assertRuleOnNode, objectEvidence, ruleEvidence } from '../lib/evidence.js';
import { enforceIngress } from '../lib/netpol.js';
import { diagnose, findingsText, fixCommand, runKubectlFix } from '../lib/np-doctor.js';
import { top } from '../lib/top.js';
import { waitLocalOnly, waitRejecting, waitServing } from '../lib/sync.js';
import { APP_PORT, deployWeb, type Web } from '../lib/web.js';

/** Runs the kubectl fix np-doctor printed, waits for kube-proxy, and checks the Service now works end to end. */
async function fixWorks(c: RealCluster, web: Web, f: ReportFinding, wanted: (words: string[]) => boolean): Promise<void> {
  const words = fixCommand(f, wanted);
  await runKubectlFix(c, words);
  await waitServing(c, web);
  const again = await diagnose(c, web.namespace, web.name);
  assert.equal(again.code, 0, `after \`${words.join(' ')}\`:\n${findingsText(again.report)}`);
  assert.deepEqual(again.report.findings, []);
  for (const n of c.nodes) await expectConnections(c, n.ip, web.nodePort, 'delivered', web.pods.map((p) => p.name));
}

/** The outer describe runs scenarios concurrently; a scenario's own steps run in order (subtests inherit the option otherwise). */
const SEQUENTIAL = { concurrency: 1 };

const isPatch = (words: string[]) => words[0] === 'kubectl' && words.includes('patch');

export function serviceScenarios(cluster: () => RealCluster): void {
  test('healthy, a pod on each node: np-doctor replays kube-proxy\'s real balancing rules, half to each pod, and the client reaches both', async () => {
    const c = cluster();
    const web = await deployWeb(c, { namespace: 'spread', pods: [{ node: 0 }, { node: 1 }] });
    await waitServing(c, web);
    const d = await diagnose(c, web.namespace, web.name);
    assert.equal(d.code, 0, findingsText(d.report));
    assert.deepEqual(d.report.findings, []);
    assert.deepEqual(d.report.paths.map((p) => p.node), c.nodes.map((n) => n.name));
    for (const p of d.report.paths) {
      const share = (pod: string) => p.branches.filter((b) => b.result === 'delivered' && b.backend?.pod === `spread/${pod}`).reduce((a, b) => a + b.probability, 0);
      assert.deepEqual([p.node, share('web-1'), share('web-2')], [p.node, 0.5, 0.5], JSON.stringify(p.branches.map((b) => [b.backend, b.probability])));
    }
    for (const n of c.nodes) {
      const tries = await c.connect(n.ip, web.nodePort, { tries: 2, want: ['web-1', 'web-2'] });
      assert.deepEqual([...new Set(tries.map((t) => t.pod))].sort(), ['web-1', 'web-2'], `${n.name}: ${JSON.stringify(tries)}`);
    }
  });

  describe('externalTrafficPolicy Local, its only pod on node-b', SEQUENTIAL, () => {
    let web: Web;
    let f: ReportFinding;
    test('node-a drops the nodePort on purpose: etp-local-no-local-endpoint, with kube-proxy\'s own rule', async () => {
      const c = cluster();
      web = await deployWeb(c, { namespace: 'etp-local', externalTrafficPolicy: 'Local', pods: [{ node: 1 }] });
      await waitLocalOnly(c, web);
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'timeout');
      await expectConnections(c, c.nodes[1]!.ip, web.nodePort, 'delivered', ['web-1']);
      f = top(await diagnose(c, web.namespace, web.name), 'etp-local-no-local-endpoint');
      assert.equal(f.node, 'node-a');
      const rule = ruleEvidence(f, (e) => e.node === 'node-a');
      if (c.mode === 'iptables') {
        assert.deepEqual([rule.table, rule.chain], ['filter', 'KUBE-EXTERNAL-SERVICES']);
        assert.match(rule.rule ?? '', new RegExp(`"${web.svcPort} has no local endpoints".*--dport ${web.nodePort} .*-j DROP`));
      } else {
        assert.deepEqual([rule.family, rule.table, rule.chain], ['ip', 'kube-proxy', 'nodeport-endpoints-check']);
        assert.match(f.message, new RegExp(`tcp \\. ${web.nodePort} \\("${web.svcPort}"\\) in its map no-endpoint-nodeports with verdict drop`));
      }
      await assertRuleOnNode(c, rule);
      assert.equal(objectEvidence(f, `Service ${web.namespace}/web`, 'spec.externalTrafficPolicy').value, 'Local');
    });
    test('the kubectl patch it prints makes node-a answer', async () => {
      await fixWorks(cluster(), web, f, (w) => isPatch(w) && w.some((x) => x.includes('externalTrafficPolicy')));
    });
  });

  describe('the only pod is not Ready', SEQUENTIAL, () => {
    test('kube-proxy rejects the nodePort: endpoints-not-ready, with the slice\'s conditions and the pod\'s Ready condition', async () => {
      const c = cluster();
      const web = await deployWeb(c, { namespace: 'not-ready', pods: [{ node: 1, ready: false }] });
      await waitRejecting(c, web);
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'refused');
      const d = await diagnose(c, web.namespace, web.name);
      const f = top(d, 'endpoints-not-ready');
      const ip = web.pods[0]!.ip;
      const slice = f.evidence.find((e) => e.kind === 'object' && e.field === `endpoints[${ip}].conditions`);
      assert.deepEqual(slice?.kind === 'object' ? slice.value : null, { ready: false, serving: false, terminating: false });
      const ready = objectEvidence(f, `Pod ${web.namespace}/web-1`, 'status.conditions[Ready]').value as { status?: string };
      assert.equal(ready.status, 'False');
      assert.ok(!d.report.findings.some((x) => x.id === 'no-ready-endpoints'), 'an endpoint exists, so the Service is not endpoint-less');
      for (const rule of f.evidence.filter((e) => e.kind === 'rule')) await assertRuleOnNode(c, rule);
    });
  });

  describe('the selector matches no pod (a typo)', SEQUENTIAL, () => {
    let web: Web;
    let f: ReportFinding;
    test('no-ready-endpoints names the selector and the nearest pod\'s labels', async () => {
      const c = cluster();
      web = await deployWeb(c, { namespace: 'selector', selector: { app: 'wbe' }, pods: [{ node: 1 }] });
      await waitRejecting(c, web);
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'refused');
      f = top(await diagnose(c, web.namespace, web.name), 'no-ready-endpoints');
      assert.deepEqual(objectEvidence(f, `Service ${web.namespace}/web`, 'spec.selector').value, { app: 'wbe' });
      assert.deepEqual(objectEvidence(f, `Pod ${web.namespace}/web-1`, 'metadata.labels').value, { app: 'web' });
      assert.match(f.message, /selector app: wbe vs pod app: web/);
    });
    test('the kubectl patch it prints gives the Service its endpoint', async () => {
      await fixWorks(cluster(), web, f, (w) => isPatch(w) && w.some((x) => x.includes('selector')));
    });
  });

  describe('a named targetPort that no pod declares', SEQUENTIAL, () => {
    let web: Web;
    let f: ReportFinding;
    test('target-port-mismatch names the targetPort and the ports the pods declare', async () => {
      const c = cluster();
      web = await deployWeb(c, { namespace: 'target-port', targetPort: 'http', pods: [{ node: 1 }] });
      await waitRejecting(c, web);
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'refused');
      f = top(await diagnose(c, web.namespace, web.name), 'target-port-mismatch');
      assert.equal(objectEvidence(f, `Service ${web.namespace}/web`, 'spec.ports[0].targetPort').value, 'http');
      assert.deepEqual(objectEvidence(f, `Pod ${web.namespace}/web-1`, 'spec.containers[*].ports').value, [{ container: 'app', name: 'web', containerPort: APP_PORT, protocol: 'TCP' }]);
    });
    test('the kubectl patch it prints points the targetPort at the declared port', async () => {
      await fixWorks(cluster(), web, f, (w) => isPatch(w) && w.some((x) => x.includes('targetPort')));
    });
  });

  describe('a NetworkPolicy that allows the client but sees the SNATed source', SEQUENTIAL, () => {
    test('via node-a the pod sees node-a\'s address, which the policy denies: netpol-blocks-snated-source', async () => {
      const c = cluster();
      const w = await deployWeb(c, { namespace: 'netpol', pods: [{ node: 1 }] });
      await c.create(`/apis/networking.k8s.io/v1/namespaces/${w.namespace}/networkpolicies`, {
        apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy',
        metadata: { name: 'clients-only', namespace: w.namespace },
        spec: { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: CLIENT_NET } }], ports: [{ protocol: 'TCP', port: APP_PORT }] }] },
      });
      await enforceIngress(w.pods[0]!, APP_PORT, [CLIENT_NET], c.nodes[1]!.ip);
      await waitServing(c, w);
      await expectConnections(c, c.nodes[0]!.ip, w.nodePort, 'timeout');
      await expectConnections(c, c.nodes[1]!.ip, w.nodePort, 'delivered', ['web-1']);
      const d = await diagnose(c, w.namespace, w.name);
      const f = top(d, 'netpol-blocks-snated-source');
      // The finding is about the ingress node whose SNAT the policy refuses (node-a); the pod's own
      // node, where connections pass, is the working one.
      assert.equal(f.node, 'node-a', findingsText(d.report));
      assert.deepEqual(f.workingNodes, ['node-b'], findingsText(d.report));
      assert.ok(f.message.includes(`enter through node-a (${c.nodes[0]!.ip})`) && f.message.includes(`masqueraded to ${c.nodes[0]!.ip}`), f.message);
      assert.ok(f.evidence.some((e) => e.kind === 'object' && e.ref === `NetworkPolicy ${w.namespace}/clients-only`), JSON.stringify(f.evidence));
    });
  });
}
