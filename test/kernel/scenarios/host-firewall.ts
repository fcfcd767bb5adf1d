/**
 * A host firewall rule `-A INPUT -p tcp --dport 30000:32767 -j DROP` after kube-proxy's jumps.
 * It only sees packets routed to the node itself, AFTER nat PREROUTING:
 *   - NodePort DNATed to a pod → FORWARD path → the INPUT rule never sees it → delivered;
 *   - NodePort DNATed to a host-network endpoint on 31081 (in the range) → INPUT → DROP;
 *   - NodePort DNATed to a host-network endpoint on 9090 (outside it) → delivered to the host,
 *     and NOT masqueraded although KUBE-EXT marked it (no POSTROUTING on the input path);
 *   - a NodePort with no service rules at all → not DNATed → INPUT → DROP.
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const toPod = clusterService({ svc: 'default/pod:http', tag: 'HFPOD', proto: 'tcp', nodePort: 30080, endpoints: [{ ip: '10.244.0.5', port: 8080 }] });
const toHostInRange = clusterService({
  svc: 'default/hostnet-high:http',
  tag: 'HFHOSTHI',
  proto: 'tcp',
  nodePort: 30081,
  endpoints: [{ ip: '192.168.49.2', port: 31081 }],
});
const toHost = clusterService({ svc: 'default/hostnet:http', tag: 'HFHOST', proto: 'tcp', nodePort: 30082, endpoints: [{ ip: '192.168.49.2', port: 9090 }] });

export const hostFirewall: Scenario = {
  name: 'host-firewall',
  about: 'INPUT drops 30000:32767: blocks host-network/un-DNATed NodePorts, not pod NodePorts (FORWARD)',
  nodes: [
    {
      hostServers: [{ name: 'hostA', ports: [31081, 9090] }],
      rules: {
        nft: kubeRules({
          natChains: [...toPod.chains, ...toHostInRange.chains, ...toHost.chains],
          nat: [...toPod.nat, ...toHostInRange.nat, ...toHost.nat],
          inputTail: ['-A INPUT -p tcp -m tcp --dport 30000:32767 -j DROP'],
        }),
      },
    },
  ],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'nodeport-to-pod',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30080 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
    {
      name: 'nodeport-to-hostnet-31081',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30081 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'timeout' },
    },
    {
      name: 'nodeport-to-hostnet-9090',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30082 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['hostA'], peerIp: '203.0.113.7' },
    },
    {
      name: 'nodeport-without-rules',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30083 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'timeout' },
    },
  ],
};
