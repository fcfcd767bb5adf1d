import { baseCluster } from '../../support/scenario-kit/index.js';
import { probesFor } from '../../support/scenario-kit/probes.js';
import type { Scenario } from '../scenario.js';

/**
 * Calico with IPIP (tunl0), and a network between the nodes that drops IP protocol 4: every
 * connect from a node to a pod on another node times out, and so does the client's through node-1
 * (it has no pod of its own, so every branch crosses to another node).
 */
const spec = baseCluster({ cni: 'calico' });
spec.probes = probesFor(spec, {
  fromHere: (node) => (node === 'node-1' ? 'timed-out' : 'connected'),
  toPod: (from, pod) => (pod.node === from ? 'connected' : 'timed-out'),
});

export default {
  about: 'with --probe, Calico\'s IPIP tunnel between the nodes is blocked: pods on other nodes never answer',
  spec,
  expect: { top: 'overlay-blocked', findings: ['overlay-blocked'] },
} satisfies Scenario;
