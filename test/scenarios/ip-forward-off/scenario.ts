import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

const spec = updateNode(baseCluster(), 'node-3', { sysctls: { ipForward: false } });

export default {
  about: 'net.ipv4.ip_forward=0 on node-3 (a hardening baseline): nothing is forwarded to or through it',
  spec,
  expect: { top: 'ip-forward-disabled', findings: ['ip-forward-disabled'] },
} satisfies Scenario;
