/** Every kernel scenario, in the order the suite runs them. */
import type { Scenario } from '../lab/scenario.js';
import { etpCluster } from './etp-cluster.js';
import { etpLocal } from './etp-local.js';
import { noEndpoints } from './no-endpoints.js';
import { sessionAffinity } from './session-affinity.js';
import { nodePortAddresses } from './nodeport-addresses.js';
import { forwardDropMarkAccept, forwardDropNoMarkAccept } from './forward-drop.js';
import { hostFirewall } from './host-firewall.js';
import { missingMasquerade } from './missing-masquerade.js';
import { hairpin } from './hairpin.js';
import { localhostLocalnet0, localhostLocalnet1, nodeSelfNodePort } from './node-local.js';
import { udpNodePort } from './udp-nodeport.js';
import { splitForwardDrop, splitLegacyDnat } from './split-backends.js';
import { dualStack } from './dual-stack.js';
import { ipv6Scenarios } from './ipv6.js';
import { clusterIp } from './cluster-ip.js';
import { markCollision } from './mark-collision.js';
import { threeEndpoints } from './three-endpoints.js';
import { dnatConflict } from './dnat-conflict.js';
import { oldMarkDrop } from './old-mark-drop.js';
import { calicoForward } from './calico-forward.js';
import { physdevRouted } from './physdev-routed.js';
import { ctstateDnat } from './ctstate-dnat.js';
import { nftKubeProxyScenarios } from './nft-kube-proxy.js';
import { nftSessionAffinity } from './nft-session-affinity.js';
import { nftFirewalldAllow, nftFirewalldReject } from './nft-firewalld.js';
import { nftMixedIptablesFirst, nftMixedNftablesFirst } from './nft-mixed.js';

export const scenarios: Scenario[] = [
  etpCluster,
  etpLocal,
  noEndpoints,
  sessionAffinity,
  nodePortAddresses,
  forwardDropMarkAccept,
  forwardDropNoMarkAccept,
  hostFirewall,
  missingMasquerade,
  hairpin,
  nodeSelfNodePort,
  localhostLocalnet0,
  localhostLocalnet1,
  udpNodePort,
  splitForwardDrop,
  splitLegacyDnat,
  dualStack,
  ...ipv6Scenarios,
  clusterIp,
  markCollision,
  threeEndpoints,
  dnatConflict,
  oldMarkDrop,
  calicoForward,
  physdevRouted,
  ctstateDnat,
  // Native nftables (walked from `nft -j list ruleset`, traced with `nft monitor trace`).
  ...nftKubeProxyScenarios,
  nftSessionAffinity('v1.33'),
  nftSessionAffinity('v1.34'),
  nftFirewalldReject,
  nftFirewalldAllow,
  nftMixedIptablesFirst,
  nftMixedNftablesFirst,
];
