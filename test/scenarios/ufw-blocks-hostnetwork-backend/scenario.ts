import { baseCluster, ufw, updateNode } from '../../support/scenario-kit/index.js';
import type { Scenario } from '../scenario.js';

/**
 * ufw allows the NodePort range, but the frontend pods use the host network: kube-proxy DNATs to
 * <node>:8080, which reaches INPUT, where ufw's default deny incoming (policy DROP) applies.
 */
const spec = baseCluster();
for (const n of ['node-1', 'node-2', 'node-3']) updateNode(spec, n, { hostFirewall: ufw({ allow: ['22/tcp', '6443/tcp', '10250/tcp', '30000:32767/tcp'] }) });
for (const p of spec.pods.filter((x) => x.namespace === 'shop' && x.labels.app === 'frontend')) {
  Object.assign(p, { hostNetwork: true, ip: spec.nodes.find((n) => n.name === p.node)!.ip });
}

export default {
  about: "ufw opens 30000:32767 but not the hostNetwork backend's port 8080: every NodePort connection dies on INPUT's DROP policy",
  spec,
  expect: { top: 'host-firewall-drop', findings: ['host-firewall-drop'] },
} satisfies Scenario;
