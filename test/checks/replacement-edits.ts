/**
 * Edits that turn a scenario's snapshot into one of a cluster whose kube-proxy is replaced by
 * kube-router or OVN-Kubernetes (the kit models only Cilium): the devices and agent pods those
 * dataplanes leave, as `ip -j addr` and the API show them.
 */
import type { KubeObject, Snapshot } from '../../src/snapshot/schema.js';
import { nodeCommand } from './snapshot-edits.js';

/** Adds a device (no address) to a node's `ip -j addr`. */
export function addLink(s: Snapshot, node: string, name: string): void {
  const out = nodeCommand(s, node, 'ip-addr');
  const links = JSON.parse(out.stdout) as { ifindex: number }[];
  links.push({ ifindex: Math.max(...links.map((l) => l.ifindex)) + 1, ifname: name, flags: ['BROADCAST', 'NOARP', 'UP', 'LOWER_UP'], mtu: 1500, operstate: 'UNKNOWN', addr_info: [] } as { ifindex: number });
  out.stdout = JSON.stringify(links);
}

/** A kube-system agent pod (label k8s-app=`app`) on `node`, with its command line as the snapshot keeps it. */
export function addAgentPod(s: Snapshot, node: string, app: string, args: string[] = ['…']): void {
  const pod: KubeObject = {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: `${app}-${node}`, namespace: 'kube-system', labels: { 'k8s-app': app } },
    spec: { nodeName: node, hostNetwork: true, containers: [{ name: app, args }] },
    status: { phase: 'Running', containerStatuses: [{ name: app, restartCount: 0, state: {} }] },
  };
  s.cluster.proxyReplacement ??= { ciliumConfig: null, agentPods: [] };
  s.cluster.proxyReplacement.agentPods.push(pod);
}

/** kube-router with its service proxy on every node of a cluster without kube-proxy: its agent and kube-dummy-if. */
export const kubeRouter = (s: Snapshot): void => {
  for (const n of s.nodes) {
    addAgentPod(s, n.name, 'kube-router', ['--run-router=true', '--run-service-proxy=true']);
    addLink(s, n.name, 'kube-dummy-if');
  }
};

/** OVN-Kubernetes on one node: its management port and integration bridge. */
export const ovnOn = (node: string) => (s: Snapshot): void => {
  addLink(s, node, 'br-int');
  addLink(s, node, 'ovn-k8s-mp0');
};
