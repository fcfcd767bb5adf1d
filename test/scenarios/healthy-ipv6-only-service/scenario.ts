import { baseCluster, dualStack, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** A SingleStack IPv6 NodePort Service in a dual-stack cluster: only the IPv6 proxier writes its rules. */
const spec = updateService(dualStack(baseCluster()), 'shop/frontend', { ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6'] });

export default {
  about: 'an IPv6-only (SingleStack IPv6) NodePort Service in a dual-stack cluster: every node forwards [node IPv6]:30080 to a frontend pod',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
