/**
 * A small, realistic cluster as wire JSON (what `kubectl get -o json` prints), to seed the fake
 * apiserver: a kubeadm-style control plane, kube-proxy in iptables mode, CoreDNS, and a `shop`
 * namespace whose NodePort Service `frontend` is what np-doctor gets asked about. Everything a
 * NodePort diagnosis reads is here with the fields the real objects carry: Nodes (InternalIP,
 * podCIDR, nodeInfo, Ready), Services, EndpointSlices (ready/serving/terminating, nodeName,
 * targetRef), Endpoints, Pods, NetworkPolicies, the kube-proxy ConfigMap/DaemonSet and the
 * kube-apiserver static pod (--service-node-port-range). Names, UIDs and timestamps are
 * deterministic, so two builds of the same options are equal.
 *
 * Defaults follow the kernel lab's address plan (test/kernel/README.md): node k at
 * 192.168.49.(2+k), its pods in 10.244.k.0/24, Services in 10.96.0.0/12.
 */
import { createHash } from 'node:crypto';
import { stableUid } from './fake-apiserver/store.js';
import type { KubeObject } from './fake-apiserver/types.js';

export interface FixtureNode {
  name: string;
  internalIP: string;
  podCIDR: string;
  /** Default: the first node is the (only) control-plane node. */
  controlPlane?: boolean;
  /** false = the node stopped reporting (Ready Unknown, unreachable taints). Default true. */
  ready?: boolean;
}

export interface FixturePod {
  node: string;
  ip: string;
  /** Default: a ReplicaSet-style name (`frontend-<hash>-<suffix>`). */
  name?: string;
  /** Readiness probe passing. Default true. */
  ready?: boolean;
  /** Being deleted (deletionTimestamp set): serving may stay true, ready is false. */
  terminating?: boolean;
}

export interface KubeProxyFixture {
  mode?: 'iptables' | 'nftables' | 'ipvs';
  /** null = every local address (the upstream default before 1.29's "primary"). */
  nodePortAddresses?: string[] | null;
  /** iptables.localhostNodePorts (NodePorts answering on 127.0.0.1); null = unset (default true). */
  localhostNodePorts?: boolean | null;
  masqueradeBit?: number;
}

export interface ClusterFixtureOptions {
  nodes: FixtureNode[];
  /** Endpoints of shop/frontend (NodePort). */
  frontendPods: FixturePod[];
  /** Endpoints of shop/backend (ClusterIP). Default: one pod on the last node. */
  backendPods?: FixturePod[];
  /** Default: two replicas on the control-plane node at podCIDR .2 and .3. */
  corednsPods?: FixturePod[];
  /** Default v1.31.4 (kubelet, kube-proxy, control plane). */
  kubernetesVersion?: string;
  /** Default 10.244.0.0/16. */
  clusterCIDR?: string;
  /** Default 10.96.0.0/12; ClusterIPs are derived from its base address. */
  serviceCIDR?: string;
  /** Default 30000-32767. */
  serviceNodePortRange?: string;
  frontend?: { nodePort?: number; externalTrafficPolicy?: 'Cluster' | 'Local'; clusterIP?: string };
  kubeProxy?: KubeProxyFixture;
  /** Extra labels on the shop Namespace (e.g. pod-security.kubernetes.io/enforce). */
  shopLabels?: Record<string, string>;
}

/** Two nodes as in the kernel lab: node-a (control plane) and node-b, one frontend pod on each. */
export const TWO_NODE_CLUSTER: ClusterFixtureOptions = {
  nodes: [
    { name: 'node-a', internalIP: '192.168.49.2', podCIDR: '10.244.0.0/24' },
    { name: 'node-b', internalIP: '192.168.49.3', podCIDR: '10.244.1.0/24' },
  ],
  frontendPods: [
    { node: 'node-a', ip: '10.244.0.5' },
    { node: 'node-b', ip: '10.244.1.5' },
  ],
};

// The cluster came up at T0; workloads a little later. Fixed, so fixtures are reproducible.
const T0 = Date.parse('2026-11-01T09:00:00Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString().replace('.000Z', 'Z');

// kube-controller-manager's name-suffix alphabet (no vowels, no look-alike characters).
const ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
function hashName(seed: string, len: number): string {
  const h = createHash('sha256').update(seed).digest();
  return [...h.subarray(0, len)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
}
const hex = (seed: string, len: number): string => createHash('sha256').update(seed).digest('hex').slice(0, len);

function ipAdd(ip: string, n: number): string {
  const v = ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0) + n;
  return [24, 16, 8, 0].map((s) => Math.floor(v / 2 ** s) % 256).join('.');
}
const cidrBase = (cidr: string): string => cidr.split('/')[0] as string;

const uid = (kind: string, ns: string, name: string): string => stableUid(`${kind}/${ns}/${name}`);

function meta(name: string, namespace: string | undefined, kind: string, minutes: number, extra: Record<string, unknown> = {}): KubeObject['metadata'] {
  return {
    name,
    ...(namespace !== undefined ? { namespace } : {}),
    uid: uid(kind, namespace ?? '', name),
    creationTimestamp: at(minutes),
    ...extra,
  };
}

function ownerRef(apiVersion: string, kind: string, ns: string, name: string): Record<string, unknown> {
  return { apiVersion, kind, name, uid: uid(kind, ns, name), controller: true, blockOwnerDeletion: true };
}

function namespace(name: string, extraLabels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: meta(name, undefined, 'Namespace', name === 'shop' ? 30 : 0, { labels: { 'kubernetes.io/metadata.name': name, ...extraLabels } }),
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function node(n: FixtureNode, controlPlane: boolean, version: string): KubeObject {
  const ready = n.ready ?? true;
  const heartbeat = at(ready ? 600 : 300);
  const cond = (type: string, status: string, reason: string, message: string): Record<string, unknown> => ({
    lastHeartbeatTime: heartbeat,
    lastTransitionTime: at(ready ? 1 : 305),
    message,
    reason,
    status,
    type,
  });
  const unknown = (type: string): Record<string, unknown> => cond(type, 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.');
  const labels: Record<string, string> = {
    'beta.kubernetes.io/arch': 'amd64',
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': 'amd64',
    'kubernetes.io/hostname': n.name,
    'kubernetes.io/os': 'linux',
    ...(controlPlane ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
  };
  const capacity = { cpu: '4', 'ephemeral-storage': '61202244Ki', 'hugepages-2Mi': '0', memory: '8131856Ki', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta(n.name, undefined, 'Node', controlPlane ? 0 : 3, {
      labels,
      annotations: {
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
    }),
    spec: {
      podCIDR: n.podCIDR,
      podCIDRs: [n.podCIDR],
      ...(ready
        ? {}
        : {
            taints: [
              { effect: 'NoSchedule', key: 'node.kubernetes.io/unreachable', timeAdded: at(305) },
              { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', timeAdded: at(310) },
            ],
          }),
    },
    status: {
      addresses: [
        { address: n.internalIP, type: 'InternalIP' },
        { address: n.name, type: 'Hostname' },
      ],
      allocatable: { ...capacity, memory: '8029456Ki' },
      capacity,
      conditions: ready
        ? [
            cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
            cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
            cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
            cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
          ]
        : ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map(unknown),
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: stableUid(`boot/${n.name}`),
        containerRuntimeVersion: 'containerd://1.7.24',
        kernelVersion: '6.1.0-28-amd64',
        kubeProxyVersion: version,
        kubeletVersion: version,
        machineID: hex(`machine/${n.name}`, 32),
        operatingSystem: 'linux',
        osImage: 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: stableUid(`system/${n.name}`),
      },
    },
  };
}

interface ContainerSpec {
  name: string;
  image: string;
  [field: string]: unknown;
}

interface PodSpecIn {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  owner?: Record<string, unknown>;
  annotations?: Record<string, string>;
  nodeName: string;
  hostIP: string;
  podIP: string;
  ready: boolean;
  terminating?: boolean;
  containers: ContainerSpec[];
  spec?: Record<string, unknown>;
  minutes: number;
}

/** A pod the kubelet reports as running (readiness as given), with the fields the apiserver defaults. */
function pod(p: PodSpecIn): KubeObject {
  const started = at(p.minutes + 1);
  const notReady = p.ready && p.terminating !== true ? {} : { message: `containers with unready status: [${p.containers.map((c) => c.name).join(' ')}]`, reason: 'ContainersNotReady' };
  const ready = p.ready && p.terminating !== true;
  const condition = (type: string, ok: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
    lastProbeTime: null,
    lastTransitionTime: started,
    ...extra,
    status: ok ? 'True' : 'False',
    type,
  });
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(p.name, p.namespace, 'Pod', p.minutes, {
      labels: p.labels,
      ...(p.annotations !== undefined ? { annotations: p.annotations } : {}),
      ...(p.owner !== undefined ? { ownerReferences: [p.owner] } : {}),
      ...(p.terminating === true ? { deletionTimestamp: at(900), deletionGracePeriodSeconds: 30 } : {}),
    }),
    spec: {
      containers: p.containers.map((c) => ({
        imagePullPolicy: 'IfNotPresent',
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
        ...c,
      })),
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      nodeName: p.nodeName,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: 0,
      restartPolicy: 'Always',
      schedulerName: 'default-scheduler',
      securityContext: {},
      serviceAccount: 'default',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
      tolerations: [
        { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', tolerationSeconds: 300 },
        { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', tolerationSeconds: 300 },
      ],
      ...p.spec,
    },
    status: {
      conditions: [
        condition('PodReadyToStartContainers', true),
        condition('Initialized', true),
        condition('Ready', ready, notReady),
        condition('ContainersReady', ready, notReady),
        condition('PodScheduled', true),
      ],
      containerStatuses: p.containers.map((c) => ({
        containerID: `containerd://${hex(`container/${p.namespace}/${p.name}/${c.name}`, 64)}`,
        image: c.image,
        imageID: `${c.image.split(':')[0] ?? c.image}@sha256:${hex(`image/${c.image}`, 64)}`,
        lastState: {},
        name: c.name,
        ready,
        restartCount: 0,
        started: true,
        state: { running: { startedAt: started } },
      })),
      hostIP: p.hostIP,
      hostIPs: [{ ip: p.hostIP }],
      phase: 'Running',
      podIP: p.podIP,
      podIPs: [{ ip: p.podIP }],
      // Requests without limits make a pod Burstable; nothing at all, BestEffort.
      qosClass: p.containers.some((c) => c.resources !== undefined) ? 'Burstable' : 'BestEffort',
      startTime: at(p.minutes),
    },
  };
}

interface ServicePort {
  name: string;
  port: number;
  targetPort: number;
  protocol?: string;
  nodePort?: number;
}

function service(
  name: string,
  ns: string,
  o: { clusterIP: string; ports: ServicePort[]; selector?: Record<string, string>; type?: string; etp?: string; labels?: Record<string, string>; minutes: number },
): KubeObject {
  const type = o.type ?? 'ClusterIP';
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(name, ns, 'Service', o.minutes, o.labels !== undefined ? { labels: o.labels } : {}),
    spec: {
      clusterIP: o.clusterIP,
      clusterIPs: [o.clusterIP],
      ...(type === 'NodePort' || type === 'LoadBalancer' ? { externalTrafficPolicy: o.etp ?? 'Cluster' } : {}),
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: o.ports.map((p) => ({
        name: p.name,
        ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        targetPort: p.targetPort,
      })),
      ...(o.selector !== undefined ? { selector: o.selector } : {}),
      sessionAffinity: 'None',
      type,
    },
    status: { loadBalancer: {} },
  };
}

interface Endpoint {
  ip: string;
  node: string;
  pod?: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
}

/** The EndpointSlice controller's slice for a Service (one slice: small Services fit in one). */
function endpointSlice(svc: string, ns: string, eps: Endpoint[], ports: { name: string; port: number; protocol?: string }[], minutes: number): KubeObject {
  const name = svc === 'kubernetes' ? 'kubernetes' : `${svc}-${hashName(`slice/${ns}/${svc}`, 5)}`;
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      conditions: { ready: e.ready, serving: e.serving, terminating: e.terminating },
      nodeName: e.node,
      ...(e.pod !== undefined ? { targetRef: { kind: 'Pod', name: e.pod, namespace: ns, uid: uid('Pod', ns, e.pod) } } : {}),
    })),
    metadata: meta(name, ns, 'EndpointSlice', minutes, {
      ...(svc === 'kubernetes' ? {} : { generateName: `${svc}-`, generation: 1 }),
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': at(minutes) },
      labels: {
        'kubernetes.io/service-name': svc,
        ...(svc === 'kubernetes' ? {} : { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' }),
      },
      ...(svc === 'kubernetes' ? {} : { ownerReferences: [ownerRef('v1', 'Service', ns, svc)] }),
    }),
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
  };
}

/** The legacy Endpoints object: ready addresses, and not-ready ones apart (terminating ones are left out). */
function endpoints(svc: string, ns: string, eps: Endpoint[], ports: { name: string; port: number; protocol?: string }[], minutes: number): KubeObject {
  const addr = (e: Endpoint): Record<string, unknown> => ({
    ip: e.ip,
    nodeName: e.node,
    ...(e.pod !== undefined ? { targetRef: { kind: 'Pod', name: e.pod, namespace: ns, uid: uid('Pod', ns, e.pod) } } : {}),
  });
  const live = eps.filter((e) => !e.terminating);
  const ready = live.filter((e) => e.ready).map(addr);
  const notReady = live.filter((e) => !e.ready).map(addr);
  return {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: meta(svc, ns, 'Endpoints', minutes, { annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': at(minutes) } }),
    subsets:
      live.length === 0
        ? undefined
        : [
            {
              ...(ready.length > 0 ? { addresses: ready } : {}),
              ...(notReady.length > 0 ? { notReadyAddresses: notReady } : {}),
              ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
            },
          ],
  };
}

function deployment(name: string, ns: string, o: { labels: Record<string, string>; replicas: number; ready: number; template: Record<string, unknown>; minutes: number }): KubeObject {
  const available = o.ready >= o.replicas;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta(name, ns, 'Deployment', o.minutes, { annotations: { 'deployment.kubernetes.io/revision': '1' }, generation: 1, labels: o.labels }),
    spec: {
      progressDeadlineSeconds: 600,
      replicas: o.replicas,
      revisionHistoryLimit: 10,
      selector: { matchLabels: o.labels },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
      template: { metadata: { labels: o.labels }, spec: o.template },
    },
    status: {
      availableReplicas: o.ready,
      conditions: [
        {
          lastTransitionTime: at(o.minutes + 1),
          lastUpdateTime: at(o.minutes + 1),
          message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
          reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          status: available ? 'True' : 'False',
          type: 'Available',
        },
        {
          lastTransitionTime: at(o.minutes),
          lastUpdateTime: at(o.minutes + 1),
          message: `ReplicaSet "${name}-${hashName(`rs/${ns}/${name}`, 10)}" has successfully progressed.`,
          reason: 'NewReplicaSetAvailable',
          status: 'True',
          type: 'Progressing',
        },
      ],
      observedGeneration: 1,
      readyReplicas: o.ready,
      replicas: o.replicas,
      updatedReplicas: o.replicas,
    },
  };
}

/** kubeadm's KubeProxyConfiguration (every field, as `kubeadm init` writes it) with our choices filled in. */
function kubeProxyConfig(kp: KubeProxyFixture, clusterCIDR: string): string {
  const list = (xs: string[] | null): string => (xs === null ? ' null' : xs.length === 0 ? ' []' : xs.map((x) => `\n- ${x}`).join(''));
  const nullable = (v: boolean | number | null | undefined): string => (v === null || v === undefined ? 'null' : String(v));
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: ${clusterCIDR}
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpBeLiberal: false
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
  udpStreamTimeout: 0s
  udpTimeout: 0s
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: ${nullable(kp.localhostNodePorts === undefined ? true : kp.localhostNodePorts)}
  masqueradeAll: false
  masqueradeBit: ${nullable(kp.masqueradeBit ?? 14)}
  minSyncPeriod: 1s
  syncPeriod: 30s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: ${kp.mode ?? 'iptables'}
nftables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses:${list(kp.nodePortAddresses === undefined ? null : kp.nodePortAddresses)}
oomScoreAdj: null
portRange: ""
showHiddenMetricsForVersion: ""
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: ""
`;
}

const COREFILE = `.:53 {
    errors
    health {
       lameduck 5s
    }
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
       pods insecure
       fallthrough in-addr.arpa ip6.arpa
       ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
       max_concurrent 1000
    }
    cache 30
    loop
    reload
    loadbalance
}
`;

function apiserverCommand(ip: string, serviceCIDR: string, nodePortRange: string): string[] {
  const pki = '/etc/kubernetes/pki';
  return [
    'kube-apiserver',
    `--advertise-address=${ip}`,
    '--allow-privileged=true',
    '--authorization-mode=Node,RBAC',
    `--client-ca-file=${pki}/ca.crt`,
    '--enable-admission-plugins=NodeRestriction',
    '--enable-bootstrap-token-auth=true',
    `--etcd-cafile=${pki}/etcd/ca.crt`,
    `--etcd-certfile=${pki}/apiserver-etcd-client.crt`,
    `--etcd-keyfile=${pki}/apiserver-etcd-client.key`,
    '--etcd-servers=https://127.0.0.1:2379',
    `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`,
    `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
    '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname',
    `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
    `--proxy-client-key-file=${pki}/front-proxy-client.key`,
    '--requestheader-allowed-names=front-proxy-client',
    `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`,
    '--requestheader-extra-headers-prefix=X-Remote-Extra-',
    '--requestheader-group-headers=X-Remote-Group',
    '--requestheader-username-headers=X-Remote-User',
    '--secure-port=6443',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${pki}/sa.pub`,
    `--service-account-signing-key-file=${pki}/sa.key`,
    `--service-cluster-ip-range=${serviceCIDR}`,
    `--service-node-port-range=${nodePortRange}`,
    `--tls-cert-file=${pki}/apiserver.crt`,
    `--tls-private-key-file=${pki}/apiserver.key`,
  ];
}

const hostPath = (name: string, path: string, type: string): Record<string, unknown> => ({ hostPath: { path, type }, name });

export function buildClusterFixture(o: ClusterFixtureOptions): KubeObject[] {
  const version = o.kubernetesVersion ?? 'v1.31.4';
  const clusterCIDR = o.clusterCIDR ?? '10.244.0.0/16';
  const serviceCIDR = o.serviceCIDR ?? '10.96.0.0/12';
  const svcBase = cidrBase(serviceCIDR);
  const nodePortRange = o.serviceNodePortRange ?? '30000-32767';
  const cp = o.nodes.find((n) => n.controlPlane === true) ?? o.nodes[0];
  if (cp === undefined) throw new Error('a cluster fixture needs at least one node');
  const nodeByName = new Map(o.nodes.map((n) => [n.name, n]));
  const hostOf = (name: string): string => {
    const n = nodeByName.get(name);
    if (n === undefined) throw new Error(`fixture pod on unknown node ${name}`);
    return n.internalIP;
  };
  const out: KubeObject[] = [];

  // Namespaces and Nodes.
  for (const ns of ['default', 'kube-node-lease', 'kube-public', 'kube-system']) out.push(namespace(ns));
  out.push(namespace('shop', o.shopLabels));
  for (const n of o.nodes) out.push(node(n, n === cp, version));

  // default/kubernetes: the apiserver's own Service and its slice.
  const apiEp: Endpoint[] = [{ ip: cp.internalIP, node: cp.name, ready: true, serving: true, terminating: false }];
  out.push(
    service('kubernetes', 'default', {
      clusterIP: ipAdd(svcBase, 1),
      ports: [{ name: 'https', port: 443, targetPort: 6443 }],
      labels: { component: 'apiserver', provider: 'kubernetes' },
      minutes: 0,
    }),
  );
  out.push({ ...endpointSlice('kubernetes', 'default', apiEp, [{ name: 'https', port: 6443 }], 0), endpoints: [{ addresses: [cp.internalIP], conditions: { ready: true } }] });

  // shop: Deployments frontend and backend, their pods, Services, slices, Endpoints, NetworkPolicies.
  const app = (
    name: string,
    pods: FixturePod[],
    image: string,
    svc: { type: string; clusterIP: string; ports: ServicePort[]; etp?: string },
  ): void => {
    const rsHash = hashName(`rs/shop/${name}`, 10);
    const labels = { app: name };
    const container = {
      image,
      name,
      ports: [{ containerPort: 8080, name: 'http', protocol: 'TCP' }],
      readinessProbe: { failureThreshold: 3, httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 5, successThreshold: 1, timeoutSeconds: 1 },
    };
    out.push(deployment(name, 'shop', { labels, replicas: pods.length, ready: pods.filter((p) => p.ready !== false && p.terminating !== true).length, template: { containers: [container] }, minutes: 31 }));
    const eps: Endpoint[] = [];
    pods.forEach((p, i) => {
      const podName = p.name ?? `${name}-${rsHash}-${hashName(`pod/shop/${name}/${i}`, 5)}`;
      out.push(
        pod({
          name: podName,
          namespace: 'shop',
          labels: { ...labels, 'pod-template-hash': rsHash },
          owner: ownerRef('apps/v1', 'ReplicaSet', 'shop', `${name}-${rsHash}`),
          nodeName: p.node,
          hostIP: hostOf(p.node),
          podIP: p.ip,
          ready: p.ready ?? true,
          terminating: p.terminating,
          containers: [container],
          minutes: 32 + i,
        }),
      );
      const terminating = p.terminating === true;
      eps.push({ ip: p.ip, node: p.node, pod: podName, ready: (p.ready ?? true) && !terminating, serving: p.ready ?? true, terminating });
    });
    out.push(service(name, 'shop', { clusterIP: svc.clusterIP, ports: svc.ports, selector: labels, type: svc.type, etp: svc.etp, minutes: 31 }));
    out.push(endpointSlice(name, 'shop', eps, [{ name: 'http', port: 8080 }], 33));
    out.push(endpoints(name, 'shop', eps, [{ name: 'http', port: 8080 }], 33));
  };
  app('frontend', o.frontendPods, 'nginxinc/nginx-unprivileged:1.27.3', {
    type: 'NodePort',
    clusterIP: o.frontend?.clusterIP ?? ipAdd(svcBase, 120 * 256 + 15),
    ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: o.frontend?.nodePort ?? 30080 }],
    etp: o.frontend?.externalTrafficPolicy ?? 'Cluster',
  });
  const last = o.nodes[o.nodes.length - 1] ?? cp;
  app('backend', o.backendPods ?? [{ node: last.name, ip: ipAdd(cidrBase(last.podCIDR), 7) }], 'ghcr.io/example/shop-backend:2.4.1', {
    type: 'ClusterIP',
    clusterIP: ipAdd(svcBase, 44 * 256 + 201),
    ports: [{ name: 'http', port: 8080, targetPort: 8080 }],
  });
  const policy = (name: string, podSelector: Record<string, string>, ingress: Record<string, unknown>[]): KubeObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(name, 'shop', 'NetworkPolicy', 34, { generation: 1 }),
    spec: { ingress, podSelector: { matchLabels: podSelector }, policyTypes: ['Ingress'] },
  });
  out.push(policy('frontend-allow-http', { app: 'frontend' }, [{ ports: [{ port: 8080, protocol: 'TCP' }] }]));
  out.push(policy('backend-from-frontend', { app: 'backend' }, [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }]));

  // kube-system: kube-proxy (ConfigMap, DaemonSet, one pod per node).
  const kpLabels = { 'k8s-app': 'kube-proxy' };
  out.push({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('kube-proxy', 'kube-system', 'ConfigMap', 1, {
      annotations: { 'kubeadm.kubernetes.io/component-config.hash': `sha256:${hex('kube-proxy-config', 64)}` },
      labels: { app: 'kube-proxy' },
    }),
    data: {
      'config.conf': kubeProxyConfig(o.kubeProxy ?? {}, clusterCIDR),
      'kubeconfig.conf': [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- cluster:',
        '    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
        `    server: https://${cp.internalIP}:6443`,
        '  name: default',
        'contexts:',
        '- context:',
        '    cluster: default',
        '    namespace: default',
        '    user: default',
        '  name: default',
        'current-context: default',
        'users:',
        '- name: default',
        '  user:',
        '    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token',
        '',
      ].join('\n'),
    },
  });
  const kpContainer = {
    command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
    env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
    image: `registry.k8s.io/kube-proxy:${version}`,
    name: 'kube-proxy',
    securityContext: { privileged: true },
    volumeMounts: [
      { mountPath: '/var/lib/kube-proxy', name: 'kube-proxy' },
      { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
      { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
    ],
  };
  const kpSpec = {
    hostNetwork: true,
    nodeSelector: { 'kubernetes.io/os': 'linux' },
    priorityClassName: 'system-node-critical',
    serviceAccount: 'kube-proxy',
    serviceAccountName: 'kube-proxy',
    tolerations: [{ operator: 'Exists' }],
    volumes: [
      { configMap: { defaultMode: 420, name: 'kube-proxy' }, name: 'kube-proxy' },
      hostPath('xtables-lock', '/run/xtables.lock', 'FileOrCreate'),
      hostPath('lib-modules', '/lib/modules', ''),
    ],
  };
  const readyNodes = o.nodes.filter((n) => n.ready !== false).length;
  const revision = hashName('kube-proxy-revision', 10);
  out.push({
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta('kube-proxy', 'kube-system', 'DaemonSet', 1, { annotations: { 'deprecated.daemonset.template.generation': '1' }, generation: 1, labels: kpLabels }),
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: kpLabels },
      template: { metadata: { labels: kpLabels }, spec: { containers: [kpContainer], ...kpSpec } },
      updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' },
    },
    status: {
      currentNumberScheduled: o.nodes.length,
      desiredNumberScheduled: o.nodes.length,
      numberAvailable: readyNodes,
      numberMisscheduled: 0,
      numberReady: readyNodes,
      ...(readyNodes < o.nodes.length ? { numberUnavailable: o.nodes.length - readyNodes } : {}),
      observedGeneration: 1,
      updatedNumberScheduled: o.nodes.length,
    },
  });
  for (const n of o.nodes) {
    out.push(
      pod({
        name: `kube-proxy-${hashName(`kube-proxy/${n.name}`, 5)}`,
        namespace: 'kube-system',
        labels: { 'controller-revision-hash': revision, ...kpLabels, 'pod-template-generation': '1' },
        owner: ownerRef('apps/v1', 'DaemonSet', 'kube-system', 'kube-proxy'),
        nodeName: n.name,
        hostIP: n.internalIP,
        podIP: n.internalIP,
        ready: n.ready !== false,
        containers: [kpContainer],
        spec: {
          ...kpSpec,
          affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [n.name] }] }] } } },
          priority: 2000001000,
        },
        minutes: 2,
      }),
    );
  }

  // kube-system: CoreDNS (ConfigMap, Deployment, pods, Service kube-dns, its slice).
  const dnsLabels = { 'k8s-app': 'kube-dns' };
  out.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('coredns', 'kube-system', 'ConfigMap', 1), data: { Corefile: COREFILE } });
  const dnsContainer = {
    args: ['-conf', '/etc/coredns/Corefile'],
    image: 'registry.k8s.io/coredns/coredns:v1.11.3',
    name: 'coredns',
    ports: [
      { containerPort: 53, name: 'dns', protocol: 'UDP' },
      { containerPort: 53, name: 'dns-tcp', protocol: 'TCP' },
      { containerPort: 9153, name: 'metrics', protocol: 'TCP' },
    ],
    readinessProbe: { failureThreshold: 3, httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 },
  };
  const dnsPods = o.corednsPods ?? [
    { node: cp.name, ip: ipAdd(cidrBase(cp.podCIDR), 2) },
    { node: cp.name, ip: ipAdd(cidrBase(cp.podCIDR), 3) },
  ];
  const dnsRs = hashName('rs/kube-system/coredns', 10);
  out.push(
    deployment('coredns', 'kube-system', {
      labels: dnsLabels,
      replicas: dnsPods.length,
      ready: dnsPods.filter((p) => p.ready !== false).length,
      template: { containers: [dnsContainer], priorityClassName: 'system-cluster-critical', serviceAccountName: 'coredns' },
      minutes: 1,
    }),
  );
  const dnsEps: Endpoint[] = [];
  dnsPods.forEach((p, i) => {
    const name = p.name ?? `coredns-${dnsRs}-${hashName(`coredns/${i}`, 5)}`;
    out.push(
      pod({
        name,
        namespace: 'kube-system',
        labels: { ...dnsLabels, 'pod-template-hash': dnsRs },
        owner: ownerRef('apps/v1', 'ReplicaSet', 'kube-system', `coredns-${dnsRs}`),
        nodeName: p.node,
        hostIP: hostOf(p.node),
        podIP: p.ip,
        ready: p.ready ?? true,
        containers: [dnsContainer],
        spec: { priority: 2000000000, priorityClassName: 'system-cluster-critical', serviceAccount: 'coredns', serviceAccountName: 'coredns' },
        minutes: 4 + i,
      }),
    );
    dnsEps.push({ ip: p.ip, node: p.node, pod: name, ready: p.ready ?? true, serving: p.ready ?? true, terminating: false });
  });
  const dnsPorts = [
    { name: 'dns', port: 53, protocol: 'UDP' },
    { name: 'dns-tcp', port: 53, protocol: 'TCP' },
    { name: 'metrics', port: 9153, protocol: 'TCP' },
  ];
  out.push(
    service('kube-dns', 'kube-system', {
      clusterIP: ipAdd(svcBase, 10),
      ports: dnsPorts.map((p) => ({ ...p, targetPort: p.port })),
      selector: dnsLabels,
      labels: { ...dnsLabels, 'kubernetes.io/cluster-service': 'true', 'kubernetes.io/name': 'CoreDNS' },
      minutes: 1,
    }),
  );
  out.push(endpointSlice('kube-dns', 'kube-system', dnsEps, dnsPorts, 5));

  // kube-system: the kube-apiserver static (mirror) pod, owned by its Node.
  const cfgHash = hex(`apiserver/${cp.name}`, 32);
  out.push(
    pod({
      name: `kube-apiserver-${cp.name}`,
      namespace: 'kube-system',
      labels: { component: 'kube-apiserver', tier: 'control-plane' },
      annotations: {
        'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${cp.internalIP}:6443`,
        'kubernetes.io/config.hash': cfgHash,
        'kubernetes.io/config.mirror': cfgHash,
        'kubernetes.io/config.seen': at(0),
        'kubernetes.io/config.source': 'file',
      },
      owner: { apiVersion: 'v1', controller: true, kind: 'Node', name: cp.name, uid: uid('Node', '', cp.name) },
      nodeName: cp.name,
      hostIP: cp.internalIP,
      podIP: cp.internalIP,
      ready: true,
      containers: [
        {
          command: apiserverCommand(cp.internalIP, serviceCIDR, nodePortRange),
          image: `registry.k8s.io/kube-apiserver:${version}`,
          livenessProbe: { failureThreshold: 8, httpGet: { host: cp.internalIP, path: '/livez', port: 6443, scheme: 'HTTPS' }, initialDelaySeconds: 10, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 15 },
          name: 'kube-apiserver',
          resources: { requests: { cpu: '250m' } },
          volumeMounts: [
            { mountPath: '/etc/ssl/certs', name: 'ca-certs', readOnly: true },
            { mountPath: '/etc/kubernetes/pki', name: 'k8s-certs', readOnly: true },
          ],
        },
      ],
      spec: {
        hostNetwork: true,
        priority: 2000001000,
        priorityClassName: 'system-node-critical',
        securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
        tolerations: [{ effect: 'NoExecute', operator: 'Exists' }],
        volumes: [hostPath('ca-certs', '/etc/ssl/certs', 'DirectoryOrCreate'), hostPath('k8s-certs', '/etc/kubernetes/pki', 'DirectoryOrCreate')],
      },
      minutes: 0,
    }),
  );
  return out;
}
