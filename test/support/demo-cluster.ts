/**
 * The README's demo cluster: three nodes (kube-proxy iptables mode, flannel-style bridge CNI)
 * whose namespace `shop` has several broken NodePort Services. examples/demo.json is its snapshot;
 * examples/demo-nftables.json is the same cluster with kube-proxy in nftables mode
 * (nodePortAddresses unset, which means "primary" there) and a VIP 192.168.1.201 on node-1, so the
 * same root causes show in nftables form, plus the nodePortAddresses one for the VIP.
 *
 *   frontend  :30080  externalTrafficPolicy Local, pods on node-2 and node-3 only: node-1 drops it
 *   checkout  :30443  the selector says app=check-out, the pods are app=checkout: no endpoints
 *   payments  :30090  a NetworkPolicy admits only the client network, but cross-node traffic
 *                     arrives masqueraded to the ingress node's address
 *   search    :30100  dual-stack (PreferDualStack), pods on node-2 and node-3: IPv4 answers on
 *                     every node; IPv6 times out on node-1, whose net.ipv6.conf.all.forwarding
 *                     is 0 (its sysctl drop-in, from the install guide, sets only net.ipv4.ip_forward)
 *
 * The cluster is dual-stack (IPv4 first); the other Services are SingleStack IPv4, as Services
 * created before a cluster turns dual-stack stay.
 */
import { baseCluster, deploymentPods, dualStack, networkPolicy, service, updateNode, updateService, type ClusterSpec } from './scenario-kit/index.js';

/** The demo cluster in kube-proxy's iptables mode. */
export function demoCluster(): ClusterSpec {
  const spec = updateService(baseCluster({ context: 'admin@shop-prod' }), 'shop/frontend', { externalTrafficPolicy: 'Local' });
  const http = [{ name: 'http', containerPort: 8080, protocol: 'TCP' as const }];

  spec.services.push(service('shop', 'checkout', {
    ports: [{ name: 'https', port: 443, targetPort: 'http', nodePort: 30443 }],
    selector: { app: 'check-out' },
    labels: { app: 'checkout' },
  }));
  spec.pods.push(...deploymentPods(spec, 'shop', 'checkout', { nodes: ['node-2', 'node-3'], ports: http }));

  spec.services.push(service('shop', 'payments', {
    ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30090 }],
    selector: { app: 'payments' },
    labels: { app: 'payments' },
  }));
  spec.pods.push(...deploymentPods(spec, 'shop', 'payments', { nodes: ['node-3'], ports: http }));
  spec.networkPolicies.push(networkPolicy('shop', 'payments-from-partners', {
    podSelector: { matchLabels: { app: 'payments' } },
    policyTypes: ['Ingress'],
    ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ protocol: 'TCP', port: 'http' }] }],
  }));

  dualStack(spec);
  spec.services.push(service('shop', 'search', {
    ipFamilyPolicy: 'PreferDualStack',
    ports: [{ name: 'http', port: 80, targetPort: 'http', nodePort: 30100 }],
    selector: { app: 'search' },
    labels: { app: 'search' },
  }));
  spec.pods.push(...deploymentPods(spec, 'shop', 'search', { nodes: ['node-2', 'node-3'], ports: http }));
  return updateNode(spec, 'node-1', { sysctls: { ipv6Forwarding: false } });
}

/** The same cluster with kube-proxy in nftables mode and a VIP on node-1. */
export function demoClusterNftables(): ClusterSpec {
  const spec = demoCluster();
  spec.kubeProxy.mode = 'nftables';
  return updateNode(spec, 'node-1', { extraAddresses: [{ iface: 'eth0', ip: '192.168.1.201', prefix: 24 }] });
}

/** Both demos are gathered for the whole namespace, as `np-doctor snapshot -n shop` would. */
export const DEMO_TARGET = { namespace: 'shop', service: null };
