/**
 * Which of the data checks can require is present, and if not, why: the reason a check is
 * skipped. A requirement is missing when gathering did not get it (RBAC, unreachable node,
 * --collect none), never merely because the cluster has none of it (zero NetworkPolicies is data).
 */
import type { GatherError, Snapshot } from '../snapshot/schema.js';
import type { Analysis } from '../check-kit/context.js';
import type { Requirement } from '../check-kit/define.js';

/** Requirement → null when available, else the reason it is not. */
export type Availability = Record<Requirement, string | null>;

/** The gather steps (GatherError.what, see describeStep) each API requirement depends on. */
const API_READS: Partial<Record<Requirement, (what: string, namespace: string) => boolean>> = {
  // kube-dns is read with `get services` too; it is coreDns's.
  services: (w) => /^(get|list) services\b/.test(w) && !w.startsWith('get services kube-dns '),
  endpointSlices: (w, ns) => w.startsWith('list endpointslices') && w.endsWith(`namespace ${ns}`),
  pods: (w, ns) => w === `list pods in namespace ${ns}`,
  nodes: (w) => w === 'list nodes',
  networkPolicies: (w) => w.startsWith('list networkpolicies'),
  // kube-proxy's pods are listed by label in kube-system; the step names only the namespace.
  kubeProxy: (w) => w.includes('kube-proxy') || w === 'list pods in namespace kube-system',
  coreDns: (w) => w.includes('coredns') || w.includes('kube-dns') || w.endsWith('in namespace kube-system') && w.startsWith('list endpointslices'),
  // kube-apiserver's static pods are listed by label in kube-system, like kube-proxy's.
  apiServer: (w) => w === 'list pods in namespace kube-system',
};

/** The gather errors that make an API requirement unavailable for a question about `namespace`. */
export function gatherErrorsFor(snapshot: Snapshot, req: keyof typeof API_READS, namespace: string): GatherError[] {
  const test = API_READS[req]!;
  return snapshot.errors.filter((e) => e.stage === 'cluster' && test(e.what, namespace));
}

export function availability(ctx: Analysis): Availability {
  const { question: q, service, cluster, paths } = ctx;
  const apiRead = (req: Requirement): string | null => {
    const errs = gatherErrorsFor(ctx.snapshot, req, q.namespace);
    return errs.length === 0 ? null : errs.map((e) => `${e.what}: ${e.why}`).join('; ');
  };
  const svc = service === null ? `Service ${q.namespace}/${q.service} was not found` : null;
  const nodes = [...new Set([...q.ingress.map((i) => i.node), ...ctx.snapshot.nodes.map((n) => n.name)])];
  const away = nodes.map((n) => cluster.nodeDataOf(n)).filter((d) => d.unavailable !== null);
  const reachable = nodes.length - away.length;
  const replayed = paths.filter((p) => p.unavailable === null);
  return {
    service: svc,
    services: apiRead('services'),
    nodePort: svc ?? (q.port === null ? `Service ${q.namespace}/${q.service} has no ports`
      : q.port.nodePort === null ? `port ${q.port.name || q.port.port} of Service ${q.namespace}/${q.service} has no nodePort (type ${service!.type})` : null),
    endpointSlices: apiRead('endpointSlices'),
    pods: apiRead('pods'),
    nodes: apiRead('nodes'),
    networkPolicies: apiRead('networkPolicies'),
    kubeProxy: apiRead('kubeProxy'),
    coreDns: apiRead('coreDns'),
    apiServer: apiRead('apiServer'),
    nodeState: reachable > 0 ? null
      : away.length > 0 ? away.map((d) => `${d.name}: ${d.unavailable}`).join('; ')
        : 'no node state was gathered',
    paths: replayed.length > 0 ? null
      : paths.length === 0 ? 'no path could be built (no Service nodePort or no ingress node)'
        : paths.map((p) => `${p.node}: ${p.unavailable}`).join('; '),
  };
}
