import { baseCluster, deploymentPods, service } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** Calico-style routing (per-pod /32 routes, tunl0) and a UDP NodePort (syslog collector). */
const spec = baseCluster({ cni: 'calico' });
spec.services.push(service('shop', 'syslog', {
  ports: [{ name: 'syslog', port: 514, targetPort: 'syslog', nodePort: 30514, protocol: 'UDP' }],
  selector: { app: 'syslog' },
  labels: { app: 'syslog' },
}));
spec.pods.push(...deploymentPods(spec, 'shop', 'syslog', { nodes: ['node-1', 'node-3'], ports: [{ name: 'syslog', containerPort: 5140, protocol: 'UDP' }] }));

export default {
  about: 'Calico routing and a UDP NodePort with pods on node-1 and node-3: delivered from every node',
  spec,
  target: { namespace: 'shop', service: 'syslog' },
  expect: { top: null, findings: [] },
} satisfies Scenario;
