/**
 * Rules split across iptables backends: kube-proxy writes nf_tables (iptables-nft), another tool
 * still writes x_tables (iptables-legacy). Both sets hook the same netfilter hooks and both run;
 * `iptables-save` shows only one of them, which is why np-doctor reads both dumps.
 *   - split-forward-drop: Docker on legacy set `:FORWARD DROP`; kube-proxy's nft KUBE-FORWARD
 *     ACCEPTs the marked packet, but an ACCEPT in one table does not skip the other: the legacy
 *     policy still drops it → timeout.
 *   - split-legacy-dnat: an old kube-proxy's legacy rules still DNAT NodePort 30085 to a2 although
 *     the current (nft) rules have no such NodePort. The nft NodePort 30080 is unaffected. Neither
 *     verdict depends on which backend's nat table the kernel runs first (they do not overlap).
 * Load order: legacy first (Docker / the old kube-proxy were there before kube-proxy moved to nft).
 * At equal priority the kernel runs the hook registered LAST first (research report Q3), so the
 * nft tables run before the legacy ones at every hook here, and the walk is given [nft, legacy].
 */
import type { Scenario } from '../lab/scenario.js';
import { clusterService, kubeRules } from './kube.js';

const web = clusterService({ svc: 'default/web:http', tag: 'SPLIT', proto: 'tcp', nodePort: 30080, endpoints: [{ ip: '10.244.0.5', port: 8080 }] });

const DOCKER_LEGACY_FILTER = [
  '*filter',
  ':INPUT ACCEPT [0:0]',
  ':FORWARD DROP [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':DOCKER-USER - [0:0]',
  '-A FORWARD -j DOCKER-USER',
  '-A DOCKER-USER -j RETURN',
  'COMMIT',
  '',
].join('\n');

export const splitForwardDrop: Scenario = {
  name: 'split-forward-drop',
  about: 'legacy FORWARD policy DROP + nft KUBE-FORWARD mark accept → still dropped (timeout)',
  nodes: [{ legacyFirst: true, rules: { nft: kubeRules({ natChains: web.chains, nat: web.nat }), legacy: DOCKER_LEGACY_FILTER } }],
  pods: [{ name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] }],
  probes: [
    {
      name: 'client-to-nodeport',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30080 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'timeout' },
    },
  ],
};

const STALE_LEGACY_NAT = [
  '*nat',
  ':PREROUTING ACCEPT [0:0]',
  ':INPUT ACCEPT [0:0]',
  ':OUTPUT ACCEPT [0:0]',
  ':POSTROUTING ACCEPT [0:0]',
  ':KUBE-SERVICES - [0:0]',
  ':KUBE-NODEPORTS - [0:0]',
  ':KUBE-SEP-OLDA2AAAAAAAAAAA - [0:0]',
  '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
  '-A KUBE-SERVICES -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
  '-A KUBE-NODEPORTS -m comment --comment default/old:http -m tcp -p tcp --dport 30085 -j KUBE-SEP-OLDA2AAAAAAAAAAA',
  '-A KUBE-SEP-OLDA2AAAAAAAAAAA -m tcp -p tcp -j DNAT --to-destination 10.244.0.6:8080',
  'COMMIT',
  '',
].join('\n');

export const splitLegacyDnat: Scenario = {
  name: 'split-legacy-dnat',
  about: 'stale legacy kube rules still DNAT 30085 → a2 (not masqueraded); nft NodePort 30080 → a1',
  nodes: [{ legacyFirst: true, rules: { nft: kubeRules({ natChains: web.chains, nat: web.nat }), legacy: STALE_LEGACY_NAT } }],
  pods: [
    { name: 'a1', node: 0, ip: '10.244.0.5', ports: [8080] },
    { name: 'a2', node: 0, ip: '10.244.0.6', ports: [8080] },
  ],
  probes: [
    {
      name: 'stale-legacy-nodeport',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30085 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a2'], peerIp: '203.0.113.7' },
    },
    {
      name: 'current-nft-nodeport',
      from: { kind: 'client' },
      to: { ip: '192.168.49.2', port: 30080 },
      proto: 'tcp',
      node: 0,
      intended: { result: 'delivered', pods: ['a1'], peerIp: '192.168.49.2' },
    },
  ],
};
