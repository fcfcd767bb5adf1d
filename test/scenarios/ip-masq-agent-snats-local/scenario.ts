import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** ip-masq-agent configured with only the node network as non-masquerade: traffic to pods is masqueraded too. */
const spec = updateService(baseCluster({ ipMasqAgent: { nonMasqueradeCIDRs: ['192.168.0.0/16'] } }), 'shop/frontend', { externalTrafficPolicy: 'Local' });

export default {
  about: 'externalTrafficPolicy Local, but ip-masq-agent (nonMasqueradeCIDRs without the pod network) masquerades NodePort traffic to the local pod: the client address is lost',
  spec,
  ask: { node: 'node-2' },
  expect: { top: 'unexpected-snat', findings: ['unexpected-snat'] },
} satisfies Scenario;
