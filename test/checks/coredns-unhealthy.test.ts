import check from '../../checks/coredns-unhealthy.js';
import { updatePods } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
  ],
  invalid: [
    {
      scenario: 'coredns-forward-loop',
      findings: [
        {
          messageId: 'forwardLoop',
          data: { upstream: '127.0.0.53', line: 'forward . 127.0.0.53', state: '' },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the CoreDNS pods crash-loop',
      spec: (s) => { updatePods(s, 'kube-system', { 'k8s-app': 'kube-dns' }, { crashLoop: true, ready: false }); },
      findings: [
        {
          messageId: 'unavailable',
          data: {
            state: 'Service kube-system/kube-dns has 2 endpoint(s), none ready; Deployment kube-system/coredns has 0 of 2 replicas available (Deployment does not have minimum availability.)',
          },
        },
      ],
    },
  ],
});
