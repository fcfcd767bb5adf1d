import check from '../../checks/kube-proxy-missing.js';
import { ciliumCluster } from '../support/scenario-kit/index.js';
import { kubeRouter, ovnOn } from './replacement-edits.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // nftables mode keeps its rules in `table ip kube-proxy`.
    { scenario: 'healthy-nftables-mode' },
    // A kube-proxy pod that is there but not ready: kube-proxy-crashlooping.
    { scenario: 'kube-proxy-crashloop' },
    // kube-proxy replaced: kube-proxy-replaced says so, and installing kube-proxy would be wrong.
    { scenario: 'cilium-kpr-healthy' },
    { scenario: 'kube-proxy-not-running', name: 'kube-router runs the service proxy', snapshot: kubeRouter },
    { scenario: 'kube-proxy-not-running', name: 'OVN-Kubernetes on node-1', snapshot: ovnOn('node-1') },
  ],
  invalid: [
    {
      // Cilium only as the CNI: nothing replaces the kube-proxy that is not there.
      scenario: 'cilium-kpr-healthy', name: 'cilium-config says kube-proxy-replacement "false"', ask: { node: 'node-3' },
      spec: (s) => { ciliumCluster(s, { kubeProxyReplacement: 'false' }); },
      findings: [
        {
          messageId: 'absent', node: 'node-3',
          data: { node: 'node-3', daemonSet: ' and no kube-proxy DaemonSet in kube-system', dumps: 'iptables-nft-save: mangle, filter, nat; iptables-legacy-save: empty', nodePort: 30080 },
        },
      ],
    },
    {
      scenario: 'kube-proxy-not-running',
      findings: [
        {
          messageId: 'absent', node: 'node-1',
          data: {
            node: 'node-1',
            daemonSet: ' (DaemonSet kube-system/kube-proxy runs on node-2, node-3 only)',
            dumps: 'iptables-nft-save: mangle, filter, nat; iptables-legacy-save: empty',
            nodePort: 30080,
          },
        },
      ],
    },
    {
      scenario: 'kube-proxy-not-running', name: 'a Ready kube-proxy pod runs on node-1 but wrote no rules',
      snapshot: (s) => {
        const other = s.cluster.kubeProxy.pods.find((p) => (p.spec as { nodeName?: string }).nodeName === 'node-2');
        if (other === undefined) throw new Error("node-2's kube-proxy pod is missing");
        const pod = structuredClone(other);
        pod.metadata.name = 'kube-proxy-node1';
        (pod.spec as { nodeName?: string }).nodeName = 'node-1';
        s.cluster.kubeProxy.pods.push(pod);
      },
      findings: [
        {
          messageId: 'noRules', node: 'node-1',
          data: {
            pod: 'kube-proxy-node1',
            node: 'node-1',
            dumps: 'iptables-nft-save: mangle, filter, nat; iptables-legacy-save: empty',
            nodePort: 30080,
          },
        },
      ],
    },
  ],
});
