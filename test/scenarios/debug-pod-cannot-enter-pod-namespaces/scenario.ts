import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * Healthy, but read through the default debug pod, which cannot enter the pods' network
 * namespaces: nothing is wrong, and the report says what it could not prove.
 */
const spec = baseCluster();
spec.nodes = spec.nodes.map((n) => ({ ...n, podNamespacesDenied: true }));

export default {
  about: 'healthy, read by debug pods without CAP_SYS_ADMIN: the pods\' sockets unread, said as info',
  spec,
  expect: { top: null, findings: [], info: ['pod-sockets-unread'] },
} satisfies Scenario;
