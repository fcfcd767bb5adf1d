/**
 * The cluster gathering tests read through an API server (the fake one, the real one in test/k8s,
 * the namespace lab of cluster-lab.ts): the scenario kit's base cluster (node-1 control plane at
 * 192.168.1.101, node-2 and node-3; shop/frontend NodePort 30080 with a pod on node-2 and node-3,
 * shop/backend ClusterIP with a pod on node-3; CoreDNS on node-1; kube-proxy in iptables mode)
 * plus two NetworkPolicies in shop, so policy reads find something.
 */
import type { KubeObject } from './fake-apiserver/index.js';
import { baseCluster, clusterObjects, networkPolicy, type ClusterSpec } from './scenario-kit/index.js';

export function apiCluster(): ClusterSpec {
  const spec = baseCluster();
  spec.networkPolicies.push(
    networkPolicy('shop', 'frontend-allow-http', {
      podSelector: { matchLabels: { app: 'frontend' } },
      policyTypes: ['Ingress'],
      ingress: [{ ports: [{ port: 8080, protocol: 'TCP' }] }],
    }),
    networkPolicy('shop', 'backend-from-frontend', {
      podSelector: { matchLabels: { app: 'backend' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'frontend' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }],
    }),
  );
  return spec;
}

/** Every object of `spec` (default: apiCluster()) for startFakeApiserver({ objects }). */
export function apiClusterObjects(spec: ClusterSpec = apiCluster()): KubeObject[] {
  return clusterObjects(spec).map(({ apiVersion, kind, ...rest }) => {
    // The kit writes both on every object; the snapshot schema only leaves them optional.
    if (apiVersion === undefined || kind === undefined) throw new Error(`the kit built ${rest.metadata.name} without apiVersion or kind`);
    return { apiVersion, kind, ...rest };
  });
}
