import check from '../../checks/client-wrong-target.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    { scenario: 'healthy-nodeport-addresses' },
  ],
  invalid: [
    {
      scenario: 'curl-clusterip-nodeport',
      findings: [
        {
          messageId: 'clusterIp',
          data: {
            address: '10.96.120.15',
            owner: 'shop/frontend',
            servicePort: '80/TCP',
            use: '192.168.1.101:30080, 192.168.1.102:30080, 192.168.1.103:30080',
          },
        },
      ],
    },
    {
      scenario: 'curl-clusterip-nodeport', name: "the address is another Service's ClusterIP",
      snapshot: (s) => {
        const other = structuredClone(s.cluster.services[0]!);
        other.metadata.name = 'checkout';
        Object.assign(other.spec as object, { clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'] });
        s.cluster.services.push(other);
      },
      ask: { nodeIp: '10.96.7.7' },
      findings: [
        {
          messageId: 'otherService',
          data: {
            address: '10.96.7.7',
            owner: 'shop/checkout',
            service: 'shop/frontend',
            use: '192.168.1.101:30080, 192.168.1.102:30080, 192.168.1.103:30080',
          },
        },
      ],
    },
  ],
});
