/**
 * What the kit-vs-real test compares: one cluster spec holding every case the kit can express
 * for kube-proxy, and the kube-proxy runs that read it (a node, a mode, a configuration).
 *
 * All cases live side by side in one cluster, so one control plane and one round of kube-proxies
 * cover them: Services are independent of each other in kube-proxy's rules, and the locality
 * cases come from the node a run stands for. Every run is a kube-proxy in a namespace of its own
 * holding that node's addresses; several runs may stand for the same node.
 *
 *   shop/frontend       NodePort, eTP Cluster (base cluster), pods on node-2 and node-3
 *   shop/backend        ClusterIP (base cluster)
 *   kube-system/kube-dns  several named ports, UDP too (base cluster)
 *   shop/local          NodePort eTP Local, one pod on node-2: local there, not on node-1/node-3
 *   shop/multi          NodePort, named ports http (TCP) and syslog (UDP, a named targetPort)
 *   shop/empty          NodePort whose selector matches nothing: no endpoints
 *   shop/draining       NodePort eTP Cluster, only terminating pods (deleted, no kubelet to
 *                       finish): one still Ready (serving), one not
 *   shop/draining-mixed NodePort, a ready pod and a terminating serving one (ready wins)
 *   shop/handoff        NodePort eTP Local, no selector: hand-written slices, serving+terminating
 *                       on node-1, not serving on node-2, a ready one on node-3 that is not local
 *                       to node-1 (so node-1 falls back to its terminating endpoint)
 *   shop/sticky         NodePort, sessionAffinity ClientIP (600 s), two pods
 *   shop/lb             LoadBalancer eTP Local (healthCheckNodePort), ingress VIP, source ranges
 *                       that hold the node network, externalIPs, pods on node-3
 *   shop/internal       ClusterIP, internalTrafficPolicy Local, pod on node-2
 *   shop/hostnet        NodePort to a hostNetwork pod on node-3
 *
 * Runs per mode: every node with the defaults (iptables: all addresses and localhost NodePorts;
 * nftables: `primary`), node-2 with CIDRs (the node network and loopback / the pod network),
 * node-3 with `primary` / 0.0.0.0/0 plus masqueradeAll, another masquerade bit and
 * conntrack.tcpBeLiberal, and a kube-proxy on node-3 whose node name finds no Node. node-2 has a
 * second address on eth0, so CIDRs and `primary` differ.
 */
import {
  baseCluster, deploymentPods, endpointSlice, pod, service, updateNode,
  type ClusterSpec, type KubeProxyMode, type NftablesLayout,
} from '../scenario-kit/index.js';

export interface KitRun {
  /** Short name for messages: `<mode> <node> <what>`. */
  name: string;
  node: string;
  mode: Exclude<KubeProxyMode, 'ipvs'>;
  /** The configuration this run's kube-proxy reads, applied to a copy of the cluster spec. */
  configure: (spec: ClusterSpec) => void;
}

const http = [{ name: 'http', containerPort: 8080, protocol: 'TCP' as const }];

/** The kit's nftables layout for a kube-proxy release. */
export function nftablesLayoutOf(version: string): NftablesLayout {
  const minor = Number(/^v1\.(\d+)\./.exec(version)?.[1] ?? NaN);
  if (minor === 36) throw new Error('the kit has no v1.36 nftables layout (v1.37 without the plain single-endpoint DNAT)');
  return minor >= 37 ? 'v1.37' : minor >= 34 ? 'v1.34' : 'v1.33';
}

export function comparisonCluster(version: string): ClusterSpec {
  const spec = baseCluster({ kubernetesVersion: version });
  spec.kubeProxy.nftablesLayout = nftablesLayoutOf(version);
  updateNode(spec, 'node-2', { extraAddresses: [{ iface: 'eth0', ip: '192.168.1.202', prefix: 24 }] });
  const add = (name: string, o: Parameters<typeof service>[2], pods: Parameters<typeof deploymentPods>[3] | null = { nodes: ['node-2'], ports: http }): void => {
    spec.services.push(service('shop', name, { selector: { app: name }, labels: { app: name }, ...o }));
    if (pods !== null) spec.pods.push(...deploymentPods(spec, 'shop', name, { ...pods, ports: pods.ports ?? http }));
  };

  add('local', { ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30081 }], externalTrafficPolicy: 'Local' });
  add('multi', {
    ports: [
      { name: 'http', port: 80, targetPort: 'http', nodePort: 30082 },
      { name: 'syslog', port: 514, targetPort: 'syslog', protocol: 'UDP', nodePort: 30514 },
    ],
  }, { nodes: ['node-1', 'node-3'], ports: [...http, { name: 'syslog', containerPort: 5140, protocol: 'UDP' }] });
  add('empty', { ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30083 }], selector: { app: 'nobody' } }, null);
  add('draining', { ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30084 }] }, null);
  // One deployment's pods, each with its own state (deploymentPods names the first replica the same each call).
  const replica = (name: string, node: string, state: { terminating?: boolean; ready?: boolean }, suffix: string): void => {
    spec.pods.push(...deploymentPods(spec, 'shop', name, { nodes: [node], ports: http, ...state }).map((p) => ({ ...p, name: `${p.name}${suffix}` })));
  };
  replica('draining', 'node-1', { terminating: true }, '');
  replica('draining', 'node-2', { terminating: true, ready: false }, '-x');
  add('draining-mixed', { ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30085 }] }, { nodes: ['node-1'] });
  replica('draining-mixed', 'node-2', { terminating: true }, '-x');

  spec.services.push(service('shop', 'handoff', { ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30086 }], externalTrafficPolicy: 'Local' }));
  spec.endpointSlicesOverride['shop/handoff'] = [endpointSlice('shop', 'handoff', [
    { ip: '10.244.0.50', node: 'node-1', ready: false, serving: true, terminating: true },
    { ip: '10.244.1.50', node: 'node-2', ready: false, serving: false, terminating: true },
    { ip: '10.244.2.50', node: 'node-3' },
  ], [{ name: 'http', port: 8080 }], { name: 'handoff-manual' })];

  add('sticky', { ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30087 }], sessionAffinity: 'ClientIP', sessionAffinityTimeoutSeconds: 600 }, { nodes: ['node-1', 'node-2'] });
  add('lb', {
    type: 'LoadBalancer',
    ports: [{ name: 'https', port: 443, targetPort: 'https', nodePort: 31443 }],
    externalTrafficPolicy: 'Local',
    healthCheckNodePort: 32100,
    loadBalancerIngress: ['198.51.100.10'],
    loadBalancerSourceRanges: ['203.0.113.0/24', '192.168.1.0/24'],
    externalIPs: ['192.168.1.250'],
  }, { nodes: ['node-3'], ports: [{ name: 'https', containerPort: 8443 }] });
  add('internal', { ports: [{ name: 'http', port: 80, targetPort: 'http' }], internalTrafficPolicy: 'Local' });
  spec.services.push(service('shop', 'hostnet', { ports: [{ name: 'metrics', port: 9100, targetPort: 9100, nodePort: 30091 }], selector: { app: 'hostnet' } }));
  spec.pods.push({ ...pod('shop', 'hostnet-node-3', { node: 'node-3', ip: null, labels: { app: 'hostnet' }, ports: [{ name: 'metrics', containerPort: 9100 }] }), hostNetwork: true });
  return spec;
}

const settings = (o: Partial<ClusterSpec['kubeProxy']>) => (s: ClusterSpec): void => {
  Object.assign(s.kubeProxy, o);
};

export function comparisonRuns(): KitRun[] {
  const runs: KitRun[] = [];
  for (const mode of ['iptables', 'nftables'] as const) {
    for (const node of ['node-1', 'node-2', 'node-3']) runs.push({ name: `${mode} ${node} defaults`, node, mode, configure: settings({ mode }) });
  }
  runs.push(
    { name: 'iptables node-2 nodePortAddresses 192.168.1.0/24,127.0.0.0/8', node: 'node-2', mode: 'iptables', configure: settings({ mode: 'iptables', nodePortAddresses: ['192.168.1.0/24', '127.0.0.0/8'] }) },
    {
      name: 'iptables node-3 primary, masqueradeAll, bit 12, tcpBeLiberal, no localhost NodePorts', node: 'node-3', mode: 'iptables',
      configure: settings({ mode: 'iptables', nodePortAddresses: ['primary'], masqueradeAll: true, masqueradeBit: 12, tcpBeLiberal: true, localhostNodePorts: false }),
    },
    { name: 'nftables node-2 nodePortAddresses 192.168.1.0/24,10.244.0.0/16', node: 'node-2', mode: 'nftables', configure: settings({ mode: 'nftables', nodePortAddresses: ['192.168.1.0/24', '10.244.0.0/16'] }) },
    { name: 'nftables node-3 0.0.0.0/0, masqueradeAll, bit 12', node: 'node-3', mode: 'nftables', configure: settings({ mode: 'nftables', nodePortAddresses: ['0.0.0.0/0'], masqueradeAll: true, masqueradeBit: 12 }) },
  );
  // A kube-proxy whose node name finds no Node: after NodeManager's 30 s wait it goes on with
  // node IP 127.0.0.1, so `primary` resolves to nothing (every address) and no endpoint is local.
  for (const mode of ['iptables', 'nftables'] as const) {
    runs.push({
      name: `${mode} node-3 named worker-3.example, nodePortAddresses primary`, node: 'node-3', mode,
      configure: (s) => {
        settings({ mode, nodePortAddresses: ['primary'] })(s);
        updateNode(s, 'node-3', { kubeProxy: { hostnameOverride: 'worker-3.example' } });
      },
    });
  }
  return runs;
}
