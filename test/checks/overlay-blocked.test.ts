import check from '../../checks/overlay-blocked.js';
import { updateNode, updatePods } from '../support/scenario-kit/index.js';
import { probesFor, type Wire } from '../support/scenario-kit/probes.js';
import { checkTester } from './tester.js';

/** Every connect from a node to a pod on another node times out. */
const crossNodeLost: Wire = { toPod: (from, pod) => (pod.node === from ? 'connected' : 'timed-out') };
const ALL_PAIRS = 'from node-1 to shop/frontend-xgf88pr6rs-5hr8x on node-2 (10.244.1.2:8080 timed-out) and shop/frontend-xgf88pr6rs-bvvl9 on node-3 (10.244.2.2:8080 timed-out), '
  + 'from node-2 to shop/frontend-xgf88pr6rs-bvvl9 on node-3 (10.244.2.2:8080 timed-out) and from node-3 to shop/frontend-xgf88pr6rs-5hr8x on node-2 (10.244.1.2:8080 timed-out)';
const LOST = { port: 30080, them: 'pods on other nodes', seen: 'to those pods times out' };

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-probes' },
    // The client's probes time out before the node; the pods answer every node: nodeport-blocked-before-node's.
    { scenario: 'cloud-firewall-blocks-nodeport' },
    {
      scenario: 'healthy-etp-cluster', name: 'a pod on the ingress node itself does not answer (not between nodes: replay-contradicts-wire\'s)',
      spec: (s) => { s.probes = probesFor(s, { toPod: (from, pod) => (pod.node === from ? 'timed-out' : 'connected') }); },
    },
    {
      scenario: 'healthy-etp-cluster', name: 'pods on other nodes refuse (pod-refuses-connection\'s)',
      spec: (s) => { s.probes = probesFor(s, { toPod: (from, pod) => (pod.node === from ? 'connected' : 'refused') }); },
    },
    {
      scenario: 'healthy-etp-cluster', name: 'hostNetwork backends on other nodes do not answer: node to node, not the overlay (replay-contradicts-wire\'s)',
      spec: (s) => {
        updatePods(s, 'shop', { app: 'frontend' }, { hostNetwork: true });
        s.probes = probesFor(s, crossNodeLost);
      },
    },
    {
      scenario: 'firewalld-rejects-nodeport', name: 'the replay stops before the pods (host-firewall-drop\'s): a lost connect says nothing more',
      spec: (s) => { s.probes = probesFor(s, crossNodeLost); },
    },
  ],
  invalid: [
    {
      scenario: 'overlay-ipip-blocked',
      findings: [{
        messageId: 'tunnel',
        data: {
          ...LOST, pairs: ALL_PAIRS, cni: 'Calico', devices: 'tunl0 on node-1, node-2 and node-3; cali* on node-1, node-2 and node-3', mode: 'IPIP',
          needs: 'IP protocol 4 (IP-in-IP: neither TCP nor UDP, so a rule must allow the protocol itself) and TCP 179 (BGP, which carries the routes)',
        },
      }],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'flannel VXLAN (flannel.1), lost from node-1 only',
      spec: (s) => {
        for (const [n, i] of [['node-1', 0], ['node-2', 1], ['node-3', 2]] as const) updateNode(s, n, { extraAddresses: [{ iface: 'flannel.1', ip: `10.244.${i}.0`, prefix: 32 }] });
        s.probes = probesFor(s, { toPod: (from, pod) => (from === 'node-1' && pod.node !== from ? 'timed-out' : 'connected') });
      },
      findings: [{
        messageId: 'tunnel',
        data: {
          ...LOST, pairs: 'from node-1 to shop/frontend-xgf88pr6rs-5hr8x on node-2 (10.244.1.2:8080 timed-out) and shop/frontend-xgf88pr6rs-bvvl9 on node-3 (10.244.2.2:8080 timed-out)',
          cni: 'flannel', devices: 'flannel.1 on node-1, node-2 and node-3', mode: 'VXLAN', needs: 'UDP 8472 (VXLAN, the Linux kernel\'s default port)',
        },
      }],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'flannel host-gw (its chains, no tunnel device): routed pod addresses, lost to node-2 only',
      spec: (s) => { s.probes = probesFor(s, { toPod: (from, pod) => (pod.node === 'node-2' && from !== 'node-2' ? 'timed-out' : 'connected') }); },
      findings: [{
        messageId: 'routed', node: 'node-2',
        data: {
          ...LOST, them: 'the pods on node-2',
          pairs: 'from node-1 to shop/frontend-xgf88pr6rs-5hr8x on node-2 (10.244.1.2:8080 timed-out) and from node-3 to shop/frontend-xgf88pr6rs-5hr8x on node-2 (10.244.1.2:8080 timed-out)',
          cni: 'flannel', devices: 'iptables chain FLANNEL-FWD on node-1, node-2 and node-3',
          routed: 'flannel host-gw routes each node\'s pod subnet to that node\'s address: the nodes must share one L2 segment, and the network must forward packets whose addresses are pod addresses',
        },
      }],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'no device or chain names the CNI',
      spec: (s) => { s.probes = probesFor(s, crossNodeLost); },
      snapshot: (s) => {
        for (const n of s.nodes) for (const c of Object.values(n.commands)) c.stdout = c.stdout.replaceAll('FLANNEL-', 'PODNET-');
      },
      findings: [{ messageId: 'unknown', data: { ...LOST, pairs: ALL_PAIRS } }],
    },
  ],
});
