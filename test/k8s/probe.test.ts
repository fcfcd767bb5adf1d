/**
 * Issue 16's acceptance against the real Kubernetes, through the built CLI over SSH: what the pods
 * really listen on (their own network namespaces' sockets, read passively), and what the wire
 * really does (--probe), each the top finding with its evidence and exit 1:
 *   - from the sockets alone: a targetPort the pods do not listen on, an app on 127.0.0.1 only, an
 *     app on UDP where the Service port is TCP;
 *   - with --probe: the cloud firewall (firewall.ts), the broken overlay (network.ts), and the
 *     replay contradicted by the wire (the node's rules change right after np-doctor read them,
 *     late-drop.ts);
 *   - a healthy Service with --probe: no finding, every probe connected; and the connections the
 *     pods' listeners receive: none without --probe, one per connected probe with it.
 * The newest release only, in both kube-proxy modes: probes and sockets are below kube-proxy, but
 * the replay they are reconciled with reads each mode's own rules; the older release's rules are
 * covered by diagnose.test.ts and kit-vs-real.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Listen } from '../kernel/lab/servers.js';
import { pinnedVersions } from '../support/k8s-lab/binaries.js';
import type { RealCluster } from '../support/k8s-lab/cluster.js';
import { NODE_PORT_RANGE } from '../support/k8s-lab/firewall.js';
import { LATE_DROP_TABLE } from '../support/k8s-lab/late-drop.js';
import { realClusterSuites } from '../support/k8s-lab/suite.js';
import { expectConnections } from './lib/connect.js';
import { assertPodSocketsShown, probeEvidence } from './lib/evidence.js';
import { logMark, silentConnections } from './lib/listeners.js';
import { diagnose, findingsText, reportProbes, type Diagnosis } from './lib/np-doctor.js';
import { waitServing } from './lib/sync.js';
import { top } from './lib/top.js';
import { APP_PORT, deployWeb, type Web } from './lib/web.js';

const SEQUENTIAL = { concurrency: 1 };
const tcp = (host: string, port: number): Listen => ({ proto: 'tcp', host, port });

const probe = (c: RealCluster, web: Web): Promise<Diagnosis> => diagnose(c, web.namespace, web.name, ['--probe']);

/** The top finding is one of `ids` (the sockets' owner decides which check names a cause both could). */
function topOf(d: Diagnosis, ids: string[]) {
  assert.equal(d.code, 1, `exit code: ${d.stderr}\n${findingsText(d.report)}`);
  const f = d.report.findings[0];
  assert.ok(f !== undefined && ids.includes(f.id), `top finding, want ${ids.join(' or ')}:\n${findingsText(d.report)}`);
  assert.equal(f.severity, 'error');
  return f;
}

realClusterSuites('np-doctor reads the pods\' sockets and probes the wire (issue 16)', (cluster) => {
  describe('from the pods\' sockets alone, without --probe', SEQUENTIAL, () => {
    test('targetPort 8081 where the pods listen on 8080: the sockets prove the mismatch, naming 8080/TCP', async () => {
      const c = cluster();
      const web = await deployWeb(c, { namespace: 'sock-port', targetPort: 8081, pods: [{ node: 1, listen: [tcp('0.0.0.0', APP_PORT)] }] });
      await waitServing(c, web, 8081);
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'refused');
      const d = await diagnose(c, web.namespace, web.name);
      const f = topOf(d, ['target-port-mismatch', 'backend-not-listening']);
      assert.match(f.message, /8080\/TCP/);
      assert.match(f.message, /8081/);
      await assertPodSocketsShown(c, f, web.pods[0]!);
      assert.equal(reportProbes(d.report), undefined, 'no --probe: nothing sent');
    });

    test('the app listens on 127.0.0.1 only: backend-not-listening, with the pod\'s sockets', async () => {
      const c = cluster();
      const web = await deployWeb(c, { namespace: 'sock-loopback', pods: [{ node: 1, listen: [tcp('127.0.0.1', APP_PORT)] }] });
      await waitServing(c, web);
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'refused');
      const f = top(await diagnose(c, web.namespace, web.name), 'backend-not-listening');
      assert.match(f.message, /127\.0\.0\.1:8080/);
      await assertPodSocketsShown(c, f, web.pods[0]!);
    });

    test('the app listens on 8080/UDP where the Service port is TCP: backend-not-listening, with the pod\'s sockets', async () => {
      const c = cluster();
      const web = await deployWeb(c, { namespace: 'sock-udp', pods: [{ node: 1, listen: [{ proto: 'udp', host: '0.0.0.0', port: APP_PORT }] }] });
      await waitServing(c, web);
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'refused');
      const f = top(await diagnose(c, web.namespace, web.name), 'backend-not-listening');
      assert.match(f.message, /8080\/UDP/);
      await assertPodSocketsShown(c, f, web.pods[0]!);
    });
  });

  describe('with --probe, one pod on node-b, both nodes ingress', SEQUENTIAL, () => {
    let web: Web;
    /** Probes per run: from here and to itself per ingress node, and to each backend pod from each. */
    const expectedProbes = (c: RealCluster) => c.nodes.length * (2 + web.pods.length);

    test('healthy: no probe without --probe, no finding with it, every probe listed connected, one connection each at the pod', async () => {
      const c = cluster();
      web = await deployWeb(c, { namespace: 'wire', pods: [{ node: 1 }] });
      await waitServing(c, web);

      let mark = logMark(c);
      const quiet = await diagnose(c, web.namespace, web.name);
      assert.equal(quiet.code, 0, findingsText(quiet.report));
      assert.equal(reportProbes(quiet.report), undefined);
      assert.equal(await silentConnections(c, web.pods, APP_PORT, mark), 0, 'connections without --probe');

      mark = logMark(c);
      const d = await probe(c, web);
      assert.equal(d.code, 0, `${d.stderr}\n${findingsText(d.report)}`);
      assert.deepEqual(d.report.findings, []);
      const probes = reportProbes(d.report) ?? [];
      assert.equal(probes.length, expectedProbes(c), JSON.stringify(probes));
      assert.deepEqual(probes.filter((p) => p.result !== 'connected'), []);
      const kinds = (kind: string) => probes.filter((p) => p.kind === kind).map((p) => `${p.from}>${p.ip}:${p.port}`).sort();
      assert.deepEqual(kinds('client-to-node'), c.nodes.map((n) => `here>${n.ip}:${web.nodePort}`).sort());
      assert.deepEqual(kinds('node-to-self'), c.nodes.map((n) => `${n.name}>${n.ip}:${web.nodePort}`).sort());
      assert.deepEqual(kinds('node-to-pod'), c.nodes.map((n) => `${n.name}>${web.pods[0]!.ip}:${APP_PORT}`).sort());
      assert.equal(await silentConnections(c, web.pods, APP_PORT, mark), probes.length, 'one connection per connected probe');
    });

    test('the cloud firewall drops the NodePort range: nodeport-blocked-before-node, the probe from here timed out, the node\'s own connected', async () => {
      const c = cluster();
      await c.firewall.block();
      try {
        await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'timeout');
        const f = top(await probe(c, web), 'nodeport-blocked-before-node');
        for (const n of c.nodes) {
          assert.equal(probeEvidence(f, 'client-to-node', `${n.ip}:${web.nodePort}/TCP`).result, 'timed-out', `${n.name} from here`);
          assert.equal(probeEvidence(f, 'node-to-self', `${n.ip}:${web.nodePort}/TCP`).result, 'connected', `${n.name} to itself`);
          assert.ok(f.message.includes(n.name), `the message names ${n.name}`);
        }
        assert.match(f.message, new RegExp(`${web.nodePort}`));
        assert.match(f.message, new RegExp(NODE_PORT_RANGE.replace('-', '[-–]')));
      } finally {
        await c.firewall.unblock();
      }
    });

    test('the overlay drops pod traffic between nodes: overlay-blocked, node-a\'s replay reaching the pod on node-b where its probe timed out', async () => {
      const c = cluster();
      await c.overlay.block();
      try {
        await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'timeout');
        await expectConnections(c, c.nodes[1]!.ip, web.nodePort, 'delivered', ['web-1']);
        const d = await probe(c, web);
        assert.deepEqual(d.report.verdict.nodes.map((n) => [n.node, n.result]), [['node-a', 'delivered'], ['node-b', 'delivered']], 'the replay');
        const f = top(d, 'overlay-blocked');
        for (const n of c.nodes) assert.ok(f.message.includes(n.name), `the message names ${n.name}: ${f.message}`);
        const e = probeEvidence(f, 'node-to-pod', `${web.pods[0]!.ip}:${APP_PORT}/TCP`);
        assert.deepEqual([e.from, e.result], ['node-a', 'timed-out']);
      } finally {
        await c.overlay.unblock();
      }
    });

    test('node-a\'s rules change right after np-doctor read them: replay-contradicts-wire, never hidden', async () => {
      const c = cluster();
      const undo = await c.dropAfterRead(0, web.nodePort);
      try {
        const d = await probe(c, web);
        assert.equal((await c.inNode(0, 'nft', ['list', 'table', 'inet', LATE_DROP_TABLE], { allowFail: true })).code, 0, 'the drop came after the read');
        assert.deepEqual(d.report.verdict.nodes.map((n) => [n.node, n.result]), [['node-a', 'delivered'], ['node-b', 'delivered']], 'the replay of the rules as read');
        const f = top(d, 'replay-contradicts-wire');
        assert.equal(f.node, 'node-a');
        assert.equal(probeEvidence(f, 'client-to-node', `${c.nodes[0]!.ip}:${web.nodePort}/TCP`).result, 'timed-out');
        assert.match(f.message + f.remediation.summary, /snapshot/i);
      } finally {
        await undo();
      }
      await expectConnections(c, c.nodes[0]!.ip, web.nodePort, 'delivered', ['web-1']);
    });
  });
}, { versions: pinnedVersions().slice(-1) });
