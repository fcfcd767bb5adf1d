import { baseCluster } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** The frontend runs in the host network and binds 127.0.0.1:8080: the node's address is refused. */
const spec = baseCluster();
for (const p of spec.pods.filter((x) => x.namespace === 'shop' && x.labels.app === 'frontend')) {
  Object.assign(p, { hostNetwork: true, ip: spec.nodes.find((n) => n.name === p.node)!.ip, listening: 'loopback' });
}

export default {
  about: 'the hostNetwork frontend listens on 127.0.0.1:8080 only: connections DNATed to <node>:8080 are refused',
  spec,
  expect: { top: 'backend-not-listening', findings: ['backend-not-listening'] },
} satisfies Scenario;
