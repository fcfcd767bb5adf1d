/**
 * A spec as the Kubernetes API would serve it (wire JSON, what `kubectl get -o json` prints):
 * Namespaces, Nodes, Services, EndpointSlices, Pods, NetworkPolicies, kube-proxy's ConfigMap,
 * DaemonSet and pods, CoreDNS's ConfigMap and Deployment, and the kube-apiserver static pods.
 * Names, UIDs, resourceVersions and timestamps are derived from the spec, so two builds of one
 * spec are equal.
 */
import type { KubeObject } from '../../../src/snapshot/schema.js';
import { endpointSlices } from './endpoint-slices.js';
import { tunnelAddress } from './host.js';
import { hex, nameSuffix, stableUid } from './net.js';
import { KERNEL_RELEASE } from './node-commands.js';
import {
  clusterIPsOf, findNode, healthCheckNodePortOf, internalIPOf, ipFamiliesOf, isPodReady, podIP6Of, podIPOf, podPhaseOf,
  type ClusterSpec, type ContainerSpec, type KubeProxyConfigSpec, type NodeSpec, type PodSpec, type ServiceSpec,
} from './spec.js';
import { at, beforeSnapshot, WORKLOADS } from './time.js';

/** The cluster's objects, grouped the way np-doctor reads them. */
export interface ClusterObjects {
  namespaces: KubeObject[];
  nodes: KubeObject[];
  services: KubeObject[];
  endpointSlices: KubeObject[];
  /** Workload and CoreDNS pods (spec.pods). */
  pods: KubeObject[];
  networkPolicies: KubeObject[];
  kubeProxy: { configMap: KubeObject; daemonSet: KubeObject; pods: KubeObject[] };
  coreDns: { configMap: KubeObject; deployment: KubeObject };
  /** kube-apiserver mirror pods of the control-plane nodes. */
  apiServerPods: KubeObject[];
}

export function buildObjects(spec: ClusterSpec): ClusterObjects {
  const rv = resourceVersions();
  const versioned = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: rv() } });
  const controlPlane = spec.nodes.filter((n) => n.controlPlane === true);
  return {
    namespaces: spec.namespaces.map((ns) => versioned(namespaceObject(ns.name, ns.labels))),
    nodes: spec.nodes.map((n) => versioned(nodeObject(spec, n))),
    services: spec.services.map((s) => versioned(serviceObject(s, healthCheckNodePortOf(spec, s), spec))),
    endpointSlices: endpointSlices(spec).map(versioned),
    pods: spec.pods.map((p) => versioned(workloadPod(spec, p, spec.pods.filter((q) => q.namespace === p.namespace).indexOf(p)))),
    networkPolicies: spec.networkPolicies.map((np) => versioned(withDefaults(np, 'NetworkPolicy', WORKLOADS + 4, { generation: 1 }))),
    kubeProxy: {
      configMap: versioned(kubeProxyConfigMap(spec)),
      daemonSet: versioned(kubeProxyDaemonSet(spec)),
      pods: spec.nodes.filter((n) => n.kubeProxy?.running !== false).map((n) => versioned(kubeProxyPod(spec, n))),
    },
    coreDns: {
      configMap: versioned({ apiVersion: 'v1', kind: 'ConfigMap', metadata: meta('coredns', 'kube-system', 'ConfigMap', 1), data: { Corefile: spec.coreDns.corefile } }),
      deployment: versioned(coreDnsDeployment(spec)),
    },
    apiServerPods: controlPlane.map((n) => versioned(apiServerPod(spec, n))),
  };
}

/** Every object of the cluster in one list (to seed a fake apiserver, for instance). */
export function clusterObjects(spec: ClusterSpec): KubeObject[] {
  const o = buildObjects(spec);
  return [
    ...o.namespaces, ...o.nodes, ...o.services, ...o.endpointSlices, ...o.pods, ...o.networkPolicies,
    o.kubeProxy.configMap, o.kubeProxy.daemonSet, ...o.kubeProxy.pods, o.coreDns.configMap, o.coreDns.deployment, ...o.apiServerPods,
  ];
}

function resourceVersions(): () => string {
  let n = 41000;
  return () => String(++n);
}

const uid = (kind: string, ns: string, name: string): string => stableUid(`${kind}/${ns}/${name}`);

function meta(name: string, namespace: string | undefined, kind: string, minutes: number, extra: Record<string, unknown> = {}): KubeObject['metadata'] {
  return { name, ...(namespace !== undefined ? { namespace } : {}), uid: uid(kind, namespace ?? '', name), creationTimestamp: at(minutes), ...extra };
}

const ownerRef = (apiVersion: string, kind: string, ns: string, name: string): Record<string, unknown> =>
  ({ apiVersion, kind, name, uid: uid(kind, ns, name), controller: true, blockOwnerDeletion: true });

function withDefaults(o: KubeObject, kind: string, minutes: number, extra: Record<string, unknown> = {}): KubeObject {
  return { ...o, metadata: { ...meta(o.metadata.name, o.metadata.namespace, kind, minutes, extra), ...o.metadata } };
}

function namespaceObject(name: string, labels: Record<string, string> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: meta(name, undefined, 'Namespace', ['default', 'kube-node-lease', 'kube-public', 'kube-system'].includes(name) ? 0 : WORKLOADS, { labels: { ...labels, 'kubernetes.io/metadata.name': name } }),
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

// ---------------------------------------------------------------------------------------------
// Nodes

function nodeObject(spec: ClusterSpec, n: NodeSpec): KubeObject {
  const ready = n.ready !== false;
  const heartbeat = ready ? beforeSnapshot(20) : beforeSnapshot(1800);
  const cond = (type: string, status: string, reason: string, message: string): Record<string, unknown> =>
    ({ lastHeartbeatTime: heartbeat, lastTransitionTime: ready ? at(1) : beforeSnapshot(1760), message, reason, status, type });
  const unknown = (type: string): Record<string, unknown> => cond(type, 'Unknown', 'NodeStatusUnknown', 'Kubelet stopped posting node status.');
  const calico = spec.cni === 'calico';
  const capacity = { cpu: '4', 'ephemeral-storage': '61202244Ki', 'hugepages-2Mi': '0', memory: '8131856Ki', pods: '110' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: meta(n.name, undefined, 'Node', n.controlPlane === true ? 0 : 3, {
      annotations: {
        ...(calico
          ? { 'projectcalico.org/IPv4Address': `${n.ip}/${n.prefix ?? 24}`, 'projectcalico.org/IPv4IPIPTunnelAddr': tunnelAddress(n) }
          : {
              'flannel.alpha.coreos.com/backend-data': 'null',
              'flannel.alpha.coreos.com/backend-type': 'host-gw',
              'flannel.alpha.coreos.com/kube-subnet-manager': 'true',
              'flannel.alpha.coreos.com/public-ip': n.ip,
              ...(n.ip6 !== undefined ? { 'flannel.alpha.coreos.com/backend-v6-data': 'null', 'flannel.alpha.coreos.com/public-ipv6': n.ip6 } : {}),
            }),
        'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock',
        'node.alpha.kubernetes.io/ttl': '0',
        'volumes.kubernetes.io/controller-managed-attach-detach': 'true',
      },
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': n.name,
        'kubernetes.io/os': 'linux',
        ...(n.controlPlane === true ? { 'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '' } : {}),
      },
    }),
    spec: {
      podCIDR: n.podCIDR,
      podCIDRs: n.podCIDR6 !== undefined ? [n.podCIDR, n.podCIDR6] : [n.podCIDR],
      ...(n.controlPlane === true || !ready
        ? {
            taints: [
              ...(n.controlPlane === true ? [{ effect: 'NoSchedule', key: 'node-role.kubernetes.io/control-plane' }] : []),
              ...(ready ? [] : [
                { effect: 'NoSchedule', key: 'node.kubernetes.io/unreachable', timeAdded: beforeSnapshot(1755) },
                { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', timeAdded: beforeSnapshot(1750) },
              ]),
            ],
          }
        : {}),
    },
    status: {
      addresses: [
        { address: internalIPOf(n), type: 'InternalIP' },
        ...(n.ip6 !== undefined ? [{ address: n.ip6, type: 'InternalIP' }] : []),
        ...(n.externalIP !== undefined ? [{ address: n.externalIP, type: 'ExternalIP' }] : []),
        { address: n.name, type: 'Hostname' },
      ],
      allocatable: { ...capacity, memory: '8029456Ki' },
      capacity,
      conditions: [
        ...(calico ? [{ lastHeartbeatTime: at(2), lastTransitionTime: at(2), message: 'Calico is running on this node', reason: 'CalicoIsUp', status: 'False', type: 'NetworkUnavailable' }] : []),
        ...(ready
          ? [
              cond('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
              cond('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
              cond('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
              cond('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
            ]
          : ['MemoryPressure', 'DiskPressure', 'PIDPressure', 'Ready'].map(unknown)),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: stableUid(`boot/${n.name}`),
        containerRuntimeVersion: 'containerd://1.7.24',
        kernelVersion: n.kernelRelease ?? KERNEL_RELEASE,
        kubeProxyVersion: spec.kubernetesVersion,
        kubeletVersion: spec.kubernetesVersion,
        machineID: hex(`machine/${n.name}`, 32),
        operatingSystem: 'linux',
        osImage: n.iptablesVersionSkew === true ? 'Ubuntu 18.04.6 LTS' : 'Debian GNU/Linux 12 (bookworm)',
        systemUUID: stableUid(`system/${n.name}`),
      },
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Services

/**
 * One Service as the API serves it; `healthCheckNodePort` 0 is none (healthCheckNodePortOf gives
 * the spec's); `cluster` says whether the cluster is dual-stack (default single-stack IPv4).
 */
export function serviceObject(s: ServiceSpec, healthCheckNodePort: number, cluster: Pick<ClusterSpec, 'ipv6'> = {}): KubeObject {
  const external = s.type === 'NodePort' || s.type === 'LoadBalancer';
  const clusterIPs = clusterIPsOf(cluster, s);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: meta(s.name, s.namespace, 'Service', s.namespace === 'default' || s.namespace === 'kube-system' ? 1 : WORKLOADS + 1, s.labels !== undefined ? { labels: s.labels } : {}),
    spec: {
      ...(s.type === 'LoadBalancer' ? { allocateLoadBalancerNodePorts: true } : {}),
      clusterIP: clusterIPs[0],
      clusterIPs,
      ...(s.externalIPs !== undefined ? { externalIPs: s.externalIPs } : {}),
      ...(external ? { externalTrafficPolicy: s.externalTrafficPolicy ?? 'Cluster' } : {}),
      ...(healthCheckNodePort !== 0 ? { healthCheckNodePort } : {}),
      internalTrafficPolicy: s.internalTrafficPolicy ?? 'Cluster',
      ipFamilies: ipFamiliesOf(cluster, s),
      ipFamilyPolicy: s.ipFamilyPolicy ?? 'SingleStack',
      ...(s.loadBalancerSourceRanges !== undefined ? { loadBalancerSourceRanges: s.loadBalancerSourceRanges } : {}),
      ports: s.ports.map((p) => ({
        ...(p.name ? { name: p.name } : {}),
        ...(p.nodePort !== undefined ? { nodePort: p.nodePort } : {}),
        port: p.port,
        protocol: p.protocol ?? 'TCP',
        targetPort: p.targetPort ?? p.port,
      })),
      ...(s.publishNotReadyAddresses === true ? { publishNotReadyAddresses: true } : {}),
      ...(s.selector !== undefined ? { selector: s.selector } : {}),
      sessionAffinity: s.sessionAffinity ?? 'None',
      ...(s.sessionAffinity === 'ClientIP' ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: s.sessionAffinityTimeoutSeconds ?? 10800 } } } : {}),
      type: s.type,
    },
    status: { loadBalancer: s.loadBalancerIngress === undefined ? {} : { ingress: s.loadBalancerIngress.map((ip) => ({ ip, ipMode: 'VIP' })) } },
  };
}

// ---------------------------------------------------------------------------------------------
// Pods

interface PodIn {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  owner?: Record<string, unknown>;
  nodeName: string | null;
  hostIP: string | null;
  podIP: string | null;
  /** Dual-stack: the node's IPv6 address, the pod's IPv6 address. */
  hostIP6?: string | null;
  podIP6?: string | null;
  phase: NonNullable<PodSpec['phase']>;
  /** The Ready condition (readiness probe passing, containers running). */
  ready: boolean;
  terminating: boolean;
  crashLoop: boolean;
  restartCount: number;
  containers: (ContainerSpec & Record<string, unknown>)[];
  spec?: Record<string, unknown>;
  minutes: number;
}

function podObject(p: PodIn): KubeObject {
  const started = at(p.minutes + 1);
  const scheduled = p.nodeName !== null;
  const running = p.phase === 'Running';
  const unready = { message: `containers with unready status: [${p.containers.map((c) => c.name).join(' ')}]`, reason: 'ContainersNotReady' };
  // Readiness was lost recently (a crash, a failing probe); everything else settled at start.
  const condition = (type: string, ok: boolean, extra: Record<string, unknown> = {}): Record<string, unknown> =>
    ({ lastProbeTime: null, lastTransitionTime: ok || !running ? started : beforeSnapshot(p.crashLoop ? 95 : 600), ...(ok ? {} : extra), status: ok ? 'True' : 'False', type });
  const conditions = scheduled
    ? [
        condition('PodReadyToStartContainers', p.podIP !== null),
        condition('Initialized', true),
        condition('Ready', p.ready, unready),
        condition('ContainersReady', p.ready, unready),
        condition('PodScheduled', true),
      ]
    : [{ lastProbeTime: null, lastTransitionTime: started, message: '0/3 nodes are available: 3 Insufficient cpu. preemption: 0/3 nodes are available: 3 No preemption victims found for incoming pod.', reason: 'Unschedulable', status: 'False', type: 'PodScheduled' }];
  const containerStatus = (c: ContainerSpec): Record<string, unknown> => {
    const base = {
      image: c.image,
      imageID: `${c.image.split(':')[0] ?? c.image}@sha256:${hex(`image/${c.image}`, 64)}`,
      name: c.name,
      restartCount: p.restartCount,
    };
    const id = `containerd://${hex(`container/${p.namespace}/${p.name}/${c.name}/${p.restartCount}`, 64)}`;
    if (p.crashLoop) {
      return {
        ...base,
        containerID: id,
        lastState: { terminated: { containerID: id, exitCode: 1, finishedAt: beforeSnapshot(95), reason: 'Error', startedAt: beforeSnapshot(97) } },
        ready: false,
        started: false,
        state: { waiting: { message: `back-off 5m0s restarting failed container=${c.name} pod=${p.name}_${p.namespace}(${uid('Pod', p.namespace, p.name)})`, reason: 'CrashLoopBackOff' } },
      };
    }
    if (p.phase === 'Pending') return { ...base, lastState: {}, ready: false, started: false, state: { waiting: { reason: 'ContainerCreating' } } };
    if (!running) {
      const ok = p.phase === 'Succeeded';
      return { ...base, containerID: id, lastState: {}, ready: false, started: false, state: { terminated: { containerID: id, exitCode: ok ? 0 : 1, finishedAt: beforeSnapshot(600), reason: ok ? 'Completed' : 'Error', startedAt: started } } };
    }
    return { ...base, containerID: id, lastState: {}, ready: p.ready, started: true, state: { running: { startedAt: started } } };
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta(p.name, p.namespace, 'Pod', p.minutes, {
      ...(p.terminating ? { deletionGracePeriodSeconds: 30, deletionTimestamp: beforeSnapshot(-25) } : {}),
      labels: p.labels,
      ...(p.annotations !== undefined ? { annotations: p.annotations } : {}),
      ...(p.owner !== undefined ? { ownerReferences: [p.owner] } : {}),
    }),
    spec: {
      containers: p.containers.map((c) => ({
        ...c,
        imagePullPolicy: 'IfNotPresent',
        ...(c.ports !== undefined ? { ports: c.ports.map((cp) => ({ containerPort: cp.containerPort, ...(cp.name !== undefined ? { name: cp.name } : {}), protocol: cp.protocol ?? 'TCP' })) } : {}),
        resources: {},
        terminationMessagePath: '/dev/termination-log',
        terminationMessagePolicy: 'File',
      })),
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      ...(scheduled ? { nodeName: p.nodeName } : {}),
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
      conditions,
      ...(scheduled ? { containerStatuses: p.containers.map(containerStatus) } : {}),
      ...(p.hostIP !== null ? { hostIP: p.hostIP, hostIPs: [p.hostIP, p.hostIP6 ?? null].flatMap((ip) => (ip === null ? [] : [{ ip }])) } : {}),
      phase: p.phase,
      ...(p.podIP !== null ? { podIP: p.podIP, podIPs: [p.podIP, p.podIP6 ?? null].flatMap((ip) => (ip === null ? [] : [{ ip }])) } : {}),
      qosClass: p.containers.some((c) => c.resources !== undefined) ? 'Burstable' : 'BestEffort',
      ...(scheduled ? { startTime: at(p.minutes) } : {}),
    },
  };
}

/**
 * One workload Pod as the API serves it, on its node of `spec.nodes` (the hostIP; a hostNetwork
 * pod's IP). `order`, its place among its namespace's pods, staggers the creation times.
 */
export function workloadPod(spec: Pick<ClusterSpec, 'nodes' | 'ipv6'>, p: PodSpec, order: number): KubeObject {
  const system = p.namespace === 'kube-system';
  const owner = p.owner ?? { kind: 'ReplicaSet', name: p.name.split('-').slice(0, 2).join('-') };
  const minutes = (system ? 4 : WORKLOADS + 2) + (order % 20);
  const node = p.node === null ? null : findNode(spec, p.node);
  return podObject({
    name: p.name,
    namespace: p.namespace,
    labels: p.labels,
    owner: owner.kind === 'Node'
      ? { apiVersion: 'v1', controller: true, kind: 'Node', name: owner.name, uid: uid('Node', '', owner.name) }
      : ownerRef('apps/v1', owner.kind, p.namespace, owner.name),
    nodeName: p.node,
    hostIP: node === null ? null : internalIPOf(node),
    podIP: podIPOf(spec, p),
    hostIP6: node?.ip6 ?? null,
    podIP6: podIP6Of(spec, p),
    phase: podPhaseOf(spec, p),
    ready: isPodReady(spec, p),
    terminating: p.terminating === true,
    crashLoop: p.crashLoop === true,
    restartCount: p.restartCount ?? (p.crashLoop === true ? 12 : 0),
    containers: p.containers.map((c) => ({ ...c, ...(c.command !== undefined ? { command: c.command } : {}) })),
    spec: {
      ...(p.hostNetwork === true ? { hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' } : {}),
      ...(system ? { priority: 2000000000, priorityClassName: 'system-cluster-critical' } : {}),
    },
    minutes,
  });
}

// ---------------------------------------------------------------------------------------------
// kube-proxy

/**
 * kubeadm's KubeProxyConfiguration (every field, as `kubeadm init` writes it) with the spec's
 * choices: `mode`, nodePortAddresses, and the masquerade settings in the section the mode reads
 * (`nftables:` in nftables mode, `iptables:` otherwise; the other keeps kubeadm's defaults).
 */
export function kubeProxyConfigYaml(kp: KubeProxyConfigSpec, clusterCIDR: string): string {
  const list = (xs: string[] | null): string => (xs === null ? ' null' : xs.length === 0 ? ' []' : xs.map((x) => `\n- ${x}`).join(''));
  const mode = kp.mode ?? 'iptables';
  const nft = mode === 'nftables';
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
  tcpBeLiberal: ${kp.tcpBeLiberal}
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
  localhostNodePorts: ${kp.localhostNodePorts}
  masqueradeAll: ${nft ? false : kp.masqueradeAll}
  masqueradeBit: ${nft ? 14 : kp.masqueradeBit}
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
mode: ${mode}
nftables:
  masqueradeAll: ${nft ? kp.masqueradeAll : false}
  masqueradeBit: ${nft ? kp.masqueradeBit : 'null'}
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses:${list(kp.nodePortAddresses)}
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

/** kube-proxy's clusterCIDR: one CIDR per family, comma-separated (kubeadm's dual-stack form). */
const clusterCIDRs = (spec: ClusterSpec): string => (spec.ipv6 === undefined ? spec.clusterCIDR : `${spec.clusterCIDR},${spec.ipv6.clusterCIDR}`);

function kubeProxyConfigMap(spec: ClusterSpec): KubeObject {
  const cp = spec.nodes.find((n) => n.controlPlane === true) ?? spec.nodes[0];
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: meta('kube-proxy', 'kube-system', 'ConfigMap', 1, {
      annotations: { 'kubeadm.kubernetes.io/component-config.hash': `sha256:${hex(kubeProxyConfigYaml(spec.kubeProxy, clusterCIDRs(spec)), 64)}` },
      labels: { app: 'kube-proxy' },
    }),
    data: {
      'config.conf': kubeProxyConfigYaml(spec.kubeProxy, clusterCIDRs(spec)),
      'kubeconfig.conf': [
        'apiVersion: v1', 'kind: Config', 'clusters:', '- cluster:',
        '    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt',
        `    server: https://${cp === undefined ? '127.0.0.1' : internalIPOf(cp)}:6443`,
        '  name: default', 'contexts:', '- context:', '    cluster: default', '    namespace: default', '    user: default', '  name: default',
        'current-context: default', 'users:', '- name: default', '  user:', '    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token', '',
      ].join('\n'),
    },
  };
}

const KUBE_PROXY_LABELS = { 'k8s-app': 'kube-proxy' };

/**
 * kubeadm's container. A node whose kube-proxy gets its name wrong (hostnameOverride knob) is
 * modelled as a kube-proxy started without --hostname-override on a host whose hostname is not
 * its Node name, so the flag is left out when any node has that knob.
 */
function kubeProxyContainer(spec: ClusterSpec): ContainerSpec & Record<string, unknown> {
  const wrongName = spec.nodes.some((n) => n.kubeProxy?.hostnameOverride !== undefined);
  return {
    command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', ...(wrongName ? [] : ['--hostname-override=$(NODE_NAME)'])],
    env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'spec.nodeName' } } }],
    image: `registry.k8s.io/kube-proxy:${spec.kubernetesVersion}`,
    name: 'kube-proxy',
    securityContext: { privileged: true },
    volumeMounts: [
      { mountPath: '/var/lib/kube-proxy', name: 'kube-proxy' },
      { mountPath: '/run/xtables.lock', name: 'xtables-lock' },
      { mountPath: '/lib/modules', name: 'lib-modules', readOnly: true },
    ],
  };
}

const hostPath = (name: string, path: string, type: string): Record<string, unknown> => ({ hostPath: { path, type }, name });

const KUBE_PROXY_POD_SPEC = {
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

/** Whether a node's kube-proxy pod runs and is ready. */
export const kubeProxyReady = (n: NodeSpec): boolean => n.kubeProxy?.running !== false && n.kubeProxy?.crashLooping !== true && n.ready !== false;

function kubeProxyDaemonSet(spec: ClusterSpec): KubeObject {
  const scheduled = spec.nodes.filter((n) => n.kubeProxy?.running !== false).length;
  const ready = spec.nodes.filter(kubeProxyReady).length;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: meta('kube-proxy', 'kube-system', 'DaemonSet', 1, { annotations: { 'deprecated.daemonset.template.generation': '1' }, generation: 1, labels: KUBE_PROXY_LABELS }),
    spec: {
      revisionHistoryLimit: 10,
      selector: { matchLabels: KUBE_PROXY_LABELS },
      template: { metadata: { labels: KUBE_PROXY_LABELS }, spec: { containers: [kubeProxyContainer(spec)], ...KUBE_PROXY_POD_SPEC } },
      updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: 1 }, type: 'RollingUpdate' },
    },
    status: {
      currentNumberScheduled: scheduled,
      desiredNumberScheduled: scheduled,
      numberAvailable: ready,
      numberMisscheduled: 0,
      numberReady: ready,
      ...(ready < scheduled ? { numberUnavailable: scheduled - ready } : {}),
      observedGeneration: 1,
      updatedNumberScheduled: scheduled,
    },
  };
}

function kubeProxyPod(spec: ClusterSpec, n: NodeSpec): KubeObject {
  const crash = n.kubeProxy?.crashLooping === true;
  return podObject({
    name: `kube-proxy-${nameSuffix(`kube-proxy/${n.name}`, 5)}`,
    namespace: 'kube-system',
    labels: { 'controller-revision-hash': nameSuffix('kube-proxy-revision', 10), ...KUBE_PROXY_LABELS, 'pod-template-generation': '1' },
    owner: ownerRef('apps/v1', 'DaemonSet', 'kube-system', 'kube-proxy'),
    nodeName: n.name,
    hostIP: internalIPOf(n),
    podIP: internalIPOf(n),
    hostIP6: n.ip6 ?? null,
    podIP6: n.ip6 ?? null,
    phase: 'Running',
    ready: kubeProxyReady(n),
    terminating: false,
    crashLoop: crash,
    restartCount: crash ? 14 : 0,
    containers: [kubeProxyContainer(spec)],
    spec: {
      ...KUBE_PROXY_POD_SPEC,
      affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [n.name] }] }] } } },
      priority: 2000001000,
    },
    minutes: 2,
  });
}

// ---------------------------------------------------------------------------------------------
// CoreDNS and the apiserver

const COREDNS_LABELS = { 'k8s-app': 'kube-dns' };

function coreDnsDeployment(spec: ClusterSpec): KubeObject {
  const pods = spec.pods.filter((p) => p.namespace === 'kube-system' && p.labels['k8s-app'] === 'kube-dns');
  const ready = pods.filter((p) => isPodReady(spec, p) && p.terminating !== true).length;
  const available = ready > 0;
  const rs = pods[0]?.owner?.name ?? `coredns-${nameSuffix('rs/kube-system/coredns', 10)}`;
  const template = pods[0]?.containers[0];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: meta('coredns', 'kube-system', 'Deployment', 1, { annotations: { 'deployment.kubernetes.io/revision': '1' }, generation: 1, labels: COREDNS_LABELS }),
    spec: {
      progressDeadlineSeconds: 600,
      replicas: pods.length,
      revisionHistoryLimit: 10,
      selector: { matchLabels: COREDNS_LABELS },
      strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 }, type: 'RollingUpdate' },
      template: {
        metadata: { labels: COREDNS_LABELS },
        spec: {
          containers: template === undefined ? [] : [{
            args: ['-conf', '/etc/coredns/Corefile'],
            image: template.image,
            name: template.name,
            ports: (template.ports ?? []).map((cp) => ({ containerPort: cp.containerPort, name: cp.name, protocol: cp.protocol ?? 'TCP' })),
            readinessProbe: { failureThreshold: 3, httpGet: { path: '/ready', port: 8181, scheme: 'HTTP' }, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 },
          }],
          dnsPolicy: 'Default',
          priorityClassName: 'system-cluster-critical',
          serviceAccountName: 'coredns',
        },
      },
    },
    status: {
      ...(ready > 0 ? { availableReplicas: ready } : {}),
      conditions: [
        {
          lastTransitionTime: available ? at(2) : beforeSnapshot(900),
          lastUpdateTime: available ? at(2) : beforeSnapshot(900),
          message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
          reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
          status: available ? 'True' : 'False',
          type: 'Available',
        },
        {
          lastTransitionTime: at(1),
          lastUpdateTime: at(2),
          message: `ReplicaSet "${rs}" has successfully progressed.`,
          reason: 'NewReplicaSetAvailable',
          status: 'True',
          type: 'Progressing',
        },
      ],
      observedGeneration: 1,
      ...(ready > 0 ? { readyReplicas: ready } : {}),
      replicas: pods.length,
      ...(ready < pods.length ? { unavailableReplicas: pods.length - ready } : {}),
      updatedReplicas: pods.length,
    },
  };
}

function apiServerPod(spec: ClusterSpec, n: NodeSpec): KubeObject {
  const ip = internalIPOf(n);
  const pki = '/etc/kubernetes/pki';
  const cfgHash = hex(`apiserver/${n.name}`, 32);
  return podObject({
    name: `kube-apiserver-${n.name}`,
    namespace: 'kube-system',
    labels: { component: 'kube-apiserver', tier: 'control-plane' },
    annotations: {
      'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': `${ip}:6443`,
      'kubernetes.io/config.hash': cfgHash,
      'kubernetes.io/config.mirror': cfgHash,
      'kubernetes.io/config.seen': at(0),
      'kubernetes.io/config.source': 'file',
    },
    owner: { apiVersion: 'v1', controller: true, kind: 'Node', name: n.name, uid: uid('Node', '', n.name) },
    nodeName: n.name,
    hostIP: ip,
    podIP: ip,
    hostIP6: n.ip6 ?? null,
    podIP6: n.ip6 ?? null,
    phase: 'Running',
    ready: n.ready !== false,
    terminating: false,
    crashLoop: false,
    restartCount: 0,
    containers: [{
      command: [
        'kube-apiserver', `--advertise-address=${ip}`, '--allow-privileged=true', '--authorization-mode=Node,RBAC', `--client-ca-file=${pki}/ca.crt`,
        '--enable-admission-plugins=NodeRestriction', '--enable-bootstrap-token-auth=true', `--etcd-cafile=${pki}/etcd/ca.crt`,
        `--etcd-certfile=${pki}/apiserver-etcd-client.crt`, `--etcd-keyfile=${pki}/apiserver-etcd-client.key`, '--etcd-servers=https://127.0.0.1:2379',
        `--kubelet-client-certificate=${pki}/apiserver-kubelet-client.crt`, `--kubelet-client-key=${pki}/apiserver-kubelet-client.key`,
        '--kubelet-preferred-address-types=InternalIP,ExternalIP,Hostname', `--proxy-client-cert-file=${pki}/front-proxy-client.crt`,
        `--proxy-client-key-file=${pki}/front-proxy-client.key`, '--requestheader-allowed-names=front-proxy-client',
        `--requestheader-client-ca-file=${pki}/front-proxy-ca.crt`, '--requestheader-extra-headers-prefix=X-Remote-Extra-',
        '--requestheader-group-headers=X-Remote-Group', '--requestheader-username-headers=X-Remote-User', '--secure-port=6443',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local', `--service-account-key-file=${pki}/sa.pub`,
        `--service-account-signing-key-file=${pki}/sa.key`, `--service-cluster-ip-range=${spec.serviceCIDR}${spec.ipv6 !== undefined ? `,${spec.ipv6.serviceCIDR}` : ''}`,
        `--service-node-port-range=${spec.nodePortRange}`, `--tls-cert-file=${pki}/apiserver.crt`, `--tls-private-key-file=${pki}/apiserver.key`,
      ],
      image: `registry.k8s.io/kube-apiserver:${spec.kubernetesVersion}`,
      name: 'kube-apiserver',
      resources: { requests: { cpu: '250m' } },
    }],
    spec: {
      hostNetwork: true,
      priority: 2000001000,
      priorityClassName: 'system-node-critical',
      securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
      tolerations: [{ effect: 'NoExecute', operator: 'Exists' }],
    },
    minutes: 0,
  });
}
