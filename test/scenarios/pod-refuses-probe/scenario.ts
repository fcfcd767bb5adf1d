import { baseCluster } from '../../support/scenario-kit/index.js';
import { probesFor } from '../../support/scenario-kit/probes.js';
import type { Scenario } from '../scenario.js';

/**
 * The app in frontend's pods listens on another port than 8080, and the pods' sockets were not
 * read: every connect to a pod is refused, and so is every connect from here.
 */
const spec = baseCluster();
// Read through the default debug pod, which cannot enter the pods' namespaces.
spec.nodes = spec.nodes.map((n) => ({ ...n, podNamespacesDenied: true }));
spec.probes = probesFor(spec, { fromHere: () => 'refused', toPod: () => 'refused' });

export default {
  about: 'with --probe, the replay delivers but every pod refuses on its targetPort, its sockets unread',
  spec,
  expect: { top: 'pod-refuses-connection', findings: ['pod-refuses-connection'] },
} satisfies Scenario;
