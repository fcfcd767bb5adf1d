import check from '../../checks/service-missing.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
  ],
  invalid: [
    {
      scenario: 'service-name-typo',
      findings: [
        {
          messageId: 'notInScan',
          data: {
            namespace: 'shop',
            service: 'frontent',
            scope: 'namespace shop',
            similar: ' Similarly named in shop: frontend (NodePort nodePort 30080).',
          },
        },
      ],
    },
    {
      scenario: 'service-name-typo', name: 'gathered for that very Service',
      snapshot: (s) => { s.target = { namespace: 'shop', service: 'frontent' }; },
      findings: [
        {
          messageId: 'missing',
          data: { namespace: 'shop', service: 'frontent', similar: ' Similarly named in shop: frontend (NodePort nodePort 30080).' },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'asked about another namespace than the snapshot holds',
      ask: { namespace: 'payments' },
      findings: [
        {
          messageId: 'outOfScope', severity: 'warning',
          data: { scope: 'namespace shop (Service frontend)', namespace: 'payments', service: 'frontend' },
        },
      ],
    },
  ],
});
