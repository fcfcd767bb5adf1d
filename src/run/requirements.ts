/**
 * Which of the data checks can require is present, and if not, why: the reason a check is
 * skipped. A requirement is missing when gathering did not get it (RBAC, unreachable node,
 * --collect none), never merely because the cluster has none of it (zero NetworkPolicies is data).
 */
import { stepOf, type GatherStep } from '../snapshot/gather-step.js';
import type { GatherError, Snapshot } from '../snapshot/schema.js';
import type { Analysis } from '../check-kit/context.js';
import type { Requirement } from '../check-kit/define.js';

/**
 * Why a requirement is not met. The first three say the question's own target does not exist,
 * which is an answer (a check says so); the others, that the data was not gathered or not replayed.
 */
export type UnmetKind = 'service-not-found' | 'no-ports' | 'no-node-port' | 'not-gathered' | 'not-replayed';

export interface Unmet {
  kind: UnmetKind;
  /** The reason in words, for the skipped check. */
  why: string;
}

/** Requirement → null when available, else why it is not. */
export type Availability = Record<Requirement, Unmet | null>;

const ENDPOINT_SLICES = 'endpointslices.discovery.k8s.io';
const SYSTEM = 'kube-system';

const isList = (s: GatherStep, resource: string): s is Extract<GatherStep, { kind: 'api' }> =>
  s.kind === 'api' && s.verb === 'list' && s.resource === resource;

/** The gather steps each API requirement depends on, for a question about `namespace`. */
const API_READS: Partial<Record<Requirement, (s: GatherStep, namespace: string) => boolean>> = {
  // kube-dns is read with `get services` too; it is coreDns's.
  services: (s) => s.kind === 'api' && s.resource === 'services' && (s.verb === 'get' || s.verb === 'list') && s.name !== 'kube-dns',
  endpointSlices: (s, ns) => isList(s, ENDPOINT_SLICES) && s.namespace === ns,
  pods: (s, ns) => isList(s, 'pods') && s.namespace === ns,
  nodes: (s) => isList(s, 'nodes'),
  networkPolicies: (s) => isList(s, 'networkpolicies.networking.k8s.io'),
  // kube-proxy's pods are listed by label in kube-system; the step names only the namespace.
  kubeProxy: (s) => s.kind === 'kube-proxy-config' || (s.kind === 'api' && s.name === 'kube-proxy') || (isList(s, 'pods') && s.namespace === SYSTEM),
  coreDns: (s) => (s.kind === 'api' && (s.name === 'coredns' || s.name === 'kube-dns')) || (isList(s, ENDPOINT_SLICES) && s.namespace === SYSTEM),
  // kube-apiserver's static pods are listed by label in kube-system, like kube-proxy's.
  apiServer: (s) => isList(s, 'pods') && s.namespace === SYSTEM,
};

/** The gather errors that make an API requirement unavailable for a question about `namespace`. */
export function gatherErrorsFor(snapshot: Snapshot, req: keyof typeof API_READS, namespace: string): GatherError[] {
  const test = API_READS[req]!;
  return snapshot.errors.filter((e) => {
    const step = stepOf(e);
    return step !== null && test(step, namespace);
  });
}

export function availability(ctx: Analysis): Availability {
  const { question: q, service, cluster, paths } = ctx;
  const apiRead = (req: Requirement): Unmet | null => {
    const errs = gatherErrorsFor(ctx.snapshot, req, q.namespace);
    return errs.length === 0 ? null : { kind: 'not-gathered', why: errs.map((e) => `${e.what}: ${e.why}`).join('; ') };
  };
  const svc: Unmet | null = service === null ? { kind: 'service-not-found', why: `Service ${q.namespace}/${q.service} was not found` } : null;
  const nodes = [...new Set([...q.ingress.map((i) => i.node), ...ctx.snapshot.nodes.map((n) => n.name)])];
  const away = nodes.map((n) => cluster.nodeDataOf(n)).filter((d) => d.unavailable !== null);
  const reachable = nodes.length - away.length;
  const replayed = paths.filter((p) => p.unavailable === null);
  return {
    service: svc,
    services: apiRead('services'),
    nodePort: svc ?? (q.port === null ? { kind: 'no-ports', why: `Service ${q.namespace}/${q.service} has no ports` }
      : q.port.nodePort === null ? { kind: 'no-node-port', why: `port ${q.port.name || q.port.port} of Service ${q.namespace}/${q.service} has no nodePort (type ${service!.type})` }
        // kube-proxy's proxier of a family the Service lacks skips it: no nodePort in that family (service-family-not-served).
        : q.unserved ? { kind: 'no-node-port', why: `Service ${q.namespace}/${q.service} has no IPv${q.family} address, so no node serves its nodePort over IPv${q.family}` } : null),
    endpointSlices: apiRead('endpointSlices'),
    pods: apiRead('pods'),
    nodes: apiRead('nodes'),
    networkPolicies: apiRead('networkPolicies'),
    kubeProxy: apiRead('kubeProxy'),
    coreDns: apiRead('coreDns'),
    apiServer: apiRead('apiServer'),
    nodeState: reachable > 0 ? null : {
      kind: 'not-gathered',
      why: away.length > 0 ? away.map((d) => `${d.name}: ${d.unavailable}`).join('; ') : 'no node state was gathered',
    },
    paths: replayed.length > 0 ? null : {
      kind: 'not-replayed',
      why: paths.length === 0 ? 'no path could be built (no Service nodePort or no ingress node)' : paths.map((p) => `${p.node}: ${p.unavailable}`).join('; '),
    },
  };
}
