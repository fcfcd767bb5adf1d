import check from '../../checks/backend-not-listening.js';
import { updatePods } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // hostNetwork backends that listen on every address.
    { scenario: 'ufw-blocks-hostnetwork-backend' },
  ],
  invalid: [
    {
      scenario: 'hostnetwork-listens-on-loopback',
      findings: [
        {
          messageId: 'loopback', node: 'node-2',
          data: { pod: 'pod shop/frontend-xgf88pr6rs-5hr8x', node: 'node-2', bound: '127.0.0.1:8080', address: '192.168.1.102', port: 8080 },
        },
        {
          messageId: 'loopback', node: 'node-3',
          data: { pod: 'pod shop/frontend-xgf88pr6rs-bvvl9', node: 'node-3', bound: '127.0.0.1:8080', address: '192.168.1.103', port: 8080 },
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
            address: '192.168.1.102',
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
            address: '192.168.1.103',
            hint: ' The app is not running, not ready to accept connections, or listens on another port.',
          },
        },
      ],
    },
  ],
});
