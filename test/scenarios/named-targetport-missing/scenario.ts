import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The Deployment renamed its container port http → web; the Service still sends to targetPort "http". */
const spec = baseCluster();
for (const p of spec.pods.filter((x) => x.namespace === 'shop' && x.labels.app === 'frontend')) {
  p.containers = p.containers.map((c) => ({ ...c, ports: [{ name: 'web', containerPort: 8080, protocol: 'TCP' }] }));
}

export default {
  about: 'targetPort "http" names a port the frontend pods no longer declare: the slices carry no port, kube-proxy rejects the nodePort',
  spec,
  expect: { top: 'target-port-mismatch', findings: ['target-port-mismatch'] },
} satisfies Scenario;
