import check from '../../checks/kube-proxy-out-of-sync.js';
import { updateNode } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // Rules in both backends: iptables-backend-split.
    { scenario: 'iptables-legacy-nft-split' },
  ],
  invalid: [
    {
      scenario: 'kube-proxy-stale-endpoint',
      findings: [
        {
          messageId: 'staleAndMissing', node: 'node-1',
          data: { node: 'node-1', service: 'shop/frontend', stale: '10.244.1.9:8080', verb: 'is', missing: '10.244.1.2:8080' },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the rules keep a deleted pod beside the current ones',
      ask: { node: 'node-1' },
      spec: (s) => {
        updateNode(s, 'node-1', { kubeProxy: { staleEndpoints: { 'shop/frontend': [{ ip: '10.244.1.2', node: 'node-2' }, { ip: '10.244.1.9', node: 'node-2' }, { ip: '10.244.2.2', node: 'node-3' }] } } });
      },
      findings: [
        {
          messageId: 'stale', node: 'node-1',
          data: { node: 'node-1', service: 'shop/frontend', stale: '10.244.1.9:8080', verb: 'is', current: '10.244.1.2:8080 and 10.244.2.2:8080' },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'the rules lack a new pod',
      ask: { node: 'node-1' },
      spec: (s) => { updateNode(s, 'node-1', { kubeProxy: { staleEndpoints: { 'shop/frontend': [{ ip: '10.244.2.2', node: 'node-3' }] } } }); },
      findings: [
        {
          messageId: 'missing', node: 'node-1',
          data: { node: 'node-1', service: 'shop/frontend', chain: 'KUBE-SVC-PY4JZH2ITZYEO4CN', missing: '10.244.1.2:8080' },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'kube-proxy still believes the Service has no endpoints',
      ask: { node: 'node-1' },
      spec: (s) => { updateNode(s, 'node-1', { kubeProxy: { staleEndpoints: { 'shop/frontend': [] } } }); },
      findings: [
        {
          messageId: 'noEndpoints', node: 'node-1',
          data: {
            node: 'node-1',
            service: 'shop/frontend',
            comment: 'shop/frontend:http has no endpoints',
            table: 'filter',
            chain: 'KUBE-EXTERNAL-SERVICES',
            line: 41,
            current: '10.244.1.2:8080 and 10.244.2.2:8080',
          },
        },
      ],
    },
  ],
});
