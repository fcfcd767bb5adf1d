/**
 * Reads from the Kubernetes API only what the question needs: the target Service(s) and their
 * EndpointSlices and Pods, the Nodes, the NetworkPolicies of the backend namespaces, kube-proxy and
 * CoreDNS in kube-system, and kube-apiserver's NodePort range. A refused or failed read becomes a
 * GatherError and the rest goes on; only an unreachable API or a missing target Service stops it.
 */
import { AGENT_POD_SELECTOR, CILIUM_CONFIG } from '../../snapshot/agent-commands.js';
import { stepOf, type ApiRequest } from '../../snapshot/gather-step.js';
import type { ClusterState, GatherError, KubeObject, ProxyReplacementState } from '../../snapshot/schema.js';
import { mapLimit } from '../limit.js';
import type { Progress } from '../gather-progress.js';
import { boundMessage } from '../untrusted-text.js';
import { aboutRequest, ApiCallError, getOrNull, isFatal, listAll, type KubeApi } from './api.js';
import { KUBE_PROXY_CONFIG_KEY, kubeProxyConfig, serviceNodePortRange } from './kube-proxy-config.js';
import { keepConfigMapKey, toWire } from './wire.js';

export interface ClusterQuestion {
  /** null: all namespaces. */
  namespace: string | null;
  /** null: every NodePort (and LoadBalancer, which has node ports) Service in scope. */
  service: string | null;
}

/** Gathering cannot go on: the API is unreachable, refuses our credentials, or the target is missing. */
export class GatherFatalError extends Error {
  constructor(readonly error: GatherError) {
    super(`${error.what}: ${error.why}`);
    this.name = 'GatherFatalError';
  }
}

const SYSTEM = 'kube-system';
/** How many API requests run at once: enough to hide latency, few enough not to trip API priority and fairness. */
const API_CONCURRENCY = 4;

type Wire = (o: unknown) => Promise<KubeObject>;
const as = (type: string, apiVersion: string, kind: string): Wire => (o) => toWire(o, type, apiVersion, kind);
const SERVICE = as('V1Service', 'v1', 'Service');
const POD = as('V1Pod', 'v1', 'Pod');
const NODE = as('V1Node', 'v1', 'Node');
const SLICE = as('V1EndpointSlice', 'discovery.k8s.io/v1', 'EndpointSlice');
const NAMESPACE = as('V1Namespace', 'v1', 'Namespace');
const NETPOL = as('V1NetworkPolicy', 'networking.k8s.io/v1', 'NetworkPolicy');
const CONFIGMAP = as('V1ConfigMap', 'v1', 'ConfigMap');
const DAEMONSET = as('V1DaemonSet', 'apps/v1', 'DaemonSet');
const DEPLOYMENT = as('V1Deployment', 'apps/v1', 'Deployment');

const wireAll = (objs: unknown[], wire: Wire): Promise<KubeObject[]> => Promise.all(objs.map(wire));
const wireOne = async (obj: unknown, wire: Wire): Promise<KubeObject | null> => (obj === null ? null : wire(obj));

export async function gatherCluster(api: KubeApi, q: ClusterQuestion, progress: Progress): Promise<{ cluster: ClusterState; errors: GatherError[] }> {
  const { core, discovery, networking, apps, options: o } = api;
  const errors: GatherError[] = [];

  /** Runs one read; a non-fatal failure is recorded and `fallback` used instead. */
  const read = async <T>(fallback: T, fn: () => Promise<T>): Promise<T> => {
    try {
      return await fn();
    } catch (e) {
      if (!(e instanceof ApiCallError)) throw e;
      if (isFatal(e)) throw new GatherFatalError(e.error);
      errors.push(e.error);
      return fallback;
    }
  };
  const list = <T>(step: ApiRequest, page: (cont: string | undefined) => Promise<{ items: T[]; metadata?: { _continue?: string } }>) =>
    read<T[]>([], () => listAll(api, step, page));
  /** One kube-system object by name; null when it does not exist or its read failed (recorded). */
  const getSystem = <T>(resource: string, name: string, fn: (ref: { name: string; namespace: string }) => Promise<T>) =>
    read<T | null>(null, () => getOrNull(api, { verb: 'get', resource, namespace: SYSTEM, name }, () => fn({ name, namespace: SYSTEM })));
  const page = { limit: api.pageSize };

  progress.start('services', q.service ? `reading service ${q.namespace}/${q.service}` : 'listing NodePort services');
  let services: KubeObject[];
  if (q.service !== null) {
    const ns = q.namespace ?? 'default';
    const step: ApiRequest = { verb: 'get', resource: 'services', namespace: ns, name: q.service };
    const svc = await read(null, () => getOrNull(api, step, () => core.readNamespacedService({ name: q.service!, namespace: ns }, o)));
    if (svc === null) {
      const refused = errors.find((e) => {
        const failed = stepOf(e);
        return failed?.kind === 'api' && failed.verb === 'get' && failed.resource === 'services';
      });
      progress.fail('services', `service ${ns}/${q.service}: ${refused ? 'cannot read it' : 'not found'}`);
      throw new GatherFatalError(refused ?? {
        ...aboutRequest(step), code: 404,
        why: `service "${q.service}" not found in namespace "${ns}"`,
        hint: `check the name and the namespace: kubectl get services -n ${ns}`,
      });
    }
    services = [await SERVICE(svc)];
  } else {
    const step: ApiRequest = { verb: 'list', resource: 'services', ...(q.namespace ? { namespace: q.namespace } : { allNamespaces: true }) };
    const all = await list(step, (c) =>
      q.namespace ? core.listNamespacedService({ namespace: q.namespace, ...page, _continue: c }, o) : core.listServiceForAllNamespaces({ ...page, _continue: c }, o));
    services = (await wireAll(all, SERVICE)).filter((s) => ['NodePort', 'LoadBalancer'].includes((s.spec as { type?: string } | undefined)?.type ?? ''));
  }
  progress.succeed('services', `${services.length} service${services.length === 1 ? '' : 's'}`);

  const namespaces = [...new Set(services.map((s) => s.metadata.namespace ?? 'default'))].sort();
  const names = new Set(services.map((s) => `${s.metadata.namespace}/${s.metadata.name}`));
  const single = services.length === 1 ? services[0] : undefined;
  const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

  // -A over Services in many namespaces: one list of each kind for the whole cluster, as
  // `kubectl get -A` does, instead of one per namespace (10k Services in 500 namespaces would be
  // 1,500 requests); objects of namespaces without a NodePort Service are dropped before wiring.
  const wide = q.namespace === null && namespaces.length > 1;
  const inScope = new Set(namespaces);
  type ListPage<T> = Promise<{ items: T[]; metadata?: { _continue?: string } }>;
  const scoped = <T extends { metadata?: { namespace?: string } }>(
    resource: string,
    inNamespace: (ns: string, cont: string | undefined) => ListPage<T>,
    everywhere: (cont: string | undefined) => ListPage<T>,
    take: (items: T[]) => Promise<void>,
  ): (() => Promise<void>)[] => wide
    ? [async () => take((await list({ verb: 'list', resource, allNamespaces: true }, everywhere)).filter((x) => inScope.has(x.metadata?.namespace ?? '')))]
    : namespaces.map((ns) => async () => take(await list({ verb: 'list', resource, namespace: ns }, (c) => inNamespace(ns, c))));

  progress.start('objects', 'reading endpoints, pods, nodes, policies, kube-proxy (or what replaces it) and CoreDNS');
  const cluster: ClusterState = {
    services, endpointSlices: [], pods: [], nodes: [], networkPolicies: [], namespaces: [],
    kubeProxy: { configMap: null, daemonSet: null, pods: [], config: null },
    coreDns: { deployment: null, service: null, endpointSlices: [], corefile: null },
    apiServer: { serviceNodePortRange: null },
  };
  let apiServerPods: KubeObject[] = [];
  const replacement: ProxyReplacementState = { ciliumConfig: null, agentPods: [] };

  const tasks: (() => Promise<void>)[] = [
    async () => {
      const items = await list({ verb: 'list', resource: 'nodes' }, (c) => core.listNode({ ...page, _continue: c }, o));
      cluster.nodes = await wireAll(items, NODE);
    },
    ...scoped('endpointslices.discovery.k8s.io',
      // One service: let the API filter by its label. Several: every slice of the namespace, filtered here.
      (ns, c) => discovery.listNamespacedEndpointSlice({ namespace: ns, ...page, _continue: c, ...(single ? { labelSelector: `${SERVICE_NAME_LABEL}=${single.metadata.name}` } : {}) }, o),
      (c) => discovery.listEndpointSliceForAllNamespaces({ ...page, _continue: c }, o),
      async (items) => {
        const slices = await wireAll(items, SLICE);
        append(cluster.endpointSlices, slices.filter((s) => names.has(`${s.metadata.namespace}/${s.metadata.labels?.[SERVICE_NAME_LABEL]}`)));
      }),
    async () => {
      // Namespace labels decide NetworkPolicy namespaceSelectors.
      const items = await list({ verb: 'list', resource: 'namespaces' }, (c) => core.listNamespace({ ...page, _continue: c }, o));
      cluster.namespaces = await wireAll(items, NAMESPACE);
    },
    // The whole namespace, not just the selected pods: the nearest misses of a selector that
    // matches nothing, and the peers NetworkPolicy podSelectors name, are among the others.
    ...scoped('pods',
      (ns, c) => core.listNamespacedPod({ namespace: ns, ...page, _continue: c }, o),
      (c) => core.listPodForAllNamespaces({ ...page, _continue: c }, o),
      async (items) => append(cluster.pods, await wireAll(items, POD))),
    ...scoped('networkpolicies.networking.k8s.io',
      (ns, c) => networking.listNamespacedNetworkPolicy({ namespace: ns, ...page, _continue: c }, o),
      (c) => networking.listNetworkPolicyForAllNamespaces({ ...page, _continue: c }, o),
      async (items) => append(cluster.networkPolicies, await wireAll(items, NETPOL))),
    async () => {
      const cm = await getSystem('configmaps', 'kube-proxy', (ref) => core.readNamespacedConfigMap(ref, o));
      const wired = await wireOne(cm, CONFIGMAP);
      cluster.kubeProxy.configMap = wired && keepConfigMapKey(wired, KUBE_PROXY_CONFIG_KEY);
    },
    async () => {
      const ds = await getSystem('daemonsets.apps', 'kube-proxy', (ref) => apps.readNamespacedDaemonSet(ref, o));
      cluster.kubeProxy.daemonSet = await wireOne(ds, DAEMONSET);
    },
    async () => {
      const items = await list({ verb: 'list', resource: 'pods', namespace: SYSTEM }, (c) =>
        core.listNamespacedPod({ namespace: SYSTEM, labelSelector: 'k8s-app=kube-proxy', ...page, _continue: c }, o));
      cluster.kubeProxy.pods = await wireAll(items, POD);
    },
    async () => {
      const dep = await getSystem('deployments.apps', 'coredns', (ref) => apps.readNamespacedDeployment(ref, o));
      cluster.coreDns.deployment = await wireOne(dep, DEPLOYMENT);
    },
    async () => {
      const svc = await getSystem('services', 'kube-dns', (ref) => core.readNamespacedService(ref, o));
      cluster.coreDns.service = await wireOne(svc, SERVICE);
    },
    async () => {
      const items = await list({ verb: 'list', resource: 'endpointslices.discovery.k8s.io', namespace: SYSTEM }, (c) =>
        discovery.listNamespacedEndpointSlice({ namespace: SYSTEM, labelSelector: `${SERVICE_NAME_LABEL}=kube-dns`, ...page, _continue: c }, o));
      cluster.coreDns.endpointSlices = await wireAll(items, SLICE);
    },
    async () => {
      const cm = await getSystem('configmaps', 'coredns', (ref) => core.readNamespacedConfigMap(ref, o));
      cluster.coreDns.corefile = cm?.data?.Corefile ?? null;
    },
    async () => {
      // Cilium's kube-proxy replacement setting. Optional: a Role without cilium-config among its
      // resourceNames (written from an older README) is noted, not an error; the node still shows Cilium.
      const step: ApiRequest = { verb: 'get', resource: 'configmaps', namespace: CILIUM_CONFIG.namespace, name: CILIUM_CONFIG.name };
      try {
        const cm = await getOrNull(api, step, () => core.readNamespacedConfigMap({ name: CILIUM_CONFIG.name, namespace: CILIUM_CONFIG.namespace }, o));
        const wired = await wireOne(cm, CONFIGMAP);
        replacement.ciliumConfig = wired && keepConfigMapKey(wired, CILIUM_CONFIG.key);
      } catch (e) {
        if (!(e instanceof ApiCallError)) throw e;
        if (isFatal(e)) throw new GatherFatalError(e.error);
        replacement.ciliumConfigRefused = boundMessage(e.error.why, 512);
      }
    },
    async () => {
      // The agents of Cilium and kube-router: which nodes they run on, kube-router's --run-service-proxy.
      const items = await list({ verb: 'list', resource: 'pods', namespace: SYSTEM }, (c) =>
        core.listNamespacedPod({ namespace: SYSTEM, labelSelector: AGENT_POD_SELECTOR, ...page, _continue: c }, o));
      replacement.agentPods = await wireAll(items, POD);
    },
    async () => {
      // kubeadm-style control planes run kube-apiserver as a static pod whose flags we can read;
      // managed control planes (EKS, GKE, AKS) show none, and the range stays unknown.
      const items = await list({ verb: 'list', resource: 'pods', namespace: SYSTEM }, (c) =>
        core.listNamespacedPod({ namespace: SYSTEM, labelSelector: 'component=kube-apiserver', ...page, _continue: c }, o));
      apiServerPods = await wireAll(items, POD);
    },
  ];
  await mapLimit(tasks, API_CONCURRENCY, (t) => t());

  const { loadYaml } = api.k8s;
  try {
    cluster.kubeProxy.config = kubeProxyConfig(cluster.kubeProxy.configMap, cluster.kubeProxy.daemonSet, loadYaml);
  } catch (e) {
    errors.push({ stage: 'cluster', step: { kind: 'kube-proxy-config' }, what: `read kube-proxy's ${KUBE_PROXY_CONFIG_KEY}`, why: `not valid YAML: ${boundMessage((e as Error).message.split('\n')[0] ?? '', 512)}` });
  }
  cluster.apiServer.serviceNodePortRange = serviceNodePortRange(apiServerPods);
  // Stored only when there is something to say, so snapshots of other clusters stay as they were
  // (a refused cilium-config matters only where Cilium runs).
  if (replacement.ciliumConfig !== null || replacement.agentPods.length > 0) {
    replacement.agentPods.sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    cluster.proxyReplacement = replacement;
  }
  sortObjects(cluster);

  const summary = `${cluster.endpointSlices.length} EndpointSlices, ${cluster.pods.length} pods, ${cluster.nodes.length} nodes, ${cluster.networkPolicies.length} NetworkPolicies`;
  if (errors.length > 0) progress.warn('objects', `${summary}; ${errors.length} read${errors.length === 1 ? '' : 's'} failed`);
  else progress.succeed('objects', summary);
  return { cluster, errors };
}

/** push(...items) passes every item as an argument: past ~100k of them V8 runs out of stack. */
function append<T>(to: T[], items: readonly T[]): void {
  for (const x of items) to.push(x);
}

/** Lists come back in etcd order; sorting makes two snapshots of the same state identical. */
function sortObjects(c: ClusterState): void {
  const key = (o: KubeObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;
  for (const list of [c.services, c.endpointSlices, c.pods, c.nodes, c.networkPolicies, c.namespaces ?? [], c.kubeProxy.pods, c.coreDns.endpointSlices]) {
    list.sort((a, b) => key(a).localeCompare(key(b)));
  }
}
