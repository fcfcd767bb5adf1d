/**
 * Whether a node's NodePorts are handled by a dataplane that replaces kube-proxy: Cilium's
 * kube-proxy replacement (eBPF), kube-router's service proxy (IPVS), or OVN-Kubernetes (OVN load
 * balancers in OVS). On such a node a netfilter replay proves nothing about a NodePort, and advice
 * to install or restart kube-proxy is wrong.
 *
 * Signals, from the API: ConfigMap kube-system/cilium-config `kube-proxy-replacement` ("true"
 * since Cilium 1.14; "strict" before; "partial"/"probe" left kube-proxy some of the work; "false" /
 * "disabled": Cilium is only the CNI), the agent pods (k8s-app=cilium, k8s-app=kube-router, whose
 * `--run-service-proxy` defaults to true). From the node: Cilium's cilium_host/cilium_net devices
 * and CILIUM_* chains; kube-router's kube-dummy-if (it holds the service IPs) and
 * KUBE-ROUTER-SERVICES; OVN-Kubernetes' ovn-k8s-mp0 management port, OVN-KUBE-* chains (older
 * releases) and `table inet ovn-kubernetes` (newer ones). kube-proxy's own marks are its nat
 * KUBE-SERVICES / KUBE-NODEPORTS / KUBE-NODE-PORT / KUBE-SVC-* chains and `table ip kube-proxy`.
 */
import { CILIUM_CONFIG } from '../snapshot/agent-commands.js';
import type { KubeObject } from '../snapshot/schema.js';
import type { ClusterModel } from './cluster.js';
import { kubeProxyChains, kubeProxyNftTable } from './proxy-mode.js';

export type ReplacementName = 'Cilium' | 'kube-router' | 'OVN-Kubernetes';

export interface ProxyReplacement {
  name: ReplacementName;
  /** What shows it, each a short phrase a person can check (`link cilium_host`). */
  evidence: string[];
  /** Where this dataplane handles a NodePort instead of netfilter, in words. */
  datapath: string;
  /** The same in a few words (`NodePorts are translated in eBPF`). */
  brief: string;
  /** The read-only command that shows the replacement's own service table for the node. */
  command: string;
  /** The agent pod on the node (kube-system), when the API shows one. */
  agentPod: string | null;
}

/** cilium-config's values that mean Cilium does kube-proxy's whole job, or none of it. */
const CILIUM_KPR_KEY = CILIUM_CONFIG.key;
const KPR_ON = new Set(['true', 'strict']);
const KPR_OFF = new Set(['false', 'disabled']);

const AGENT_LABELS = { Cilium: 'cilium', 'kube-router': 'kube-router' } as const;

interface NodeSigns {
  links: Set<string>;
  chains: Set<string>;
  nftTables: string[];
  /** kube-proxy's own rules are there (null: the rules were not read). */
  kubeProxyRules: boolean | null;
  ipvsServices: number;
}

const decided = new WeakMap<ClusterModel, Map<string, ProxyReplacement | null>>();

/** The replacement that handles NodePorts on `node`, or null when kube-proxy (or nothing known) does. */
export function proxyReplacementOn(cluster: ClusterModel, node: string): ProxyReplacement | null {
  // Asked by every family's replay and by the checks: decided once per node.
  let byNode = decided.get(cluster);
  if (byNode === undefined) decided.set(cluster, byNode = new Map<string, ProxyReplacement | null>());
  let r = byNode.get(node);
  if (r === undefined) {
    const signs = nodeSigns(cluster, node);
    r = cilium(cluster, node, signs) ?? kubeRouter(cluster, node, signs) ?? ovn(signs);
    byNode.set(node, r);
  }
  return r;
}

/**
 * Why the replay of `node` is left undecided: its NodePorts are not in netfilter. The path
 * analysis reports the node as not replayed, with this reason.
 */
export function replayBlockedBy(cluster: ClusterModel, node: string): string | null {
  const r = proxyReplacementOn(cluster, node);
  if (r === null) return null;
  return `${r.name} replaces kube-proxy on ${node}: ${r.brief}, which np-doctor cannot replay; \`${r.command}\` shows how ${r.name} handles the Service`;
}

function cilium(cluster: ClusterModel, node: string, s: NodeSigns): ProxyReplacement | null {
  const pod = agentPodOn(cluster, 'Cilium', node);
  const links = ['cilium_host', 'cilium_net', 'cilium_vxlan', 'cilium_geneve'].filter((l) => s.links.has(l));
  const chains = [...s.chains].filter((c) => c.startsWith('CILIUM_')).sort();
  if (pod === null && links.length === 0 && chains.length === 0) return null;
  const config = ciliumKpr(cluster);
  const refused = cluster.snapshot.cluster.proxyReplacement?.ciliumConfigRefused;
  if (config !== null && KPR_OFF.has(config)) return null;
  const on = config !== null && KPR_ON.has(config);
  if (!on && !kubeProxyAbsent(cluster, node, s)) return null;
  const evidence = [
    ...(config !== null ? [`cilium-config ${CILIUM_KPR_KEY}: ${config}`] : []),
    // Refused (RBAC): the node's own signs decided, and the user learns why the ConfigMap did not.
    ...(config === null && refused !== undefined ? [`cilium-config not read (${refused.slice(0, 160)})`] : []),
    ...(pod !== null ? [`agent pod ${pod}`] : []),
    ...links.slice(0, 2).map((l) => `link ${l}`),
    ...(chains.length > 0 ? [`chains ${chains.slice(0, 2).join(', ')}${chains.length > 2 ? ', …' : ''}`] : []),
    ...(s.kubeProxyRules === false ? ['no kube-proxy rules'] : []),
  ];
  return {
    name: 'Cilium', evidence, agentPod: pod,
    brief: 'NodePorts are translated in eBPF',
    datapath: 'NodePorts are translated in eBPF (tc/XDP programs on the node\'s devices, socket load-balancing for local clients) before netfilter sees the packet',
    command: `kubectl -n kube-system exec ${pod ?? `<cilium pod on ${node}>`} -c cilium-agent -- cilium-dbg service list`,
  };
}

function kubeRouter(cluster: ClusterModel, node: string, s: NodeSigns): ProxyReplacement | null {
  const pod = agentPodOn(cluster, 'kube-router', node);
  const serviceProxy = pod === null ? null : runsServiceProxy(cluster, pod);
  if (serviceProxy === false) return null;
  const signs = [
    ...(s.links.has('kube-dummy-if') ? ['link kube-dummy-if'] : []),
    ...(s.chains.has('KUBE-ROUTER-SERVICES') ? ['chain KUBE-ROUTER-SERVICES'] : []),
  ];
  if (pod === null && signs.length === 0) return null;
  if (!kubeProxyAbsent(cluster, node, s)) return null;
  return {
    name: 'kube-router', agentPod: pod,
    evidence: [...(pod !== null ? [`agent pod ${pod}${serviceProxy === true ? ' (--run-service-proxy)' : ''}`] : []), ...signs, ...(s.ipvsServices > 0 ? [`${s.ipvsServices} IPVS virtual services`] : [])],
    brief: 'NodePorts are IPVS virtual services with kube-router\'s own rules',
    datapath: 'NodePorts are IPVS virtual services kube-router programs, with its own KUBE-ROUTER-* chains, ipsets and `-m ipvs` masquerade rules',
    command: 'ipvsadm -Ln',
  };
}

function ovn(s: NodeSigns): ProxyReplacement | null {
  const evidence = [
    ...(s.links.has('ovn-k8s-mp0') ? ['link ovn-k8s-mp0'] : []),
    ...(s.nftTables.includes('inet ovn-kubernetes') ? ['nft table inet ovn-kubernetes'] : []),
    ...([...s.chains].some((c) => c.startsWith('OVN-KUBE-')) ? ['OVN-KUBE-* chains'] : []),
  ];
  if (evidence.length === 0) return null;
  if (s.links.has('br-int')) evidence.push('link br-int');
  return {
    name: 'OVN-Kubernetes', evidence, agentPod: null,
    brief: 'NodePorts are OVN load balancers in OVS flows',
    datapath: 'NodePorts are OVN load balancers in OVS flows (br-int and the gateway bridge), not netfilter rules',
    command: 'kubectl -n ovn-kubernetes exec <ovnkube-node pod> -c nbdb -- ovn-nbctl lb-list',
  };
}

/** cilium-config's kube-proxy-replacement value (trimmed, lower case), null when not read. */
function ciliumKpr(cluster: ClusterModel): string | null {
  const data = cluster.snapshot.cluster.proxyReplacement?.ciliumConfig?.data;
  const v = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[CILIUM_KPR_KEY] : undefined;
  return typeof v === 'string' ? v.trim().toLowerCase().slice(0, 32) : null;
}

/** Nothing of kube-proxy on the node: its rules were read and are not there, or (not read) it has no pod there. */
function kubeProxyAbsent(cluster: ClusterModel, node: string, s: NodeSigns): boolean {
  if (s.kubeProxyRules !== null) return !s.kubeProxyRules;
  return !cluster.snapshot.cluster.kubeProxy.pods.some((p) => nodeNameOf(p) === node);
}

function agentPodOn(cluster: ClusterModel, name: keyof typeof AGENT_LABELS, node: string): string | null {
  const pods = cluster.snapshot.cluster.proxyReplacement?.agentPods ?? [];
  const pod = pods.find((p) => p.metadata.labels?.['k8s-app'] === AGENT_LABELS[name] && nodeNameOf(p) === node);
  return pod?.metadata.name ?? null;
}

/** kube-router's --run-service-proxy (default true); null when its command line was not stored. */
function runsServiceProxy(cluster: ClusterModel, podName: string): boolean | null {
  const pod = cluster.snapshot.cluster.proxyReplacement?.agentPods.find((p) => p.metadata.name === podName);
  const containers = ((pod?.spec as { containers?: { args?: unknown; command?: unknown }[] } | undefined)?.containers) ?? [];
  const words = containers.flatMap((c) => [c.command, c.args]).flatMap((w) => (Array.isArray(w) ? w.filter((x): x is string => typeof x === 'string') : []));
  if (words.length === 0) return null;
  // A boolean pflag takes no separate value word: `--run-service-proxy` or `--…=VALUE`, read by
  // strconv.ParseBool; the last occurrence wins.
  const flag = words.filter((w) => /^--run-service-proxy(=|$)/.test(w)).pop();
  if (flag === undefined) return true;
  const value = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : 'true';
  return !['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(value);
}

const nodeNameOf = (p: KubeObject): string | undefined => (p.spec as { nodeName?: unknown } | undefined)?.nodeName as string | undefined;

function nodeSigns(cluster: ClusterModel, node: string): NodeSigns {
  const data = cluster.nodeDataOf(node);
  // Unreadable `ip -j addr`: no link says anything.
  const links = new Set(data.links?.map((l) => l.name));
  // Which dataplane serves NodePorts is a node's, not a family's: kube-proxy's rules of either family show it runs.
  const read = ([4, 6] as const).map((f) => data.rulesFor(f)).filter((r) => r.ok);
  if (read.length === 0) return { links, chains: new Set(), nftTables: [], kubeProxyRules: null, ipvsServices: 0 };
  const rulesets = read.flatMap((r) => r.rulesets);
  const chains = new Set<string>();
  for (const rs of rulesets) for (const t of rs.tables.values()) for (const c of t.chains.keys()) chains.add(c);
  // The nft ruleset holds every family's tables, so each family's plane carries the same one.
  const plane = read[0]!.plane;
  const tables = plane.nft?.flatMap((rs) => rs.tables) ?? [];
  const kubeProxyRules = rulesets.some(kubeProxyChains) || kubeProxyNftTable(tables, 4) !== null || kubeProxyNftTable(tables, 6) !== null;
  return { links, chains, nftTables: tables.map((t) => `${t.family} ${t.name}`), kubeProxyRules, ipvsServices: plane.ipvs?.services.length ?? 0 };
}
