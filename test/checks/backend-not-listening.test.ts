import check from '../../checks/backend-not-listening.js';
import { findService, updatePods } from '../support/scenario-kit/spec.js';
import { debugPodWithoutSysAdmin, withoutPodSockets } from './snapshot-edits.js';
import { checkTester } from './tester.js';

const POD2 = 'pod shop/frontend-xgf88pr6rs-5hr8x';
const POD3 = 'pod shop/frontend-xgf88pr6rs-bvvl9';
const RESET = 'refused by the kernel (a reset)';

checkTester(check, {
  valid: [
    { scenario: 'app-listens-on-localhost', name: 'a snapshot from before np-doctor read pods\' sockets proves nothing (pod-sockets-unread says so)', snapshot: withoutPodSockets },
    { scenario: 'healthy-etp-cluster' },
    // hostNetwork backends that listen on every address.
    { scenario: 'ufw-blocks-hostnetwork-backend' },
    // One cause, one finding: a numeric targetPort the pods do not declare is target-port-mismatch's.
    { scenario: 'targetport-nothing-listens' },
    // An IPv6 socket without IPV6_V6ONLY (ss prints `*`) takes IPv4 connections too.
    { scenario: 'healthy-etp-cluster', name: 'the app listens on *:8080 (dual-stack)', spec: (s) => { updatePods(s, 'shop', { app: 'frontend' }, { listens: [{ port: 8080, address: '*' }] }); } },
  ],
  invalid: [
    {
      scenario: 'hostnetwork-listens-on-loopback',
      findings: [
        {
          messageId: 'loopback', node: 'node-2',
          data: { pod: 'pod shop/frontend-xgf88pr6rs-5hr8x', node: 'node-2', bound: '127.0.0.1:8080', target: '192.168.1.102:8080' },
        },
        {
          messageId: 'loopback', node: 'node-3',
          data: { pod: 'pod shop/frontend-xgf88pr6rs-bvvl9', node: 'node-3', bound: '127.0.0.1:8080', target: '192.168.1.103:8080' },
        },
      ],
    },
    {
      scenario: 'hostnetwork-listens-on-loopback', name: 'nothing listens on the port at all',
      spec: (s) => { updatePods(s, 'shop', { app: 'frontend' }, { listening: false }); },
      findings: [
        {
          messageId: 'nothing', node: 'node-2',
          data: {
            proto: 'TCP',
            port: 8080,
            node: 'node-2',
            pod: 'pod shop/frontend-xgf88pr6rs-5hr8x',
            target: '192.168.1.102:8080',
            hint: ' The app is not running, not ready to accept connections, or listens on another port.',
          },
        },
        {
          messageId: 'nothing', node: 'node-3',
          data: {
            proto: 'TCP',
            port: 8080,
            node: 'node-3',
            pod: 'pod shop/frontend-xgf88pr6rs-bvvl9',
            target: '192.168.1.103:8080',
            hint: ' The app is not running, not ready to accept connections, or listens on another port.',
          },
        },
      ],
    },
    {
      scenario: 'app-listens-on-localhost',
      findings: [
        { messageId: 'podLoopback', node: 'node-2', data: { pod: POD2, node: 'node-2', bound: '127.0.0.1:8080', target: '10.244.1.2:8080', refused: RESET } },
        { messageId: 'podLoopback', node: 'node-3', data: { pod: POD3, node: 'node-3', bound: '127.0.0.1:8080', target: '10.244.2.2:8080', refused: RESET } },
      ],
    },
    {
      scenario: 'app-listens-udp-not-tcp',
      findings: [
        { messageId: 'podOtherProtocol', node: 'node-2', data: { pod: POD2, node: 'node-2', port: 8080, other: 'UDP', proto: 'TCP', target: '10.244.1.2:8080', refused: RESET } },
        { messageId: 'podOtherProtocol', node: 'node-3', data: { pod: POD3, node: 'node-3', port: 8080, other: 'UDP', proto: 'TCP', target: '10.244.2.2:8080', refused: RESET } },
      ],
    },
    {
      scenario: 'app-listens-udp-not-tcp', name: 'a UDP Service port whose app serves TCP',
      spec: (s) => {
        findService(s, 'shop/frontend').ports = [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'UDP' }];
        updatePods(s, 'shop', { app: 'frontend' }, { listens: [{ port: 8080 }] });
      },
      findings: [
        { messageId: 'podOtherProtocol', node: 'node-2', data: { pod: POD2, node: 'node-2', port: 8080, other: 'TCP', proto: 'UDP', target: '10.244.1.2:8080', refused: 'answered with ICMP port unreachable' } },
        { messageId: 'podOtherProtocol', node: 'node-3', data: { pod: POD3, node: 'node-3', port: 8080, other: 'TCP', proto: 'UDP', target: '10.244.2.2:8080', refused: 'answered with ICMP port unreachable' } },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'pods that declare no port, targetPort 8081, the app on 8080: says where it listens',
      spec: (s) => {
        findService(s, 'shop/frontend').ports = [{ name: 'http', port: 80, targetPort: 8081, nodePort: 30080 }];
        for (const p of s.pods.filter((x) => x.labels.app === 'frontend')) {
          p.containers = p.containers.map(({ ports: _ports, ...c }) => c);
          p.listens = [{ port: 8080 }];
        }
      },
      findings: [
        { messageId: 'podNothing', node: 'node-2', data: { pod: POD2, node: 'node-2', port: 8081, proto: 'TCP', listens: 'the container listens on 8080/TCP', target: '10.244.1.2:8081', refused: RESET } },
        { messageId: 'podNothing', node: 'node-3', data: { pod: POD3, node: 'node-3', port: 8081, proto: 'TCP', listens: 'the container listens on 8080/TCP', target: '10.244.2.2:8081', refused: RESET } },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'an IPv6-only socket ([::]:8080) refuses the IPv4 pod address',
      spec: (s) => { updatePods(s, 'shop', { app: 'frontend' }, { listens: [{ port: 8080, address: '::' }] }); },
      findings: [
        { messageId: 'podNothing', node: 'node-2', data: { pod: POD2, node: 'node-2', port: 8080, proto: 'TCP', listens: 'the container listens on [::]:8080/TCP', target: '10.244.1.2:8080', refused: RESET } },
        { messageId: 'podNothing', node: 'node-3', data: { pod: POD3, node: 'node-3', port: 8080, proto: 'TCP', listens: 'the container listens on [::]:8080/TCP', target: '10.244.2.2:8080', refused: RESET } },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'nothing in the pod listens at all',
      spec: (s) => { updatePods(s, 'shop', { app: 'frontend' }, { listens: [] }); },
      findings: [
        {
          messageId: 'podNothing', node: 'node-2',
          data: { pod: POD2, node: 'node-2', port: 8080, proto: 'TCP', listens: 'nothing in it listens at all (the app is not running, or not accepting connections yet)', target: '10.244.1.2:8080', refused: RESET },
        },
        {
          messageId: 'podNothing', node: 'node-3',
          data: { pod: POD3, node: 'node-3', port: 8080, proto: 'TCP', listens: 'nothing in it listens at all (the app is not running, or not accepting connections yet)', target: '10.244.2.2:8080', refused: RESET },
        },
      ],
    },
    {
      scenario: 'app-listens-on-localhost', name: 'a debug pod without CAP_SYS_ADMIN on node-2: node-3 is still proven (node-2 is pod-sockets-unread\'s)',
      snapshot: debugPodWithoutSysAdmin,
      findings: [
        { messageId: 'podLoopback', node: 'node-3', data: { pod: POD3, node: 'node-3', bound: '127.0.0.1:8080', target: '10.244.2.2:8080', refused: RESET } },
      ],
    },
  ],
});
