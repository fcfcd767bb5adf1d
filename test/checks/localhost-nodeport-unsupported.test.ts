import check from '../../checks/localhost-nodeport-unsupported.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // localhost NodePorts on (the default), route_localnet 1.
    { scenario: 'healthy-etp-cluster', name: 'dialled on 127.0.0.1', ask: { nodeIp: '127.0.0.1', from: '127.0.0.1' } },
  ],
  invalid: [
    {
      scenario: 'localhost-nodeports-disabled',
      findings: [
        {
          messageId: 'excludedByRule', node: 'node-1',
          data: {
            node: 'node-1',
            line: 120,
            how: 'matches "! -d 127.0.0.0/8"',
            target: '127.0.0.1:30080',
            config: ': iptables.localhostNodePorts is false in ConfigMap kube-system/kube-proxy config.conf',
            advice: ' Dial the node\'s own address instead (192.168.1.101:30080); and note that `localhost` may resolve to ::1, which no kube-proxy mode serves.',
          },
        },
        {
          messageId: 'excludedByRule', node: 'node-2',
          data: {
            node: 'node-2',
            line: 120,
            how: 'matches "! -d 127.0.0.0/8"',
            target: '127.0.0.1:30080',
            config: ': iptables.localhostNodePorts is false in ConfigMap kube-system/kube-proxy config.conf',
            advice: ' Dial the node\'s own address instead (192.168.1.102:30080); and note that `localhost` may resolve to ::1, which no kube-proxy mode serves.',
          },
        },
        {
          messageId: 'excludedByRule', node: 'node-3',
          data: {
            node: 'node-3',
            line: 120,
            how: 'matches "! -d 127.0.0.0/8"',
            target: '127.0.0.1:30080',
            config: ': iptables.localhostNodePorts is false in ConfigMap kube-system/kube-proxy config.conf',
            advice: ' Dial the node\'s own address instead (192.168.1.103:30080); and note that `localhost` may resolve to ::1, which no kube-proxy mode serves.',
          },
        },
      ],
    },
    {
      scenario: 'localhost-route-localnet-off',
      findings: [
        {
          messageId: 'routeLocalnet', node: 'node-1',
          data: {
            node: 'node-1',
            target: '127.0.0.1:30080',
            advice: ' Dial the node\'s own address instead (192.168.1.101:30080); and note that `localhost` may resolve to ::1, which no kube-proxy mode serves.',
          },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'dialled on ::1',
      ask: { node: 'node-1', nodeIp: '::1' },
      findings: [
        {
          messageId: 'ipv6', node: 'node-1',
          data: {
            target: '[::1]:30080',
            node: 'node-1',
            advice: ' Dial the node\'s own address instead (192.168.1.101:30080); and note that `localhost` may resolve to ::1, which no kube-proxy mode serves.',
          },
        },
      ],
    },
    {
      scenario: 'healthy-ipvs-mode', name: 'IPVS mode',
      ask: { node: 'node-1', nodeIp: '127.0.0.1', from: '127.0.0.1' },
      findings: [
        {
          messageId: 'mode', node: 'node-1',
          data: {
            mode: 'ipvs',
            source: 'mode: ipvs in ConfigMap kube-system/kube-proxy config.conf',
            target: '127.0.0.1:30080',
            node: 'node-1',
            advice: ' Dial the node\'s own address instead (192.168.1.101:30080); and note that `localhost` may resolve to ::1, which no kube-proxy mode serves.',
          },
        },
      ],
    },
    {
      scenario: 'kube-proxy-not-running', name: 'localhostNodePorts off and no kube-proxy rules to show it',
      ask: { node: 'node-1', nodeIp: '127.0.0.1', from: '127.0.0.1' },
      spec: (s) => { s.kubeProxy.localhostNodePorts = false; },
      findings: [
        {
          messageId: 'configOff', node: 'node-1',
          data: {
            source: 'ConfigMap kube-system/kube-proxy config.conf',
            target: '127.0.0.1:30080',
            node: 'node-1',
            advice: ' Dial the node\'s own address instead (192.168.1.101:30080); and note that `localhost` may resolve to ::1, which no kube-proxy mode serves.',
          },
        },
      ],
    },
  ],
});
