import check from '../../checks/target-port-mismatch.js';
import { findService } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // hostNetwork backends with socket data: backend-not-listening proves it instead.
    { scenario: 'hostnetwork-listens-on-loopback' },
  ],
  invalid: [
    {
      scenario: 'named-targetport-missing',
      findings: [
        {
          messageId: 'namedMissing',
          data: { service: 'shop/frontend', port: 'http 80/TCP', targetPort: 'http', protocol: 'TCP', declared: 'frontend: web 8080/TCP' },
        },
      ],
    },
    {
      scenario: 'named-targetport-missing', name: 'one of the two pods still declares the port',
      spec: (s) => {
        const [pod] = s.pods.filter((p) => p.namespace === 'shop' && p.labels.app === 'frontend');
        if (pod === undefined) throw new Error('no frontend pod');
        pod.containers = pod.containers.map((c) => ({ ...c, ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }));
      },
      findings: [
        {
          messageId: 'namedMissingSome', severity: 'warning',
          data: { service: 'shop/frontend', port: 'http 80/TCP', targetPort: 'http', missing: 1, count: 2, pods: 'frontend-xgf88pr6rs-bvvl9' },
        },
      ],
    },
    {
      scenario: 'healthy-etp-cluster', name: 'a numeric targetPort the pods do not declare',
      spec: (s) => {
        const svc = findService(s, 'shop/frontend');
        svc.ports = svc.ports.map((p) => ({ ...p, targetPort: 9090 }));
      },
      findings: [
        {
          messageId: 'numericNotDeclared', severity: 'warning',
          data: { service: 'shop/frontend', port: 'http 80/TCP', targetPort: 9090, declared: 'frontend: http 8080/TCP' },
        },
      ],
    },
  ],
});
