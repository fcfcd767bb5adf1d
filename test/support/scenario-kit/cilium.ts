/**
 * A Cilium cluster with its kube-proxy replacement on, as `np-doctor snapshot --exec-agent` would
 * gather it: no kube-proxy at all (Cilium's kubeproxy-free guide deletes its DaemonSet and
 * ConfigMap, so neither its pods nor its rules exist), ConfigMap kube-system/cilium-config with
 * `kube-proxy-replacement: "true"`, one agent pod (k8s-app=cilium, container cilium-agent) per node,
 * the agent's cilium_net/cilium_host devices (cilium_host holds the node's router address, the
 * first of its pod CIDR), and on each node what `cilium-dbg service list -o json` prints: per
 * Service port a ClusterIP frontend, and for a nodePort 0.0.0.0:NP plus one frontend per node
 * address (type NodePort), each with the Service's ready endpoints as active backends (only the
 * node's own for a NodePort frontend of an externalTrafficPolicy Local Service) (Cilium's API
 * ServiceSpec). CILIUM_* iptables chains are not generated (the nodes' dumps stay the kit's).
 *
 * Hooks: ClusterSpec.cilium (spec.ts) and one call in build.ts.
 */
import { endpointSlicesOf } from '../../../src/check-kit/cluster-queries.js';
import { keepConfigMapKey } from '../../../src/collect/kube/wire.js';
import { keepFields } from '../../../src/snapshot/redact-fields.js';
import { ClusterModel } from '../../../src/model/cluster.js';
import { AGENT_COMMANDS, CILIUM_CONFIG } from '../../../src/snapshot/agent-commands.js';
import type { AgentOutput, KubeObject, ProxyReplacementState, Snapshot } from '../../../src/snapshot/schema.js';
import { nthAddress, sha256 } from './net.js';
import { internalIPOf, type ClusterSpec, type NodeSpec } from './spec.js';
import { SNAPSHOT_TAKEN } from './time.js';

export interface CiliumSpec {
  /** cilium-config `kube-proxy-replacement`. Default "true" (Cilium 1.14+; "strict" before). */
  kubeProxyReplacement?: string;
  /** Whether the snapshot holds the agents' service tables (gathered with --exec-agent). Default true. */
  execAgent?: boolean;
  /** `ns/service` names whose nodePort the agents have not programmed (no NodePort frontends; the ClusterIP one stays). */
  missingNodePort?: string[];
  /** `ns/service` names whose frontends the agents list without backends (they have not seen the endpoints). */
  noBackends?: string[];
}

/** Turns `spec` into a Cilium kube-proxy-free cluster: no kube-proxy on any node, Cilium's agents instead. */
export function ciliumCluster(spec: ClusterSpec, cilium: CiliumSpec = {}): ClusterSpec {
  spec.cilium = cilium;
  for (const n of spec.nodes) n.kubeProxy = { ...n.kubeProxy, running: false };
  return spec;
}

/** The snapshot of a Cilium cluster: kube-proxy's objects gone, Cilium's in, its devices on every node read. */
export function withCilium(spec: ClusterSpec, cilium: CiliumSpec, snapshot: Snapshot): Snapshot {
  const c = snapshot.cluster;
  c.kubeProxy = { configMap: null, daemonSet: null, pods: [], config: null };
  // As gathering stores them: through the snapshot's allow-list, cilium-config with its one key.
  const [config, ...agents] = ciliumObjects(spec);
  const state: ProxyReplacementState = {
    ciliumConfig: config === undefined ? null : keepConfigMapKey(keepFields(config, 'ConfigMap'), CILIUM_CONFIG.key),
    agentPods: agents.map((p) => keepFields(p, 'Pod')).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name)),
  };
  if (cilium.execAgent !== false) {
    state.agentOutputs = snapshot.nodes.map((n): AgentOutput => {
      const cmd = AGENT_COMMANDS['cilium-service-list'];
      const table = serviceTable(spec, cilium, snapshot, n.name);
      return { node: n.name, pod: agentName(n.name), container: cmd.container, argv: [...cmd.argv], stdout: `${JSON.stringify(table, null, 2)}\n`, stderr: '', exitCode: 0 };
    });
  }
  c.proxyReplacement = state;
  for (const n of snapshot.nodes) {
    const node = spec.nodes.find((x) => x.name === n.name);
    const addr = n.commands['ip-addr'];
    if (node === undefined || addr === undefined) continue;
    const links = JSON.parse(addr.stdout) as { ifindex: number }[];
    addr.stdout = JSON.stringify([...links, ...ciliumLinks(node, Math.max(...links.map((l) => l.ifindex)))]);
  }
  return snapshot;
}

/** What the API holds for Cilium (for seeding an API server): cilium-config first, then one agent pod per node. */
export function ciliumObjects(spec: ClusterSpec): KubeObject[] {
  return [ciliumConfig(spec.cilium?.kubeProxyReplacement ?? 'true'), ...spec.nodes.map(agentPod)];
}

const agentName = (node: string): string => `cilium-${sha256(`cilium/${node}`).toString('hex').replace(/[^a-z]/g, '').slice(0, 5).padEnd(5, 'x')}`;

function ciliumConfig(kpr: string): KubeObject {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: { name: CILIUM_CONFIG.name, namespace: CILIUM_CONFIG.namespace, creationTimestamp: '2026-01-05T09:00:00.000Z' },
    data: { [CILIUM_CONFIG.key]: kpr, 'routing-mode': 'tunnel', 'tunnel-protocol': 'vxlan' },
  };
}

/** The agent pod on one node (its DaemonSet's, trimmed to what matters here). */
function agentPod(n: NodeSpec): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: agentName(n.name), namespace: 'kube-system', labels: { 'k8s-app': 'cilium', 'app.kubernetes.io/name': 'cilium-agent' } },
    spec: {
      nodeName: n.name, hostNetwork: true,
      containers: [{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.16.5', command: ['cilium-agent'], args: ['--config-dir=/tmp/cilium/config-map'] }],
    },
    status: {
      phase: 'Running', podIP: internalIPOf(n), podIPs: [{ ip: internalIPOf(n) }],
      conditions: [{ type: 'Ready', status: 'True' }],
      containerStatuses: [{ name: 'cilium-agent', ready: true, restartCount: 0, state: { running: { startedAt: SNAPSHOT_TAKEN } } }],
    },
  };
}

/** cilium_net and cilium_host (a veth pair; cilium_host holds the router address), as `ip -j addr` prints them. */
function ciliumLinks(n: NodeSpec, last: number): Record<string, unknown>[] {
  const mac = (name: string) => `0a:${sha256(`${n.name}/${name}`).toString('hex').slice(0, 10).match(/../g)!.join(':')}`;
  const base = { flags: ['BROADCAST', 'MULTICAST', 'NOARP', 'UP', 'LOWER_UP'], mtu: 1500, qdisc: 'noqueue', operstate: 'UP', group: 'default', txqlen: 1000, link_type: 'ether', broadcast: 'ff:ff:ff:ff:ff:ff' };
  const router = nthAddress(n.podCIDR, 1);
  return [
    { ifindex: last + 1, link: 'cilium_host', ifname: 'cilium_net', ...base, address: mac('cilium_net'), addr_info: [] },
    {
      ifindex: last + 2, link: 'cilium_net', ifname: 'cilium_host', ...base, address: mac('cilium_host'),
      addr_info: [{ family: 'inet', local: router, prefixlen: 32, scope: 'global', label: 'cilium_host', valid_life_time: 4294967295, preferred_life_time: 4294967295 }],
    },
  ];
}

/** `cilium-dbg service list -o json` for the snapshot's Services as the agent on `agentNode` prints it. */
function serviceTable(spec: ClusterSpec, cilium: CiliumSpec, snapshot: Snapshot, agentNode: string): unknown[] {
  const model = new ClusterModel(snapshot);
  const slices = endpointSlicesOf(model, 4);
  const out: unknown[] = [];
  let id = 0;
  for (const svc of model.services) {
    const key = `${svc.namespace}/${svc.name}`;
    for (const port of svc.ports) {
      const protocol = port.protocol.toLowerCase();
      const all = cilium.noBackends?.includes(key) === true ? [] : slices.used(svc, port);
      const backends = (node: string | null) => all.filter((e) => node === null || e.nodeName === node).map((e) => ({
        ip: e.address, port: e.port, ...(e.nodeName !== null ? { nodeName: e.nodeName } : {}), state: 'active', preferred: true,
      }));
      // externalTrafficPolicy Local: NodePort frontends list only the agent's own node's endpoints.
      const local = svc.externalTrafficPolicy === 'Local' ? agentNode : null;
      const entry = (ip: string, type: string) => {
        const s = {
          id: ++id,
          'frontend-address': { ip, port: type === 'NodePort' ? port.nodePort : port.port, protocol, scope: 'external' },
          'backend-addresses': backends(type === 'NodePort' ? local : null),
          flags: { type, trafficPolicy: svc.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster', name: svc.name, namespace: svc.namespace },
        };
        return { spec: s, status: { realized: s } };
      };
      for (const ip of svc.clusterIPs) out.push(entry(ip, 'ClusterIP'));
      if (port.nodePort === null || cilium.missingNodePort?.includes(key) === true) continue;
      out.push(entry('0.0.0.0', 'NodePort'));
      for (const n of spec.nodes) out.push(entry(internalIPOf(n), 'NodePort'));
    }
  }
  return out;
}
