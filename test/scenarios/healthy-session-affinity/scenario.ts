import { baseCluster, updateService } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * sessionAffinity ClientIP in iptables mode: kube-proxy's `-m recent --rcheck` rules come before
 * the random split. The question is a new client's first connection, which no affinity list holds:
 * half to each pod, the assumption listed, a determinate healthy verdict.
 */
const spec = updateService(baseCluster({ kubernetesVersion: 'v1.37.2' }), 'shop/frontend', { sessionAffinity: 'ClientIP' });

export default {
  about: 'sessionAffinity ClientIP, iptables mode: a new client is in no affinity list, every node forwards 30080 to a frontend pod',
  spec,
  expect: { top: null, findings: [] },
} satisfies Scenario;
