/**
 * A NetworkPolicy denial that only the masquerade address suffers: the pod sees the ingress node's
 * address, which the policies refuse, while they would admit the client itself.
 * netpol-blocks-snated-source reports these; netpol-blocks-traffic every other denial.
 */
import type { CheckContext, NodePath, PathBranch, PolicyDecision } from '../../src/check-kit/index.js';

/** A policy denial of `source` (not the client) at the branch's backend pod, which would allow the client itself. */
export interface SnatedDenial {
  decision: PolicyDecision;
  client: PolicyDecision;
  /** The pod as `namespace/name`. */
  pod: string;
  backend: NonNullable<PathBranch['backend']>;
  source: string;
}

export function snatedDenial(ctx: CheckContext<'networkPolicies' | 'pods'>, path: NodePath, b: PathBranch): SnatedDenial | null {
  const decision = b.stages.find((s) => s.stage === 'policy')?.policy;
  const { backend, sourceAtPod: source } = b;
  if (b.failedAt !== 'policy' || decision?.verdict !== 'denied' || source === null || source === path.client.ip || !backend?.pod) return null;
  const [ns, name] = backend.pod.split('/') as [string, string];
  const pod = ctx.pods.get(ns, name);
  if (pod === undefined) return null;
  const client = ctx.networkPolicies.ingress({ srcIp: path.client.ip, pod, port: backend.port ?? path.port, protocol: path.protocol });
  return client.verdict === 'allowed' ? { decision, client, pod: backend.pod, backend, source } : null;
}
