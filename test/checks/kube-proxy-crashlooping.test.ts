import check from '../../checks/kube-proxy-crashlooping.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // No kube-proxy pod at all: kube-proxy-missing.
    { scenario: 'kube-proxy-not-running' },
  ],
  invalid: [
    {
      scenario: 'kube-proxy-crashloop',
      findings: [
        {
          messageId: 'down', node: 'node-1',
          data: {
            pod: 'kube-proxy-57drv',
            node: 'node-1',
            state: 'CrashLoopBackOff',
            restarts: 14,
            last: '; it last exited with Error (exit code 1)',
            rules: 'node-1 has none of its rules (no KUBE-SERVICES or KUBE-NODEPORTS chain), so no NodePort is translated there.',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: "node-1's kube-proxy is Ready but has restarted 7 times",
      snapshot: (s) => {
        const pod = s.cluster.kubeProxy.pods.find((p) => (p.spec as { nodeName?: string }).nodeName === 'node-1');
        const [container] = (pod?.status as { containerStatuses?: Record<string, unknown>[] } | undefined)?.containerStatuses ?? [];
        if (container === undefined) throw new Error("node-1's kube-proxy pod has no container status");
        Object.assign(container, { restartCount: 7, lastState: { terminated: { reason: 'Error', exitCode: 1 } } });
      },
      findings: [
        {
          messageId: 'restarting', node: 'node-1', severity: 'warning',
          data: { pod: 'kube-proxy-57drv', node: 'node-1', restarts: 7, last: '; it last exited with Error (exit code 1)' },
        },
      ],
    },
  ],
});
