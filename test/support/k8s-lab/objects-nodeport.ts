/**
 * The API objects a NodePort question reads, created in a real control plane: two Nodes, a
 * namespace with a NodePort Service, its Pods (status patched, so the real EndpointSlice
 * controller lists them) and a NetworkPolicy; in kube-system kube-proxy (ConfigMap with
 * config.conf, DaemonSet, one Pod per node) and CoreDNS (Deployment, Service kube-dns, ConfigMap
 * with the Corefile, Pods). No kubelet runs: every Pod carries nodeName and its status is written
 * through the /status subresource, the way a kubelet would.
 */
import type { ControlPlane } from './control-plane.js';
import { waitFor } from './processes.js';

export interface LabNode {
  name: string;
  ip: string;
  podCIDR: string;
}

export interface NodePortCluster {
  namespace: string;
  service: string;
  nodePort: number;
  nodes: LabNode[];
  /** Pod name → IP of the Service's backends. */
  backends: Record<string, string>;
}

export const LAB_NODES: LabNode[] = [
  { name: 'node-a', ip: '192.168.49.2', podCIDR: '10.244.1.0/24' },
  { name: 'node-b', ip: '192.168.49.3', podCIDR: '10.244.2.0/24' },
];

const KUBE_PROXY_CONFIG = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: iptables
clusterCIDR: 10.244.0.0/16
iptables:
  masqueradeBit: 14
`;

const COREFILE = `.:53 {
    errors
    health
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
    }
    forward . /etc/resolv.conf
    cache 30
}
`;

const MERGE = 'application/merge-patch+json';

/** Creates `body` at `path` as the admin; anything but 201 is a broken lab. */
export async function create(cp: ControlPlane, path: string, body: Record<string, unknown>): Promise<void> {
  const r = await cp.api('POST', path, body);
  if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${JSON.stringify(r.body)}`);
}

async function patchStatus(cp: ControlPlane, path: string, status: Record<string, unknown>): Promise<void> {
  const r = await cp.api('PATCH', `${path}/status`, { status }, MERGE);
  if (r.status !== 200) throw new Error(`PATCH ${path}/status: ${r.status} ${JSON.stringify(r.body)}`);
}

/** What a kubelet reports for a running, ready Pod. */
function runningStatus(ip: string, hostIP: string, containers: string[]): Record<string, unknown> {
  const now = new Date().toISOString();
  return {
    phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP, hostIPs: [{ ip: hostIP }], startTime: now,
    conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map((type) => ({ type, status: 'True', lastTransitionTime: now })),
    containerStatuses: containers.map((name) => ({ name, ready: true, started: true, restartCount: 0, image: `${name}:lab`, imageID: '', state: { running: { startedAt: now } } })),
  };
}

interface PodOptions {
  namespace: string;
  name: string;
  labels: Record<string, string>;
  node: LabNode;
  ip: string;
  container: Record<string, unknown> & { name: string };
  hostNetwork?: boolean;
}

async function runningPod(cp: ControlPlane, o: PodOptions): Promise<void> {
  const path = `/api/v1/namespaces/${o.namespace}/pods`;
  await create(cp, path, {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name: o.name, namespace: o.namespace, labels: o.labels },
    spec: { nodeName: o.node.name, ...(o.hostNetwork ? { hostNetwork: true } : {}), containers: [o.container] },
  });
  await patchStatus(cp, `${path}/${o.name}`, runningStatus(o.ip, o.node.ip, [o.container.name]));
}

/** ServiceAccount admission refuses Pods until the controller made the namespace's `default` SA. */
async function defaultServiceAccount(cp: ControlPlane, namespace: string): Promise<void> {
  await waitFor(`the default ServiceAccount in ${namespace}`, async () =>
    (await cp.api('GET', `/api/v1/namespaces/${namespace}/serviceaccounts/default`)).status === 200, { watch: cp.processes.list(), timeoutMs: 60_000 });
}

/** A namespace (with `labels`) whose `default` ServiceAccount exists, so Pods may be created there. */
export async function namespace(cp: ControlPlane, name: string, labels: Record<string, string> = {}): Promise<void> {
  await create(cp, '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  await defaultServiceAccount(cp, name);
}

/**
 * Seeds the cluster and waits until the EndpointSlice controller lists both backends of the
 * Service and both CoreDNS pods, so a gathering sees what a live cluster would show.
 */
export async function seedNodePortCluster(cp: ControlPlane, ns = 'shop'): Promise<NodePortCluster> {
  for (const n of LAB_NODES) {
    await create(cp, '/api/v1/nodes', {
      apiVersion: 'v1', kind: 'Node',
      metadata: { name: n.name, labels: { 'kubernetes.io/hostname': n.name, 'kubernetes.io/os': 'linux' } },
      spec: { podCIDR: n.podCIDR, podCIDRs: [n.podCIDR] },
    });
    const now = new Date().toISOString();
    await patchStatus(cp, `/api/v1/nodes/${n.name}`, {
      addresses: [{ type: 'InternalIP', address: n.ip }, { type: 'Hostname', address: n.name }],
      conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: now, lastTransitionTime: now }],
      nodeInfo: {
        kubeletVersion: cp.version, kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64', osImage: 'Debian GNU/Linux 12 (bookworm)',
        kernelVersion: '6.1.0-28-amd64', containerRuntimeVersion: 'containerd://1.7.24', machineID: '', systemUUID: '', bootID: '',
      },
    });
  }

  await namespace(cp, ns, { team: 'shop' });
  const service = 'frontend';
  const nodePort = 30080;
  await create(cp, `/api/v1/namespaces/${ns}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: service, namespace: ns },
    spec: { type: 'NodePort', selector: { app: service }, ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort, protocol: 'TCP' }] },
  });
  const backends: Record<string, string> = {};
  for (const [i, node] of LAB_NODES.entries()) {
    const name = `${service}-${i + 1}`;
    const ip = node.podCIDR.replace(/0\/24$/, '10');
    backends[name] = ip;
    await runningPod(cp, {
      namespace: ns, name, labels: { app: service }, node, ip,
      container: { name: 'web', image: 'registry.example/shop/frontend:1.0', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] },
    });
  }
  await create(cp, `/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies`, {
    apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'frontend-from-anywhere', namespace: ns },
    spec: {
      podSelector: { matchLabels: { app: service } }, policyTypes: ['Ingress'],
      ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 8080 }] }],
    },
  });

  const system = 'kube-system';
  await defaultServiceAccount(cp, system);
  await create(cp, `/api/v1/namespaces/${system}/configmaps`, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'kube-proxy', namespace: system, labels: { app: 'kube-proxy' } },
    data: { 'config.conf': KUBE_PROXY_CONFIG, kubeconfig: 'apiVersion: v1\nkind: Config\n' },
  });
  const proxyContainer = {
    name: 'kube-proxy', image: `registry.k8s.io/kube-proxy:${cp.version}`,
    command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
  };
  await create(cp, `/apis/apps/v1/namespaces/${system}/daemonsets`, {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'kube-proxy', namespace: system, labels: { 'k8s-app': 'kube-proxy' } },
    spec: {
      selector: { matchLabels: { 'k8s-app': 'kube-proxy' } },
      template: { metadata: { labels: { 'k8s-app': 'kube-proxy' } }, spec: { hostNetwork: true, containers: [proxyContainer] } },
    },
  });
  for (const node of LAB_NODES) {
    await runningPod(cp, { namespace: system, name: `kube-proxy-${node.name}`, labels: { 'k8s-app': 'kube-proxy' }, node, ip: node.ip, hostNetwork: true, container: proxyContainer });
  }

  await create(cp, `/api/v1/namespaces/${system}/configmaps`, {
    apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'coredns', namespace: system }, data: { Corefile: COREFILE },
  });
  const dnsContainer = {
    name: 'coredns', image: 'registry.k8s.io/coredns/coredns:v1.12.0', args: ['-conf', '/etc/coredns/Corefile'],
    ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53, protocol: 'TCP' }, { name: 'metrics', containerPort: 9153, protocol: 'TCP' }],
  };
  await create(cp, `/apis/apps/v1/namespaces/${system}/deployments`, {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'coredns', namespace: system, labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      replicas: 2, selector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      template: { metadata: { labels: { 'k8s-app': 'kube-dns' } }, spec: { containers: [dnsContainer] } },
    },
  });
  // No deployment controller runs here: the status says what it would once both pods are ready.
  await patchStatus(cp, `/apis/apps/v1/namespaces/${system}/deployments/coredns`, { replicas: 2, updatedReplicas: 2, readyReplicas: 2, availableReplicas: 2, observedGeneration: 1 });
  await create(cp, `/api/v1/namespaces/${system}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'kube-dns', namespace: system, labels: { 'k8s-app': 'kube-dns' } },
    spec: {
      selector: { 'k8s-app': 'kube-dns' }, clusterIP: '10.96.0.10',
      ports: [{ name: 'dns', port: 53, protocol: 'UDP', targetPort: 53 }, { name: 'dns-tcp', port: 53, protocol: 'TCP', targetPort: 53 }, { name: 'metrics', port: 9153, protocol: 'TCP', targetPort: 9153 }],
    },
  });
  for (const [i, node] of LAB_NODES.entries()) {
    await runningPod(cp, { namespace: system, name: `coredns-${i + 1}`, labels: { 'k8s-app': 'kube-dns' }, node, ip: node.podCIDR.replace(/0\/24$/, '2'), container: dnsContainer });
  }

  const endpoints = async (namespace: string, svc: string) => {
    const r = await cp.api('GET', `/apis/discovery.k8s.io/v1/namespaces/${namespace}/endpointslices?labelSelector=kubernetes.io%2Fservice-name%3D${svc}`);
    const items = (r.body as { items?: { endpoints?: { addresses: string[]; conditions?: { ready?: boolean } }[] }[] }).items ?? [];
    return items.flatMap((s) => (s.endpoints ?? []).filter((e) => e.conditions?.ready === true).flatMap((e) => e.addresses));
  };
  await waitFor(`EndpointSlices listing both backends of ${ns}/${service} and both CoreDNS pods`, async () =>
    (await endpoints(ns, service)).length === LAB_NODES.length && (await endpoints(system, 'kube-dns')).length === LAB_NODES.length,
  { watch: cp.processes.list(), timeoutMs: 60_000 });
  return { namespace: ns, service, nodePort, nodes: LAB_NODES, backends };
}
