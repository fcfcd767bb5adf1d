import check from '../../checks/pod-sockets-unread.js';
import { debugPodWithoutSysAdmin, withoutPodSockets } from './snapshot-edits.js';
import { checkTester } from './tester.js';

const POD2 = 'pod shop/frontend-xgf88pr6rs-5hr8x';
const POD3 = 'pod shop/frontend-xgf88pr6rs-bvvl9';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // The sockets were read and prove the refusal: backend-not-listening's.
    { scenario: 'app-listens-on-localhost' },
    // A hostNetwork backend's sockets are its node's.
    { scenario: 'hostnetwork-listens-on-loopback', snapshot: withoutPodSockets },
  ],
  invalid: [
    {
      scenario: 'app-listens-on-localhost', name: 'a snapshot from before np-doctor read pods\' sockets: one finding for every pod, no guess',
      snapshot: withoutPodSockets,
      findings: [
        { messageId: 'unread', data: { pods: `${POD2}, ${POD3}`, why: 'the snapshot holds no pods\' sockets (it was written before np-doctor read them): gather a new one to prove what the pods listen on' } },
      ],
    },
    {
      scenario: 'app-listens-on-localhost', name: 'a debug pod without CAP_SYS_ADMIN on node-2: its pod named, with what to do',
      snapshot: debugPodWithoutSysAdmin,
      findings: [
        {
          messageId: 'unread', node: 'node-2',
          data: {
            pods: POD2,
            why: 'np-doctor could not enter 1 of the 1 network namespaces on node-2 (Operation not permitted): entering a network namespace needs CAP_SYS_ADMIN, which the default debug pod does not have; gather with --debug-privileged, or over SSH; the one holding 10.244.1.2 may be among them',
          },
        },
      ],
    },
    {
      scenario: 'debug-pod-cannot-enter-pod-namespaces',
      findings: [
        {
          messageId: 'unread', node: 'node-2',
          data: { pods: POD2, why: 'np-doctor could not enter 1 of the 1 network namespaces on node-2 (Operation not permitted): entering a network namespace needs CAP_SYS_ADMIN, which the default debug pod does not have; gather with --debug-privileged, or over SSH; the one holding 10.244.1.2 may be among them' },
        },
        {
          messageId: 'unread', node: 'node-3',
          data: { pods: POD3, why: 'np-doctor could not enter 2 of the 2 network namespaces on node-3 (Operation not permitted): entering a network namespace needs CAP_SYS_ADMIN, which the default debug pod does not have; gather with --debug-privileged, or over SSH; the one holding 10.244.2.2 may be among them' },
        },
      ],
    },
  ],
});
