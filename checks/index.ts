/**
 * The registry: every built-in check, sorted by id (a meta-test keeps it sorted and in step with
 * the files in this directory, docs/checks/<id>.md and the scenario corpus).
 */
import type { Check } from '../src/check-kit/index.js';
import backendNotListening from './backend-not-listening.js';
import brNetfilterOff from './br-netfilter-off.js';
import ciliumServiceTable from './cilium-service-table.js';
import clientWrongTarget from './client-wrong-target.js';
import conntrackInvalidDrop from './conntrack-invalid-drop.js';
import conntrackTableFull from './conntrack-table-full.js';
import corednsUnhealthy from './coredns-unhealthy.js';
import duplicateNodeAddress from './duplicate-node-address.js';
import endpointsNotReady from './endpoints-not-ready.js';
import etpLocalNoLocalEndpoint from './etp-local-no-local-endpoint.js';
import forwardPolicyDrop from './forward-policy-drop.js';
import hostFirewallDrop from './host-firewall-drop.js';
import ipForwardDisabled from './ip-forward-disabled.js';
import iptablesBackendSplit from './iptables-backend-split.js';
import iptablesVersionSkew from './iptables-version-skew.js';
import ipvsEtpLocalFallback from './ipvs-etp-local-fallback.js';
import ipvsNodeportMasqueradeMissing from './ipvs-nodeport-masquerade-missing.js';
import ipvsRealServersOutOfSync from './ipvs-real-servers-out-of-sync.js';
import kubeProxyCrashlooping from './kube-proxy-crashlooping.js';
import kubeProxyMissing from './kube-proxy-missing.js';
import kubeProxyModeConflict from './kube-proxy-mode-conflict.js';
import kubeProxyNodeNameMismatch from './kube-proxy-node-name-mismatch.js';
import kubeProxyOutOfSync from './kube-proxy-out-of-sync.js';
import kubeProxyReplaced from './kube-proxy-replaced.js';
import localhostNodeportUnsupported from './localhost-nodeport-unsupported.js';
import masqueradeMissing from './masquerade-missing.js';
import netpolBlocksSnatedSource from './netpol-blocks-snated-source.js';
import netpolBlocksTraffic from './netpol-blocks-traffic.js';
import nftKubeProxyTableMissing from './nft-kube-proxy-table-missing.js';
import noReadyEndpoints from './no-ready-endpoints.js';
import nodeNotReady from './node-not-ready.js';
import nodeportAddressesExcluded from './nodeport-addresses-excluded.js';
import nodeportBlockedBeforeNode from './nodeport-blocked-before-node.js';
import nodeportOutOfRange from './nodeport-out-of-range.js';
import nodeportRuleMissing from './nodeport-rule-missing.js';
import overlayBlocked from './overlay-blocked.js';
import podRefusesConnection from './pod-refuses-connection.js';
import podSocketsUnread from './pod-sockets-unread.js';
import replayContradictsWire from './replay-contradicts-wire.js';
import rpFilterStrict from './rp-filter-strict.js';
import serviceFamilyNotServed from './service-family-not-served.js';
import serviceMissing from './service-missing.js';
import serviceNotNodeport from './service-not-nodeport.js';
import targetPortMismatch from './target-port-mismatch.js';
import unexpectedSnat from './unexpected-snat.js';

export const CHECKS: readonly Check[] = [
  backendNotListening,
  brNetfilterOff,
  ciliumServiceTable,
  clientWrongTarget,
  conntrackInvalidDrop,
  conntrackTableFull,
  corednsUnhealthy,
  duplicateNodeAddress,
  endpointsNotReady,
  etpLocalNoLocalEndpoint,
  forwardPolicyDrop,
  hostFirewallDrop,
  ipForwardDisabled,
  iptablesBackendSplit,
  iptablesVersionSkew,
  ipvsEtpLocalFallback,
  ipvsNodeportMasqueradeMissing,
  ipvsRealServersOutOfSync,
  kubeProxyCrashlooping,
  kubeProxyMissing,
  kubeProxyModeConflict,
  kubeProxyNodeNameMismatch,
  kubeProxyOutOfSync,
  kubeProxyReplaced,
  localhostNodeportUnsupported,
  masqueradeMissing,
  netpolBlocksSnatedSource,
  netpolBlocksTraffic,
  nftKubeProxyTableMissing,
  noReadyEndpoints,
  nodeNotReady,
  nodeportAddressesExcluded,
  nodeportBlockedBeforeNode,
  nodeportOutOfRange,
  nodeportRuleMissing,
  overlayBlocked,
  podRefusesConnection,
  podSocketsUnread,
  replayContradictsWire,
  rpFilterStrict,
  serviceFamilyNotServed,
  serviceMissing,
  serviceNotNodeport,
  targetPortMismatch,
  unexpectedSnat,
];
