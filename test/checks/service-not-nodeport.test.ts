import check from '../../checks/service-not-nodeport.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { checkTester } from './tester.js';

/** The Service's spec in the snapshot, changed. */
function editService(s: Snapshot, change: (spec: Record<string, unknown>) => void): void {
  const spec = s.cluster.services[0]?.spec as Record<string, unknown> | undefined;
  if (spec === undefined) throw new Error('the snapshot has no Service');
  change(spec);
}

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
  ],
  invalid: [
    {
      scenario: 'clusterip-service',
      findings: [
        {
          messageId: 'clusterIp',
          data: { service: 'shop/frontend', type: 'ClusterIP', target: '10.96.120.15:80' },
        },
      ],
    },
    {
      scenario: 'clusterip-service', name: 'type ExternalName',
      snapshot: (s) => editService(s, (spec) => Object.assign(spec, { type: 'ExternalName', externalName: 'db.example.com', ports: [] })),
      findings: [
        {
          messageId: 'externalName',
          data: { service: 'shop/frontend', externalName: 'db.example.com' },
        },
      ],
    },
    {
      scenario: 'clusterip-service', name: 'a LoadBalancer with allocateLoadBalancerNodePorts=false',
      snapshot: (s) => editService(s, (spec) => Object.assign(spec, { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false })),
      findings: [
        {
          messageId: 'lbNoNodePorts',
          data: { service: 'shop/frontend', port: 'http 80/TCP' },
        },
      ],
    },
    {
      scenario: 'clusterip-service', name: 'type NodePort, but the port has no nodePort',
      snapshot: (s) => editService(s, (spec) => Object.assign(spec, { type: 'NodePort' })),
      findings: [
        {
          messageId: 'portNoNodePort',
          data: { port: 'http 80/TCP', service: 'shop/frontend', type: 'NodePort' },
        },
      ],
    },
    {
      scenario: 'clusterip-service', name: 'no ports at all',
      snapshot: (s) => editService(s, (spec) => Object.assign(spec, { ports: [] })),
      findings: [
        {
          messageId: 'noPorts',
          data: { service: 'shop/frontend', type: 'ClusterIP' },
        },
      ],
    },
  ],
});
