/**
 * A scenario-kit ClusterSpec made real in a lab control plane: the kit's own wire objects
 * (objects.ts) created through the API, with what only a kubelet or a cloud would write patched
 * through /status, so the real EndpointSlice controller computes the slices kube-proxy reads.
 *
 *   Namespaces, Nodes (spec.podCIDR; InternalIP and conditions through /status), Services (their
 *   ClusterIP, nodePorts and healthCheckNodePort as the spec fixes them; LoadBalancer ingress
 *   through /status), Pods with nodeName (phase, podIP, hostIP, Ready through /status), the
 *   hand-written EndpointSlices of selector-less Services, and ConfigMap kube-system/kube-proxy
 *   (applySpec: what kube-proxy reads); kube-proxy's ServiceAccount, DaemonSet and Pods, CoreDNS's
 *   ConfigMap and Deployment (applyKubeSystem: the rest a gathering reads); seedKitCluster does
 *   both and waits for the slices.
 *
 * The real-cluster lab (cluster.ts) creates single kit objects the same way: createPod, and
 * createAllocatedService for a Service whose ClusterIP and nodePorts the apiserver allocates.
 *
 * Terminating pods: a Pod that has a nodeName and is not in a terminal phase is deleted
 * gracefully (pod strategy CheckGracefulDelete): the apiserver only sets deletionTimestamp and
 * waits for the kubelet to confirm, and no kubelet runs here, so the Pod stays terminating with
 * the Ready condition it had, and the controller publishes it as ready=false, serving=<Ready>,
 * terminating=true. Selector-less Services carry hand-written slices with any conditions.
 *
 * What the kit's objects carry that a create must not: server-set metadata (uid, timestamps,
 * resourceVersion), owner references (the garbage collector would delete Pods whose ReplicaSet
 * does not exist), deletion fields (set by the DELETE), and the Pod priority fields (priority
 * admission computes them from priorityClassName). The default/kubernetes Service is the
 * apiserver's own: it is left alone, and apiServerEndpoint() tells the kit its real endpoint.
 */
import type { KubeObject } from '../../../src/snapshot/schema.js';
import { proxyEndpoints, slicesOf } from '../scenario-kit/endpoint-slices.js';
import { buildObjects, endpointSlice, type ClusterSpec } from '../scenario-kit/index.js';
import type { ControlPlane } from './control-plane.js';
import { waitFor } from './processes.js';

const APISERVER_SERVICE = 'default/kubernetes';
const MERGE = 'application/merge-patch+json';

async function call(cp: ControlPlane, method: string, path: string, body?: unknown, contentType?: string, ok: number[] = [200, 201]): Promise<unknown> {
  const r = await cp.api(method, path, body, contentType);
  if (!ok.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}${body === undefined ? '' : `\nsent: ${JSON.stringify(body).slice(0, 2000)}`}`);
  return r.body;
}

/** The object as a client would create it: no server-set metadata, no status. */
function forCreate(o: KubeObject): Record<string, unknown> {
  const { name, namespace, labels, annotations } = o.metadata as KubeObject['metadata'] & { labels?: unknown; annotations?: unknown };
  const { status: _status, ...rest } = o as KubeObject & { status?: unknown };
  return {
    ...rest,
    metadata: { name, ...(namespace !== undefined ? { namespace } : {}), ...(labels !== undefined ? { labels } : {}), ...(annotations !== undefined ? { annotations } : {}) },
  };
}

const nsOf = (o: KubeObject): string => o.metadata.namespace ?? '';
const keyOf = (o: KubeObject): string => `${nsOf(o)}/${o.metadata.name}`;

/** ServiceAccount admission refuses Pods until the controller made the namespace's `default` SA. */
async function defaultServiceAccount(cp: ControlPlane, ns: string): Promise<void> {
  await waitFor(`the default ServiceAccount of ${ns}`, async () => (await cp.api('GET', `/api/v1/namespaces/${ns}/serviceaccounts/default`)).status === 200, { watch: cp.processes.list(), timeoutMs: 60_000 });
}

/** A namespace (with `labels`) whose `default` ServiceAccount exists, so Pods may be created there. */
export async function createNamespace(cp: ControlPlane, name: string, labels: Record<string, string> = {}): Promise<void> {
  await call(cp, 'POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
  await defaultServiceAccount(cp, name);
}

/** A kit Pod created with its nodeName, then the status a kubelet would report (phase, IPs, Ready). */
export async function createPod(cp: ControlPlane, pod: KubeObject): Promise<void> {
  const body = forCreate(pod) as { spec: Record<string, unknown> };
  const { priority: _p, preemptionPolicy: _pp, ...podSpec } = body.spec;
  const path = `/api/v1/namespaces/${nsOf(pod)}/pods`;
  await call(cp, 'POST', path, { ...body, spec: podSpec });
  const s = pod.status as Record<string, unknown>;
  // The EndpointSlice controller reads phase, podIP(s) and Ready.
  const status = Object.fromEntries(['phase', 'conditions', 'podIP', 'podIPs', 'hostIP', 'hostIPs', 'startTime'].filter((k) => s[k] !== undefined).map((k) => [k, s[k]]));
  await call(cp, 'PATCH', `${path}/${pod.metadata.name}/status`, { status }, MERGE);
}

/**
 * A kit Service created without its ClusterIP: the apiserver allocates one from its own range, as
 * it does the nodePorts the spec left open (the kit's stable address comes from the spec's
 * serviceCIDR, which this apiserver need not share). Resolves with the created Service.
 */
export async function createAllocatedService(cp: ControlPlane, svc: KubeObject): Promise<unknown> {
  const body = forCreate(svc) as { spec: Record<string, unknown> };
  const { clusterIP: _ip, clusterIPs: _ips, ...spec } = body.spec;
  return call(cp, 'POST', `/api/v1/namespaces/${nsOf(svc)}/services`, { ...body, spec });
}

/** Creates every object of the spec the cluster needs for kube-proxy's view, in dependency order. */
export async function applySpec(cp: ControlPlane, spec: ClusterSpec): Promise<void> {
  const objects = buildObjects(spec);

  for (const ns of objects.namespaces) await call(cp, 'POST', '/api/v1/namespaces', forCreate(ns), undefined, [201, 409]);
  for (const ns of new Set(objects.pods.map(nsOf))) await defaultServiceAccount(cp, ns);

  for (const node of objects.nodes) {
    await call(cp, 'POST', '/api/v1/nodes', forCreate(node));
    await call(cp, 'PATCH', `/api/v1/nodes/${node.metadata.name}/status`, { status: node.status }, MERGE);
  }

  for (const svc of objects.services.filter((s) => keyOf(s) !== APISERVER_SERVICE)) {
    await call(cp, 'POST', `/api/v1/namespaces/${nsOf(svc)}/services`, forCreate(svc));
    const ingress = (svc.status as { loadBalancer?: { ingress?: unknown[] } } | undefined)?.loadBalancer?.ingress;
    if (ingress !== undefined) await call(cp, 'PATCH', `/api/v1/namespaces/${nsOf(svc)}/services/${svc.metadata.name}/status`, { status: svc.status }, MERGE);
  }

  for (const [key, slices] of Object.entries(spec.endpointSlicesOverride)) {
    if (key === APISERVER_SERVICE) continue;
    for (const s of slices) await call(cp, 'POST', `/apis/discovery.k8s.io/v1/namespaces/${s.metadata.namespace ?? ''}/endpointslices`, forCreate(s));
  }

  for (const np of objects.networkPolicies) await call(cp, 'POST', `/apis/networking.k8s.io/v1/namespaces/${nsOf(np)}/networkpolicies`, forCreate(np));

  const terminating = new Set(spec.pods.filter((p) => p.terminating === true).map((p) => `${p.namespace}/${p.name}`));
  for (const pod of objects.pods) {
    await createPod(cp, pod);
    if (terminating.has(keyOf(pod))) {
      // DeleteOptions as a query: a DELETE body would leave its bytes on the kept-alive connection.
      await call(cp, 'DELETE', `/api/v1/namespaces/${nsOf(pod)}/pods/${pod.metadata.name}?gracePeriodSeconds=30`);
    }
  }

  await call(cp, 'POST', '/api/v1/namespaces/kube-system/configmaps', forCreate(objects.kubeProxy.configMap));
}

/** Creates `o` at `path`, then writes its status as its controller would have. */
async function createWithStatus(cp: ControlPlane, path: string, o: KubeObject): Promise<void> {
  await call(cp, 'POST', path, forCreate(o));
  await call(cp, 'PATCH', `${path}/${o.metadata.name}/status`, { status: (o as { status?: unknown }).status }, MERGE);
}

/**
 * What a kubeadm cluster shows of kube-proxy and CoreDNS besides what kube-proxy reads: kube-proxy's
 * ServiceAccount, DaemonSet and one Pod per node, CoreDNS's ConfigMap (the Corefile) and
 * Deployment. No DaemonSet or Deployment controller runs here, so the kit's pods are created with
 * their nodeName and both workloads get the status their controller would write.
 */
export async function applyKubeSystem(cp: ControlPlane, spec: ClusterSpec): Promise<void> {
  const { kubeProxy, coreDns } = buildObjects(spec);
  await call(cp, 'POST', '/api/v1/namespaces/kube-system/serviceaccounts', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'kube-proxy', namespace: 'kube-system' } });
  await createWithStatus(cp, '/apis/apps/v1/namespaces/kube-system/daemonsets', kubeProxy.daemonSet);
  for (const pod of kubeProxy.pods) await createPod(cp, pod);
  await call(cp, 'POST', '/api/v1/namespaces/kube-system/configmaps', forCreate(coreDns.configMap));
  await createWithStatus(cp, '/apis/apps/v1/namespaces/kube-system/deployments', coreDns.deployment);
}

/**
 * The whole kit cluster as a gathering reads it from a control plane without nodes (no kube-proxy
 * runs): applySpec, applyKubeSystem, then the real EndpointSlice controller's slices settled to the
 * kit's. default/kubernetes is left out of that wait: a loopback-bound apiserver publishes no
 * endpoint for itself (control-plane.ts).
 */
export async function seedKitCluster(cp: ControlPlane, spec: ClusterSpec): Promise<void> {
  await applySpec(cp, spec);
  await applyKubeSystem(cp, spec);
  await waitForKitEndpoints(cp, { ...spec, services: spec.services.filter((s) => `${s.namespace}/${s.name}` !== APISERVER_SERVICE) });
}

/** The apiserver's own endpoint (default/kubernetes's slice): its bind address and secure port. */
export async function apiServerEndpoint(cp: ControlPlane): Promise<{ ip: string; port: number }> {
  let found: { ip: string; port: number } | undefined;
  await waitFor('the apiserver to publish default/kubernetes', async () => {
    const s = (await cp.api('GET', '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/kubernetes')).body as {
      endpoints?: { addresses: string[] }[];
      ports?: { port: number }[];
    };
    const ip = s.endpoints?.[0]?.addresses[0];
    const port = s.ports?.[0]?.port;
    if (ip !== undefined && port !== undefined) found = { ip, port };
    return found !== undefined;
  }, { watch: cp.processes.list(), timeoutMs: 30_000 });
  return found!;
}

/** The spec with default/kubernetes's slice saying what the real apiserver publishes. */
export function withApiServerEndpoint(spec: ClusterSpec, ep: { ip: string; port: number }): ClusterSpec {
  const s = structuredClone(spec);
  s.endpointSlicesOverride[APISERVER_SERVICE] = [endpointSlice('default', 'kubernetes', [{ ip: ep.ip }], [{ name: 'https', port: ep.port }])];
  return s;
}

/**
 * Waits until the real EndpointSlice controller's slices give kube-proxy exactly the endpoints the
 * kit's controller model gives it, for every service port (ip, port, node, ready, serving,
 * terminating): then a kube-proxy started now syncs the spec's endpoints on its first sync. A
 * mismatch that does not settle fails with the difference: the kit's slices model is wrong.
 */
export async function waitForKitEndpoints(cp: ControlPlane, spec: ClusterSpec, timeoutMs = 30_000): Promise<void> {
  let mismatch = '';
  try {
    await waitFor('the EndpointSlice controller to publish the kit\'s endpoints', async () => {
      const list = (await cp.api('GET', '/apis/discovery.k8s.io/v1/endpointslices')).body as { items: KubeObject[] };
      const real = new Map<string, KubeObject[]>();
      for (const s of list.items) {
        const svc = `${nsOf(s)}/${(s.metadata as { labels?: Record<string, string> }).labels?.['kubernetes.io/service-name'] ?? ''}`;
        real.set(svc, [...(real.get(svc) ?? []), s]);
      }
      const diffs: string[] = [];
      for (const svc of spec.services) {
        const key = `${svc.namespace}/${svc.name}`;
        for (const port of svc.ports) {
          const want = JSON.stringify(proxyEndpoints(slicesOf(spec, svc), port));
          const got = JSON.stringify(proxyEndpoints(real.get(key) ?? [], port));
          if (want !== got) diffs.push(`${key}:${port.name ?? port.port}\n  kit:  ${want}\n  real: ${got}`);
        }
      }
      mismatch = diffs.join('\n');
      return diffs.length === 0;
    }, { watch: cp.processes.list(), timeoutMs });
  } catch (e) {
    throw new Error(`${(e as Error).message}\nendpoints that differ:\n${mismatch}`, { cause: e });
  }
}
