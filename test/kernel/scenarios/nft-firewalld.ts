/**
 * kube-proxy's nftables table next to a firewalld-like `table inet firewalld` (nft-rules.ts). The
 * two tables hook the same hooks at different priorities: kube-proxy DNATs at prerouting -100,
 * firewalld filters input/forward at `filter + 10`, after kube-proxy's filter chains. What firewalld
 * sees is therefore the packet AFTER DNAT:
 *
 *   firewalld-reject (kube-proxy v1.34 layout): the public zone allows only ssh.
 *     - a NodePort with no Service: not DNATed → filter_INPUT → zone → `reject with icmpx
 *       admin-prohibited` → refused (EHOSTUNREACH);
 *     - a NodePort DNATed to a host-network endpoint (hostA on 9090): input path, 9090 not allowed
 *       → rejected, refused;
 *     - a NodePort DNATed to a pod: forward path, no zone accepts it, filter_FORWARD ends in `drop`
 *       → timeout (kube-proxy's nftables mode has no FORWARD accept of its own).
 *   firewalld-allow (kube-proxy v1.33 layout): the zone allows 30000-32767 and 9090; a trusted zone
 *     covers the pod interfaces (`oifname "cali*"`).
 *     - the pod NodePort is delivered, masqueraded: kube-proxy's masquerade binds SNAT at
 *       srcnat (100), so firewalld's nat_POSTROUTING (110) never runs for it;
 *     - the host-network NodePort is delivered, not masqueraded (input path);
 *     - the NodePort without a Service passes the zone and meets no socket: refused by the stack.
 */
import type { Scenario } from '../lab/scenario.js';
import { firewalldNft, kubeProxyNft, type KubeProxyLayout, type NftServicePort } from './nft-rules.js';

const A = '192.168.49.2';
const CLIENT = '203.0.113.7';

const toPod: NftServicePort = {
  namespace: 'shop',
  name: 'frontend',
  portName: 'http',
  proto: 'tcp',
  clusterIp: '10.96.0.10',
  port: 80,
  nodePort: 30080,
  endpoints: [{ ip: '10.244.0.5', port: 8080, local: true }],
};
const toHost: NftServicePort = {
  namespace: 'monitoring',
  name: 'node-exporter',
  portName: 'metrics',
  proto: 'tcp',
  clusterIp: '10.96.0.40',
  port: 9090,
  nodePort: 30081,
  endpoints: [{ ip: A, port: 9090, local: true }],
};

function node(layout: KubeProxyLayout, firewalld: string): Scenario['nodes'][number] {
  return {
    hostServers: [{ name: 'hostA', ports: [9090] }],
    rules: { nftables: `${kubeProxyNft({ layout, services: [toPod, toHost] })}${firewalld}` },
  };
}

export const nftFirewalldReject: Scenario = {
  name: 'nft-firewalld-reject',
  about: 'firewalld zone allows ssh only: un-DNATed and host-network NodePorts rejected (admin-prohibited), pod NodePort dropped in filter_FORWARD',
  nodes: [node('v1.34', firewalldNft({ iface: 'eth0', allowTcp: ['22'] }))],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'nodeport-without-service',
      from: { kind: 'client' },
      to: { ip: A, port: 30082 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'refused' },
    },
    {
      name: 'nodeport-to-hostnet',
      from: { kind: 'client' },
      to: { ip: A, port: 30081 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'refused' },
    },
    {
      name: 'nodeport-to-pod',
      from: { kind: 'client' },
      to: { ip: A, port: 30080 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'timeout' },
    },
  ],
};

export const nftFirewalldAllow: Scenario = {
  name: 'nft-firewalld-allow',
  about: 'firewalld zone allows the NodePort range and 9090, trusted cali*: pod and host-network NodePorts delivered',
  nodes: [node('v1.33', firewalldNft({ iface: 'eth0', allowTcp: ['22', '30000-32767', '9090'], trustedOut: ['cali*'] }))],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'nodeport-to-pod',
      from: { kind: 'client' },
      to: { ip: A, port: 30080 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: A },
    },
    {
      name: 'nodeport-to-hostnet',
      from: { kind: 'client' },
      to: { ip: A, port: 30081 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['hostA'], peerIp: CLIENT },
    },
    {
      name: 'nodeport-without-service',
      from: { kind: 'client' },
      to: { ip: A, port: 30082 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'refused' },
    },
  ],
};
