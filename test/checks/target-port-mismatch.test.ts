import check from '../../checks/target-port-mismatch.js';
import type { Snapshot } from '../../src/snapshot/schema.js';
import { findService, updatePods } from '../support/scenario-kit/spec.js';
import { checkTester } from './tester.js';

/** A snapshot from before np-doctor read pods' sockets: no pod-netns commands at all. */
const withoutPodSockets = (s: Snapshot) => {
  for (const n of s.nodes) {
    delete n.commands['pod-netns-addresses'];
    delete n.commands['pod-netns-sockets'];
  }
};

const targetPort = (port: number) => (s: Parameters<typeof findService>[0]) => {
  const svc = findService(s, 'shop/frontend');
  svc.ports = svc.ports.map((p) => ({ ...p, targetPort: port }));
};

checkTester(check, {
  valid: [
    { scenario: 'healthy-etp-cluster' },
    // hostNetwork backends with socket data: backend-not-listening proves it instead.
    { scenario: 'hostnetwork-listens-on-loopback' },
    // The app does listen on the undeclared targetPort: the sockets answer the warning's "if".
    {
      scenario: 'healthy-etp-cluster', name: 'a numeric targetPort the pods do not declare, but listen on',
      spec: (s) => { targetPort(9090)(s); updatePods(s, 'shop', { app: 'frontend' }, { listens: [{ port: 9090 }] }); },
    },
    // Loopback only is backend-not-listening's: the targetPort is right, the app's bind is not.
    { scenario: 'app-listens-on-localhost' },
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
      scenario: 'targetport-nothing-listens',
      findings: [
        {
          messageId: 'numericProven',
          data: { service: 'shop/frontend', port: 'http 80/TCP', targetPort: 8081, pods: 'pods frontend-xgf88pr6rs-5hr8x, frontend-xgf88pr6rs-bvvl9', listens: '8080/TCP', declared: '8080/TCP' },
        },
      ],
    },
    {
      scenario: 'targetport-nothing-listens', name: 'one pod proven, the other listens on the targetPort: only the one is named',
      spec: (s) => {
        const [, pod] = s.pods.filter((p) => p.labels.app === 'frontend');
        if (pod === undefined) throw new Error('no second frontend pod');
        pod.listens = [{ port: 8080 }, { port: 8081 }];
      },
      findings: [
        {
          messageId: 'numericProven', node: 'node-2',
          data: { service: 'shop/frontend', port: 'http 80/TCP', targetPort: 8081, pods: 'pod frontend-xgf88pr6rs-5hr8x', listens: '8080/TCP', declared: '8080/TCP' },
        },
      ],
    },
    {
      scenario: 'targetport-nothing-listens', name: 'the same from a snapshot without pods\' sockets: only the hint',
      snapshot: withoutPodSockets,
      findings: [
        {
          messageId: 'numericNotDeclared', severity: 'warning',
          data: { service: 'shop/frontend', port: 'http 80/TCP', targetPort: 8081, declared: 'frontend: http 8080/TCP' },
        },
      ],
    },
  ],
});
