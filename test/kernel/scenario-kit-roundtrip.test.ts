/**
 * The scenario kit against the real kernel: every node's rules of the base cluster and of knob
 * variants load with iptables-nft-restore / iptables-legacy-restore, ip6tables-*-restore in a
 * dual-stack cluster, and `nft -f` (kube-proxy's `table ip kube-proxy` and `table ip6 kube-proxy`
 * in nftables mode, firewalld's `table inet firewalld`), the save tools and
 * `nft -j list ruleset` print exactly what the kit renders on its own (so pure snapshots are what a
 * node would print), and the round-tripped dumps walk to the same outcomes. Root only.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { parseIptablesSave } from '../../src/engine/iptables/parse.js';
import type { Packet } from '../../src/engine/packet/contract.js';
import { walk } from '../../src/engine/walk/walk.js';
import { findNode, nodeView } from '../../src/model/node-view.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import {
  baseCluster, buildScenarioSnapshot, buildScenarioSnapshotFromKernel, deploymentPods, dropNodePortRange, dualStack, firewalld, firewalldNft, nodeRestoreInput,
  roundTrip, service, ufw, updateNode, updatePods, updateService, type ClusterSpec, type KubeProxyMode, type NftablesLayout,
} from '../support/scenario-kit/index.js';
import { run } from './lab/exec.js';
import { labGate, missingPrerequisites } from './lab/prereq.js';

const VARIANTS: Record<string, () => ClusterSpec> = {
  'base cluster': () => baseCluster(),
  'externalTrafficPolicy Local': () => updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' }),
  nodePortAddresses: () => {
    const s = baseCluster();
    s.kubeProxy.nodePortAddresses = ['192.168.1.0/24'];
    return s;
  },
  'legacy backend': () => {
    const s = baseCluster();
    for (const n of s.nodes) n.iptablesBackend = 'legacy';
    return s;
  },
  'split backends with a stale kube-proxy copy': () =>
    updateNode(baseCluster(), 'node-2', { splitBackend: { kubelet: 'legacy', staleKubeProxy: { backend: 'legacy', endpoints: { 'shop/frontend': [{ ip: '10.244.1.9', node: 'node-2' }] } } } }),
  'ufw, firewalld, a range DROP, ip-masq-agent': () => {
    const s = baseCluster({ ipMasqAgent: {} });
    updateNode(s, 'node-1', { hostFirewall: ufw({ allow: ['22/tcp', '6443/tcp'] }) });
    updateNode(s, 'node-2', { hostFirewall: firewalld({ ports: ['10250/tcp'] }) });
    const hardening = dropNodePortRange().filter?.append ?? [];
    updateNode(s, 'node-3', { hostFirewall: { filter: { append: [...hardening, '-A INPUT -s 198.51.100.0/24 -m comment --comment blocked_range -j REJECT'] } }, forwardPolicy: 'DROP' });
    return s;
  },
  'LoadBalancer, affinity, UDP, no endpoints, iTP Local': () => {
    const s = baseCluster();
    s.services.push(service('shop', 'lb', {
      type: 'LoadBalancer', ports: [{ name: 'https', port: 443, targetPort: 8443, nodePort: 31443 }], selector: { app: 'lb' }, externalTrafficPolicy: 'Local',
      loadBalancerIngress: ['198.51.100.10'], loadBalancerSourceRanges: ['192.168.0.0/16', '203.0.113.0/24'], sessionAffinity: 'ClientIP', externalIPs: ['192.168.1.200'],
    }));
    s.pods.push(...deploymentPods(s, 'shop', 'lb', { nodes: ['node-1', 'node-2', 'node-3'], ports: [{ name: 'https', containerPort: 8443 }] }));
    s.services.push(service('shop', 'syslog', { ports: [{ port: 514, targetPort: 5140, protocol: 'UDP', nodePort: 30514 }], selector: { app: 'syslog' } }));
    s.pods.push(...deploymentPods(s, 'shop', 'syslog', { nodes: ['node-2'], ports: [{ containerPort: 5140, protocol: 'UDP' }] }));
    s.services.push(service('shop', 'empty', { ports: [{ name: 'http', port: 80, nodePort: 30099 }], selector: { app: 'nothing' } }));
    s.services.push(service('shop', 'local-only', { ports: [{ name: 'http', port: 80, targetPort: 'http' }], selector: { app: 'frontend' }, internalTrafficPolicy: 'Local' }));
    return s;
  },
  calico: () => baseCluster({ cni: 'calico' }),
  'kube-proxy knobs': () => {
    const s = updateService(baseCluster(), 'shop/frontend', { externalTrafficPolicy: 'Local' });
    s.kubeProxy.masqueradeAll = true;
    updateNode(s, 'node-1', { kubeProxy: { hostnameOverride: 'wrong-name', localhostNodePorts: false } });
    updateNode(s, 'node-2', { kubeProxy: { noMasqueradeRule: true, masqueradeBit: 15, ctInvalidDrop: false, missingNodePort: true } });
    updateNode(s, 'node-3', { kubeProxy: { running: false } });
    return s;
  },
  'iptables version skew': () => updateNode(baseCluster(), 'node-3', { iptablesVersionSkew: true }),
  'firewalld with the nftables backend, kube-proxy in iptables mode': () => {
    const s = baseCluster();
    updateNode(s, 'node-2', { hostFirewall: firewalldNft({ ports: ['6443/tcp', '10250/tcp', '30000-32767/tcp'] }) });
    updateNode(s, 'node-3', { hostFirewall: { ...firewalldNft({ forward: false }), ...dropNodePortRange() } });
    return s;
  },
};

/**
 * A dual-stack cluster with every IPv6 case: a PreferDualStack eTP Local frontend, a SingleStack
 * IPv6 Service, a RequireDualStack LoadBalancer with an IPv6 VIP, IPv6 source ranges and affinity,
 * a UDP one with no endpoints; per node nodePortAddresses of both families, `primary`, a host
 * firewall and FORWARD policy in ip6tables, IPv6 forwarding off, the v6 proxier's missing NodePort.
 */
function dualStackCluster(mode: KubeProxyMode, layout: NftablesLayout = 'v1.34'): () => ClusterSpec {
  return () => {
    const s = dualStack(baseCluster({ kubernetesVersion: layout === 'v1.33' ? 'v1.33.5' : layout === 'v1.37' ? 'v1.37.2' : 'v1.34.1' }));
    s.kubeProxy.mode = mode;
    s.kubeProxy.nftablesLayout = layout;
    updateService(s, 'shop/frontend', { ipFamilyPolicy: 'PreferDualStack', externalTrafficPolicy: 'Local' });
    s.services.push(service('shop', 'v6only', { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'], ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30082 }], selector: { app: 'frontend' } }));
    s.services.push(service('shop', 'lb', {
      type: 'LoadBalancer', ipFamilyPolicy: 'RequireDualStack', ports: [{ name: 'https', port: 443, targetPort: 8443, nodePort: 31443 }], selector: { app: 'lb' },
      loadBalancerIngress: ['198.51.100.10', '2001:db8:100::10'], loadBalancerSourceRanges: ['203.0.113.0/24', '2001:db8:7::/48', 'fd00:192:168:1::/64'], sessionAffinity: 'ClientIP',
      externalIPs: ['2001:db8:200::1'],
    }));
    s.pods.push(...deploymentPods(s, 'shop', 'lb', { nodes: ['node-2', 'node-3'], ports: [{ name: 'https', containerPort: 8443 }] }));
    s.services.push(service('shop', 'empty', { ipFamilyPolicy: 'PreferDualStack', ipFamilies: ['IPv6'], ports: [{ port: 514, protocol: 'UDP', nodePort: 30514 }], selector: { app: 'nothing' } }));
    updateNode(s, 'node-1', { kubeProxy: { nodePortAddresses: ['192.168.1.0/24', 'fd00:192:168:1::/64', '::1/128'] }, sysctls: { ipv6Forwarding: false } });
    updateNode(s, 'node-2', {
      kubeProxy: { nodePortAddresses: ['primary'], missingNodePort6: ['shop/v6only'] },
      hostFirewall6: { filter: { append: ['-A INPUT -p tcp -m tcp --dport 30000:32767 -j DROP'] } }, forwardPolicy6: 'DROP',
      extraAddresses: [{ iface: 'eth0', ip: 'fd00:192:168:1::202', prefix: 64 }],
    });
    return s;
  };
}

Object.assign(VARIANTS, {
  'dual-stack, iptables mode': dualStackCluster('iptables'),
  'dual-stack, nftables v1.33': dualStackCluster('nftables', 'v1.33'),
  'dual-stack, nftables v1.34': dualStackCluster('nftables', 'v1.34'),
  'dual-stack, nftables v1.37': dualStackCluster('nftables', 'v1.37'),
});

/** The base cluster with kube-proxy in nftables mode, then `edit`. */
function nftablesCluster(layout: NftablesLayout, edit: (s: ClusterSpec) => void = () => undefined): () => ClusterSpec {
  return () => {
    const s = baseCluster({ kubernetesVersion: layout === 'v1.33' ? 'v1.33.5' : 'v1.34.1' });
    s.kubeProxy.mode = 'nftables';
    s.kubeProxy.nftablesLayout = layout;
    edit(s);
    return s;
  };
}

for (const layout of ['v1.33', 'v1.34'] as const) {
  Object.assign(VARIANTS, {
    [`nftables ${layout}: base cluster (nodePortAddresses unset: primary)`]: nftablesCluster(layout),
    [`nftables ${layout}: eTP Local, no endpoints, affinity, LoadBalancer source ranges, UDP, iTP Local, terminating`]: nftablesCluster(layout, (s) => {
      updateService(s, 'shop/frontend', { externalTrafficPolicy: 'Local' });
      s.services.push(service('shop', 'lb', {
        type: 'LoadBalancer', ports: [{ name: 'https', port: 443, targetPort: 8443, nodePort: 31443 }], selector: { app: 'lb' }, externalTrafficPolicy: 'Local',
        loadBalancerIngress: ['198.51.100.10'], loadBalancerSourceRanges: ['203.0.113.0/24', '192.168.0.0/16'], sessionAffinity: 'ClientIP', externalIPs: ['192.168.1.200'],
      }));
      s.pods.push(...deploymentPods(s, 'shop', 'lb', { nodes: ['node-2', 'node-3', 'node-3'], ports: [{ name: 'https', containerPort: 8443 }] }));
      s.services.push(service('shop', 'sticky', { ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30081 }], selector: { app: 'frontend' }, sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 }));
      s.services.push(service('shop', 'syslog', { ports: [{ port: 514, targetPort: 5140, protocol: 'UDP', nodePort: 30514 }], selector: { app: 'syslog' } }));
      s.pods.push(...deploymentPods(s, 'shop', 'syslog', { nodes: ['node-2'], ports: [{ containerPort: 5140, protocol: 'UDP' }] }));
      s.services.push(service('shop', 'empty', { ports: [{ name: 'http', port: 80, nodePort: 30099 }], selector: { app: 'nothing' }, externalIPs: ['192.168.1.201'] }));
      s.services.push(service('shop', 'empty-lb', { type: 'LoadBalancer', ports: [{ name: 'http', port: 80, nodePort: 30098 }], selector: { app: 'nothing' }, loadBalancerIngress: ['198.51.100.11'], loadBalancerSourceRanges: ['10.0.0.0/8'] }));
      s.services.push(service('shop', 'local-only', { ports: [{ name: 'http', port: 80, targetPort: 'http' }], selector: { app: 'frontend' }, internalTrafficPolicy: 'Local' }));
      updatePods(s, 'shop', { app: 'backend' }, { terminating: true });
    }),
    [`nftables ${layout}: nodePortAddresses match-all, CIDR, primary, primary not on any interface`]: nftablesCluster(layout, (s) => {
      updateNode(s, 'node-1', { kubeProxy: { nodePortAddresses: ['0.0.0.0/0'] } });
      updateNode(s, 'node-2', { kubeProxy: { nodePortAddresses: ['192.168.1.0/24', '127.0.0.0/8'] }, extraAddresses: [{ iface: 'eth0', ip: '192.168.1.202', prefix: 24 }, { iface: 'eth1', ip: '172.16.0.2', prefix: 24 }] });
      updateNode(s, 'node-3', { kubeProxy: { nodePortAddresses: ['primary'] }, internalIP: '10.0.2.15' });
    }),
    [`nftables ${layout}: kube-proxy knobs, mixed modes and layouts, firewalld nftables backend, ip-masq-agent`]: nftablesCluster(layout, (s) => {
      s.kubeProxy.masqueradeAll = true;
      s.kubeProxy.masqueradeBit = 12;
      s.ipMasqAgent = {};
      updateService(s, 'shop/frontend', { externalTrafficPolicy: 'Local' });
      // A wrong node name: no endpoint is local, and `primary` finds no Node, so every local address takes NodePorts.
      updateNode(s, 'node-1', { kubeProxy: { hostnameOverride: 'wrong-name', nftablesLayout: layout === 'v1.33' ? 'v1.34' : 'v1.33' } });
      updateNode(s, 'node-2', { kubeProxy: { noMasqueradeRule: true, masqueradeBit: 15, missingNodePort: true }, hostFirewall: firewalldNft({ ports: ['10250/tcp'] }) });
      updateNode(s, 'node-3', { kubeProxy: { mode: 'iptables', staleEndpoints: { 'shop/frontend': [{ ip: '10.244.2.9', node: 'node-3' }] } }, hostFirewall: firewalldNft() });
    }),
  });
}

const DUMPS = ['iptables-nft-save', 'iptables-legacy-save', 'iptables-save', 'ip6tables-nft-save', 'ip6tables-legacy-save', 'ip6tables-save', 'nft-ruleset'];

/** Every walk outcome of a client connecting to the node's NodePort 30080 (over IPv6: to its global IPv6 address, if it has one). */
function outcomes(snapshot: Snapshot, node: string, family: 4 | 6 = 4): unknown {
  const state = findNode(snapshot, node);
  const view = nodeView(state, family);
  // Every rule is checked at load (validate.ts), not only those the packet reaches.
  const rulesets = view.dumps.map((d) => parseIptablesSave(d.text, { source: d.source }));
  const dst = family === 4 ? state.address ?? '' : view.context.localIps.find((ip) => ip.startsWith('fd00:192:'))?.split('/')[0] ?? '';
  const packet: Packet = { src: family === 4 ? '203.0.113.7' : '2001:db8:7::7', dst, proto: 'tcp', sport: 40000, dport: 30080, inIface: 'eth0' };
  return walk(rulesets, view.context, packet).outcomes.map((o) => ({ ...o, hops: o.hops.map((h) => `${h.table}/${h.chain} ${h.rule ?? h.action}`) }));
}

async function kitNamespaces(): Promise<string[]> {
  const { stdout } = await run('ip', ['netns', 'list']);
  return stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith(`npd-kit-${process.pid}-`));
}

if (labGate('scenario kit kernel round trip', missingPrerequisites(), 'root and iptables-nft/-legacy restore and save, nft, ip')) {
  describe('scenario kit: kernel round trip', () => {
    after(async () => assert.deepEqual(await kitNamespaces(), [], 'every namespace was deleted'));

    test('kube-proxy\'s nftables transaction loads as nft -f input and names chains as kube-proxy does', () => {
      const text = nodeRestoreInput(nftablesCluster('v1.34')(), 'node-2').nftablesLate;
      assert.match(text, /^add table ip kube-proxy \{ comment "rules for kube-proxy" ; \}$/m);
      // The hashes of kube-dns's ports are every cluster's (seen on live clusters too).
      assert.match(text, /^add element ip kube-proxy service-ips \{ 10\.96\.0\.10 \. tcp \. 53 : goto service-NWBZK7IH-kube-system\/kube-dns\/tcp\/dns-tcp \}$/m);
      assert.match(text, /^add element ip kube-proxy nodeport-ips \{ 192\.168\.1\.102 \}$/m);
      assert.equal(nodeRestoreInput(baseCluster(), 'node-2').nftablesLate, '');
    });

    test('roundTrip prints what the kernel holds, counters and today\'s date included', async () => {
      const text = '*filter\n:KUBE-TEST - [0:0]\n-A KUBE-TEST -m comment --comment x -m tcp -p tcp -d 10.0.0.1 --dport 80 -j REJECT\nCOMMIT\n';
      const saved = await roundTrip(text, 'legacy');
      assert.match(saved, /^# Generated by iptables-save v1\.8\.9 on /);
      // A comment of plain word characters is printed bare.
      assert.match(saved, /^-A KUBE-TEST -d 10\.0\.0\.1\/32 -p tcp -m comment --comment x -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable$/m);
      assert.equal(await roundTrip('', 'nft'), '');
    });

    for (const [name, make] of Object.entries(VARIANTS)) {
      test(`${name}: the kernel prints exactly the kit's dumps, and they walk the same`, async () => {
        const pure = buildScenarioSnapshot(make());
        const kernel = await buildScenarioSnapshotFromKernel(make());
        for (const node of pure.nodes) {
          const k = findNode(kernel, node.name);
          for (const id of DUMPS) assert.equal(k.commands[id]?.stdout, node.commands[id]?.stdout, `${node.name} ${id}`);
          assert.deepEqual(outcomes(kernel, node.name), outcomes(pure, node.name), `${node.name}: walk outcomes`);
          if (name.startsWith('dual-stack')) assert.deepEqual(outcomes(kernel, node.name, 6), outcomes(pure, node.name, 6), `${node.name}: IPv6 walk outcomes`);
        }
        assert.deepEqual(kernel, pure);
      });
    }
  });
}
