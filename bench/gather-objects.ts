/**
 * The API objects of a large cluster, as kube-apiserver would hand them out (wire JSON), for the
 * gathering benchmark's fake API server: N NodePort Services spread over namespaces, one
 * EndpointSlice of E endpoints each, one Pod per endpoint, the Nodes, one NetworkPolicy and the
 * Namespace object per namespace. Objects carry what real ones carry and np-doctor drops
 * (managedFields, kubectl's last-applied annotation), so both clients decode real-sized lists.
 * Same options → the same objects.
 */
import type { KubeObject } from '../test/support/fake-apiserver/index.js';

export interface ClusterSize {
  services: number;
  endpointsPerService: number;
  nodes: number;
  namespaces: number;
}

const TIME = '2026-11-01T09:00:00Z';

/** What the apiserver keeps for server-side apply: about half of a small object's JSON. */
function managed(manager: string, fields: Record<string, unknown>): Record<string, unknown>[] {
  return [{ manager, operation: 'Update', apiVersion: 'v1', time: TIME, fieldsType: 'FieldsV1', fieldsV1: fields }];
}

const octets = (n: number): string => `${(n >> 8) & 255}.${n & 255}`;

export function clusterObjects(size: ClusterSize): KubeObject[] {
  const out: KubeObject[] = [];
  const nsName = (i: number) => `team-${String(i).padStart(3, '0')}`;
  for (let i = 0; i < size.namespaces; i++) {
    out.push({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: nsName(i), labels: { 'kubernetes.io/metadata.name': nsName(i) } } });
    out.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-nodeports', namespace: nsName(i) },
      spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] },
    });
  }
  for (let n = 0; n < size.nodes; n++) {
    const name = `node-${String(n + 1).padStart(3, '0')}`;
    out.push({
      apiVersion: 'v1', kind: 'Node',
      metadata: { name, labels: { 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux' }, managedFields: managed('kubelet', { 'f:status': { 'f:addresses': {} } }) },
      spec: { podCIDR: `10.244.${n}.0/24`, podCIDRs: [`10.244.${n}.0/24`] },
      status: {
        addresses: [{ type: 'InternalIP', address: `192.168.${n >> 8}.${(n & 255) + 1}` }, { type: 'Hostname', address: name }],
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', lastHeartbeatTime: TIME, lastTransitionTime: TIME }],
        nodeInfo: { kernelVersion: '6.1.0-28-amd64', kubeProxyVersion: 'v1.31.4', kubeletVersion: 'v1.31.4', osImage: 'Debian GNU/Linux 12 (bookworm)', containerRuntimeVersion: 'containerd://1.7.24' },
      },
    });
  }
  let pod = 0;
  for (let i = 0; i < size.services; i++) {
    const ns = nsName(i % size.namespaces);
    const name = `svc-${String(i).padStart(5, '0')}`;
    const spec = {
      type: 'NodePort', selector: { app: name }, clusterIP: `10.96.${octets(i + 1)}`, clusterIPs: [`10.96.${octets(i + 1)}`],
      ports: [{ name: 'http', port: 80, targetPort: 8080, protocol: 'TCP', nodePort: 30000 + (i % 2768) }],
      externalTrafficPolicy: 'Cluster', internalTrafficPolicy: 'Cluster', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', sessionAffinity: 'None',
    };
    out.push({
      apiVersion: 'v1', kind: 'Service',
      metadata: {
        name, namespace: ns, labels: { app: name },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { type: 'NodePort', selector: spec.selector, ports: spec.ports } }) },
        managedFields: managed('kubectl-client-side-apply', { 'f:metadata': { 'f:labels': { 'f:app': {} } }, 'f:spec': { 'f:ports': {}, 'f:selector': {}, 'f:type': {} } }),
      },
      spec,
    });
    const endpoints = [];
    for (let e = 0; e < size.endpointsPerService; e++, pod++) {
      const node = `node-${String((pod % size.nodes) + 1).padStart(3, '0')}`;
      const ip = `10.${244 + (pod >> 16)}.${octets(pod & 0xffff)}`;
      const podName = `${name}-${e}`;
      endpoints.push({ addresses: [ip], conditions: { ready: true, serving: true, terminating: false }, nodeName: node, targetRef: { kind: 'Pod', name: podName, namespace: ns } });
      out.push({
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: podName, namespace: ns, labels: { app: name }, managedFields: managed('kubelet', { 'f:status': { 'f:podIP': {} } }) },
        spec: { nodeName: node, containers: [{ name: 'app', image: 'registry.example/app:1.0', ports: [{ containerPort: 8080, protocol: 'TCP' }] }] },
        status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], hostIP: '192.168.0.1', conditions: [{ type: 'Ready', status: 'True' }] },
      });
    }
    out.push({
      apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice',
      metadata: { name: `${name}-abcde`, namespace: ns, labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
      addressType: 'IPv4', endpoints, ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  }
  return out;
}
