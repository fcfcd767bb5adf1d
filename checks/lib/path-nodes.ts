/** The nodes a NodePort connection touches, which node checks look at. */
import type { CheckContext } from '../../src/check-kit/index.js';

/** The ingress nodes, then the nodes of the backends the replayed paths reach. */
export function nodesOnPaths(ctx: CheckContext): string[] {
  const names = new Set(ctx.question.ingress.map((i) => i.node));
  for (const p of ctx.paths) for (const b of p.branches) if (b.backend?.node) names.add(b.backend.node);
  return [...names];
}

/** The ingress nodes, then the nodes of the endpoints kube-proxy would use. */
export function ingressAndEndpointNodes(ctx: CheckContext<'endpointSlices'>): string[] {
  const names = ctx.question.ingress.map((i) => i.node);
  if (ctx.service !== null && ctx.port !== null) {
    for (const e of ctx.endpointSlices.used(ctx.service, ctx.port)) {
      const n = ctx.endpointSlices.nodeOf(e);
      if (n !== null) names.push(n);
    }
  }
  return [...new Set(names)];
}
