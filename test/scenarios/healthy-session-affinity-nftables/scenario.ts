import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * sessionAffinity ClientIP in nftables mode (v1.37 layout): an `affinity-…` set per endpoint,
 * empty in the dump, looked up before the numgen split. A new client is in none of them: half to
 * each pod, the assumption listed, a determinate healthy verdict.
 */
const spec = updateService(baseCluster({ kubernetesVersion: 'v1.37.2' }), 'shop/frontend', { sessionAffinity: 'ClientIP' });
spec.kubeProxy.mode = 'nftables';
spec.kubeProxy.nftablesLayout = 'v1.37';

export default {
  about: 'sessionAffinity ClientIP, nftables mode: a new client is in no affinity set, every node forwards 30080 to a frontend pod',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
