/**
 * spec → the Snapshot `np-doctor snapshot svc/NAME -n NS --all-nodes --collect ssh` would write
 * for that cluster: the API objects gathering reads (selected as src/collect/kube/cluster.ts
 * selects them, in the wire form kube/wire.ts stores), kube-proxy's effective configuration read
 * by the real kubeProxyConfig(), and every reachable node's command outputs. Pure and
 * deterministic; the dumps are the kit's rendering of what iptables-save and `nft -j list ruleset`
 * print unless `dumps` supplies real ones (kernel.ts).
 */
import { loadYaml } from '@kubernetes/client-node/dist/yaml.js';
import { KUBE_PROXY_CONFIG_KEY, kubeProxyConfig, serviceNodePortRange } from '../../../src/collect/kube/kube-proxy-config.js';
import { keepConfigMapKey } from '../../../src/collect/kube/wire.js';
import { SNAPSHOT_API_VERSION, SNAPSHOT_KIND, SnapshotSchema, type ClusterState, type GatherError, type KubeObject, type NodeState, type Snapshot } from '../../../src/snapshot/schema.js';
import { VERSION } from '../../../src/version.js';
import { withCilium } from './cilium.js';
import { asOldIptablesSave, saveText, withSaveDate } from './iptables-text.js';
import { nftRulesetJson } from './nft-json.js';
import { IPTABLES_VERSION, nodeCommands, OLD_IPTABLES_VERSION, type NodeDumps } from './node-commands.js';
import { nodeRulesets, slicesByService } from './node-rules.js';
import { buildObjects } from './objects.js';
import { internalIPOf, validateSpec, type ClusterSpec, type NodeSpec } from './spec.js';
import { SAVE_DATE, SNAPSHOT_TAKEN } from './time.js';

export interface BuildOptions {
  /**
   * The question gathered for: one Service (`np-doctor snapshot svc/NAME -n NS`), or with
   * `service: null` every NodePort/LoadBalancer Service of `namespace` (null: all namespaces).
   * Default shop/frontend.
   */
  target?: { namespace: string | null; service: string | null };
  /** Per node, real command output to use instead of the kit's rendering (see kernel.ts). */
  dumps?: Record<string, Partial<NodeDumps>>;
}

export const DEFAULT_TARGET = { namespace: 'shop', service: 'frontend' } as const;

export function buildScenarioSnapshot(spec: ClusterSpec, opts: BuildOptions = {}): Snapshot {
  validateSpec(spec);
  const target = opts.target ?? DEFAULT_TARGET;
  const slices = slicesByService(spec);
  const nodes: NodeState[] = [];
  const errors: GatherError[] = [];
  for (const node of spec.nodes) {
    if (node.access === false) {
      errors.push(unreachable(node));
      continue;
    }
    nodes.push({ name: node.name, address: internalIPOf(node), access: node.podNamespacesDenied === true ? 'debug-pod' : 'ssh', commands: nodeCommands(spec, node, nodeDumps(spec, node, slices, opts.dumps?.[node.name])) });
  }
  const cp = spec.nodes.find((n) => n.controlPlane === true) ?? spec.nodes[0];
  const snapshot: Snapshot = {
    apiVersion: SNAPSHOT_API_VERSION,
    kind: SNAPSHOT_KIND,
    createdAt: SNAPSHOT_TAKEN,
    tool: { name: 'np-doctor', version: VERSION },
    source: { context: spec.context, server: cp === undefined ? null : `https://${internalIPOf(cp)}:6443`, collect: 'ssh' },
    target: { namespace: target.namespace, service: target.service },
    redacted: false,
    cluster: clusterState(spec, target),
    nodes,
    errors,
    ...(spec.probes === undefined ? {} : { probes: spec.probes }),
  };
  return SnapshotSchema.parse(spec.cilium === undefined ? snapshot : withCilium(spec, spec.cilium, snapshot));
}

/** What the node's save tools print: given (normalised to the kit's date) or rendered from the spec. */
function nodeDumps(spec: ClusterSpec, node: NodeSpec, slices: ReturnType<typeof slicesByService>, given: Partial<NodeDumps> | undefined): NodeDumps {
  const rules = nodeRulesets(spec, node.name, slices);
  const save = (backend: 'nft' | 'legacy'): string =>
    withSaveDate(given?.[backend] ?? saveText(rules[backend], { backend, tool: 'iptables-nft-save', version: IPTABLES_VERSION, date: SAVE_DATE }), SAVE_DATE);
  const save6 = (backend: 'nft' | 'legacy'): string =>
    withSaveDate(given?.[`${backend}6`] ?? saveText(rules[`${backend}6`], { backend, tool: 'iptables-nft-save', version: IPTABLES_VERSION, date: SAVE_DATE }), SAVE_DATE);
  const legacy = save('legacy');
  return {
    nft: save('nft'),
    legacy: node.iptablesVersionSkew === true ? asOldIptablesSave(legacy, OLD_IPTABLES_VERSION) : legacy,
    nft6: save6('nft'),
    legacy6: save6('legacy'),
    nftRuleset: given?.nftRuleset ?? nftRulesetJson(rules.nft, rules.nftables, rules.nft6),
  };
}

/** What an SSH gather writes for a node that does not answer (ssh.ts, ssh-errors.ts). */
function unreachable(node: NodeSpec): GatherError {
  const endpoint = `${internalIPOf(node)}:22`;
  return {
    stage: 'node',
    node: node.name,
    what: `connect to ${endpoint}`,
    why: `no answer from ${endpoint} within 10 s`,
    hint: 'the node is down, the address is wrong, or a firewall drops SSH; if nodes are only reachable through a bastion, use --ssh-jump or ProxyJump in ~/.ssh/config',
  };
}

// ---------------------------------------------------------------------------------------------
// The API objects, as gathering selects and stores them

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

function clusterState(spec: ClusterSpec, target: { namespace: string | null; service: string | null }): ClusterState {
  const o = buildObjects(spec);
  const key = (x: KubeObject): string => `${x.metadata.namespace ?? 'default'}/${x.metadata.name}`;
  let services: KubeObject[];
  if (target.service !== null) {
    const ns = target.namespace ?? 'default';
    const svc = o.services.find((s) => key(s) === `${ns}/${target.service}`);
    // A live gather stops here (GatherFatalError): there is no snapshot to build.
    if (svc === undefined) throw new Error(`service "${target.service}" not found in namespace "${ns}"`);
    services = [svc];
  } else {
    services = o.services.filter((s) => (target.namespace === null || s.metadata.namespace === target.namespace) && ['NodePort', 'LoadBalancer'].includes((s.spec as { type?: string }).type ?? ''));
  }
  const namespaces = new Set(services.map((s) => s.metadata.namespace ?? 'default'));
  const names = new Set(services.map(key));
  const allPods = [...o.pods, ...o.kubeProxy.pods, ...o.apiServerPods];
  const kubeSystem = (x: KubeObject): boolean => x.metadata.namespace === 'kube-system';
  const cluster: ClusterState = {
    services,
    endpointSlices: o.endpointSlices.filter((s) => names.has(`${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL]}`)),
    pods: allPods.filter((p) => namespaces.has(p.metadata.namespace ?? 'default')),
    nodes: o.nodes,
    networkPolicies: o.networkPolicies.filter((p) => namespaces.has(p.metadata.namespace ?? 'default')),
    namespaces: o.namespaces,
    kubeProxy: { configMap: keepConfigMapKey(o.kubeProxy.configMap, KUBE_PROXY_CONFIG_KEY), daemonSet: o.kubeProxy.daemonSet, pods: o.kubeProxy.pods, config: null },
    coreDns: {
      deployment: o.coreDns.deployment,
      service: o.services.find((s) => key(s) === 'kube-system/kube-dns') ?? null,
      endpointSlices: o.endpointSlices.filter((s) => kubeSystem(s) && s.metadata.labels?.[SERVICE_NAME_LABEL] === 'kube-dns'),
      corefile: spec.coreDns.corefile,
    },
    apiServer: { serviceNodePortRange: serviceNodePortRange(o.apiServerPods) },
  };
  cluster.kubeProxy.config = kubeProxyConfig(cluster.kubeProxy.configMap, cluster.kubeProxy.daemonSet, loadYaml);
  for (const list of [cluster.services, cluster.endpointSlices, cluster.pods, cluster.nodes, cluster.networkPolicies, cluster.namespaces ?? [], cluster.kubeProxy.pods, cluster.coreDns.endpointSlices]) {
    list.sort((a, b) => `${a.metadata.namespace ?? ''}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace ?? ''}/${b.metadata.name}`));
  }
  return toWire(cluster);
}

const API_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

/**
 * What kube/wire.ts stores: timestamps as client-node's Dates serialise them (…:00.000Z), env
 * values and workload command lines dropped; annotations, labels and ConfigMap data untouched.
 */
function toWire<T>(value: T): T {
  const walk = (v: unknown, key: string, parents: Record<string, unknown>[]): unknown => {
    if (typeof v === 'string') return API_TIME.test(v) ? v.replace('Z', '.000Z') : v;
    if (Array.isArray(v)) return v.map((x) => walk(x, key, parents));
    if (v === null || typeof v !== 'object') return v;
    if (key === 'annotations' || key === 'labels' || key === 'data' || key === 'matchLabels' || key === 'selector' || key === 'nodeSelector') return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) out[k] = walk(x, k, [...parents, o]);
    if (key === 'containers' || key === 'initContainers') {
      const pod = parents.find((p) => p.kind === 'Pod') as KubeObject | undefined;
      if (Array.isArray(out.env)) out.env = (out.env as { name: string }[]).map((e) => ({ name: e.name }));
      if (pod !== undefined && pod.metadata.namespace !== 'kube-system') {
        delete out.command;
        delete out.args;
      }
    }
    return out;
  };
  return walk(value, '', []) as T;
}
