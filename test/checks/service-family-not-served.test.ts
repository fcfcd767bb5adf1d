import check from '../../checks/service-family-not-served.js';
import { dualStack } from '../support/dual-stack-fixture.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-etp-cluster', name: 'an IPv6 client of a dual-stack Service', ask: { from: '2001:db8::9' }, snapshot: (s) => Object.assign(s, dualStack(s)) },
    { scenario: 'healthy-etp-cluster', name: 'an IPv6-only Service asked without a family', snapshot: (s) => Object.assign(s, dualStack(s, { families: [6] })) },
  ],
  invalid: [
    {
      scenario: 'healthy-etp-cluster', name: 'an IPv6 client of a SingleStack IPv4 Service',
      ask: { from: '[2001:db8::9]:41000' },
      findings: [{ messageId: 'notServed', data: { service: 'shop/frontend', families: 'IPv4', policy: 'SingleStack', nodePort: 30080, family: 'IPv6', client: '2001:db8::9' } }],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'an IPv4 node address of an IPv6-only Service',
      ask: { nodeIp: '192.168.1.101' }, snapshot: (s) => Object.assign(s, dualStack(s, { families: [6] })),
      findings: [{ messageId: 'notServed', data: { service: 'shop/frontend', families: 'IPv6', policy: 'SingleStack', nodePort: 30080, family: 'IPv4', client: '203.0.113.7' } }],
    },
  ],
});
