import check from '../../checks/endpoints-not-ready.js';
import { updatePods } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // No endpoint at all is no-ready-endpoints' finding.
    { scenario: 'selector-typo' },
  ],
  invalid: [
    {
      scenario: 'pods-crashlooping',
      findings: [
        {
          messageId: 'notReady',
          data: {
            service: 'shop/frontend',
            count: 2,
            servicePort: 'http',
            port: 'nodePort 30080',
            pods: 'pod frontend-xgf88pr6rs-5hr8x (10.244.1.2 on node-2): Ready=False (ContainersNotReady), container frontend CrashLoopBackOff, 12 restarts, last exit Error (code 1); pod frontend-xgf88pr6rs-bvvl9 (10.244.2.2 on node-3): Ready=False (ContainersNotReady), container frontend CrashLoopBackOff, 12 restarts, last exit Error (code 1)',
          },
        },
      ],
    },
    {
      scenario: 'pods-terminating',
      findings: [
        {
          messageId: 'terminating',
          data: {
            service: 'shop/frontend',
            servicePort: 'http',
            port: 'nodePort 30080',
            pods: 'pod frontend-xgf88pr6rs-5hr8x (10.244.1.2 on node-2): Ready=False (ContainersNotReady), terminating since 2026-11-22T08:00:25.000Z; pod frontend-xgf88pr6rs-bvvl9 (10.244.2.2 on node-3): Ready=False (ContainersNotReady), terminating since 2026-11-22T08:00:25.000Z',
          },
        },
      ],
    },
    {
      scenario: 'pods-terminating', name: 'one pod terminating, the other crash-looping',
      spec: (s) => {
        const [first] = s.pods.filter((p) => p.namespace === 'shop' && p.labels.app === 'frontend');
        Object.assign(first!, { terminating: false, crashLoop: true });
      },
      findings: [
        {
          messageId: 'mixed',
          data: {
            service: 'shop/frontend',
            count: 2,
            servicePort: 'http',
            port: 'nodePort 30080',
            pods: 'pod frontend-xgf88pr6rs-5hr8x (10.244.1.2 on node-2): Ready=False (ContainersNotReady), container frontend CrashLoopBackOff, 12 restarts, last exit Error (code 1); pod frontend-xgf88pr6rs-bvvl9 (10.244.2.2 on node-3): Ready=False (ContainersNotReady), terminating since 2026-11-22T08:00:25.000Z',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'every pod terminating but still serving',
      spec: (s) => { updatePods(s, 'shop', { app: 'frontend' }, { terminating: true }); },
      findings: [
        {
          messageId: 'terminatingServing', severity: 'warning',
          data: {
            service: 'shop/frontend',
            servicePort: 'http',
            port: 'nodePort 30080',
            pods: 'pod frontend-xgf88pr6rs-5hr8x (10.244.1.2 on node-2): Ready=True, terminating since 2026-11-22T08:00:25.000Z; pod frontend-xgf88pr6rs-bvvl9 (10.244.2.2 on node-3): Ready=True, terminating since 2026-11-22T08:00:25.000Z',
          },
        },
      ],
    },
  ],
});
