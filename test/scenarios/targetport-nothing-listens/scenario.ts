import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * The Service sends to targetPort 8081 while the frontend pods declare and listen on 8080: the
 * pods' own sockets (pod-netns-sockets) prove nothing listens on 8081, so every connection is refused.
 */
const spec = updateService(baseCluster(), 'shop/frontend', { ports: [{ name: 'http', port: 80, targetPort: 8081, nodePort: 30080 }] });

export default {
  about: 'targetPort 8081, but the frontend pods listen on 8080 (their sockets say so): the kernel refuses every connection',
  spec,
  expect: { top: 'target-port-mismatch', findings: ['target-port-mismatch'] },
} satisfies Scenario;
