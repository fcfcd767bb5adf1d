/**
 * Which dataplane replaces kube-proxy on a node (model/proxy-replacement.ts), over scenario-kit
 * clusters edited the way each dataplane leaves a node, and the Cilium agent's service table as
 * np-doctor reads it (model/cilium-services.ts): bounded, untrusted, and "unknown, because …" when
 * it cannot be read.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ciliumTableOn } from '../../src/model/cilium-services.js';
import { ClusterModel } from '../../src/model/cluster.js';
import { proxyReplacementOn, replayBlockedBy } from '../../src/model/proxy-replacement.js';
import type { AgentOutput, Snapshot } from '../../src/snapshot/schema.js';
import { addLink, kubeRouter } from '../checks/replacement-edits.js';
import { editRules, nodeCommand } from '../checks/snapshot-edits.js';
import { baseCluster, buildScenarioSnapshot, ciliumCluster, updateNode, type ClusterSpec } from '../support/scenario-kit/index.js';

function snapshotOf(edit: (s: ClusterSpec) => void = () => undefined, after: (s: Snapshot) => void = () => undefined): ClusterModel {
  const spec = baseCluster();
  edit(spec);
  const s = buildScenarioSnapshot(spec);
  after(s);
  return new ClusterModel(s);
}

const nameOn = (c: ClusterModel, node: string) => proxyReplacementOn(c, node)?.name ?? null;

describe('proxyReplacementOn', () => {
  test('kube-proxy everywhere: nothing replaces it', () => {
    const c = snapshotOf();
    assert.deepEqual(['node-1', 'node-2', 'node-3'].map((n) => nameOn(c, n)), [null, null, null]);
    assert.equal(replayBlockedBy(c, 'node-1'), null);
  });

  test('Cilium with kube-proxy-replacement "true": every node, with its evidence, and the replay is blocked with the command that shows more', () => {
    const c = snapshotOf((s) => ciliumCluster(s));
    const r = proxyReplacementOn(c, 'node-2');
    assert.equal(r?.name, 'Cilium');
    assert.deepEqual(r?.evidence, ['cilium-config kube-proxy-replacement: true', 'agent pod cilium-eeeda', 'link cilium_host', 'link cilium_net', 'no kube-proxy rules']);
    assert.equal(replayBlockedBy(c, 'node-2'),
      'Cilium replaces kube-proxy on node-2: NodePorts are translated in eBPF, which np-doctor cannot replay; `kubectl -n kube-system exec cilium-eeeda -c cilium-agent -- cilium-dbg service list` shows how Cilium handles the Service');
  });

  test('Cilium\'s replacement on while kube-proxy still runs on node-2: Cilium handles NodePorts (its eBPF runs before netfilter)', () => {
    const c = snapshotOf((s) => { ciliumCluster(s); updateNode(s, 'node-2', { kubeProxy: { running: true } }); });
    assert.equal(nameOn(c, 'node-2'), 'Cilium');
    assert.ok(!proxyReplacementOn(c, 'node-2')?.evidence.includes('no kube-proxy rules'));
  });

  test('Cilium without a readable cilium-config: replaced where kube-proxy\'s rules are absent, not where they are', () => {
    const c = snapshotOf((s) => { ciliumCluster(s); updateNode(s, 'node-2', { kubeProxy: { running: true } }); }, (s) => {
      s.cluster.proxyReplacement!.ciliumConfig = null;
    });
    assert.deepEqual(['node-1', 'node-2'].map((n) => nameOn(c, n)), ['Cilium', null]);
  });

  test('Cilium with "false" is only the CNI, even where kube-proxy is missing', () => {
    const c = snapshotOf((s) => ciliumCluster(s, { kubeProxyReplacement: 'false' }));
    assert.equal(nameOn(c, 'node-1'), null);
  });

  test('a node not reached: the API alone decides (cilium-config and the agent pod on it)', () => {
    const c = snapshotOf((s) => { ciliumCluster(s); updateNode(s, 'node-3', { access: false }); });
    assert.equal(c.nodeDataOf('node-3').unavailable !== null, true);
    assert.deepEqual(proxyReplacementOn(c, 'node-3')?.evidence, ['cilium-config kube-proxy-replacement: true', 'agent pod cilium-bccda']);
  });

  test('kube-router: its agent and kube-dummy-if where kube-proxy does not run; KUBE-ROUTER-SERVICES alone also shows it', () => {
    const c = snapshotOf((s) => updateNode(s, 'node-1', { kubeProxy: { running: false } }), kubeRouter);
    assert.deepEqual(['node-1', 'node-2'].map((n) => nameOn(c, n)), ['kube-router', null]);
    const chainOnly = snapshotOf((s) => updateNode(s, 'node-1', { kubeProxy: { running: false } }), (s) => {
      editRules(s, 'node-1', (l) => (l === '*filter' ? `${l}\n:KUBE-ROUTER-SERVICES - [0:0]` : l));
    });
    assert.deepEqual(proxyReplacementOn(chainOnly, 'node-1')?.evidence, ['chain KUBE-ROUTER-SERVICES']);
  });

  test('OVN-Kubernetes: ovn-k8s-mp0, OVN-KUBE-* chains or table inet ovn-kubernetes; br-int alone is any OVS', () => {
    const bridge = snapshotOf(() => undefined, (s) => addLink(s, 'node-1', 'br-int'));
    assert.equal(nameOn(bridge, 'node-1'), null);
    const chains = snapshotOf(() => undefined, (s) => editRules(s, 'node-2', (l) => (l === '*nat' ? `${l}\n:OVN-KUBE-NODEPORT - [0:0]` : l)));
    assert.deepEqual(proxyReplacementOn(chains, 'node-2')?.evidence, ['OVN-KUBE-* chains']);
    const nft = snapshotOf(() => undefined, (s) => {
      const out = nodeCommand(s, 'node-3', 'nft-ruleset');
      const doc = JSON.parse(out.stdout) as { nftables: unknown[] };
      doc.nftables.push({ table: { family: 'inet', name: 'ovn-kubernetes', handle: 90 } });
      out.stdout = JSON.stringify(doc);
    });
    assert.equal(proxyReplacementOn(nft, 'node-3')?.name, 'OVN-Kubernetes');
    assert.match(replayBlockedBy(nft, 'node-3') ?? '', /OVN load balancers in OVS flows, which np-doctor cannot replay; `kubectl -n ovn-kubernetes exec <ovnkube-node pod> -c nbdb -- ovn-nbctl lb-list`/);
  });
});

describe('ciliumTableOn: the agent\'s service table, untrusted', () => {
  const out = (o: Partial<AgentOutput>): AgentOutput[] => [{
    node: 'node-1', pod: 'cilium-abcde', container: 'cilium-agent', argv: ['cilium-dbg', 'service', 'list', '-o', 'json'], stdout: '[]', stderr: '', exitCode: 0, ...o,
  }];
  const why = (outputs: AgentOutput[] | undefined) => {
    const t = ciliumTableOn(outputs, 'node-1');
    return t.state === 'unknown' ? t.why : `read ${t.services.length}`;
  };

  test('not asked, or not on this node', () => {
    assert.equal(why(undefined), 'the agent was not asked (gather with --exec-agent)');
    assert.equal(ciliumTableOn(out({}), 'node-2').state, 'unknown');
  });

  test('a failed, cut or garbled output is unknown, with what went wrong', () => {
    assert.match(why(out({ exitCode: 1, stderr: 'Error: cannot connect to the agent socket\n' })), /failed \(exit 1\): Error: cannot connect to the agent socket$/);
    assert.match(why(out({ exitCode: null, truncated: { stdout: true, stderr: false, limitBytes: 1024 } })), /printed more than 1024 bytes and was cut$/);
    assert.match(why(out({ stdout: 'ID   Frontend   Service Type   Backend\n' })), /did not print JSON/);
    assert.match(why(out({ stdout: JSON.stringify([{ spec: { 'frontend-address': { ip: '0.0.0.0', port: 70000 } } }]) })), /unexpected table: 0\.spec\.frontend-address\.port: /);
    const many = Array.from({ length: 10_001 }, (_, i) => ({ ip: '10.0.0.1', port: i }));
    assert.match(why(out({ stdout: JSON.stringify([{ spec: { 'frontend-address': { ip: '0.0.0.0', port: 1 }, 'backend-addresses': many } }]) })), /unexpected table: 0\.spec\.backend-addresses: /);
  });

  test('an older agent without backend states: every backend is active; extra fields are kept out of the way', () => {
    const t = ciliumTableOn(out({
      stdout: JSON.stringify([{ spec: { id: 7, 'frontend-address': { ip: '0.0.0.0', port: 30080, protocol: 'TCP' }, 'backend-addresses': [{ ip: '10.244.1.2', port: 8080 }], flags: { type: 'NodePort', extTrafficPolicy: 'Cluster' } }, status: { realized: {} } }]),
    }), 'node-1');
    assert.deepEqual(t, {
      state: 'read', pod: 'cilium-abcde', command: 'kubectl -n kube-system exec cilium-abcde -c cilium-agent -- cilium-dbg service list -o json',
      services: [{ frontend: { ip: '0.0.0.0', port: 30080, protocol: 'tcp' }, type: 'NodePort', service: null, backends: [{ ip: '10.244.1.2', port: 8080, state: 'active' }] }],
    });
  });
});
