import { baseCluster, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/** Docker ≥ 1.13 on every node set `:FORWARD DROP`; Calico-style routing has no CNI rule accepting the pod network. */
const spec = baseCluster({ cni: 'calico' });
const docker = {
  filter: {
    chains: ['DOCKER', 'DOCKER-USER', 'DOCKER-ISOLATION-STAGE-1', 'DOCKER-ISOLATION-STAGE-2'],
    append: [
      '-A FORWARD -j DOCKER-USER',
      '-A FORWARD -j DOCKER-ISOLATION-STAGE-1',
      '-A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
      '-A FORWARD -o docker0 -j DOCKER',
      '-A FORWARD -i docker0 ! -o docker0 -j ACCEPT',
      '-A FORWARD -i docker0 -o docker0 -j ACCEPT',
      '-A DOCKER-ISOLATION-STAGE-1 -i docker0 ! -o docker0 -j DOCKER-ISOLATION-STAGE-2',
      '-A DOCKER-ISOLATION-STAGE-1 -j RETURN',
      '-A DOCKER-ISOLATION-STAGE-2 -o docker0 -j DROP',
      '-A DOCKER-ISOLATION-STAGE-2 -j RETURN',
      '-A DOCKER-USER -j RETURN',
    ],
  },
};
for (const n of ['node-1', 'node-2', 'node-3']) updateNode(spec, n, { forwardPolicy: 'DROP', hostFirewall: docker });

export default {
  about: "Docker's FORWARD policy DROP on every node: connections forwarded from another node die on the backend's node (works only via the pod's node)",
  spec,
  expect: { top: 'forward-policy-drop', findings: ['forward-policy-drop'] },
} satisfies Scenario;
