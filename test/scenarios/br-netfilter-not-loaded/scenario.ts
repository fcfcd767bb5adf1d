import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

const spec = updateNode(baseCluster(), 'node-2', { sysctls: { brNetfilter: false } });

export default {
  about: 'br_netfilter is not loaded on node-2 although its pods sit behind the cni0 bridge: bridged Service traffic bypasses iptables',
  spec,
  expect: { top: 'br-netfilter-off', findings: ['br-netfilter-off'] },
} satisfies Scenario;
