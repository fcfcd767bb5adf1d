import check from '../../checks/conntrack-invalid-drop.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // IPVS mode writes no INVALID drop at all.
    { scenario: 'healthy-ipvs-mode' },
    // UDP has no TCP window.
    { scenario: 'healthy-calico-udp' },
  ],
  invalid: [
    {
      scenario: 'conntrack-invalid-not-dropped',
      findings: [
        {
          messageId: 'notDropped', node: 'node-2',
          data: { node: 'node-2', port: 30080, sysctl: 'net.netfilter.nf_conntrack_tcp_be_liberal' },
        },
      ],
    },
  ],
});
