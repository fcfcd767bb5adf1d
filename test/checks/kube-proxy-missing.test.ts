import check from '../../checks/kube-proxy-missing.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // nftables mode keeps its rules in `table ip kube-proxy`.
    { scenario: 'healthy-nftables-mode' },
    // A kube-proxy pod that is there but not ready: kube-proxy-crashlooping.
    { scenario: 'kube-proxy-crashloop' },
  ],
  invalid: [
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
