import check from '../../checks/kube-proxy-replaced.js';
import { ciliumCluster } from '../support/scenario-kit/index.js';
import { kubeRouter, ovnOn } from './replacement-edits.js';
import { checkTester } from './tester.js';

const CILIUM_DATAPATH = "NodePorts are translated in eBPF (tc/XDP programs on the node's devices, socket load-balancing for local clients) before netfilter sees the packet";
const KUBE_ROUTER_DATAPATH = 'NodePorts are IPVS virtual services kube-router programs, with its own KUBE-ROUTER-* chains, ipsets and `-m ipvs` masquerade rules';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // No kube-proxy and nothing in its place: kube-proxy-missing's finding.
    { scenario: 'kube-proxy-not-running' },
    {
      scenario: 'kube-proxy-not-running', name: 'Cilium only as the CNI (kube-proxy-replacement "false")',
      spec: (s) => { ciliumCluster(s, { kubeProxyReplacement: 'false' }); },
    },
    {
      scenario: 'kube-proxy-not-running', name: 'kube-router with --run-service-proxy=false (only its router and firewall)',
      snapshot: (s) => {
        kubeRouter(s);
        for (const p of s.cluster.proxyReplacement?.agentPods ?? []) (p.spec as { containers: { args: string[] }[] }).containers[0]!.args = ['--run-service-proxy=false'];
        for (const n of s.nodes) {
          const out = n.commands['ip-addr']!;
          out.stdout = out.stdout.replace('"kube-dummy-if"', '"kube-bridge"');
        }
      },
    },
  ],
  invalid: [
    {
      scenario: 'cilium-kpr-healthy',
      findings: [{
        messageId: 'replaced',
        data: {
          name: 'Cilium', nodes: 'node-1, node-2 and node-3',
          evidence: 'cilium-config kube-proxy-replacement: true, agent pod cilium-bedfc, link cilium_host, link cilium_net, no kube-proxy rules',
          datapath: CILIUM_DATAPATH, target: 'nodePort 30080',
          command: 'kubectl -n kube-system exec cilium-bedfc -c cilium-agent -- cilium-dbg service list',
          table: ' (np-doctor read it on 3 of 3 nodes and compares it with the Service: cilium-service-table)',
        },
      }],
    },
    {
      scenario: 'cilium-kpr-healthy', name: 'gathered without --exec-agent, cilium-config says "strict" (before Cilium 1.14), only node-2 asked',
      spec: (s) => { ciliumCluster(s, { kubeProxyReplacement: 'strict', execAgent: false }); },
      ask: { node: 'node-2' },
      findings: [{
        messageId: 'replaced', node: 'node-2',
        data: {
          name: 'Cilium', nodes: 'node-2',
          evidence: 'cilium-config kube-proxy-replacement: strict, agent pod cilium-eeeda, link cilium_host, link cilium_net, no kube-proxy rules',
          datapath: CILIUM_DATAPATH, target: 'nodePort 30080',
          command: 'kubectl -n kube-system exec cilium-eeeda -c cilium-agent -- cilium-dbg service list',
          table: ' (np-doctor reads it with --exec-agent, which needs create and get on pods/exec in kube-system)',
        },
      }],
    },
    {
      scenario: 'cilium-kpr-healthy', name: 'the agent on node-1 could not answer', ask: { node: 'node-1' },
      snapshot: (s) => {
        const out = s.cluster.proxyReplacement!.agentOutputs!.find((o) => o.node === 'node-1')!;
        Object.assign(out, { stdout: '', stderr: 'Error: Get "http://localhost/v1/service": dial unix /var/run/cilium/cilium.sock: connect: no such file or directory\n', exitCode: 1 });
      },
      findings: [{
        messageId: 'replaced', node: 'node-1',
        data: {
          name: 'Cilium', nodes: 'node-1',
          evidence: 'cilium-config kube-proxy-replacement: true, agent pod cilium-bedfc, link cilium_host, link cilium_net, no kube-proxy rules',
          datapath: CILIUM_DATAPATH, target: 'nodePort 30080',
          command: 'kubectl -n kube-system exec cilium-bedfc -c cilium-agent -- cilium-dbg service list',
          table: ' (np-doctor could not read it: `kubectl -n kube-system exec cilium-bedfc -c cilium-agent -- cilium-dbg service list -o json` failed (exit 1): Error: Get "http://localhost/v1/service": dial unix /var/run/cilium/cilium.sock: connect: no such file or directory)',
        },
      }],
    },
    {
      scenario: 'cilium-kpr-healthy', name: 'cilium-config refused (no kube-proxy rules on the node decide it)',
      snapshot: (s) => {
        const r = s.cluster.proxyReplacement!;
        r.ciliumConfig = null;
        r.ciliumConfigRefused = 'configmaps "cilium-config" is forbidden';
        delete r.agentOutputs;
      },
      ask: { node: 'node-3' },
      findings: [{
        messageId: 'replaced', node: 'node-3',
        data: {
          name: 'Cilium', nodes: 'node-3',
          evidence: 'cilium-config not read (configmaps "cilium-config" is forbidden), agent pod cilium-bccda, link cilium_host, link cilium_net, no kube-proxy rules',
          datapath: CILIUM_DATAPATH, target: 'nodePort 30080',
          command: 'kubectl -n kube-system exec cilium-bccda -c cilium-agent -- cilium-dbg service list',
          table: ' (np-doctor reads it with --exec-agent, which needs create and get on pods/exec in kube-system)',
        },
      }],
    },
    {
      scenario: 'kube-proxy-not-running', name: 'kube-router runs the service proxy on node-1, where kube-proxy does not run',
      snapshot: kubeRouter,
      ask: { node: 'node-1' },
      findings: [{
        messageId: 'replaced', node: 'node-1',
        data: {
          name: 'kube-router', nodes: 'node-1',
          evidence: 'agent pod kube-router-node-1 (--run-service-proxy), link kube-dummy-if',
          datapath: KUBE_ROUTER_DATAPATH, target: 'nodePort 30080', command: 'ipvsadm -Ln', table: '',
        },
      }],
    },
    {
      scenario: 'kube-proxy-not-running', name: 'OVN-Kubernetes on node-1',
      snapshot: ovnOn('node-1'),
      findings: [{
        messageId: 'replaced', node: 'node-1',
        data: {
          name: 'OVN-Kubernetes', nodes: 'node-1',
          evidence: 'link ovn-k8s-mp0, link br-int',
          datapath: 'NodePorts are OVN load balancers in OVS flows (br-int and the gateway bridge), not netfilter rules',
          target: 'nodePort 30080', command: 'kubectl -n ovn-kubernetes exec <ovnkube-node pod> -c nbdb -- ovn-nbctl lb-list', table: '',
        },
      }],
    },
  ],
});
