/**
 * Which kube-proxy mode is asked for and which one a node runs, case by case over scenario-kit
 * clusters: the ConfigMap's `mode` (empty is iptables), and what each node's own state shows.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClusterModel } from '../../src/model/cluster.js';
import { configuredMode, observedModes } from '../../src/model/proxy-mode.js';
import { baseCluster, buildScenarioSnapshot, updateNode, type ClusterSpec, type KubeProxyMode } from '../support/scenario-kit/index.js';

function cluster(mode: KubeProxyMode, edit: (s: ClusterSpec) => void = () => undefined): ClusterModel {
  const spec = baseCluster({ kubernetesVersion: 'v1.34.1' });
  spec.kubeProxy.mode = mode;
  edit(spec);
  return new ClusterModel(buildScenarioSnapshot(spec));
}

describe('observedModes: what a node\'s state shows', () => {
  const cases: [string, ClusterModel, string, [string, RegExp][] | null][] = [
    ['iptables mode: KUBE-NODEPORTS and KUBE-SVC-* chains', cluster('iptables'), 'node-1', [['iptables', /^nat KUBE-NODEPORTS \/ KUBE-SVC-\* chains in node-1:iptables-nft-save$/]]],
    ['nftables mode: table ip kube-proxy', cluster('nftables'), 'node-1', [['nftables', /^nft table ip kube-proxy \(\d+ chains\)$/]]],
    ['ipvs mode: virtual services and KUBE-NODE-PORT', cluster('ipvs'), 'node-2', [['ipvs', /^\d+ IPVS virtual services and nat chain KUBE-NODE-PORT$/]]],
    ['a node whose kube-proxy still runs iptables mode after the ConfigMap moved to nftables',
      cluster('nftables', (s) => updateNode(s, 'node-3', { kubeProxy: { mode: 'iptables' } })), 'node-3', [['iptables', /KUBE-NODEPORTS/]]],
    ['a stale iptables copy beside nftables mode: both show',
      cluster('nftables', (s) => updateNode(s, 'node-2', { splitBackend: { staleKubeProxy: { backend: 'legacy' } } })), 'node-2',
      [['nftables', /table ip kube-proxy/], ['iptables', /node-2:iptables-legacy-save/]]],
    ['no kube-proxy running: no mode at all', cluster('iptables', (s) => updateNode(s, 'node-2', { kubeProxy: { running: false } })), 'node-2', []],
    ['a node not reached: unknown', cluster('iptables', (s) => updateNode(s, 'node-3', { access: false })), 'node-3', null],
  ];
  for (const [name, m, node, want] of cases) {
    test(name, () => {
      const got = observedModes(m, node, 4);
      if (want === null) {
        assert.equal(got, null);
        return;
      }
      assert.deepEqual(got?.map((o) => o.mode), want.map(([mode]) => mode));
      got?.forEach((o, i) => assert.match(o.evidence, want[i]![1]));
    });
  }
});

describe('configuredMode: what the ConfigMap asks for', () => {
  /** Where gathering read the configuration (src/collect/kube/kube-proxy-config.ts). */
  const SOURCE = 'ConfigMap kube-system/kube-proxy config.conf';
  const unread = (): ClusterModel => {
    const snapshot = buildScenarioSnapshot(baseCluster());
    snapshot.cluster.kubeProxy.config = null;
    return new ClusterModel(snapshot);
  };
  const cases: [string, () => ClusterModel, { mode: string; source: string } | null][] = [
    ['iptables', () => cluster('iptables'), { mode: 'iptables', source: SOURCE }],
    ['nftables', () => cluster('nftables'), { mode: 'nftables', source: SOURCE }],
    ['an empty mode is iptables on Linux', () => {
      const m = cluster('iptables');
      m.kubeProxy!.mode = '';
      return m;
    }, { mode: 'iptables', source: SOURCE }],
    ['an unknown mode is passed on as written', () => {
      const m = cluster('iptables');
      m.kubeProxy!.mode = 'kernelspace';
      return m;
    }, { mode: 'kernelspace', source: SOURCE }],
    ['no configuration read', unread, null],
  ];
  for (const [name, m, want] of cases) test(name, () => assert.deepEqual(configuredMode(m()), want));
});
